/* CSV feeds, parsed with libcsv. Control plane.
 * Columns are mapped with value=N (1-based; default 1), type=, action=,
 * confidence=, feed=, id=, tags=, valid_until= as column numbers, or as
 * header names with header=yes. type= and action= also take a fixed value
 * (type=domain). delim=CHAR|tab sets the separator. Lines starting with '#'
 * between records are comments. */
#include "loader.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum col { C_VALUE, C_TYPE, C_ACTION, C_CONF, C_FEED, C_ID, C_TAGS, C_VALID, C__N };

static const char *const col_keys[C__N] = { "value", "type", "action", "confidence",
					    "feed", "id", "tags", "valid_until" };
static const char *const keys[] = { "value", "id", "tags", "valid_until", "header",
				    "delim", NULL };

#define MAX_FIELDS 256

struct csv_state {
	struct cp_load_ctx *ctx;
	int col[C__N];            /* 0-based column, or -1 */
	const char *col_name[C__N];  /* header names still to resolve */
	int header;               /* 1: the first record names the columns */
	uint64_t line, rec_line;
	uint64_t start_line;      /* where the record being parsed began */
	unsigned nf;
	char *buf;                /* the current record's fields, NUL-separated */
	size_t blen, bcap;
	size_t off[MAX_FIELDS], len[MAX_FIELDS];
	int rc;
	int too_many;
};

static void on_field(void *s, size_t n, void *arg)
{
	struct csv_state *st = arg;

	if (st->nf == 0)
		st->rec_line = st->start_line;
	if (st->nf == MAX_FIELDS) {
		st->too_many = 1;
		return;
	}
	if (st->blen + n + 1 > st->bcap) {
		size_t cap = st->bcap ? st->bcap : 1024;
		while (cap < st->blen + n + 1)
			cap *= 2;
		char *b = realloc(st->buf, cap);
		if (b == NULL) {
			st->rc = -ENOMEM;
			return;
		}
		st->buf = b;
		st->bcap = cap;
	}
	memcpy(st->buf + st->blen, s ? s : "", n);
	st->buf[st->blen + n] = '\0';
	st->off[st->nf] = st->blen;
	st->len[st->nf++] = n;
	st->blen += n + 1;
}

static const char *field(const struct csv_state *st, enum col c, size_t *n)
{
	if (st->col[c] < 0 || (unsigned)st->col[c] >= st->nf)
		return NULL;
	*n = st->len[st->col[c]];
	return st->buf + st->off[st->col[c]];
}

static int resolve_header(struct csv_state *st)
{
	for (unsigned c = 0; c < C__N; c++) {
		if (st->col_name[c] == NULL)
			continue;
		for (unsigned i = 0; i < st->nf; i++)
			if (strcmp(st->buf + st->off[i], st->col_name[c]) == 0)
				st->col[c] = (int)i;
		/* feed=NAME names the feed when the header has no such column. */
		if (st->col[c] < 0 && c != C_FEED)
			return cp_load_error(st->ctx, st->rec_line, "header has no such column",
					     st->col_name[c], strlen(st->col_name[c]));
	}
	return 0;
}

/* Per-row metadata; returns 1 if any column overrides the feed's default. */
static int row_meta(struct csv_state *st, struct cp_meta_in *m, const char **why)
{
	size_t n;
	const char *v;
	int any = 0;

	cp_load_default_meta(st->ctx, m);
	if ((v = field(st, C_ACTION, &n)) != NULL && n > 0) {
		if (cp_action_parse(v, &m->action) != 0)
			return *why = "invalid action", -1;
		any = 1;
	}
	if ((v = field(st, C_CONF, &n)) != NULL && n > 0) {
		char *end;
		long c = strtol(v, &end, 10);
		if (*end != '\0' || c < 0 || c > 100)
			return *why = "confidence must be 0..100", -1;
		m->confidence = (int)c, any = 1;
	}
	if ((v = field(st, C_VALID, &n)) != NULL && n > 0) {
		if (cp_parse_time(v, n, &m->valid_until) != 0)
			return *why = "invalid valid_until timestamp", -1;
		any = 1;
	}
	if ((v = field(st, C_FEED, &n)) != NULL && n > 0)
		m->feed = v, any = 1;
	if ((v = field(st, C_ID, &n)) != NULL && n > 0)
		m->id = v, any = 1;
	if ((v = field(st, C_TAGS, &n)) != NULL && n > 0)
		m->tags = v, any = 1;
	return any;
}

static int record(struct csv_state *st)
{
	struct cp_meta_in m;
	const char *why = NULL, *v;
	size_t n;
	int t = st->ctx->feed->type, any;
	enum cp_itype ty;

	if (st->too_many)
		return cp_load_error(st->ctx, st->rec_line, "more than 256 fields", NULL, 0);
	if (st->header) {
		st->header = 0;
		return resolve_header(st);
	}
	if ((v = field(st, C_VALUE, &n)) == NULL || n == 0)
		return cp_load_error(st->ctx, st->rec_line, "missing value column", NULL, 0);
	const char *tv;
	size_t tn;
	if ((tv = field(st, C_TYPE, &tn)) != NULL) {
		if (cp_itype_parse(tv, &ty) != 0)
			return cp_load_error(st->ctx, st->rec_line, "unknown indicator type", tv, tn);
		t = (int)ty;
	}
	any = row_meta(st, &m, &why);
	if (any < 0)
		return cp_load_error(st->ctx, st->rec_line, why, NULL, 0);
	return cp_load_emit(st->ctx, st->rec_line, t, v, n, any ? &m : NULL);
}

static void on_record(int c, void *arg)
{
	struct csv_state *st = arg;

	(void)c;
	if (st->rc == 0 && st->nf > 0)
		st->rc = record(st);
	st->nf = 0;
	st->blen = 0;
	st->too_many = 0;
}

/* type=domain and action=drop are values for the whole feed, not columns. */
static int fixed_value(enum col c, const char *v)
{
	enum cp_itype t;
	enum cp_action a;

	return (c == C_TYPE && cp_itype_parse(v, &t) == 0) ||
	       (c == C_ACTION && cp_action_parse(v, &a) == 0);
}

static int setup(struct csv_state *st, const struct cp_feed *f, struct csv_parser *p)
{
	const char *h = cp_feed_opt(f, "header"), *d = cp_feed_opt(f, "delim");

	st->header = h != NULL && strcmp(h, "yes") == 0;
	for (unsigned c = 0; c < C__N; c++) {
		const char *v = cp_feed_opt(f, col_keys[c]);
		char *end;
		long k;

		st->col[c] = c == C_VALUE ? 0 : -1;
		if (v == NULL)
			continue;
		k = strtol(v, &end, 10);
		if (*end == '\0' && k >= 1 && k <= MAX_FIELDS)
			st->col[c] = (int)k - 1;
		else if (st->header && !fixed_value(c, v))
			st->col_name[c] = v, st->col[c] = -1;
		else if (c != C_TYPE && c != C_ACTION && c != C_FEED)
			return -EINVAL;
	}
	if (csv_init(p, CSV_STRICT | CSV_APPEND_NULL) != 0)
		return -ENOMEM;
	if (d != NULL)
		csv_set_delim(p, strcmp(d, "tab") == 0 ? '\t' : (unsigned char)d[0]);
	return 0;
}

/* libcsv's parser state 0 is ROW_NOT_BEGUN: between records. */
static int between_records(const struct csv_parser *p)
{
	return p->pstate == 0;
}

static int feed_lines(struct csv_state *st, struct csv_parser *p, const uint8_t *d, size_t n)
{
	size_t off = 0, told = 0;

	if (n >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf)
		off = 3;
	while (off < n && st->rc == 0) {
		const uint8_t *nl = memchr(d + off, '\n', n - off);
		size_t len = nl ? (size_t)(nl - (d + off)) + 1 : n - off;

		st->line++;
		if (between_records(p)) {
			st->start_line = st->line;
			if (d[off] == '#') {
				off += len;
				continue;
			}
		}
		if (memchr(d + off, '\0', len) != NULL) {
			st->rc = cp_load_error(st->ctx, st->line, "NUL byte in line", NULL, 0);
		} else if (csv_parse(p, d + off, len, on_field, on_record, st) != len) {
			st->rc = cp_load_error(st->ctx, st->line, csv_strerror(csv_error(p)), NULL, 0);
			/* Resynchronise on the next line with a fresh parser. */
			csv_free(p);
			csv_init(p, CSV_STRICT | CSV_APPEND_NULL);
			st->nf = 0, st->blen = 0;
		}
		off += len;
		if ((st->line & 0xfffff) == 0) {
			cp_load_progress(st->ctx, off - told);
			told = off;
		}
	}
	cp_load_progress(st->ctx, n - told);
	return st->rc;
}

static int load(struct cp_load_ctx *ctx)
{
	struct csv_state st = { .ctx = ctx };
	struct csv_parser p;
	const uint8_t *d = ctx->data;
	size_t n = ctx->len;
	int rc;

	if (setup(&st, ctx->feed, &p) != 0) {
		fprintf(ctx->diag->out, "%s: column options need numbers (or header=yes)\n",
			ctx->feed->path);
		return -EINVAL;
	}
	ctx->size = n;
	rc = feed_lines(&st, &p, d, n);
	if (rc == 0 && csv_fini(&p, on_field, on_record, &st) != 0)
		rc = cp_load_error(ctx, st.line, "unterminated quoted field", NULL, 0);
	if (rc == 0)
		rc = st.rc;
	csv_free(&p);
	free(st.buf);
	return rc;
}

static int probe(const char *path, const uint8_t *head, size_t n)
{
	size_t l = strlen(path);

	(void)head, (void)n;
	return l > 4 && strcmp(path + l - 4, ".csv") == 0;
}

const struct cp_loader cp_loader_csv = { .name = "csv", .keys = keys, .probe = probe,
					 .load = load };
