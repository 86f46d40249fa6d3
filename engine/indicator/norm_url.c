/* Canonical URLs: RFC 3986 section 6.2.2 (syntax-based) and 6.2.3
 * (scheme-based) normalisation. Both planes; pure.
 *
 *   HTTP://User@WWW.Example.COM:80/a/./b/../%7euser/%c3%a9?q=%3d#frag
 *   -> http://User@www.example.com/a/~user/%C3%A9?q=%3D
 *
 * Policies: a value with no "scheme://" is taken as http; an empty path
 * becomes "/"; an empty query ("?") is dropped; a '%' not followed by two hex
 * digits and bytes not allowed in a URI are percent-encoded, as browsers do.
 */
#include "indicator/indicator.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

struct wbuf {
	uint8_t *p;
	size_t n;
	int overflow;
};

static void put(struct wbuf *w, const void *s, size_t n)
{
	if (w->n + n > CP_IND_MAX) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->n, s, n);
	w->n += n;
}

static void putc_(struct wbuf *w, uint8_t c)
{
	put(w, &c, 1);
}

static int fail(const char **why, const char *reason)
{
	*why = reason;
	return -EINVAL;
}

static int hexv(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int is_alnum(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_unreserved(uint8_t c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static void put_pct(struct wbuf *w, uint8_t v)
{
	static const char hx[] = "0123456789ABCDEF";
	uint8_t e[3] = { '%', (uint8_t)hx[v >> 4], (uint8_t)hx[v & 15] };

	put(w, e, 3);
}

/* Percent-encoding normalisation of a path, query or userinfo. */
static void put_pct_norm(struct wbuf *w, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (c == '%') {
			int hi = i + 2 < n ? hexv(s[i + 1]) : -1;
			int lo = hi >= 0 ? hexv(s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				put(w, "%25", 3);
				continue;
			}
			uint8_t v = (uint8_t)(hi << 4 | lo);
			if (is_unreserved(v))
				putc_(w, v);
			else
				put_pct(w, v);
			i += 2;
		} else if (is_unreserved(c) || (c < 0x80 && strchr(":/?#[]@!$&'()*+,;=", c) && c)) {
			putc_(w, c);
		} else {
			put_pct(w, c);
		}
	}
}

/* RFC 3986 5.2.4 on a path that starts with '/', written from tmp into w. */
static void put_path(struct wbuf *w, const uint8_t *p, size_t n)
{
	size_t start = w->n, i = 0;

	while (i < n) {
		size_t j = i + 1;
		while (j < n && p[j] != '/')
			j++;
		const uint8_t *seg = p + i + 1;
		size_t sl = j - i - 1;
		int last = j == n;

		if (sl == 1 && seg[0] == '.') {
			if (last)
				putc_(w, '/');
		} else if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			while (w->n > start && w->p[w->n - 1] != '/')
				w->n--;
			if (w->n > start)
				w->n--;
			if (last)
				putc_(w, '/');
		} else {
			putc_(w, '/');
			put(w, seg, sl);
		}
		i = j;
	}
	if (w->n == start)
		putc_(w, '/');
}

static unsigned default_port(const uint8_t *scheme, size_t n)
{
	static const struct {
		const char *s;
		unsigned port;
	} tab[] = { { "http", 80 }, { "https", 443 }, { "ftp", 21 }, { "ws", 80 }, { "wss", 443 } };

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i].s) == n && memcmp(tab[i].s, scheme, n) == 0)
			return tab[i].port;
	return 0;
}

/* Host (and port) of the authority; host bytes are [h, h+hn). */
static int put_host(struct wbuf *w, const char *h, size_t hn, const char **why)
{
	struct cp_ind d;
	char buf[INET6_ADDRSTRLEN];

	if (hn == 0)
		return fail(why, "URL has no host");
	if (h[0] == '[') {
		uint8_t a[16];
		if (hn < 3 || h[hn - 1] != ']' || hn - 2 >= sizeof(buf))
			return fail(why, "malformed IPv6 host in URL");
		memcpy(buf, h + 1, hn - 2);
		buf[hn - 2] = '\0';
		if (inet_pton(AF_INET6, buf, a) != 1)
			return fail(why, "malformed IPv6 host in URL");
		inet_ntop(AF_INET6, a, buf, sizeof(buf));
		putc_(w, '[');
		put(w, buf, strlen(buf));
		putc_(w, ']');
		return 0;
	}
	if (cp_norm_ipv4(h, hn, &d, why) == 0 && d.plen == 32) {
		inet_ntop(AF_INET, d.v, buf, sizeof(buf));
		put(w, buf, strlen(buf));
		return 0;
	}
	if (cp_norm_domain(h, hn, &d, why) != 0)
		return -EINVAL;
	if (d.subdomains)
		return fail(why, "wildcard in URL host");
	put(w, d.v, d.len);
	return 0;
}

static int put_port(struct wbuf *w, const char *p, size_t n, unsigned dflt, const char **why)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return fail(why, "invalid port in URL");
		v = v * 10 + (unsigned)(p[i] - '0');
		if (v > 65535)
			return fail(why, "invalid port in URL");
	}
	if (n == 0 || v == dflt)
		return 0;
	char buf[8];
	int k = 0;
	do {
		buf[7 - k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	putc_(w, ':');
	put(w, buf + 8 - k, (size_t)k);
	return 0;
}

static size_t scheme_len(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
		return 0;
	while (i < n && (is_alnum((uint8_t)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
		i++;
	return i + 3 <= n && memcmp(s + i, "://", 3) == 0 ? i : 0;
}

static int put_authority(struct wbuf *w, const char *a, size_t an, unsigned dflt,
			 const char **why)
{
	const char *at = NULL, *hp;
	size_t hn;

	for (size_t i = 0; i < an; i++)
		if (a[i] == '@')
			at = a + i;
	if (at != NULL) {
		put_pct_norm(w, (const uint8_t *)a, (size_t)(at - a));
		putc_(w, '@');
	}
	hp = at ? at + 1 : a;
	hn = an - (size_t)(hp - a);
	/* The port follows the last ':' outside an IPv6 literal. */
	const char *rb = memchr(hp, ']', hn);
	const char *colon = NULL;
	for (const char *c = rb ? rb : hp; c < hp + hn; c++)
		if (*c == ':')
			colon = c;
	size_t host_n = colon ? (size_t)(colon - hp) : hn;
	if (put_host(w, hp, host_n, why) != 0)
		return -EINVAL;
	if (colon != NULL)
		return put_port(w, colon + 1, hn - host_n - 1, dflt, why);
	return 0;
}

int cp_norm_url(const char *s, size_t n, struct cp_ind *out, const char **why)
{
	struct wbuf w = { out->v, 0, 0 };
	size_t sl = scheme_len(s, n), i;
	const char *rest;
	size_t rn;

	if (n == 0)
		return fail(why, "empty URL");
	if (sl == 0 && memmem(s, n, "://", 3) != NULL)
		return fail(why, "invalid URL scheme");
	if (sl != 0) {
		for (i = 0; i < sl; i++)
			putc_(&w, (uint8_t)(s[i] | 0x20));
		rest = s + sl + 3, rn = n - sl - 3;
	} else {
		put(&w, "http", 4);
		rest = s, rn = n;
	}
	unsigned dflt = default_port(w.p, w.n);
	put(&w, "://", 3);

	size_t an = 0;
	while (an < rn && rest[an] != '/' && rest[an] != '?' && rest[an] != '#')
		an++;
	if (put_authority(&w, rest, an, dflt, why) != 0)
		return -EINVAL;

	const char *tail = rest + an;
	size_t tn = rn - an;
	const char *hash = memchr(tail, '#', tn);
	if (hash != NULL)
		tn = (size_t)(hash - tail);
	const char *q = memchr(tail, '?', tn);
	size_t pn = q ? (size_t)(q - tail) : tn;

	/* Percent-normalise the path first, so %2E%2E is removed as "..". */
	uint8_t tmp[CP_IND_MAX];
	struct wbuf t = { tmp, 0, 0 };
	put_pct_norm(&t, (const uint8_t *)tail, pn);
	if (t.overflow)
		return fail(why, "URL longer than 2048 bytes");
	put_path(&w, tmp, t.n);
	if (q != NULL && tn - pn > 1) {
		putc_(&w, '?');
		put_pct_norm(&w, (const uint8_t *)q + 1, tn - pn - 1);
	}
	if (w.overflow)
		return fail(why, "URL longer than 2048 bytes");
	out->type = CP_T_URL;
	out->plen = 0;
	out->subdomains = 0;
	out->len = (uint32_t)w.n;
	return 0;
}
