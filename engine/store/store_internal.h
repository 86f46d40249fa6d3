/* Store layout: the contract between the build code (control plane) and the
 * lookup code (data plane). See store.h for refs and sets.
 *
 * Exact table ("xtab"): records sorted by their keyed hash, laid out in
 * linear-probing order. A bucket is one cache line. Record r's home bucket is
 * range(a, nbuckets); it sits at the first free slot at or after the start of
 * its home, so the whole table stays sorted:
 *
 *   bucket h (one line)                bucket h+1
 *   +----+----+----+----+----+----+----+----+----+----+--
 *   |h-1 | h  | h  | h  | h  | -- | -- | -- |h+1 | -- |      (home of each slot)
 *   +----+----+----+----+----+----+----+----+----+----+--
 *
 *   k32 slots (ipv4): {u32 perm(addr), u32 ref}   8 B, 8 a bucket
 *   k96 slots:        {u64 a, u32 b, u32 ref}    16 B, 4 a bucket
 *
 * A probe reads a window of two lines, its home and the next: the second,
 * adjacent line costs almost nothing once the first is fetched (8.5 vs 8.3 ns
 * per random read here), and at the load factors below it holds the record
 * for >= 97 % of hits. Inside the window the compare is branch-free; only a
 * window that is full of smaller keys continues with a scan.
 *
 * In front of a large table sits a split-block Bloom filter (256-bit blocks,
 * 8 bits per key, 12 bits of filter per key: ~0.5 % false positives), so
 * most misses cost one 32-byte read of a structure 7x (ipv4) or 14x smaller
 * than the table. It costs each hit one more read: at 100 M keys here, misses take
 * 17 ns with it and 25-45 ns without, hits 28-58 ns with it and 21-41
 * without. Most traffic misses, so the filter is the default; a thread whose
 * recent lookups of a table mostly hit skips it (xtab.c, use_filter).
 */
#ifndef CP_STORE_INTERNAL_H
#define CP_STORE_INTERNAL_H

#include "common/cp.h"
#include "common/hash.h"
#include "store/store.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#define CP_XT_K32 1
#define CP_XT_K96 2
#define CP_XT_WINDOW_LINES 2
/* Load factors, from a simulation of this layout: at 0.80 with 8 slots a
 * line, 0.5 % of k32 hits lie past the window (1.9 % at 0.85); at 0.75 with
 * 4 slots a line, 2.8 % of k96 hits do. Bytes: 10 B/ipv4, 21.3 B/k96 key,
 * inside the 16 and 24 B budgets with a filter included. */
#define CP_XT_LOAD_K32 0.80
#define CP_XT_LOAD_K96 0.75
#define CP_XT_FILTER_BITS 12
/* Keys from which an automatic build puts a filter in front of a table.
 * ipv4: from 128 k keys (a 1.3 MB table, past L2). Alone, a table of 500 k
 * keys in the last-level cache answers a miss about as fast as a filter
 * does (chokepoint-bench lookup --count 1000000: 6.9-7.1 ns without, 4.7-6.7
 * with), but beside the packets the fast path touches, a filter that stays
 * in L2 is what keeps the table's lines out: pipeline --count 1000000 --mix
 * 64 ran 5-13 % faster with it, --count 300000 3-8 %, and --count 100000
 * (500 KB of table, in L2) the same either way. 16-byte keys: the probe
 * compares two fields in eight slots, and the filter halves a miss at
 * every size measured, from 1 000 keys in L1 (10.5 -> 5.5-6.8 ns) to 1 M
 * (17.5 -> 6.8), for ~3 ns more a hit; most lookups miss, so every such
 * table gets one. */
static inline uint64_t cp__xt_filter_min(unsigned kind)
{
	return kind == CP_XT_K32 ? 1u << 17 : 1;
}

static inline unsigned cp__xt_slot_size(unsigned kind)
{
	return kind == CP_XT_K32 ? 8 : 16;
}

static inline unsigned cp__xt_bucket_slots(unsigned kind)
{
	return CP_CACHE_LINE / cp__xt_slot_size(kind);
}

struct cp_slot32 {
	uint32_t k;
	uint32_t ref;
};

struct cp_slot96 {
	uint64_t a;
	uint32_t b;
	uint32_t ref;
};

struct cp_xtab;
typedef unsigned (*cp_xtab_lookup_fn)(const struct cp_xtab *t, const struct cp_qkey *q,
				      uint32_t *refs, unsigned n);

struct cp_xtab {
	const void *slots;
	const uint32_t *filter;   /* NULL: no filter */
	uint64_t nbuckets;
	uint64_t nslots;
	uint64_t nblocks;
	uint64_t count;
	unsigned kind;
	unsigned rate;            /* which of a thread's hit rates it keeps (< CP_XT_RATES) */
	cp_xtab_lookup_fn lookup; /* chosen once, at open */
};

/* The hit rates a thread keeps, one per table (the store's: one per type). */
#define CP_XT_RATES 8
/* A thread's recent hit rate over table t's lookups, in 1/65536ths, and
 * whether its next lookup reads the filter: for tests. */
unsigned cp__xt_hit_rate(const struct cp_xtab *t);
int cp__xt_uses_filter(const struct cp_xtab *t);

/* CIDR trie (ipv6 at run time; ipv4 while building, see range4.c): a
 * 2^16-entry first level, then 256-entry groups, one per byte.
 * Entry: 0 none; (leaf << 1) a leaf index; (group << 1 | 1) a child group. */
#define CP_LPM_L0 65536u
#define CP_LPM_GROUP 256u

struct cp_lpm {
	const uint32_t *tbl;
	const uint32_t *leaves;   /* leaf -> ref; leaf 0 is unused */
	uint64_t ngroups;
	uint64_t nleaves;
	unsigned keylen;          /* 4 or 16 */
};

/* IPv4 CIDRs as ranges per /16: see range4.c. */
#define CP_R4_CHUNKS 65536u

struct cp_range4 {
	const uint32_t *off;      /* CP_R4_CHUNKS + 1 slice bounds; NULL: none */
	const uint16_t *start;
	const uint32_t *ref;
	uint64_t n;
	uint64_t *meets;          /* bit a >> 8: some CIDR meets that /24 (made at init) */
	uint64_t meets16[CP_R4_CHUNKS / 64]; /* bit a >> 16: the same for its /16 */
	/* The store's v4map (below), whose CIDR half is meets again, beside
	 * the bit the fast path has just read (store.c sets it; NULL: none). */
	const uint64_t *v4map;
};
#define CP_R4_MEETS_BYTES (1u << 21)

/* The /24s (and /16s) where some IPv4 indicator, exact or CIDR, may match:
 * the fast path's first test of an address (v4map.c). bits == NULL: not
 * known (a snapshot from before CP_SEC_V4_MAP), every address may match.
 * The snapshot holds the exact addresses' /24s as a bitmap (CP_SEC_V4_MAP,
 * CP_V4MAP_BYTES) or, when smaller, a rising list of /24 numbers
 * (CP_SEC_V4_LIST, 4 bytes each): as a bitmap alone it cost 2 MiB in the
 * file, which grew a set of three indicators from 0.7 to 2.8 MB.
 *
 * In memory a word holds 32 /24s twice: bit j, some indicator may match in
 * the word's j'th /24; bit 32 + j, some CIDR meets it. The range lookup
 * then finds its bit in the line the fast path's test has just read,
 * instead of a line of a second 2 MiB map (see range4.c). */
#define CP_V4MAP_BYTES (1u << 21)
#define CP_V4MAP_WORDS (1u << 19)
struct cp_v4map {
	uint64_t *bits;           /* CP_V4MAP_WORDS words, as above; NULL: not known */
	uint64_t bits16[CP_R4_CHUNKS / 64]; /* bit a >> 16: some bit of that /16 */
};

static inline uint64_t cp__v4map_word(const uint64_t *bits, uint32_t addr)
{
	return bits[addr >> 13];
}

/* Whether some IPv4 indicator may match in addr's /24, or some CIDR meets
 * it (cidr: 1). */
static inline unsigned cp__v4map_test(const uint64_t *bits, uint32_t addr, unsigned cidr)
{
	return (unsigned)(cp__v4map_word(bits, addr) >> (32 * cidr + (addr >> 8 & 31))) & 1;
}

/* Made at open from the snapshot's map (size bytes) or list (n entries;
 * NULL: none) and the range table's map (r initialised first). Returns 0
 * or -EBADMSG, -ENOMEM. */
int cp__v4map_init(struct cp_v4map *m, const uint64_t *map, uint64_t size, const uint32_t *list,
		   uint64_t n, const struct cp_range4 *r, int has_exact);
void cp__v4map_fini(struct cp_v4map *m);

struct cp_r4_img {
	uint32_t *off;
	uint16_t *start;
	uint32_t *ref;
	uint64_t n;
};

/* A restored pattern database, shared by the stores of consecutive
 * snapshots whose section holds the same bytes: a reload that leaves the
 * patterns alone neither restores them again (~90 ms for 25 MB) nor holds
 * two copies. Counted on the control plane. */
struct cp_pdb {
	void *db;                 /* hs_database_t */
	uint64_t sum, size;       /* the section's XXH3-64 and size */
	unsigned refs;
};

struct cp_store {
	uint64_t seed;
	struct cp_xtab x[CP_T__COUNT];
	struct cp_range4 r4;      /* ipv4 CIDRs */
	struct cp_lpm lpm6;       /* ipv6 CIDRs */
	const struct cp_meta_rec *meta;
	uint64_t nmeta;
	const char *strs;
	uint64_t strs_size;
	const uint32_t *sets;
	uint64_t nsets;
	uint64_t shared_bytes;
	uint64_t cidr_count[2];   /* [0] ipv4, [1] ipv6 */
	int64_t first_expiry;     /* earliest valid_until of any context; 0: none */
	uint64_t sub_labels;      /* CP_SEC_DOM_LABELS, or every bit */
	struct cp_v4map v4;       /* /24s an ipv4 indicator may match in */
	uint64_t v4_file;         /* bytes of its section */
	struct cp_pdb *pdb[4];    /* per pattern target (CP_PT__COUNT <= 4) */
	const struct cp_pat_ref *pref[4];
	uint32_t npat[4];
};

/* Hash tweaks: one keyed hash per table, and two for domains so an exact
 * indicator and a subdomain indicator of the same name are distinct keys. */
static inline uint64_t cp__tweak(enum cp_itype t, int subdomains)
{
	return 0x9e3779b97f4a7c15ULL * (uint64_t)(2 * t + 1 + (subdomains ? 1 : 0));
}

static inline void cp__key_ipv4(uint64_t seed, uint32_t addr, struct cp_qkey *k)
{
	k->a = (uint64_t)cp_perm32(seed, addr) << 32;
	k->b = 0;
	k->pad = 0;
}

static inline void cp__key_bytes(uint64_t seed, uint64_t tweak, const void *p, size_t n,
				 struct cp_qkey *k)
{
	struct cp_h128 h = cp_hash128(seed ^ tweak, p, n);

	k->a = h.hi;
	k->b = (uint32_t)h.lo;
	k->pad = 0;
}

/* Split-block Bloom filter over (a, b). */
static inline uint64_t cp__filt_hash(uint64_t a, uint32_t b)
{
	return cp_mix64(a ^ b);
}

static inline const uint32_t *cp__filt_block(const uint32_t *f, uint64_t nblocks, uint64_t h)
{
	return f + cp_range64(h, nblocks) * 8;
}

static const uint32_t cp__filt_salt[8] = { 0x47b6137bu, 0x44974d91u, 0x8824ad5bu, 0xa2b7289du,
					   0x705495c7u, 0x2df1424bu, 0x9efc4947u, 0x5c6bfb31u };

static inline uint32_t cp__filt_bit(uint32_t x, unsigned i)
{
	return 1u << ((x * cp__filt_salt[i]) >> 27);
}

/* Whether every bit of h's is set in the block. With AVX2, the eight
 * words at once and one vptest: the scalar loop compiled to a vector
 * multiply and a five-step OR reduction, and the test took 11.9 ns a miss
 * at 100 M IPv4 keys against 11.4 (chokepoint-bench lookup --count
 * 100000000 --no-rte-hash, alternating passes, 6 of 6). */
static inline int cp__filt_test(const uint32_t *blk, uint64_t h)
{
#if defined(__AVX2__)
	__m256i salt = _mm256_loadu_si256((const __m256i *)cp__filt_salt);
	__m256i x = _mm256_mullo_epi32(_mm256_set1_epi32((int)(uint32_t)h), salt);
	__m256i bits = _mm256_sllv_epi32(_mm256_set1_epi32(1), _mm256_srli_epi32(x, 27));

	return _mm256_testc_si256(_mm256_loadu_si256((const __m256i *)blk), bits);
#else
	uint32_t miss = 0;

	for (unsigned i = 0; i < 8; i++)
		miss |= ~blk[i] & cp__filt_bit((uint32_t)h, i);
	return miss == 0;
#endif
}

/* Build side (control plane). */
struct cp_xrec {
	uint64_t a;
	uint32_t b;
	uint32_t ref;
};

/* Sorts r[0..n) by (a, b), using tmp (n records) as scratch; returns the
 * buffer that holds the result (r or tmp). */
struct cp_xrec *cp__xrec_sort(struct cp_xrec *r, struct cp_xrec *tmp, size_t n);

struct cp_xtab_img {
	void *slots;
	size_t slots_size;
	uint32_t *filter;         /* NULL when no filter */
	size_t filter_size;
	uint64_t nbuckets;
	uint64_t nblocks;
	uint64_t count;           /* records */
	uint64_t max_run;         /* longest distance of a record from its home */
};

/* Lays out sorted records with distinct keys and non-zero refs. with_filter:
 * 1 always, 0 never, -1 when the table is large. Memory from cp_mem_alloc();
 * free it with cp__xtab_img_free(). Returns 0 or -ENOMEM. */
int cp__xtab_build(unsigned kind, const struct cp_xrec *r, size_t n, int with_filter,
		   struct cp_xtab_img *img);
void cp__xtab_img_free(struct cp_xtab_img *img);

/* The same layout built piece by piece, for records that come in sorted
 * runs (a hash range at a time, from disk, when the set is larger than
 * memory): each run is placed after all before it, and the slots finished
 * since the last call are handed back (valid until the next call), ready to
 * be written. n is the total of distinct records to come. */
struct cp_xtab_placer {
	unsigned kind;
	uint64_t nb, bs, ss;      /* buckets, slots a bucket, slot bytes */
	uint64_t pos;             /* first slot a record may still take */
	uint64_t done;            /* slots handed back */
	uint64_t max_run, count;
	void *buf;                /* the slots [done, ...) being placed */
	size_t cap;
	uint32_t *filter;         /* whole, built as records come */
	size_t filter_size;
	uint64_t nblocks;
};

int cp__xtab_placer_init(struct cp_xtab_placer *p, unsigned kind, uint64_t n, int with_filter);
/* r[0..n): sorted, distinct, above every record placed before. */
int cp__xtab_place(struct cp_xtab_placer *p, const struct cp_xrec *r, size_t n,
		   const void **out, size_t *size);
/* The trailing empty slots; the table is then p->done slots. */
int cp__xtab_place_end(struct cp_xtab_placer *p, const void **out, size_t *size);
void cp__xtab_placer_free(struct cp_xtab_placer *p);

/* Wires a runtime table over an image; returns 0 or -EBADMSG when the
 * geometry is inconsistent. */
int cp__xtab_init(struct cp_xtab *t, unsigned kind, const void *slots, uint64_t slots_size,
		  uint64_t nbuckets, const uint32_t *filter, uint64_t filter_size,
		  uint64_t nblocks, uint64_t count);

uint32_t cp__lpm_lookup(const struct cp_lpm *l, const uint8_t *key);
uint32_t cp__r4_lookup(const struct cp_range4 *r, uint32_t addr);
/* Frees what cp__r4_init made (the /24 bitmap). */
void cp__r4_fini(struct cp_range4 *r);

/* The bit of CP_SEC_DOM_LABELS for a name of so many labels. */
static inline uint64_t cp__label_bit(unsigned labels)
{
	return 1ull << (labels < 63 ? labels : 63);
}

static inline unsigned cp__labels(const void *name, size_t n)
{
	const char *s = name;
	unsigned k = 1;

	for (size_t i = 0; i < n; i++)
		k += s[i] == '.';
	return k;
}
struct cp_r4_burst {
	const uint32_t *addrs;
	unsigned m;                        /* addresses still going on */
	uint16_t at[CP_STORE_BULK_MAX];    /* their indexes */
	uint32_t lo[CP_STORE_BULK_MAX], cnt[CP_STORE_BULK_MAX];  /* their chunk's ranges */
};
/* The bulk lookup's stages, for r->off != NULL: 1 fetches the bitmap's and
 * offsets' lines, 2 tests the bitmap and fetches the ranges, 3 ranks and
 * writes refs[i] where it is 0. A round trip should lie between each. */
void cp__r4_stage1(const struct cp_range4 *r, struct cp_r4_burst *b, const uint32_t *addrs,
		   unsigned n);
void cp__r4_stage2(const struct cp_range4 *r, struct cp_r4_burst *b);
void cp__r4_stage3(const struct cp_range4 *r, struct cp_r4_burst *b, uint32_t *refs);
/* Exact then CIDR for one burst of IPv4 keys (t: a k32 table), their
 * stages interleaved (xtab.c); r: NULL when the set has no IPv4 CIDRs. */
void cp__xt_lookup_v4(const struct cp_xtab *t, const struct cp_range4 *r,
		      const struct cp_qkey *q, const uint32_t *addrs, uint32_t *refs, unsigned n);
/* n <= CP_STORE_BULK_MAX addresses. */
void cp__r4_lookup_bulk(const struct cp_range4 *r, const uint32_t *addrs, uint32_t *refs,
			unsigned n);
/* r: zeroed, or set by an earlier cp__r4_init (whose bitmap it frees). */
int cp__r4_init(struct cp_range4 *r, const uint32_t *off, uint64_t off_size,
		const uint16_t *start, uint64_t start_size, const uint32_t *ref,
		uint64_t ref_size);
int cp__lpm_init(struct cp_lpm *l, const uint32_t *tbl, uint64_t tbl_size, uint64_t ngroups,
		 unsigned keylen, const uint32_t *leaves, uint64_t leaves_size);

#endif
