/* The snapshot compiler: collects canonical indicators with their metadata
 * and writes a .cpsnap. Control plane (jemalloc).
 *
 *   cp_compiler_new -> (cp_compiler_meta, cp_compiler_add)* -> cp_compiler_write
 */
#ifndef CP_COMPILE_H
#define CP_COMPILE_H

#include <stdint.h>

#include "indicator/indicator.h"

struct cp_compiler;

/* Metadata as a feed states it. Strings are copied; NULL means unset. */
struct cp_meta_in {
	enum cp_action action;
	int confidence;          /* 0..100, or -1 */
	const char *feed;
	const char *id;
	const char *tags;        /* comma-separated */
	int64_t valid_until;     /* unix seconds, 0 = never */
};

struct cp_compile_stats {
	uint64_t added;           /* indicators accepted */
	uint64_t expired;         /* valid_until already past: not compiled */
	uint64_t merged;          /* same value again: contexts merged */
	uint64_t cidr4;           /* distinct ipv4 CIDRs (in unique[ipv4]) */
	uint64_t unique[CP_T__COUNT];
	uint64_t bytes[CP_T__COUNT];
	uint64_t shared_bytes;    /* metadata, sets, strings */
	uint64_t file_bytes;
	uint64_t nmeta;
	uint64_t nsets;
	double build_s;
	double write_s;
	uint64_t patterns[4];     /* per pattern target (enum cp_ptarget) */
	uint64_t pattern_bytes;   /* their serialised databases */
	unsigned pattern_compiled, pattern_cached;  /* targets compiled, or from the cache */
	double pattern_s;         /* compiling them */
	uint64_t spilled;         /* records that went through spill files */
};

/* seed 0 draws a random seed. Returns NULL with errno set. */
struct cp_compiler *cp_compiler_new(uint64_t seed);
void cp_compiler_free(struct cp_compiler *c);
uint64_t cp_compiler_seed(const struct cp_compiler *c);

/* First-level filters in front of the exact tables: CP_FILTER_AUTO builds
 * one for every table of 16-byte keys and for IPv4 tables of >= 1 M keys
 * (a smaller one sits in cache and its probe is cheaper). NEVER suits a
 * deployment whose lookups mostly hit: each hit saves one DRAM read. */
enum cp_filter_mode { CP_FILTER_AUTO = 0, CP_FILTER_NEVER, CP_FILTER_ALWAYS };
void cp_compiler_set_filter(struct cp_compiler *c, enum cp_filter_mode m);
/* Parses auto|yes|no. Returns 0 or -EINVAL. */
int cp_filter_mode_parse(const char *s, enum cp_filter_mode *m);

/* Limits and cache for compiling patterns. A compile that would run past
 * time_limit_s, or make a database past max_bytes, is refused with the
 * reason; the cache holds serialised databases by a hash of the pattern
 * set, so an unchanged set is never compiled twice. */
struct cp_pattern_opts {
	double time_limit_s;     /* 0: none (compiled in this process) */
	uint64_t max_bytes;      /* of one target's database; 0: none */
	const char *cache_dir;   /* NULL: no cache; created when missing */
	int generic;             /* build for any x86-64 (cp_pattern_generic), not this CPU */
};
/* 1 M literals take 87 s here: ten times that is a set gone wrong. */
#define CP_PATTERN_TIME_LIMIT 900.0
/* 1 M literals make 121 MB; 2 GB is a tenth of this machine's memory. */
#define CP_PATTERN_MAX_BYTES (2000ull * 1000 * 1000)
/* Defaults: the limits above, no cache. The strings must outlive c. */
void cp_compiler_set_patterns(struct cp_compiler *c, const struct cp_pattern_opts *o);

/* Sets larger than memory: past budget bytes of exact records (16 B an
 * indicator) in memory, the compiler spills them to unnamed files in dir
 * (NULL: $TMPDIR or /tmp; chokepoint-intel passes the output's) and builds each table one hash range
 * at a time. The default budget is a quarter of physical memory; 0 spills
 * from the first record. The snapshot is the same either way. Returns 0,
 * or -errno when dir is not a writable directory. */
int cp_compiler_set_spill(struct cp_compiler *c, const char *dir, uint64_t budget);
#define CP_SPILL_RANGES 64u
uint64_t cp_compiler_spill_default(void);

/* Interns metadata; *id gets its id. Returns 0, -ENOMEM, or -E2BIG past
 * 16.7 M distinct records. */
int cp_compiler_meta(struct cp_compiler *c, const struct cp_meta_in *m, uint32_t *id);
/* Adds one canonical indicator. Returns 0, 1 when it was dropped as expired,
 * -ENOMEM, or -errno of a spill file (-ENOSPC: its disk is full). */
int cp_compiler_add(struct cp_compiler *c, const struct cp_ind *ind, uint32_t meta);

/* A shard collects indicators for one loader thread without locks; merge
 * it into its compiler when the thread is done. It may use the metadata ids
 * interned before it was made, and no cp_compiler_meta() may run while any
 * shard is adding. shard_add returns like cp_compiler_add, or -EINVAL for a
 * newer id; merge returns 0 or -ENOMEM and frees the shard on success. */
struct cp_compiler_shard;
struct cp_compiler_shard *cp_compiler_shard_new(struct cp_compiler *c);
int cp_compiler_shard_add(struct cp_compiler_shard *sh, const struct cp_ind *ind, uint32_t meta);
int cp_compiler_shard_merge(struct cp_compiler_shard *sh);
void cp_compiler_shard_free(struct cp_compiler_shard *sh);

/* Adds a pattern for target t (enum cp_ptarget) from file:line, which a
 * compile error will name. Returns 0, 1 when dropped as expired, or
 * -ENOMEM. */
struct cp_pattern;
int cp_compiler_add_pattern(struct cp_compiler *c, const struct cp_pattern *p, unsigned t,
			    uint32_t meta, const char *file, uint64_t line);

/* Builds every table and writes path atomically. err gets a message on
 * failure. Returns 0 or -errno. */
int cp_compiler_write(struct cp_compiler *c, const char *path, struct cp_compile_stats *st,
		      char *err, size_t errlen);

#endif
