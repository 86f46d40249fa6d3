/* chokepoint-bench reload: hot reload as the engine does it (intel.c), with
 * a worker lcore forwarding traffic the whole time (cp_worker_main, from
 * net_null0, which makes packets without end, to net_null1), per set size:
 *   - time to active: open and check, publish, grace period, old freed;
 *     beside read(2) of the same snapshot file, the floor for any loader;
 *   - peak RSS during the reload beside the steady RSS after it;
 *   - packets lost during the reloads (received, not sent nor dropped by
 *     verdict, or missed by the port), beside 0;
 *   - the forwarding rate during the reloads beside the rate without.
 *   - live add and remove operations a second (each published and its
 *     predecessor retired, as chokepoint-ctl add/remove do), beside
 *     reloads a second of the same set. */
#include "bench.h"
#include "../engine/app/app.h"
#include "snapshot/snapshot.h"
#include "store/delta.h"
#include "store/store.h"

#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

static struct cp_app app;

struct sampler {
	pthread_t tid;
	volatile int stop, on;
	volatile size_t peak;
};

static size_t rss_now(void)
{
	long pages = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = 0;
	fclose(f);
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

/* RSS every millisecond while on: the reload's peak. */
static void *sample(void *arg)
{
	struct sampler *s = arg;

	while (!s->stop) {
		if (s->on) {
			size_t r = rss_now();
			if (r > s->peak)
				s->peak = r;
		}
		usleep(1000);
	}
	return NULL;
}

static double read_s(const char *path)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	double t0 = bench_now();

	if (fd < 0)
		return 0;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return bench_now() - t0;
}

static int setup(void)
{
	struct rte_mempool *mp = rte_pktmbuf_pool_create("rl_mbufs", 8192, 256, 0,
							  RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (mp == NULL || bench_ports_start(2, mp) != 0)
		return -1;
	app = (struct cp_app){ .mode = CP_MODE_INLINE, .nports = 2, .nworkers = 1 };
	pthread_mutex_init(&app.gen_lock, NULL);
	app.w = rte_zmalloc("rl_w", sizeof(*app.w), RTE_CACHE_LINE_SIZE);
	if (app.w == NULL)
		return -1;
	app.w->app = &app;
	app.w->lcore = rte_get_next_lcore(-1, 1, 0);
	app.w->in = cp_inspector_new();
	app.w->ring = rte_ring_create_elem("rl_alerts", sizeof(struct cp_alert), 4096, 0,
					   RING_F_SP_ENQ | RING_F_SC_DEQ);
	app.w->nq = 1;
	app.w->q[0] = (struct cp_rxq){ .port = 0, .queue = 0, .peer = 1 };
	return app.w->in && app.w->ring && app.w->lcore < RTE_MAX_LCORE ? 0 : -1;
}

/* Packets the worker received and neither sent nor dropped by verdict,
 * plus what the port missed. */
static uint64_t lost(void)
{
	const struct cp_worker_stats *s = &app.w->st;
	struct rte_eth_stats es;
	uint64_t miss = rte_eth_stats_get(0, &es) == 0 ? es.imissed + es.rx_nombuf : 0;

	return CP_STAT_GET(s->rx) - CP_STAT_GET(s->tx) - CP_STAT_GET(s->dropped) + miss;
}

static double rate(double secs)
{
	uint64_t a = CP_STAT_GET(app.w->st.rx);
	double t0 = bench_now();

	usleep((useconds_t)(secs * 1e6));
	return (double)(CP_STAT_GET(app.w->st.rx) - a) / (bench_now() - t0) / 1e6;
}

struct rl_opts {
	struct bench_out out;
	uint64_t counts[8];
	unsigned ncounts, reloads;
	uint64_t npat;           /* --patterns: payload patterns in each set */
	const char *dir;
};

static int one_size(struct rl_opts *o, uint64_t n, struct sampler *sm)
{
	char path[512], err[512], fig[96], name[48];
	struct cp_snap *snap;

	struct cp_store *s = bench_store(7, n, o->npat, CP_FILTER_AUTO, o->dir, &snap, path,
					 sizeof(path));
	if (s == NULL)
		return -1;
	cp_store_close(s);
	cp_snap_close(snap);
	double rd = read_s(path), best = 1e30, sum = 0, peak_ratio = 0, open_ms = 0, swap_ms = 0;
	/* The first reload brings this size in; the rest replace it with itself. */
	if (cp_intel_reload(&app, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "reload: %s\n", err);
		return -1;
	}
	double idle = rate(0.5);
	uint64_t lost0 = lost(), rx0 = CP_STAT_GET(app.w->st.rx);
	double t0 = bench_now();
	for (unsigned i = 0; i < o->reloads; i++) {
		size_t steady = rss_now();
		sm->peak = steady;
		sm->on = 1;
		double a = bench_now();
		int rc = cp_intel_reload(&app, path, err, sizeof(err));
		double t = bench_now() - a;
		usleep(5000);  /* the sampler's last look */
		sm->on = 0;
		if (rc != 0) {
			fprintf(stderr, "reload: %s\n", err);
			return -1;
		}
		best = t < best ? t : best;
		sum += t;
		open_ms += cp_gen_current(&app)->load_ms;
		swap_ms += cp_gen_current(&app)->swap_ms;
		double r = (double)sm->peak / (double)rss_now();
		peak_ratio = r > peak_ratio ? r : peak_ratio;
	}
	double during = (double)(CP_STAT_GET(app.w->st.rx) - rx0) / (bench_now() - t0) / 1e6;
	/* Live changes over this set: 1000 adds, then 1000 removes of them. */
	struct cp_delta_in x = { .kind = CP_DELTA_ADD, .action = CP_ACT_DROP, .feed = "bench" };
	double a0 = bench_now();
	for (unsigned k = 0; k < 2000; k++) {
		char ip[32];
		const char *why;
		snprintf(ip, sizeof(ip), "100.64.%u.%u", (k % 1000) / 250, k % 250);
		cp_norm(CP_T_IPV4, ip, strlen(ip), &x.ind, &why);
		x.kind = k < 1000 ? CP_DELTA_ADD : CP_DELTA_REMOVE;
		if (cp_intel_change(&app, &x, err, sizeof(err)) != 0) {
			fprintf(stderr, "change: %s\n", err);
			return -1;
		}
	}
	double ops = 2000 / (bench_now() - a0);
	/* The 1000 tombstones left go with the next reload, which rebuilds
	 * the delta from the (now empty) live list. */
	app.live.n = 0;
	uint64_t gone = lost() - lost0;
	unlink(path);
	if (o->npat != 0)
		snprintf(name, sizeof(name), "%lluM_%llupat", (unsigned long long)(n / 1000000),
			 (unsigned long long)o->npat);
	else
		snprintf(name, sizeof(name), "%lluM", (unsigned long long)(n / 1000000));
	snprintf(fig, sizeof(fig), "reload.%s.time_to_active", name);
	bench_figure(&o->out, fig, sum / o->reloads * 1e3, "ms", "read(2) of the snapshot",
		     rd * 1e3, 1);
	snprintf(fig, sizeof(fig), "reload.%s.time_to_active_best", name);
	bench_figure(&o->out, fig, best * 1e3, "ms", "read(2) of the snapshot", rd * 1e3, 1);
	snprintf(fig, sizeof(fig), "reload.%s.open_and_check", name);
	bench_figure(&o->out, fig, open_ms / o->reloads, "ms", "read(2) of the snapshot", rd * 1e3, 1);
	snprintf(fig, sizeof(fig), "reload.%s.publish_to_freed", name);
	bench_figure(&o->out, fig, swap_ms / o->reloads, "ms", "target", 1.0, 1);
	snprintf(fig, sizeof(fig), "reload.%s.peak_rss", name);
	bench_figure(&o->out, fig, peak_ratio, "x steady", "target", 1.25, 1);
	snprintf(fig, sizeof(fig), "reload.%s.lost_packets", name);
	bench_figure(&o->out, fig, (double)gone, "packets", "target", 0, 1);
	snprintf(fig, sizeof(fig), "reload.%s.rate_during", name);
	bench_figure(&o->out, fig, during, "Mpps", "rate without reloads", idle, 0);
	snprintf(fig, sizeof(fig), "reload.%s.live_ops", name);
	bench_figure(&o->out, fig, ops, "ops/s", "reloads/s of this set", o->reloads / sum, 0);
	return 0;
}

static int parse(int argc, char **argv, struct rl_opts *o)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' }, { "reloads", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },        { "dir", required_argument, NULL, 'd' },
		{ "patterns", required_argument, NULL, 'P' }, { NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct rl_opts){ .counts = { 1000000, 10000000 }, .ncounts = 2, .reloads = 5,
			       .dir = "/tmp" };
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:r:jd:P:", opts, NULL)) != -1) {
		if (c == 'n') {
			o->ncounts = 0;
			for (char *p = optarg; *p && o->ncounts < 8; p += *p == ',')
				o->counts[o->ncounts++] = strtoull(p, &p, 10);
		} else if (c == 'r') {
			o->reloads = (unsigned)strtoul(optarg, NULL, 10);
		} else if (c == 'j') {
			o->out.json = 1;
		} else if (c == 'd') {
			o->dir = optarg;
		} else if (c == 'P') {
			o->npat = strtoull(optarg, NULL, 10);
		} else {
			return -1;
		}
	}
	return o->reloads > 0 && o->ncounts > 0 ? 0 : -1;
}

int bench_reload(int argc, char **argv)
{
	struct rl_opts o;
	struct sampler sm = { .stop = 0 };
	char first[512], err[512];
	struct cp_snap *snap;

	if (parse(argc, argv, &o) != 0)
		return 2;
	bench_lcores = "0-1";
	if (bench_eal_init(256, "net_null0", "net_null1,no-rx=1") < 0 || rte_lcore_count() < 2 ||
	    setup() != 0) {
		fprintf(stderr, "reload: needs EAL with 2 lcores and two net_null ports\n");
		return 1;
	}
	/* A tiny first set, so each size's first reload is its own. */
	struct cp_store *s = bench_store(3, 1000, 0, CP_FILTER_AUTO, o.dir, &snap, first, sizeof(first));
	if (s == NULL)
		return 1;
	cp_store_close(s);
	cp_snap_close(snap);
	if (cp_intel_init(&app, first, err, sizeof(err)) != 0) {
		fprintf(stderr, "reload: %s\n", err);
		return 1;
	}
	unlink(first);
	pthread_create(&sm.tid, NULL, sample, &sm);
	rte_eal_remote_launch(cp_worker_main, app.w, app.w->lcore);
	if (!o.out.json)
		printf("%-34s %12s %-10s %-28s %12s   %s\n", "figure", "ours", "unit", "baseline",
		       "baseline", "ratio");
	int rc = 0;
	for (unsigned i = 0; i < o.ncounts && rc == 0; i++)
		rc = one_size(&o, o.counts[i], &sm);
	app.quit = 1;
	rte_eal_mp_wait_lcore();
	sm.stop = 1;
	pthread_join(sm.tid, NULL);
	app.writer_done = 1;
	return rc ? 1 : 0;
}
