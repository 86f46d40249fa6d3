/* Snapshot files: round trip, and refusal of every truncation and of every
 * single-byte corruption of the header page and section table. */
#include "helpers.h"
#include "intel_cmd.h"
#include "snapshot/snapshot_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <xxhash.h>

static void small_snapshot(char *path, size_t n, struct cp_compile_stats *st)
{
	struct cp_compiler *c = cp_compiler_new(0x1234);
	struct cp_ind ind;
	const char *why;
	char err[256];
	uint32_t m = t_meta(c, CP_ACT_DROP, "feed");

	t_add(c, CP_T_DOMAIN, "evil.com", m);
	t_add(c, CP_T_IPV4, "10.0.0.0/8", m);
	t_add(c, CP_T_IPV4, "1.2.3.4", m);
	cp_norm(CP_T_SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 64, &ind, &why);
	cp_compiler_add(c, &ind, m);
	t_tmpname(path, n, "small");
	cr_assert_eq(cp_compiler_write(c, path, st, err, sizeof(err)), 0, "%s", err);
	cp_compiler_free(c);
}

static int opens(const char *path, char *err, size_t n)
{
	struct cp_snap *s = cp_snap_open(path, 0, err, n);

	if (s == NULL)
		return -errno;
	struct cp_store *st = cp_store_open(s);
	int ok = st != NULL;
	cp_store_close(st);
	cp_snap_close(s);
	return ok ? 0 : -EBADMSG;
}

Test(snapshot, invalid_arguments)
{
	char err[256];

	cr_expect_null(cp_snap_open("/nonexistent/x.cpsnap", 0, err, sizeof(err)));
	cr_expect_eq(errno, ENOENT);
	cr_expect(strstr(err, "/nonexistent/x.cpsnap") != NULL, "message names the file: %s", err);
	cr_expect_null(cp_snap_open("/tmp", 0, err, sizeof(err)));
	cr_expect_eq(errno, EINVAL);
	cp_snap_close(NULL);
}

Test(snapshot, round_trip)
{
	char path[128], err[256];
	struct cp_compile_stats st;
	struct cp_match m[4];
	struct cp_ind q;
	const char *why;

	small_snapshot(path, sizeof(path), &st);
	static const unsigned modes[] = { 0, CP_SNAP_HUGE, CP_SNAP_LAZY };
	for (unsigned k = 0; k < 3; k++) {
		struct cp_snap *snap = cp_snap_open(path, modes[k], err, sizeof(err));
		cr_assert_not_null(snap, "%s", err);
		if (modes[k] == CP_SNAP_LAZY)
			cp_snap_prefault(snap);
		cr_expect_eq(cp_snap_seed(snap), 0x1234u);
		struct cp_store *s = cp_store_open(snap);
		cr_assert_not_null(s);
		cp_norm(CP_T_DOMAIN, "evil.com", 8, &q, &why);
		cr_expect_eq(cp_store_match(s, &q, m, 4), 1);
		cp_norm(CP_T_IPV4, "10.9.9.9", 8, &q, &why);
		cr_expect_eq(cp_store_match(s, &q, m, 4), 1);
		cr_expect_eq(cp_ref_action(m[0].ref), CP_ACT_DROP);
		cr_expect_eq(cp_store_count(s, CP_T_IPV4), 2u);
		cr_expect_eq(cp_store_count(s, CP_T_SHA256), 1u);
		cp_store_close(s);
		cp_snap_close(snap);
	}
	unlink(path);
}

Test(snapshot, every_truncation_refused)
{
	char path[128], cut[128], err[256];
	size_t n;
	struct cp_compile_stats st;

	small_snapshot(path, sizeof(path), &st);
	uint8_t *buf = t_read_file(path, &n);
	t_tmpname(cut, sizeof(cut), "cut");
	for (size_t len = 0; len < n; len += len < 2 * CP_SNAP_HDR_SIZE ? 1 : 61) {
		FILE *f = fopen(cut, "wb");
		fwrite(buf, 1, len, f);
		fclose(f);
		cr_assert_neq(opens(cut, err, sizeof(err)), 0, "truncated to %zu opened", len);
		cr_assert(strstr(err, cut) != NULL, "message names the file: %s", err);
	}
	/* and one byte too many */
	FILE *f = fopen(cut, "wb");
	fwrite(buf, 1, n, f);
	fputc(0, f);
	fclose(f);
	cr_assert_eq(opens(cut, err, sizeof(err)), -EBADMSG);
	unlink(cut);
	unlink(path);
	free(buf);
}

Test(snapshot, every_header_byte_corruption_refused)
{
	char path[128], bad[128], err[256];
	size_t n;
	struct cp_compile_stats st;

	small_snapshot(path, sizeof(path), &st);
	uint8_t *buf = t_read_file(path, &n);
	t_tmpname(bad, sizeof(bad), "bad");
	cr_assert_eq(opens(path, err, sizeof(err)), 0, "%s", err);
	for (size_t off = 0; off < CP_SNAP_HDR_SIZE; off++) {
		for (unsigned x = 0x01; x <= 0x80; x <<= 7) {
			buf[off] ^= (uint8_t)x;
			FILE *f = fopen(bad, "wb");
			fwrite(buf, 1, n, f);
			fclose(f);
			buf[off] ^= (uint8_t)x;
			cr_assert_neq(opens(bad, err, sizeof(err)), 0, "flip 0x%x at %zu opened", x, off);
		}
	}
	/* section bytes: every 97th byte */
	for (size_t off = CP_SNAP_HDR_SIZE; off < n; off += 97) {
		buf[off] ^= 0x10;
		FILE *f = fopen(bad, "wb");
		fwrite(buf, 1, n, f);
		fclose(f);
		buf[off] ^= 0x10;
		int rc = opens(bad, err, sizeof(err));
		cr_assert_eq(rc, -EBADMSG, "flip at %zu: %d", off, rc);
	}
	unlink(bad);
	unlink(path);
	free(buf);
}

Test(snapshot, foreign_and_newer_files)
{
	char path[128], err[256];
	struct cp_snap_hdr h = { 0 };

	t_tmpname(path, sizeof(path), "foreign");
	t_write_file(path, "#!/bin/sh\necho this is not a snapshot but it is long enough........\n");
	FILE *f = fopen(path, "ab");
	for (int i = 0; i < 5000; i++)
		fputc('x', f);
	fclose(f);
	cr_expect_eq(opens(path, err, sizeof(err)), -EPROTO);
	cr_expect(strstr(err, "not a chokepoint snapshot") != NULL, "%s", err);
	memcpy(h.magic, CP_SNAP_MAGIC, 8);
	h.version = 99;
	f = fopen(path, "wb");
	fwrite(&h, 1, sizeof(h), f);
	for (size_t i = sizeof(h); i < CP_SNAP_HDR_SIZE; i++)
		fputc(0, f);
	fclose(f);
	cr_expect_eq(opens(path, err, sizeof(err)), -EPROTO);
	cr_expect(strstr(err, "version 99") != NULL, "%s", err);
	unlink(path);
}

/* A byte flipped inside a section is caught whichever way the file is
 * opened: whole, copied for huge pages, or checked in chunks (LAZY). */
Test(snapshot, section_corruption_refused_in_every_mode)
{
	char path[128], err[256];
	struct cp_compile_stats st;
	size_t n;

	small_snapshot(path, sizeof(path), &st);
	uint8_t *b = t_read_file(path, &n);
	cr_assert_gt(n, 8192u);
	b[4096 + 8] ^= 0x40;  /* the first section starts after the 4 KiB header */
	FILE *f = fopen(path, "wb");
	cr_assert_eq(fwrite(b, 1, n, f), n);
	fclose(f);
	free(b);
	static const unsigned modes[] = { 0, CP_SNAP_HUGE, CP_SNAP_LAZY };
	for (unsigned k = 0; k < 3; k++) {
		cr_expect_null(cp_snap_open(path, modes[k], err, sizeof(err)), "mode %u", modes[k]);
		cr_expect_eq(errno, EBADMSG);
		cr_expect(strstr(err, "checksum mismatch") != NULL, "%s", err);
	}
	unlink(path);
}

/* A file with sound checksums may still say more than its bytes hold: the
 * feed table's count in the header, resealed at 100000 over one record,
 * must not make `info` read past the section (found by fuzz_snap). */
Test(snapshot, info_bounds_a_resealed_feed_count)
{
	char path[128], err[256], *text = NULL;
	struct cp_compile_stats st;
	size_t n, tlen = 0;
	unsigned feeds = 0, found = 0;

	small_snapshot(path, sizeof(path), &st);
	uint8_t *b = t_read_file(path, &n);
	struct cp_snap_hdr *h = (struct cp_snap_hdr *)(void *)b;
	for (uint32_t i = 0; i < h->nsect; i++)
		if (h->sect[i].id == CP_SEC_FEEDS)
			h->sect[i].count = 100000, found++;
	cr_assert_eq(found, 1u);
	h->hdr_cksum = 0;
	h->hdr_cksum = XXH3_64bits(b, CP_SNAP_HDR_SIZE);
	FILE *f = fopen(path, "wb");
	cr_assert_eq(fwrite(b, 1, n, f), n);
	fclose(f);
	free(b);
	struct cp_snap *snap = cp_snap_open(path, 0, err, sizeof(err));
	cr_assert_not_null(snap, "%s", err);
	struct cp_store *s = cp_store_open(snap);
	cr_assert_not_null(s);
	FILE *out = open_memstream(&text, &tlen);
	cp_intel_info(path, snap, s, out);
	fclose(out);
	for (const char *p = text; (p = strstr(p, " indicators\n")) != NULL; p++)
		feeds++;
	cr_expect_eq(feeds, 1u, "%s", text);
	cr_expect(strstr(text, "feed ") != NULL, "%s", text);
	free(text);
	cp_store_close(s);
	cp_snap_close(snap);
	unlink(path);
}

static int matches(const struct cp_store *s, enum cp_itype t, const char *v)
{
	struct cp_match m[4];
	struct cp_ind q;
	const char *why;

	cr_assert_eq(cp_norm(t, v, strlen(v), &q, &why), 0, "%s", v);
	return (int)cp_store_match(s, &q, m, 4);
}

/* Matches for a domain, an address in a /8, a host and a hash: every table
 * of the small snapshot. */
static void answers(const struct cp_store *s, int out[4])
{
	out[0] = matches(s, CP_T_DOMAIN, "evil.com");
	out[1] = matches(s, CP_T_IPV4, "10.9.9.9");
	out[2] = matches(s, CP_T_IPV4, "1.2.3.4");
	out[3] = matches(s, CP_T_SHA256,
			 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	for (unsigned i = 0; i < 4; i++)
		cr_assert_gt(out[i], 0, "value %u", i);
}

/* A writer over the file in use (cp over it: open with O_TRUNC, then
 * write) waits on the lease; the set is moved into memory, the writer
 * goes on, and the set still answers. Without the move, the first read
 * of a page past the new end is SIGBUS (a crash, to Criterion): even a
 * private mapping's copied pages go with a truncation. */
Test(snapshot, written_over_in_place)
{
	static const unsigned modes[] = { 0, CP_SNAP_LAZY };
	struct cp_compile_stats st;
	char path[128], err[256];

	signal(SIGIO, SIG_IGN);  /* the lease break's notice; the test polls */
	for (unsigned k = 0; k < 2; k++) {
		small_snapshot(path, sizeof(path), &st);
		struct cp_snap *snap = cp_snap_open(path, modes[k] | CP_SNAP_WATCH, err, sizeof(err));
		cr_assert_not_null(snap, "%s", err);
		cr_assert_eq(cp_snap_watch_error(snap), 0, "lease: %s", strerror(cp_snap_watch_error(snap)));
		struct cp_store *s = cp_store_open(snap);
		cr_assert_not_null(s);
		int before[4];
		answers(s, before);
		cr_expect_not(cp_snap_rewritten(snap));
		pid_t pid = fork();
		if (pid == 0) {
			int fd = open(path, O_WRONLY | O_TRUNC);  /* waits on the lease */
			_exit(fd >= 0 && write(fd, "overwritten", 11) == 11 ? 0 : 1);
		}
		int seen = 0;
		for (unsigned i = 0; i < 500 && !(seen = cp_snap_rewritten(snap)); i++)
			usleep(10000);
		cr_assert(seen, "no writer seen on the lease");
		cr_assert_eq(cp_snap_detach(snap), 0);
		int status;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer failed");
		struct stat sb;
		cr_assert_eq(stat(path, &sb), 0);
		cr_expect_eq(sb.st_size, 11, "the file is the writer's now");
		/* Every table read again: the same answers, from memory. */
		int after[4];
		answers(s, after);
		cr_expect_arr_eq(after, before, sizeof(before));
		cr_expect_eq(cp_snap_seed(snap), 0x1234u);
		cr_expect_eq(cp_snap_watch_error(snap), ENOENT, "detached: nothing left to watch");
		char g[96];
		cr_expect_str_eq(cp_snap_guard(snap, g, sizeof(g)), "in memory");
		cp_store_close(s);
		cp_snap_close(snap);
		unlink(path);
	}
}

/* Why a set is not guarded is said, and the open goes on: not asked, or
 * the file already open for writing (the lease is refused then). */
Test(snapshot, unguarded_sets_say_why)
{
	struct cp_compile_stats st;
	char path[128], err[256];

	small_snapshot(path, sizeof(path), &st);
	struct cp_snap *snap = cp_snap_open(path, 0, err, sizeof(err));
	cr_assert_not_null(snap, "%s", err);
	cr_expect_eq(cp_snap_watch_error(snap), ENOSYS);
	cr_expect_not(cp_snap_rewritten(snap));
	cp_snap_close(snap);
	int wfd = open(path, O_WRONLY);
	cr_assert(wfd >= 0);
	snap = cp_snap_open(path, CP_SNAP_WATCH, err, sizeof(err));
	cr_assert_not_null(snap, "%s", err);
	cr_expect_eq(cp_snap_watch_error(snap), EAGAIN);
	cr_expect_not(cp_snap_rewritten(snap));
	cp_snap_close(snap);
	close(wfd);
	unlink(path);
}
