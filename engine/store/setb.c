/* Match-set interning. Control plane. */
#include "store/setb.h"
#include "common/intern.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Sets reference meta ids in 24 bits: 16.7 M distinct metadata records. */
#define META_ID_MASK 0xffffffu
#define MAX_OFF (1u << 30)

struct cp_setb {
	const struct cp_meta_rec *meta;
	size_t nmeta;
	uint32_t *data;
	uint64_t n, cap;
	struct cp_intern ix;  /* refs by set content */
	uint32_t last_ent, last_ref;  /* one-entry cache */
};

static int set_eq(const void *ctx, uint32_t ref, const void *key);

struct cp_setb *cp_setb_new(const struct cp_meta_rec *meta, size_t nmeta)
{
	struct cp_setb *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->meta = meta;
	b->nmeta = nmeta;
	b->cap = 1024;
	b->data = malloc(b->cap * 4);
	if (b->data == NULL || cp_intern_init(&b->ix, set_eq, b) != 0) {
		cp_setb_free(b);
		errno = ENOMEM;
		return NULL;
	}
	return b;
}

void cp_setb_free(struct cp_setb *b)
{
	if (b == NULL)
		return;
	free(b->data);
	cp_intern_fini(&b->ix);
	free(b);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, c = *(const uint32_t *)y;
	return (a > c) - (a < c);
}

/* Sets are small (an address and the few CIDRs around it): insertion sort
 * there, where qsort's calls through a comparator took 4 % of a compile. */
static void sort_ents(uint32_t *e, unsigned n)
{
	if (n > 16) {
		qsort(e, n, 4, cmp_u32);
		return;
	}
	for (unsigned i = 1; i < n; i++) {
		uint32_t x = e[i];
		unsigned j = i;
		for (; j > 0 && e[j - 1] > x; j--)
			e[j] = e[j - 1];
		e[j] = x;
	}
}

unsigned cp_setb_get(const struct cp_setb *b, uint32_t ref, const uint32_t **ents)
{
	uint32_t off = ref & (MAX_OFF - 1);

	*ents = b->data + off + 1;
	return b->data[off];
}

static uint64_t set_hash(const uint32_t *ents, unsigned n)
{
	return XXH3_64bits(ents, (size_t)n * 4);
}

struct set_key {
	const uint32_t *ents;
	unsigned n;
};

static int set_eq(const void *ctx, uint32_t ref, const void *key)
{
	const struct set_key *k = key;
	const uint32_t *e;

	return cp_setb_get(ctx, ref, &e) == k->n && memcmp(e, k->ents, (size_t)k->n * 4) == 0;
}

static uint32_t append(struct cp_setb *b, const uint32_t *ents, unsigned n)
{
	unsigned act = 0;

	if (b->n + n + 1 > MAX_OFF) {
		errno = E2BIG;
		return 0;
	}
	while (b->n + n + 1 > b->cap) {
		uint32_t *d = realloc(b->data, b->cap * 2 * 4);
		if (d == NULL) {
			errno = ENOMEM;
			return 0;
		}
		b->data = d;
		b->cap *= 2;
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t id = ents[i] & META_ID_MASK;
		if (id >= b->nmeta) {
			errno = EINVAL;
			return 0;
		}
		if (b->meta[id].action > act)
			act = b->meta[id].action;
	}
	uint32_t off = (uint32_t)b->n;
	b->data[b->n++] = n;
	memcpy(b->data + b->n, ents, (size_t)n * 4);
	b->n += n;
	return (uint32_t)act << 30 | off;
}

uint32_t cp_setb_intern(struct cp_setb *b, uint32_t *ents, unsigned n)
{
	unsigned m = 0;

	if (n == 0) {
		errno = EINVAL;
		return 0;
	}
	if (n == 1 && ents[0] == b->last_ent && b->last_ref != 0)
		return b->last_ref;
	sort_ents(ents, n);
	for (unsigned i = 0; i < n; i++)
		if (m == 0 || ents[i] != ents[m - 1])
			ents[m++] = ents[i];
	struct set_key key = { ents, m };
	size_t slot;
	uint64_t hash = set_hash(ents, m);
	uint32_t ref = cp_intern_find(&b->ix, hash, &key, &slot);

	if (ref == 0) {
		ref = append(b, ents, m);
		if (ref == 0)
			return 0;
		if (cp_intern_put(&b->ix, slot, hash, ref) != 0) {
			errno = ENOMEM;
			return 0;
		}
	}
	if (m == 1) {
		b->last_ent = ents[0];
		b->last_ref = ref;
	}
	return ref;
}

const uint32_t *cp_setb_data(const struct cp_setb *b, uint64_t *count)
{
	*count = b->n;
	return b->data;
}
