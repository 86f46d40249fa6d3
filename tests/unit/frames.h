/* Frame builders shared by the packet tests and the capture generator:
 * Ethernet, IPv4/IPv6, UDP/TCP, DNS queries, TLS ClientHellos, QUIC
 * client Initials. */
#ifndef CP_TEST_FRAMES_H
#define CP_TEST_FRAMES_H

#include "parse/parse.h"

#include <nettle/aes.h>
#include <nettle/gcm.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/* A frame under construction. */
struct fb {
	uint8_t b[4096];
	size_t n;
};

static inline void put(struct fb *f, const void *p, size_t n)
{
	if (f->n + n > sizeof(f->b))
		abort();  /* a test that builds past 4 KiB is broken */
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static inline void put8(struct fb *f, unsigned v)
{
	uint8_t x = (uint8_t)v;
	put(f, &x, 1);
}

static inline void put16(struct fb *f, unsigned v)
{
	put8(f, v >> 8);
	put8(f, v);
}

static inline void put24(struct fb *f, unsigned v)
{
	put8(f, v >> 16);
	put16(f, v);
}

static inline void at16(struct fb *f, size_t at, unsigned v)
{
	f->b[at] = (uint8_t)(v >> 8);
	f->b[at + 1] = (uint8_t)v;
}

static inline void eth(struct fb *f, unsigned vlans, unsigned type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	put(f, macs, 12);
	for (unsigned i = 0; i < vlans; i++) {
		put16(f, i == 0 && vlans > 1 ? 0x88a8 : 0x8100);
		put16(f, 100 + i);
	}
	put16(f, type);
}

/* Ethernet + IPv4 (+ options) + UDP/TCP + payload; returns the frame. */
static inline void udp4(struct fb *f, unsigned vlans, uint16_t dport, const void *pay, size_t n)
{
	eth(f, vlans, 0x0800);
	size_t ip = f->n;
	put8(f, 0x45), put8(f, 0), put16(f, 20 + 8 + (unsigned)n), put16(f, 1), put16(f, 0);
	put8(f, 64), put8(f, 17), put16(f, 0);
	put(f, (uint8_t[]){ 192, 0, 2, 1, 198, 51, 100, 7 }, 8);
	put16(f, 40000), put16(f, dport), put16(f, 8 + (unsigned)n), put16(f, 0);
	put(f, pay, n);
	(void)ip;
}

static inline void tcp4(struct fb *f, uint16_t dport, const void *pay, size_t n)
{
	eth(f, 0, 0x0800);
	/* IHL 6: one word of options (NOP NOP NOP EOL) */
	put8(f, 0x46), put8(f, 0), put16(f, 24 + 20 + (unsigned)n), put16(f, 1), put16(f, 0);
	put8(f, 64), put8(f, 6), put16(f, 0);
	put(f, (uint8_t[]){ 192, 0, 2, 1, 198, 51, 100, 7, 1, 1, 1, 0 }, 12);
	put16(f, 40000), put16(f, dport);
	put(f, (uint8_t[]){ 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0 }, 16);
	put(f, pay, n);
}

/* Ethernet + IPv4 from src to dst around the L4 bytes of protocol proto
 * (ICMP, SCTP, anything): the header is the caller's. */
static inline void ip4_l4(struct fb *f, unsigned proto, uint32_t src, uint32_t dst, const void *l4,
			  size_t n)
{
	eth(f, 0, 0x0800);
	put8(f, 0x45), put8(f, 0), put16(f, 20 + (unsigned)n), put16(f, 1), put16(f, 0);
	put8(f, 64), put8(f, proto), put16(f, 0);
	put16(f, src >> 16), put16(f, src & 0xffff), put16(f, dst >> 16), put16(f, dst & 0xffff);
	put(f, l4, n);
}

/* The same over IPv6, without extension headers. */
static inline void ip6_l4(struct fb *f, unsigned proto, const uint8_t *src, const uint8_t *dst,
			  const void *l4, size_t n)
{
	eth(f, 0, 0x86dd);
	put(f, (uint8_t[]){ 0x60, 0, 0, 0 }, 4);
	put16(f, (unsigned)n), put8(f, proto), put8(f, 64);
	put(f, src, 16), put(f, dst, 16);
	put(f, l4, n);
}

/* IPv6 with n hop-by-hop/destination-options headers before UDP. */
static inline void udp6(struct fb *f, unsigned next, unsigned n, int frag_off)
{
	size_t plen = (size_t)n * 8 + (frag_off >= 0 ? 8 : 0) + 8 + 2;

	eth(f, 0, 0x86dd);
	put(f, (uint8_t[]){ 0x60, 0, 0, 0 }, 4);
	put16(f, (unsigned)plen);
	put8(f, n ? next : frag_off >= 0 ? 44 : 17), put8(f, 64);
	put(f, (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 16);
	put(f, (uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 2 }, 16);
	for (unsigned i = 0; i < n; i++) {
		put8(f, i + 1 < n ? next : frag_off >= 0 ? 44 : 17);
		put(f, (uint8_t[7]){ 0 }, 7);
	}
	if (frag_off >= 0) {
		put8(f, 17), put8(f, 0), put16(f, (unsigned)frag_off), put(f, "\0\0\0\1", 4);
	}
	put16(f, 5353), put16(f, 53), put16(f, 10), put16(f, 0), put(f, "hi", 2);
}

/* A DNS query message for the wire-format name q (qlen bytes). */
static inline void dns_msg(struct fb *f, const void *q, size_t qlen, unsigned flags)
{
	put16(f, 0x1234), put16(f, flags), put16(f, 1), put16(f, 0), put16(f, 0), put16(f, 0);
	put(f, q, qlen);
	put16(f, 1), put16(f, 1);
}

/* A standard query for a dotted name (labels of at most 63 bytes). */
static inline void dns_query(struct fb *f, const char *name)
{
	uint8_t q[300];
	size_t k = 0;

	for (const char *p = name; *p && k < sizeof(q) - 66;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		q[k++] = (uint8_t)l;
		memcpy(q + k, p, l);
		k += l;
		p += l + (dot != NULL);
	}
	q[k++] = 0;
	dns_msg(f, q, k, 0x0100);
}

/* A ClientHello record: version 0x0303, GREASE and real values, SNI, groups
 * and point formats. Offsets of the lengths are returned for tampering. */
struct hello {
	struct fb f;
	size_t rec_len, hs_len, ext_len, sni_ext_len;
};

static inline void client_hello(struct hello *h, const char *sni)
{
	struct fb *f = &h->f;
	size_t n = strlen(sni);

	f->n = 0;
	put8(f, 22), put16(f, 0x0301), h->rec_len = f->n, put16(f, 0);
	put8(f, 1), h->hs_len = f->n, put24(f, 0);
	put16(f, 0x0303);
	put(f, (uint8_t[32]){ 7 }, 32);
	put8(f, 0);                                  /* session id */
	put16(f, 8), put16(f, 0x0a0a), put16(f, 0x1301), put16(f, 0x1302), put16(f, 0xc02b);
	put8(f, 1), put8(f, 0);                      /* compression: null */
	h->ext_len = f->n, put16(f, 0);
	size_t e0 = f->n;
	put16(f, 0x2a2a), put16(f, 0);               /* GREASE extension */
	put16(f, 0), h->sni_ext_len = f->n, put16(f, (unsigned)n + 5);
	put16(f, (unsigned)n + 3), put8(f, 0), put16(f, (unsigned)n), put(f, sni, n);
	put16(f, 10), put16(f, 8), put16(f, 6), put16(f, 0x3a3a), put16(f, 29), put16(f, 23);
	put16(f, 11), put16(f, 2), put8(f, 1), put8(f, 0);
	put16(f, 0xff01), put16(f, 1), put8(f, 0);   /* renegotiation_info */
	at16(f, h->ext_len, (unsigned)(f->n - e0));
	at16(f, h->rec_len, (unsigned)(f->n - h->rec_len - 2));
	f->b[h->hs_len] = 0;
	at16(f, h->hs_len + 1, (unsigned)(f->n - h->hs_len - 3));
}

/* A QUIC v1 client Initial (RFC 9001 §5) carrying the frames fr (n bytes),
 * padded to a 1200-byte datagram and protected with the keys of dcid, as a
 * client sends it: the UDP payload, into q. */
static inline void quic_initial(struct fb *q, const uint8_t *dcid, unsigned dl, uint32_t pn,
				const void *fr, size_t n)
{
	struct cp_quic_keys k;
	struct gcm_aes128_ctx g;
	struct aes128_ctx hp;
	uint8_t nonce[12], plain[1200] = { 0 }, mask[16];

	cp_quic_client_keys(dcid, dl, &k);
	q->n = 0;
	put8(q, 0xc3), put16(q, 0), put16(q, 1), put8(q, dl), put(q, dcid, dl), put8(q, 0), put8(q, 0);
	size_t plen = 1200 - q->n - 2;  /* packet number, frames, padding, tag */
	put16(q, 0x4000 | (unsigned)plen);
	size_t pn_off = q->n;
	put16(q, pn >> 16), put16(q, pn & 0xffff);
	size_t pt = plen - 4 - 16;
	if (n > pt)
		abort();
	memcpy(plain, fr, n);
	memcpy(nonce, k.iv, 12);
	for (unsigned i = 0; i < 4; i++)
		nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	gcm_aes128_set_key(&g, k.key);
	gcm_aes128_set_iv(&g, 12, nonce);
	gcm_aes128_update(&g, q->n, q->b);
	gcm_aes128_encrypt(&g, pt, q->b + q->n, plain);
	gcm_aes128_digest(&g, 16, q->b + q->n + pt);
	q->n += pt + 16;
	aes128_set_encrypt_key(&hp, k.hp);
	aes128_encrypt(&hp, 16, mask, q->b + pn_off + 4);
	q->b[0] ^= mask[0] & 0x0f;
	for (unsigned i = 0; i < 4; i++)
		q->b[pn_off + i] ^= mask[1 + i];
}

/* A CRYPTO frame of the n bytes d at offset off, both as 2-byte varints,
 * into f; returns its length. */
static inline size_t crypto_frame(uint8_t *f, unsigned off, const uint8_t *d, unsigned n)
{
	f[0] = 0x06, f[1] = (uint8_t)(0x40 | off >> 8), f[2] = (uint8_t)off;
	f[3] = (uint8_t)(0x40 | n >> 8), f[4] = (uint8_t)n;
	memcpy(f + 5, d, n);
	return 5 + n;
}

/* A client Initial of the 8-byte dcid whose one CRYPTO frame carries bytes
 * [from, to) of h's handshake message (to 0: to its end): the UDP payload,
 * into q. */
static inline void quic_hello(struct fb *q, const uint8_t *dcid, uint32_t pn,
			      const struct hello *h, size_t from, size_t to)
{
	uint8_t fr[1100];
	size_t hn = h->f.n - 5;  /* the handshake message, without its record */

	to = to == 0 || to > hn ? hn : to;
	quic_initial(q, dcid, 8, pn, fr,
		     crypto_frame(fr, (unsigned)from, h->f.b + 5 + from, (unsigned)(to - from)));
}

#endif
