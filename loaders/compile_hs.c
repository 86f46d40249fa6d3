/* Hyperscan databases for the compiler: a cache keyed by a content hash
 * of the pattern set, and a compile bounded in time and size. Control
 * plane.
 *
 * Compiling is slow (1 M literals: 87 s here) and some sets take far longer
 * than their size suggests: one regex of bounded repeats,
 * (?:(?:a|b)c{1,500}){50}, takes 4 s alone. Hyperscan cannot be
 * interrupted, so the compile runs in a child process that is killed at
 * the limit; the serialised database comes back through a pipe. */
#include "compile_internal.h"
#include "common/io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* What the child sends before the database. */
struct reply {
	int32_t rc;
	uint32_t bad;
	uint64_t size;
	char why[256];
};

static double mono(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Compiles and serialises in this process. */
static int build_here(const struct cp_pattern_v *v, unsigned n, char **ser, size_t *sn,
		      unsigned *bad, char *why, size_t whylen)
{
	hs_database_t *db = NULL;
	int rc = cp_pattern_compile_v(v, n, &db, bad, why, whylen);

	if (rc != 0)
		return rc;
	if (hs_serialize_database(db, ser, sn) != HS_SUCCESS) {
		snprintf(why, whylen, "out of memory serialising the database");
		rc = -ENOMEM;
	}
	hs_free_database(db);
	return rc;
}

static void child(int fd, const struct cp_pattern_v *v, unsigned n)
{
	struct reply r = { 0 };
	char *ser = NULL;
	size_t sn = 0;
	unsigned bad = n;

	r.rc = build_here(v, n, &ser, &sn, &bad, r.why, sizeof(r.why));
	r.bad = bad;
	r.size = r.rc == 0 ? sn : 0;
	_exit(cp_write_all(fd, &r, sizeof(r), -1) == 0 && cp_write_all(fd, ser, r.size, -1) == 0 ? 0 : 1);
}

/* Reads n bytes before the deadline. Returns 0, -ETIMEDOUT, or -EPIPE at
 * an early end. */
static int read_until(int fd, void *p, size_t n, double deadline)
{
	for (char *c = p; n != 0;) {
		double left = deadline - mono();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int k = poll(&pf, 1, (int)(left * 1000) + 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0)
			continue;  /* the deadline check above decides */
		ssize_t got = read(fd, c, n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -EPIPE;
		c += got, n -= (size_t)got;
	}
	return 0;
}

/* Why the child ended without a reply. */
static void died(pid_t pid, char *why, size_t whylen)
{
	int st = 0;

	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		snprintf(why, whylen, "the compile process died of signal %d (out of memory?)",
			 WTERMSIG(st));
	else
		snprintf(why, whylen, "the compile process ended without a result (status %d)",
			 WEXITSTATUS(st));
}

static int build_bounded(const struct cp_pattern_opts *o, const struct cp_pattern_v *v,
			 unsigned n, char **ser, size_t *sn, unsigned *bad, char *why,
			 size_t whylen)
{
	struct reply r;
	int fd[2], rc;

	if (pipe2(fd, O_CLOEXEC) != 0)
		return snprintf(why, whylen, "pipe: %s", strerror(errno)), -errno;
	double deadline = mono() + o->time_limit_s;
	pid_t pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(fd[0]), close(fd[1]);
		return rc;
	}
	if (pid == 0) {
		close(fd[0]);
		child(fd[1], v, n);
	}
	close(fd[1]);
	rc = read_until(fd[0], &r, sizeof(r), deadline);
	if (rc == 0 && r.rc == 0 && (*ser = malloc(r.size ? r.size : 1)) == NULL)
		rc = -ENOMEM;
	if (rc == 0 && r.rc == 0)
		rc = read_until(fd[0], *ser, r.size, deadline);
	close(fd[0]);
	if (rc == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snprintf(why, whylen, "compiling took longer than the limit of %.1f s (--pattern-time-limit)",
			 o->time_limit_s);
	} else if (rc == -EPIPE) {
		died(pid, why, whylen);
	} else {
		waitpid(pid, NULL, 0);
		if (rc == -ENOMEM)
			snprintf(why, whylen, "out of memory");
	}
	if (rc == 0 && r.rc != 0) {
		rc = r.rc;
		*bad = r.bad;
		r.why[sizeof(r.why) - 1] = '\0';
		snprintf(why, whylen, "%s", r.why);
	}
	if (rc == 0)
		*sn = (size_t)r.size;
	else
		free(*ser), *ser = NULL;
	return rc;
}

/* The cache key: Hyperscan's version and the host's platform (a database
 * is built for both), then every pattern in id order. */
static void key_of(const struct cp_pattern_v *v, unsigned n, char hex[33])
{
	XXH3_state_t *h = XXH3_createState();
	hs_platform_info_t plat = { 0 };
	const char *ver = hs_version();

	if (v->platform != NULL)
		plat = *v->platform;
	else
		hs_populate_platform(&plat);
	XXH3_128bits_reset(h);
	XXH3_128bits_update(h, "chokepoint-hs-1", 15);
	XXH3_128bits_update(h, ver, strlen(ver));
	XXH3_128bits_update(h, &plat.tune, sizeof(plat.tune));
	XXH3_128bits_update(h, &plat.cpu_features, sizeof(plat.cpu_features));
	XXH3_128bits_update(h, &n, sizeof(n));
	for (unsigned i = 0; i < n; i++) {
		uint32_t hdr[3] = { v->literal[i], v->flags[i], (uint32_t)v->len[i] };
		XXH3_128bits_update(h, hdr, sizeof(hdr));
		XXH3_128bits_update(h, v->expr[i], v->len[i]);
	}
	XXH128_hash_t d = XXH3_128bits_digest(h);
	XXH3_freeState(h);
	snprintf(hex, 33, "%016llx%016llx", (unsigned long long)d.high64,
		 (unsigned long long)d.low64);
}

/* A cached database, checked whole by restoring it: a damaged or foreign
 * file is a miss, never an error. */
static int cache_get(const char *path, char **ser, size_t *sn)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	hs_database_t *db = NULL;

	if (f == NULL)
		return -ENOENT;
	if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 ||
	    (*ser = malloc((size_t)st.st_size)) == NULL) {
		fclose(f);
		return -ENOENT;
	}
	size_t n = fread(*ser, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size || hs_deserialize_database(*ser, n, &db) != HS_SUCCESS) {
		free(*ser), *ser = NULL;
		return -ENOENT;
	}
	hs_free_database(db);
	*sn = n;
	return 0;
}

/* Creates dir and its parents (0700: the cache is the user's). */
static void mkdirs(const char *dir)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0700);
			*s = '/';
		}
	mkdir(p, 0700);
}

/* Best effort, atomically (temporary file, then rename): a cache that
 * cannot be written costs the next compile, nothing more. */
static void cache_put(const char *dir, const char *path, const char *ser, size_t sn)
{
	char tmp[4200];
	FILE *f;

	mkdirs(dir);
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	if ((f = fopen(tmp, "wb")) == NULL)
		return;
	int ok = fwrite(ser, 1, sn, f) == sn;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path) != 0)
		unlink(tmp);
}

int cp__hs_build(const struct cp_pattern_opts *o, const struct cp_pattern_v *vin, unsigned n,
		 char **ser, size_t *sn, int *cached, unsigned *bad, char *why, size_t whylen)
{
	struct cp_pattern_v vv = *vin;
	const struct cp_pattern_v *v = &vv;
	char hex[33], path[4096];
	int rc;

	vv.platform = o->generic ? &cp_pattern_generic : NULL;
	*ser = NULL;
	*cached = 0;
	*bad = n;
	if (o->cache_dir != NULL) {
		key_of(v, n, hex);
		snprintf(path, sizeof(path), "%s/%s.hsdb", o->cache_dir, hex);
		*cached = cache_get(path, ser, sn) == 0;
	}
	if (!*cached && o->time_limit_s > 0)
		rc = build_bounded(o, v, n, ser, sn, bad, why, whylen);
	else if (!*cached)
		rc = build_here(v, n, ser, sn, bad, why, whylen);
	else
		rc = 0;
	if (rc != 0)
		return rc;
	if (o->max_bytes != 0 && *sn > o->max_bytes) {
		snprintf(why, whylen, "the database takes %.3f MB, over the limit of %.3f MB "
				      "(--pattern-max-mb)",
			 *sn / 1e6, o->max_bytes / 1e6);
		free(*ser), *ser = NULL;
		return -EFBIG;
	}
	if (o->cache_dir != NULL && !*cached)
		cache_put(o->cache_dir, path, *ser, *sn);
	return 0;
}
