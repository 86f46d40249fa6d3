/* JSON and text output helpers: every string a feed, a packet or a path
 * brings is written as valid UTF-8, whatever its bytes. Control plane. */
#include "common/json.h"

#include <string.h>
#include <time.h>

/* The length of the UTF-8 sequence (RFC 3629 section 4) that begins at s,
 * or 0 when none does: a stray continuation byte, an overlong form (C0 80
 * for NUL), a surrogate (ED A0 80), a code point past U+10FFFF, or a
 * sequence cut short. A NUL ends the string, so it is never inside one. */
size_t cp_utf8_seq(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned n = u[0] < 0x80 ? 1 : u[0] < 0xc2 ? 0 : u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3
		   : u[0] < 0xf5 ? 4 : 0;
	/* Second-byte bounds that rule out overlongs, surrogates and > U+10FFFF. */
	unsigned char lo = u[0] == 0xe0 ? 0xa0 : u[0] == 0xf0 ? 0x90 : 0x80;
	unsigned char hi = u[0] == 0xed ? 0x9f : u[0] == 0xf4 ? 0x8f : 0xbf;

	if (n <= 1)
		return n;
	if (u[1] < lo || u[1] > hi)
		return 0;
	for (unsigned i = 2; i < n; i++)
		if ((u[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

int cp_utf8_valid(const char *s)
{
	for (size_t k; *s; s += k)
		if ((k = cp_utf8_seq(s)) == 0)
			return 0;
	return 1;
}

size_t cp_text_clean(const char *s, char *buf, size_t n, unsigned flags)
{
	size_t at = 0;

	if (n == 0)
		return 0;
	for (size_t k; *s; s += k) {
		unsigned char c = (unsigned char)*s;
		k = cp_utf8_seq(s);
		int esc = k == 0 || ((flags & CP_TEXT_CONTROLS) && (c < 0x20 || c == 0x7f)) ||
			  ((flags & CP_TEXT_ASCII) && c >= 0x80);
		size_t w = esc ? 4 : k;
		if (at + w >= n)
			break;  /* whole sequences only: a cut one would be invalid */
		if (esc) {
			snprintf(buf + at, n - at, "\\x%02x", c);
			k = 1;
		} else {
			memcpy(buf + at, s, k);
		}
		at += w;
	}
	buf[at] = 0;
	return at;
}

void cp_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (size_t k; *s; s += k) {
		unsigned char c = (unsigned char)*s;
		k = cp_utf8_seq(s);
		if (k == 0) {
			/* JSON is UTF-8 text (RFC 8259 section 8.1), and a parser
			 * may refuse a line with one bad byte whole (Python's and
			 * jansson's do): such a byte is written as the four
			 * characters \xNN, as pattern texts show their bytes. */
			fprintf(f, "\\\\x%02x", c);
			k = 1;
		} else if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
		} else if (c < 0x20) {
			fprintf(f, "\\u%04x", c);
		} else {
			fwrite(s, 1, k, f);
		}
	}
	fputc('"', f);
}

void cp_json_tags(FILE *f, const char *csv)
{
	char raw[1024], one[256];

	fputc('[', f);
	for (int first = 1; csv != NULL && *csv; first = 0) {
		size_t n = strcspn(csv, ",");
		snprintf(raw, sizeof(raw), "%.*s", (int)(n < sizeof(raw) ? n : sizeof(raw) - 1), csv);
		cp_text_clean(raw, one, sizeof(one), 0);  /* cut at 255 bytes, between sequences */
		if (!first)
			fputc(',', f);
		cp_json_str(f, one);
		csv += n + (csv[n] == ',');
	}
	fputc(']', f);
}

void cp_json_iso_time(int64_t secs, char *buf, size_t n)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (n == 0)
		return;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "%lld", (long long)secs);
}
