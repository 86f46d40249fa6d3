/* chokepoint [EAL options] -- --intel SNAP [--eve FILE] [--ctl SOCKET]
 *                             [--mode inline|monitor] [--stats-interval S]
 * The main lcore sets up and then does the control work (stats, signals);
 * one worker per other lcore runs the data plane; a thread writes alerts. */
#include "app.h"
#include "pool.h"
#include "ctl/ctl.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#define RX_DESC 1024
#define TX_DESC 1024

static struct cp_app app;
static enum cp_pool_mem pool_mem = CP_POOL_AUTO;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chokepoint [EAL options] -- --intel SNAP [--eve FILE] [--ctl SOCKET]\n"
		"                  [--ctl-allow UID[:GID]] [--reload-mem-limit MB] [--mlock]\n"
		"                  [--huge-pages] [--pool-memory auto|eal|thp]\n"
		"                  [--mode inline|monitor] [--stats-interval S]\n"
		"                  [--community-id-seed N] [--eve-stats S] [--eve-packet]\n"
		"\n"
		"EAL options (DPDK's: cores, memory, devices) go before '--'; for example\n"
		"  chokepoint --no-huge -m 512 --no-pci -l 0-1 \\\n"
		"    --vdev net_pcap0,rx_pcap=in.pcap,tx_pcap=out0.pcap \\\n"
		"    --vdev net_pcap1,rx_pcap=none.pcap,tx_pcap=out1.pcap -- --intel demo.cpsnap\n"
		"\n"
		"  --intel SNAP          the snapshot to match against (chokepoint-intel compile)\n"
		"  --eve FILE            where alerts go, as EVE JSON lines (default eve.json; - is stdout)\n"
		"  --mode inline         drop what a drop indicator matches (default)\n"
		"  --mode monitor        forward everything; alerts say what would have been blocked\n"
		"  --stats-interval S    print stats every S seconds (default 0: at exit only)\n"
		"  --community-id-seed N the seed (0-65535, default 0) of the alerts' community_id,\n"
		"                        as Suricata's and Zeek's: give them the same one\n"
		"  --eve-stats S         also write the stats into the --eve file every S seconds\n"
		"                        and at exit (event_type stats, as Suricata's)\n"
		"  --eve-packet          each alert carries its packet (base64, up to 2048 bytes),\n"
		"                        as Suricata's packet: yes\n"
		"  --ctl SOCKET          the control socket (default " CP_CTL_DEFAULT_SOCKET ";\n"
		"                        none: no socket); chokepoint-ctl talks to it\n"
		"  --ctl-allow UID[:GID] who may use it besides root (a uid, and a gid: the\n"
		"                        socket's group, mode 0660)\n"
		"  --reload-mem-limit MB refuse a reload whose snapshot and the one in force\n"
		"                        together exceed MB (default: refuse only past free RAM)\n"
		"  --mlock               lock each set in memory, so no lookup ever faults; a set\n"
		"                        the limits cannot lock (ulimit -l) is refused\n"
		"  --huge-pages          copy each set to memory advised for transparent huge\n"
		"                        pages instead of mapping the file in 4 KiB pages: fewer\n"
		"                        TLB misses on a large set; a reload holds both sets\n"
		"  --pool-memory M       where the packet buffers live: eal (DPDK's memory), thp\n"
		"                        (transparent huge pages; virtual ports only) or auto\n"
		"                        (default: thp when the EAL runs without hugepages, as\n"
		"                        with --no-huge, and every port is virtual, else eal)\n"
		"\n"
		"Ports are paired 0<->1, 2<->3, ...: what enters one leaves the other. The main lcore\n"
		"does the control work; every other lcore is a worker. SIGINT or SIGTERM stops it and\n"
		"prints the final stats; SIGHUP reopens the --eve file (log rotation), as\n"
		"chokepoint-ctl reopen does. Stats are also served as the telemetry command\n"
		"/chokepoint/stats and /chokepoint/status (dpdk-telemetry.py).\n");
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		app.reopen = 1;  /* served by the main loop: fopen is no signal's work */
	else
		app.quit = 1;
}

/* SIGHUP: logrotate has moved the alert file away (postrotate kill -HUP,
 * as for Suricata); its default action would have stopped the engine. */
static void serve_reopen(void)
{
	char err[512];

	app.reopen = 0;
	if (cp_eve_reopen(&app, err, sizeof(err)) == 0)
		fprintf(stderr, "chokepoint: SIGHUP: reopened %s\n", app.eve_path);
	else
		fprintf(stderr, "chokepoint: SIGHUP: %s\n", err);
}

/* A whole decimal number in [lo, hi], or -1. */
static long number(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s != '\0' && *end == '\0' && v >= lo && v <= hi ? v : -1;
}

static int parse_args(int argc, char **argv, const char **snap)
{
	static const struct option opts[] = {
		{ "intel", required_argument, NULL, 'i' }, { "eve", required_argument, NULL, 'e' },
		{ "mode", required_argument, NULL, 'm' },
		{ "stats-interval", required_argument, NULL, 's' },
		{ "ctl", required_argument, NULL, 'c' },   { "ctl-allow", required_argument, NULL, 'a' },
		{ "reload-mem-limit", required_argument, NULL, 'M' },
		{ "mlock", no_argument, NULL, 'L' },       { "huge-pages", no_argument, NULL, 'H' },
		{ "pool-memory", required_argument, NULL, 'P' },
		{ "community-id-seed", required_argument, NULL, 'S' },
		{ "eve-stats", required_argument, NULL, 'E' },
		{ "eve-packet", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
	};
	char *end;
	long v;
	int c;

	app.eve_path = "eve.json";
	app.ctl_uid = app.ctl_gid = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:e:m:s:hc:a:M:LHP:S:E:K", opts, NULL)) != -1) {
		if (c == 'c')
			app.ctl_path = strcmp(optarg, "none") == 0 ? "" : optarg;
		else if (c == 'a') {
			app.ctl_uid = strtol(optarg, &end, 10);
			if (*end == ':')
				app.ctl_gid = strtol(end + 1, &end, 10);
			if (*end != '\0' || app.ctl_uid < 0) {
				fprintf(stderr, "chokepoint: --ctl-allow wants UID[:GID]\n");
				return -1;
			}
		} else if (c == 'M') {
			app.mem_limit = strtoull(optarg, &end, 10) << 20;
			if (*end != '\0' || app.mem_limit == 0) {
				fprintf(stderr, "chokepoint: --reload-mem-limit wants MB > 0\n");
				return -1;
			}
		} else if (c == 'K') {
			app.eve_packet = 1;
		} else if (c == 'L') {
			app.mlock = 1;
		} else if (c == 'H') {
			app.huge = 1;
		} else if (c == 'P') {
			if (cp_pool_mem_parse(optarg, &pool_mem) != 0) {
				fprintf(stderr, "chokepoint: --pool-memory wants auto, eal or thp\n");
				return -1;
			}
		} else if (c == 'S') {
			if ((v = number(optarg, 0, 65535)) < 0) {
				fprintf(stderr, "chokepoint: --community-id-seed wants 0-65535\n");
				return -1;
			}
			app.community_seed = (uint16_t)v;
		} else if (c == 'E') {
			if ((v = number(optarg, 1, 86400)) < 0) {
				fprintf(stderr, "chokepoint: --eve-stats wants seconds, 1-86400\n");
				return -1;
			}
			app.eve_stats = (unsigned)v;
		} else if (c == 'i')
			*snap = optarg;
		else if (c == 'e')
			app.eve_path = optarg;
		else if (c == 'm' && strcmp(optarg, "inline") == 0)
			app.mode = CP_MODE_INLINE;
		else if (c == 'm' && strcmp(optarg, "monitor") == 0)
			app.mode = CP_MODE_MONITOR;
		else if (c == 's')
			app.stats_interval = (unsigned)strtoul(optarg, NULL, 10);
		else if (c == 'h')
			return 1;
		else
			return -1;
	}
	if (*snap == NULL) {
		fprintf(stderr, "chokepoint: --intel SNAP is required\n");
		return -1;
	}
	return 0;
}

/* Queues per port: one per worker where the device allows, with RSS on a
 * symmetric key so both directions of a flow reach the same worker. */
static int port_init(uint16_t port, uint16_t nq, struct rte_mempool *mp)
{
	static uint8_t sym_key[40];
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	int rc;

	if ((rc = rte_eth_dev_info_get(port, &info)) != 0)
		return rc;
	if (nq > 1) {
		for (unsigned i = 0; i < sizeof(sym_key); i += 2)
			sym_key[i] = 0x6d, sym_key[i + 1] = 0x5a;
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf = (struct rte_eth_rss_conf){
			.rss_key = sym_key, .rss_key_len = sizeof(sym_key),
			.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
				  info.flow_type_rss_offloads };
	}
	if ((rc = rte_eth_dev_configure(port, nq, nq, &conf)) != 0)
		return rc;
	for (uint16_t q = 0; q < nq; q++) {
		if ((rc = rte_eth_rx_queue_setup(port, q, RX_DESC, rte_eth_dev_socket_id(port),
						 NULL, mp)) != 0 ||
		    (rc = rte_eth_tx_queue_setup(port, q, TX_DESC, rte_eth_dev_socket_id(port),
						 NULL)) != 0)
			return rc;
	}
	rte_eth_promiscuous_enable(port);
	return rte_eth_dev_start(port);
}

static uint16_t queues_for(uint16_t port)
{
	struct rte_eth_dev_info info;
	uint16_t nq = (uint16_t)app.nworkers;

	if (rte_eth_dev_info_get(port, &info) != 0)
		return 1;
	if (nq > info.max_rx_queues)
		nq = info.max_rx_queues;
	if (nq > info.max_tx_queues)
		nq = info.max_tx_queues;
	return nq ? nq : 1;
}

static int setup_ports(void)
{
	unsigned nmbufs = app.nports * (RX_DESC + TX_DESC) * 2 + app.nworkers * 512 + 4096;
	int thp;
	struct rte_mempool *mp = cp_pool_create("mbufs", nmbufs, 256, pool_mem, &thp);
	uint16_t nq[CP_MAX_PORTS];
	unsigned next = 0;

	if (mp == NULL) {
		fprintf(stderr, "chokepoint: mbuf pool: %s%s\n", rte_strerror(rte_errno),
			rte_errno == ENOTSUP ? " (--pool-memory thp needs virtual ports only)" : "");
		return -1;
	}
	fprintf(stderr, "chokepoint: %u packet buffers in %s\n", nmbufs,
		thp ? "transparent huge pages" : "DPDK's memory");
	/* Both ports of a pair get the same queue count, so (port, q) always
	 * has a (peer, q) to send on. */
	for (uint16_t p = 0; p < app.nports; p += 2) {
		uint16_t a = queues_for(p), b = queues_for(p + 1);
		nq[p] = nq[p + 1] = a < b ? a : b;
	}
	for (uint16_t p = 0; p < app.nports; p++) {
		int rc = port_init(p, nq[p], mp);
		if (rc != 0) {
			fprintf(stderr, "chokepoint: port %u: %s\n", p, rte_strerror(-rc));
			return -1;
		}
		for (uint16_t q = 0; q < nq[p]; q++) {
			struct cp_worker *w = &app.w[next++ % app.nworkers];
			if (w->nq == CP_MAX_RXQ)
				return -1;
			w->q[w->nq++] = (struct cp_rxq){ .port = p, .queue = q, .peer = p ^ 1 };
		}
	}
	app.ports_up = 1;
	return 0;
}

static int setup_workers(void)
{
	unsigned lcore, i = 0;
	char name[32];

	app.nworkers = rte_lcore_count() - 1;
	if (app.nworkers == 0) {
		fprintf(stderr, "chokepoint: needs a worker lcore besides the main one (-l 0-1)\n");
		return -1;
	}
	app.w = rte_zmalloc("workers", sizeof(*app.w) * app.nworkers, RTE_CACHE_LINE_SIZE);
	if (app.w == NULL)
		return -1;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		struct cp_worker *w = &app.w[i];
		w->app = &app;
		w->lcore = lcore;
		w->id = i++;
		w->in = cp_inspector_new();
		snprintf(name, sizeof(name), "alerts%u", w->id);
		w->ring = rte_ring_create_elem(name, sizeof(struct cp_alert), CP_ALERT_RING,
					       (int)rte_lcore_to_socket_id(lcore),
					       RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->in == NULL || w->ring == NULL)
			return -1;
		if (app.eve_packet &&
		    (w->packets = rte_malloc_socket("packets", (size_t)CP_PACKET_SLOTS * CP_EVE_PACKET_MAX,
						    RTE_CACHE_LINE_SIZE,
						    (int)rte_lcore_to_socket_id(lcore))) == NULL) {
			fprintf(stderr, "chokepoint: --eve-packet: no memory for %u packets of %u B "
					"(give the EAL more with -m)\n", CP_PACKET_SLOTS, CP_EVE_PACKET_MAX);
			return -1;
		}
	}
	return 0;
}

static int load_intel(const char *path)
{
	char err[512];

	pthread_mutex_init(&app.gen_lock, NULL);
	if (cp_intel_init(&app, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "chokepoint: %s\n", err);
		return -1;
	}
	const struct cp_store *s = cp_gen_current(&app)->store;
	fprintf(stderr, "chokepoint: %s: %lu ipv4, %lu ipv6, %lu domains, %lu urls, %lu ja3%s%s\n",
		path, cp_store_count(s, CP_T_IPV4), cp_store_count(s, CP_T_IPV6),
		cp_store_count(s, CP_T_DOMAIN), cp_store_count(s, CP_T_URL),
		cp_store_count(s, CP_T_JA3), app.mlock ? ", locked in memory" : "",
		app.huge ? ", in huge pages" : "");
	return 0;
}

/* Frees what setup made, on every way out: the ASan build of the reload
 * test checks that nothing leaks, a failed start included. */
static int teardown(int rc)
{
	for (uint16_t p = 0; p < app.nports && app.ports_up; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	for (unsigned i = 0; app.w != NULL && i < app.nworkers; i++) {
		cp_inspector_free(app.w[i].in);
		rte_free(app.w[i].packets);
		rte_ring_free(app.w[i].ring);
	}
	rte_free(app.w);
	cp_gen_free(app.gen);
	free(app.live.e);
	rte_free(app.qs);
	rte_eal_cleanup();
	return rc;
}

static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/* Stats go to stdout, or to stderr when the alerts do (--eve -), so that
 * a consumer of the alert stream reads JSON lines only. */
static FILE *stats_out(void)
{
	return strcmp(app.eve_path, "-") == 0 ? stderr : stdout;
}

static void run(void)
{
	pthread_t writer;
	uint64_t next = rte_get_tsc_cycles() + app.stats_interval * app.tsc_hz;

	pthread_create(&writer, NULL, cp_eve_main, &app);
	for (unsigned i = 0; i < app.nworkers; i++)
		rte_eal_remote_launch(cp_worker_main, &app.w[i], app.w[i].lcore);
	while (!app.quit) {
		usleep(100 * 1000);
		if (app.reopen)
			serve_reopen();
		cp_intel_watch(&app);
		if (app.stats_interval != 0 && rte_get_tsc_cycles() >= next) {
			cp_stats_print(&app, stats_out(), 0);
			next += app.stats_interval * app.tsc_hz;
		}
	}
	rte_eal_mp_wait_lcore();
	app.workers_done = 1;
	pthread_join(writer, NULL);
}

int main(int argc, char **argv)
{
	const char *snap = NULL;
	int rc;

	if (wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if ((rc = rte_eal_init(argc, argv)) < 0) {
		fprintf(stderr, "chokepoint: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argc -= rc, argv += rc;
	/* A lease on the snapshot breaking (a writer over the file) signals
	 * SIGIO, whose default would stop the engine; the main loop looks
	 * every tick instead (cp_intel_watch), well within the 45 s the
	 * kernel lets the writer wait. */
	signal(SIGIO, SIG_IGN);
	/* From here every way out goes through teardown: under ASan, the
	 * EAL's devices (libpcap's handles) left open count as leaks. */
	if ((rc = parse_args(argc, argv, &snap)) != 0) {
		usage(rc > 0 ? stdout : stderr);
		return teardown(rc > 0 ? 0 : 2);
	}
	app.nports = rte_eth_dev_count_avail();
	if (app.nports == 0 || app.nports % 2 != 0 || app.nports > CP_MAX_PORTS) {
		fprintf(stderr, "chokepoint: needs an even number of ports (1..%u pairs), has %u\n",
			(unsigned)CP_MAX_PORTS / 2, app.nports);
		return teardown(2);
	}
	if (setup_workers() != 0 || load_intel(snap) != 0 || setup_ports() != 0 ||
	    cp_ctl_start(&app) != 0)
		return teardown(2);
	/* Last, so that a failed start leaves no empty alert file behind. */
	app.eve = strcmp(app.eve_path, "-") == 0 ? stdout : fopen(app.eve_path, "a");
	if (app.eve == NULL) {
		fprintf(stderr, "chokepoint: --eve %s: %s\n", app.eve_path, strerror(errno));
		cp_ctl_stop(&app);
		return teardown(2);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	/* An alert reader gone (--eve - into a pipe, a FIFO) is a write error
	 * to count, not a reason for the kernel to stop the appliance. */
	signal(SIGPIPE, SIG_IGN);
	app.tsc_hz = rte_get_tsc_hz();
	app.tsc0 = rte_rdtsc();
	clock_gettime(CLOCK_REALTIME, &app.wall0);
	cp_stats_telemetry_init(&app);
	fprintf(stderr, "chokepoint: %u ports, %u workers, %s mode, alerts to %s\n", app.nports,
		app.nworkers, app.mode == CP_MODE_INLINE ? "inline" : "monitor", app.eve_path);
	run();
	cp_ctl_stop(&app);
	cp_stats_print(&app, stats_out(), 1);
	if (app.eve != stdout)
		fclose(app.eve);
	if (app.eve_next != NULL)  /* a reopen at the very end, never taken */
		fclose(app.eve_next);
	return teardown(0);
}
