/* Exact tables directly: layout invariants, the first-level filter path, and
 * bulk lookups of every burst size against a sorted reference. */
#include "helpers.h"

#include <errno.h>
#include "common/mem.h"
#include "store/store_internal.h"

static void build(unsigned kind, size_t n, int with_filter, uint64_t seed)
{
	struct cp_xrec *r = cp_mem_alloc(n * sizeof(*r)), *tmp = cp_mem_alloc(n * sizeof(*r));
	struct cp_xtab_img img;
	struct cp_xtab t;
	struct cp_qkey q[CP_STORE_BULK_MAX];
	uint32_t refs[CP_STORE_BULK_MAX];
	uint64_t rs = seed;

	for (size_t i = 0; i < n; i++) {
		uint64_t a = t_rand(&rs);
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
	/* Members in bursts of every size, then non-members. */
	for (size_t i = 0, burst = 1; i < w; i += burst, burst = burst % CP_STORE_BULK_MAX + 1) {
		unsigned k = (unsigned)(w - i < burst ? w - i : burst);
		for (unsigned j = 0; j < k; j++)
			q[j] = (struct cp_qkey){ .a = s[i + j].a, .b = s[i + j].b };
		cr_assert_eq(t.lookup(&t, q, refs, k), k);
		for (unsigned j = 0; j < k; j++)
			cr_assert_eq(refs[j], s[i + j].ref);
	}
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
	cr_expect_eq(cp__xtab_init(&t, CP_XT_K32, slots, sizeof(slots), 1, slots, 31, 1, 0), -EBADMSG,
		     "filter size must match its blocks");
	cr_expect_eq(cp__xtab_init(&t, CP_XT_K32, NULL, 0, 0, NULL, 0, 0, 0), 0, "absent table");
	cr_expect_eq(t.lookup(&t, &q, &ref, 1), 0);
	cr_expect_eq(ref, 0u);
}

Test(xtab, k32_no_filter) { build(CP_XT_K32, 50000, 0, 1); }
Test(xtab, k32_filter) { build(CP_XT_K32, 50000, 1, 2); }
Test(xtab, k96_no_filter) { build(CP_XT_K96, 50000, 0, 3); }
Test(xtab, k96_filter) { build(CP_XT_K96, 50000, 1, 4); }
Test(xtab, tiny) { build(CP_XT_K96, 1, 1, 5); build(CP_XT_K32, 3, 0, 6); }
