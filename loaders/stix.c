/* STIX 2.1 bundles, lone objects and streams of objects. Control plane.
 *
 * Streams through the JSON (jsonfeed.h) and takes "indicator" objects,
 * either at the top level or in a bundle's "objects" array. Per object:
 *   pattern_type  stix, or pcre: a regex (bare, or /regex/flags) for the
 *                 feed's target= (payload, url or dns.query; default
 *                 payload); others (sigma, snort, yara...) counted as skipped
 *   pattern       for stix, the subset in stix_pattern.h
 *   valid_until   the expiry (past: counted as expired by the compiler)
 *   confidence    the confidence (0..100)
 *   labels, indicator_types   tags
 *   id            the external id
 *   revoked       true: skipped and counted
 * Members may come in any order, so an object is acted on at its end. */
#include "jsonfeed.h"
#include "pattern/pattern.h"
#include "stix_pattern.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = { "target", NULL };

enum ptype { PT_STIX, PT_PCRE, PT_OTHER };

#define STIX_TAGS 4096

struct stix {
	struct cp_load_ctx *ctx;
	unsigned objd;           /* depth of the object being read; 0: none */
	int indicator, revoked, has_pattern, conf;
	enum ptype ptype;
	enum cp_ptarget target;  /* of pcre patterns */
	uint64_t line;           /* the pattern's, for messages */
	char id[256], valid[64];
	size_t plen, tlen;
	int too_long;
	struct cp_meta_cache mc;
	char tags[STIX_TAGS];
	char pattern[STIX_TEXT_MAX];
	struct stix_terms terms;
	struct cp_pattern pat;
};

static int object_begins(const struct jf *j)
{
	unsigned d = jf_depth(j);

	return d == 1 || (d == 3 && jf_kind_at(j, 2) == JF_ARRAY && jf_is(jf_key_at(j, 2), "objects"));
}

static int on_begin(void *arg, struct jf *j, enum jf_kind k)
{
	struct stix *s = arg;

	/* A map at the top is an object until one begins in its "objects":
	 * then it was a bundle, and the inner one is read instead. */
	if (k != JF_MAP || (s->objd != 0 && s->objd != 1) || !object_begins(j))
		return 0;
	s->objd = jf_depth(j);
	s->indicator = s->revoked = s->has_pattern = s->too_long = 0;
	s->ptype = PT_STIX;  /* pattern_type is required, but stix is what is meant */
	s->conf = -1;
	s->plen = s->tlen = 0;
	s->id[0] = s->valid[0] = '\0';
	return 0;
}

static void copy(char *dst, size_t cap, const char *v, size_t n)
{
	n = n < cap - 1 ? n : cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static void add_tag(struct stix *s, const char *v, size_t n)
{
	if (n == 0 || memchr(v, ',', n) != NULL || s->tlen + n + 2 > STIX_TAGS)
		return;  /* a comma would split it; tags past 4 KiB add nothing useful */
	if (s->tlen > 0)
		s->tags[s->tlen++] = ',';
	memcpy(s->tags + s->tlen, v, n);
	s->tlen += n;
	s->tags[s->tlen] = '\0';
}

static int member(struct stix *s, struct jf *j, enum jf_kind k, const char *v, size_t n)
{
	const char *key = jf_key(j);

	if (jf_is(key, "type"))
		s->indicator = k == JF_STRING && n == 9 && memcmp(v, "indicator", 9) == 0;
	else if (jf_is(key, "pattern") && k == JF_STRING) {
		s->has_pattern = 1;
		s->too_long = n > STIX_TEXT_MAX;
		s->plen = s->too_long ? 0 : n;
		memcpy(s->pattern, v, s->plen);
		s->line = jf_line(j);
	} else if (jf_is(key, "pattern_type")) {
		s->ptype = k == JF_STRING && n == 4 && memcmp(v, "stix", 4) == 0   ? PT_STIX
			   : k == JF_STRING && n == 4 && memcmp(v, "pcre", 4) == 0 ? PT_PCRE
										   : PT_OTHER;
	}
	else if (jf_is(key, "id") && k == JF_STRING)
		copy(s->id, sizeof(s->id), v, n);
	else if (jf_is(key, "valid_until") && k == JF_STRING)
		copy(s->valid, sizeof(s->valid), v, n);
	else if (jf_is(key, "revoked"))
		s->revoked = k == JF_BOOL && v[0] == '1';
	else if (jf_is(key, "confidence") && k == JF_NUMBER) {
		char b[8];
		copy(b, sizeof(b), v, n);
		char *e;
		long c = strtol(b, &e, 10);
		s->conf = *e == '\0' && c >= 0 && c <= 100 ? (int)c : -2;
	}
	return 0;
}

static int on_scalar(void *arg, struct jf *j, enum jf_kind k, const char *v, size_t n)
{
	struct stix *s = arg;
	unsigned d = jf_depth(j);

	if (s->objd == 0)
		return 0;
	if (d == s->objd)
		return member(s, j, k, v, n);
	if (d == s->objd + 1 && jf_kind_at(j, d) == JF_ARRAY && k == JF_STRING &&
	    (jf_is(jf_key_at(j, d), "labels") || jf_is(jf_key_at(j, d), "indicator_types")))
		add_tag(s, v, n);
	return 0;
}

static int emit_terms(struct stix *s, uint64_t line, uint32_t mid)
{
	struct stix_terms *t = &s->terms;
	int rc = 0;

	for (unsigned i = 0; i < t->nskip; i++)
		cp_load_skip(s->ctx, t->skip[i]);
	for (unsigned i = 0; i < t->n && rc == 0; i++) {
		const char *v = t->text + t->t[i].off, *why = NULL;
		size_t n = t->t[i].len;
		int type = t->t[i].type;
		struct cp_ind ind;

		/* ipv4-addr values are IPv4 by the STIX spec; a v6 one is an error
		 * cp_norm names. */
		if (cp_norm((enum cp_itype)type, v, n, &ind, &why) != 0)
			rc = cp_load_error(s->ctx, line, why, v, n);
		else
			rc = cp_load_emit_ind(s->ctx, &ind, mid);
	}
	return rc;
}

/* A pcre indicator: one pattern, checked as a pattern feed's are.
 * Returns 0, 1 when it reported the pattern, or -errno. */
static int parse_pcre(struct stix *s, uint64_t line)
{
	const char *why = NULL;

	if (cp_pattern_regex(s->pattern, s->plen, &s->pat, &why) != 0) {
		int rc = cp_load_error(s->ctx, line, why, s->pattern, s->plen);
		return rc ? rc : 1;
	}
	return cp_load_pattern_check(s->ctx, line, &s->pat);
}

/* A stix pattern: its terms, or a skip of the whole. Same returns. */
static int parse_stix(struct stix *s, uint64_t line)
{
	const char *why = NULL;

	if (stix_pattern_parse(s->pattern, s->plen, &s->terms, &why) != 0) {
		int rc = cp_load_error(s->ctx, line, why, s->pattern, s->plen);
		return rc ? rc : 1;
	}
	if (s->terms.whole != NULL)
		return cp_load_skip(s->ctx, s->terms.whole), 1;
	return 0;
}

static int indicator(struct stix *s)
{
	struct cp_load_ctx *ctx = s->ctx;
	uint64_t line = s->line;
	struct cp_meta_in m;
	uint32_t mid;
	int rc;

	if (s->revoked)
		return cp_load_skip(ctx, "stix: revoked"), 0;
	if (!s->has_pattern)
		return cp_load_error(ctx, line, "stix: indicator without a pattern", s->id,
				     strlen(s->id));
	if (s->ptype == PT_OTHER)
		return cp_load_skip(ctx, "stix: pattern_type other than stix or pcre"), 0;
	if (s->too_long)
		return cp_load_error(ctx, line, "stix: pattern longer than 64 KiB", s->id,
				     strlen(s->id));
	if (s->conf == -2)
		return cp_load_error(ctx, line, "stix: confidence is not 0..100", s->id, strlen(s->id));
	cp_load_default_meta(ctx, &m);
	if (s->valid[0] && cp_parse_time(s->valid, strlen(s->valid), &m.valid_until) != 0)
		return cp_load_error(ctx, line, "stix: invalid valid_until timestamp", s->valid,
				     strlen(s->valid));
	if ((rc = s->ptype == PT_PCRE ? parse_pcre(s, line) : parse_stix(s, line)) != 0)
		return rc < 0 ? rc : 0;
	if (s->conf >= 0)
		m.confidence = s->conf;
	m.id = s->id[0] ? s->id : NULL;
	m.tags = s->tlen ? s->tags : NULL;
	if ((rc = cp_load_meta(ctx, &s->mc, line, &m, &mid)) != 0)
		return rc < 0 ? rc : 0;
	if (s->ptype == PT_PCRE)
		return cp_load_emit_pattern(ctx, line, &s->pat, s->target, mid);
	return emit_terms(s, line, mid);
}

static int on_end(void *arg, struct jf *j, enum jf_kind k)
{
	struct stix *s = arg;

	if (k != JF_MAP || s->objd == 0 || jf_depth(j) != s->objd)
		return 0;
	s->objd = 0;
	if (!s->has_pattern)
		s->line = jf_line(j);
	return s->indicator ? indicator(s) : 0;
}

static const struct jf_handlers handlers = { .begin = on_begin, .end = on_end,
					     .scalar = on_scalar };

static int load(struct cp_load_ctx *ctx)
{
	struct stix *s = calloc(1, sizeof(*s));
	unsigned t = CP_PT_PAYLOAD;
	int rc;

	if (s == NULL)
		return -ENOMEM;
	if ((rc = cp_load_target_opt(ctx, &t)) != 0) {
		free(s);
		return rc;
	}
	s->target = (enum cp_ptarget)t;
	s->ctx = ctx;
	rc = jf_run(ctx, &handlers, s);
	free(s);
	return rc;
}

/* A JSON object whose first bytes name a STIX bundle or object. */
static int probe(const char *path, const uint8_t *head, size_t n)
{
	(void)path;
	size_t i = 0;
	while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
		i++;
	if (i == n || head[i] != '{')
		return 0;
	return memmem(head, n, "\"spec_version\"", 14) != NULL ||
	       memmem(head, n, "\"bundle\"", 8) != NULL ||
	       memmem(head, n, "\"indicator--", 12) != NULL;
}

const struct cp_loader cp_loader_stix = { .name = "stix", .keys = keys, .probe = probe,
					  .load = load };
