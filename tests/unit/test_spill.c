/* Sets larger than memory: records spilled to disk and tables built one
 * hash range at a time must give the very snapshot an in-memory compile
 * gives, whichever loader threads spilled; and the streaming writer. */
#include "helpers.h"
#include "snapshot/snapshot_internal.h"

#include <errno.h>
#include <sys/stat.h>

#define NREC 60000u

/* Record i of a deterministic mixed set: IPv4 (a tenth CIDRs), IPv6,
 * domains (some with subdomains), URLs and hashes, drawn from a pool
 * smaller than the set so values repeat, under one of three contexts. */
static void record(uint64_t i, enum cp_itype *t, char *v, size_t n, unsigned *meta)
{
	uint64_t s = (i % (NREC * 2 / 3)) * 0x9e3779b97f4a7c15ull + 1;
	uint64_t r = t_rand(&s), k = t_rand(&s);

	*meta = (unsigned)(i % 3);
	switch (r % 8) {
	case 0:
	case 1:
		*t = CP_T_IPV4;
		snprintf(v, n, "%u.%u.%u.%u", (unsigned)(k >> 56) | 1, (unsigned)(k >> 48) & 7,
			 (unsigned)(k >> 40) & 255, (unsigned)(k >> 32) & 255);
		break;
	case 2:
		*t = CP_T_IPV4;
		if (k % 10 == 0)
			snprintf(v, n, "%u.%u.0.0/16", (unsigned)(k >> 56) | 1, (unsigned)(k >> 48) & 7);
		else if (k % 10 == 1)
			snprintf(v, n, "%u.%u.%u.0/24", (unsigned)(k >> 56) | 1,
				 (unsigned)(k >> 48) & 7, (unsigned)(k >> 40) & 255);
		else
			snprintf(v, n, "%u.%u.%u.%u", (unsigned)(k >> 56) | 1, (unsigned)(k >> 48) & 7,
				 (unsigned)(k >> 40) & 255, (unsigned)(k >> 32) & 255);
		break;
	case 3:
		*t = CP_T_IPV6;
		snprintf(v, n, "2001:db8:%x::%x%s", (unsigned)(k >> 48), (unsigned)k & 0xffff,
			 k % 17 == 0 ? "/64" : "");
		if (k % 17 == 0)
			snprintf(v, n, "2001:db8:%x:%x::/64", (unsigned)(k >> 48), (unsigned)k & 0xffff);
		break;
	case 4:
	case 5:
		*t = CP_T_DOMAIN;
		snprintf(v, n, "%s%llx.example%u.com", k % 9 == 0 ? "*." : "",
			 (unsigned long long)(k >> 20), (unsigned)(k % 5));
		break;
	case 6:
		*t = CP_T_URL;
		snprintf(v, n, "http://h%llx.test/p/%u", (unsigned long long)(k >> 40), (unsigned)k);
		break;
	default:
		*t = CP_T_MD5;
		snprintf(v, n, "%016llx%016llx", (unsigned long long)k, (unsigned long long)r);
		break;
	}
}

static void add_range(struct cp_compiler *c, struct cp_compiler_shard *sh, const uint32_t *ids,
		      uint64_t from, uint64_t to)
{
	char v[128];
	struct cp_ind ind;
	const char *why;
	enum cp_itype t;
	unsigned m;

	for (uint64_t i = from; i < to; i++) {
		record(i, &t, v, sizeof(v), &m);
		cr_assert_eq(cp_norm(t, v, strlen(v), &ind, &why), 0, "%s: %s", v, why);
		int rc = sh ? cp_compiler_shard_add(sh, &ind, ids[m]) : cp_compiler_add(c, &ind, ids[m]);
		cr_assert_geq(rc, 0, "record %llu: %s", (unsigned long long)i, strerror(-rc));
	}
}

/* Compiles the set: the first `split` records by the compiler itself, the
 * rest by a shard merged after (as a second loader thread would), with
 * budget bytes of records in memory. The shard may add its records before
 * the compiler adds its own: threads run side by side, and one may finish
 * before the other starts to spill. */
static void compile_order(const char *path, uint64_t split, uint64_t budget, int shard_first,
			  struct cp_compile_stats *st)
{
	struct cp_compiler *c = cp_compiler_new(99);
	uint32_t ids[3];
	char err[512];

	cr_assert_not_null(c);
	cr_assert_eq(cp_compiler_set_spill(c, "/tmp", budget), 0);
	ids[0] = t_meta(c, CP_ACT_ALERT, "a");
	ids[1] = t_meta(c, CP_ACT_DROP, "b");
	ids[2] = t_meta(c, CP_ACT_ALLOW, "c");
	struct cp_compiler_shard *sh = split < NREC ? cp_compiler_shard_new(c) : NULL;
	if (sh != NULL && shard_first)
		add_range(c, sh, ids, split, NREC);
	add_range(c, NULL, ids, 0, split);
	if (sh != NULL && !shard_first)
		add_range(c, sh, ids, split, NREC);
	if (sh != NULL)
		cr_assert_eq(cp_compiler_shard_merge(sh), 0);
	cr_assert_eq(cp_compiler_write(c, path, st, err, sizeof(err)), 0, "%s", err);
	cp_compiler_free(c);
}

static void compile(const char *path, uint64_t split, uint64_t budget, struct cp_compile_stats *st)
{
	compile_order(path, split, budget, 0, st);
}

/* Equal but for the creation time and the header's checksum over it. */
static void expect_same_file(const char *a, const char *b, const char *what)
{
	size_t na, nb;
	uint8_t *pa = t_read_file(a, &na), *pb = t_read_file(b, &nb);
	struct cp_snap_hdr ha, hb;

	cr_assert_eq(na, nb, "%s: %zu vs %zu bytes", what, na, nb);
	cr_assert_gt(na, CP_SNAP_HDR_SIZE);
	cr_expect(memcmp(pa + CP_SNAP_HDR_SIZE, pb + CP_SNAP_HDR_SIZE, na - CP_SNAP_HDR_SIZE) == 0,
		  "%s: sections differ", what);
	memcpy(&ha, pa, sizeof(ha));
	memcpy(&hb, pb, sizeof(hb));
	cr_expect_eq(ha.nsect, hb.nsect, "%s", what);
	cr_expect(memcmp(ha.sect, hb.sect, sizeof(ha.sect)) == 0, "%s: section tables differ", what);
	free(pa);
	free(pb);
}

Test(spill, same_snapshot_as_in_memory, .timeout = 120)
{
	struct cp_compile_stats ref, st;
	char want[128], got[128];
	const uint64_t all = (uint64_t)NREC * 16;
	static const struct {
		uint64_t split, budget;
		int shard_first;
		const char *what;
	} cases[] = {
		{ NREC, 0, 0, "everything spilled from the first record" },
		{ NREC, (uint64_t)NREC * 16 / 2, 0, "spilled half way" },
		{ NREC / 2, 0, 0, "both threads spill" },
		{ NREC / 2, (uint64_t)NREC * 16 / 3, 0, "the compiler spills first, the shard follows" },
		{ NREC * 2 / 3, (uint64_t)NREC * 16 / 2, 1,
		  "the compiler spills after the shard is done in memory" },
		{ NREC / 3, (uint64_t)NREC * 16 / 2, 0, "the shard spills, the compiler does not" },
		{ NREC / 2, (uint64_t)NREC * 16 * 2, 0, "two threads, nothing spilled" },
	};

	t_tmpname(want, sizeof(want), "inmem");
	compile(want, NREC, all * 4, &ref);
	cr_assert_eq(ref.spilled, 0);
	cr_assert_gt(ref.merged, 1000, "the set has duplicates to merge");
	cr_assert_gt(ref.cidr4, 10);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t_tmpname(got, sizeof(got), "spilled");
		compile_order(got, cases[i].split, cases[i].budget, cases[i].shard_first, &st);
		if (cases[i].budget < all)
			cr_expect_gt(st.spilled, NREC / 4, "%s: spilled %llu", cases[i].what,
				     (unsigned long long)st.spilled);
		else
			cr_expect_eq(st.spilled, 0, "%s", cases[i].what);
		cr_expect_eq(st.merged, ref.merged, "%s", cases[i].what);
		for (unsigned t = 0; t < CP_T__COUNT; t++)
			cr_expect_eq(st.unique[t], ref.unique[t], "%s: %s", cases[i].what,
				     cp_itype_name((enum cp_itype)t));
		expect_same_file(want, got, cases[i].what);
		unlink(got);
	}
	unlink(want);
}

/* What a spilled compile holds, looked up: every value of the set matches,
 * with the contexts of all its copies. */
Test(spill, spilled_set_looks_up)
{
	struct cp_compile_stats st;
	struct cp_match m[8];
	char path[128], v[128], err[256];
	struct cp_ind q;
	const char *why;
	enum cp_itype t;
	unsigned meta;

	t_tmpname(path, sizeof(path), "spilled");
	compile(path, NREC / 2, 0, &st);
	struct cp_snap *snap = cp_snap_open(path, 0, err, sizeof(err));
	cr_assert_not_null(snap, "%s", err);
	struct cp_store *s = cp_store_open(snap);
	cr_assert_not_null(s);
	for (uint64_t i = 0; i < NREC; i += 7) {
		record(i, &t, v, sizeof(v), &meta);
		if (strchr(v, '/') != NULL && t != CP_T_URL)
			continue;  /* a CIDR: looked up by an address inside below */
		cr_assert_eq(cp_norm(t, v, strlen(v), &q, &why), 0);
		q.subdomains = 0;  /* "*.x.com" as the name "x.com", which it covers */
		cr_expect_geq(cp_store_match(s, &q, m, 8), 1, "%s", v);
	}
	cp_store_close(s);
	cp_snap_close(snap);
	unlink(path);
}

Test(spill, bad_spill_dir)
{
	struct cp_compiler *c = cp_compiler_new(1);
	char dir[128], path[128], err[512];
	struct cp_ind ind;
	const char *why;

	cr_expect_eq(cp_compiler_set_spill(c, "/nonexistent/dir", 0), -ENOENT);
	cr_expect_eq(cp_compiler_set_spill(c, "/etc/passwd", 0), -ENOTDIR);
	/* A directory gone by the time records spill: the add fails with the
	 * reason and nothing is written. */
	t_tmpname(dir, sizeof(dir), "spilldir");
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_eq(cp_compiler_set_spill(c, dir, 0), 0);
	cr_assert_eq(rmdir(dir), 0);
	cr_assert_eq(cp_norm(CP_T_DOMAIN, "evil.com", 8, &ind, &why), 0);
	cr_expect_eq(cp_compiler_add(c, &ind, t_meta(c, CP_ACT_DROP, "f")), -ENOENT);
	cp_compiler_free(c);
	(void)path;
	(void)err;
}

Test(spill, streaming_writer)
{
	static uint8_t big[3 * 4096 + 123];
	char a[128], b[128], err[256];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31 + 7);
	t_tmpname(a, sizeof(a), "whole");
	t_tmpname(b, sizeof(b), "pieces");
	struct cp_snap_writer *w = cp_snap_writer_new(5);
	cr_assert_eq(cp_snap_writer_begin(w, 9), -EINVAL, "streaming needs an open file");
	cr_assert_eq(cp_snap_writer_add(w, CP_SEC_STRS, "\0x", 3, 0, 0, 0), 0);
	cr_assert_eq(cp_snap_writer_add(w, CP_SEC_XTAB + 1, big, sizeof(big), 7, 8, 9), 0);
	cr_assert_eq(cp_snap_writer_commit(w, a, err, sizeof(err)), 0, "%s", err);
	cp_snap_writer_free(w);

	w = cp_snap_writer_new(5);
	cr_assert_eq(cp_snap_writer_add(w, CP_SEC_STRS, "\0x", 3, 0, 0, 0), 0);
	cr_assert_eq(cp_snap_writer_open(w, b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cp_snap_writer_begin(w, CP_SEC_XTAB + 1), 0);
	cr_assert_eq(cp_snap_writer_begin(w, CP_SEC_XTAB + 2), -EINVAL, "one section at a time");
	for (size_t off = 0; off < sizeof(big); off += 1000)
		cr_assert_eq(cp_snap_writer_append(w, big + off,
						   sizeof(big) - off < 1000 ? sizeof(big) - off : 1000), 0);
	cr_assert_eq(cp_snap_writer_end(w, 7, 8, 9), 0);
	cr_assert_eq(cp_snap_writer_commit(w, b, err, sizeof(err)), 0, "%s", err);
	cp_snap_writer_free(w);
	expect_same_file(a, b, "streamed");
	struct cp_snap *s = cp_snap_open(b, 0, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	uint64_t size, count, p0, p1;
	const void *d = cp_snap_section(s, CP_SEC_XTAB + 1, &size, &count, &p0, &p1);
	cr_assert_not_null(d);
	cr_expect_eq(size, sizeof(big));
	cr_expect(memcmp(d, big, sizeof(big)) == 0);
	cr_expect(count == 7 && p0 == 8 && p1 == 9);
	cp_snap_close(s);
	unlink(a);
	unlink(b);
}

/* A writer freed before its commit leaves neither the file nor its
 * temporary behind. */
Test(spill, abandoned_writer_leaves_nothing)
{
	char path[128], err[256], cmd[300];

	t_tmpname(path, sizeof(path), "abandoned");
	struct cp_snap_writer *w = cp_snap_writer_new(5);
	cr_assert_eq(cp_snap_writer_open(w, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cp_snap_writer_add(w, CP_SEC_STRS, "\0x", 3, 0, 0, 0), 0);
	cp_snap_writer_free(w);
	snprintf(cmd, sizeof(cmd), "ls %s* >/dev/null 2>&1", path);
	cr_expect_neq(system(cmd), 0, "%s or its temporary is left", path);
}
