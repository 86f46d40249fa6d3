/* chokepoint-bench: shared helpers. Every figure is printed beside its
 * baseline from the same run, with ratio > 1 meaning we are better. */
#ifndef CP_BENCH_H
#define CP_BENCH_H

#include <stdint.h>
#include <stdio.h>

#include "indicator/indicator.h"

struct bench_out {
	int json;
};

void bench_figure(const struct bench_out *o, const char *figure, double value, const char *unit,
		  const char *baseline, double baseline_value, int lower_is_better);
double bench_now(void);

/* Deterministic synthetic indicators: index i of a stream with seed. */
void gen_ipv4(uint64_t seed, uint64_t i, struct cp_ind *ind);
void gen_cidr4(uint64_t seed, uint64_t i, struct cp_ind *ind);
void gen_domain(uint64_t seed, uint64_t i, struct cp_ind *ind);
void gen_url(uint64_t seed, uint64_t i, struct cp_ind *ind);
void gen_hash(uint64_t seed, uint64_t i, enum cp_itype t, struct cp_ind *ind);
/* A realistic mix, as feed text, one indicator per line, to f. */
int gen_feed(FILE *f, uint64_t seed, uint64_t count, const char *mix);

int bench_lookup(int argc, char **argv);
int bench_compile(int argc, char **argv);
int bench_gen(int argc, char **argv);
/* Starts DPDK's EAL for the rte_hash baselines, with mem_mb of memory. */
int bench_eal_init(unsigned mem_mb);

#endif
