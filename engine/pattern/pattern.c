/* Pattern indicators (see pattern.h). */
#include "pattern/pattern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const tnames[CP_PT__COUNT] = { "payload", "url", "dns.query" };

const char *cp_ptarget_name(enum cp_ptarget t)
{
	return (unsigned)t < CP_PT__COUNT ? tnames[t] : "?";
}

int cp_ptarget_parse(const char *s, enum cp_ptarget *t)
{
	for (unsigned i = 0; i < CP_PT__COUNT; i++)
		if (strcmp(s, tnames[i]) == 0)
			return *t = (enum cp_ptarget)i, 0;
	return -EINVAL;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
}

static int parse_literal(const char *s, size_t n, struct cp_pattern *p, const char **why)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\') {
			if (i + 1 < n && s[i + 1] == '\\') {
				i++;
			} else if (i + 3 < n && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
				   hexval(s[i + 3]) >= 0) {
				c = (char)(hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
				i += 3;
			} else {
				return *why = "bad escape in literal (\\xHH or \\\\)", -EINVAL;
			}
		}
		if (o == CP_PATTERN_MAX)
			return *why = "pattern longer than 4096 bytes", -EINVAL;
		p->expr[o++] = c;
	}
	if (o == 0)
		return *why = "empty pattern", -EINVAL;
	p->expr[o] = '\0';
	p->len = (uint32_t)o;
	p->literal = 1;
	return 0;
}

int cp_pattern_parse(const char *s, size_t n, struct cp_pattern *p, const char **why)
{
	static const struct {
		char c;
		unsigned f;
	} fl[] = { { 'i', HS_FLAG_CASELESS },   { 's', HS_FLAG_DOTALL },
		   { 'm', HS_FLAG_MULTILINE },  { 'H', HS_FLAG_SINGLEMATCH },
		   { '8', HS_FLAG_UTF8 },       { 'u', HS_FLAG_UCP } };

	memset(p, 0, offsetof(struct cp_pattern, expr));
	p->expr[0] = '\0';
	if (n < 2 || s[0] != '/')
		return parse_literal(s, n, p, why);
	size_t end = n;
	while (end > 1 && s[end - 1] != '/')
		end--;
	if (end <= 1)
		return *why = "regex lacks its closing '/'", -EINVAL;
	for (size_t i = end; i < n; i++) {
		size_t k = 0;
		while (k < sizeof(fl) / sizeof(fl[0]) && fl[k].c != s[i])
			k++;
		if (k == sizeof(fl) / sizeof(fl[0]))
			return *why = "unknown regex flag (i s m H 8 u)", -EINVAL;
		p->flags |= fl[k].f;
	}
	size_t len = end - 2;
	if (len == 0)
		return *why = "empty pattern", -EINVAL;
	if (len > CP_PATTERN_MAX)
		return *why = "pattern longer than 4096 bytes", -EINVAL;
	if (memchr(s + 1, '\0', len) != NULL)
		return *why = "NUL inside a regex (write \\x00)", -EINVAL;
	memcpy(p->expr, s + 1, len);
	p->expr[len] = '\0';
	p->len = (uint32_t)len;
	return 0;
}

int cp_pattern_regex(const char *s, size_t n, struct cp_pattern *p, const char **why)
{
	if (n >= 2 && s[0] == '/' && cp_pattern_parse(s, n, p, why) == 0 && !p->literal)
		return 0;
	memset(p, 0, offsetof(struct cp_pattern, expr));
	if (n == 0)
		return *why = "empty pattern", -EINVAL;
	if (n > CP_PATTERN_MAX)
		return *why = "pattern longer than 4096 bytes", -EINVAL;
	if (memchr(s, '\0', n) != NULL)
		return *why = "NUL inside a regex (write \\x00)", -EINVAL;
	memcpy(p->expr, s, n);
	p->expr[n] = '\0';
	p->len = (uint32_t)n;
	return 0;
}

int cp_pattern_format(const struct cp_pattern *p, char *buf, size_t size)
{
	static const struct {
		unsigned f;
		char c;
	} fl[] = { { HS_FLAG_CASELESS, 'i' }, { HS_FLAG_DOTALL, 's' }, { HS_FLAG_MULTILINE, 'm' },
		   { HS_FLAG_SINGLEMATCH, 'H' }, { HS_FLAG_UTF8, '8' },   { HS_FLAG_UCP, 'u' } };
	size_t o = 0;
	char tmp[8];

#define PUT(str, k)                                                   \
	do {                                                          \
		for (size_t j_ = 0; j_ < (k); j_++, o++)              \
			if (o + 1 < size)                             \
				buf[o] = (str)[j_];                   \
	} while (0)
	if (!p->literal) {
		PUT("/", 1);
		PUT(p->expr, p->len);
		PUT("/", 1);
		for (size_t k = 0; k < sizeof(fl) / sizeof(fl[0]); k++)
			if (p->flags & fl[k].f)
				PUT(&fl[k].c, 1);
	} else {
		for (uint32_t i = 0; i < p->len; i++) {
			unsigned char c = (unsigned char)p->expr[i];
			if (c == '\\') {
				PUT("\\\\", 2);
			} else if (c < 0x21 || c > 0x7e || (i == 0 && c == '/')) {
				snprintf(tmp, sizeof(tmp), "\\x%02x", c);
				PUT(tmp, 4);
			} else {
				PUT((const char *)&c, 1);
			}
		}
	}
#undef PUT
	if (size > 0)
		buf[o < size ? o : size - 1] = '\0';
	return (int)o;
}

/* A literal as a regex: every byte \xHH, so nothing in it is special. */
static char *escape(const char *e, size_t len)
{
	char *r = malloc(len * 4 + 1);

	if (r == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		snprintf(r + 4 * i, 5, "\\x%02x", (unsigned char)e[i]);
	r[4 * len] = '\0';
	return r;
}

const hs_platform_info_t cp_pattern_generic = { .tune = HS_TUNE_FAMILY_GENERIC };

static uint64_t compiles;

uint64_t cp_pattern_compile_count(void)
{
	return __atomic_load_n(&compiles, __ATOMIC_RELAXED);
}

int cp_pattern_compile_v(const struct cp_pattern_v *v, unsigned n, hs_database_t **db,
			 unsigned *bad, char *err, size_t errlen)
{
	__atomic_add_fetch(&compiles, 1, __ATOMIC_RELAXED);
	const char **expr = calloc(n ? n : 1, sizeof(*expr));
	unsigned *ids = calloc(n ? n : 1, sizeof(*ids)), *fl = calloc(n ? n : 1, sizeof(*fl));
	char **owned = calloc(n ? n : 1, sizeof(*owned));
	hs_compile_error_t *ce = NULL;
	int all_lit = 1, rc = -EINVAL;
	hs_error_t e = HS_NOMEM;

	*db = NULL;
	*bad = n;
	if (!expr || !ids || !fl || !owned || n == 0)
		goto out;
	for (unsigned i = 0; i < n; i++)
		all_lit &= v->literal[i];
	for (unsigned i = 0; i < n; i++) {
		ids[i] = i;
		/* An alert says a pattern matched a packet, once: more reports of
		 * the same pattern in one scan would only cost callbacks. */
		fl[i] = v->flags[i] | HS_FLAG_SINGLEMATCH;
		if (all_lit || !v->literal[i])
			expr[i] = v->expr[i];
		else if ((expr[i] = owned[i] = escape(v->expr[i], v->len[i])) == NULL)
			goto out;
	}
	e = all_lit ? hs_compile_lit_multi(expr, fl, ids, v->len, n, HS_MODE_BLOCK, v->platform, db,
					   &ce)
		    : hs_compile_multi(expr, fl, ids, n, HS_MODE_BLOCK, v->platform, db, &ce);
	if (e == HS_SUCCESS) {
		rc = 0;
	} else if (ce != NULL) {
		if (ce->expression >= 0 && (unsigned)ce->expression < n)
			*bad = (unsigned)ce->expression;
		snprintf(err, errlen, "%s", ce->message);
	}
out:
	if (rc != 0 && ce == NULL)
		snprintf(err, errlen, n == 0 ? "no patterns" : "out of memory (Hyperscan error %d)", e);
	hs_free_compile_error(ce);
	for (unsigned i = 0; owned != NULL && i < n; i++)
		free(owned[i]);
	free(owned);
	free(expr);
	free(ids);
	free(fl);
	return rc;
}

int cp_pattern_compile(const struct cp_pattern *const *p, unsigned n, hs_database_t **db,
		       unsigned *bad, char *err, size_t errlen)
{
	struct cp_pattern_v v = {
		.expr = calloc(n ? n : 1, sizeof(*v.expr)), .len = calloc(n ? n : 1, sizeof(*v.len)),
		.flags = calloc(n ? n : 1, sizeof(*v.flags)),
		.literal = calloc(n ? n : 1, sizeof(*v.literal)),
	};
	int rc = -ENOMEM;

	*db = NULL;
	*bad = n;
	if (v.expr && v.len && v.flags && v.literal) {
		for (unsigned i = 0; i < n; i++) {
			((const char **)v.expr)[i] = p[i]->expr;
			((size_t *)v.len)[i] = p[i]->len;
			((unsigned *)v.flags)[i] = p[i]->flags;
			((uint8_t *)v.literal)[i] = p[i]->literal;
		}
		rc = cp_pattern_compile_v(&v, n, db, bad, err, errlen);
	} else {
		snprintf(err, errlen, "out of memory");
	}
	free((void *)v.expr);
	free((void *)v.len);
	free((void *)v.flags);
	free((void *)v.literal);
	return rc;
}

int cp_pattern_scratch_new(const hs_database_t *const *db, unsigned ndb, unsigned copies,
			   hs_scratch_t **out)
{
	hs_scratch_t *proto = NULL;

	for (unsigned i = 0; i < copies; i++)
		out[i] = NULL;
	for (unsigned i = 0; i < ndb; i++)
		if (db[i] != NULL && hs_alloc_scratch(db[i], &proto) != HS_SUCCESS) {
			hs_free_scratch(proto);
			return -ENOMEM;
		}
	if (proto == NULL || copies == 0) {
		hs_free_scratch(proto);
		return 0;
	}
	out[0] = proto;  /* freed with the others from here on */
	for (unsigned i = 1; i < copies; i++)
		if (hs_clone_scratch(proto, &out[i]) != HS_SUCCESS) {
			cp_pattern_scratch_free(out, copies);
			return -ENOMEM;
		}
	return 0;
}

void cp_pattern_scratch_free(hs_scratch_t **s, unsigned n)
{
	for (unsigned i = 0; s != NULL && i < n; i++) {
		hs_free_scratch(s[i]);  /* NULL is fine */
		s[i] = NULL;
	}
}
