/* Where IPv4 indicators may match: a bit per /24 (in 4 MiB, beside a bit per
 * /24 for the CIDRs alone) and per /16 (8 KiB), the fast path's first test
 * of every address (data plane), made when a set is opened (control plane).
 *
 * Most addresses a chokepoint sees are benign, and most lie in /24s that no
 * indicator touches: the pipeline bench's uniform addresses, 97 % of them
 * at 1 M indicators and 78 % at 100 M. Such an address is answered from
 * these bits, with no key made and neither the exact table's filter (75 MB
 * at 100 M, a line from memory) nor the range table read. The /16 bits stay
 * in L1 and spare the /24 line for addresses outside every /16 in use. */
#include "store/store_internal.h"
#include "common/mem.h"

#include <errno.h>
#include <string.h>

#define V4MAP_SIZE ((size_t)CP_V4MAP_WORDS * 8)

static void make16(struct cp_v4map *m)
{
	memset(m->bits16, 0, sizeof(m->bits16));
	for (uint32_t c = 0; c < CP_R4_CHUNKS; c++) {
		const uint64_t *w = &m->bits[c * 8];  /* 256 /24s: eight words */
		uint64_t any = 0;
		for (unsigned i = 0; i < 8; i++)
			any |= w[i];
		if ((uint32_t)any != 0)
			m->bits16[c / 64] |= 1ull << (c % 64);
	}
}

void cp__v4map_fini(struct cp_v4map *m)
{
	if (m->bits != NULL)
		cp_mem_free(m->bits, V4MAP_SIZE);
	*m = (struct cp_v4map){ 0 };
}

/* A list's /24s into the first half of the words: rising numbers below
 * 2^24, checked here. */
static int from_list(uint64_t *bits, const uint32_t *l, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (l[i] >> 24 != 0 || (i != 0 && l[i] <= l[i - 1]))
			return -EBADMSG;
		bits[l[i] / 32] |= 1ull << (l[i] % 32);
	}
	return 0;
}

/* A map of a bit per /24 (CP_V4MAP_BYTES) into the first half of the
 * words, and into their second (cidr) as well. */
static void from_map(uint64_t *bits, const uint64_t *map, int cidr)
{
	uint64_t both = cidr ? 0x100000001ull : 1;

	for (size_t i = 0; i < CP_V4MAP_BYTES / 8; i++) {
		bits[2 * i] |= (map[i] & 0xffffffffu) * both;
		bits[2 * i + 1] |= (map[i] >> 32) * both;
	}
}

int cp__v4map_init(struct cp_v4map *m, const uint64_t *map, uint64_t size, const uint32_t *list,
		   uint64_t n, const struct cp_range4 *r, int has_exact)
{
	cp__v4map_fini(m);
	if ((map != NULL && (list != NULL || size != CP_V4MAP_BYTES)) ||
	    (list != NULL && n == 0))
		return -EBADMSG;
	/* A set with exact addresses but no map predates it: nothing known. */
	if (map == NULL && list == NULL && has_exact)
		return 0;
	if (map == NULL && list == NULL && r->meets == NULL)
		return 0;  /* no IPv4 at all: the lookups cost nothing anyway */
	/* 4 MiB made here whatever the set, in ~1 ms (0.6 once its pages
	 * are in): less than a second layout on the fast path would cost. */
	if ((m->bits = cp_mem_alloc(V4MAP_SIZE)) == NULL)
		return -ENOMEM;
	memset(m->bits, 0, V4MAP_SIZE);
	if (list != NULL && from_list(m->bits, list, n) != 0) {
		cp__v4map_fini(m);
		return -EBADMSG;
	}
	if (map != NULL)
		from_map(m->bits, map, 0);
	if (r->meets != NULL)
		from_map(m->bits, r->meets, 1);
	make16(m);
	return 0;
}

/* In passes, as the tables are read: the /16 bits (L1) for all, then the
 * /24 words of those that pass fetched together, then tested. */
unsigned cp_store_v4_candidates(const struct cp_store *s, const uint32_t *addrs, unsigned n,
				uint16_t *keep)
{
	const struct cp_v4map *m = &s->v4;
	unsigned k = 0;

	if (n > CP_STORE_BULK_MAX)
		n = CP_STORE_BULK_MAX;
	if (m->bits == NULL) {
		for (unsigned i = 0; i < n; i++)
			keep[i] = (uint16_t)i;
		return n;
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t c = addrs[i] >> 16;
		keep[k] = (uint16_t)i;
		k += m->bits16[c / 64] >> (c % 64) & 1;
	}
	for (unsigned j = 0; j < k; j++)
		cp_prefetch(&m->bits[addrs[keep[j]] >> 13]);
	unsigned w = 0;
	for (unsigned j = 0; j < k; j++) {
		keep[w] = keep[j];
		w += cp__v4map_test(m->bits, addrs[keep[j]], 0);
	}
	return w;
}
