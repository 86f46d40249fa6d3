/* IPv4 CIDRs as a range table: lookup (data plane), checks (control plane).
 *
 * The CIDRs flatten to disjoint address ranges, each with the ref of the
 * longest prefix covering it. The ranges of each /16 ("chunk") are a slice of
 * two parallel arrays, found through off[]:
 *
 *   off[c] .. off[c+1]   the ranges of chunk c (at least one; the first
 *                        starts at 0)
 *   start[i]             the range's first address, low 16 bits
 *   ref[i]               its ref, 0 for no CIDR
 *
 * A chunk with one range answers from off[] and ref[]; otherwise a binary
 * search over a few u16 starts, usually in one cache line. Each CIDR adds at
 * most two ranges, ~12 B. The byte trie it replaces spent a 1 KiB group per
 * /16 and per /24 with a longer prefix inside: the 271 k CIDRs of a mixed
 * 10 M feed cost 110 MB there (36.7 B per IPv4 indicator) and 3.1 MB here
 * (477 k ranges).
 */
#include "store/store_internal.h"
#include "common/mem.h"

#include <errno.h>
#include <string.h>
#if defined(__AVX512BW__)
#include <immintrin.h>
#endif

/* The range of k inside a chunk's ranges [lo, hi). */
static inline uint32_t search_at(const struct cp_range4 *r, uint32_t lo, uint32_t hi, uint16_t k)
{
	/* Invariant: start[lo] <= k, and start[hi] > k or hi is the end. */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (r->start[mid] <= k)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

uint32_t cp__r4_lookup(const struct cp_range4 *r, uint32_t addr)
{
	if (r->off == NULL)
		return 0;
	return r->ref[search_at(r, r->off[addr >> 16], r->off[(addr >> 16) + 1], (uint16_t)addr)];
}

/* The rank of k among a chunk's n starts (how many are <= k; the first is
 * 0, so >= 1), for n <= RANK_MAX: a count, not a search, so its loads are
 * independent and go to lines already prefetched. A binary search over a
 * /16 of 60 ranges made three dependent loads and a final one into ref[],
 * and at 100 M indicators with 1 % CIDRs the pipeline ran at half the rate
 * of the same set without CIDRs (chokepoint-bench pipeline --cidrs 10|0). */
#if defined(__AVX512BW__)
#define RANK_MAX 256u
static inline uint32_t rank(const uint16_t *s, uint32_t n, uint16_t k)
{
	__m512i kv = _mm512_set1_epi16((short)k);
	uint32_t c = 0;

	for (uint32_t i = 0; i < n; i += 32) {
		__mmask32 in = n - i >= 32 ? ~0u : (1u << (n - i)) - 1;
		__m512i v = _mm512_maskz_loadu_epi16(in, s + i);
		c += (uint32_t)__builtin_popcount(_mm512_mask_cmple_epu16_mask(in, v, kv));
	}
	return c;
}
#else
#define RANK_MAX 16u
static inline uint32_t rank(const uint16_t *s, uint32_t n, uint16_t k)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < n; i++)
		c += s[i] <= k;
	return c;
}
#endif

/* In passes over the burst, as the exact tables do. An address in a /24
 * that no CIDR meets is answered from a 2 MiB bitmap (made at load, from
 * the table itself), after an 8 KiB one of /16s that stays in L1 (the
 * 2 MiB one alone cost a line from L3 an address: at 1 M indicators the
 * pipeline ran 15-20 % slower with 1 % CIDRs than without), and reads
 * nothing else: with 1 % CIDRs of /24../30 at
 * 100 M indicators that is ~97 % of uniform addresses, where a bitmap of
 * /16s let only ~75 % off (every /16 of the feed's clusters holds some
 * CIDR), and the three lines the others read (offset, starts, ref) had
 * cost the pipeline ~35 % (chokepoint-bench pipeline --cidrs 10|0).
 *
 * Three stages, each a pass with one round trip behind it: the /24 bits
 * are tested (from the store's v4map, in a line the fast path has just
 * read) and the chunk offsets' lines (256 KiB) fetched for the rest, or,
 * without a v4map, the bitmap's and offsets' lines are fetched for all
 * and tested next; then the rest fetch their chunk's starts and refs,
 * then rank. The exact IPv4 lookup runs them between its own passes
 * (cp__xt_lookup_v4), so that the round trips of both tables overlap. */
void cp__r4_stage1(const struct cp_range4 *r, struct cp_r4_burst *b, const uint32_t *addrs,
		   unsigned n)
{
	const uint64_t *map = r->v4map;

	b->addrs = addrs;
	b->m = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t c = addrs[i] >> 16;
		b->at[b->m] = (uint16_t)i;
		b->m += r->meets16[c / 64] >> (c % 64) & 1;
	}
	/* The /24 bit from the v4map's word, whose line the fast path read
	 * for these addresses a moment ago: only the few that go on fetch
	 * their chunk's offsets. Reading a line of meets and the offsets for
	 * every address instead ran 27.1 against 28.0 Mpps (pipeline --count
	 * 100000000 --mix 64, Zipf, alternating passes). */
	if (map != NULL) {
		unsigned m = 0;
		for (unsigned j = 0; j < b->m; j++) {
			b->at[m] = b->at[j];
			m += cp__v4map_test(map, addrs[b->at[j]], 1);
		}
		b->m = m;
	}
	for (unsigned j = 0; j < b->m; j++) {
		if (map == NULL)
			cp_prefetch(&r->meets[addrs[b->at[j]] >> 14]);
		cp_prefetch(&r->off[addrs[b->at[j]] >> 16]);
	}
}

void cp__r4_stage2(const struct cp_range4 *r, struct cp_r4_burst *b)
{
	const uint32_t *addrs = b->addrs;
	unsigned m = b->m;

	if (r->v4map == NULL) {  /* stage 1 tested nothing: the meets bits now */
		m = 0;
		for (unsigned j = 0; j < b->m; j++) {
			uint32_t x = addrs[b->at[j]] >> 8;
			b->at[m] = b->at[j];
			m += r->meets[x / 64] >> (x % 64) & 1;
		}
		b->m = m;
	}
	/* The few that go on fetch their chunk's starts and refs at once: the
	 * ref's line is known only after the rank, and a second round trip for
	 * two or three addresses a burst is all latency. */
	for (unsigned j = 0; j < m; j++) {
		uint32_t c = addrs[b->at[j]] >> 16, e;
		b->lo[j] = r->off[c];
		b->cnt[j] = r->off[c + 1] - b->lo[j];
		e = b->cnt[j] < RANK_MAX ? b->cnt[j] : RANK_MAX;
		for (uint32_t x = 0; x < e; x += 32)
			cp_prefetch(&r->start[b->lo[j] + x]);
		cp_prefetch(&r->start[b->lo[j] + e - 1]);
		for (uint32_t x = 0; x < e; x += 16)
			cp_prefetch(&r->ref[b->lo[j] + x]);
		cp_prefetch(&r->ref[b->lo[j] + e - 1]);
	}
}

/* Writes the range's ref of each address whose refs[] is still 0: an
 * exact hit's set already holds the CIDRs covering it. */
void cp__r4_stage3(const struct cp_range4 *r, struct cp_r4_burst *b, uint32_t *refs)
{
	for (unsigned j = 0; j < b->m; j++) {
		if (refs[b->at[j]] != 0)
			continue;
		uint16_t k = (uint16_t)b->addrs[b->at[j]];
		uint32_t lo = b->cnt[j] <= RANK_MAX ? b->lo[j] + rank(r->start + b->lo[j], b->cnt[j], k) - 1
						    : search_at(r, b->lo[j], b->lo[j] + b->cnt[j], k);
		refs[b->at[j]] = r->ref[lo];
	}
}

void cp__r4_lookup_bulk(const struct cp_range4 *r, const uint32_t *addrs, uint32_t *refs,
			unsigned n)
{
	struct cp_r4_burst b;

	for (unsigned i = 0; i < n; i++)
		refs[i] = 0;
	if (r->off == NULL)
		return;
	cp__r4_stage1(r, &b, addrs, n);
	cp__r4_stage2(r, &b);
	cp__r4_stage3(r, &b, refs);
}

/* Bits lo..hi of map, a word at a time: a /16 CIDR spans 256 of them, and
 * at load the 3 M CIDRs of a 100 M feed spent ~20 ms a bit at a time. */
static void set_bits(uint64_t *map, uint64_t lo, uint64_t hi)
{
	for (uint64_t b = lo; b <= hi;) {
		uint64_t w = b / 64, from = b % 64, to = hi / 64 == w ? hi % 64 : 63;
		map[w] |= (~0ull >> (63 - to)) & (~0ull << from);
		b = (w + 1) * 64;
	}
}

void cp__r4_fini(struct cp_range4 *r)
{
	if (r->meets != NULL)
		cp_mem_free(r->meets, CP_R4_MEETS_BYTES);
	*r = (struct cp_range4){ 0 };
}

int cp__r4_init(struct cp_range4 *r, const uint32_t *off, uint64_t off_size,
		const uint16_t *start, uint64_t start_size, const uint32_t *ref,
		uint64_t ref_size)
{
	uint64_t n = start_size / 2, *meets;

	cp__r4_fini(r);
	if (off == NULL && start == NULL && ref == NULL)
		return 0;
	if (off == NULL || start == NULL || ref == NULL || off_size != CP_R4_CHUNKS * 4 + 4 ||
	    start_size % 2 != 0 || ref_size != n * 4 || off[0] != 0 || off[CP_R4_CHUNKS] != n)
		return -EBADMSG;
	/* One pass at load keeps the lookup free of checks: every chunk has a
	 * first range at 0 and strictly rising starts inside the arrays. */
	for (uint64_t c = 0; c < CP_R4_CHUNKS; c++) {
		if (off[c + 1] <= off[c] || off[c + 1] > n || start[off[c]] != 0)
			return -EBADMSG;
		for (uint64_t i = off[c] + 1; i < off[c + 1]; i++)
			if (start[i] <= start[i - 1])
				return -EBADMSG;
	}
	if ((meets = cp_mem_alloc(CP_R4_MEETS_BYTES)) == NULL)
		return -ENOMEM;
	memset(meets, 0, CP_R4_MEETS_BYTES);
	for (uint64_t c = 0; c < CP_R4_CHUNKS; c++)
		for (uint64_t i = off[c]; i < off[c + 1]; i++) {
			uint64_t last = i + 1 < off[c + 1] ? start[i + 1] - 1u : 0xffffu;
			if (ref[i] == 0)
				continue;
			r->meets16[c / 64] |= 1ull << (c % 64);
			set_bits(meets, c << 8 | start[i] >> 8, c << 8 | last >> 8);
		}
	r->off = off;
	r->start = start;
	r->ref = ref;
	r->n = n;
	r->meets = meets;
	return 0;
}
