/* chokepoint-bench pipeline: traffic built in memory, run through the real
 * worker code (cp_worker_burst) on one core, beside a testpmd-style
 * io-forward (rx -> tx, no inspection) in the same run.
 *
 * Two ring ports (2, 3) make a loop: port 2 receives what port 3 sends, so a
 * fixed population of packets circulates without a generator in the way.
 * io-forward over that loop only moves pointers (~1.3 G packets/s here), so
 * the baseline is io-forward between two net_null ports (0, 1), which
 * allocate on rx and free on tx as a NIC driver does: testpmd's figure. Before
 * each burst ours rewrites every packet's addresses from a stream (Zipf over
 * a million flows, or uniform over the address space; 1 % of destinations
 * are indicators), so the lookups see fresh keys; that costs ours, never the
 * baseline. Names in DNS and TLS packets come from a population of
 * POP distinct names. The set holds --cidrs CIDRs (/24../30) a thousand
 * IPv4 indicators, 10 by default, as real sets do: with any CIDR in a set
 * every address also takes the range lookup. Monitor mode: nothing is
 * dropped, so the loop keeps its population. Both contenders take their
 * mbufs from one pool, placed as the engine places its own (cp_pool_create:
 * on transparent huge pages under --no-huge); --pool-memory eal puts it in
 * DPDK's 4 KiB memory, where io-forward ran at about half its rate. */
#include "bench.h"
#include "../engine/app/app.h"
#include "../engine/app/pool.h"
#include "../tests/unit/frames.h"
#include "snapshot/snapshot.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <math.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>
#include <stdlib.h>
#include <unistd.h>

#define POP 4096           /* packets circulating */
#define STREAM (1u << 20)  /* address pairs per locality */
#define FLOWS (1u << 20)

struct pl {
	uint64_t seed, count, packets, npat;
	const char *dir;
	struct bench_out out;
	struct rte_mempool *mp;
	uint32_t *pairs;       /* STREAM (src, dst) pairs */
	unsigned pos;
};

static uint32_t rnd32(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 32);
}

static uint32_t member_ip(const struct pl *o, uint64_t i)
{
	struct cp_ind ind;
	gen_ipv4(o->seed, i % (o->count / 2), &ind);
	return (uint32_t)ind.v[0] << 24 | (uint32_t)ind.v[1] << 16 | (uint32_t)ind.v[2] << 8 |
	       ind.v[3];
}

/* zipf: flows drawn with P(k) ~ 1/k over FLOWS flows; else uniform. */
static void make_stream(struct pl *o, int zipf)
{
	uint64_t s = o->seed ^ 0x7777;
	double *cdf = NULL, h = 0;
	uint32_t *flows = NULL;

	if (zipf) {
		cdf = malloc(FLOWS * sizeof(*cdf));
		flows = malloc(FLOWS * 2 * sizeof(*flows));
		for (unsigned k = 0; k < FLOWS; k++)
			cdf[k] = (h += 1.0 / (k + 1));
		for (unsigned k = 0; k < FLOWS; k++) {
			flows[2 * k] = rnd32(&s);
			flows[2 * k + 1] = rnd32(&s) % 100 == 0 ? member_ip(o, rnd32(&s)) : rnd32(&s);
		}
	}
	for (unsigned i = 0; i < STREAM; i++) {
		if (zipf) {
			double u = (double)rnd32(&s) / 4294967296.0 * h;
			unsigned lo = 0, hi = FLOWS - 1;
			while (lo < hi) {
				unsigned mid = (lo + hi) / 2;
				if (cdf[mid] < u)
					lo = mid + 1;
				else
					hi = mid;
			}
			o->pairs[2 * i] = flows[2 * lo];
			o->pairs[2 * i + 1] = flows[2 * lo + 1];
		} else {
			o->pairs[2 * i] = rnd32(&s);
			o->pairs[2 * i + 1] = rnd32(&s) % 100 == 0 ? member_ip(o, rnd32(&s)) : rnd32(&s);
		}
	}
	free(cdf);
	free(flows);
}

/* One packet of the mix: 64 B UDP, IMIX (7:4:1 of 64/576/1500), a DNS
 * query or a TLS ClientHello, for a name of the population. */
static void build(const struct pl *o, const char *mix, unsigned i, struct fb *f)
{
	uint8_t pay[1500];
	struct cp_ind name;
	char dotted[256];

	f->n = 0;
	gen_domain(o->seed ^ (i % 100 == 0 ? 0 : 0x5eed), i, &name);
	snprintf(dotted, sizeof(dotted), "%.*s", (int)name.len, (const char *)name.v);
	if (strcmp(mix, "64") == 0 || strcmp(mix, "imix") == 0) {
		unsigned k = i % 12, size = strcmp(mix, "64") == 0 || k < 7 ? 64 : k < 11 ? 576 : 1500;
		/* Payloads as traffic has them, for the pattern scans. */
		gen_payload(o->seed, i, pay, size - 42, o->npat);
		udp4(f, 0, 9, pay, size - 42);
	} else if (strcmp(mix, "dns") == 0) {
		struct fb m = { .n = 0 };
		dns_query(&m, dotted);
		udp4(f, 0, 53, m.b, m.n);
	} else {
		struct hello h;
		client_hello(&h, dotted);
		tcp4(f, 443, h.f.b, h.f.n);
	}
}

static int fill(struct pl *o, const char *mix)
{
	struct rte_mbuf *m[POP];
	struct fb f;

	if (rte_pktmbuf_alloc_bulk(o->mp, m, POP) != 0)
		return -1;
	for (unsigned i = 0; i < POP; i++) {
		build(o, mix, i, &f);
		memcpy(rte_pktmbuf_append(m[i], (uint16_t)f.n), f.b, f.n);
	}
	return rte_eth_tx_burst(3, 0, m, POP) == POP ? 0 : -1;  /* into port 2's rx */
}

static void drain(uint16_t port)
{
	struct rte_mbuf *m[64];
	uint16_t n;

	while ((n = rte_eth_rx_burst(port, 0, m, 64)) != 0)
		rte_pktmbuf_free_bulk(m, n);
}

/* The set with patterns, and its worker's scratch. */
static int patterned(const struct pl *o, struct cp_gen *g)
{
	g->store = bench_store(o->seed, o->count, o->npat, CP_FILTER_AUTO, o->dir, &g->snap,
			       g->path, sizeof(g->path));
	if (g->store == NULL || (g->scratch = calloc(1, sizeof(*g->scratch))) == NULL)
		return -1;
	g->nscratch = 1;
	return cp_store_scratch_new(g->store, 1, g->scratch);
}

/* testpmd's default burst (DEF_PKT_BURST). */
#define IO_BURST 32

static double io_forward(uint16_t from, uint16_t to, uint64_t packets)
{
	struct rte_mbuf *pk[IO_BURST];
	uint64_t done = 0;
	double t0 = bench_now();

	while (done < packets) {
		uint16_t n = rte_eth_rx_burst(from, 0, pk, IO_BURST);
		uint16_t s = rte_eth_tx_burst(to, 0, pk, n);
		if (s < n)
			rte_pktmbuf_free_bulk(pk + s, n - s);
		done += n;
	}
	return (double)done / (bench_now() - t0) / 1e6;
}

static double ours(struct pl *o, struct cp_worker *w, uint64_t packets)
{
	static const struct cp_rxq q = { .port = 2, .queue = 0, .peer = 3 };
	struct rte_mbuf *pk[CP_RX_BURST];
	struct cp_alert a[64];
	const struct cp_gen *g = cp_gen_current(w->app);
	uint64_t done = 0;
	double t0 = bench_now();

	while (done < packets) {
		uint16_t n = rte_eth_rx_burst(2, 0, pk, CP_RX_BURST);
		for (uint16_t i = 0; i < n; i++) {
			uint8_t *ip = rte_pktmbuf_mtod_offset(pk[i], uint8_t *, 14 + 12);
			uint32_t src = htonl(o->pairs[2 * o->pos]), dst = htonl(o->pairs[2 * o->pos + 1]);
			memcpy(ip, &src, 4);
			memcpy(ip + 4, &dst, 4);
			o->pos = (o->pos + 1) & (STREAM - 1);
		}
		cp_worker_burst(w, g, &q, pk, n);
		done += n;
		if ((done & 0xfff) < CP_RX_BURST)
			while (rte_ring_dequeue_burst_elem(w->ring, a, sizeof(a[0]), 64, NULL) != 0)
				;
	}
	return (double)done / (bench_now() - t0) / 1e6;
}

static int ports(struct rte_mempool *mp)
{
	struct rte_ring *a = rte_ring_create("pl_a", 8192, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct rte_ring *b = rte_ring_create("pl_b", 8192, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (a == NULL || b == NULL || rte_eth_from_rings("pl0", &a, 1, &b, 1, 0) != 2 ||
	    rte_eth_from_rings("pl1", &b, 1, &a, 1, 0) != 3)
		return -1;
	return bench_ports_start(4, mp);
}

int bench_pipeline(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' }, { "packets", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },        { "dir", required_argument, NULL, 'd' },
		{ "mix", required_argument, NULL, 'm' },   { "patterns", required_argument, NULL, 'P' },
		{ "huge", no_argument, NULL, 'H' },        { "cidrs", required_argument, NULL, 'C' },
		{ "pool-memory", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const char *only = NULL;
	static const char *const mixes[] = { "64", "imix", "dns", "tls" };
	struct pl o = { .seed = 42, .count = 1000000, .packets = 10000000, .dir = "/tmp" };
	struct cp_app app = { .mode = CP_MODE_MONITOR, .nworkers = 1, .nports = 2 };
	struct cp_snap *snap;
	enum cp_pool_mem pool_mem = CP_POOL_AUTO;
	char path[512];
	int c, thp;

	optind = 1;
	/* Real sets hold CIDRs, and with one every address also takes the
	 * range lookup: 1 % by default, ~0.85 % of the address space at 100 M. */
	bench_cidr_pm = 10;
	while ((c = getopt_long(argc, argv, "n:p:jd:m:P:HC:M:", opts, NULL)) != -1) {
		if (c == 'M') {
			if (cp_pool_mem_parse(optarg, &pool_mem) != 0) {
				fprintf(stderr, "pipeline: --pool-memory wants auto, eal or thp\n");
				return 2;
			}
		} else if (c == 'C')
			bench_cidr_pm = (unsigned)strtoul(optarg, NULL, 10);
		else if (c == 'H')
			bench_snap_flags = CP_SNAP_HUGE;
		else if (c == 'n')
			o.count = strtoull(optarg, NULL, 10);
		else if (c == 'p')
			o.packets = strtoull(optarg, NULL, 10);
		else if (c == 'j')
			o.out.json = 1;
		else if (c == 'd')
			o.dir = optarg;
		else if (c == 'm')
			only = optarg;
		else if (c == 'P')
			o.npat = strtoull(optarg, NULL, 10);
		else
			return 2;
	}
	/* One pool for both contenders, where the engine would put its own. */
	if (o.count < 2 || bench_eal_init(256, "net_null0", "net_null1") < 0 ||
	    (o.mp = cp_pool_create("pl_mbufs", POP + 8192, 256, pool_mem, &thp)) == NULL ||
	    ports(o.mp) != 0) {
		fprintf(stderr, "pipeline: EAL, mbufs or ring ports failed\n");
		return 1;
	}
	fprintf(stderr, "packet buffers (ours and io-forward's) in %s\n",
		thp ? "transparent huge pages" : "DPDK's memory");
	o.pairs = malloc(STREAM * 2 * sizeof(*o.pairs));
	struct cp_gen gen = { .id = 1 }, pgen = { .id = 2 };
	gen.store = bench_store(o.seed, o.count, 0, CP_FILTER_AUTO, o.dir, &snap, path, sizeof(path));
	gen.snap = snap;
	app.gen = &gen;
	/* --patterns: the same indicators and payload patterns, measured
	 * beside the set without them, in the same run. */
	if (o.npat != 0 && patterned(&o, &pgen) != 0)
		return 1;
	struct cp_worker *w = rte_zmalloc("pl_w", sizeof(*w), RTE_CACHE_LINE_SIZE);
	if (o.mp == NULL || o.pairs == NULL || gen.store == NULL || w == NULL)
		return 1;
	w->app = &app;
	w->in = cp_inspector_new();
	w->ring = rte_ring_create_elem("pl_alerts", sizeof(struct cp_alert), 4096, 0,
				       RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!o.out.json)
		printf("%-34s %12s %-10s %-28s %12s   %s\n", "figure", "ours", "unit", "baseline",
		       "baseline", "ratio");
	for (int zipf = 1; zipf >= 0; zipf--) {
		make_stream(&o, zipf);
		for (unsigned m = 0; m < 4; m++) {
			char fig[64];
			if (only != NULL && strcmp(only, mixes[m]) != 0)
				continue;
			if (fill(&o, mixes[m]) != 0)
				return 1;
			io_forward(0, 1, o.packets / 10);  /* warm-up */
			ours(&o, w, o.packets / 10);
			/* --patterns: the same traffic against the set with them. */
			double base = 0, v = 0, vp = 0;
			for (unsigned k = 0; k < BENCH_BEST_OF; k++) {
				base = fmax(base, io_forward(0, 1, o.packets));
				v = fmax(v, ours(&o, w, o.packets));
				if (o.npat != 0) {
					app.gen = &pgen;
					vp = fmax(vp, ours(&o, w, o.packets));
					app.gen = &gen;
				}
			}
			if (m == 0 && zipf)
				bench_figure(&o.out, "pipeline.ring_io_forward", io_forward(2, 3, o.packets),
					     "Mpps", "io-forward net_null", base, 0);
			drain(2);
			snprintf(fig, sizeof(fig), "pipeline.%s.%s", mixes[m], zipf ? "zipf" : "uniform");
			bench_figure(&o.out, fig, v, "Mpps", "io-forward net_null", base, 0);
			if (o.npat == 0)
				continue;
			snprintf(fig, sizeof(fig), "pipeline.%s.%s.patterns", mixes[m],
				 zipf ? "zipf" : "uniform");
			bench_figure(&o.out, fig, vp, "Mpps", "the same, patterns off", v, 0);
		}
	}
	cp_store_close(gen.store);
	cp_snap_close(snap);
	unlink(path);
	if (o.npat != 0) {
		cp_pattern_scratch_free(pgen.scratch, 1);
		free(pgen.scratch);
		cp_store_close(pgen.store);
		cp_snap_close(pgen.snap);
		unlink(pgen.path);
	}
	return 0;
}
