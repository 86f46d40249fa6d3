/* Canonical domain names. Both planes; pure except for libidn2, which the
 * control plane alone reaches (names on the wire are already ASCII).
 *
 *   " *.Example.COM. "  ->  "example.com", subdomains = 1
 *   "bücher.de"         ->  "xn--bcher-kva.de"
 * RFC 1035 limits: labels 1..63 bytes, the name at most 253.
 */
#include "indicator/indicator.h"
#include "common/vec16.h"

#include <errno.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 253
#define LABEL_MAX_LEN 63

static int fail(const char **why, const char *reason)
{
	*why = reason;
	return -EINVAL;
}

/* Each byte's lower-case form, '.' as itself, 0 for a byte no host name
 * may hold. '_' is not a hostname character, but SRV names and much real
 * malware infrastructure use it, so feeds carry it. A table, because the
 * fast path normalises every DNS, SNI and Host name: the branchy loop took
 * 17 % of a DNS packet's cost. */
static const uint8_t name_byte[256] = {
	['-'] = '-', ['.'] = '.', ['_'] = '_',
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
	['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
#define L(c) [c] = c, [c - 32] = c
	L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'), L('i'), L('j'),
	L('k'), L('l'), L('m'), L('n'), L('o'), L('p'), L('q'), L('r'), L('s'), L('t'),
	L('u'), L('v'), L('w'), L('x'), L('y'), L('z'),
#undef L
};

/* Checks an ASCII name: its bytes, its labels and its length. */
static int check_name(const uint8_t *p, size_t n, const char **why)
{
	size_t label = 0;

	if (n == 0)
		return fail(why, "empty domain");
	if (n > NAME_MAX_LEN)
		return fail(why, "domain longer than 253 bytes");
	for (size_t i = 0; i < n; i++) {
		uint8_t c = name_byte[p[i]];

		if (c == 0)
			return fail(why, "invalid character in domain");
		if (c == '.') {
			if (label == 0)
				return fail(why, "empty label in domain");
			label = 0;
		} else if (++label > LABEL_MAX_LEN) {
			return fail(why, "domain label longer than 63 bytes");
		}
	}
	if (label == 0)
		return fail(why, "empty label in domain");
	return 0;
}

#ifdef CP_VEC16
/* A name's labels, from a bitmask of its dots (bit i: byte i is a dot):
 * none empty (a dot first, last, or next to another), none over 63 bytes.
 * 1 <= n <= 256. */
static int labels_ok(const uint64_t dots[4], size_t n)
{
	if ((dots[0] & 1) || (dots[(n - 1) / 64] >> ((n - 1) % 64) & 1))
		return 0;
	for (unsigned w = 0; w < 4; w++)
		if (dots[w] & (dots[w] >> 1 | (w < 3 ? dots[w + 1] << 63 : 0)))
			return 0;
	/* Labels longer than 63 bytes need a name longer than that. */
	if (n > LABEL_MAX_LEN) {
		size_t prev = 0;  /* where the current label starts */
		for (unsigned w = 0; w < 4; w++)
			for (uint64_t d = dots[w]; d != 0; d &= d - 1) {
				size_t at = w * 64 + (size_t)__builtin_ctzll(d);
				if (at - prev > LABEL_MAX_LEN)
					return 0;
				prev = at + 1;
			}
		if (n - prev > LABEL_MAX_LEN)
			return 0;
	}
	return 1;
}

/* The bytes of v a canonical name may hold: lower-case letters, digits,
 * '-', '_' and '.'. */
static unsigned canon_bytes(__m128i v)
{
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(cp_vrange(v, 'a', 26),
							 cp_vrange(v, '0', 10))) |
	       cp_veq(v, '.') | cp_veq(v, '-') | cp_veq(v, '_');
}

/* The check of check_name, 16 bytes at a time, with the lower-casing
 * after it: 0 when the name is valid and now lower case, -1 (p unchanged)
 * otherwise, and check_name then says why. Every DNS, SNI and Host name
 * goes through here, and the byte loop (a table load and two branches a
 * byte, its exit mispredicted once a name) was ~20 % of a DNS packet's
 * time. 1 <= n <= NAME_MAX_LEN. */
static int lower_fast(uint8_t *p, size_t n)
{
	uint64_t dots[4] = { 0 };  /* bit i: p[i] is a dot */
	unsigned upper = 0;        /* any upper-case letter */

	for (size_t i = 0; i < n; i += 16) {
		size_t k = n - i < 16 ? n - i : 16;
		unsigned live = (1u << k) - 1;
		__m128i v = cp_vload(p + i, k);
		unsigned up = (unsigned)_mm_movemask_epi8(cp_vrange(v, 'A', 26));
		unsigned dot = cp_veq(v, '.');
		unsigned ok = (unsigned)_mm_movemask_epi8(_mm_or_si128(cp_vrange(v, 'a', 26),
								       cp_vrange(v, '0', 10))) |
			      up | dot | cp_veq(v, '-') | cp_veq(v, '_');
		if ((ok & live) != live)
			return -1;
		upper |= up & live;
		dots[i / 64] |= (uint64_t)(dot & live) << (i % 64);
	}
	if (!labels_ok(dots, n))
		return -1;
	/* Most names on the wire are lower case already: nothing to write. */
	for (size_t i = 0; upper != 0 && i < n; i += 16) {
		size_t k = n - i < 16 ? n - i : 16;
		__m128i v = cp_vload(p + i, k);
		v = _mm_add_epi8(v, _mm_and_si128(cp_vrange(v, 'A', 26), _mm_set1_epi8(0x20)));
		cp_vstore(p + i, v, k);
	}
	return 0;
}
#else
static int lower_fast(uint8_t *p, size_t n)
{
	(void)p, (void)n;
	return -1;
}
#endif

/* Lower-cases and checks an ASCII name in place; a name it refuses is left
 * as it was. */
static int check_ascii(uint8_t *p, size_t n, const char **why)
{
	if (n != 0 && n <= NAME_MAX_LEN && lower_fast(p, n) == 0)
		return 0;
	/* Refused, or no SSE2: the byte loop, which says why. */
	int rc = check_name(p, n, why);

	if (rc == 0)
		for (size_t i = 0; i < n; i++)
			p[i] = name_byte[p[i]];
	return rc;
}

static int to_punycode(const char *s, size_t n, struct cp_ind *out, const char **why)
{
	char in[4 * NAME_MAX_LEN + 1];
	char *ascii = NULL;
	size_t an;

	if (n >= sizeof(in))
		return fail(why, "domain longer than 253 bytes");
	memcpy(in, s, n);
	in[n] = '\0';
	if (idn2_to_ascii_8z(in, &ascii, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK)
		return fail(why, "invalid internationalised domain name");
	an = strlen(ascii);
	if (an > NAME_MAX_LEN) {
		idn2_free(ascii);
		return fail(why, "domain longer than 253 bytes");
	}
	memcpy(out->v, ascii, an);
	idn2_free(ascii);
	out->len = (uint32_t)an;
	return 0;
}

/* The marks a feed puts around a name: "*." or "." before it (subdomains),
 * a trailing dot. */
static size_t strip_marks(const char *s, size_t *n, int *subdomains)
{
	size_t off = 0;

	if (*n >= 2 && s[0] == '*' && s[1] == '.')
		off = 2;
	else if (*n >= 1 && s[0] == '.')
		off = 1;
	*n -= off;
	if (*n > 0 && s[off + *n - 1] == '.')
		(*n)--;
	*subdomains = off != 0;
	return off;
}

int cp_norm_domain_inplace(char *s, size_t *n, const char **why)
{
	int sub;
	size_t len = *n, off = strip_marks(s, &len, &sub);
	int rc = check_ascii((uint8_t *)s + off, len, why);

	if (rc != 0)
		return rc;
	if (off != 0)
		memmove(s, s + off, len);
	*n = len;
	return 0;
}

#ifdef CP_VEC16
/* The copy and check of cp_norm_host_copy, 16 bytes at a time. short_name
 * (a constant in each caller): n < 64, as nearly all names are, so the
 * dots fit one word, no label can be too long, and d's 64 bytes take whole
 * 16-byte stores. The general loop's masked stores, four-word dot mask and
 * labels_ok call cost 11.3 ns a call against 9.8 for a 27-byte name, 9.1
 * against 6.6 for a 6-byte one (L1-hot, one call after another, 3.7 GHz). */
static inline __attribute__((always_inline)) size_t
host_copy(char *d, const char *s, size_t n, int *canon, int short_name)
{
	uint64_t dots[4] = { 0 };
	unsigned bad = 0;
	size_t k = 0;

	for (; k < n; k += 16) {
		size_t c = n - k < 16 ? n - k : 16;
		__m128i v = cp_vload(s + k, c);
		unsigned live = (1u << c) - 1, colon = cp_veq(v, ':') & live;
		if (short_name)
			_mm_storeu_si128((__m128i *)(d + k), v);
		else
			cp_vstore(d + k, v, c);
		if (colon != 0)
			live = (1u << __builtin_ctz(colon)) - 1;
		bad |= ~canon_bytes(v) & live;
		if (short_name)
			dots[0] |= (uint64_t)(cp_veq(v, '.') & live) << k;
		else if (k < 256)
			dots[k / 64] |= (uint64_t)(cp_veq(v, '.') & live) << (k % 64);
		if (colon != 0) {
			k += (size_t)__builtin_ctz(colon);
			break;
		}
	}
	k = k < n ? k : n;
	if (bad != 0 || k == 0)
		return k;
	/* Short: no empty label, so no dot first, last, or beside another. */
	uint64_t d0 = dots[0];
	*canon = short_name ? !(d0 & 1) && !(d0 >> (k - 1) & 1) && !(d0 & d0 >> 1)
			    : k <= NAME_MAX_LEN && labels_ok(dots, k);
	return k;
}
#endif

size_t cp_norm_host_copy(char *d, const char *s, size_t n, int *canon)
{
	*canon = 0;
#ifdef CP_VEC16
	return n < 64 ? host_copy(d, s, n, canon, 1) : host_copy(d, s, n, canon, 0);
#else
	const char *why;
	int upper = 0;
	size_t k = 0;

	for (; k < n && s[k] != ':'; k++) {
		d[k] = s[k];
		upper |= s[k] >= 'A' && s[k] <= 'Z';
	}
	*canon = !upper && check_name((const uint8_t *)d, k, &why) == 0;
	return k;
#endif
}

int cp_norm_domain(const char *s, size_t n, struct cp_ind *out, const char **why)
{
	int non_ascii = 0, sub;

	out->type = CP_T_DOMAIN;
	out->plen = 0;
	s += strip_marks(s, &n, &sub);
	out->subdomains = (uint8_t)sub;
	for (size_t i = 0; i < n; i++)
		non_ascii |= (uint8_t)s[i] >= 0x80;
	if (non_ascii) {
		int rc = to_punycode(s, n, out, why);
		if (rc != 0)
			return rc;
	} else {
		if (n > NAME_MAX_LEN)
			return fail(why, "domain longer than 253 bytes");
		memcpy(out->v, s, n);
		out->len = (uint32_t)n;
	}
	return check_ascii(out->v, out->len, why);
}
