/* chokepoint-bench: benchmarks with their baselines from the same run.
 * Control-plane tool; the lookup loops run the data-plane code. */
#include "bench.h"
#include "snapshot/snapshot.h"

#include <math.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void bench_figure(const struct bench_out *o, const char *figure, double value, const char *unit,
		  const char *baseline, double baseline_value, int lower_is_better)
{
	double ratio = lower_is_better ? baseline_value / value : value / baseline_value;

	if (!isfinite(ratio))
		ratio = 0;
	if (o->json)
		printf("{\"figure\":\"%s\",\"value\":%.3f,\"unit\":\"%s\",\"baseline\":\"%s\","
		       "\"baseline_value\":%.3f,\"ratio\":%.3f}\n",
		       figure, value, unit, baseline, baseline_value, ratio);
	else
		printf("%-34s %12.2f %-10s %-28s %12.2f   x%.2f\n", figure, value, unit, baseline,
		       baseline_value, ratio);
	fflush(stdout);
}

const char *bench_lcores = "0";
unsigned bench_snap_flags = CP_SNAP_LAZY;
unsigned bench_cidr_pm;

int bench_eal_init(unsigned mem_mb, const char *vdev0, const char *vdev1)
{
	char mem[32];
	char *args[16] = { "chokepoint-bench", "--no-huge", "-m", mem, "--no-pci", "--no-telemetry",
			   "-l", (char *)bench_lcores, "--log-level=error", "--no-shconf" };
	int n = 10;

	snprintf(mem, sizeof(mem), "%u", mem_mb);
	for (const char *v = vdev0; v != NULL; v = v == vdev0 ? vdev1 : NULL) {
		args[n++] = "--vdev";
		args[n++] = (char *)v;
	}
	return rte_eal_init(n, args);
}

int bench_ports_start(uint16_t nports, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { 0 };

	for (uint16_t p = 0; p < nports; p++)
		if (rte_eth_dev_configure(p, 1, 1, &conf) != 0 ||
		    rte_eth_rx_queue_setup(p, 0, 1024, 0, NULL, mp) != 0 ||
		    rte_eth_tx_queue_setup(p, 0, 1024, 0, NULL) != 0 || rte_eth_dev_start(p) != 0)
			return -1;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: chokepoint-bench lookup  [--count N] [--queries N] [--json] [--no-rte-hash]\n"
		"                                [--filter auto|yes|no] [--dir D] [--seed S] [--huge]\n"
		"       chokepoint-bench compile [--count N] [--mix all|half|ip|dom] [--json] [--dir D]\n"
		"                                [--format all|plain|csv|zeek|suricata|iprep|stix|misp|warninglist]\n"
		"       chokepoint-bench gen     --count N [--seed S] [--mix M] [--format F] [--distinct N] > feed\n"
		"       chokepoint-bench pipeline [--count N] [--packets N] [--mix 64|imix|dns|tls]\n"
		"                                 [--patterns N] [--json] [--dir D] [--huge] [--cidrs PM]\n"
		"                                 [--pool-memory auto|eal|thp]\n"
		"       chokepoint-bench reload  [--count N[,N...]] [--reloads K] [--patterns N] [--json]\n"
		"                                [--dir D]\n"
		"       chokepoint-bench patterns [--max N] [--scan-mb M] [--size B] [--packets N]\n"
		"                                 [--no-pipeline] [--json] [--dir D]\n"
		"       chokepoint-bench quic     [--iterations N] [--json]\n"
		"Every figure is printed beside its baseline from the same run; ratio > 1: we are better.\n"
		"--huge: the set copied to memory advised for huge pages, not mapped in file pages.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "lookup") == 0)
		return bench_lookup(argc - 1, argv + 1);
	if (strcmp(argv[1], "compile") == 0)
		return bench_compile(argc - 1, argv + 1);
	if (strcmp(argv[1], "gen") == 0)
		return bench_gen(argc - 1, argv + 1);
	if (strcmp(argv[1], "pipeline") == 0)
		return bench_pipeline(argc - 1, argv + 1);
	if (strcmp(argv[1], "reload") == 0)
		return bench_reload(argc - 1, argv + 1);
	if (strcmp(argv[1], "patterns") == 0)
		return bench_patterns(argc - 1, argv + 1);
	if (strcmp(argv[1], "quic") == 0)
		return bench_quic(argc - 1, argv + 1);
	usage();
	return 2;
}
