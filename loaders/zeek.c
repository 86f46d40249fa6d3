/* Zeek intel framework files (Intel::read_files). Control plane.
 *
 * Tab-separated; the "#fields" header names the columns, so their order is
 * the file's own. "#separator \x09", "#set_separator", "#empty_field" and
 * "#unset_field" are honoured as Zeek's input framework does; other '#'
 * lines are comments. Columns we read:
 *   indicator, indicator_type   required
 *   meta.source                 the feed name
 *   meta.desc                   tags
 *   meta.url                    the external id (a reference to the source)
 *   meta.whitelist              T: the indicator is allowed (the
 *                               whitelisting policy script's flag)
 * Types map to ours (ADDR and SUBNET: ipv4/ipv6; FILE_HASH: md5/sha1/sha256
 * by length); the others (EMAIL, CERT_HASH, SOFTWARE, ...) are counted as
 * skipped. Zeek's Intel::URL values have no scheme; http:// is assumed. */
#include "loader.h"

#include <errno.h>
#include <string.h>

static const char *const keys[] = { NULL };

enum zcol { Z_IND, Z_TYPE, Z_SOURCE, Z_DESC, Z_URL, Z_WHITE, Z__N };
static const char *const zcol_name[Z__N] = { "indicator", "indicator_type", "meta.source",
					     "meta.desc", "meta.url", "meta.whitelist" };

#define ZEEK_MAX_COLS 64
#define ZEEK_STR 1024

struct zeek {
	char sep;
	char unset[32], empty[32];
	int col[Z__N];           /* -1: absent */
	unsigned ncols;
	int have_fields;
	struct cp_meta_cache mc;
};

/* Zeek Intel::Type -> ours; -2: not a type we match (skipped). */
static int map_type(const char *s, size_t n, int *hash)
{
	static const struct {
		const char *name;
		int type;
	} map[] = {
		{ "Intel::ADDR", -1 },   { "Intel::SUBNET", -1 },       { "Intel::DOMAIN", CP_T_DOMAIN },
		{ "Intel::URL", CP_T_URL }, { "Intel::FILE_HASH", -1 }, { "Intel::JA3", CP_T_JA3 },
	};

	*hash = n == 16 && memcmp(s, "Intel::FILE_HASH", 16) == 0;
	for (size_t i = 0; i < CP_ARRAY_LEN(map); i++)
		if (strlen(map[i].name) == n && memcmp(map[i].name, s, n) == 0)
			return map[i].type;
	return -2;
}

/* "\x09" -> a tab; anything else is taken literally. */
static char unescape_sep(const char *s, size_t n)
{
	if (n == 4 && s[0] == '\\' && s[1] == 'x') {
		unsigned v = 0;
		for (int i = 2; i < 4; i++) {
			char c = s[i];
			v = v * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
		}
		return (char)v;
	}
	return n > 0 ? s[0] : '\t';
}

/* Splits s at the separator; returns the field count (at most max). */
static unsigned split(const struct zeek *z, const char *s, size_t n, const char **f, size_t *fl,
		      unsigned max)
{
	unsigned k = 0;
	size_t i = 0;

	while (k < max) {
		const char *e = memchr(s + i, z->sep, n - i);
		size_t len = e ? (size_t)(e - (s + i)) : n - i;
		f[k] = s + i;
		fl[k++] = len;
		if (e == NULL)
			break;
		i += len + 1;
	}
	return k;
}

static int directive(struct cp_load_ctx *ctx, struct zeek *z, uint64_t line, const char *s,
		     size_t n)
{
	const char *f[ZEEK_MAX_COLS + 1];
	size_t fl[ZEEK_MAX_COLS + 1];

	if (n > 11 && memcmp(s, "#separator ", 11) == 0) {
		z->sep = unescape_sep(s + 11, n - 11);
		return 0;
	}
	unsigned k = split(z, s, n, f, fl, ZEEK_MAX_COLS + 1);
	if (fl[0] == 12 && memcmp(f[0], "#unset_field", 12) == 0 && k > 1 && fl[1] < sizeof(z->unset))
		memcpy(z->unset, f[1], fl[1]), z->unset[fl[1]] = '\0';
	if (fl[0] == 12 && memcmp(f[0], "#empty_field", 12) == 0 && k > 1 && fl[1] < sizeof(z->empty))
		memcpy(z->empty, f[1], fl[1]), z->empty[fl[1]] = '\0';
	if (!(fl[0] == 7 && memcmp(f[0], "#fields", 7) == 0))
		return 0;
	if (k > ZEEK_MAX_COLS)
		return cp_load_error(ctx, line, "more than 64 columns in #fields", NULL, 0);
	for (unsigned c = 0; c < Z__N; c++) {
		z->col[c] = -1;
		for (unsigned i = 1; i < k; i++)
			if (fl[i] == strlen(zcol_name[c]) && memcmp(f[i], zcol_name[c], fl[i]) == 0)
				z->col[c] = (int)i - 1;
	}
	z->ncols = k - 1;
	z->have_fields = 1;
	if (z->col[Z_IND] < 0 || z->col[Z_TYPE] < 0)
		return z->have_fields = 0,
		       cp_load_error(ctx, line, "#fields lacks indicator or indicator_type", NULL, 0);
	return 0;
}

static int is_unset(const struct zeek *z, const char *s, size_t n)
{
	return n == 0 || (n == strlen(z->unset) && memcmp(s, z->unset, n) == 0) ||
	       (n == strlen(z->empty) && memcmp(s, z->empty, n) == 0);
}

/* Column c of the row, or NULL when absent or unset. */
static const char *get(const struct zeek *z, const char **f, const size_t *fl, enum zcol c,
		       size_t *n)
{
	if (z->col[c] < 0 || is_unset(z, f[z->col[c]], fl[z->col[c]]))
		return NULL;
	*n = fl[z->col[c]];
	return f[z->col[c]];
}

/* The row's metadata. Returns like cp_load_meta(). */
static int row_meta(struct cp_load_ctx *ctx, struct zeek *z, uint64_t line, const char **f,
		    const size_t *fl, uint32_t *mid)
{
	static const enum zcol cols[3] = { Z_SOURCE, Z_DESC, Z_URL };
	char str[3][ZEEK_STR + 1];
	const char *v[3] = { NULL, NULL, NULL };
	struct cp_meta_in m;
	size_t n;

	for (int i = 0; i < 3; i++) {
		const char *s = get(z, f, fl, cols[i], &n);
		if (s == NULL)
			continue;
		if (n > ZEEK_STR)
			return cp_load_error(ctx, line, "meta field longer than 1024 bytes", NULL, 0) ?: 1;
		memcpy(str[i], s, n);
		str[i][n] = '\0';
		v[i] = str[i];
	}
	cp_load_default_meta(ctx, &m);
	if (v[0] != NULL)
		m.feed = v[0];
	m.tags = v[1];
	m.id = v[2];
	const char *w = get(z, f, fl, Z_WHITE, &n);
	if (w != NULL && n == 1 && w[0] == 'T')
		m.action = CP_ACT_ALLOW;
	return cp_load_meta(ctx, &z->mc, line, &m, mid);
}

static int row(struct cp_load_ctx *ctx, uint64_t line, const char *s, size_t n, void *arg)
{
	struct zeek *z = arg;
	const char *f[ZEEK_MAX_COLS];
	size_t fl[ZEEK_MAX_COLS], vn, tn;
	char url[CP_IND_MAX + 8];
	uint32_t mid;
	int hash, rc;

	if (n == 0)
		return 0;
	if (s[0] == '#')
		return directive(ctx, z, line, s, n);
	if (!z->have_fields)
		return cp_load_error(ctx, line, "data before a #fields header", NULL, 0);
	if (split(z, s, n, f, fl, ZEEK_MAX_COLS) != z->ncols)
		return cp_load_error(ctx, line, "column count differs from #fields", NULL, 0);
	const char *v = get(z, f, fl, Z_IND, &vn), *t = get(z, f, fl, Z_TYPE, &tn);
	if (v == NULL || t == NULL)
		return cp_load_error(ctx, line, "indicator or indicator_type unset", NULL, 0);
	int type = map_type(t, tn, &hash);
	if (type == -2) {
		cp_load_skip(ctx, "zeek: indicator type we do not match");
		return 0;
	}
	if (type == CP_T_URL && vn < CP_IND_MAX && memmem(v, vn, "://", 3) == NULL) {
		memcpy(url, "http://", 7);
		memcpy(url + 7, v, vn);
		v = url, vn += 7;
	}
	if ((rc = row_meta(ctx, z, line, f, fl, &mid)) != 0)
		return rc < 0 ? rc : 0;
	struct cp_ind ind;
	const char *why = NULL;
	rc = type >= 0 ? cp_norm((enum cp_itype)type, v, vn, &ind, &why)
		       : cp_norm_auto(v, vn, &ind, &why);
	if (rc == 0 && type == -1 && hash != (ind.type >= CP_T_MD5 && ind.type <= CP_T_SHA256))
		rc = -EINVAL, why = hash ? "FILE_HASH is not an md5, sha1 or sha256 digest"
					 : "ADDR/SUBNET is not an IP address or prefix";
	if (rc != 0)
		return cp_load_error(ctx, line, why, v, vn);
	return cp_load_emit_ind(ctx, &ind, mid);
}

static int load(struct cp_load_ctx *ctx)
{
	struct zeek z = { .sep = '\t', .unset = "-", .empty = "(empty)" };
	size_t off = cp_load_bom(ctx);

	ctx->size = ctx->len - off;
	return cp_load_lines(ctx, ctx->data, off, ctx->len, 1, row, &z);
}

static int probe(const char *path, const uint8_t *head, size_t n)
{
	(void)path;
	return (n >= 11 && memcmp(head, "#separator ", 11) == 0) ||
	       (n >= 8 && memcmp(head, "#fields\t", 8) == 0);
}

const struct cp_loader cp_loader_zeek = { .name = "zeek", .keys = keys, .probe = probe,
					  .load = load };
