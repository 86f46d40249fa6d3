/* chokepoint-bench compile and gen: feed text to snapshot through the real
 * loaders, and snapshot load time, with their baselines from the same run:
 * reading the same bytes (the floor for any parser) and rte_hash's build. */
#include "bench.h"
#include "common/cp.h"
#include "common/mem.h"
#include "intel_cmd.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static double read_file_s(const char *path, size_t *bytes)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	double t0 = bench_now();
	ssize_t n;

	*bytes = 0;
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		*bytes += (size_t)n;
	close(fd);
	return bench_now() - t0;
}

/* What a child compile reports back through its pipe. */
struct fmt_run {
	double secs;
	uint64_t added;
	long maxrss_kb;
	int rc;
};

/* Compiles one feed on one thread in a child, so its peak RSS is its own. */
static int run_child(const char *spec, const char *snap, struct fmt_run *r)
{
	int fd[2];

	if (pipe(fd) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		const char *feeds[1] = { spec };
		struct cp_compile_stats st = { 0 };
		struct fmt_run c = { 0 };
		struct cp_compile_opts o = { .out = snap, .feeds = feeds, .nfeeds = 1, .threads = 1,
					     .max_errors = UINT64_MAX, .stats = &st,
					     .seconds = &c.secs, .quiet = 1 };
		c.rc = cp_intel_compile(&o);
		c.added = st.added;
		c.secs -= st.build_s + st.write_s;  /* the loader's share */
		_exit(write(fd[1], &c, sizeof(c)) == sizeof(c) ? 0 : 1);
	}
	close(fd[1]);
	int ok = pid > 0 && read(fd[0], r, sizeof(*r)) == sizeof(*r);
	close(fd[0]);
	struct rusage ru;
	int status;
	if (pid > 0 && wait4(pid, &status, 0, &ru) == pid)
		r->maxrss_kb = ru.ru_maxrss;
	return ok && r->rc == 0 ? 0 : -1;
}

/* --format F|all: each format's load rate on one core (the compile less
 * its table build and write) from the same indicators, beside read(2) of
 * its bytes and the plain feed's rate; and its peak RSS beside the plain
 * feed's (the difference is the parser's and the metadata's). */
static int bench_formats(const struct bench_out *out, const char *formats, uint64_t count,
			 const char *mix, const char *dir)
{
	static const char *const all[] = { "plain", "csv",  "zeek", "suricata",
					   "iprep", "stix", "misp", "warninglist" };
	struct fmt_run plain = { 0 };
	char feed[512], snap[512], spec[600];

	snprintf(snap, sizeof(snap), "%s/bench-fmt-%d.cpsnap", dir, (int)getpid());
	for (size_t k = 0; k < CP_ARRAY_LEN(all); k++) {
		const char *fmt = all[k];
		if (strcmp(formats, "all") != 0 && strcmp(formats, fmt) != 0 && k > 0)
			continue;
		struct fmt_run r = { 0 };
		snprintf(feed, sizeof(feed), "%s/bench-fmt-%d.%s", dir, (int)getpid(), fmt);
		FILE *f = fopen(feed, "w");
		if (f == NULL || gen_feed_format(f, 42, count, 0, mix, fmt) != 0 || fclose(f) != 0) {
			perror(feed);
			return 1;
		}
		snprintf(spec, sizeof(spec), "%s:%s", fmt, feed);
		size_t bytes;
		double rd = read_file_s(feed, &bytes);
		if (run_child(spec, snap, &r) != 0) {
			fprintf(stderr, "compile of %s failed\n", spec);
			return 1;
		}
		unlink(feed);
		if (k == 0)
			plain = r;
		char name[96];
		snprintf(name, sizeof(name), "compile.%s.throughput", fmt);
		bench_figure(out, name, (double)bytes / r.secs / 1e6, "MB/s", "read(2) of the feed",
			     (double)bytes / rd / 1e6, 0);
		snprintf(name, sizeof(name), "compile.%s.rate", fmt);
		bench_figure(out, name, (double)r.added / r.secs / 1e6, "M ind/s",
			     "plain feed, same indicators", (double)plain.added / plain.secs / 1e6, 0);
		snprintf(name, sizeof(name), "compile.%s.peak_rss", fmt);
		bench_figure(out, name, (double)r.maxrss_kb / 1024, "MB", "plain feed's peak RSS",
			     (double)plain.maxrss_kb / 1024, 1);
	}
	unlink(snap);
	return 0;
}

int bench_compile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' }, { "mix", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },        { "dir", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 },
	};
	uint64_t count = 1000000;
	const char *mix = "all", *dir = "/tmp", *formats = NULL;
	struct bench_out out = { 0 };
	char feed[512], snap[512], err[512];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:m:jd:f:", opts, NULL)) != -1) {
		if (c == 'f')
			formats = optarg;
		else if (c == 'n')
			count = strtoull(optarg, NULL, 10);
		else if (c == 'm')
			mix = optarg;
		else if (c == 'j')
			out.json = 1;
		else if (c == 'd')
			dir = optarg;
		else
			return 2;
	}
	if (formats != NULL)
		return bench_formats(&out, formats, count, mix, dir);
	snprintf(feed, sizeof(feed), "%s/bench-feed-%d.txt", dir, (int)getpid());
	snprintf(snap, sizeof(snap), "%s/bench-feed-%d.cpsnap", dir, (int)getpid());
	FILE *f = fopen(feed, "w");
	if (f == NULL || gen_feed(f, 42, count, mix) != 0 || fclose(f) != 0) {
		perror(feed);
		return 1;
	}
	size_t fbytes, sbytes;
	double rd = read_file_s(feed, &fbytes);
	const char *feeds[1] = { feed };
	struct cp_compile_stats st = { 0 };
	double secs = 0;
	struct cp_compile_opts o = { .out = snap, .feeds = feeds, .nfeeds = 1,
				     .max_errors = UINT64_MAX, .stats = &st, .seconds = &secs,
				     .quiet = out.json };
	if (cp_intel_compile(&o) != 0)
		return 1;
	bench_figure(&out, "compile.throughput", (double)fbytes / secs / 1e6, "MB/s",
		     "read(2) of the feed", (double)fbytes / rd / 1e6, 0);
	bench_figure(&out, "compile.rate", (double)st.added / secs / 1e6, "M ind/s",
		     "read(2) lines/s", (double)count / rd / 1e6, 0);
	bench_figure(&out, "compile.time", secs, "s", "target", 30.0 * (double)count / 1e8, 1);
	/* Zeek's intel framework holds 6-7x its feed's size. */
	bench_figure(&out, "compile.peak_rss", (double)cp_mem_rss_peak() / 1e9, "GB",
		     "the feed's size", (double)fbytes / 1e9, 1);
	double lr = read_file_s(snap, &sbytes);
	/* Loaded as the engine loads a set: mapped, checked a chunk at a time,
	 * the store opened over it, then every page faulted in. */
	double t0 = bench_now();
	struct cp_snap *s = cp_snap_open(snap, CP_SNAP_LAZY, err, sizeof(err));
	struct cp_store *st_open = s != NULL ? cp_store_open(s) : NULL;
	if (st_open == NULL) {
		fprintf(stderr, "%s\n", s == NULL ? err : "the store refused the snapshot");
		cp_snap_close(s);
		return 1;
	}
	cp_snap_prefault(s);
	double load = bench_now() - t0;
	cp_store_close(st_open);
	cp_snap_close(s);
	bench_figure(&out, "load.time", load, "s", "read(2) of the snapshot", lr, 1);
	unlink(feed);
	unlink(snap);
	return 0;
}

int bench_gen(int argc, char **argv)
{
	uint64_t count = 0, seed = 42, distinct = 0;
	const char *mix = "all", *fmt = "plain";
	int c;

	optind = 1;
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' }, { "seed", required_argument, NULL, 's' },
		{ "mix", required_argument, NULL, 'm' },   { "format", required_argument, NULL, 'f' },
		{ "distinct", required_argument, NULL, 'D' }, { NULL, 0, NULL, 0 },
	};
	while ((c = getopt_long(argc, argv, "n:s:m:f:D:", opts, NULL)) != -1) {
		if (c == 'D')
			distinct = strtoull(optarg, NULL, 10);
		else if (c == 'f')
			fmt = optarg;
		else if (c == 'n')
			count = strtoull(optarg, NULL, 10);
		else if (c == 's')
			seed = strtoull(optarg, NULL, 10);
		else if (c == 'm')
			mix = optarg;
		else
			return 2;
	}
	if (count == 0) {
		fprintf(stderr, "gen: --count N is required\n");
		return 2;
	}
	return gen_feed_format(stdout, seed, count, distinct, mix, fmt) == 0 ? 0 : 1;
}
