/* Exact tables: sorting and layout. Control plane.
 * Records arrive with uniformly distributed keys, so an LSD radix sort on the
 * top 33 bits (3 passes of 11 bits: 2048 counters stay in L1) leaves only
 * rare ties, which one insertion pass fixes. 100 M records sort in ~2 s. */
#include "store/store_internal.h"
#include "common/mem.h"

#include <errno.h>
#include <string.h>

#define RADIX_BITS 11
#define RADIX (1u << RADIX_BITS)
#define PASSES 3

static inline int rec_less(const struct cp_xrec *x, const struct cp_xrec *y)
{
	return x->a < y->a || (x->a == y->a && x->b < y->b);
}

struct cp_xrec *cp__xrec_sort(struct cp_xrec *r, struct cp_xrec *tmp, size_t n)
{
	size_t cnt[PASSES][RADIX]; /* 48 KiB */
	struct cp_xrec *src = r, *dst = tmp;

	memset(cnt, 0, sizeof(cnt));
	for (size_t i = 0; i < n; i++)
		for (unsigned p = 0; p < PASSES; p++)
			cnt[p][(r[i].a >> (64 - RADIX_BITS * (PASSES - p))) & (RADIX - 1)]++;
	for (unsigned p = 0; p < PASSES; p++) {
		unsigned shift = 64 - RADIX_BITS * (PASSES - p);
		size_t sum = 0;

		for (unsigned d = 0; d < RADIX; d++) {
			size_t c = cnt[p][d];
			cnt[p][d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[cnt[p][(src[i].a >> shift) & (RADIX - 1)]++] = src[i];
		struct cp_xrec *t = src;
		src = dst;
		dst = t;
	}
	for (size_t i = 1; i < n; i++) {
		struct cp_xrec x = src[i];
		size_t j = i;

		while (j > 0 && rec_less(&x, &src[j - 1])) {
			src[j] = src[j - 1];
			j--;
		}
		src[j] = x;
	}
	return src;
}

static void place(unsigned kind, void *slots, uint64_t at, const struct cp_xrec *r)
{
	if (kind == CP_XT_K32) {
		struct cp_slot32 *s = (struct cp_slot32 *)slots + at;
		s->k = (uint32_t)(r->a >> 32);
		s->ref = r->ref;
	} else {
		struct cp_slot96 *s = (struct cp_slot96 *)slots + at;
		s->a = r->a;
		s->b = r->b;
		s->ref = r->ref;
	}
}

static void filter_add(struct cp_xtab_placer *p, const struct cp_xrec *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t h = cp__filt_hash(r[i].a, r[i].b);
		uint32_t *blk = p->filter + cp_range64(h, p->nblocks) * 8;

		for (unsigned w = 0; w < 8; w++)
			blk[w] |= cp__filt_bit((uint32_t)h, w);
	}
}

int cp__xtab_placer_init(struct cp_xtab_placer *p, unsigned kind, uint64_t n, int with_filter)
{
	double load = kind == CP_XT_K32 ? CP_XT_LOAD_K32 : CP_XT_LOAD_K96;

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->ss = cp__xt_slot_size(kind);
	p->bs = cp__xt_bucket_slots(kind);
	p->nb = (uint64_t)((double)n / ((double)p->bs * load)) + 1;
	if (with_filter > 0 || (with_filter < 0 && n >= cp__xt_filter_min(kind))) {
		p->nblocks = (n * CP_XT_FILTER_BITS + 255) / 256;
		p->filter_size = p->nblocks * 32;
		if ((p->filter = cp_mem_alloc(p->filter_size)) == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* Zeroed room for the slots [done, end). */
static void *room(struct cp_xtab_placer *p, uint64_t end)
{
	size_t want = (end - p->done) * p->ss;

	if (cp_mem_reserve(&p->buf, &p->cap, want) == NULL)
		return NULL;
	memset(p->buf, 0, want);
	return p->buf;
}

int cp__xtab_place(struct cp_xtab_placer *p, const struct cp_xrec *r, size_t n,
		   const void **out, size_t *size)
{
	uint64_t pos = p->pos;

	/* A record lands at its home or just past the one before it, so one
	 * pass finds where this run ends. */
	for (size_t i = 0; i < n; i++) {
		uint64_t home = cp_range64(r[i].a, p->nb) * p->bs;
		pos = (pos > home ? pos : home) + 1;
	}
	char *b = room(p, pos);
	if (b == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t home = cp_range64(r[i].a, p->nb) * p->bs;
		uint64_t at = p->pos > home ? p->pos : home;

		if (at - home > p->max_run)
			p->max_run = at - home;
		place(p->kind, b, at - p->done, &r[i]);
		p->pos = at + 1;
	}
	if (p->filter != NULL)
		filter_add(p, r, n);
	p->count += n;
	*out = b;
	*size = (pos - p->done) * p->ss;
	p->done = pos;
	return 0;
}

/* The last record lands at most n slots past its home, so nb*bs + n bounds
 * the layout. After it come a whole window of empty slots, so the last
 * bucket's window stays inside the table and every scan ends on an empty
 * slot. */
static uint64_t table_end(const struct cp_xtab_placer *p)
{
	uint64_t end = p->pos > p->nb * p->bs ? p->pos : p->nb * p->bs;

	return CP_ALIGN_UP(end, p->bs) + CP_XT_WINDOW_LINES * p->bs;
}

int cp__xtab_place_end(struct cp_xtab_placer *p, const void **out, size_t *size)
{
	uint64_t end = table_end(p);

	if ((*out = room(p, end)) == NULL)
		return -ENOMEM;
	*size = (end - p->done) * p->ss;
	p->done = end;
	return 0;
}

void cp__xtab_placer_free(struct cp_xtab_placer *p)
{
	cp_mem_free(p->buf, p->cap);
	cp_mem_free(p->filter, p->filter_size);
	memset(p, 0, sizeof(*p));
}

int cp__xtab_build(unsigned kind, const struct cp_xrec *r, size_t n, int with_filter,
		   struct cp_xtab_img *img)
{
	struct cp_xtab_placer p;
	const void *body, *tail;
	size_t nbody, ntail;
	int rc;

	memset(img, 0, sizeof(*img));
	if ((rc = cp__xtab_placer_init(&p, kind, n, with_filter)) != 0 ||
	    (rc = cp__xtab_place(&p, r, n, &body, &nbody)) != 0)
		goto out;
	img->slots_size = table_end(&p) * p.ss;
	if ((img->slots = cp_mem_alloc(img->slots_size)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(img->slots, body, nbody);
	if ((rc = cp__xtab_place_end(&p, &tail, &ntail)) != 0)
		goto out;
	memcpy((char *)img->slots + nbody, tail, ntail);
	img->nbuckets = p.nb;
	img->count = n;
	img->max_run = p.max_run;
	img->filter = p.filter;
	img->filter_size = p.filter_size;
	img->nblocks = p.nblocks;
	p.filter = NULL;
	p.filter_size = 0;
out:
	cp__xtab_placer_free(&p);
	if (rc != 0)
		cp__xtab_img_free(img);
	return rc;
}

void cp__xtab_img_free(struct cp_xtab_img *img)
{
	cp_mem_free(img->slots, img->slots_size);
	cp_mem_free(img->filter, img->filter_size);
	memset(img, 0, sizeof(*img));
}
