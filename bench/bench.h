/* chokepoint-bench: shared helpers. Every figure is printed beside its
 * baseline from the same run, with ratio > 1 meaning we are better. */
#ifndef CP_BENCH_H
#define CP_BENCH_H

#include <stdint.h>
#include <stdio.h>

#include "compile.h"
#include "indicator/indicator.h"

struct bench_out {
	int json;
};

void bench_figure(const struct bench_out *o, const char *figure, double value, const char *unit,
		  const char *baseline, double baseline_value, int lower_is_better);
double bench_now(void);

/* Timed passes per figure, after a warm-up: the contenders alternate, and
 * each figure is the best of its passes. On this VM a whole pass sometimes
 * runs 2-2.5x slower than the ones around it (an IPv4 miss pass of the
 * lookup bench at 40.3 ns between runs at 15.4-16.8), whatever the kernel
 * or the host does then; taken alike for every contender, the best of
 * three keeps that out of the ratios. */
#define BENCH_BEST_OF 3

/* Deterministic synthetic indicators: index i of a stream with seed. */
void gen_ipv4(uint64_t seed, uint64_t i, struct cp_ind *ind);
void gen_cidr4(uint64_t seed, uint64_t i, struct cp_ind *ind);
/* A blocklist's CIDR: /24../30 in the same clusters (~73 addresses each). */
void gen_cidr4_narrow(uint64_t seed, uint64_t i, struct cp_ind *ind);
void gen_domain(uint64_t seed, uint64_t i, struct cp_ind *ind);
void gen_url(uint64_t seed, uint64_t i, struct cp_ind *ind);
void gen_hash(uint64_t seed, uint64_t i, enum cp_itype t, struct cp_ind *ind);
/* Index i of a mix: "ip", "dom", "half" or "all" (every type, in the
 * proportions of public feeds). */
void gen_mixed(uint64_t seed, uint64_t i, const char *mix, struct cp_ind *ind);
/* A realistic mix, as feed text, one indicator per line, to f. */
int gen_feed(FILE *f, uint64_t seed, uint64_t count, const char *mix);
/* The same stream as a feed of format fmt (plain, csv, zeek, suricata,
 * iprep (addresses only), stix (no JA3), misp, warninglist); distinct > 0
 * repeats the first distinct records (ids included) to make count. */
int gen_feed_format(FILE *f, uint64_t seed, uint64_t count, uint64_t distinct, const char *mix,
		    const char *fmt);

/* Pattern sets and payloads (patgen.c): literal i and regex i of a set in
 * the pattern feed's syntax, and payload i of n bytes, 1 in 1000 holding
 * one of npat literals (0: none). */
void gen_pattern_literal(uint64_t seed, uint64_t i, char *out, size_t size);
void gen_pattern_regex(uint64_t seed, uint64_t i, char *out, size_t size);
void gen_payload(uint64_t seed, uint64_t i, uint8_t *buf, size_t n, uint64_t npat);
/* Adds npat payload patterns to c, one in ten a regex (metadata meta). */
int bench_add_patterns(struct cp_compiler *c, uint64_t seed, uint64_t npat, uint32_t meta);

struct cp_snap;
struct cp_store;
/* Builds count indicators (half IPv4, half domains), plus bench_cidr_pm
 * CIDRs a thousand IPv4, and npat patterns from the generators into a
 * snapshot under dir and opens it. NULL on failure (message printed). */
struct cp_store *bench_store(uint64_t seed, uint64_t count, uint64_t npat,
			     enum cp_filter_mode filter, const char *dir,
			     struct cp_snap **snap, char *path, size_t plen);

int bench_lookup(int argc, char **argv);
int bench_pipeline(int argc, char **argv);
int bench_compile(int argc, char **argv);
int bench_gen(int argc, char **argv);
int bench_reload(int argc, char **argv);
int bench_patterns(int argc, char **argv);
int bench_quic(int argc, char **argv);
/* Ports 0..nports-1 with one queue each, started. Returns 0 or -1. */
struct rte_mempool;
int bench_ports_start(uint16_t nports, struct rte_mempool *mp);
/* EAL's -l for bench_eal_init: "0" unless a bench needs a worker lcore. */
extern const char *bench_lcores;
/* How bench_store opens its snapshot: CP_SNAP_LAZY, as the engine does
 * (4 KiB file pages), or CP_SNAP_HUGE with --huge (sections copied to
 * memory advised for huge pages). */
extern unsigned bench_snap_flags;
/* CIDRs bench_store adds per 1000 IPv4 indicators (0: none, the default). */
extern unsigned bench_cidr_pm;
/* Starts DPDK's EAL on one core with mem_mb of memory and up to two vdevs
 * (NULL: none). */
int bench_eal_init(unsigned mem_mb, const char *vdev0, const char *vdev1);

#endif
