/* TLS ClientHello: SNI and JA3. Data plane.
 * A cursor walks the record -> handshake -> ClientHello -> extensions, and
 * every length is checked against the bytes of its enclosing structure
 * before it is used. A ClientHello longer than this segment is PARTIAL: it is
 * counted as uninspected, never passed as clean.
 * JA3 (Salesforce): MD5 of "version,ciphers,extensions,groups,point formats",
 * lists joined by '-' in wire order, GREASE values (RFC 8701) left out. The
 * text is fed to MD5 as it is produced, so no buffer bounds it. */
#include "parse/parse.h"

#include <nettle/md5.h>
#include <string.h>

#define REC_HANDSHAKE 22
#define HS_CLIENT_HELLO 1
#define EXT_SNI 0
#define EXT_GROUPS 10
#define EXT_POINT_FORMATS 11
/* RFC 8446 §5.1: a record carries at most 2^14 bytes (+ 256 expansion). */
#define REC_MAX (16384 + 256)

struct cur {
	const uint8_t *p;
	size_t n;
};

static inline int take(struct cur *c, size_t k, struct cur *sub)
{
	if (k > c->n)
		return -1;
	if (sub != NULL)
		*sub = (struct cur){ c->p, k };
	c->p += k;
	c->n -= k;
	return 0;
}

static inline int u8(struct cur *c, unsigned *v)
{
	if (c->n < 1)
		return -1;
	*v = c->p[0];
	return take(c, 1, NULL);
}

static inline int u16(struct cur *c, unsigned *v)
{
	if (c->n < 2)
		return -1;
	*v = (unsigned)c->p[0] << 8 | c->p[1];
	return take(c, 2, NULL);
}

/* Takes a vector with a 1- or 2-byte length prefix. */
static inline int vec(struct cur *c, unsigned lenbytes, struct cur *sub)
{
	unsigned k;

	if ((lenbytes == 1 ? u8(c, &k) : u16(c, &k)) != 0)
		return -1;
	return take(c, k, sub);
}

static inline int grease(unsigned v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* The JA3 text goes to MD5 through a small buffer: values are 1-6 bytes
 * and an md5_update call for each cost more than the hashing. */
struct ja3 {
	struct md5_ctx md5;
	int first;
	size_t n;
	uint8_t buf[256];
};

static inline void ja3_bytes(struct ja3 *j, const uint8_t *p, size_t k)
{
	if (j == NULL)
		return;  /* no JA3 wanted: the parse still checks every length */
	if (j->n + k > sizeof(j->buf)) {
		md5_update(&j->md5, j->n, j->buf);
		j->n = 0;
	}
	memcpy(j->buf + j->n, p, k);
	j->n += k;
}

static inline void ja3_put(struct ja3 *j, unsigned v)
{
	uint8_t b[8], t[5];
	size_t k = 0, d = 0;

	if (j == NULL)
		return;
	if (!j->first)
		b[k++] = '-';
	do
		t[d++] = (uint8_t)('0' + v % 10);
	while ((v /= 10) != 0 && d < sizeof(t));
	while (d > 0)
		b[k++] = t[--d];
	ja3_bytes(j, b, k);
	j->first = 0;
}

static inline void ja3_field(struct ja3 *j)
{
	ja3_bytes(j, (const uint8_t *)",", 1);
	if (j != NULL)
		j->first = 1;
}

/* Emits a list of width-byte values (1 or 2) in v; -1 when it has a torn
 * element. */
static inline int ja3_list(struct ja3 *j, struct cur v, unsigned width)
{
	unsigned x;

	if (v.n % width != 0)
		return -1;
	if (j == NULL)
		return 0;  /* whole elements only, so none is torn: nothing to read */
	while (v.n != 0) {
		if ((width == 1 ? u8(&v, &x) : u16(&v, &x)) != 0)
			return -1;
		if (!grease(x))
			ja3_put(j, x);
	}
	return 0;
}

static int sni(struct cur d, struct cp_tls_hello *h)
{
	struct cur list, name;
	unsigned type;

	if (vec(&d, 2, &list) != 0 || d.n != 0)
		return -1;
	while (list.n != 0) {
		if (u8(&list, &type) != 0 || vec(&list, 2, &name) != 0)
			return -1;
		if (type == 0 && h->sni_len == 0 && name.n > 0 && name.n < 256) {
			h->sni = (const char *)name.p;
			h->sni_len = (uint16_t)name.n;
		}
	}
	return 0;
}

/* The extensions block: SNI, and the JA3 extension, group and point-format
 * lists (the last two are emitted after the extension types). */
static int extensions(struct cur e, struct cp_tls_hello *h, struct ja3 *j)
{
	struct cur walk = e, d, groups = { NULL, 0 }, formats = { NULL, 0 };
	unsigned type;

	ja3_field(j);
	while (walk.n != 0) {
		if (u16(&walk, &type) != 0 || vec(&walk, 2, &d) != 0)
			return -1;
		if (!grease(type))
			ja3_put(j, type);
		if (type == EXT_SNI && sni(d, h) != 0)
			return -1;
		if (type == EXT_GROUPS && (vec(&d, 2, &groups) != 0 || d.n != 0))
			return -1;
		if (type == EXT_POINT_FORMATS && (vec(&d, 1, &formats) != 0 || d.n != 0))
			return -1;
	}
	ja3_field(j);
	if (groups.p != NULL && ja3_list(j, groups, 2) != 0)
		return -1;
	ja3_field(j);
	if (formats.p != NULL && ja3_list(j, formats, 1) != 0)
		return -1;
	return 0;
}

static int hello(struct cur b, struct cp_tls_hello *h, int want_ja3)
{
	struct cur ciphers, exts = { NULL, 0 };
	/* Set up only when wanted: an initialiser zeroed its 256-byte buffer
	 * and the MD5 state for every ClientHello. */
	struct ja3 j, *jp = NULL;
	unsigned version;

	if (want_ja3) {
		j.first = 1;
		j.n = 0;
		md5_init(&j.md5);
		jp = &j;
	}
	if (u16(&b, &version) != 0 || take(&b, 32, NULL) != 0 || vec(&b, 1, NULL) != 0 ||
	    vec(&b, 2, &ciphers) != 0 || vec(&b, 1, NULL) != 0)
		return -1;
	/* Extensions are optional (SSL 3.0 style); when present they fill the
	 * rest of the body exactly. */
	if (b.n != 0 && (vec(&b, 2, &exts) != 0 || b.n != 0))
		return -1;
	ja3_put(jp, version);
	ja3_field(jp);
	if (ja3_list(jp, ciphers, 2) != 0 || extensions(exts, h, jp) != 0)
		return -1;
	if (jp == NULL)
		return 0;
	md5_update(&j.md5, j.n, j.buf);
	md5_digest(&j.md5, sizeof(h->ja3), h->ja3);
	for (unsigned i = 0; i < 16; i++) {
		h->ja3_hex[2 * i] = "0123456789abcdef"[h->ja3[i] >> 4];
		h->ja3_hex[2 * i + 1] = "0123456789abcdef"[h->ja3[i] & 15];
	}
	return 0;
}

enum cp_l7 cp_parse_tls_hello(const uint8_t *pay, size_t len, struct cp_tls_hello *h,
			      enum cp_anomaly *why)
{
	return cp_parse_tls_hello_ja3(pay, len, h, 1, why);
}

enum cp_l7 cp_parse_tls_hello_ja3(const uint8_t *pay, size_t len, struct cp_tls_hello *h,
				  int want_ja3, enum cp_anomaly *why)
{
	struct cur c = { pay, len }, rec, body;
	unsigned type, ver = 0, rlen = 0, hs;  /* set by u16: len >= 5 was checked */

	h->sni = NULL;
	h->sni_len = 0;
	memset(h->ja3, 0, sizeof(h->ja3));
	memset(h->ja3_hex, 0, sizeof(h->ja3_hex));
	if (len < 1 || pay[0] != REC_HANDSHAKE)
		return CP_L7_NONE;
	if (len < 5)
		return CP_L7_PARTIAL;
	u8(&c, &type);
	u16(&c, &ver);
	u16(&c, &rlen);
	if (ver >> 8 != 3)
		return CP_L7_NONE;  /* not TLS after all */
	*why = CP_AN_TLS_LENGTH;
	if (rlen < 4 || rlen > REC_MAX)
		return CP_L7_BAD;
	take(&c, rlen > c.n ? c.n : rlen, &rec);
	if (rec.n < 4)
		return CP_L7_PARTIAL;
	if (rec.p[0] != HS_CLIENT_HELLO)
		return CP_L7_NONE;
	hs = (unsigned)rec.p[1] << 16 | (unsigned)rec.p[2] << 8 | rec.p[3];
	/* The hello must be whole: inside this record (one spanning records
	 * is not inspected) and inside this segment. */
	if (hs > rlen - 4 || rlen > rec.n)
		return CP_L7_PARTIAL;
	take(&rec, 4, NULL);
	if (take(&rec, hs, &body) != 0 || hello(body, h, want_ja3) != 0)
		return CP_L7_BAD;
	return CP_L7_OK;
}
