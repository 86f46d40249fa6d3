/* Suricata dataset and datarep files. Control plane.
 *
 * One entry per line, as Suricata's "dataset:... load FILE" reads them:
 *   string       base64 of the value (Suricata stores raw bytes this way)
 *   md5, sha256  hex
 *   ipv4, ip     address text (ip: IPv4 or IPv6)
 * A datarep file adds ",REPUTATION" to each line; it becomes the tag
 * "reputation=N". dstype= names the dataset's type; without it each line
 * is read as an address or a hex digest when it parses as one, and as
 * base64 otherwise. A decoded string is typed by type= (domain, url, ...)
 * or guessed; ".evil.com" (Suricata's dotprefix form) means the domain and
 * its subdomains. '#' lines are comments. */
#include "loader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const keys[] = { "dstype", NULL };

enum dstype { DS_AUTO, DS_STRING, DS_MD5, DS_SHA256, DS_IPV4, DS_IP };

struct ds {
	enum dstype type;
	struct cp_meta_cache mc;
};

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 with padding. Returns the decoded length, or -1. */
static long b64_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0, pad++;
				continue;
			}
			if (pad || (v[k] = b64_val((unsigned char)s[i + k])) < 0)
				return -1;
		}
		uint32_t w = (uint32_t)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
		if (o + 3 - (size_t)pad > cap)
			return -1;
		out[o++] = (char)(w >> 16);
		if (pad < 2)
			out[o++] = (char)(w >> 8);
		if (pad < 1)
			out[o++] = (char)w;
	}
	return (long)o;
}

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f')))
			return 0;
	return 1;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

static int ds_type(const char *v, enum dstype *t)
{
	static const char *const names[] = { "auto", "string", "md5", "sha256", "ipv4", "ip" };

	for (size_t i = 0; i < CP_ARRAY_LEN(names); i++)
		if (strcmp(v, names[i]) == 0)
			return *t = (enum dstype)i, 0;
	return -EINVAL;
}

/* A decoded string: typed by type=, else guessed; '.' prefix = subdomains. */
static int emit_string(struct cp_load_ctx *ctx, uint64_t line, const char *s, size_t n,
		       uint32_t mid)
{
	struct cp_ind ind;
	const char *why = NULL;
	int t = ctx->feed->type, dot = n > 1 && s[0] == '.';

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return cp_load_error(ctx, line, "decoded string has control bytes", NULL, 0);
	int rc = t >= 0 ? cp_norm((enum cp_itype)t, s, n, &ind, &why)
			: cp_norm_auto(s, n, &ind, &why);
	if (rc != 0)
		return cp_load_error(ctx, line, why, s, n);
	if (dot && ind.type == CP_T_DOMAIN)
		ind.subdomains = 1;
	return cp_load_emit_ind(ctx, &ind, mid);
}

static int norm_typed(enum dstype t, const char *s, size_t n, struct cp_ind *ind,
		      const char **why)
{
	switch (t) {
	case DS_MD5:
		return cp_norm(CP_T_MD5, s, n, ind, why);
	case DS_SHA256:
		return cp_norm(CP_T_SHA256, s, n, ind, why);
	case DS_IPV4:
		return cp_norm_ipv4(s, n, ind, why);  /* Suricata's ipv4 sets hold no v6 */
	default:
		return cp_norm(CP_T_IPV4, s, n, ind, why);  /* either family */
	}
}

/* The line's metadata: the feed's, plus the datarep reputation. */
static int line_meta(struct cp_load_ctx *ctx, struct ds *d, uint64_t line, const char *rep,
		     size_t rn, uint32_t *mid)
{
	struct cp_meta_in m;
	char tag[48];

	if (rep == NULL) {
		*mid = ctx->feed_meta;
		return 0;
	}
	if (rn > 10 || !all_digits(rep, rn))
		return cp_load_error(ctx, line, "datarep reputation is not a number", rep, rn) ?: 1;
	cp_load_default_meta(ctx, &m);
	snprintf(tag, sizeof(tag), "reputation=%.*s", (int)rn, rep);
	m.tags = tag;
	return cp_load_meta(ctx, &d->mc, line, &m, mid);
}

static int ds_line(struct cp_load_ctx *ctx, uint64_t line, const char *s, size_t n, void *arg)
{
	struct ds *d = arg;
	const char *comma = memchr(s, ',', n), *why = NULL;
	char buf[CP_IND_MAX];
	struct cp_ind ind;
	uint32_t mid;
	int rc;

	if (n == 0 || s[0] == '#')
		return 0;
	size_t vn = comma ? (size_t)(comma - s) : n;
	rc = line_meta(ctx, d, line, comma ? comma + 1 : NULL, comma ? n - vn - 1 : 0, &mid);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	enum dstype t = d->type;
	if (t == DS_AUTO) {
		/* What parses as an address or a digest is one; base64 of a
		 * 24/32/48-byte string can look like hex, so say dstype=string
		 * for such sets. */
		if (norm_typed(DS_IP, s, vn, &ind, &why) == 0 ||
		    ((vn == 32 || vn == 40 || vn == 64) && is_hex(s, vn) &&
		     cp_norm_auto(s, vn, &ind, &why) == 0))
			return cp_load_emit_ind(ctx, &ind, mid);
		t = DS_STRING;
	}
	if (t == DS_STRING) {
		long k = b64_decode(s, vn, buf, sizeof(buf));
		if (k < 0)
			return cp_load_error(ctx, line, vn * 3 / 4 > sizeof(buf) ? "value too long"
										 : "invalid base64", s, vn);
		return emit_string(ctx, line, buf, (size_t)k, mid);
	}
	if ((rc = norm_typed(t, s, vn, &ind, &why)) != 0)
		return cp_load_error(ctx, line, why, s, vn);
	return cp_load_emit_ind(ctx, &ind, mid);
}

static int load(struct cp_load_ctx *ctx)
{
	struct ds d = { .type = DS_AUTO };
	const char *t = cp_feed_opt(ctx->feed, "dstype");
	size_t off = cp_load_bom(ctx);

	if (t != NULL && ds_type(t, &d.type) != 0) {
		fprintf(ctx->diag->out, "%s: dstype must be string, md5, sha256, ipv4 or ip\n",
			ctx->feed->path);
		return -EINVAL;
	}
	ctx->size = ctx->len - off;
	return cp_load_lines(ctx, ctx->data, off, ctx->len, 1, ds_line, &d);
}

/* Lines of base64 or hex (optionally ",N"), at least one of which is not
 * hex or has a reputation, and fewer than half of them bad: a string
 * dataset or a datarep file. Other datasets read the same as plain ones. */
static int probe(const char *path, const uint8_t *head, size_t n)
{
	size_t i = 0, lines = 0, b64 = 0, bad = 0;

	(void)path;
	while (i < n && lines < 32) {
		const uint8_t *nl = memchr(head + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - head) - i : n - i, v = 0;
		const char *s = (const char *)head + i;
		if (nl == NULL && lines > 0)
			break;  /* a cut last line proves nothing */
		if (len > 0 && s[len - 1] == '\r')
			len--;
		while (v < len && (b64_val((unsigned char)s[v]) >= 0 || s[v] == '='))
			v++;
		if (len > 0 && s[0] != '#') {
			if (v == 0 || v % 4 != 0 ||
			    (v < len && (s[v] != ',' || !all_digits(s + v + 1, len - v - 1))))
				bad++;
			else
				b64 += !is_hex(s, v) || v < len;  /* base64, or datarep's ",N" */
			lines++;
		}
		i = nl ? (size_t)(nl - head) + 1 : n;
	}
	/* A bad line or two is the feed's error to report, not another format. */
	return b64 > 0 && bad * 2 < lines;
}

const struct cp_loader cp_loader_suricata = { .name = "suricata", .keys = keys,
					      .probe = probe, .load = load };
