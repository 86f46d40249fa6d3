/* Streaming JSON feeds over yajl: the driver the STIX, MISP and warninglist
 * loaders share. Control plane.
 *
 * The driver feeds the mapped feed to yajl 64 KiB at a time and drops the
 * pages behind it, so memory stays flat whatever the feed's size. It keeps
 * the container stack (depth and the key each container sits under) and
 * the byte offset of the last string or number, and hands the loader three
 * events: a container begins, a container ends, a scalar arrives. The
 * loader recognises what it wants by depth and key, and collects it.
 *
 * A syntax error, nesting deeper than 64, or a string over 1 MiB ends the
 * feed with FILE:LINE:COLUMN: reason and -EBADMSG, so a broken file never
 * yields half its indicators. Errors in one value are the loader's to
 * report and skip, as in the line-based formats.
 */
#ifndef CP_JSONFEED_H
#define CP_JSONFEED_H

#include "loader.h"

#define JF_MAX_DEPTH 64
#define JF_KEY_MAX 32
#define JF_STR_MAX (1u << 20)

enum jf_kind { JF_MAP, JF_ARRAY, JF_STRING, JF_NUMBER, JF_BOOL, JF_NULL };

struct jf;

struct jf_handlers {
	/* A container of kind JF_MAP or JF_ARRAY begins; jf_depth() is its depth
	 * (top level: 1). Return 0 to go on, non-zero (-errno) to stop. */
	int (*begin)(void *st, struct jf *j, enum jf_kind kind);
	int (*end)(void *st, struct jf *j, enum jf_kind kind);
	/* A scalar at jf_depth() + 1: a map member (jf_key() is its key) or
	 * an array element (jf_key() is NULL). JF_BOOL passes "1" or "0". */
	int (*scalar)(void *st, struct jf *j, enum jf_kind kind, const char *s, size_t n);
};

/* Parses the whole of ctx->data. Returns 0, -EBADMSG when the JSON is
 * broken (already reported), or a handler's non-zero result. */
int jf_run(struct cp_load_ctx *ctx, const struct jf_handlers *h, void *st);

/* Depth of the innermost open container (0: none). */
unsigned jf_depth(const struct jf *j);
/* The key the innermost container's current member has, or NULL in an array. */
const char *jf_key(const struct jf *j);
/* The key container d (1..depth) sits under in its parent map, or NULL. */
const char *jf_key_at(const struct jf *j, unsigned d);
/* The kind of container d (1..depth). */
enum jf_kind jf_kind_at(const struct jf *j, unsigned d);
/* The line of the last string or number seen: for messages. */
uint64_t jf_line(struct jf *j);
/* 1 when s is key (a NUL-terminated name). */
int jf_is(const char *s, const char *name);

#endif
