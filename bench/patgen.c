/* Synthetic pattern sets and payloads for the pattern benches: shaped like
 * what feeds and traffic hold, deterministic from a seed.
 *
 * Literals are C2 and malware strings: a stem from a list (URL paths,
 * headers, commands, PE bytes) and a random tail of 6-12 characters, so
 * that sets share prefixes as real ones do, while each entry stays
 * distinct. Regexes are URL and beacon shapes around such a literal, the
 * way analysts write them, so Hyperscan has a factor to anchor on.
 * Payloads are HTTP requests and responses, HTML, JSON and binary
 * (compressed-looking) bodies; 1 in 1000 carries a literal of the set. */
#include "bench.h"
#include "pattern/pattern.h"

#include <stdio.h>
#include <string.h>

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static const char *const stems[] = {
	/* A literal's leading '/' is written \x2f: "/..." reads as a regex. */
	"\\x2fgate.php?id=", "\\x2fpanel/admin.php?bot=", "User-Agent: Mozilla/4.0 (compatible; ",
	"cmd.exe /c ", "powershell -enc ", "POST /wp-content/uploads/", "X-Session: ",
	"\\x2fapi/v1/beacon/", "Cookie: PHPSESSID=", "GET /update.bin?v=", "MZ\\x90\\x00\\x03",
	"\\x4d\\x5a\\x50\\x00", "eval(base64_decode('", "\\x2fc2/checkin?host=", "Host: cdn-",
	"&token=", "\\x2fjquery-3.3.1.min.js?", "Accept-Language: zz-", "\\x2fowa/auth/",
	"?q=cmd%20",
};
#define NSTEMS (sizeof(stems) / sizeof(stems[0]))

static void tail(uint64_t *s, char *out, unsigned n)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	for (unsigned i = 0; i < n; i++) {
		*s = mix64(*s + i);
		out[i] = al[*s % 36];
	}
	out[n] = '\0';
}

void gen_pattern_literal(uint64_t seed, uint64_t i, char *out, size_t size)
{
	uint64_t s = mix64(seed ^ (i * 0x9e3779b97f4a7c15ULL));
	char t[16];

	tail(&s, t, 6 + (unsigned)(s % 7));
	snprintf(out, size, "%s%s", stems[s % NSTEMS], t);
}

void gen_pattern_regex(uint64_t seed, uint64_t i, char *out, size_t size)
{
	uint64_t s = mix64(seed ^ (i * 0xbf58476d1ce4e5b9ULL) ^ 0x5eed);
	char t[16];

	tail(&s, t, 5 + (unsigned)(s % 3));
	switch (s % 5) {
	case 0:
		snprintf(out, size, "/\\/[a-z]{3,8}\\/%s[0-9a-f]{8}\\.php/i", t);
		break;
	case 1:
		snprintf(out, size, "/[?&]id=%s[0-9]{4,}&/", t);
		break;
	case 2:
		snprintf(out, size, "/%s.{0,16}beacon/s", t);
		break;
	case 3:
		snprintf(out, size, "/^POST \\/%s\\/[a-z0-9]{16}/", t);
		break;
	default:
		snprintf(out, size, "/User-Agent: [^\\r\\n]*%s/i", t);
		break;
	}
}

static const char *const words[] = {
	"the", "content", "application", "json", "html", "div", "class", "span", "text", "user",
	"session", "value", "https", "www", "example", "com", "script", "src", "data", "id",
	"return", "function", "var", "true", "false", "null", "image", "png", "width", "height",
	"Accept", "Encoding", "gzip", "keep-alive", "Connection", "Cache", "Control", "max-age",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* Text: words joined by the separators of markup and headers. */
static size_t text(uint64_t *s, uint8_t *buf, size_t at, size_t n)
{
	static const char sep[] = "  /=\":,<>.\r\n-";

	while (at < n) {
		*s = mix64(*s);
		const char *w = words[*s % NWORDS];
		size_t k = strlen(w);
		if (at + k + 1 > n)
			k = n - at - (at < n);
		memcpy(buf + at, w, k);
		at += k;
		if (at < n)
			buf[at++] = (uint8_t)sep[(*s >> 20) % (sizeof(sep) - 1)];
	}
	return at;
}

void gen_payload(uint64_t seed, uint64_t i, uint8_t *buf, size_t n, uint64_t npat)
{
	uint64_t s = mix64(seed ^ 0xfeed ^ (i * 0x94d049bb133111ebULL));
	size_t at = 0;

	if (n == 0)
		return;
	if (s % 5 == 0) {
		for (; at < n; at += 8) {  /* binary: compressed or encrypted */
			s = mix64(s);
			memcpy(buf + at, &s, n - at < 8 ? n - at : 8);
		}
		return;
	}
	if (s % 5 == 1) {
		static const char req[] = "GET /static/app.js?v=3 HTTP/1.1\r\nHost: www.example.com\r\n"
					  "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n";
		at = n < sizeof(req) - 1 ? n : sizeof(req) - 1;
		memcpy(buf, req, at);
	}
	text(&s, buf, at, n);
	if (npat != 0 && (s >> 8) % 1000 == 0 && n > 48) {
		static __thread struct cp_pattern p;
		const char *why;
		char lit[64];
		gen_pattern_literal(seed, (s >> 16) % npat, lit, sizeof(lit));
		if (cp_pattern_parse(lit, strlen(lit), &p, &why) == 0)  /* \xHH decoded */
			memcpy(buf + n / 3, p.expr, p.len < n / 2 ? p.len : n / 2);
	}
}

int bench_add_patterns(struct cp_compiler *c, uint64_t seed, uint64_t npat, uint32_t meta)
{
	static struct cp_pattern p;
	const char *why;
	char text[128];

	for (uint64_t i = 0; i < npat; i++) {
		if (i % 10 == 9)
			gen_pattern_regex(seed, i / 10, text, sizeof(text));
		else
			gen_pattern_literal(seed, i, text, sizeof(text));
		if (cp_pattern_parse(text, strlen(text), &p, &why) != 0 ||
		    cp_compiler_add_pattern(c, &p, CP_PT_PAYLOAD, meta, "bench", i + 1) != 0) {
			fprintf(stderr, "pattern %s: %s\n", text, why ? why : "not added");
			return -1;
		}
	}
	return 0;
}
