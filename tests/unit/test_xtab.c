/* Exact tables directly: layout invariants, the first-level filter path (and
 * its skipping while lookups mostly hit), the scan past a probe's two-line
 * window, and bulk lookups of every burst size against a sorted reference. */
#include "helpers.h"

#include <errno.h>
#include "common/mem.h"
#include "store/store_internal.h"

static int rec_cmp(const void *x, const void *y)
{
	const struct cp_xrec *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	return p->b < q->b ? -1 : p->b > q->b;
}

/* Probes that are not members, with keys inside the populated range, so runs
 * are crossed and cut short at every point; checked against bsearch. */
static void check_between(const struct cp_xtab *t, unsigned kind, const struct cp_xrec *s,
			  size_t w, uint64_t seed)
{
	struct cp_qkey q[CP_STORE_BULK_MAX];
	uint32_t refs[CP_STORE_BULK_MAX];
	uint64_t rs = seed;

	for (size_t i = 0; i < w; i += CP_STORE_BULK_MAX) {
		for (unsigned j = 0; j < CP_STORE_BULK_MAX; j++) {
			const struct cp_xrec *m = &s[t_rand(&rs) % w];
			q[j] = (struct cp_qkey){ .a = m->a + (t_rand(&rs) % 3 - 1) * (kind == CP_XT_K32 ? 1ULL << 32 : 1),
						 .b = kind == CP_XT_K32 ? 0 : m->b + (uint32_t)(t_rand(&rs) % 3) - 1 };
			/* k96 compares a's halves and b as separate lanes: a near
			 * miss in each, the high half included. */
			if (kind == CP_XT_K96 && t_rand(&rs) % 4 == 0)
				q[j] = (struct cp_qkey){ .a = m->a ^ 1ULL << (32 + t_rand(&rs) % 32),
							 .b = m->b };
		}
		t->lookup(t, q, refs, CP_STORE_BULK_MAX);
		for (unsigned j = 0; j < CP_STORE_BULK_MAX; j++) {
			struct cp_xrec key = { .a = q[j].a, .b = q[j].b };
			const struct cp_xrec *hit = bsearch(&key, s, w, sizeof(*s), rec_cmp);
			cr_assert_eq(refs[j], hit ? hit->ref : 0u, "probe %llx/%x",
				     (unsigned long long)q[j].a, q[j].b);
		}
	}
}

/* crowd: keys are drawn from the lowest 2^-crowd of the hash range, so runs
 * grow far past the window and the scans do most of the work. */
static void build(unsigned kind, size_t n, int with_filter, uint64_t seed, unsigned crowd)
{
	struct cp_xrec *r = cp_mem_alloc(n * sizeof(*r)), *tmp = cp_mem_alloc(n * sizeof(*r));
	struct cp_xtab_img img;
	struct cp_xtab t;
	struct cp_qkey q[CP_STORE_BULK_MAX];
	uint32_t refs[CP_STORE_BULK_MAX];
	uint64_t rs = seed;

	for (size_t i = 0; i < n; i++) {
		uint64_t a = t_rand(&rs) >> (kind == CP_XT_K32 ? 32 + crowd : crowd);
		r[i] = (struct cp_xrec){ .a = kind == CP_XT_K32 ? a << 32 : a,
					 .b = kind == CP_XT_K32 ? 0 : (uint32_t)t_rand(&rs),
					 .ref = (uint32_t)(i + 1) };
	}
	struct cp_xrec *s = cp__xrec_sort(r, tmp, n);
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {  /* drop the rare equal keys */
		if (i > 0) {
			cr_assert(s[i - 1].a < s[i].a || (s[i - 1].a == s[i].a && s[i - 1].b <= s[i].b),
				  "sorted");
			if (s[i - 1].a == s[i].a && s[i - 1].b == s[i].b)
				continue;
		}
		s[w++] = s[i];
	}
	cr_assert_eq(cp__xtab_build(kind, s, w, with_filter, &img), 0);
	cr_assert_eq(img.filter != NULL, with_filter);
	cr_assert_eq(cp__xtab_init(&t, kind, img.slots, img.slots_size, img.nbuckets, img.filter,
				   img.filter_size, img.nblocks, w), 0);
	/* Some records lie past their home's window: the scan path is covered. */
	if (w > 10000)
		cr_assert_gt(img.max_run, CP_XT_WINDOW_LINES * cp__xt_bucket_slots(kind));
	/* Members in bursts of every size, then non-members. */
	for (size_t i = 0, burst = 1; i < w; i += burst, burst = burst % CP_STORE_BULK_MAX + 1) {
		unsigned k = (unsigned)(w - i < burst ? w - i : burst);
		for (unsigned j = 0; j < k; j++)
			q[j] = (struct cp_qkey){ .a = s[i + j].a, .b = s[i + j].b };
		cr_assert_eq(t.lookup(&t, q, refs, k), k);
		for (unsigned j = 0; j < k; j++)
			cr_assert_eq(refs[j], s[i + j].ref);
	}
	/* A thread whose lookups all hit goes straight to the table (the
	 * answers above came from both paths: the rate climbs from 0). */
	if (w > 10000)
		cr_assert(!cp__xt_uses_filter(&t), "hit rate %u/65536 after members only",
			  cp__xt_hit_rate(&t));
	unsigned false_hits = 0;
	for (size_t i = 0; i < w; i += CP_STORE_BULK_MAX) {
		for (unsigned j = 0; j < CP_STORE_BULK_MAX; j++) {
			q[j] = (struct cp_qkey){ .a = s[(i + j) % w].a, .b = s[(i + j) % w].b ^ 1 };
			if (kind == CP_XT_K32)
				q[j].a += 1ULL << 32, q[j].b = 0;
		}
		false_hits += t.lookup(&t, q, refs, CP_STORE_BULK_MAX);
	}
	/* k96 near-misses differ in one fingerprint bit; k32 ones may be members. */
	if (kind == CP_XT_K96)
		cr_assert_eq(false_hits, 0);
	/* And back to the filter once they mostly miss. */
	if (w > 10000)
		cr_assert_eq(cp__xt_uses_filter(&t), with_filter, "hit rate %u/65536 after misses",
			     cp__xt_hit_rate(&t));
	check_between(&t, kind, s, w, seed + 100);
	cp__xtab_img_free(&img);
	cp_mem_free(r, n * sizeof(*r));
	cp_mem_free(tmp, n * sizeof(*r));
}

Test(xtab, invalid_geometry)
{
	struct cp_xtab t;
	uint32_t slots[64] = { 0 };
	struct cp_qkey q = { 0 };
	uint32_t ref = 7;

	cr_expect_eq(cp__xtab_init(&t, 9, slots, sizeof(slots), 1, NULL, 0, 0, 0), -EBADMSG);
	cr_expect_eq(cp__xtab_init(&t, CP_XT_K32, slots, sizeof(slots), 4, NULL, 0, 0, 0), -EBADMSG,
		     "too few slots for 4 buckets plus the sentinel");
	cr_expect_eq(cp__xtab_init(&t, CP_XT_K32, slots, sizeof(slots), UINT64_MAX, NULL, 0, 0, 0),
		     -EBADMSG, "bucket count that would wrap");
	cr_expect_eq(cp__xtab_init(&t, CP_XT_K96, slots, 64, 1, NULL, 0, 0, 0), -EBADMSG,
		     "one line cannot hold a two-line window");
	cr_expect_eq(cp__xtab_init(&t, CP_XT_K32, slots, sizeof(slots), 1, slots, 31, 1, 0), -EBADMSG,
		     "filter size must match its blocks");
	cr_expect_eq(cp__xtab_init(&t, CP_XT_K32, NULL, 0, 0, NULL, 0, 0, 0), 0, "absent table");
	cr_expect_eq(t.lookup(&t, &q, &ref, 1), 0);
	cr_expect_eq(ref, 0u);
}

Test(xtab, k32_no_filter) { build(CP_XT_K32, 50000, 0, 1, 0); }
Test(xtab, k32_filter) { build(CP_XT_K32, 50000, 1, 2, 0); }
Test(xtab, k96_no_filter) { build(CP_XT_K96, 50000, 0, 3, 0); }
Test(xtab, k96_filter) { build(CP_XT_K96, 50000, 1, 4, 0); }
Test(xtab, k32_crowded) { build(CP_XT_K32, 20000, 0, 7, 4); }
Test(xtab, k96_crowded) { build(CP_XT_K96, 20000, 1, 8, 4); }
/* Keys that share a (6 bits of it) and differ in b: the window holds
 * several slots equal in a's lanes, and only the one equal in b matches. */
Test(xtab, k96_equal_a) { build(CP_XT_K96, 3000, 1, 9, 58); }
Test(xtab, tiny) { build(CP_XT_K96, 1, 1, 5, 0); build(CP_XT_K32, 3, 0, 6, 0); }

/* Tables of 2 MiB and more start on a 2 MiB boundary, where a huge page
 * can back them from their first byte; every byte is writable, and the
 * mapping frees whole (a second alloc may reuse the range). */
Test(mem, large_allocations_are_huge_page_aligned)
{
	static const size_t sizes[] = { 100000, (2u << 20), (5u << 20) + 123, (64u << 20) + 4096 };

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		uint8_t *p = cp_mem_alloc(n);
		cr_assert_not_null(p, "%zu bytes", n);
		if (n >= (2u << 20))
			cr_expect_eq((uintptr_t)p % (2u << 20), 0u, "%zu bytes at %p", n, (void *)p);
		p[0] = 1;
		p[n - 1] = 2;
		memset(p + n / 2, 3, n / 4);
		cr_expect_eq(p[0] + p[n - 1] + p[n / 2], 6);
		cp_mem_free(p, n);
	}
}
