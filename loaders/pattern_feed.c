/* Pattern feeds: one pattern a line, "/regex/flags" or a literal with \xHH
 * escapes, then optional tab-separated key=value fields for that pattern:
 * target=payload|url|dns.query, action=, id=, tags=, confidence=. The feed's
 * own target= (default payload), action=, feed= and confidence= are the
 * defaults. '#' lines and blank lines are skipped. Each regex is checked
 * with hs_expression_info as it is read, so a syntax error names its file
 * and line and the rest of the feed still loads. Control plane. */
#include "loader.h"
#include "pattern/pattern.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = { "target", "id", "tags", NULL };

struct pfeed {
	enum cp_ptarget target;
	struct cp_meta_cache mc;
	struct cp_pattern p;
};

/* Reads the fields after the pattern into m and *t. Returns a reason or NULL. */
static const char *fields(char *s, struct cp_meta_in *m, enum cp_ptarget *t)
{
	char *save = NULL;

	for (char *f = strtok_r(s, "\t", &save); f != NULL; f = strtok_r(NULL, "\t", &save)) {
		char *eq = strchr(f, '=');
		if (eq == NULL)
			return "a field after the pattern is not key=value";
		*eq++ = '\0';
		if (strcmp(f, "target") == 0) {
			if (cp_ptarget_parse(eq, t) != 0)
				return "target must be payload, url or dns.query";
		} else if (strcmp(f, "action") == 0) {
			if (cp_action_parse(eq, &m->action) != 0)
				return "action must be alert, drop or allow";
		} else if (strcmp(f, "confidence") == 0) {
			char *end;
			long c = strtol(eq, &end, 10);
			if (*end != '\0' || c < 0 || c > 100)
				return "confidence must be 0..100";
			m->confidence = (int)c;
		} else if (strcmp(f, "id") == 0) {
			m->id = eq;
		} else if (strcmp(f, "tags") == 0) {
			m->tags = eq;
		} else {
			return "unknown field (target, action, id, tags, confidence)";
		}
	}
	return NULL;
}

/* hs_expression_info: the syntax check of a full compile, for one regex. */
int cp_load_pattern_check(struct cp_load_ctx *ctx, uint64_t line, const struct cp_pattern *p)
{
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *ce = NULL;

	if (p->literal)
		return 0;
	char msg[300];
	if (hs_expression_info(p->expr, p->flags, &info, &ce) == HS_SUCCESS) {
		/* It would match every packet: refused by the compiler anyway,
		 * and better named here, with its line. */
		int empty = info->min_width == 0;
		free(info);
		if (!empty)
			return 0;
		snprintf(msg, sizeof(msg), "it matches the empty buffer");
		int rc = cp_load_error(ctx, line, "regex refused by Hyperscan", msg, strlen(msg));
		return rc ? rc : 1;
	}
	snprintf(msg, sizeof(msg), "%s", ce ? ce->message : "refused");
	hs_free_compile_error(ce);
	int rc = cp_load_error(ctx, line, "regex refused by Hyperscan", msg, strlen(msg));
	return rc ? rc : 1;
}

int cp_load_target_opt(struct cp_load_ctx *ctx, unsigned *t)
{
	const char *v = cp_feed_opt(ctx->feed, "target");
	enum cp_ptarget pt;

	if (v == NULL)
		return 0;
	if (cp_ptarget_parse(v, &pt) != 0) {
		fprintf(ctx->diag->out, "%s: target must be payload, url or dns.query\n",
			ctx->feed->path);
		return -EINVAL;
	}
	*t = pt;
	return 0;
}

int cp_load_emit_pattern(struct cp_load_ctx *ctx, uint64_t line, const struct cp_pattern *p,
			 unsigned t, uint32_t mid)
{
	int rc = cp_compiler_add_pattern(ctx->comp, p, t, mid, ctx->feed->path, line);

	if (rc < 0)
		return rc;
	ctx->emitted += rc == 0;
	return 0;
}

static int pline(struct cp_load_ctx *ctx, uint64_t line, const char *s, size_t n, void *arg)
{
	struct pfeed *pf = arg;
	const char *tab = memchr(s, '\t', n), *why = NULL;
	size_t pn = tab ? (size_t)(tab - s) : n;
	char rest[1024];
	struct cp_meta_in m;
	enum cp_ptarget t = pf->target;
	uint32_t mid;
	int rc;

	if (n == 0 || s[0] == '#')
		return 0;
	if (cp_pattern_parse(s, pn, &pf->p, &why) != 0)
		return cp_load_error(ctx, line, why, s, pn);
	cp_load_default_meta(ctx, &m);
	if (tab != NULL) {
		size_t rn = n - pn - 1;
		if (rn >= sizeof(rest))
			return cp_load_error(ctx, line, "fields longer than 1 KiB", NULL, 0);
		memcpy(rest, tab + 1, rn);
		rest[rn] = '\0';
		if ((why = fields(rest, &m, &t)) != NULL)
			return cp_load_error(ctx, line, why, tab + 1, rn);
	}
	if ((rc = cp_load_pattern_check(ctx, line, &pf->p)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = cp_load_meta(ctx, &pf->mc, line, &m, &mid)) != 0)
		return rc < 0 ? rc : 0;
	return cp_load_emit_pattern(ctx, line, &pf->p, t, mid);
}

static int load(struct cp_load_ctx *ctx)
{
	struct pfeed *pf = calloc(1, sizeof(*pf));
	size_t off = cp_load_bom(ctx);
	unsigned t = CP_PT_PAYLOAD;
	int rc;

	if (pf == NULL)
		return -ENOMEM;
	if ((rc = cp_load_target_opt(ctx, &t)) != 0) {
		free(pf);
		return rc;
	}
	pf->target = (enum cp_ptarget)t;
	ctx->size = ctx->len - off;
	rc = cp_load_lines(ctx, ctx->data, off, ctx->len, 1, pline, pf);
	free(pf);
	return rc;
}

/* Never guessed: a pattern line can look like anything. */
const struct cp_loader cp_loader_pattern = { .name = "pattern", .keys = keys, .probe = NULL,
					     .load = load };
