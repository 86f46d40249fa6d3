/* QUIC v1 client Initial packets (RFC 9000 §17.2.2, RFC 9001 §5): the
 * TLS ClientHello inside, for its SNI and JA3, as over TCP.
 *
 * An Initial's keys come from its Destination Connection ID and a salt the
 * RFC publishes, so any observer can read it: HKDF gives key, IV and header
 * key; the header key unmasks the packet number; AES-128-GCM opens the
 * payload, whose CRYPTO frames (in any order, as browsers send them) hold
 * the hello. A hello that needs a second packet (an ML-KEM-768 key share
 * alone is 1184 bytes) is partial until that packet comes: the caller keeps a
 * client's CRYPTO bytes by DCID between packets. A packet whose tag does not verify is no client Initial (a
 * server's, or noise) and yields nothing. Data plane: no allocation; the
 * plaintext goes to the caller's scratch, the packet is left as it is. */
#include "parse/parse.h"

#include <nettle/aes.h>
#include <nettle/gcm.h>
#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <string.h>

#define QUIC_V1 0x00000001u
#define MIN_DATAGRAM 1200  /* a client pads its Initial datagrams to this (RFC 9000 §14.1) */

static const uint8_t salt_v1[20] = { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				     0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a };

/* A variable-length integer (RFC 9000 §16) at *p below end; -1 past end. */
static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if (*p >= end)
		return -1;
	unsigned n = 1u << (**p >> 6);
	if ((size_t)(end - *p) < n)
		return -1;
	*v = **p & 0x3f;
	for (unsigned i = 1; i < n; i++)
		*v = *v << 8 | (*p)[i];
	*p += n;
	return 0;
}

/* HKDF-Expand-Label (RFC 8446 §7.1) with an empty context. */
static void expand_label(const uint8_t prk[32], const char *label, uint8_t *out, unsigned n)
{
	struct hmac_sha256_ctx h;
	uint8_t info[2 + 1 + 32 + 1];
	size_t ll = strlen(label), k = 0;

	info[k++] = (uint8_t)(n >> 8), info[k++] = (uint8_t)n;
	info[k++] = (uint8_t)(6 + ll);
	memcpy(info + k, "tls13 ", 6), k += 6;
	memcpy(info + k, label, ll), k += ll;
	info[k++] = 0;
	hmac_sha256_set_key(&h, 32, prk);
	hkdf_expand(&h, (nettle_hash_update_func *)hmac_sha256_update,
		    (nettle_hash_digest_func *)hmac_sha256_digest, SHA256_DIGEST_SIZE, k, info, n, out);
}

void cp_quic_client_keys(const uint8_t *dcid, size_t dcid_len, struct cp_quic_keys *k)
{
	struct hmac_sha256_ctx h;
	uint8_t initial[32], client[32];

	hmac_sha256_set_key(&h, sizeof(salt_v1), salt_v1);
	hkdf_extract(&h, (nettle_hash_update_func *)hmac_sha256_update,
		     (nettle_hash_digest_func *)hmac_sha256_digest, SHA256_DIGEST_SIZE, dcid_len, dcid,
		     initial);
	expand_label(initial, "client in", client, 32);
	expand_label(client, "quic key", k->key, 16);
	expand_label(client, "quic iv", k->iv, 12);
	expand_label(client, "quic hp", k->hp, 16);
}

/* The CRYPTO frames' bytes at their offsets in q->hello (after a 5-byte
 * TLS record header, so the TCP parser takes it as it is), with the bytes
 * seen marked. Returns -1 on a frame an Initial may not carry or a length
 * past the payload. */
static int frames(struct cp_quic *q, const uint8_t *p, const uint8_t *end)
{
	uint64_t a, b, c;

	while (p < end) {
		uint8_t t = *p++;
		if (t == 0x00 || t == 0x01)  /* PADDING, PING */
			continue;
		if (t == 0x02 || t == 0x03) {  /* ACK: largest, delay, count, first range */
			if (varint(&p, end, &a) || varint(&p, end, &a) || varint(&p, end, &c) ||
			    varint(&p, end, &a) || c > 256)
				return -1;
			for (uint64_t i = 0; i < 2 * c + (t == 0x03 ? 3 : 0); i++)
				if (varint(&p, end, &a))
					return -1;
		} else if (t == 0x06) {  /* CRYPTO: offset, length, data */
			if (varint(&p, end, &a) || varint(&p, end, &b) || b > (uint64_t)(end - p))
				return -1;
			/* What lies past our buffer can only belong to a hello too
			 * long to keep: the check of its length says partial. */
			for (uint64_t i = 0; i < b && a + i < CP_QUIC_HELLO_MAX; i++) {
				uint64_t o = a + i, bit = 1ull << (o % 64);
				if (q->seen[o / 64] & bit)
					continue;  /* given before: the first stays */
				q->hello[5 + o] = p[i];
				q->seen[o / 64] |= bit;
			}
			p += b;
		} else if (t == 0x1c) {  /* CONNECTION_CLOSE: code, frame type, reason */
			if (varint(&p, end, &a) || varint(&p, end, &a) || varint(&p, end, &b) ||
			    b > (uint64_t)(end - p))
				return -1;
			p += b;
		} else {
			return -1;
		}
	}
	return 0;
}

static int seen_all(const struct cp_quic *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(q->seen[i / 64] >> (i % 64) & 1))
			return 0;
	return 1;
}

int cp_quic_initial_dcid(const uint8_t *pay, size_t len, const uint8_t **dcid,
			 unsigned *dcid_len)
{
	if (len < MIN_DATAGRAM || (pay[0] & 0xf0) != 0xc0 ||
	    ((uint32_t)pay[1] << 24 | (uint32_t)pay[2] << 16 | (uint32_t)pay[3] << 8 | pay[4]) !=
		    QUIC_V1 ||
	    pay[5] > 20)
		return 0;  /* not a v1 Initial (or too small to be a client's) */
	*dcid = pay + 6;
	*dcid_len = pay[5];
	return 1;
}

/* The Initial's header up to its packet number: its DCID, *pn_off where
 * the protected packet number starts, *end the packet's end (Length). */
static enum cp_l7 header(const uint8_t *pay, size_t len, const uint8_t **dcid, unsigned *dl,
			 size_t *pn_off, size_t *end)
{
	const uint8_t *p, *e = pay + len;
	uint64_t tok, plen;

	if (!cp_quic_initial_dcid(pay, len, dcid, dl))
		return CP_L7_NONE;
	p = *dcid + *dl;
	unsigned sl = *p++;
	if (sl > 20 || (size_t)(e - p) < sl)
		return CP_L7_NONE;
	p += sl;
	if (varint(&p, e, &tok) || tok > (uint64_t)(e - p))
		return CP_L7_NONE;
	p += tok;
	if (varint(&p, e, &plen) || plen > (uint64_t)(e - p) || plen < 4 + 16 + 16)
		return CP_L7_NONE;
	*pn_off = (size_t)(p - pay);
	*end = *pn_off + plen;
	return CP_L7_OK;
}

enum cp_l7 cp_parse_quic_hello(const uint8_t *pay, size_t len, struct cp_quic *q,
			       struct cp_tls_hello *h, int want_ja3, enum cp_anomaly *why)
{
	struct cp_quic_keys k;
	struct aes128_ctx hp;
	struct gcm_aes128_ctx g;
	const uint8_t *dcid;
	unsigned dl;
	size_t pn_off, end;
	uint8_t mask[16], aad[256], nonce[12], tag[16];
	enum cp_l7 r = header(pay, len, &dcid, &dl, &pn_off, &end);

	if (r != CP_L7_OK)
		return r;
	cp_quic_client_keys(dcid, dl, &k);
	/* Header protection: the sample is 16 bytes 4 past the packet number's
	 * start, whatever its length (RFC 9001 §5.4.2). */
	aes128_set_encrypt_key(&hp, k.hp);
	aes128_encrypt(&hp, 16, mask, pay + pn_off + 4);
	uint8_t first = pay[0] ^ (mask[0] & 0x0f);
	unsigned pnl = (first & 3) + 1;
	if (pn_off + pnl > sizeof(aad))
		return CP_L7_PARTIAL;  /* a token of hundreds of bytes: not opened */
	memcpy(aad, pay, pn_off + pnl);
	aad[0] = first;
	uint64_t pn = 0;
	for (unsigned i = 0; i < pnl; i++) {
		aad[pn_off + i] ^= mask[1 + i];
		pn = pn << 8 | aad[pn_off + i];
	}
	/* A client's first packets: the truncated number is the number. */
	memcpy(nonce, k.iv, 12);
	for (unsigned i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	size_t ct = end - pn_off - pnl - 16;
	if (ct > sizeof(q->plain))
		return CP_L7_PARTIAL;  /* a jumbo datagram: more than we open */
	gcm_aes128_set_key(&g, k.key);
	gcm_aes128_set_iv(&g, 12, nonce);
	gcm_aes128_update(&g, pn_off + pnl, aad);
	gcm_aes128_decrypt(&g, ct, q->plain, pay + pn_off + pnl);
	gcm_aes128_digest(&g, 16, tag);
	if (memcmp(tag, pay + pn_off + pnl + ct, 16) != 0)
		return CP_L7_NONE;  /* not a client's Initial (a server's, or noise) */
	if (q->dcid_len != dl || memcmp(q->dcid, dcid, dl) != 0) {  /* another client's */
		memset(q->seen, 0, sizeof(q->seen));
		memcpy(q->dcid, dcid, dl);
		q->dcid_len = (uint8_t)dl;
	}
	*why = CP_AN_QUIC_FRAME;
	if (frames(q, q->plain, q->plain + ct) != 0)
		return CP_L7_BAD;
	/* The hello from offset 0: type 1 and its 24-bit length, all seen. */
	if (!seen_all(q, 4))
		return CP_L7_PARTIAL;
	if (q->hello[5] != 0x01)
		return CP_L7_NONE;
	size_t hl = 4 + ((size_t)q->hello[6] << 16 | (size_t)q->hello[7] << 8 | q->hello[8]);
	if (hl > CP_QUIC_HELLO_MAX || !seen_all(q, hl))
		return CP_L7_PARTIAL;
	q->hello[0] = 0x16, q->hello[1] = 0x03, q->hello[2] = 0x01;
	q->hello[3] = (uint8_t)(hl >> 8), q->hello[4] = (uint8_t)hl;
	return cp_parse_tls_hello_ja3(q->hello, 5 + hl, h, want_ja3, why);
}
