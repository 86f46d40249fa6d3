/* chokepoint-bench compile and gen: feed text to snapshot through the real
 * loaders, and snapshot load time, with their baselines from the same run:
 * reading the same bytes (the floor for any parser) and rte_hash's build. */
#include "bench.h"
#include "intel_cmd.h"
#include "snapshot/snapshot.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int bench_compile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' }, { "mix", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },        { "dir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t count = 1000000;
	const char *mix = "all", *dir = "/tmp";
	struct bench_out out = { 0 };
	char feed[512], snap[512], err[512];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:m:jd:", opts, NULL)) != -1) {
		if (c == 'n')
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
	struct cp_compile_stats st;
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
	double lr = read_file_s(snap, &sbytes);
	double t0 = bench_now();
	struct cp_snap *s = cp_snap_open(snap, CP_SNAP_HUGE, err, sizeof(err));
	double load = bench_now() - t0;
	if (s == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cp_snap_close(s);
	bench_figure(&out, "load.time", load, "s", "read(2) of the snapshot", lr, 1);
	unlink(feed);
	unlink(snap);
	return 0;
}

int bench_gen(int argc, char **argv)
{
	uint64_t count = 0, seed = 42;
	const char *mix = "all";
	int c;

	optind = 1;
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' }, { "seed", required_argument, NULL, 's' },
		{ "mix", required_argument, NULL, 'm' },   { NULL, 0, NULL, 0 },
	};
	while ((c = getopt_long(argc, argv, "n:s:m:", opts, NULL)) != -1) {
		if (c == 'n')
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
	return gen_feed(stdout, seed, count, mix) == 0 ? 0 : 1;
}
