/* Interning index. Control plane. Kept at most half full, so a probe ends
 * within ~1.5 slots on average. Each slot keeps the top 32 bits of its
 * item's hash beside the handle, and those bits also place it: a probe
 * compares items only when they match (at 1 M interned STIX ids, comparing
 * every probed item cost two cache misses an id), and growing never asks
 * for an item's hash again (it re-read and re-hashed every string). */
#include "common/intern.h"

#include <errno.h>
#include <stdlib.h>

int cp_intern_init(struct cp_intern *ix, cp_intern_eq eq, const void *ctx)
{
	ix->nslots = 1024;
	ix->used = 0;
	ix->eq = eq;
	ix->ctx = ctx;
	ix->slots = calloc(ix->nslots, sizeof(uint64_t));
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
	uint32_t tag = (uint32_t)(hash >> 32);
	size_t mask = ix->nslots - 1, i = tag & mask;

	for (; ix->slots[i] != 0; i = (i + 1) & mask)
		if ((uint32_t)(ix->slots[i] >> 32) == tag &&
		    ix->eq(ix->ctx, (uint32_t)ix->slots[i], key))
			return (uint32_t)ix->slots[i];
	*slot = i;
	return 0;
}

static int grow(struct cp_intern *ix)
{
	size_t ns = ix->nslots * 2, mask = ns - 1;
	uint64_t *s = calloc(ns, sizeof(uint64_t));

	if (s == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ix->nslots; i++) {
		if (ix->slots[i] == 0)
			continue;
		size_t j = (size_t)(ix->slots[i] >> 32) & mask;
		while (s[j] != 0)
			j = (j + 1) & mask;
		s[j] = ix->slots[i];
	}
	free(ix->slots);
	ix->slots = s;
	ix->nslots = ns;
	return 0;
}

int cp_intern_put(struct cp_intern *ix, size_t slot, uint64_t hash, uint32_t h)
{
	ix->slots[slot] = (hash >> 32) << 32 | h;
	if (++ix->used * 2 > ix->nslots)
		return grow(ix);
	return 0;
}
