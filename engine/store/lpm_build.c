/* CIDR trie construction. Control plane.
 * Prefixes must be inserted shortest first: a longer prefix then overwrites
 * the part of a shorter one it covers (leaf pushing), and no entry ever has
 * to be pushed down into an existing child group. */
#include "store/lpm_build.h"
#include "store/store_internal.h"
#include "common/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cp_lpmb {
	uint32_t *tbl;
	uint64_t ngroups, gcap;
	uint32_t *leaves;
	uint64_t nleaves, lcap;
	unsigned keylen;
};

/* The table is the first level then gcap groups; it grows to gigabytes
 * with millions of CIDRs, so it lives in a cp_mem mapping grown in place. */
static size_t tbl_bytes(uint64_t gcap)
{
	return (CP_LPM_L0 + gcap * CP_LPM_GROUP) * 4;
}

struct cp_lpmb *cp_lpmb_new(unsigned keylen)
{
	struct cp_lpmb *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->keylen = keylen;
	b->tbl = cp_mem_alloc(CP_LPM_L0 * 4);
	b->lcap = 64;
	b->leaves = calloc(b->lcap, 4);
	b->nleaves = 1;  /* leaf 0 means "none" */
	if (b->tbl == NULL || b->leaves == NULL) {
		cp_lpmb_free(b);
		errno = ENOMEM;
		return NULL;
	}
	return b;
}

void cp_lpmb_free(struct cp_lpmb *b)
{
	if (b == NULL)
		return;
	cp_mem_free(b->tbl, tbl_bytes(b->gcap));
	free(b->leaves);
	free(b);
}

static int new_group(struct cp_lpmb *b, uint32_t fill, uint32_t *idx)
{
	if (b->ngroups == b->gcap) {
		uint64_t cap = b->gcap ? b->gcap * 2 : 16;
		uint32_t *t = cp_mem_grow(b->tbl, tbl_bytes(b->gcap), tbl_bytes(cap));

		if (t == NULL)
			return -ENOMEM;
		b->tbl = t;
		b->gcap = cap;
	}
	uint32_t *g = b->tbl + CP_LPM_L0 + b->ngroups * CP_LPM_GROUP;
	for (unsigned i = 0; i < CP_LPM_GROUP; i++)
		g[i] = fill;
	*idx = (uint32_t)b->ngroups++;
	return 0;
}

uint32_t cp_lpmb_lookup(const struct cp_lpmb *b, const uint8_t *key)
{
	struct cp_lpm l = { .tbl = b->tbl, .leaves = b->leaves, .ngroups = b->ngroups,
			    .nleaves = b->nleaves, .keylen = b->keylen };

	return cp__lpm_lookup(&l, key);
}

int cp_lpmb_insert(struct cp_lpmb *b, const uint8_t *key, unsigned plen, uint32_t ref)
{
	uint64_t base = 0;         /* first entry of the current level */
	unsigned bit = 0, width = 16, d = 0;
	uint32_t leaf;

	if (plen > b->keylen * 8u || ref == 0)
		return -EINVAL;
	if (b->nleaves == b->lcap) {
		uint32_t *t = realloc(b->leaves, b->lcap * 2 * 4);
		if (t == NULL)
			return -ENOMEM;
		b->leaves = t;
		b->lcap *= 2;
	}
	leaf = (uint32_t)b->nleaves;
	b->leaves[b->nleaves++] = ref;
	for (;;) {
		uint32_t idx = width == 16 ? (uint32_t)key[0] << 8 | key[1] : key[d];

		if (plen <= bit + width) {
			unsigned span = 1u << (bit + width - plen);
			idx &= ~(span - 1);
			for (unsigned i = 0; i < span; i++)
				b->tbl[base + idx + i] = leaf << 1;
			return 0;
		}
		uint32_t e = b->tbl[base + idx], g;
		if (!(e & 1)) {
			if (new_group(b, e, &g) != 0)
				return -ENOMEM;
			b->tbl[base + idx] = g << 1 | 1;
		} else {
			g = e >> 1;
		}
		base = CP_LPM_L0 + (uint64_t)g * CP_LPM_GROUP;
		d = width == 16 ? 2 : d + 1;
		bit += width;
		width = 8;
	}
}

const uint32_t *cp_lpmb_table(const struct cp_lpmb *b, uint64_t *size, uint64_t *ngroups)
{
	*size = (CP_LPM_L0 + b->ngroups * CP_LPM_GROUP) * 4;
	*ngroups = b->ngroups;
	return b->tbl;
}

const uint32_t *cp_lpmb_leaves(const struct cp_lpmb *b, uint64_t *size)
{
	*size = b->nleaves * 4;
	return b->leaves;
}

/* Flattening an IPv4 trie into the range table of range4.c. */
struct r4b {
	struct cp_r4_img *img;
	uint64_t cap;
	uint32_t last;            /* ref of the range being extended */
};

static int r4_emit(struct r4b *w, uint32_t start, uint32_t ref, int first)
{
	struct cp_r4_img *img = w->img;

	if (!first && ref == w->last)
		return 0;
	if (img->n == w->cap) {
		uint64_t cap = w->cap ? w->cap * 2 : 1u << 17;
		uint16_t *s = realloc(img->start, cap * 2);
		if (s != NULL)
			img->start = s;
		uint32_t *r = realloc(img->ref, cap * 4);
		if (r != NULL)
			img->ref = r;
		if (s == NULL || r == NULL || cap > UINT32_MAX)
			return -ENOMEM;
		w->cap = cap;
	}
	img->start[img->n] = (uint16_t)start;
	img->ref[img->n++] = ref;
	w->last = ref;
	return 0;
}

/* Emits the ranges under entry e, which covers 2^(8 * depth) addresses from
 * start (depth 2: a /16's 65536 addresses, 1: a /24's 256, 0: one). */
static int r4_walk(const struct cp_lpmb *b, struct r4b *w, uint32_t e, uint32_t start,
		   unsigned depth, int first)
{
	int rc = 0;

	if (!(e & 1))
		return r4_emit(w, start, b->leaves[e >> 1], first);
	const uint32_t *g = b->tbl + CP_LPM_L0 + (uint64_t)(e >> 1) * CP_LPM_GROUP;
	unsigned step = depth == 2 ? 256 : 1;
	for (unsigned i = 0; i < CP_LPM_GROUP && rc == 0; i++)
		rc = r4_walk(b, w, g[i], start + i * step, depth - 1, first && i == 0);
	return rc;
}

int cp_lpmb_ranges4(const struct cp_lpmb *b, struct cp_r4_img *img)
{
	struct r4b w = { .img = img };
	int rc = 0;

	memset(img, 0, sizeof(*img));
	if (b->keylen != 4)
		return -EINVAL;
	img->off = malloc((CP_R4_CHUNKS + 1) * 4);
	if (img->off == NULL)
		return -ENOMEM;
	for (uint32_t c = 0; c < CP_R4_CHUNKS && rc == 0; c++) {
		img->off[c] = (uint32_t)img->n;
		rc = r4_walk(b, &w, b->tbl[c], 0, 2, 1);
	}
	img->off[CP_R4_CHUNKS] = (uint32_t)img->n;
	if (rc != 0)
		cp_r4_img_free(img);
	return rc;
}

void cp_r4_img_free(struct cp_r4_img *img)
{
	free(img->off);
	free(img->start);
	free(img->ref);
	memset(img, 0, sizeof(*img));
}
