/* Interning index. Control plane. Kept at most half full, so a probe ends
 * within ~1.5 slots on average. */
#include "common/intern.h"

#include <errno.h>
#include <stdlib.h>

int cp_intern_init(struct cp_intern *ix, cp_intern_eq eq, cp_intern_rehash rehash,
		   const void *ctx)
{
	ix->nslots = 1024;
	ix->used = 0;
	ix->eq = eq;
	ix->rehash = rehash;
	ix->ctx = ctx;
	ix->slots = calloc(ix->nslots, sizeof(uint32_t));
	return ix->slots ? 0 : -ENOMEM;
}

void cp_intern_fini(struct cp_intern *ix)
{
	free(ix->slots);
	ix->slots = NULL;
}

uint32_t cp_intern_find(const struct cp_intern *ix, uint64_t hash, const void *key,
			size_t *slot)
{
	size_t mask = ix->nslots - 1, i = hash & mask;

	for (; ix->slots[i] != 0; i = (i + 1) & mask)
		if (ix->eq(ix->ctx, ix->slots[i], key))
			return ix->slots[i];
	*slot = i;
	return 0;
}

static int grow(struct cp_intern *ix)
{
	size_t ns = ix->nslots * 2, mask = ns - 1;
	uint32_t *s = calloc(ns, sizeof(uint32_t));

	if (s == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ix->nslots; i++) {
		uint32_t h = ix->slots[i];
		if (h == 0)
			continue;
		size_t j = ix->rehash(ix->ctx, h) & mask;
		while (s[j] != 0)
			j = (j + 1) & mask;
		s[j] = h;
	}
	free(ix->slots);
	ix->slots = s;
	ix->nslots = ns;
	return 0;
}

int cp_intern_put(struct cp_intern *ix, size_t slot, uint32_t h)
{
	ix->slots[slot] = h;
	if (++ix->used * 2 > ix->nslots)
		return grow(ix);
	return 0;
}
