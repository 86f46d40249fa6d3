/* HTTP/1.x requests: the request target and the Host header. Data plane.
 * RFC 9112 §3: request-line = method SP request-target SP HTTP-version CRLF.
 * Only the first segment of a connection is looked at: a request line or
 * header block that goes on past it without a Host is PARTIAL. */
#include "parse/parse.h"

#include <string.h>

static const struct {
	const char *m;
	size_t n;
} methods[] = {
	{ "GET ", 4 },  { "POST ", 5 },    { "HEAD ", 5 },    { "PUT ", 4 },   { "DELETE ", 7 },
	{ "OPTIONS ", 8 }, { "PATCH ", 6 }, { "CONNECT ", 8 }, { "TRACE ", 6 },
};

static size_t method(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (len >= methods[i].n && memcmp(p, methods[i].m, methods[i].n) == 0)
			return methods[i].n;
	return 0;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The Host header's value in the header block h[0..n), trimmed; NULL when
 * absent. Header names are case-insensitive (RFC 9110 §5.1). */
static const uint8_t *find_host(const uint8_t *h, size_t n, size_t *vlen, int *ended)
{
	*ended = 0;
	while (n > 0) {
		const uint8_t *eol = memchr(h, '\n', n);
		if (eol == NULL)
			return NULL;
		size_t l = (size_t)(eol - h);
		if (l > 0 && h[l - 1] == '\r')
			l--;
		if (l == 0) {
			*ended = 1;
			return NULL;
		}
		if (l >= 5 && lower(h[0]) == 'h' && lower(h[1]) == 'o' && lower(h[2]) == 's' &&
		    lower(h[3]) == 't' && h[4] == ':') {
			size_t a = 5;
			while (a < l && (h[a] == ' ' || h[a] == '\t'))
				a++;
			while (l > a && (h[l - 1] == ' ' || h[l - 1] == '\t'))
				l--;
			*vlen = l - a;
			return h + a;
		}
		n -= (size_t)(eol - h) + 1;
		h = eol + 1;
	}
	return NULL;
}

static enum cp_l7 bad(enum cp_anomaly *why)
{
	*why = CP_AN_HTTP_SYNTAX;
	return CP_L7_BAD;
}

enum cp_l7 cp_parse_http_request(const uint8_t *p, size_t len, struct cp_http_req *r,
				 enum cp_anomaly *why)
{
	size_t m = method(p, len), tn, hn = 0;
	const uint8_t *t, *sp, *eol, *host;
	int ended;

	r->host[0] = r->url[0] = '\0';
	r->host_len = r->url_len = 0;
	if (m == 0)
		return CP_L7_NONE;
	eol = memchr(p, '\n', len);
	if (eol == NULL)
		return CP_L7_PARTIAL;
	t = p + m;
	sp = memchr(t, ' ', (size_t)(eol - t));
	if (sp == NULL || sp == t)
		return bad(why);
	tn = (size_t)(sp - t);
	size_t vn = (size_t)(eol - sp) - 1;
	if (vn > 0 && sp[vn] == '\r')
		vn--;
	if (vn != 8 || memcmp(sp + 1, "HTTP/1.", 7) != 0 || (sp[8] != '0' && sp[8] != '1'))
		return bad(why);
	host = find_host(eol + 1, len - (size_t)(eol + 1 - p), &hn, &ended);
	if (host == NULL)
		return ended ? CP_L7_NONE : CP_L7_PARTIAL;  /* HTTP/1.0 may lack Host */
	if (hn == 0 || hn >= sizeof(r->host) || memchr(host, ' ', hn) != NULL)
		return bad(why);
	memcpy(r->host, host, hn);
	r->host[hn] = '\0';
	r->host_len = (uint16_t)hn;
	/* origin-form joins the Host; absolute-form is already a URL; the
	 * authority and asterisk forms (CONNECT, OPTIONS *) carry no path. */
	if (t[0] == '/' && 7 + hn + tn < sizeof(r->url)) {
		memcpy(r->url, "http://", 7);
		memcpy(r->url + 7, host, hn);
		memcpy(r->url + 7 + hn, t, tn);
		r->url_len = (uint16_t)(7 + hn + tn);
	} else if (tn > 7 && tn < sizeof(r->url) && memcmp(t, "http://", 7) == 0) {
		memcpy(r->url, t, tn);
		r->url_len = (uint16_t)tn;
	}
	r->url[r->url_len] = '\0';
	return CP_L7_OK;
}
