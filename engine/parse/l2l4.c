/* Ethernet to L4. Data plane: every read is preceded by a length check
 * against the frame, then against the IP packet's own length. */
#include "parse/parse.h"

#include <string.h>

#define ETH_HLEN 14
#define ET_IPV4 0x0800
#define ET_IPV6 0x86dd
#define ET_VLAN 0x8100
#define ET_QINQ 0x88a8

enum { P_HOPOPTS = 0, P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_ROUTING = 43, P_FRAGMENT = 44,
       P_ESP = 50, P_AH = 51, P_ICMP6 = 58, P_NONE6 = 59, P_DSTOPTS = 60, P_SCTP = 132 };

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static const char *const names[CP_AN__COUNT] = {
	[CP_AN_NONE] = "none",
	[CP_AN_L2_TRUNC] = "truncated ethernet",
	[CP_AN_VLAN_DEPTH] = "too many vlan tags",
	[CP_AN_IP4_TRUNC] = "truncated ipv4",
	[CP_AN_IP4_HDR] = "bad ipv4 header",
	[CP_AN_IP6_TRUNC] = "truncated ipv6",
	[CP_AN_IP6_EXT_DEPTH] = "too many ipv6 extension headers",
	[CP_AN_L4_TRUNC] = "truncated l4 header",
	[CP_AN_DNS_TRUNC] = "truncated dns question",
	[CP_AN_DNS_POINTER] = "bad dns compression pointer",
	[CP_AN_DNS_LIMIT] = "dns name over rfc limits",
	[CP_AN_DNS_LABEL] = "bad dns label",
	[CP_AN_TLS_LENGTH] = "bad tls length",
	[CP_AN_HTTP_SYNTAX] = "bad http request",
	[CP_AN_QUIC_FRAME] = "bad quic initial frame",
};

const char *cp_anomaly_name(enum cp_anomaly a)
{
	return (unsigned)a < CP_AN__COUNT ? names[a] : "unknown";
}

/* ICMP and ICMPv6: type and code where the ports go, as flows key them
 * (Zeek, Community ID), the payload from the type on, as before. 4 bytes:
 * type, code and checksum, the header both versions share. */
static enum cp_anomaly icmp(const uint8_t *f, uint32_t off, uint32_t end, struct cp_pkt *p)
{
	if (end - off < 4)
		return CP_AN_L4_TRUNC;
	p->sport = f[off];
	p->dport = f[off + 1];
	p->pay_off = off;
	p->pay_len = end - off;
	return CP_AN_NONE;
}

/* TCP, UDP or SCTP at off (ports, then the payload), ICMP, or another
 * protocol (no ports, its payload from L4), inside an IP payload that ends
 * at end. */
static enum cp_anomaly l4(const uint8_t *f, uint32_t off, uint32_t end, uint8_t proto,
			  struct cp_pkt *p)
{
	p->proto = proto;
	if (p->frag == CP_FRAG_LATER)
		return CP_AN_NONE;
	if (proto == P_TCP) {
		if (end - off < 20 || (unsigned)(f[off + 12] >> 4) * 4 < 20 ||
		    (unsigned)(f[off + 12] >> 4) * 4 > end - off)
			return CP_AN_L4_TRUNC;
		p->pay_off = off + (unsigned)(f[off + 12] >> 4) * 4;
	} else if (proto == P_UDP) {
		uint16_t ulen = end - off >= 8 ? rd16(f + off + 4) : 0;
		if (end - off < 8 || ulen < 8 || ulen > end - off)
			return CP_AN_L4_TRUNC;
		p->pay_off = off + 8;
		end = off + ulen;
	} else if (proto == P_ICMP || proto == P_ICMP6) {
		return icmp(f, off, end, p);
	} else if (proto == P_SCTP) {
		if (end - off < 12)  /* the common header: ports, tag, checksum */
			return CP_AN_L4_TRUNC;
		p->pay_off = off + 12;
	} else {
		p->pay_off = off;
		p->pay_len = end - off;
		return CP_AN_NONE;
	}
	p->sport = rd16(f + off);
	p->dport = rd16(f + off + 2);
	p->pay_len = end - p->pay_off;
	return CP_AN_NONE;
}

static enum cp_anomaly ipv4(const uint8_t *f, uint32_t off, uint32_t len, struct cp_pkt *p)
{
	if (len - off < 20)
		return CP_AN_IP4_TRUNC;
	const uint8_t *h = f + off;
	unsigned ihl = (h[0] & 15u) * 4;
	uint16_t tot = rd16(h + 2), fo = rd16(h + 6);

	if (h[0] >> 4 != 4 || ihl < 20)
		return CP_AN_IP4_HDR;
	/* Frames may carry Ethernet padding after the packet; never the reverse. */
	if (ihl > len - off || tot < ihl || tot > len - off)
		return CP_AN_IP4_TRUNC;
	p->family = 4;
	memcpy(p->src, h + 12, 4);
	memcpy(p->dst, h + 16, 4);
	if (fo & 0x1fff)
		p->frag = CP_FRAG_LATER;
	else if (fo & 0x2000)
		p->frag = CP_FRAG_FIRST;
	return l4(f, off + ihl, off + tot, h[9], p);
}

static enum cp_anomaly ipv6(const uint8_t *f, uint32_t off, uint32_t len, struct cp_pkt *p)
{
	if (len - off < 40)
		return CP_AN_IP6_TRUNC;
	const uint8_t *h = f + off;
	uint32_t end = off + 40 + rd16(h + 4);
	uint8_t nh = h[6];

	if (h[0] >> 4 != 6 || end > len)
		return CP_AN_IP6_TRUNC;
	p->family = 6;
	memcpy(p->src, h + 8, 16);
	memcpy(p->dst, h + 24, 16);
	off += 40;
	for (unsigned i = 0;; i++) {
		uint32_t hl;

		if (nh != P_HOPOPTS && nh != P_ROUTING && nh != P_FRAGMENT && nh != P_DSTOPTS &&
		    nh != P_AH)
			break;
		if (i == CP_PARSE_MAX_IP6_EXT)
			return CP_AN_IP6_EXT_DEPTH;
		if (end - off < 8)
			return CP_AN_IP6_TRUNC;
		if (nh == P_FRAGMENT) {
			uint16_t fo = rd16(f + off + 2);
			p->frag = (fo & 0xfff8) ? CP_FRAG_LATER : (fo & 1) ? CP_FRAG_FIRST : p->frag;
			hl = 8;
		} else if (nh == P_AH) {
			hl = ((uint32_t)f[off + 1] + 2) * 4;
		} else {
			hl = ((uint32_t)f[off + 1] + 1) * 8;
		}
		if (hl > end - off)
			return CP_AN_IP6_TRUNC;
		nh = f[off];
		off += hl;
	}
	if (nh == P_ESP || nh == P_NONE6)
		return CP_AN_NONE;  /* nothing readable after these */
	return l4(f, off, end, nh, p);
}

enum cp_anomaly cp_parse_l2l4(const uint8_t *f, uint32_t len, struct cp_pkt *p)
{
	uint32_t off = ETH_HLEN;
	uint16_t et;

	memset(p, 0, sizeof(*p));
	if (len < ETH_HLEN)
		return CP_AN_L2_TRUNC;
	et = rd16(f + 12);
	while (et == ET_VLAN || et == ET_QINQ) {
		if (p->vlans == CP_PARSE_MAX_VLAN)
			return CP_AN_VLAN_DEPTH;
		if (len - off < 4)
			return CP_AN_L2_TRUNC;
		et = rd16(f + off + 2);
		off += 4;
		p->vlans++;
	}
	p->l3_off = off;
	if (et == ET_IPV4)
		return ipv4(f, off, len, p);
	if (et == ET_IPV6)
		return ipv6(f, off, len, p);
	return CP_AN_NONE;
}
