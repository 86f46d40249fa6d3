/* The store against a naive reference: random sets and queries over every
 * structure (exact tables, CIDR tries, domain suffixes), plus the rules that
 * matter most: label boundaries and precedence. */
#include "helpers.h"
#include "indicator/indicator.h"
#include "store/store_internal.h"

#include <errno.h>

#include <arpa/inet.h>

#define NFEEDS 3

struct ref_ind {
	struct cp_ind ind;
	uint32_t meta;
};

/* Sorted (meta << 8 | plen code) pairs: compares sets independent of order. */
static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static unsigned store_entries(const struct cp_store *s, const struct cp_ind *q, uint32_t *out,
			      enum cp_action *best)
{
	struct cp_match m[130];
	unsigned nm = cp_store_match(s, q, m, 130), n = 0;

	*best = CP_ACT_NONE;
	for (unsigned i = 0; i < nm; i++) {
		const uint32_t *e;
		unsigned k = cp_store_set(s, m[i].ref, &e);
		enum cp_action a = CP_ACT_NONE;

		cr_assert_gt(k, 0);
		for (unsigned j = 0; j < k; j++) {
			const struct cp_meta_rec *r = cp_store_meta(s, e[j] & 0xffffff);
			cr_assert_not_null(r);
			if (r->action > a)
				a = r->action;
			/* domains: tag the entry with where the matched name starts */
			out[n++] = (e[j] & 0xffffff) << 8 | (q->type == CP_T_DOMAIN ? m[i].name_off * 2u + m[i].subdomains : e[j] >> 24);
		}
		cr_assert_eq(cp_ref_action(m[i].ref), a, "ref action is the set's best");
		if (a > *best)
			*best = a;
	}
	qsort(out, n, 4, cmp_u32);
	return n;
}

static int covers(const struct cp_ind *p, const struct cp_ind *q)
{
	unsigned full = p->len * 8;

	for (unsigned b = 0; b < p->plen && b < full; b++)
		if (((p->v[b / 8] ^ q->v[b / 8]) >> (7 - b % 8)) & 1)
			return 0;
	return 1;
}

static unsigned ref_entries(const struct ref_ind *set, size_t n, const uint8_t *actions,
			    const struct cp_ind *q, uint32_t *out, enum cp_action *best)
{
	unsigned k = 0;

	*best = CP_ACT_NONE;
	for (size_t i = 0; i < n; i++) {
		const struct cp_ind *p = &set[i].ind;
		int hit = 0;
		unsigned tag = 0;

		if (p->type != q->type)
			continue;
		if (q->type == CP_T_IPV4 || q->type == CP_T_IPV6) {
			hit = covers(p, q);
			tag = p->plen + 1u;
		} else if (q->type == CP_T_DOMAIN) {
			if (!p->subdomains) {
				hit = p->len == q->len && !memcmp(p->v, q->v, q->len);
			} else if (p->len == q->len) {
				hit = !memcmp(p->v, q->v, q->len);
			} else if (p->len < q->len) {
				/* label boundary: "evil.com" covers "a.evil.com", never "notevil.com" */
				hit = q->v[q->len - p->len - 1] == '.' &&
				      !memcmp(p->v, q->v + q->len - p->len, p->len);
			}
			tag = (q->len - p->len) * 2 + p->subdomains;
		} else {
			hit = p->len == q->len && !memcmp(p->v, q->v, q->len);
		}
		if (!hit)
			continue;
		out[k++] = set[i].meta << 8 | tag;
		if (actions[set[i].meta] > *best)
			*best = actions[set[i].meta];
	}
	qsort(out, k, 4, cmp_u32);
	/* The store keeps each (meta, indicator) once. */
	unsigned m = 0;
	for (unsigned i = 0; i < k; i++)
		if (m == 0 || out[i] != out[m - 1])
			out[m++] = out[i];
	return m;
}

static void random_ind(uint64_t *rs, enum cp_itype t, struct cp_ind *ind, int query)
{
	static const char *const labels[] = { "a", "b", "evil", "notevil", "x-1", "cdn" };
	static const char *const tlds[] = { "com", "org", "evil.com" };
	char buf[256];
	const char *why;
	size_t n = 0;

	switch (t) {
	case CP_T_IPV4: {
		/* a small universe so that exact hits and nesting are common */
		uint32_t a = 0x0a000000u | (uint32_t)(t_rand(rs) % 4096);
		unsigned plen = query || t_rand(rs) % 2 ? 32 : 8 + (unsigned)(t_rand(rs) % 24);
		if (t_rand(rs) % 8 == 0)
			a = (uint32_t)t_rand(rs);
		a &= plen ? ~0u << (32 - plen) : 0;
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u/%u", a >> 24, a >> 16 & 255, a >> 8 & 255,
			 a & 255, plen);
		break;
	}
	case CP_T_IPV6: {
		uint8_t v[16] = { 0x20, 0x01, 0x0d, 0xb8 };
		char tmp[64];
		unsigned plen = query || t_rand(rs) % 2 ? 128 : 16 + (unsigned)(t_rand(rs) % 112);
		v[14] = (uint8_t)(t_rand(rs) % 4);
		v[15] = (uint8_t)t_rand(rs);
		v[5] = (uint8_t)(t_rand(rs) % 2);
		for (unsigned b = plen; b < 128; b++)
			v[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
		inet_ntop(AF_INET6, v, tmp, sizeof(tmp));
		snprintf(buf, sizeof(buf), "%s/%u", tmp, plen);
		break;
	}
	case CP_T_DOMAIN: {
		unsigned depth = 1 + (unsigned)(t_rand(rs) % 3);
		if (!query && t_rand(rs) % 2)
			n += (size_t)snprintf(buf, sizeof(buf), "*.");
		for (unsigned i = 0; i < depth; i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s.",
					      labels[t_rand(rs) % 6]);
		snprintf(buf + n, sizeof(buf) - n, "%s", tlds[t_rand(rs) % 3]);
		break;
	}
	default:
		for (unsigned i = 0; i < 32; i++)
			buf[i] = "0123456789abcdef"[i < 30 ? 0 : t_rand(rs) % 16];
		buf[32] = '\0';
		break;
	}
	cr_assert_eq(cp_norm(t, buf, strlen(buf), ind, &why), 0, "%s: %s", buf, why);
}

static void differential(uint64_t seed, size_t n, size_t nq)
{
	static const enum cp_itype types[] = { CP_T_IPV4, CP_T_IPV6, CP_T_DOMAIN, CP_T_MD5 };
	struct cp_compiler *c = cp_compiler_new(seed);
	struct ref_ind *set = calloc(n, sizeof(*set));
	uint8_t actions[NFEEDS * 3];
	uint32_t metas[NFEEDS * 3];
	uint64_t rs = seed;
	struct t_store ts;
	char feed[16];

	for (unsigned i = 0; i < NFEEDS * 3; i++) {
		snprintf(feed, sizeof(feed), "feed%u", i / 3);
		actions[i] = (uint8_t)(1 + i % 3);
		metas[i] = t_meta(c, actions[i], feed);
		cr_assert_eq(metas[i], i);
	}
	for (size_t i = 0; i < n; i++) {
		random_ind(&rs, types[t_rand(&rs) % 4], &set[i].ind, 0);
		set[i].meta = (uint32_t)(t_rand(&rs) % (NFEEDS * 3));
		cr_assert_eq(cp_compiler_add(c, &set[i].ind, set[i].meta), 0);
	}
	t_open(c, &ts, NULL);
	for (size_t i = 0; i < nq; i++) {
		struct cp_ind q;
		static uint32_t got[4096], want[40000];
		enum cp_action gb, wb;
		char txt[300];

		random_ind(&rs, types[t_rand(&rs) % 4], &q, 1);
		if (i % 3 == 0 && q.type != CP_T_DOMAIN)
			q = set[t_rand(&rs) % n].ind;  /* members, CIDRs included */
		/* Look up addresses: a CIDR member stands for its network address. */
		if (q.type == CP_T_IPV4 || q.type == CP_T_IPV6)
			q.plen = (uint8_t)(q.len * 8);
		unsigned ng = store_entries(ts.store, &q, got, &gb);
		unsigned nw = ref_entries(set, n, actions, &q, want, &wb);
		cp_ind_format(&q, txt, sizeof(txt));
		cr_assert_eq(ng, nw, "%s %s: %u entries, want %u", cp_itype_name(q.type), txt, ng, nw);
		cr_assert_arr_eq(got, want, nw * 4, "%s: entries differ", txt);
		cr_assert_eq(gb, wb, "%s: action %d, want %d", txt, gb, wb);
	}
	t_close(&ts);
	cp_compiler_free(c);
	free(set);
}

Test(store, invalid_arguments)
{
	struct cp_compiler *c = cp_compiler_new(1);
	struct t_store ts;
	struct cp_ind q;
	struct cp_match m[4];
	const uint32_t *e;
	const char *why;

	t_add(c, CP_T_DOMAIN, "evil.com", t_meta(c, CP_ACT_DROP, "f"));
	t_open(c, &ts, NULL);
	cp_norm(CP_T_DOMAIN, "evil.com", 8, &q, &why);
	cr_expect_eq(cp_store_match(ts.store, &q, m, 0), 0, "max 0 writes nothing");
	cr_expect_eq(cp_store_set(ts.store, 0, &e), 0, "ref 0 is no set");
	cr_expect_eq(cp_store_set(ts.store, 0x3fffffff | 1u << 30, &e), 0, "ref out of range");
	cr_expect_null(cp_store_meta(ts.store, 12345));
	cr_expect_null(cp_store_str(ts.store, 0));
	cr_expect_null(cp_store_str(ts.store, 1u << 30));
	t_close(&ts);
	cp_compiler_free(c);
}

Test(store, differential_small)
{
	for (uint64_t seed = 1; seed <= 20; seed++)
		differential(seed * 0x9e3779b97f4a7c15ULL, 40, 400);
}

Test(store, differential_large)
{
	differential(42, 20000, 20000);
}

Test(store, label_boundaries)
{
	struct cp_compiler *c = cp_compiler_new(7);
	struct t_store ts;
	struct cp_match m[8];
	struct cp_ind q;
	const char *why;
	uint32_t meta = t_meta(c, CP_ACT_DROP, "f");

	t_add(c, CP_T_DOMAIN, "*.evil.com", meta);
	t_add(c, CP_T_DOMAIN, "exact.org", meta);
	t_add(c, CP_T_DOMAIN, "*.deep.zone.net", meta);
	t_open(c, &ts, NULL);
	static const struct {
		const char *name;
		unsigned hits;
	} cases[] = {
		{ "evil.com", 1 }, { "a.evil.com", 1 }, { "a.b.evil.com", 1 },
		{ "notevil.com", 0 }, { "evil.com.au", 0 }, { "xevil.com", 0 },
		{ "exact.org", 1 }, { "a.exact.org", 0 }, { "org", 0 },
		{ "deep.zone.net", 1 }, { "x.y.deep.zone.net", 1 }, { "zone.net", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cp_norm(CP_T_DOMAIN, cases[i].name, strlen(cases[i].name), &q, &why);
		cr_expect_eq(cp_store_match(ts.store, &q, m, 8), cases[i].hits, "%s", cases[i].name);
	}
	/* Only suffixes of the subdomain indicators' label counts (2, 3) are
	 * probed: a.b.evil.com gets its exact name, b.evil.com and evil.com;
	 * never itself as a suffix (4 labels) or com (1). */
	struct cp_qkey k[8];
	uint16_t off[8];
	uint64_t lab = cp_store_sub_labels(ts.store);
	cr_expect_eq(lab, (1ull << 2) | (1ull << 3));
	cr_expect_eq(cp_store_domain_keys(ts.store, "a.b.evil.com", 12, lab, k, off, 8), 3);
	cr_expect(off[1] == 2 && off[2] == 4, "suffixes at %u and %u", off[1], off[2]);
	cr_expect_eq(cp_store_domain_keys(ts.store, "a.b.evil.com", 12, ~0ull, k, off, 8), 5,
		     "every suffix when asked");
	t_close(&ts);
	cp_compiler_free(c);
	/* No subdomain indicator at all: a name is one probe. */
	c = cp_compiler_new(7);
	meta = t_meta(c, CP_ACT_DROP, "f");
	t_add(c, CP_T_DOMAIN, "exact.org", meta);
	t_open(c, &ts, NULL);
	cr_expect_eq(cp_store_sub_labels(ts.store), 0);
	cr_expect_eq(cp_store_domain_keys(ts.store, "a.exact.org", 11, 0, k, off, 8), 1);
	cp_norm(CP_T_DOMAIN, "exact.org", 9, &q, &why);
	cr_expect_eq(cp_store_match(ts.store, &q, m, 8), 1);
	t_close(&ts);
	cp_compiler_free(c);
}

Test(store, precedence)
{
	struct cp_compiler *c = cp_compiler_new(9);
	struct t_store ts;
	struct cp_match m[8];
	struct cp_ind q;
	const char *why;

	t_add(c, CP_T_IPV4, "10.0.0.0/8", t_meta(c, CP_ACT_ALERT, "a"));
	t_add(c, CP_T_IPV4, "10.1.0.0/16", t_meta(c, CP_ACT_DROP, "b"));
	t_add(c, CP_T_IPV4, "10.1.2.3", t_meta(c, CP_ACT_ALLOW, "c"));
	t_add(c, CP_T_IPV4, "10.1.2.4", t_meta(c, CP_ACT_ALERT, "d"));
	t_add(c, CP_T_DOMAIN, "*.example.com", t_meta(c, CP_ACT_ALLOW, "e"));
	t_add(c, CP_T_DOMAIN, "bad.example.com", t_meta(c, CP_ACT_DROP, "f"));
	t_open(c, &ts, NULL);
	static const struct {
		enum cp_itype t;
		const char *v;
		enum cp_action want;
	} cases[] = {
		{ CP_T_IPV4, "10.9.9.9", CP_ACT_ALERT },  { CP_T_IPV4, "10.1.9.9", CP_ACT_DROP },
		{ CP_T_IPV4, "10.1.2.3", CP_ACT_ALLOW },  { CP_T_IPV4, "10.1.2.4", CP_ACT_DROP },
		{ CP_T_IPV4, "11.0.0.1", CP_ACT_NONE },   { CP_T_DOMAIN, "bad.example.com", CP_ACT_ALLOW },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cp_action best = CP_ACT_NONE;
		cp_norm(cases[i].t, cases[i].v, strlen(cases[i].v), &q, &why);
		unsigned k = cp_store_match(ts.store, &q, m, 8);
		for (unsigned j = 0; j < k; j++)
			if (cp_ref_action(m[j].ref) > best)
				best = cp_ref_action(m[j].ref);
		cr_expect_eq(best, cases[i].want, "%s", cases[i].v);
	}
	t_close(&ts);
	cp_compiler_free(c);
}

Test(store, lpm4_bulk_matches_single)
{
	struct cp_compiler *c = cp_compiler_new(11);
	struct t_store ts;
	uint32_t addrs[64], refs[64];
	uint64_t rs = 5;

	t_add(c, CP_T_IPV4, "10.0.0.0/8", t_meta(c, CP_ACT_ALERT, "a"));
	t_add(c, CP_T_IPV4, "10.200.0.0/25", t_meta(c, CP_ACT_DROP, "a"));
	t_open(c, &ts, NULL);
	for (unsigned i = 0; i < 64; i++)
		addrs[i] = (i % 2 ? 0x0ac80000u : 0x0a000000u) | (uint32_t)(t_rand(&rs) % 256);
	addrs[0] = 0x0b000001u;
	cr_expect_eq(cp_store_lpm4_bulk(ts.store, addrs, refs, 64), 63);
	cr_expect_eq(refs[0], 0u);
	for (unsigned i = 1; i < 64; i++)
		cr_expect_eq(cp_ref_action(refs[i]), addrs[i] >> 16 == 0x0ac8 && (addrs[i] & 0xff) < 128
							     ? CP_ACT_DROP : CP_ACT_ALERT);
	t_close(&ts);
	cp_compiler_free(c);
}

/* The bulk range lookup (a vector count over a chunk's starts, up to a
 * bound, then a binary search) against the single one (binary search) and
 * a naive reference, over /16 chunks of 1 to ~600 ranges: every count the
 * vector steps and the bound cut at, each CIDR's first and last address
 * and their neighbours, in bursts of every size. */
Test(store, range4_bulk_every_chunk_size)
{
	static const unsigned per_chunk[] = { 0, 1, 2, 7, 8, 15, 16, 17, 31, 32, 33,
					      63, 64, 65, 100, 127, 128, 129, 200, 300 };
	enum { NCH = sizeof(per_chunk) / sizeof(per_chunk[0]) };
	struct cp_compiler *c = cp_compiler_new(21);
	uint32_t net[2400], mask[2400], q[CP_STORE_BULK_MAX], refs[CP_STORE_BULK_MAX];
	enum cp_action act[2400];
	uint32_t meta[3] = { 0, t_meta(c, CP_ACT_ALERT, "a"), t_meta(c, CP_ACT_DROP, "d") };
	unsigned ncidr = 0, nq = 0, burst = 1;
	uint64_t rs = 77;
	struct t_store ts;
	char txt[32];

	for (unsigned ch = 0; ch < NCH; ch++) {
		for (unsigned j = 0; j < per_chunk[ch]; j++) {
			unsigned plen = 24 + (unsigned)(t_rand(&rs) % 8);
			mask[ncidr] = 0xffffffffu << (32 - plen);
			net[ncidr] = ((0x0a00u + ch) << 16 | (uint32_t)(t_rand(&rs) & 0xffff)) & mask[ncidr];
			act[ncidr] = t_rand(&rs) % 2 ? CP_ACT_DROP : CP_ACT_ALERT;
			snprintf(txt, sizeof(txt), "%u.%u.%u.%u/%u", net[ncidr] >> 24,
				 net[ncidr] >> 16 & 255, net[ncidr] >> 8 & 255, net[ncidr] & 255, plen);
			t_add(c, CP_T_IPV4, txt, meta[act[ncidr]]);
			ncidr++;
		}
	}
	t_open(c, &ts, NULL);
	const struct cp_range4 *r4 = &ts.store->r4;
	/* Queries: around every CIDR's ends, then chunk ends and randoms. */
	for (unsigned i = 0; i < ncidr + NCH * 8 + 1; i++) {
		uint32_t cand[6];
		unsigned k = 0;
		if (i < ncidr) {
			uint32_t last = net[i] | ~mask[i];
			cand[k++] = net[i] - 1, cand[k++] = net[i], cand[k++] = net[i] + 1;
			cand[k++] = last - 1, cand[k++] = last, cand[k++] = last + 1;
		} else if (i < ncidr + NCH * 8) {
			uint32_t ch = 0x0a00u + (i - ncidr) / 8;
			cand[k++] = ch << 16 | (uint32_t)(t_rand(&rs) & 0xffff);
			cand[k++] = ch << 16, cand[k++] = ch << 16 | 0xffff;
		}
		for (unsigned j = 0; j <= k; j++) {
			if (j < k)
				q[nq++] = cand[j];
			if (nq < burst && !(j == k && i == ncidr + NCH * 8))
				continue;
			if (nq == 0)
				continue;
			cp_store_lpm4_bulk(ts.store, q, refs, nq);
			for (unsigned x = 0; x < nq; x++) {
				enum cp_action want = CP_ACT_NONE;
				for (unsigned y = 0; y < ncidr; y++)
					if ((q[x] & mask[y]) == net[y] && act[y] > want)
						want = act[y];
				cr_assert_eq(refs[x], cp__r4_lookup(r4, q[x]), "%08x", q[x]);
				cr_assert_eq(cp_ref_action(refs[x]), want, "%08x", q[x]);
			}
			nq = 0;
			burst = burst % CP_STORE_BULK_MAX + 1;
		}
	}
	t_close(&ts);
	cp_compiler_free(c);
}

/* CIDRs of /8 to /32 nested inside 10.0.0.0/8, so the /24 bitmap's spans
 * start and end at every bit of a word: random queries (most inside 10/8)
 * and each CIDR's ends, bulk against single and a naive reference. */
Test(store, range4_bulk_wide_cidrs)
{
	struct cp_compiler *c = cp_compiler_new(22);
	uint32_t net[300], mask[300], q[CP_STORE_BULK_MAX], refs[CP_STORE_BULK_MAX];
	enum cp_action act[300];
	uint32_t meta[3] = { 0, t_meta(c, CP_ACT_ALERT, "a"), t_meta(c, CP_ACT_DROP, "d") };
	uint64_t rs = 91;
	struct t_store ts;
	char txt[32];

	for (unsigned i = 0; i < 300; i++) {
		unsigned plen = 8 + (unsigned)(t_rand(&rs) % 25);
		mask[i] = 0xffffffffu << (32 - plen);
		net[i] = (0x0a000000u | (uint32_t)(t_rand(&rs) & 0xffffff)) & mask[i];
		act[i] = i == 0 || t_rand(&rs) % 4 ? CP_ACT_ALERT : CP_ACT_DROP;
		snprintf(txt, sizeof(txt), "%u.%u.%u.%u/%u", net[i] >> 24, net[i] >> 16 & 255,
			 net[i] >> 8 & 255, net[i] & 255, plen);
		t_add(c, CP_T_IPV4, txt, meta[act[i]]);
	}
	t_open(c, &ts, NULL);
	for (unsigned round = 0; round < 2000; round++) {
		unsigned n = 1 + round % CP_STORE_BULK_MAX;
		for (unsigned j = 0; j < n; j++) {
			uint32_t x = (uint32_t)t_rand(&rs);
			unsigned k = (unsigned)(t_rand(&rs) % 300);
			q[j] = j % 4 == 0 ? x : j % 4 == 1 ? 0x0a000000u | (x & 0xffffff)
				: j % 4 == 2 ? net[k] + (x % 3) - 1 : (net[k] | ~mask[k]) + (x % 3) - 1;
		}
		cp_store_lpm4_bulk(ts.store, q, refs, n);
		for (unsigned j = 0; j < n; j++) {
			enum cp_action want = CP_ACT_NONE;
			for (unsigned y = 0; y < 300; y++)
				if ((q[j] & mask[y]) == net[y] && act[y] > want)
					want = act[y];
			cr_assert_eq(refs[j], cp__r4_lookup(&ts.store->r4, q[j]), "%08x", q[j]);
			cr_assert_eq(cp_ref_action(refs[j]), want, "%08x", q[j]);
		}
	}
	t_close(&ts);
	cp_compiler_free(c);
}

Test(store, expired_not_compiled)
{
	struct cp_compiler *c = cp_compiler_new(3);
	struct cp_meta_in old = { .action = CP_ACT_DROP, .confidence = -1, .feed = "f",
				  .valid_until = 1000 };
	struct cp_compile_stats st;
	struct t_store ts;
	struct cp_ind ind;
	struct cp_match m[2];
	const char *why;
	uint32_t id;

	cr_assert_eq(cp_compiler_meta(c, &old, &id), 0);
	cp_norm(CP_T_DOMAIN, "old.com", 7, &ind, &why);
	cr_expect_eq(cp_compiler_add(c, &ind, id), 1);
	t_open(c, &ts, &st);
	cr_expect_eq(st.expired, 1u);
	cr_expect_eq(cp_store_match(ts.store, &ind, m, 2), 0);
	t_close(&ts);
	cp_compiler_free(c);
}

/* The range table at its edges: the ends of the address space, /16 chunk
 * boundaries, a CIDR spanning many chunks, nesting that ends mid-chunk. */
Test(store, cidr4_range_edges)
{
	struct cp_compiler *c = cp_compiler_new(12);
	struct t_store ts;
	static const char *const cidr[] = { NULL, "0.0.0.0/1", "255.255.255.254/31",
					    "10.0.0.0/8", "10.16.0.0/16", "10.16.0.0/24" };
	static const unsigned plen[] = { 0, 1, 31, 8, 16, 24 };
	static const struct { uint32_t addr; unsigned want; } q[] = {
		{ 0x00000000u, 1 }, { 0x7fffffffu, 1 }, { 0x80000000u, 0 },
		{ 0xfffffffdu, 0 }, { 0xfffffffeu, 2 }, { 0xffffffffu, 2 },
		{ 0x09ffffffu, 1 }, { 0x0affffffu, 3 }, { 0x0b000000u, 1 },
		{ 0x0a0fffffu, 3 }, { 0x0a10ffffu, 4 }, { 0x0a110000u, 3 },
		{ 0x0a1000feu, 5 }, { 0x0a1000ffu, 5 }, { 0x0a100100u, 4 },
	};
	uint32_t m[6];

	for (unsigned i = 1; i < 6; i++) {
		m[i] = t_meta(c, i == 5 ? CP_ACT_DROP : CP_ACT_ALERT, cidr[i]);
		t_add(c, CP_T_IPV4, cidr[i], m[i]);
	}
	t_open(c, &ts, NULL);
	for (size_t i = 0; i < CP_ARRAY_LEN(q); i++) {
		const uint32_t *e;
		uint32_t ref;
		unsigned found = 0;

		cp_store_lpm4_bulk(ts.store, &q[i].addr, &ref, 1);
		cr_expect_eq(ref == 0, q[i].want == 0, "%08x", q[i].addr);
		if (q[i].want == 0)
			continue;
		/* The set holds the longest prefix and every shorter one around it. */
		unsigned k = cp_store_set(ts.store, ref, &e);
		for (unsigned j = 0; j < k; j++)
			found |= (e[j] & 0xffffff) == m[q[i].want] && e[j] >> 24 == plen[q[i].want] + 1;
		cr_expect(found, "%08x: want %s", q[i].addr, cidr[q[i].want]);
		cr_expect_eq(cp_ref_action(ref), q[i].want == 5 ? CP_ACT_DROP : CP_ACT_ALERT,
			     "%08x", q[i].addr);
	}
	t_close(&ts);
	cp_compiler_free(c);
}

Test(store, range4_invalid)
{
	static uint32_t off[CP_R4_CHUNKS + 1], ref[CP_R4_CHUNKS + 1];
	static uint16_t start[CP_R4_CHUNKS + 1];
	struct cp_range4 r = { 0 };
	uint64_t n = CP_R4_CHUNKS + 1;

	for (uint32_t c = 0; c <= CP_R4_CHUNKS; c++)
		off[c] = c + (c > 7);  /* chunk 7 has two ranges */
	start[8] = 100;
	cr_assert_eq(cp__r4_init(&r, off, sizeof(off), start, n * 2, ref, n * 4), 0, "valid");
	start[8] = 0;
	cr_expect_eq(cp__r4_init(&r, off, sizeof(off), start, n * 2, ref, n * 4), -EBADMSG,
		     "starts must rise inside a chunk");
	start[8] = 100;
	start[9] = 5;
	cr_expect_eq(cp__r4_init(&r, off, sizeof(off), start, n * 2, ref, n * 4), -EBADMSG,
		     "a chunk's first range starts at 0");
	start[9] = 0;
	off[5] = off[4];
	cr_expect_eq(cp__r4_init(&r, off, sizeof(off), start, n * 2, ref, n * 4), -EBADMSG,
		     "every chunk has a range");
	off[5] = 5;
	off[CP_R4_CHUNKS] = (uint32_t)n + 1;
	cr_expect_eq(cp__r4_init(&r, off, sizeof(off), start, n * 2, ref, n * 4), -EBADMSG,
		     "slices end at the arrays' end");
	off[CP_R4_CHUNKS] = (uint32_t)n;
	cr_expect_eq(cp__r4_init(&r, off, sizeof(off) - 4, start, n * 2, ref, n * 4), -EBADMSG);
	cr_expect_eq(cp__r4_init(&r, off, sizeof(off), start, n * 2, ref, n * 4 - 4), -EBADMSG);
	cr_expect_eq(cp__r4_init(&r, NULL, 0, NULL, 0, NULL, 0), 0, "no CIDRs");
	cr_expect_eq(cp__r4_lookup(&r, 0x01020304u), 0u);
	cp__r4_fini(&r);
}

/* The first test of the fast path: an address is a candidate exactly when
 * its /24 holds an exact indicator or meets a CIDR, so none that could
 * match is ever dropped, and most that cannot are. Sets with exact
 * addresses (in enough /24s for the map to be written as a bitmap, and in
 * few, as a list) with and without CIDRs, with CIDRs only, and with no
 * IPv4; random queries around the members in bursts of every size, against
 * a naive reference and against the lookups themselves. The two lookups
 * in one (cp_store_ipv4_bulk) against the two in turn, with the filter and,
 * in a flood of members, without. */
static void v4_candidates(uint64_t seed, unsigned nexact, unsigned ncidr)
{
	struct cp_compiler *c = cp_compiler_new(seed);
	uint32_t meta = t_meta(c, CP_ACT_DROP, "f");
	uint32_t *ex = calloc(nexact + 1, 4), (*cidr)[2] = calloc(ncidr + 1, sizeof(*cidr));
	uint8_t *in24 = calloc(1u << 24, 1);  /* the reference: a byte per /24 */
	uint64_t rs = seed;
	struct t_store ts;
	struct cp_ind ind;
	const char *why;
	char buf[40];

	cr_assert(ex != NULL && cidr != NULL && in24 != NULL);
	for (unsigned i = 0; i < nexact; i++) {
		ex[i] = (t_rand(&rs) % 2 ? 0x0a000000u : 0xac100000u) | (uint32_t)(t_rand(&rs) % 0x400000);
		if (nexact > 100000)  /* over all /24s: past 512 k of them, a bitmap */
			ex[i] = (uint32_t)t_rand(&rs);
		ind = (struct cp_ind){ .type = CP_T_IPV4, .len = 4, .plen = 32 };
		for (unsigned b = 0; b < 4; b++)
			ind.v[b] = (uint8_t)(ex[i] >> (24 - 8 * b));
		cr_assert_eq(cp_compiler_add(c, &ind, meta), 0);
		in24[ex[i] >> 8] = 1;
	}
	for (unsigned i = 0; i < ncidr; i++) {
		unsigned plen = i % 4 == 0 ? 12 + (unsigned)(t_rand(&rs) % 12) : 24 + (unsigned)(t_rand(&rs) % 7);
		uint32_t a = (0xc0000000u | (uint32_t)(t_rand(&rs) % 0x1000000)) & ~0u << (32 - plen);
		cidr[i][0] = a, cidr[i][1] = a | ~(~0u << (32 - plen));
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u/%u", a >> 24, a >> 16 & 255, a >> 8 & 255,
			 a & 255, plen);
		cr_assert_eq(cp_norm(CP_T_IPV4, buf, strlen(buf), &ind, &why), 0);
		cr_assert_eq(cp_compiler_add(c, &ind, meta), 0);
		for (uint32_t b = cidr[i][0] >> 8; b <= cidr[i][1] >> 8; b++)
			in24[b] = 1;
	}
	/* No IPv4 at all: nothing known, all stay (its lookups cost nothing). */
	int all = nexact == 0 && ncidr == 0;
	t_open(c, &ts, NULL);
	for (unsigned round = 0; round < 400; round++) {
		uint32_t addrs[256], refs[256], both[256];
		uint16_t keep[256];
		struct cp_qkey keys[256];
		unsigned n = 1 + (unsigned)(t_rand(&rs) % 256), want = 0, k;
		for (unsigned i = 0; i < n; i++) {
			uint64_t r = t_rand(&rs);
			uint32_t a = (uint32_t)t_rand(&rs);
			if (round / 100 == 2 && nexact)  /* a flood of members: no filter */
				a = ex[r % nexact];
			else if (r % 4 == 0 && nexact)  /* a member, or in its /24 or /16 */
				a = ex[r / 4 % nexact] ^ (uint32_t)(t_rand(&rs) % (r % 3 == 0 ? 256 : 0x10000));
			else if (r % 4 == 1 && ncidr)  /* near a CIDR's ends */
				a = cidr[r / 4 % ncidr][r / 16 % 2] + (uint32_t)(t_rand(&rs) % 512) - 256;
			addrs[i] = a;
		}
		k = cp_store_v4_candidates(ts.store, addrs, n, keep);
		cp_store_keys_ipv4(ts.store, addrs, keys, n);
		unsigned both_hits = cp_store_ipv4_bulk(ts.store, addrs, keys, both, n), nhit = 0;
		cp_store_lookup_bulk(ts.store, CP_T_IPV4, keys, refs, n);
		/* The range lookup takes its /24 bits from the v4map when the
		 * store has one, else from its own map; both give the search's
		 * answer. */
		uint32_t r4map[256], r4own[256];
		struct cp_range4 own = ts.store->r4;
		cr_assert(!ncidr || own.v4map != NULL, "the store hands its v4map to the CIDRs");
		own.v4map = NULL;
		cp__r4_lookup_bulk(&ts.store->r4, addrs, r4map, n);
		cp__r4_lookup_bulk(&own, addrs, r4own, n);
		for (unsigned i = 0; i < n; i++) {
			uint32_t r4 = 0;
			cr_assert_eq(r4map[i], r4own[i], "%08x: %08x from the v4map, %08x without",
				     addrs[i], r4map[i], r4own[i]);
			cr_assert_eq(r4own[i], ncidr ? cp__r4_lookup(&own, addrs[i]) : 0u);
			int in = all || in24[addrs[i] >> 8];
			cp_store_lpm4_bulk(ts.store, &addrs[i], &r4, 1);
			/* Both lookups in one: the exact ref, else the CIDRs'. */
			cr_assert_eq(both[i], refs[i] != 0 ? refs[i] : r4, "%08x: %08x, want %08x",
				     addrs[i], both[i], refs[i] != 0 ? refs[i] : r4);
			nhit += both[i] != 0;
			cr_assert(!(refs[i] != 0 || r4 != 0) || in, "%08x matches outside the map", addrs[i]);
			if (!in)
				continue;
			cr_assert(want < k && keep[want] == i, "%08x: a candidate (round %u, %u of %u)",
				  addrs[i], round, i, n);
			want++;
		}
		cr_assert_eq(k, want, "round %u: %u candidates, want %u", round, k, want);
		cr_assert_eq(both_hits, nhit);
		if (round == 299 && nexact > 100000)  /* the flood took the filter-less path */
			cr_assert(!cp__xt_uses_filter(&ts.store->x[CP_T_IPV4]));
	}
	t_close(&ts);
	cp_compiler_free(c);
	free(ex);
	free(cidr);
	free(in24);
}

Test(store, v4_candidates)
{
	v4_candidates(1, 600000, 300);
	v4_candidates(2, 600000, 0);
	v4_candidates(3, 0, 300);
	v4_candidates(4, 0, 0);
	v4_candidates(5, 3000, 300);
	v4_candidates(6, 3000, 0);
	v4_candidates(7, 1, 1);
}

/* A snapshot from before the map, with exact addresses: nothing is known,
 * so no address may be dropped. A map of the wrong size, a set with both
 * forms, and lists empty, out of order or out of range are refused. */
Test(store, v4map_absent_or_bad)
{
	struct cp_range4 r = { 0 };
	struct cp_v4map m = { 0 };
	uint64_t small[4] = { 0 };
	uint32_t up[3] = { 5, 9, 1u << 23 }, down[3] = { 5, 9, 7 }, big[2] = { 5, 1u << 24 };

	cr_expect_eq(cp__v4map_init(&m, NULL, 0, NULL, 0, &r, 1), 0);
	cr_expect_null(m.bits, "exact addresses and no map: every address stays");
	cr_expect_eq(cp__v4map_init(&m, small, sizeof(small), NULL, 0, &r, 1), -EBADMSG);
	cr_expect_eq(cp__v4map_init(&m, small, sizeof(small), up, 3, &r, 1), -EBADMSG, "both");
	cr_expect_eq(cp__v4map_init(&m, NULL, 0, up, 0, &r, 1), -EBADMSG, "empty");
	cr_expect_eq(cp__v4map_init(&m, NULL, 0, down, 3, &r, 1), -EBADMSG, "order");
	cr_expect_eq(cp__v4map_init(&m, NULL, 0, big, 2, &r, 1), -EBADMSG, "range");
	cr_expect_null(m.bits);
	cr_assert_eq(cp__v4map_init(&m, NULL, 0, up, 3, &r, 1), 0);
	cr_expect_eq(m.bits[0], 1ull << 5 | 1ull << 9, "the list's /24s, in the first half");
	cr_expect_eq(m.bits[(1u << 23) / 32], 1ull);
	cr_expect(cp__v4map_test(m.bits, 9u << 8 | 77, 0) && !cp__v4map_test(m.bits, 9u << 8, 1));
	cr_expect(!cp__v4map_test(m.bits, 10u << 8, 0));
	cr_expect_eq(m.bits16[0], 1ull, "and their /16s");
	cr_expect_eq(m.bits16[(1u << 15) / 64], 1ull);
	cp__v4map_fini(&m);
}
