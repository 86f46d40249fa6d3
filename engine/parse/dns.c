/* DNS queries: the first question's name. Data plane.
 * RFC 1035 §4.1.4 compression: a pointer must point strictly before the
 * label that holds it, so every jump goes backwards and no chain can loop;
 * the hop count is capped as well. RFC 1035 §2.3.4 limits: labels of at most
 * 63 bytes, names of at most 255 bytes on the wire (253 as text), which
 * bounds labels at 127. */
#include "parse/parse.h"
#include "common/vec16.h"

#include <string.h>

#define DNS_HDR 12
#define MAX_WIRE 255
#define MAX_HOPS 64

enum cp_l7 cp_parse_dns_tcp(const uint8_t *pay, size_t len, const uint8_t **msg,
			    size_t *msg_len)
{
	if (len < 2)
		return CP_L7_PARTIAL;
	size_t n = (size_t)pay[0] << 8 | pay[1];
	if (n > len - 2)
		return CP_L7_PARTIAL;
	*msg = pay + 2;
	*msg_len = n;
	return CP_L7_OK;
}

static int canon_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Copies a label of l bytes. Returns -1 when it holds a dot or a NUL,
 * which a name's text cannot carry; else 1 when every byte is one a
 * canonical name holds (lower-case letter, digit, '-', '_'), 0 when not.
 * One pass copies and checks: two memchr calls a label cost 9 % of a DNS
 * packet, a byte loop mispredicted its exit once a label, and checking the
 * name again to normalise it was ~15 %. A label of up to 16 bytes is one
 * load and one store, and a few compares. */
static int copy_label(const uint8_t *src, unsigned l, char *dst)
{
#ifdef CP_VEC16
	if (l <= 16) {
		__m128i v = cp_vload(src, l);
		unsigned live = (1u << l) - 1;  /* the bytes past l read as zero */
		cp_vstore(dst, v, l);
		if ((cp_veq(v, '.') | cp_veq(v, '\0')) & live)
			return -1;
		unsigned ok = (unsigned)_mm_movemask_epi8(
				      _mm_or_si128(cp_vrange(v, 'a', 26), cp_vrange(v, '0', 10))) |
			      cp_veq(v, '-') | cp_veq(v, '_');
		return (ok & live) == live;
	}
#endif
	uint8_t odd = 0, canon = 1;

	for (unsigned k = 0; k < l; k++) {
		odd |= (uint8_t)(src[k] == '.' || src[k] == '\0');
		canon &= (uint8_t)canon_byte(src[k]);
		dst[k] = (char)src[k];
	}
	return odd ? -1 : canon;
}

static enum cp_l7 bad(enum cp_anomaly *why, enum cp_anomaly a)
{
	*why = a;
	return CP_L7_BAD;
}

#if defined(__AVX512BW__)
/* A whole name of up to 62 bytes as text, with no pointer, in one pass:
 * the walk reads only the length bytes, then one masked load takes the
 * name, the length bytes after the first become dots, and the checks run
 * on all of it at once. Returns its length, or 0 when the name is not one
 * that converts cleanly (a pointer, a reserved label type, a name past the
 * message or past 63 bytes on the wire, a '.' or NUL in a label, the root):
 * the label loop then decides, and says why. The per-label loop cost ~20 %
 * of a DNS packet's time. */
static size_t name_fast(const uint8_t *w, size_t avail, char *out, int *canon)
{
	uint64_t lens = 0;
	size_t p = 0;

	for (;;) {
		if (p >= avail || p >= 64)
			return 0;
		uint8_t l = w[p];
		if (l == 0)
			break;
		if (l & 0xc0)
			return 0;
		lens |= 1ull << p;
		p += 1u + l;
	}
	if (p == 0)
		return 0;
	size_t o = p - 1;                         /* the text's length, <= 62 */
	__mmask64 live = (1ull << o) - 1, dots = lens >> 1;
	__m512i v = _mm512_maskz_loadu_epi8(live, w + 1);
	__mmask64 data = live & ~dots;
	if (_mm512_mask_cmpeq_epi8_mask(data, v, _mm512_set1_epi8('.')) |
	    _mm512_mask_cmpeq_epi8_mask(data, v, _mm512_setzero_si512()))
		return 0;
	__mmask64 ok = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('a')),
					      _mm512_set1_epi8(26)) |
		       _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')),
					      _mm512_set1_epi8(10)) |
		       _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-')) |
		       _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('_'));
	_mm512_mask_storeu_epi8(out, live, _mm512_mask_blend_epi8(dots, v, _mm512_set1_epi8('.')));
	out[o] = '\0';
	*canon = (ok & data) == data;
	return o;
}
#endif

enum cp_l7 cp_parse_dns_query(const uint8_t *m, size_t len, char *out, size_t *n, int *canon,
			      enum cp_anomaly *why)
{
	size_t at = DNS_HDR, o = 0, wire = 1, hops = 0;
	int all = 1;

	*n = 0;
	*canon = 0;
	out[0] = '\0';
	if (len < DNS_HDR)
		return bad(why, CP_AN_DNS_TRUNC);
	/* QR = 0 (a query) and opcode 0 (QUERY); at least one question. */
	if ((m[2] & 0xf8) != 0 || (m[4] == 0 && m[5] == 0))
		return CP_L7_NONE;
#if defined(__AVX512BW__)
	if ((o = name_fast(m + DNS_HDR, len - DNS_HDR, out, canon)) != 0) {
		*n = o;
		return CP_L7_OK;
	}
	*canon = 0;
	out[0] = '\0';
#endif
	for (;;) {
		if (at >= len)
			return bad(why, CP_AN_DNS_TRUNC);
		uint8_t l = m[at];
		if ((l & 0xc0) == 0xc0) {
			if (at + 1 >= len)
				return bad(why, CP_AN_DNS_TRUNC);
			size_t to = (size_t)(l & 0x3f) << 8 | m[at + 1];
			if (to >= at || ++hops > MAX_HOPS)
				return bad(why, CP_AN_DNS_POINTER);
			at = to;
			continue;
		}
		if (l & 0xc0)
			return bad(why, CP_AN_DNS_LABEL);  /* 0x40 and 0x80: reserved */
		if (l == 0)
			break;
		wire += 1u + l;
		if (wire > MAX_WIRE)
			return bad(why, CP_AN_DNS_LIMIT);
		if (at + 1 + l > len)
			return bad(why, CP_AN_DNS_TRUNC);
		if (o != 0)
			out[o++] = '.';
		int c = copy_label(m + at + 1, l, out + o);
		if (c < 0)
			return bad(why, CP_AN_DNS_LABEL);
		all &= c;
		o += l;
		at += 1u + l;
	}
	if (o == 0)
		return CP_L7_NONE;  /* the root */
	out[o] = '\0';
	*n = o;
	/* The wire bounds labels (1-63) and the name (253 as text) already. */
	*canon = all;
	return CP_L7_OK;
}
