/* MISP JSON: event exports ({"Event": {...}} or a bare event), lists of
 * events, and restSearch attribute lists ({"response": {"Attribute": [...]}}).
 * Control plane.
 *
 * Every object in an array under the key "Attribute", at any depth, is an
 * attribute: the event's own, and those of its Objects. Per attribute:
 *   type, value   mapped below; other types are counted as skipped
 *   to_ids        only true ones are taken unless the feed says to_ids=no
 *   deleted       true: skipped
 *   uuid          the external id
 *   Tag[].name    tags
 * Types: ip-src, ip-dst (and |port: the port is not matched), domain,
 * hostname, domain|ip (both halves), url, md5, sha1, sha256,
 * filename|md5|sha1|sha256 (the hash), ja3-fingerprint-md5. */
#include "jsonfeed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = { "to_ids", NULL };

#define MISP_TAGS 4096

/* How the value splits and types. */
enum split { S_ONE, S_LEFT, S_RIGHT, S_BOTH };

static const struct {
	const char *name;
	enum split split;
	int left, right;         /* enum cp_itype; -1 = an address, v4 or v6 */
} types[] = {
	{ "ip-src", S_ONE, -1, 0 },
	{ "ip-dst", S_ONE, -1, 0 },
	{ "ip-src|port", S_LEFT, -1, 0 },
	{ "ip-dst|port", S_LEFT, -1, 0 },
	{ "domain", S_ONE, CP_T_DOMAIN, 0 },
	{ "hostname", S_ONE, CP_T_DOMAIN, 0 },
	{ "domain|ip", S_BOTH, CP_T_DOMAIN, -1 },
	{ "url", S_ONE, CP_T_URL, 0 },
	{ "md5", S_ONE, CP_T_MD5, 0 },
	{ "sha1", S_ONE, CP_T_SHA1, 0 },
	{ "sha256", S_ONE, CP_T_SHA256, 0 },
	{ "filename|md5", S_RIGHT, 0, CP_T_MD5 },
	{ "filename|sha1", S_RIGHT, 0, CP_T_SHA1 },
	{ "filename|sha256", S_RIGHT, 0, CP_T_SHA256 },
	{ "ja3-fingerprint-md5", S_ONE, CP_T_JA3, 0 },
};

struct misp {
	struct cp_load_ctx *ctx;
	int all;                 /* to_ids=no: take every attribute */
	unsigned ad;             /* depth of the attribute being read; 0: none */
	int type, to_ids, deleted;
	uint64_t line;
	char uuid[64];
	size_t vlen, tlen;
	struct cp_meta_cache mc;
	char tags[MISP_TAGS];
	char value[CP_IND_MAX * 2 + 2];
};

static int on_begin(void *arg, struct jf *j, enum jf_kind k)
{
	struct misp *m = arg;
	unsigned d = jf_depth(j);

	if (k != JF_MAP || m->ad != 0 || d < 2 || jf_kind_at(j, d - 1) != JF_ARRAY ||
	    !jf_is(jf_key_at(j, d - 1), "Attribute"))
		return 0;
	m->ad = d;
	m->type = -2;            /* none yet */
	m->to_ids = m->deleted = 0;
	m->vlen = m->tlen = 0;
	m->uuid[0] = '\0';
	m->line = 0;
	return 0;
}

static int truthy(enum jf_kind k, const char *v, size_t n)
{
	if (k == JF_BOOL || k == JF_NUMBER)
		return n == 1 ? v[0] == '1' : n > 0 && v[0] != '0';
	return k == JF_STRING && ((n == 1 && v[0] == '1') || (n == 4 && memcmp(v, "true", 4) == 0));
}

static void member(struct misp *m, struct jf *j, enum jf_kind k, const char *v, size_t n)
{
	const char *key = jf_key(j);

	if (jf_is(key, "type") && k == JF_STRING) {
		m->type = -1;
		for (size_t i = 0; i < CP_ARRAY_LEN(types); i++)
			if (strlen(types[i].name) == n && memcmp(types[i].name, v, n) == 0)
				m->type = (int)i;
	} else if (jf_is(key, "value") && k == JF_STRING) {
		m->vlen = n < sizeof(m->value) ? n : sizeof(m->value);  /* too long: normaliser says */
		memcpy(m->value, v, m->vlen);
		m->line = jf_line(j);
	} else if (jf_is(key, "to_ids")) {
		m->to_ids = truthy(k, v, n);
	} else if (jf_is(key, "deleted")) {
		m->deleted = truthy(k, v, n);
	} else if (jf_is(key, "uuid") && k == JF_STRING && n < sizeof(m->uuid)) {
		memcpy(m->uuid, v, n);
		m->uuid[n] = '\0';
	}
}

static int on_scalar(void *arg, struct jf *j, enum jf_kind k, const char *v, size_t n)
{
	struct misp *m = arg;
	unsigned d = jf_depth(j);

	if (m->ad == 0)
		return 0;
	if (d == m->ad) {
		member(m, j, k, v, n);
	} else if (d == m->ad + 2 && k == JF_STRING && jf_is(jf_key(j), "name") &&
		   jf_is(jf_key_at(j, m->ad + 1), "Tag") && n > 0 && memchr(v, ',', n) == NULL &&
		   m->tlen + n + 2 <= MISP_TAGS) {
		if (m->tlen > 0)
			m->tags[m->tlen++] = ',';
		memcpy(m->tags + m->tlen, v, n);
		m->tlen += n;
		m->tags[m->tlen] = '\0';
	}
	return 0;
}

static int emit(struct misp *m, int type, const char *v, size_t n, uint32_t mid)
{
	struct cp_ind ind;
	const char *why = NULL;
	/* cp_norm's ipv4 takes either family, as MISP's ip types do. */
	int rc = cp_norm(type >= 0 ? (enum cp_itype)type : CP_T_IPV4, v, n, &ind, &why);

	if (rc != 0)
		return cp_load_error(m->ctx, m->line, why, v, n);
	return cp_load_emit_ind(m->ctx, &ind, mid);
}

static int attribute(struct misp *m, struct jf *j)
{
	struct cp_load_ctx *ctx = m->ctx;
	struct cp_meta_in mi;
	uint32_t mid;
	int rc;

	if (m->line == 0)
		m->line = jf_line(j);
	if (m->type == -2 || m->vlen == 0)
		return cp_load_error(ctx, m->line, "misp: attribute without type or value", m->uuid,
				     strlen(m->uuid));
	if (m->type < 0)
		return cp_load_skip(ctx, "misp: attribute type we do not match"), 0;
	if (m->deleted)
		return cp_load_skip(ctx, "misp: deleted attribute"), 0;
	if (!m->to_ids && !m->all)
		return cp_load_skip(ctx, "misp: to_ids is false"), 0;
	cp_load_default_meta(ctx, &mi);
	mi.id = m->uuid[0] ? m->uuid : NULL;
	mi.tags = m->tlen ? m->tags : NULL;
	if ((rc = cp_load_meta(ctx, &m->mc, m->line, &mi, &mid)) != 0)
		return rc < 0 ? rc : 0;
	const char *v = m->value, *bar = memchr(v, '|', m->vlen);
	size_t n = m->vlen;
	switch (types[m->type].split) {
	case S_ONE:
		return emit(m, types[m->type].left, v, n, mid);
	case S_LEFT:
		return emit(m, types[m->type].left, v, bar ? (size_t)(bar - v) : n, mid);
	case S_RIGHT:
		if (bar == NULL)
			return cp_load_error(ctx, m->line, "misp: composite value lacks '|'", v, n);
		return emit(m, types[m->type].right, bar + 1, n - (size_t)(bar - v) - 1, mid);
	case S_BOTH:
		if (bar == NULL)
			return cp_load_error(ctx, m->line, "misp: composite value lacks '|'", v, n);
		rc = emit(m, types[m->type].left, v, (size_t)(bar - v), mid);
		return rc ? rc : emit(m, types[m->type].right, bar + 1, n - (size_t)(bar - v) - 1, mid);
	}
	return 0;
}

static int on_end(void *arg, struct jf *j, enum jf_kind k)
{
	struct misp *m = arg;

	if (k != JF_MAP || m->ad == 0 || jf_depth(j) != m->ad)
		return 0;
	m->ad = 0;
	return attribute(m, j);
}

static const struct jf_handlers handlers = { .begin = on_begin, .end = on_end,
					     .scalar = on_scalar };

static int load(struct cp_load_ctx *ctx)
{
	const char *ids = cp_feed_opt(ctx->feed, "to_ids");
	struct misp *m;
	int rc;

	if (ids != NULL && strcmp(ids, "yes") != 0 && strcmp(ids, "no") != 0) {
		fprintf(ctx->diag->out, "%s: to_ids must be yes or no\n", ctx->feed->path);
		return -EINVAL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return -ENOMEM;
	m->ctx = ctx;
	m->all = ids != NULL && strcmp(ids, "no") == 0;
	rc = jf_run(ctx, &handlers, m);
	free(m);
	return rc;
}

/* JSON whose first bytes hold an event, a restSearch response or attributes. */
static int probe(const char *path, const uint8_t *head, size_t n)
{
	size_t i = 0;

	(void)path;
	while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
		i++;
	if (i == n || (head[i] != '{' && head[i] != '['))
		return 0;
	return memmem(head, n, "\"Event\"", 7) != NULL || memmem(head, n, "\"Attribute\"", 11) ||
	       memmem(head, n, "\"response\"", 10) != NULL ||
	       (memmem(head, n, "\"orgc_id\"", 9) && memmem(head, n, "\"threat_level_id\"", 17));
}

const struct cp_loader cp_loader_misp = { .name = "misp", .keys = keys, .probe = probe,
					  .load = load };
