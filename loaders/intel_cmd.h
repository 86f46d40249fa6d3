/* The work behind chokepoint-intel's commands, shared with the benches.
 * Control plane. */
#ifndef CP_INTEL_CMD_H
#define CP_INTEL_CMD_H

#include <stdint.h>
#include <stdio.h>

#include "compile.h"
#include "indicator/indicator.h"

struct cp_snap;
struct cp_store;

struct cp_compile_opts {
	const char *out;
	const char *const *feeds;
	unsigned nfeeds;
	uint64_t max_errors;   /* UINT64_MAX: no limit */
	uint64_t seed;         /* 0: random */
	enum cp_filter_mode filter;
	unsigned threads;      /* loader threads; 0: one per online CPU */
	int quiet;             /* no summary */
	int progress;          /* progress line on stderr */
	struct cp_pattern_opts patterns;  /* limits and cache */
	const char *spill_dir;  /* NULL: the output's directory */
	uint64_t spill_budget;  /* bytes of records in memory, if spill_set */
	int spill_set;          /* 0: cp_compiler_spill_default() */
	struct cp_compile_stats *stats;  /* out, may be NULL */
	double *seconds;       /* out: wall time, may be NULL */
};

/* Loads every feed, compiles and writes o->out; prints errors as FILE:LINE:
 * reason and a summary. Past max_errors nothing is written.
 * Returns the exit status: 0 written, 1 refused, 2 usage or I/O error. */
int cp_intel_compile(const struct cp_compile_opts *o);
/* Prints the matches of ind as one JSON object; returns how many matched. */
unsigned cp_intel_lookup(const struct cp_store *s, const struct cp_ind *ind, FILE *out);
void cp_intel_info(const char *path, const struct cp_snap *snap, const struct cp_store *s,
		   FILE *out);

#endif
