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

static int build_filter(const struct cp_xrec *r, size_t n, struct cp_xtab_img *img)
{
	img->nblocks = (n * CP_XT_FILTER_BITS + 255) / 256;
	img->filter_size = img->nblocks * 32;
	img->filter = cp_mem_alloc(img->filter_size);
	if (img->filter == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t h = cp__filt_hash(r[i].a, r[i].b);
		uint32_t *blk = img->filter + cp_range64(h, img->nblocks) * 8;

		for (unsigned w = 0; w < 8; w++)
			blk[w] |= cp__filt_bit((uint32_t)h, w);
	}
	return 0;
}

int cp__xtab_build(unsigned kind, const struct cp_xrec *r, size_t n, int with_filter,
		   struct cp_xtab_img *img)
{
	double load = kind == CP_XT_K32 ? CP_XT_LOAD_K32 : CP_XT_LOAD_K96;
	size_t ss = cp__xt_slot_size(kind);
	uint64_t bs = cp__xt_bucket_slots(kind);
	uint64_t nb = (uint64_t)((double)n / ((double)bs * load)) + 1;
	uint64_t pos = 0, end;

	memset(img, 0, sizeof(*img));
	img->nbuckets = nb;
	img->count = n;
	/* The last record lands at most n slots past its home, so nb*bs + n
	 * bounds the layout. After it come a whole window of empty slots, so
	 * the last bucket's window stays inside the table and every scan ends
	 * on an empty slot. */
	for (size_t i = 0; i < n; i++) {
		uint64_t home = cp_range64(r[i].a, nb) * bs;
		pos = (pos > home ? pos : home) + 1;
	}
	end = pos > nb * bs ? pos : nb * bs;
	end = CP_ALIGN_UP(end, bs) + CP_XT_WINDOW_LINES * bs;
	img->slots_size = end * ss;
	img->slots = cp_mem_alloc(img->slots_size);
	if (img->slots == NULL)
		return -ENOMEM;
	pos = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t home = cp_range64(r[i].a, nb) * bs;
		uint64_t at = pos > home ? pos : home;

		if (at - home > img->max_run)
			img->max_run = at - home;
		place(kind, img->slots, at, &r[i]);
		pos = at + 1;
	}
	if (with_filter > 0 || (with_filter < 0 && n >= CP_XT_FILTER_MIN_KEYS)) {
		if (build_filter(r, n, img) != 0) {
			cp__xtab_img_free(img);
			return -ENOMEM;
		}
	}
	return 0;
}

void cp__xtab_img_free(struct cp_xtab_img *img)
{
	cp_mem_free(img->slots, img->slots_size);
	cp_mem_free(img->filter, img->filter_size);
	memset(img, 0, sizeof(*img));
}
