/* The snapshot compiler, second half: de-duplication, match sets, tables
 * and the file. Control plane.
 *
 * Same value twice (from one feed or several) becomes one key whose set holds
 * every context. An exact IP's set also holds every CIDR that covers it, and
 * a CIDR's set every shorter CIDR that covers it, so one lookup answers all. */
#include "compile_internal.h"
#include "common/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int ents_reserve(struct cp_compiler *c, size_t n)
{
	if (n <= c->ents_cap)
		return 0;
	size_t cap = c->ents_cap ? c->ents_cap : 64;
	while (cap < n)
		cap *= 2;
	uint32_t *p = realloc(c->ents, cap * 4);
	if (p == NULL)
		return -ENOMEM;
	c->ents = p;
	c->ents_cap = cap;
	return 0;
}

/* Appends the entries of covering (a ref, or 0) after ents[0..n). */
static int add_covering(struct cp_compiler *c, size_t *n, uint32_t covering)
{
	const uint32_t *e;
	unsigned k;

	if (covering == 0)
		return 0;
	k = cp_setb_get(c->setb, covering, &e);
	if (ents_reserve(c, *n + k) != 0)
		return -ENOMEM;
	memcpy(c->ents + *n, e, (size_t)k * 4);
	*n += k;
	return 0;
}

/* Sort scratch for n records, kept across tables: each table's own buffer
 * meant faulting in and zeroing 1.6 GB more at 100 M indicators. */
static struct cp_xrec *scratch(struct cp_compiler *c, size_t n)
{
	return cp_mem_reserve(&c->scratch, &c->scratch_size, n * sizeof(struct cp_xrec));
}

static uint32_t intern(struct cp_compiler *c, size_t n)
{
	if (n > UINT32_MAX)
		return 0;
	return cp_setb_intern(c->setb, c->ents, (unsigned)n);
}

enum xmode {
	X_META,   /* ref holds a meta id */
	X_IPV4,   /* ditto; a holds perm(address) << 32 and b the ref of the
		   * covering CIDRs (or 0); the slot keeps neither b nor a's low half */
	X_FINAL,  /* ref is final and keys are unique */
};

/* Sorts r[0..n) and merges equal keys into one record each, whose ref is
 * final: the set of all their refs (and for IPv4 the covering CIDRs').
 * *out gets the distinct records (r or the scratch), *w their number.
 * count: add to the stats (once per record, on the pass that writes). */
static int merge_keys(struct cp_compiler *c, struct cp_xrec *r, size_t n, enum xmode mode,
		      int count, struct cp_xrec **out, size_t *w)
{
	int ipv4 = mode == X_IPV4;
	struct cp_xrec *tmp = n ? scratch(c, n) : NULL;
	struct cp_xrec *s = r;
	int rc;

	*w = 0;
	*out = r;
	if (n != 0 && tmp == NULL)
		return -ENOMEM;
	if (n != 0)
		s = cp__xrec_sort(r, tmp, n);
	for (size_t i = 0, j; i < n; i = j) {
		size_t k = 0;
		for (j = i; j < n && s[j].a == s[i].a && s[j].b == s[i].b; j++) {
			if ((rc = ents_reserve(c, k + 1)) != 0)
				return rc;
			c->ents[k++] = s[j].ref | (ipv4 ? 33u << 24 : 0);
		}
		if (ipv4 && (rc = add_covering(c, &k, s[i].b)) != 0)
			return rc;
		if (count)
			c->st.merged += j - i - 1;
		uint32_t ref = mode == X_FINAL ? s[i].ref : intern(c, k);
		if (ref == 0)
			return -errno;
		s[(*w)++] = (struct cp_xrec){ .a = s[i].a, .b = ipv4 ? 0 : s[i].b, .ref = ref };
	}
	*out = s;
	return 0;
}

/* A table is written as it is laid out: the snapshot's section is
 * streamed, so only the slots of the range at hand are in memory (the
 * whole table, for a set built in memory), and the filter. */
static int table_begin(struct cp_compiler *c, struct cp_snap_writer *w, enum cp_itype t,
		       size_t n, struct cp_xtab_placer *p)
{
	int rc = cp__xtab_placer_init(p, t == CP_T_IPV4 ? CP_XT_K32 : CP_XT_K96, n,
				      c->filter == CP_FILTER_AUTO ? -1 : c->filter == CP_FILTER_ALWAYS);

	if (rc == 0)
		rc = cp_snap_writer_begin(w, CP_SEC_XTAB + t);
	c->st.unique[t] += n;
	return rc;
}

static int table_put(struct cp_snap_writer *w, struct cp_xtab_placer *p,
		     const struct cp_xrec *r, size_t n)
{
	const void *slots;
	size_t size;
	int rc = cp__xtab_place(p, r, n, &slots, &size);

	return rc != 0 ? rc : cp_snap_writer_append(w, slots, size);
}

static int table_end(struct cp_compiler *c, struct cp_snap_writer *w, enum cp_itype t,
		     struct cp_xtab_placer *p)
{
	const void *slots;
	size_t size;
	int rc = cp__xtab_place_end(p, &slots, &size);

	if (rc == 0)
		rc = cp_snap_writer_append(w, slots, size);
	if (rc == 0)
		rc = cp_snap_writer_end(w, p->count, p->nb, p->kind);
	if (rc == 0 && p->filter != NULL)
		rc = cp_snap_writer_add(w, CP_SEC_XFILT + t, p->filter, p->filter_size, 0,
					p->nblocks, 0);
	c->st.bytes[t] += p->done * p->ss + p->filter_size;
	return rc;
}

/* A table from records in memory. */
static int build_xtab(struct cp_compiler *c, struct cp_snap_writer *w, enum cp_itype t,
		      struct cp_xrec *r, size_t n, enum xmode mode)
{
	struct cp_xtab_placer p = { 0 };
	struct cp_xrec *s;
	size_t k;
	int rc = merge_keys(c, r, n, mode, 1, &s, &k);

	if (rc == 0 && k != 0 && (rc = table_begin(c, w, t, k, &p)) == 0 &&
	    (rc = table_put(w, &p, s, k)) == 0)
		rc = table_end(c, w, t, &p);
	cp__xtab_placer_free(&p);
	return rc;
}

static int cover_exact4(struct cp_compiler *c, struct cp_xrec *x, size_t n);

/* One spilled hash range, merged: into c->part, then *out. */
static int load_range(struct cp_compiler *c, enum cp_itype t, unsigned part, enum xmode mode,
		      int count, struct cp_xrec **out, size_t *k)
{
	size_t n = cp__spill_count(c->spill, t, part);
	int rc = cp__spill_read(c->spill, t, part, c->part);

	if (rc == 0 && mode == X_IPV4)
		rc = cover_exact4(c, c->part, n);
	return rc != 0 ? rc : merge_keys(c, c->part, n, mode, count, out, k);
}

/* A table from spilled records, one hash range at a time: a first pass
 * counts the distinct keys, which fixes the table's geometry, and interns
 * their sets; the second gets the same refs back and lays the range out. */
static int build_spilled(struct cp_compiler *c, struct cp_snap_writer *w, enum cp_itype t,
			 enum xmode mode)
{
	struct cp_xtab_placer p = { 0 };
	size_t most = 0, total = 0, k;
	struct cp_xrec *s;
	int rc;

	if ((rc = cp__spill_flush(c->spill)) != 0)
		return rc;
	for (unsigned i = 0; i < CP_SPILL_PARTS; i++) {
		c->st.spilled += cp__spill_count(c->spill, t, i);
		if (cp__spill_count(c->spill, t, i) > most)
			most = cp__spill_count(c->spill, t, i);
	}
	if (cp_mem_reserve(&c->part, &c->part_size, most * sizeof(*s)) == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < CP_SPILL_PARTS && rc == 0; i++) {
		rc = load_range(c, t, i, mode, 0, &s, &k);
		total += k;
	}
	if (rc != 0 || total == 0)
		return rc;
	rc = table_begin(c, w, t, total, &p);
	for (unsigned i = 0; i < CP_SPILL_PARTS && rc == 0; i++) {
		if ((rc = load_range(c, t, i, mode, 1, &s, &k)) == 0)
			rc = table_put(w, &p, s, k);
		cp__spill_drop(c->spill, t, i);
	}
	if (rc == 0)
		rc = table_end(c, w, t, &p);
	cp__xtab_placer_free(&p);
	return rc;
}

static int cmp_v4cidr(const void *x, const void *y)
{
	const struct cp_xrec *a = x, *b = y;

	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	return (a->a > b->a) - (a->a < b->a);
}

/* CIDRs shortest first, each set holding the CIDRs that cover it. */
static int build_lpm4(struct cp_compiler *c, struct cp_xrec *r, size_t n)
{
	qsort(r, n, sizeof(*r), cmp_v4cidr);
	for (size_t i = 0, j; i < n; i = j) {
		uint8_t key[4] = { (uint8_t)(r[i].a >> 24), (uint8_t)(r[i].a >> 16),
				   (uint8_t)(r[i].a >> 8), (uint8_t)r[i].a };
		size_t k = 0;
		int rc;

		for (j = i; j < n && r[j].a == r[i].a && r[j].b == r[i].b; j++) {
			if (ents_reserve(c, k + 1) != 0)
				return -ENOMEM;
			c->ents[k++] = r[j].ref | (r[i].b + 1) << 24;
		}
		if ((rc = add_covering(c, &k, cp_lpmb_lookup(c->lpm[0], key))) != 0)
			return rc;
		c->st.merged += j - i - 1;
		c->st.unique[CP_T_IPV4]++;
		c->st.cidr4++;
		uint32_t ref = intern(c, k);
		if (ref == 0)
			return -errno;
		if ((rc = cp_lpmb_insert(c->lpm[0], key, r[i].b, ref)) != 0)
			return rc;
	}
	return 0;
}

/* Exact addresses (a = address) get b = the ref of the CIDRs covering them
 * and a = perm(address) << 32. Looked up in address order, neighbours share
 * the range table's lines: in feed order each lookup missed the cache, and
 * at 100 M indicators (3 M CIDRs, a 35 MB table) took 450 ns, 17 s in all. */
static int cover_exact4(struct cp_compiler *c, struct cp_xrec *x, size_t n)
{
	struct cp_xrec *tmp = NULL, *s = x;

	if (n != 0 && c->v4map == NULL) {
		if ((c->v4map = cp_mem_alloc(CP_V4MAP_BYTES)) == NULL)
			return -ENOMEM;
		memset(c->v4map, 0, CP_V4MAP_BYTES);
	}

	if (c->r4v.off != NULL && n != 0) {
		if ((tmp = scratch(c, n)) == NULL)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			x[i].a <<= 32;
		s = cp__xrec_sort(x, tmp, n);
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t addr = (uint32_t)(tmp != NULL ? s[i].a >> 32 : s[i].a);
		c->v4map[addr >> 14] |= 1ull << (addr >> 8 & 63);
		x[i] = (struct cp_xrec){ .a = (uint64_t)cp_perm32(c->seed, addr) << 32,
					 .b = cp__r4_lookup(&c->r4v, addr), .ref = s[i].ref };
	}
	return 0;
}

static int build_ipv4(struct cp_compiler *c, struct cp_snap_writer *w)
{
	struct cp_xrec *r = c->x[CP_T_IPV4].p;
	size_t n = c->x[CP_T_IPV4].n, ncidr = 0;
	int rc;

	/* Partition: CIDRs to the front. */
	for (size_t i = 0; i < n; i++) {
		if (r[i].b < 32) {
			struct cp_xrec t = r[ncidr];
			r[ncidr++] = r[i];
			r[i] = t;
		}
	}
	/* The trie works out each CIDR's set, then flattens into the range
	 * table, which is written and also finds the CIDRs covering each exact
	 * address (a few MB that stay in cache, where the trie missed it). */
	if (ncidr != 0) {
		c->lpm[0] = cp_lpmb_new(4);
		if (c->lpm[0] == NULL)
			return -ENOMEM;
		if ((rc = build_lpm4(c, r, ncidr)) != 0 ||
		    (rc = cp_lpmb_ranges4(c->lpm[0], &c->r4)) != 0)
			return rc;
		cp_lpmb_free(c->lpm[0]);
		c->lpm[0] = NULL;
		if (cp__r4_init(&c->r4v, c->r4.off, (CP_R4_CHUNKS + 1) * 4, c->r4.start,
				c->r4.n * 2, c->r4.ref, c->r4.n * 4) != 0)
			return -EINVAL;
	}
	if (c->spill != NULL)  /* every exact address is on disk */
		return build_spilled(c, w, CP_T_IPV4, X_IPV4);
	struct cp_xrec *exact = r != NULL ? r + ncidr : NULL;  /* no IPv4 at all: NULL */
	if ((rc = cover_exact4(c, exact, n - ncidr)) != 0)
		return rc;
	return build_xtab(c, w, CP_T_IPV4, exact, n - ncidr, X_IPV4);
}

static int cmp_v6(const void *x, const void *y)
{
	const struct ip6rec *a = x, *b = y;

	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	return memcmp(a->v, b->v, 16);
}

static int build_ipv6(struct cp_compiler *c, struct cp_snap_writer *w)
{
	struct ip6rec *r = c->ip6.p;
	size_t n = c->ip6.n;
	struct vec exact = { 0 };
	int rc = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), cmp_v6);
	c->lpm[1] = cp_lpmb_new(16);
	if (c->lpm[1] == NULL)
		return -ENOMEM;
	for (size_t i = 0, j; i < n && rc == 0; i = j) {
		size_t k = 0;

		for (j = i; j < n && r[j].plen == r[i].plen && !memcmp(r[j].v, r[i].v, 16); j++) {
			if (ents_reserve(c, k + 1) != 0)
				return -ENOMEM;
			c->ents[k++] = r[j].meta | (uint32_t)(r[i].plen + 1) << 24;
		}
		if ((rc = add_covering(c, &k, cp_lpmb_lookup(c->lpm[1], r[i].v))) != 0)
			break;
		c->st.merged += j - i - 1;
		uint32_t ref = intern(c, k);
		if (ref == 0)
			return -errno;
		if (r[i].plen < 128) {
			c->st.unique[CP_T_IPV6]++;
			rc = cp_lpmb_insert(c->lpm[1], r[i].v, r[i].plen, ref);
			continue;
		}
		struct cp_qkey q;
		cp__key_bytes(c->seed, cp__tweak(CP_T_IPV6, 0), r[i].v, 16, &q);
		struct cp_xrec x = { .a = q.a, .b = q.b, .ref = ref };
		rc = cp__vec_push(&exact, &x, sizeof(x));
	}
	if (rc == 0)
		rc = build_xtab(c, w, CP_T_IPV6, exact.p, exact.n, X_FINAL);
	cp__vec_free(&exact, sizeof(struct cp_xrec));
	return rc;
}

static int build_all(struct cp_compiler *c, struct cp_snap_writer *w)
{
	int rc;

	c->setb = cp_setb_new(c->meta, c->nmeta);
	if (c->setb == NULL)
		return -ENOMEM;
	if ((rc = build_ipv4(c, w)) != 0 || (rc = build_ipv6(c, w)) != 0)
		return rc;
	for (unsigned t = 0; t < CP_T__COUNT; t++) {
		if (t == CP_T_IPV4 || t == CP_T_IPV6)
			continue;
		if (c->spill != NULL)
			rc = build_spilled(c, w, (enum cp_itype)t, X_META);
		else
			rc = build_xtab(c, w, (enum cp_itype)t, c->x[t].p, c->x[t].n, X_META);
		if (rc != 0)
			return rc;
		/* The records are in the table now: give the memory back early. */
		cp__vec_free(&c->x[t], sizeof(struct cp_xrec));
	}
	return 0;
}

static int cmp_feed(const void *x, const void *y)
{
	const struct cp_feed_rec *a = x, *b = y;
	return (a->name > b->name) - (a->name < b->name);
}

/* Indicators per feed name, for `info`. Returns the number of feeds. */
static size_t build_feeds(struct cp_compiler *c)
{
	size_t n = 0;

	c->feeds = calloc(c->nmeta ? c->nmeta : 1, sizeof(*c->feeds));
	if (c->feeds == NULL)
		return 0;
	for (size_t i = 0; i < c->nmeta; i++)
		c->feeds[i] = (struct cp_feed_rec){ .name = c->meta[i].feed,
						    .indicators = c->meta_uses[i] };
	qsort(c->feeds, c->nmeta, sizeof(*c->feeds), cmp_feed);
	for (size_t i = 0; i < c->nmeta; i++) {
		if (n > 0 && c->feeds[n - 1].name == c->feeds[i].name)
			c->feeds[n - 1].indicators += c->feeds[i].indicators;
		else
			c->feeds[n++] = c->feeds[i];
	}
	return n;
}

/* The /24s of the exact addresses, for the fast path's first test (the
 * CIDRs' are made at open, from the range table): as a list of /24 numbers
 * when that is smaller than the 2 MiB bitmap, which it is below 512 k of
 * them (at 100 M indicators the bench's addresses fill ~4 M). */
static int add_v4map(struct cp_compiler *c, struct cp_snap_writer *w)
{
	const uint64_t *map = c->v4map;
	uint64_t n = 0;
	int rc;

	free(c->v4list);  /* a second write makes it again */
	c->v4list = NULL;
	for (size_t i = 0; i < CP_V4MAP_BYTES / 8; i++)
		n += (uint64_t)__builtin_popcountll(map[i]);
	if (n * 4 >= CP_V4MAP_BYTES) {
		c->st.bytes[CP_T_IPV4] += CP_V4MAP_BYTES;
		return cp_snap_writer_add(w, CP_SEC_V4_MAP, map, CP_V4MAP_BYTES, n, 0, 0);
	}
	/* Kept until the compiler is freed: a writer not yet open holds on
	 * to what it is given until its commit. */
	uint32_t *l = c->v4list = malloc(n * 4 + 4);
	uint64_t k = 0;
	if (l == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < CP_V4MAP_BYTES / 8; i++)
		for (uint64_t b = map[i]; b != 0; b &= b - 1)
			l[k++] = (uint32_t)(i * 64 + (size_t)__builtin_ctzll(b));
	rc = cp_snap_writer_add(w, CP_SEC_V4_LIST, l, n * 4, n, 0, 0);
	c->st.bytes[CP_T_IPV4] += n * 4;
	return rc;
}

static int add_sections(struct cp_compiler *c, struct cp_snap_writer *w)
{
	uint64_t nsets, size, ngroups;
	const uint32_t *sets = cp_setb_data(c->setb, &nsets);
	size_t nfeeds = build_feeds(c);
	int rc = 0;

	if (c->feeds == NULL)
		return -ENOMEM;
	rc |= cp_snap_writer_add(w, CP_SEC_META, c->meta, c->nmeta * sizeof(*c->meta), c->nmeta, 0, 0);
	rc |= cp_snap_writer_add(w, CP_SEC_STRS, c->strs, c->strs_n, 0, 0, 0);
	rc |= cp_snap_writer_add(w, CP_SEC_SETS, sets, nsets * 4, nsets, 0, 0);
	rc |= cp_snap_writer_add(w, CP_SEC_FEEDS, c->feeds, nfeeds * sizeof(*c->feeds), nfeeds, 0, 0);
	/* Which suffix probes a name needs: a set with no subdomain indicator
	 * of 1 label never has "com" probed, one with none at all only the
	 * exact name (a DNS packet's 3-4 probes become 1). */
	rc |= cp_snap_writer_add(w, CP_SEC_DOM_LABELS, &c->sub_labels, sizeof(c->sub_labels), 1, 0,
				 0);
	c->st.shared_bytes = c->nmeta * sizeof(*c->meta) + c->strs_n + nsets * 4;
	c->st.nmeta = c->nmeta;
	c->st.nsets = nsets;
	uint64_t lsize;
	if (c->lpm[1] != NULL && cp_lpmb_leaves(c->lpm[1], &lsize) != NULL && lsize > 4) {
		const uint32_t *tbl = cp_lpmb_table(c->lpm[1], &size, &ngroups);
		const uint32_t *leaves = cp_lpmb_leaves(c->lpm[1], &lsize);
		rc |= cp_snap_writer_add(w, CP_SEC_LPM + CP_T_IPV6, tbl, size, lsize / 4 - 1,
					 ngroups, 16);
		rc |= cp_snap_writer_add(w, CP_SEC_LPM_LEAF + CP_T_IPV6, leaves, lsize, 0, 0, 0);
		c->st.bytes[CP_T_IPV6] += size + lsize;
	}
	if (c->v4map != NULL)
		rc |= add_v4map(c, w);
	if (c->r4.off != NULL) {
		const struct cp_r4_img *r4 = &c->r4;
		rc |= cp_snap_writer_add(w, CP_SEC_R4_OFF, r4->off, (CP_R4_CHUNKS + 1) * 4,
					 c->st.cidr4, 0, 0);
		rc |= cp_snap_writer_add(w, CP_SEC_R4_START, r4->start, r4->n * 2, r4->n, 0, 0);
		rc |= cp_snap_writer_add(w, CP_SEC_R4_REF, r4->ref, r4->n * 4, r4->n, 0, 0);
		c->st.bytes[CP_T_IPV4] += (CP_R4_CHUNKS + 1) * 4 + r4->n * 6;
	}
	return rc ? -ENOSPC : 0;
}

int cp_compiler_write(struct cp_compiler *c, const char *path, struct cp_compile_stats *st,
		      char *err, size_t errlen)
{
	double t0 = now_s();
	struct cp_snap_writer *w = cp_snap_writer_new(c->seed);
	int rc;

	if (w == NULL)
		return -ENOMEM;
	/* Tables go to the file as they are built. */
	if ((rc = cp_snap_writer_open(w, path, err, errlen)) != 0)
		goto out;
	rc = build_all(c, w);
	double tp = now_s();
	if (rc == 0 && (rc = cp__build_patterns(c, err, errlen)) != 0)
		goto out;  /* err names the pattern */
	c->st.pattern_s = now_s() - tp;
	cp_mem_free(c->scratch, c->scratch_size);  /* not needed while writing */
	c->scratch = NULL;
	c->scratch_size = 0;
	if (rc != 0) {
		snprintf(err, errlen, "%s: building tables failed: %s", path, strerror(-rc));
		goto out;
	}
	c->st.build_s = now_s() - t0;
	t0 = now_s();
	rc = add_sections(c, w);
	if (rc == 0)
		rc = cp__add_pattern_sections(c, w);
	if (rc == 0)
		rc = cp_snap_writer_commit(w, path, err, errlen);
	else
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	c->st.write_s = now_s() - t0;
	if (st != NULL)
		*st = c->st;
out:
	cp_snap_writer_free(w);
	return rc;
}
