/* Feed loaders: one file per format over one interface. Control plane.
 *
 * A loader reads a feed and hands each value to cp_load_emit(), which
 * normalises it, attaches the metadata and passes it to the compiler, or
 * reports "FILE:LINE: reason: 'value'" and counts the reason.
 */
#ifndef CP_LOADER_H
#define CP_LOADER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/cp.h"
#include "compile.h"
#include "indicator/indicator.h"

#define CP_LOAD_MAX_KV 16
#define CP_LOAD_MAX_REASONS 64

/* A feed as given on the command line: [FORMAT:]PATH[,key=value...]. */
struct cp_feed {
	const struct cp_loader *fmt;
	char path[4096];
	char name[256];          /* feed name: feed=, else the file's base name */
	int type;                /* forced enum cp_itype, or -1: auto-detect */
	enum cp_action action;
	int confidence;          /* -1: unset */
	int subdomains;          /* 1: bare domains cover their subdomains */
	int action_set;          /* action= was given */
	int no_ids;              /* ids=no: drop per-indicator ids (STIX, MISP:
				  * ~50 B an indicator in the snapshot) */
	unsigned nkv;
	char *key[CP_LOAD_MAX_KV];  /* every key=value, for format options */
	char *val[CP_LOAD_MAX_KV];
	char spec[4096 + 512];   /* storage for key/val */
};

/* Counts by reason; reasons are static strings. */
struct cp_reasons {
	unsigned n;
	const char *reason[CP_LOAD_MAX_REASONS];
	uint64_t count[CP_LOAD_MAX_REASONS];
};

/* Error accounting shared by every feed of one compile. Errors are values
 * that are wrong; skips are well-formed entries we do not take (a Zeek
 * Intel::EMAIL, a STIX pattern on a type we do not match, a MISP attribute
 * without to_ids): counted by reason, never printed one by one, never
 * counted against --max-errors. */
struct cp_diag {
	FILE *out;               /* where messages go (stderr) */
	uint64_t max_errors;     /* stop once errors exceed this; UINT64_MAX: never */
	uint64_t max_print;      /* messages printed before counting silently */
	uint64_t errors;
	uint64_t skipped;
	struct cp_reasons err, skip;
};

/* How a feed is loaded; NULL means one thread and no progress. */
struct cp_load_opts {
	unsigned threads;        /* loader threads for large line-based feeds; 0 = 1 */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

struct cp_load_ctx {
	const struct cp_feed *feed;
	struct cp_compiler *comp;
	struct cp_compiler_shard *shard;  /* set: this thread adds here */
	struct cp_diag *diag;
	pthread_mutex_t *lock;   /* set while threads share diag */
	unsigned threads;
	uint64_t emitted;
	uint32_t feed_meta;      /* the feed's default metadata, interned */
	uint64_t size;           /* bytes of the feed, for progress */
	uint64_t *done;          /* bytes parsed, shared by the threads */
	const uint8_t *data;     /* the whole feed, NULL when empty */
	size_t len;
	int mapped;              /* data is a private file mapping: pages behind
				  * the parser may be dropped */
	void (*progress)(void *arg, uint64_t done, uint64_t total);  /* one thread's */
	void *progress_arg;
};

/* For loaders: parses p[begin, end), whose first line is line0. */
typedef int (*cp_load_range_fn)(struct cp_load_ctx *ctx, const uint8_t *p, size_t begin,
				size_t end, uint64_t line0);

struct cp_loader {
	const char *name;
	const char *const *keys;  /* format options it accepts, NULL-terminated */
	/* Returns 1 when head (the file's first bytes, at most 64 KiB, after
	 * any UTF-8 BOM) looks like this format. NULL: never guessed. */
	int (*probe)(const char *path, const uint8_t *head, size_t n);
	/* Loads the whole feed from ctx->data. Returns 0, or -errno for a
	 * failure or when the error limit was passed (-ECANCELED). */
	int (*load)(struct cp_load_ctx *ctx);
};

extern const struct cp_loader cp_loader_plain;
extern const struct cp_loader cp_loader_csv;
extern const struct cp_loader cp_loader_zeek;
extern const struct cp_loader cp_loader_suricata;
extern const struct cp_loader cp_loader_iprep;
extern const struct cp_loader cp_loader_stix;
extern const struct cp_loader cp_loader_misp;
extern const struct cp_loader cp_loader_warninglist;
extern const struct cp_loader cp_loader_pattern;

/* The loader named name, or NULL. */
const struct cp_loader *cp_loader_find(const char *name, size_t n);
/* The format head looks like: the first loader whose probe says yes. */
const struct cp_loader *cp_loader_detect(const char *path, const uint8_t *head, size_t n);

/* Parses a feed spec. Returns 0, or -EINVAL with a message in err. */
int cp_feed_parse(const char *spec, struct cp_feed *f, char *err, size_t errlen);
/* The value of key in the feed's options, or NULL. */
const char *cp_feed_opt(const struct cp_feed *f, const char *key);

/* Loads one feed into comp. Returns 0 or -errno (-ECANCELED: too many errors). */
int cp_load_feed(const struct cp_feed *f, struct cp_compiler *comp, struct cp_diag *diag,
		 const struct cp_load_opts *o);
/* The same for a feed already in memory (f->path names it in messages). */
int cp_load_buffer(const struct cp_feed *f, const uint8_t *data, size_t n,
		   struct cp_compiler *comp, struct cp_diag *diag, const struct cp_load_opts *o);

/* For line-based loaders: parses p[begin, end) with fn, split at line ends
 * across ctx->threads threads when the text is large (>= 8 MiB a thread).
 * fn must emit with the feed's metadata only (meta NULL).
 * Each thread adds to a shard of its own, merged in order after; errors keep
 * their true line numbers. Returns the first failure of any thread, or 0. */
int cp_load_split(struct cp_load_ctx *ctx, const uint8_t *p, size_t begin, size_t end,
		  cp_load_range_fn fn);
/* For line-based loaders: calls fn for each line of p[begin, end), the
 * first numbered line, without its CR LF; a line with a NUL is reported,
 * not passed. Reports progress. Returns the first non-zero fn result. */
typedef int (*cp_line_fn)(struct cp_load_ctx *ctx, uint64_t line, const char *s, size_t n,
			  void *arg);
int cp_load_lines(struct cp_load_ctx *ctx, const uint8_t *p, size_t begin, size_t end,
		  uint64_t line, cp_line_fn fn, void *arg);
/* Drops the mapped pages wholly inside [from, to) of a mapped feed, so
 * RSS does not grow with the feed's size (they refault if read again).
 * Does nothing for a feed in memory. */
void cp_load_drop(const struct cp_load_ctx *ctx, size_t from, size_t to);
/* Bytes of UTF-8 BOM at the start of the feed: 0 or 3. */
size_t cp_load_bom(const struct cp_load_ctx *ctx);
/* For loaders: bytes more of the feed parsed; reports progress. */
void cp_load_progress(struct cp_load_ctx *ctx, uint64_t bytes);

/* For loaders: value s[0..n) at line, typed t (-1: auto) with metadata
 * meta (NULL: the feed's default). Returns 0, or -ECANCELED past the limit. */
int cp_load_emit(struct cp_load_ctx *ctx, uint64_t line, int t, const char *s, size_t n,
		 const struct cp_meta_in *meta);
/* The 1-based line of byte off of the feed, counting forward from a
 * cursor: calls must come in increasing off order for O(n) in all. */
struct cp_line_cursor {
	size_t off;              /* counted up to here */
	size_t bol;              /* where the line of off begins */
	uint64_t line;
};
uint64_t cp_load_line_at(const struct cp_load_ctx *ctx, struct cp_line_cursor *c, size_t off);
/* Counts a skipped entry under reason. */
void cp_load_skip(struct cp_load_ctx *ctx, const char *reason);
/* The count under reason, 0 when none. */
uint64_t cp_reasons_get(const struct cp_reasons *r, const char *reason);
/* Per-row metadata, interned through a one-entry cache: consecutive rows
 * of a feed mostly share it, and a hit skips the intern hash. */
struct cp_meta_cache {
	uint32_t mid;
	int valid;
	size_t len;
	char key[4096];
};
/* Sets *mid for m. Returns 0; 1 when it reported the row bad (too many
 * records, no memory); or -ECANCELED past the error limit. */
int cp_load_meta(struct cp_load_ctx *ctx, struct cp_meta_cache *mc, uint64_t line,
		 const struct cp_meta_in *m, uint32_t *mid);
/* For loaders that normalise themselves: adds ind with interned metadata
 * mid (from cp_compiler_meta). Returns 0 or -errno. */
int cp_load_emit_ind(struct cp_load_ctx *ctx, struct cp_ind *ind, uint32_t mid);
/* Patterns (pattern_feed.c): the syntax check of a regex with Hyperscan,
 * as a full compile would judge it (0: fine; 1: reported as an error at
 * line; -ECANCELED past the limit), then the pattern's emission for target
 * t (enum cp_ptarget) with metadata mid (0 or -errno). */
struct cp_pattern;
int cp_load_pattern_check(struct cp_load_ctx *ctx, uint64_t line, const struct cp_pattern *p);
int cp_load_emit_pattern(struct cp_load_ctx *ctx, uint64_t line, const struct cp_pattern *p,
			 unsigned t, uint32_t mid);
/* The feed's target= into *t (enum cp_ptarget; left as it is when absent).
 * Returns 0, or -EINVAL with the reason printed. */
int cp_load_target_opt(struct cp_load_ctx *ctx, unsigned *t);
/* Reports FILE:LINE: reason[: 'value']. Returns -ECANCELED past the limit. */
int cp_load_error(struct cp_load_ctx *ctx, uint64_t line, const char *reason,
		  const char *value, size_t n);
/* The feed's default metadata as a cp_meta_in. */
void cp_load_default_meta(const struct cp_load_ctx *ctx, struct cp_meta_in *m);

/* Maps a whole file read-only for sequential reading. Returns 0 or -errno;
 * *p is NULL for an empty file. cp_load_unmap() releases it. */
int cp_load_map(const char *path, const uint8_t **p, size_t *n);
void cp_load_unmap(const uint8_t *p, size_t n);

/* Parses a timestamp: unix seconds, YYYY-MM-DD, or RFC 3339
 * YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM). Returns 0 or -EINVAL. */
int cp_parse_time(const char *s, size_t n, int64_t *t);

#endif
