/* Pattern indicators: the feed syntax, the canonical text, and databases
 * compiled with Hyperscan that match what they should: caseless, anchored
 * and overlapping patterns, several in one payload, matches at a payload's
 * edges, nothing on benign bytes; errors name the pattern. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pattern/pattern.h"
#include "loadrun.h"

static struct cp_pattern pats[16];

static const struct cp_pattern *P(unsigned i, const char *text)
{
	const char *why = NULL;

	cr_assert_eq(cp_pattern_parse(text, strlen(text), &pats[i], &why), 0, "%s: %s", text, why);
	return &pats[i];
}

struct hits {
	unsigned n;
	unsigned id[32];
	unsigned long long to[32];
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
		    void *ctx)
{
	struct hits *h = ctx;

	(void)from, (void)fl;
	if (h->n < 32)
		h->id[h->n] = id, h->to[h->n++] = to;
	return 0;
}

static struct hits scan(hs_database_t *db, const char *data, size_t n)
{
	hs_scratch_t *s = NULL;
	struct hits h = { 0 };

	cr_assert_eq(hs_alloc_scratch(db, &s), HS_SUCCESS);
	cr_assert_eq(hs_scan(db, data, (unsigned)n, 0, s, on_match, &h), HS_SUCCESS);
	hs_free_scratch(s);
	return h;
}

static int has(const struct hits *h, unsigned id)
{
	for (unsigned i = 0; i < h->n; i++)
		if (h->id[i] == id)
			return 1;
	return 0;
}

Test(pattern, syntax_and_canonical_text)
{
	struct cp_pattern p;
	const char *why;
	char txt[64];

	cr_assert_eq(cp_pattern_parse("/Ev[i1]l\\d+/is", 14, &p, &why), 0);
	cr_expect_eq(p.literal, 0);
	cr_expect_str_eq(p.expr, "Ev[i1]l\\d+");
	cr_expect_eq(p.flags, HS_FLAG_CASELESS | HS_FLAG_DOTALL);
	cp_pattern_format(&p, txt, sizeof(txt));
	cr_expect_str_eq(txt, "/Ev[i1]l\\d+/is");
	cr_assert_eq(cp_pattern_parse("MZ\\x90\\x00\\\\x", 13, &p, &why), 0);
	cr_expect_eq(p.literal, 1);
	cr_expect_eq(p.len, 6);
	cr_expect(memcmp(p.expr, "MZ\x90\0\\x", 6) == 0);
	cp_pattern_format(&p, txt, sizeof(txt));
	cr_expect_str_eq(txt, "MZ\\x90\\x00\\\\x");
	static const char *const bad[] = { "", "/abc", "/abc/q", "//", "a\\x4", "a\\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(cp_pattern_parse(bad[i], strlen(bad[i]), &p, &why), -EINVAL, "%s", bad[i]);
	char big[CP_PATTERN_MAX + 2];
	memset(big, 'a', sizeof(big));
	cr_expect_eq(cp_pattern_parse(big, sizeof(big), &p, &why), -EINVAL);
	cr_expect_str_eq(why, "pattern longer than 4096 bytes");
}

Test(pattern, regexes_and_literals_match)
{
	const struct cp_pattern *set[] = {
		P(0, "/beacon-[0-9a-f]{8}/i"),  /* caseless */
		P(1, "/^GET \\/admin/"),        /* anchored at the start */
		P(2, "abcab"),                  /* overlaps itself in abcabcab */
		P(3, "cab"),
		P(4, "\\x00\\xffEND"),          /* bytes, at the very end */
	};
	hs_database_t *db;
	unsigned bad;
	char err[256];

	cr_assert_eq(cp_pattern_compile(set, 5, &db, &bad, err, sizeof(err)), 0, "%s", err);
	struct hits h = scan(db, "xx BEACON-DEADBEEF yy", 21);
	cr_expect(has(&h, 0), "caseless");
	h = scan(db, "GET /admin HTTP/1.1", 19);
	cr_expect(has(&h, 1), "anchored");
	h = scan(db, " GET /admin", 11);
	cr_expect(!has(&h, 1), "anchored means at the start");
	h = scan(db, "abcabcab", 8);
	cr_expect(has(&h, 2) && has(&h, 3), "overlapping and several in one payload");
	unsigned n2 = 0;
	for (unsigned i = 0; i < h.n; i++)
		n2 += h.id[i] == 2;
	cr_expect_eq(n2, 1, "abcab matches twice, reported once: single-match");
	static const char tail[] = "payload....\0\xff" "END";
	h = scan(db, tail, sizeof(tail) - 1);
	cr_expect(has(&h, 4) && h.to[h.n - 1] == sizeof(tail) - 1, "a match at the edge");
	h = scan(db, "GET /index.html HTTP/1.1 benign bytes", 37);
	cr_expect_eq(h.n, 0, "nothing on benign bytes");
	hs_free_database(db);
	/* All literals: the literal compiler, the same matches. */
	const struct cp_pattern *lits[] = { P(5, "evil"), P(6, "\\x00\\x01") };
	cr_assert_eq(cp_pattern_compile(lits, 2, &db, &bad, err, sizeof(err)), 0, "%s", err);
	h = scan(db, "an evil \x00\x01 thing", 16);
	cr_expect(has(&h, 0) && has(&h, 1));
	hs_free_database(db);
}

Test(pattern, errors_name_the_pattern)
{
	const struct cp_pattern *set[] = { P(0, "fine"), P(1, "/(unclosed/"), P(2, "/x*/") };
	hs_database_t *db;
	unsigned bad;
	char err[256];

	cr_expect_eq(cp_pattern_compile(set, 3, &db, &bad, err, sizeof(err)), -EINVAL);
	cr_expect_eq(bad, 1, "%s", err);
	cr_expect(strlen(err) > 0);
	const struct cp_pattern *empty[] = { P(0, "fine"), P(2, "/x*/") };
	cr_expect_eq(cp_pattern_compile(empty, 2, &db, &bad, err, sizeof(err)), -EINVAL);
	cr_expect_eq(bad, 1, "a pattern matching the empty buffer: %s", err);
	cr_expect_eq(cp_pattern_compile(empty, 0, &db, &bad, err, sizeof(err)), -EINVAL);
}

/* A pattern feed through the compiler into a snapshot and back: the
 * databases are restored, not recompiled, and match as compiled, with each
 * match's context and text; bad lines name file and line, and the rest
 * of the feed still loads. */
Test(pattern, feed_snapshot_round_trip_without_recompiling)
{
	char path[128], spec[256];
	struct run r;
	struct t_store ts;

	fixture(path, sizeof(path), "p.txt",
		"# beacons\n"
		"/beacon-[0-9a-f]{8}/i\tid=P-1\ttags=c2\n"
		"MZ\\x90\\x00\tid=P-2\taction=drop\n"
		"/\\/wp-login\\.php/\ttarget=url\tid=P-3\n"
		"/(unclosed/\tid=P-4\n"
		"/a*/\n"
		"fine\tcolour=red\n");
	snprintf(spec, sizeof(spec), "pattern:%s,feed=pats", path);
	load(&r, spec);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	cr_expect_eq(r.diag.errors, 3, "%s", r.text);
	HAS(r.text, ":5: regex refused by Hyperscan: 'Missing close parenthesis");
	HAS(r.text, ":6: regex refused by Hyperscan: 'it matches the empty buffer'");
	HAS(r.text, ":7: unknown field");
	struct cp_compile_stats st;
	t_open(r.c, &ts, &st);
	cr_expect_eq(st.patterns[CP_PT_PAYLOAD], 2);
	cr_expect_eq(st.patterns[CP_PT_URL], 1);
	uint64_t before = cp_pattern_compile_count();
	/* t_open compiled once; reopening the file must not compile again. */
	char err[256];
	struct cp_snap *snap = cp_snap_open(ts.path, CP_SNAP_LAZY, err, sizeof(err));
	cr_assert_not_null(snap, "%s", err);
	struct cp_store *s = cp_store_open(snap);
	cr_assert_not_null(s);
	cr_expect_eq(cp_pattern_compile_count(), before, "loading recompiled");
	uint32_t n;
	const struct cp_pat_ref *refs;
	hs_database_t *db = (hs_database_t *)cp_store_patterns(s, CP_PT_PAYLOAD, &n, &refs);
	cr_assert_not_null(db);
	cr_expect_eq(n, 2);
	static const char pay[] = "xx BEACON-0123abcd MZ\x90\x00 yy";
	struct hits h = scan(db, pay, sizeof(pay) - 1);
	cr_expect(has(&h, 0) && has(&h, 1), "both payload patterns match");
	const struct cp_meta_rec *m0 = cp_store_meta(s, refs[0].meta);
	cr_expect_str_eq(cp_store_str(s, m0->id), "P-1");
	cr_expect_str_eq(cp_store_str(s, refs[0].text), "/beacon-[0-9a-f]{8}/i");
	cr_expect_eq(cp_store_meta(s, refs[1].meta)->action, CP_ACT_DROP);
	cr_expect_str_eq(cp_store_str(s, refs[1].text), "MZ\\x90\\x00");
	cr_expect_null(cp_store_patterns(s, CP_PT_DNS, &n, NULL), "no dns.query patterns");
	hs_database_t *udb = (hs_database_t *)cp_store_patterns(s, CP_PT_URL, &n, NULL);
	h = scan(udb, "http://a.example/wp-login.php?x=1", 33);
	cr_expect(has(&h, 0));
	cp_store_close(s);
	cp_snap_close(snap);
	t_close(&ts);
	done(&r);
	unlink(path);
}

static const char *pfile;

/* A compiler with the limits o and the patterns texts[] (payload). */
static struct cp_compiler *with(const struct cp_pattern_opts *o, const char *const *texts,
				unsigned n)
{
	struct cp_compiler *c = cp_compiler_new(3);
	struct cp_meta_in m = { .action = CP_ACT_ALERT, .confidence = -1, .feed = "p" };
	uint32_t mid;

	cr_assert_not_null(c);
	cp_compiler_set_patterns(c, o);
	cr_assert_eq(cp_compiler_meta(c, &m, &mid), 0);
	for (unsigned i = 0; i < n; i++) {
		/* Parsed, not checked: the compiler must cope with what a
		 * feed's check lets through. */
		cr_assert_eq(cp_compiler_add_pattern(c, P(0, texts[i]), CP_PT_PAYLOAD, mid, pfile,
						     i + 1),
			     0);
	}
	return c;
}

static int write_it(struct cp_compiler *c, const char *path, struct cp_compile_stats *st,
		    char *err, size_t n)
{
	int rc = cp_compiler_write(c, path, st, err, n);
	cp_compiler_free(c);
	return rc;
}

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Sets refused at compile: by Hyperscan (named by file and line), past the
 * time limit (within it, not after the 4 s the compile would take), past
 * the size limit; nothing is written. */
Test(pattern, refused_sets)
{
	static const char *const bad[] = { "fine", "/(unclosed/" };
	static const char *const slow[] = { "/(?:(?:a|b)c{1,500}){50}/" };
	static const char *const ok[] = { "evil", "/beacon-[0-9]+/" };
	struct cp_pattern_opts o = { .time_limit_s = 0.3 };
	struct cp_compile_stats st;
	char path[128], err[512];

	pfile = "feeds/p.txt";
	t_tmpname(path, sizeof(path), "refused");
	cr_expect_eq(write_it(with(&o, bad, 2), path, &st, err, sizeof(err)), -EINVAL);
	HAS(err, "feeds/p.txt:2: pattern /(unclosed/ refused by Hyperscan: Missing close");
	double t0 = mono();
	cr_expect_eq(write_it(with(&o, slow, 1), path, &st, err, sizeof(err)), -ETIMEDOUT);
	cr_expect_lt(mono() - t0, 2.0, "refused at the limit, not after the compile");
	HAS(err, "payload patterns refused: compiling took longer than the limit of 0.3 s");
	o.max_bytes = 100;
	cr_expect_eq(write_it(with(&o, ok, 2), path, &st, err, sizeof(err)), -EFBIG);
	HAS(err, "over the limit of 0.000 MB (--pattern-max-mb)");
	cr_expect_neq(access(path, F_OK), 0, "nothing written");
	/* In this process (no time limit): the same refusal by Hyperscan. */
	o = (struct cp_pattern_opts){ 0 };
	cr_expect_eq(write_it(with(&o, bad, 2), path, &st, err, sizeof(err)), -EINVAL);
	HAS(err, "feeds/p.txt:2: pattern /(unclosed/ refused by Hyperscan");
	cr_expect_eq(write_it(with(&o, ok, 2), path, &st, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(st.pattern_compiled, 1);
	unlink(path);
}

static unsigned cache_files(const char *dir, char *last, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned k = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			snprintf(last, n, "%s/%s", dir, e->d_name);
			k++;
		}
	closedir(d);
	return k;
}

/* The cache: an unchanged set is taken from it and matches the same; a
 * changed set or a damaged entry is compiled again. */
Test(pattern, compile_cache)
{
	static const char *const set1[] = { "evil", "/beacon-[0-9]+/i" };
	static const char *const set2[] = { "evil", "/beacon-[0-9]+/" };  /* flags differ */
	char dir[128], path[128], entry[512], err[512];
	struct cp_compile_stats st;
	struct t_store ts;

	pfile = "p.txt";
	t_tmpname(dir, sizeof(dir), "cache");
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/sub/dir");
	t_tmpname(path, sizeof(path), "cached");
	struct cp_pattern_opts o = { .time_limit_s = 60, .cache_dir = dir };
	cr_assert_eq(write_it(with(&o, set1, 2), path, &st, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(st.pattern_compiled, 1);
	cr_expect_eq(st.pattern_cached, 0);
	cr_assert_eq(cache_files(dir, entry, sizeof(entry)), 1, "one entry in %s", dir);
	cr_assert_eq(write_it(with(&o, set1, 2), path, &st, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(st.pattern_compiled, 0, "unchanged: not compiled again");
	cr_expect_eq(st.pattern_cached, 1);
	/* What came from the cache matches as compiled. */
	ts.snap = cp_snap_open(path, 0, err, sizeof(err));
	cr_assert_not_null(ts.snap, "%s", err);
	ts.store = cp_store_open(ts.snap);
	uint32_t n;
	hs_database_t *db = (hs_database_t *)cp_store_patterns(ts.store, CP_PT_PAYLOAD, &n, NULL);
	cr_assert_not_null(db);
	struct hits h = scan(db, "an EVIL BEACON-42", 17);
	cr_expect(!has(&h, 0) && has(&h, 1), "evil is case-sensitive, the beacon caseless");
	h = scan(db, "evil BEACON-42", 14);
	cr_expect(has(&h, 0) && has(&h, 1));
	cp_store_close(ts.store);
	cp_snap_close(ts.snap);
	cr_assert_eq(write_it(with(&o, set2, 2), path, &st, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(st.pattern_compiled, 1, "a changed set is compiled");
	cr_expect_eq(cache_files(dir, entry, sizeof(entry)), 2);
	/* A damaged entry is a miss, compiled again and rewritten. */
	DIR *d = opendir(dir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.') {
			snprintf(entry, sizeof(entry), "%s/%s", dir, e->d_name);
			t_write_file(entry, "not a database");
		}
	closedir(d);
	cr_assert_eq(write_it(with(&o, set1, 2), path, &st, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(st.pattern_compiled, 1, "damaged: compiled again");
	cr_assert_eq(write_it(with(&o, set1, 2), path, &st, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(st.pattern_cached, 1, "and cached again");
	unlink(path);
	while (cache_files(dir, entry, sizeof(entry)) != 0)
		unlink(entry);
	for (unsigned up = 0; up < 3 && rmdir(dir) == 0; up++)
		*strrchr(dir, '/') = '\0';  /* DIR/sub/dir, then DIR/sub, then DIR */
}

/* A store opened over the previous one shares the pattern databases its
 * snapshot holds unchanged (no second restore, no second copy), and each
 * store may be closed first; changed patterns get their own. */
Test(pattern, reload_shares_unchanged_databases)
{
	static const char *const set1[] = { "evil", "/beacon-[0-9]+/i" };
	static const char *const set2[] = { "other" };
	struct cp_pattern_opts o = { 0 };
	char p1[128], p2[128], p3[128], err[512];
	struct cp_compile_stats st;

	pfile = "p.txt";
	t_tmpname(p1, sizeof(p1), "r1");
	t_tmpname(p2, sizeof(p2), "r2");
	t_tmpname(p3, sizeof(p3), "r3");
	struct cp_compiler *c = with(&o, set1, 2);
	struct cp_ind ind;
	const char *why;
	cp_norm(CP_T_IPV4, "192.0.2.1", 9, &ind, &why);
	cp_compiler_add(c, &ind, 0);  /* p2 differs from p1 in its values only */
	cr_assert_eq(write_it(with(&o, set1, 2), p1, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(write_it(c, p2, &st, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(write_it(with(&o, set2, 1), p3, &st, err, sizeof(err)), 0, "%s", err);
	struct cp_snap *s1 = cp_snap_open(p1, 0, err, sizeof(err)),
		       *s2 = cp_snap_open(p2, 0, err, sizeof(err)),
		       *s3 = cp_snap_open(p3, 0, err, sizeof(err));
	cr_assert(s1 && s2 && s3, "%s", err);
	struct cp_store *a = cp_store_open(s1);
	struct cp_store *b = cp_store_open_reuse(s2, a);
	struct cp_store *d = cp_store_open_reuse(s3, b);
	uint32_t n;
	cr_assert(a && b && d);
	const void *da = cp_store_patterns(a, CP_PT_PAYLOAD, &n, NULL);
	cr_expect_eq(cp_store_patterns(b, CP_PT_PAYLOAD, &n, NULL), da, "unchanged: shared");
	cr_expect_neq(cp_store_patterns(d, CP_PT_PAYLOAD, &n, NULL), da, "changed: its own");
	cr_expect_eq(cp_store_count(b, CP_T_IPV4), 1, "the values are the new set's");
	cp_store_close(a);  /* the older first, as a reload frees it */
	cp_snap_close(s1);
	struct hits h = scan((hs_database_t *)cp_store_patterns(b, CP_PT_PAYLOAD, &n, NULL),
			     "evil BEACON-7", 13);
	cr_expect(has(&h, 0) && has(&h, 1), "the shared database outlives its first store");
	cp_store_close(b);
	cp_store_close(d);
	cp_snap_close(s2);
	cp_snap_close(s3);
	unlink(p1), unlink(p2), unlink(p3);
}

/* --pattern-platform generic: a database with no CPU features, which any
 * x86-64 restores, matching as the host's; it is cached apart. */
Test(pattern, generic_platform)
{
	static const char *const set[] = { "evil", "/beacon-[0-9]+/i" };
	char dir[128], path[128], err[512], *info = NULL;
	struct cp_compile_stats st;
	uint64_t size;

	pfile = "p.txt";
	t_tmpname(dir, sizeof(dir), "gcache");
	t_tmpname(path, sizeof(path), "generic");
	struct cp_pattern_opts o = { .cache_dir = dir };
	cr_assert_eq(write_it(with(&o, set, 2), path, &st, err, sizeof(err)), 0, "%s", err);
	o.generic = 1;
	cr_assert_eq(write_it(with(&o, set, 2), path, &st, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(st.pattern_compiled, 1, "the host's database is not the generic one");
	struct cp_snap *snap = cp_snap_open(path, 0, err, sizeof(err));
	cr_assert_not_null(snap, "%s", err);
	const char *ser = cp_snap_section(snap, CP_SEC_PAT_DB + CP_PT_PAYLOAD, &size, NULL, NULL,
					  NULL);
	cr_assert_eq(hs_serialized_database_info(ser, size, &info), HS_SUCCESS);
	cr_expect(strstr(info, "Features:  Mode") != NULL, "no CPU features: %s", info);
	free(info);
	struct cp_store *s = cp_store_open(snap);
	uint32_t n;
	struct hits h = scan((hs_database_t *)cp_store_patterns(s, CP_PT_PAYLOAD, &n, NULL),
			     "evil BEACON-7", 13);
	cr_expect(has(&h, 0) && has(&h, 1));
	cp_store_close(s);
	cp_snap_close(snap);
	unlink(path);
	char entry[512];
	while (cache_files(dir, entry, sizeof(entry)) != 0)
		unlink(entry);
	rmdir(dir);
}
