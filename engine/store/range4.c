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

#include <errno.h>

/* The search inside a chunk's ranges [lo, hi). */
static inline uint32_t search(const struct cp_range4 *r, uint32_t lo, uint32_t hi, uint16_t k)
{
	/* Invariant: start[lo] <= k, and start[hi] > k or hi is the end. */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (r->start[mid] <= k)
			lo = mid;
		else
			hi = mid;
	}
	return r->ref[lo];
}

uint32_t cp__r4_lookup(const struct cp_range4 *r, uint32_t addr)
{
	if (r->off == NULL)
		return 0;
	return search(r, r->off[addr >> 16], r->off[(addr >> 16) + 1], (uint16_t)addr);
}

/* In passes over the burst, as the exact tables do: the chunk offsets
 * (256 KiB, mostly cached) for all, then each chunk's first start and ref
 * (MBs at scale: a DRAM read each), then the searches, which a chunk of
 * few ranges keeps to the lines already fetched. */
void cp__r4_lookup_bulk(const struct cp_range4 *r, const uint32_t *addrs, uint32_t *refs,
			unsigned n)
{
	uint32_t lo[CP_STORE_BULK_MAX];

	if (r->off == NULL) {
		for (unsigned i = 0; i < n; i++)
			refs[i] = 0;
		return;
	}
	for (unsigned i = 0; i < n; i++)
		cp_prefetch(&r->off[addrs[i] >> 16]);
	for (unsigned i = 0; i < n; i++) {
		lo[i] = r->off[addrs[i] >> 16];
		cp_prefetch(&r->start[lo[i]]);
		cp_prefetch(&r->ref[lo[i]]);
	}
	for (unsigned i = 0; i < n; i++)
		refs[i] = search(r, lo[i], r->off[(addrs[i] >> 16) + 1], (uint16_t)addrs[i]);
}

int cp__r4_init(struct cp_range4 *r, const uint32_t *off, uint64_t off_size,
		const uint16_t *start, uint64_t start_size, const uint32_t *ref,
		uint64_t ref_size)
{
	uint64_t n = start_size / 2;

	*r = (struct cp_range4){ 0 };
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
	r->off = off;
	r->start = start;
	r->ref = ref;
	r->n = n;
	return 0;
}
