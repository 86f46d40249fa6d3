/* Suricata IP reputation files (iprep). Control plane.
 *
 * Each line is "ADDRESS[/PREFIX],CATEGORY,SCORE": CATEGORY is a number
 * from the categories file ("ID,SHORTNAME,DESCRIPTION", categories=PATH),
 * SCORE is 0..127. The entry's tag is the category's short name (or
 * "category=N" without a categories file) and its confidence is the score
 * scaled to 0..100. min_score=N takes only entries scoring at least N, as
 * an "iprep:any,CAT,>,N" rule would. '#' lines are comments. */
#include "loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = { "categories", "min_score", NULL };

/* Suricata's limits: category ids below 60, scores 0..127. */
#define IPREP_CATS 60
#define IPREP_SCORE_MAX 127

struct iprep {
	char name[IPREP_CATS][64];   /* "" where the categories file has none */
	int have_cats;
	long min_score;
	struct cp_meta_cache mc;
};

/* Parses a decimal field of s[0..n) into *v, within [0, max]. */
static int number(const char *s, size_t n, long max, long *v)
{
	*v = 0;
	if (n == 0 || n > 6)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return *v <= max ? 0 : -1;
}

/* Splits "a,b,c" into exactly want fields. */
static int fields(const char *s, size_t n, const char **f, size_t *fl, unsigned want)
{
	unsigned k = 0;

	for (size_t i = 0; k < want; k++) {
		const char *c = k + 1 < want ? memchr(s + i, ',', n - i) : NULL;
		size_t len = c ? (size_t)(c - (s + i)) : n - i;
		if (k + 1 < want && c == NULL)
			return -1;
		f[k] = s + i;
		fl[k] = len;
		i += len + 1;
	}
	return 0;
}

static int cat_line(struct cp_load_ctx *ctx, uint64_t line, const char *s, size_t n, void *arg)
{
	struct iprep *r = arg;
	const char *f[3];
	size_t fl[3];
	long id;

	if (n == 0 || s[0] == '#')
		return 0;
	if (fields(s, n, f, fl, 3) != 0 || number(f[0], fl[0], IPREP_CATS - 1, &id) != 0 ||
	    fl[1] == 0 || fl[1] >= sizeof(r->name[0]))
		return cp_load_error(ctx, line, "categories: want ID(0..59),SHORTNAME,DESCRIPTION", s, n);
	memcpy(r->name[id], f[1], fl[1]);
	r->name[id][fl[1]] = '\0';
	return 0;
}

/* Reads the categories file; errors name it and its lines. */
static int load_categories(struct cp_load_ctx *ctx, struct iprep *r, const char *path)
{
	struct cp_feed cf = *ctx->feed;
	struct cp_load_ctx c = *ctx;
	const uint8_t *p;
	size_t n;
	int rc = cp_load_map(path, &p, &n);

	if (rc != 0) {
		fprintf(ctx->diag->out, "%s: cannot read categories file %s: %s\n", ctx->feed->path,
			path, strerror(-rc));
		return rc;
	}
	snprintf(cf.path, sizeof(cf.path), "%s", path);
	c.feed = &cf, c.data = p, c.len = n, c.progress = NULL;
	uint64_t errors = ctx->diag->errors;
	rc = cp_load_lines(&c, p, 0, n, 1, cat_line, r);
	cp_load_unmap(p, n);
	if (rc == 0 && ctx->diag->errors != errors)
		rc = -EINVAL;  /* entries would get the wrong names */
	r->have_cats = 1;
	return rc;
}

static int rep_line(struct cp_load_ctx *ctx, uint64_t line, const char *s, size_t n, void *arg)
{
	struct iprep *r = arg;
	const char *f[3], *why = NULL;
	size_t fl[3];
	long cat, score;
	struct cp_ind ind;
	struct cp_meta_in m;
	char tag[80];
	uint32_t mid;
	int rc;

	if (n == 0 || s[0] == '#')
		return 0;
	if (fields(s, n, f, fl, 3) != 0)
		return cp_load_error(ctx, line, "want ADDRESS[/PREFIX],CATEGORY,SCORE", s, n);
	if (number(f[1], fl[1], IPREP_CATS - 1, &cat) != 0)
		return cp_load_error(ctx, line, "category is not a number below 60", f[1], fl[1]);
	if (number(f[2], fl[2], IPREP_SCORE_MAX, &score) != 0)
		return cp_load_error(ctx, line, "score is not a number 0..127", f[2], fl[2]);
	if (r->have_cats && r->name[cat][0] == '\0')
		return cp_load_error(ctx, line, "category not in the categories file", f[1], fl[1]);
	rc = cp_norm(CP_T_IPV4, f[0], fl[0], &ind, &why);  /* v4 or v6 */
	if (rc != 0)
		return cp_load_error(ctx, line, why, f[0], fl[0]);
	if (score < r->min_score) {
		cp_load_skip(ctx, "iprep: score below min_score");
		return 0;
	}
	cp_load_default_meta(ctx, &m);
	if (r->have_cats)
		snprintf(tag, sizeof(tag), "%s", r->name[cat]);
	else
		snprintf(tag, sizeof(tag), "category=%ld", cat);
	m.tags = tag;
	m.confidence = (int)((score * 100 + IPREP_SCORE_MAX / 2) / IPREP_SCORE_MAX);
	if ((rc = cp_load_meta(ctx, &r->mc, line, &m, &mid)) != 0)
		return rc < 0 ? rc : 0;
	return cp_load_emit_ind(ctx, &ind, mid);
}

static int load(struct cp_load_ctx *ctx)
{
	struct iprep *r = calloc(1, sizeof(*r));
	const char *cats = cp_feed_opt(ctx->feed, "categories");
	const char *ms = cp_feed_opt(ctx->feed, "min_score");
	size_t off = cp_load_bom(ctx);
	int rc = 0;

	if (r == NULL)
		return -ENOMEM;
	if (ms != NULL && number(ms, strlen(ms), IPREP_SCORE_MAX, &r->min_score) != 0) {
		fprintf(ctx->diag->out, "%s: min_score must be 0..127\n", ctx->feed->path);
		rc = -EINVAL;
	}
	if (rc == 0 && cats != NULL)
		rc = load_categories(ctx, r, cats);
	ctx->size = ctx->len - off;
	if (rc == 0)
		rc = cp_load_lines(ctx, ctx->data, off, ctx->len, 1, rep_line, r);
	free(r);
	return rc;
}

/* The first entry line is ADDRESS[/PREFIX],N,N. */
static int probe(const char *path, const uint8_t *head, size_t n)
{
	size_t i = 0;

	(void)path;
	while (i < n && head[i] == '#') {
		const uint8_t *nl = memchr(head + i, '\n', n - i);
		if (nl == NULL)
			return 0;
		i = (size_t)(nl - head) + 1;
	}
	const uint8_t *nl = memchr(head + i, '\n', n - i);
	if (nl == NULL)
		return 0;
	const char *s = (const char *)head + i, *f[3];
	size_t len = (size_t)(nl - head) - i, fl[3];
	long v;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	return fields(s, len, f, fl, 3) == 0 && fl[0] >= 2 && strspn(f[0], "0123456789abcdefABCDEF.:/") >= fl[0] &&
	       (memchr(f[0], '.', fl[0]) || memchr(f[0], ':', fl[0])) &&
	       number(f[1], fl[1], IPREP_CATS - 1, &v) == 0 &&
	       number(f[2], fl[2], IPREP_SCORE_MAX, &v) == 0;
}

const struct cp_loader cp_loader_iprep = { .name = "iprep", .keys = keys, .probe = probe,
					   .load = load };
