/* Streaming JSON feeds over yajl (see jsonfeed.h). Control plane. */
#include "jsonfeed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* 64 KiB chunks keep yajl's work in L2; pages behind the parser are
 * dropped every 16 MiB, so a 2 GB bundle maps at most ~16 MiB at a time. */
#define JF_CHUNK (64u << 10)
#define JF_DROP (16u << 20)

struct level {
	enum jf_kind kind;
	char key[JF_KEY_MAX];    /* the key this container sits under */
	int keyed;
};

struct jf {
	struct cp_load_ctx *ctx;
	const struct jf_handlers *h;
	void *st;
	unsigned depth;
	struct level lv[JF_MAX_DEPTH + 1];  /* lv[0]: the top, outside any value */
	char key[JF_KEY_MAX];    /* the current member's key in a map */
	int keyed;
	const uint8_t *chunk;    /* the bytes yajl is parsing now */
	size_t chunk_off, chunk_len;
	size_t pos;              /* offset of the last string or number */
	struct cp_line_cursor cur;
	const char *fatal;       /* a reason that stopped the parse */
	size_t str_at;           /* where the string being scanned began; SIZE_MAX: none */
	size_t long_at;          /* where a string over JF_STR_MAX began */
	int rc;                  /* a handler's result that stopped it */
};

unsigned jf_depth(const struct jf *j)
{
	return j->depth;
}

const char *jf_key(const struct jf *j)
{
	return j->depth > 0 && j->lv[j->depth].kind == JF_MAP && j->keyed ? j->key : NULL;
}

const char *jf_key_at(const struct jf *j, unsigned d)
{
	return d >= 1 && d <= j->depth && j->lv[d].keyed ? j->lv[d].key : NULL;
}

enum jf_kind jf_kind_at(const struct jf *j, unsigned d)
{
	return j->lv[d].kind;
}

uint64_t jf_line(struct jf *j)
{
	return cp_load_line_at(j->ctx, &j->cur, j->pos);
}

int jf_is(const char *s, const char *name)
{
	return s != NULL && strcmp(s, name) == 0;
}

/* Strings without escapes come as pointers into our buffer: their offset
 * is exact. Others leave pos at the last exact one. */
static void mark(struct jf *j, const void *p)
{
	const uint8_t *u = p;

	if (j->chunk != NULL && u >= j->chunk && u < j->chunk + j->chunk_len)
		j->pos = j->chunk_off + (size_t)(u - j->chunk);
}

static int stop(struct jf *j, int rc)
{
	j->rc = rc;
	return 0;
}

static int open_level(struct jf *j, enum jf_kind k)
{
	if (j->depth == JF_MAX_DEPTH) {
		j->fatal = "JSON nested deeper than 64 levels";
		return 0;
	}
	struct level *l = &j->lv[++j->depth];
	l->kind = k;
	l->keyed = j->depth > 1 && j->lv[j->depth - 1].kind == JF_MAP && j->keyed;
	if (l->keyed)
		memcpy(l->key, j->key, sizeof(l->key));
	j->keyed = 0;
	int rc = j->h->begin ? j->h->begin(j->st, j, k) : 0;
	return rc ? stop(j, rc) : 1;
}

static int close_level(struct jf *j, enum jf_kind k)
{
	int rc = j->h->end ? j->h->end(j->st, j, k) : 0;

	j->depth--;
	j->keyed = 0;
	return rc ? stop(j, rc) : 1;
}

/* Strings over JF_STR_MAX never get here: scan_strings stops them first. */
static int scalar(struct jf *j, enum jf_kind k, const char *s, size_t n)
{
	int rc = j->h->scalar ? j->h->scalar(j->st, j, k, s, n) : 0;
	j->keyed = 0;
	return rc ? stop(j, rc) : 1;
}

static int on_null(void *c)
{
	return scalar(c, JF_NULL, "", 0);
}

static int on_bool(void *c, int v)
{
	return scalar(c, JF_BOOL, v ? "1" : "0", 1);
}

static int on_number(void *c, const char *s, size_t n)
{
	mark(c, s);
	return scalar(c, JF_NUMBER, s, n);
}

static int on_string(void *c, const unsigned char *s, size_t n)
{
	mark(c, s);
	return scalar(c, JF_STRING, (const char *)s, n);
}

static int on_key(void *c, const unsigned char *s, size_t n)
{
	struct jf *j = c;

	mark(j, s);
	/* Keys we look for are short; a longer one matches none of them, so it
	 * is kept as "". */
	size_t k = n < JF_KEY_MAX ? n : 0;
	memcpy(j->key, s, k);
	j->key[k] = '\0';
	j->keyed = 1;
	return 1;
}

static int on_start_map(void *c)
{
	return open_level(c, JF_MAP);
}

static int on_end_map(void *c)
{
	return close_level(c, JF_MAP);
}

static int on_start_array(void *c)
{
	return open_level(c, JF_ARRAY);
}

static int on_end_array(void *c)
{
	return close_level(c, JF_ARRAY);
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_bool,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_end_map,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_array,
};

/* Reports why the parse stopped at byte off (0-based) as FILE:LINE, with
 * the column and yajl's words. */
static int broken(struct jf *j, yajl_handle y, size_t off, int st)
{
	char detail[160] = "";
	const char *reason = j->fatal;

	if (reason == NULL) {
		unsigned char *e = yajl_get_error(y, 0, NULL, 0);
		snprintf(detail, sizeof(detail), "%s", e ? (const char *)e : "");
		yajl_free_error(y, e);
		/* yajl says "lexical error: invalid char in json text." for a
		 * NUL, a BOM inside and bad UTF-8 alike; the detail tells which. */
		char *nl = strchr(detail, '\n');
		if (nl != NULL)
			*nl = '\0';
		reason = st == yajl_status_error && off + 1 >= j->ctx->len
				 ? "JSON ends early (truncated?)"
				 : "JSON syntax error";
	}
	uint64_t line = cp_load_line_at(j->ctx, &j->cur, off);
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "column %zu (byte %zu)%s%s", off - j->cur.bol + 1, off,
			 detail[0] ? ": " : "", detail);
	cp_load_error(j->ctx, line, reason, msg, n < 0 ? 0 : (size_t)n);
	return -EBADMSG;
}

/* Finds strings longer than JF_STR_MAX before yajl does: yajl re-lexes a
 * string that spans chunks from its start at every chunk, so a 100 MB
 * string would cost it ~80 GB of scanning (31 s measured). Quotes only
 * delimit strings in JSON, so memchr for them is enough. Returns 0, or -1
 * with j->fatal and j->long_at set. */
static int scan_strings(struct jf *j, size_t from, size_t to)
{
	const uint8_t *d = j->ctx->data;

	while (from < to) {
		const uint8_t *q = memchr(d + from, '"', to - from);
		if (q == NULL)
			break;
		size_t at = (size_t)(q - d), bs = 0;
		from = at + 1;
		if (j->str_at == SIZE_MAX) {
			j->str_at = at;
			continue;
		}
		while (at - bs > j->str_at + 1 && d[at - bs - 1] == '\\')
			bs++;
		if (bs % 2 == 1)
			continue;  /* an escaped quote */
		if (at - j->str_at - 1 > JF_STR_MAX)
			break;
		j->str_at = SIZE_MAX;
	}
	if (j->str_at != SIZE_MAX && to - j->str_at - 1 > JF_STR_MAX) {
		j->fatal = "JSON string longer than 1 MiB";
		j->long_at = j->str_at;
		return -1;
	}
	return 0;
}

int jf_run(struct cp_load_ctx *ctx, const struct jf_handlers *h, void *st)
{
	struct jf *j = calloc(1, sizeof(*j));
	size_t off = cp_load_bom(ctx), dropped = 0;
	yajl_status s = yajl_status_ok;
	int rc = 0;

	if (j == NULL)
		return -ENOMEM;
	yajl_handle y = yajl_alloc(&callbacks, NULL, j);
	if (y == NULL) {
		free(j);
		return -ENOMEM;
	}
	*j = (struct jf){ .ctx = ctx, .h = h, .st = st, .str_at = SIZE_MAX, .long_at = SIZE_MAX };
	yajl_config(y, yajl_allow_multiple_values, 1);  /* NDJSON streams of objects */
	ctx->size = ctx->len;
	cp_load_progress(ctx, off);
	while (off < ctx->len && s == yajl_status_ok) {
		size_t n = ctx->len - off < JF_CHUNK ? ctx->len - off : JF_CHUNK;
		j->chunk = ctx->data + off, j->chunk_off = off, j->chunk_len = n;
		if (scan_strings(j, off, off + n) != 0)
			break;
		s = yajl_parse(y, j->chunk, n);
		if (s != yajl_status_ok)
			off += yajl_get_bytes_consumed(y);
		else
			off += n;
		cp_load_progress(ctx, n);
		if (off - dropped >= JF_DROP) {
			cp_load_drop(ctx, dropped, off);
			dropped = off;
		}
	}
	if (s == yajl_status_ok && j->fatal == NULL) {
		j->chunk = NULL, j->chunk_len = 0;
		s = yajl_complete_parse(y);
	}
	if (j->rc != 0)
		rc = j->rc;
	else if (j->fatal != NULL && j->long_at != SIZE_MAX)
		rc = broken(j, y, j->long_at, s);
	else if (s != yajl_status_ok)
		rc = broken(j, y, off > 0 ? off - 1 : 0, s);
	yajl_free(y);
	free(j);
	return rc;
}
