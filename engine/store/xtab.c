/* Exact tables: bulk lookup (data plane) and geometry checks (control plane).
 *
 * The bulk lookup is one loop over the burst that tests each key while the
 * lines of the keys a fixed distance behind it are on their way (AHEAD_*),
 * so the memory and the core stay busy at once. */
#include "store/store_internal.h"

#include <errno.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#define W32 (CP_XT_WINDOW_LINES * 8)
#define W96 (CP_XT_WINDOW_LINES * 4)

/* Past the window: the rare scan (0.5 % of k32 hits, 2.8 % of k96 hits, by
 * simulation), which stops at the first slot that is empty or greater. */
static uint32_t scan32(const struct cp_xtab *t, uint64_t i, uint32_t k)
{
	const struct cp_slot32 *s = t->slots;

	for (; i < t->nslots && s[i].ref != 0 && s[i].k <= k; i++)
		if (s[i].k == k)
			return s[i].ref;
	return 0;
}

static uint32_t scan96(const struct cp_xtab *t, uint64_t i, const struct cp_qkey *q)
{
	const struct cp_slot96 *s = t->slots;

	for (; i < t->nslots && s[i].ref != 0; i++) {
		if (s[i].a > q->a || (s[i].a == q->a && s[i].b >= q->b))
			return s[i].a == q->a && s[i].b == q->b ? s[i].ref : 0;
	}
	return 0;
}

/* Keys are distinct and empty slots have ref 0, so OR-ing the ref of every
 * slot whose key equals the probe's yields the match or 0, with no branch
 * on the data: an earlier loop that stopped at the first greater key
 * mispredicted about once a probe and ran at 30-45 ns instead of ~10.
 * *past: the key may lie past the window (the caller scans on). */
static inline uint32_t probe32(const struct cp_xtab *t, uint64_t pos, const struct cp_qkey *q,
			       unsigned *past)
{
	const struct cp_slot32 *s = (const struct cp_slot32 *)t->slots + pos;
	uint32_t k = (uint32_t)(q->a >> 32), ref = 0;

	for (unsigned i = 0; i < W32; i++)
		ref |= s[i].ref & -(uint32_t)(s[i].k == k);
	/* One branch on the rare case, not three: whether the window's last
	 * slot is taken is a coin that comes up 80/20 for a miss, and
	 * branching on it mispredicted often enough that misses of a table in
	 * L1 cost 2.4x its hits (10k keys: 9.9 vs 4.1 ns). */
	*past = (ref == 0) & (s[W32 - 1].ref != 0) & (s[W32 - 1].k < k);
	return ref;
}

/* A mask of the 32-bit lanes of the window's eight 16-byte slots equal to
 * the probe's (a, b): four bits a slot, of which a match sets the low three
 * (a's halves and b; the ref lane is left out). The scalar loop this
 * replaced ran ~60 instructions a probe, enough that the probe pass held
 * only a few keys' loads in the reorder window: domain hits at 20 M keys
 * took 22-27 ns against 10 ns for a pass that only read the two lines
 * (chokepoint-bench lookup --count 20000000 --filter no). */
static inline uint32_t lanes96(const struct cp_slot96 *s, const struct cp_qkey *q)
{
#if defined(__AVX512F__)
	__m512i k = _mm512_broadcast_i32x4(_mm_set_epi32(0, (int)q->b, (int)(q->a >> 32),
							 (int)q->a));
	uint32_t lo = _mm512_mask_cmpeq_epi32_mask(0x7777, _mm512_loadu_si512(s), k);
	uint32_t hi = _mm512_mask_cmpeq_epi32_mask(0x7777, _mm512_loadu_si512(s + 4), k);
	return lo | hi << 16;
#elif defined(__SSE2__)
	__m128i k = _mm_set_epi32(0, (int)q->b, (int)(q->a >> 32), (int)q->a);
	uint32_t m = 0;

	for (unsigned i = 0; i < W96; i++) {
		__m128i e = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(s + i)), k);
		m |= (uint32_t)(_mm_movemask_ps(_mm_castsi128_ps(e)) & 7) << (4 * i);
	}
	return m;
#else
	uint32_t m = 0;

	for (unsigned i = 0; i < W96; i++)
		m |= (uint32_t)((s[i].a == q->a) & (s[i].b == q->b)) * 7u << (4 * i);
	return m;
#endif
}

/* A slot matches when all three of its compared lanes do; then one branch,
 * as predictable as the hit ratio. *past: a miss whose window is full of
 * smaller keys, which may lie further on. */
static inline uint32_t probe96(const struct cp_xtab *t, uint64_t pos, const struct cp_qkey *q,
			       unsigned *past)
{
	const struct cp_slot96 *s = (const struct cp_slot96 *)t->slots + pos;
	const struct cp_slot96 *e = &s[W96 - 1];
	uint32_t m = lanes96(s, q);

	m &= (m >> 1) & (m >> 2) & 0x11111111u;
	*past = 0;
	if (m != 0)
		return s[__builtin_ctz(m) >> 2].ref;
	*past = e->ref != 0 && (e->a < q->a || (e->a == q->a && e->b < q->b));
	return 0;
}

static inline void prefetch_window(const struct cp_xtab *t, uint64_t slot, unsigned kind)
{
	const char *p = (const char *)t->slots + slot * cp__xt_slot_size(kind);

	for (unsigned l = 0; l < CP_XT_WINDOW_LINES; l++)
		cp_prefetch_l2(p + l * CP_CACHE_LINE);
}

/* The line after a window, where a scan past it starts. */
static inline void prefetch_next(const struct cp_xtab *t, uint64_t slot, unsigned kind)
{
	uint64_t next = slot + CP_XT_WINDOW_LINES * cp__xt_bucket_slots(kind);

	if (next < t->nslots)
		prefetch_window(t, next, kind);
}

/* Whether a lookup reads the filter first. A miss costs a filter line with
 * it and a table line without; a hit costs both with it. At 100 M keys here
 * (chokepoint-bench lookup --count 100000000 --filter yes|no, two runs each)
 * a domain miss took 17.5-20.6 ns with the filter and 27.0-27.4 without, a
 * hit 45.8-56.2 with and 26.5-27.3 without: the filter pays while under
 * about a quarter of lookups hit. Traffic mostly misses and keeps it; a
 * stream that mostly hits (a flood from listed hosts, a batch of known-bad
 * values) goes straight to the table. Each thread keeps its own moving
 * average of each table's hit rate (1/8 weight per call, in 1/65536ths),
 * so lcores share no line; both paths give the same answers. */
#define RATE_ONE 65536u
#define RATE_SKIP (RATE_ONE / 4)
static __thread uint32_t hit_rate[CP_XT_RATES];

unsigned cp__xt_hit_rate(const struct cp_xtab *t)
{
	return hit_rate[t->rate];
}

int cp__xt_uses_filter(const struct cp_xtab *t)
{
	return t->filter != NULL && hit_rate[t->rate] < RATE_SKIP;
}

static inline void note_hits(const struct cp_xtab *t, unsigned hits, unsigned n)
{
	uint32_t *r = &hit_rate[t->rate];

	if (n != 0)
		*r = *r - (*r >> 3) + (uint32_t)((uint64_t)hits * RATE_ONE / n >> 3);
}

/* How many keys ahead of the one being tested its successors' lines are
 * fetched, into L2: a window (two lines) 48 keys ahead, a filter block 56,
 * nearly a whole burst. Fetched into L1 (prefetcht0), each line held one
 * of the core's L1 miss buffers until it came, and ~16-20 in flight were
 * all the lookups got: at 100 M keys a hit took 19.6 ns (IPv4) and 22.6
 * (domains), two random reads' worth. Into L2 (prefetcht1) more are in
 * flight, and the probe's loads find their lines in L2: same-process
 * alternating passes, chokepoint-bench lookup --count 100000000
 * --no-rte-hash, 6 of 6 each: IPv4 hits 19.6 -> 9.9 ns and misses 13.8 ->
 * 9.8, domain hits 22.6 -> 12.2 and misses 14.5 -> 10.8, against a
 * random read of 9.7 ns (prefetched into L1). Distances 24/28 were
 * slower, 32/40 between.
 * Before this loop rolled, the whole burst was fetched (into L1) and then
 * tested, each idle while the other ran: 20-30 ns. */
#define AHEAD_WIN 48u
#define AHEAD_FILT 56u

struct roll {
	uint64_t pos[CP_STORE_BULK_MAX];    /* window of each key probed */
	uint16_t later[CP_STORE_BULK_MAX];  /* keys whose window is full: scanned last */
	unsigned nl, hits;
	struct cp_r4_burst b;
};

static inline __attribute__((always_inline)) void
probe_at(const struct cp_xtab *t, const struct cp_qkey *q, uint32_t *refs, unsigned i,
	 unsigned kind, struct roll *w)
{
	unsigned past = 0;

	refs[i] = kind == CP_XT_K32 ? probe32(t, w->pos[i], &q[i], &past)
				    : probe96(t, w->pos[i], &q[i], &past);
	w->hits += refs[i] != 0;
	/* A key past its window (2.8 % of k96 hits, 0.5 % of k32 ones) would
	 * stall the loop for a whole round trip: its next line is fetched now
	 * and scanned after the others. */
	if (cp_unlikely(past)) {
		prefetch_next(t, w->pos[i], kind);
		w->later[w->nl++] = (uint16_t)i;
	}
}

static inline __attribute__((always_inline)) void
fetch_window(const struct cp_xtab *t, const struct cp_qkey *q, unsigned i, unsigned kind,
	     struct roll *w)
{
	w->pos[i] = cp_range64(q[i].a, t->nbuckets) * cp__xt_bucket_slots(kind);
	prefetch_window(t, w->pos[i], kind);
}

/* No filter: each key's window is fetched AHEAD_WIN keys before it is
 * probed. The CIDR stage between (r4: NULL, or its burst in w->b) runs
 * halfway, a round trip after its first stage and before its last. */
static inline __attribute__((always_inline)) void
roll_direct(const struct cp_xtab *t, const struct cp_qkey *q, uint32_t *refs, unsigned n,
	    unsigned kind, const struct cp_range4 *r4, struct roll *w)
{
	for (unsigned i = 0; i < n && i < AHEAD_WIN; i++)
		fetch_window(t, q, i, kind, w);
	for (unsigned i = 0; i < n; i++) {
		if (i + AHEAD_WIN < n)
			fetch_window(t, q, i + AHEAD_WIN, kind, w);
		if (r4 != NULL && i == n / 2)
			cp__r4_stage2(r4, &w->b);
		probe_at(t, q, refs, i, kind, w);
	}
}

/* The filter first: each key's block is fetched AHEAD_FILT keys before it
 * is tested, and the few that pass have their windows fetched then and
 * probed after the loop. */
static inline __attribute__((always_inline)) void
roll_filter(const struct cp_xtab *t, const struct cp_qkey *q, uint32_t *refs, unsigned n,
	    unsigned kind, const struct cp_range4 *r4, struct roll *w)
{
	uint64_t fh[CP_STORE_BULK_MAX];
	uint16_t pass[CP_STORE_BULK_MAX];
	unsigned np = 0;

	for (unsigned i = 0; i < n && i < AHEAD_FILT; i++) {
		fh[i] = cp__filt_hash(q[i].a, q[i].b);
		cp_prefetch_l2(cp__filt_block(t->filter, t->nblocks, fh[i]));
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned j = i + AHEAD_FILT;
		if (j < n) {
			fh[j] = cp__filt_hash(q[j].a, q[j].b);
			cp_prefetch_l2(cp__filt_block(t->filter, t->nblocks, fh[j]));
		}
		if (r4 != NULL && i == n / 2)
			cp__r4_stage2(r4, &w->b);
		refs[i] = 0;
		if (cp__filt_test(cp__filt_block(t->filter, t->nblocks, fh[i]), fh[i])) {
			fetch_window(t, q, i, kind, w);
			pass[np++] = (uint16_t)i;
		}
	}
	for (unsigned k = 0; k < np; k++)
		probe_at(t, q, refs, pass[k], kind, w);
}

/* Inlined into lookup32, lookup96 and cp__xt_lookup_v4, so kind and
 * whether r4 is NULL are constants in each. r4: the CIDR lookup of addrs
 * (the keys' addresses), whose stages run around and inside this one's
 * loop and fill in the refs of the exact misses. */
static inline __attribute__((always_inline)) unsigned
lookup_generic(const struct cp_xtab *t, const struct cp_qkey *q, uint32_t *refs, unsigned n,
	       unsigned kind, const struct cp_range4 *r4, const uint32_t *addrs)
{
	struct roll w;

	if (n > CP_STORE_BULK_MAX)
		n = CP_STORE_BULK_MAX;
	if (n == 0)
		return 0;
	w.nl = 0;
	w.hits = 0;
	if (r4 != NULL)
		cp__r4_stage1(r4, &w.b, addrs, n);
	if (cp__xt_uses_filter(t))
		roll_filter(t, q, refs, n, kind, r4, &w);
	else
		roll_direct(t, q, refs, n, kind, r4, &w);
	for (unsigned j = 0; j < w.nl; j++) {
		unsigned i = w.later[j];
		refs[i] = kind == CP_XT_K32 ? scan32(t, w.pos[i] + W32, (uint32_t)(q[i].a >> 32))
					    : scan96(t, w.pos[i] + W96, &q[i]);
		w.hits += refs[i] != 0;
	}
	note_hits(t, w.hits, n);
	if (r4 != NULL)
		cp__r4_stage3(r4, &w.b, refs);
	return w.hits;
}

static unsigned lookup32(const struct cp_xtab *t, const struct cp_qkey *q, uint32_t *refs,
			 unsigned n)
{
	return lookup_generic(t, q, refs, n, CP_XT_K32, NULL, NULL);
}

static unsigned lookup96(const struct cp_xtab *t, const struct cp_qkey *q, uint32_t *refs,
			 unsigned n)
{
	return lookup_generic(t, q, refs, n, CP_XT_K96, NULL, NULL);
}

static unsigned lookup_empty(const struct cp_xtab *t, const struct cp_qkey *q,
			     uint32_t *refs, unsigned n)
{
	(void)t, (void)q;
	for (unsigned i = 0; i < n; i++)
		refs[i] = 0;
	return 0;
}

/* Waiting for the range table's lines after the exact lookup, as two
 * calls did, was ~13 % of a 64-byte packet's samples at 100 M indicators
 * (chokepoint-bench pipeline --count 100000000 --mix 64): each of its
 * stages now lies behind one of the exact lookup's round trips. */
void cp__xt_lookup_v4(const struct cp_xtab *t, const struct cp_range4 *r,
		      const struct cp_qkey *q, const uint32_t *addrs, uint32_t *refs, unsigned n)
{
	if (n > CP_STORE_BULK_MAX)
		n = CP_STORE_BULK_MAX;
	if (r == NULL)  /* no CIDRs: the exact lookup alone (lookup32 or empty) */
		t->lookup(t, q, refs, n);
	else if (t->slots == NULL)  /* CIDRs only */
		cp__r4_lookup_bulk(r, addrs, refs, n);
	else
		lookup_generic(t, q, refs, n, CP_XT_K32, r, addrs);
}

int cp__xtab_init(struct cp_xtab *t, unsigned kind, const void *slots, uint64_t slots_size,
		  uint64_t nbuckets, const uint32_t *filter, uint64_t filter_size,
		  uint64_t nblocks, uint64_t count)
{
	*t = (struct cp_xtab){ .lookup = lookup_empty };
	if (slots == NULL)
		return 0;
	if (kind != CP_XT_K32 && kind != CP_XT_K96)
		return -EBADMSG;
	size_t ss = cp__xt_slot_size(kind);
	uint64_t bs = cp__xt_bucket_slots(kind);
	t->nslots = slots_size / ss;
	/* The last bucket's window must lie inside the table, and the scans
	 * check the end themselves. */
	if (slots_size % ss != 0 || nbuckets == 0 || t->nslots % bs != 0 ||
	    t->nslots / bs < CP_XT_WINDOW_LINES ||
	    nbuckets > t->nslots / bs - (CP_XT_WINDOW_LINES - 1) || count > t->nslots)
		return -EBADMSG;
	if (filter != NULL && (nblocks == 0 || filter_size != nblocks * 32))
		return -EBADMSG;
	t->slots = slots;
	t->filter = filter;
	t->nbuckets = nbuckets;
	t->nblocks = nblocks;
	t->count = count;
	t->kind = kind;
	t->lookup = kind == CP_XT_K32 ? lookup32 : lookup96;
	return 0;
}
