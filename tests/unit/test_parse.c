/* Packet parsing: each layer on well-formed packets, then the malformed
 * ones the fast path must survive and count: every truncation, stacked tags,
 * long IPv6 chains, DNS pointer loops, TLS lengths that lie. */
#include "helpers.h"
#include "frames.h"
#include "indicator/indicator.h"
#include "parse/parse.h"

#include <nettle/md5.h>

Test(parse, ipv4_udp_with_vlans_and_padding)
{
	struct fb f = { .n = 0 };
	struct cp_pkt p;

	udp4(&f, 2, 53, "abc", 3);
	put(&f, "\0\0\0\0\0\0", 6);  /* Ethernet padding after the IP packet */
	cr_assert_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_NONE);
	cr_expect_eq(p.family, 4);
	cr_expect_eq(p.vlans, 2);
	cr_expect_eq(p.proto, 17);
	cr_expect_eq(p.sport, 40000);
	cr_expect_eq(p.dport, 53);
	cr_expect_eq(p.pay_len, 3u, "padding is not payload");
	cr_expect(memcmp(f.b + p.pay_off, "abc", 3) == 0);
	cr_expect(memcmp(p.src, (uint8_t[]){ 192, 0, 2, 1 }, 4) == 0);
	cr_expect(memcmp(p.dst, (uint8_t[]){ 198, 51, 100, 7 }, 4) == 0);
}

Test(parse, ipv4_tcp_options_and_every_truncation)
{
	struct fb f = { .n = 0 };
	struct cp_pkt p;

	tcp4(&f, 80, "GET / HTTP/1.1\r\n", 16);
	cr_assert_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_NONE);
	cr_expect_eq(p.pay_len, 16u);
	cr_expect_eq(p.dport, 80);
	for (uint32_t len = 0; len < f.n; len++) {
		enum cp_anomaly a = cp_parse_l2l4(f.b, len, &p);
		cr_assert_neq(a, CP_AN_NONE, "truncated to %u parsed", len);
		cr_assert(a == (len < 14 ? CP_AN_L2_TRUNC : CP_AN_IP4_TRUNC), "len %u: %s", len,
			  cp_anomaly_name(a));
	}
}

Test(parse, vlan_stacks)
{
	struct fb f = { .n = 0 };
	struct cp_pkt p;

	udp4(&f, 3, 53, "x", 1);
	cr_expect_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_VLAN_DEPTH);
	f.n = 0;
	eth(&f, 300, 0x0800);  /* hundreds of stacked tags */
	cr_expect_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_VLAN_DEPTH);
	f.n = 0;
	eth(&f, 0, 0x0806);  /* ARP: not IP, nothing to match */
	put(&f, "\0\0\0\0\0\0\0\0", 8);
	cr_expect_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_NONE);
	cr_expect_eq(p.family, 0);
}

Test(parse, ipv4_bad_header_and_fragments)
{
	struct fb f = { .n = 0 };
	struct cp_pkt p;

	udp4(&f, 0, 53, "abcd", 4);
	f.b[14] = 0x44;  /* IHL 4 */
	cr_expect_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_IP4_HDR);
	f.b[14] = 0x45;
	at16(&f, 14 + 6, 0x0010);  /* offset 16: a later fragment */
	cr_assert_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_NONE);
	cr_expect_eq(p.family, 4, "IP indicators match every fragment");
	cr_expect_eq(p.frag, CP_FRAG_LATER);
	cr_expect_eq(p.dport, 0, "no L4 in a later fragment");
	at16(&f, 14 + 6, 0x2000);  /* MF, offset 0: the first fragment */
	cr_assert_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_NONE);
	cr_expect_eq(p.frag, CP_FRAG_FIRST);
	cr_expect_eq(p.dport, 53);
	at16(&f, 14 + 24, 7);  /* UDP length below its header */
	at16(&f, 14 + 6, 0);
	cr_expect_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_L4_TRUNC);
	cr_expect_eq(p.family, 4, "the IP layer stays usable");
}

/* A well-formed frame's L4 fields. */
static void expect_l4(const struct fb *f, unsigned proto, unsigned sport, unsigned dport,
		      uint32_t pay_len)
{
	struct cp_pkt p;

	cr_assert_eq(cp_parse_l2l4(f->b, (uint32_t)f->n, &p), CP_AN_NONE);
	cr_expect_eq(p.proto, proto);
	cr_expect_eq(p.sport, sport, "proto %u", proto);
	cr_expect_eq(p.dport, dport, "proto %u", proto);
	cr_expect_eq(p.pay_len, pay_len, "proto %u", proto);
}

/* ICMP's type and code go where the ports go (flows key them so), SCTP's
 * ports are read, and a header cut short is counted with the IP layer
 * kept; another protocol has no ports and its payload starts at L4. */
Test(parse, icmp_sctp_and_other_protocols)
{
	static const uint8_t a6[16] = { 0xfe, 0x80, [15] = 1 }, b6[16] = { 0xfe, 0x80, [15] = 2 };
	struct fb f = { .n = 0 };
	struct cp_pkt p;

	/* An echo request: type 8, code 0, and the payload from the type on,
	 * for the pattern scans. */
	ip4_l4(&f, 1, 0xc0a80059, 0xc0a80001, "\x08\x00\xf7\xff\x00\x01\x00\x01", 8);
	expect_l4(&f, 1, 8, 0, 8);
	for (uint32_t cut = 1; cut <= 4; cut++) {
		cr_expect_eq(cp_parse_l2l4(f.b, (uint32_t)f.n - 4 - cut, &p), CP_AN_IP4_TRUNC);
		f.n -= 4 + cut;
		at16(&f, 14 + 2, 20 + 4 - cut);  /* the IP length agrees: 4 - cut bytes */
		cr_expect_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_L4_TRUNC, "cut %u", cut);
		cr_expect_eq(p.family, 4, "the IP layer stays usable");
		f.n += 4 + cut;
		at16(&f, 14 + 2, 28);
	}
	f.n = 0;
	ip6_l4(&f, 58, a6, b6, "\x87\x00\x00\x00", 4);  /* neighbour solicitation */
	expect_l4(&f, 58, 135, 0, 4);
	f.n = 0;
	ip4_l4(&f, 132, 0xc0a8aa08, 0xc0a8aa38, "\x00\x07\x00\x50\0\0\0\0\0\0\0\0DATA", 16);
	expect_l4(&f, 132, 7, 80, 4);  /* the chunks after the common header */
	at16(&f, 14 + 2, 20 + 11);
	cr_expect_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_L4_TRUNC, "11 bytes of 12");
	f.n = 0;
	ip4_l4(&f, 46, 0x0a011804, 0x0a010c01, "\x01\x02\x03", 3);
	expect_l4(&f, 46, 0, 0, 3);
}

Test(parse, ipv6_extension_chains)
{
	struct fb f = { .n = 0 };
	struct cp_pkt p;

	udp6(&f, 60, 7, -1);
	cr_assert_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_NONE);
	cr_expect_eq(p.family, 6);
	cr_expect_eq(p.dport, 53);
	cr_expect_eq(p.pay_len, 2u);
	f.n = 0;
	udp6(&f, 60, 8, 0x0001);  /* 8 options headers and a first fragment: 9 */
	cr_expect_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_IP6_EXT_DEPTH);
	f.n = 0;
	udp6(&f, 0, 200, -1);     /* a long chain */
	cr_expect_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_IP6_EXT_DEPTH);
	cr_expect_eq(p.family, 6, "addresses are known before the chain");
	f.n = 0;
	udp6(&f, 60, 1, 0x0008);  /* a later fragment */
	cr_assert_eq(cp_parse_l2l4(f.b, (uint32_t)f.n, &p), CP_AN_NONE);
	cr_expect_eq(p.frag, CP_FRAG_LATER);
	cr_expect_eq(p.dport, 0);
	for (uint32_t len = 14; len < f.n; len++)
		cr_assert_eq(cp_parse_l2l4(f.b, len, &p), CP_AN_IP6_TRUNC, "len %u", len);
}

static enum cp_l7 dns(const struct fb *f, char *out, enum cp_anomaly *why)
{
	size_t n;
	int canon;
	return cp_parse_dns_query(f->b, f->n, out, &n, &canon, why);
}

Test(parse, dns_query_names)
{
	static const uint8_t www[] = "\3www\7Example\3com";
	struct fb f = { .n = 0 };
	char out[CP_DNS_NAME_MAX + 1];
	enum cp_anomaly why = CP_AN_NONE;
	size_t n;
	int canon;

	dns_msg(&f, www, sizeof(www), 0x0100);
	cr_assert_eq(cp_parse_dns_query(f.b, f.n, out, &n, &canon, &why), CP_L7_OK);
	cr_expect_str_eq(out, "www.Example.com");
	cr_expect_eq(n, 15u);
	cr_expect_eq(canon, 0, "upper case: the name still needs normalising");
	for (size_t len = 0; len < 12 + sizeof(www); len++)
		cr_assert_eq(cp_parse_dns_query(f.b, len, out, &n, &canon, &why), CP_L7_BAD, "len %zu", len);
	f.n = 0;
	dns_msg(&f, www, sizeof(www), 0x8180);  /* a response */
	cr_expect_eq(dns(&f, out, &why), CP_L7_NONE);
	f.n = 0;
	dns_msg(&f, "", 1, 0x0100);  /* the root */
	cr_expect_eq(dns(&f, out, &why), CP_L7_NONE);
}

/* The parse says a name is canonical only when the normaliser would leave
 * it as it is: labels short (one vector) and long (the byte loop), and
 * each kind of byte that makes a name not so. */
Test(parse, dns_canonical_names)
{
	static const struct {
		const char *name;
		int canon;
	} cases[] = {
		{ "www.example.com", 1 },
		{ "_dmarc.ex-ample.c0m", 1 },
		{ "a.b", 1 },
		{ "abcdefghijklmnopqrstuvwxyz0123456789-_.example.com", 1 },
		{ "abcdefghijklmnopqrstuvwxyz0123456789-_.exAmple.com", 0 },
		{ "abcdefghijklmnopqrstuvwxyZ0123456789-_.example.com", 0 },
		{ "www.Example.com", 0 },
		{ "a*b.com", 0 },
		{ "a b.com", 0 },
		{ "caf\xc3\xa9.fr", 0 },
		{ "xn--caf-dma.fr", 1 },
		{ "a:b.com", 0 },
		{ "abcdefghijklmnopqrstu/wxyz.com", 0 },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fb f = { .n = 0 };
		char out[CP_DNS_NAME_MAX + 1], copy[CP_DNS_NAME_MAX + 1];
		enum cp_anomaly why;
		const char *w;
		size_t n, k;
		int canon = -1;

		dns_query(&f, cases[i].name);
		cr_assert_eq(cp_parse_dns_query(f.b, f.n, out, &n, &canon, &why), CP_L7_OK, "%s",
			     cases[i].name);
		cr_assert_str_eq(out, cases[i].name);
		cr_expect_eq(canon, cases[i].canon, "%s", cases[i].name);
		memcpy(copy, out, n + 1);
		k = n;
		int unchanged = cp_norm_domain_inplace(copy, &k, &w) == 0 && k == n &&
				memcmp(copy, out, n) == 0;
		cr_expect_eq(unchanged, cases[i].canon, "%s: the normaliser %s it", cases[i].name,
			     unchanged ? "leaves" : "changes or refuses");
	}
}

Test(parse, dns_compression_pointers)
{
	struct fb f = { .n = 0 };
	char out[CP_DNS_NAME_MAX + 1];
	enum cp_anomaly why;

	/* "www" then a pointer to offset 6, where the header's ANCOUNT and
	 * NSCOUNT spell \1 a \0: a compressed name "www.a". */
	dns_msg(&f, "\3www\xc0\x06", 6, 0x0100);
	at16(&f, 6, 0x0161);
	at16(&f, 8, 0x0000);
	cr_assert_eq(dns(&f, out, &why), CP_L7_OK);
	cr_expect_str_eq(out, "www.a");
	/* pointing at itself, forward, and past the end */
	static const char *const bad[] = { "\3www\xc0\x10", "\3www\xc0\x11", "\xc0\x0c", "\3www\xc0\xff" };
	for (unsigned i = 0; i < 4; i++) {
		f.n = 0;
		dns_msg(&f, bad[i], strlen(bad[i]), 0x0100);
		cr_expect_eq(dns(&f, out, &why), CP_L7_BAD, "case %u", i);
		cr_expect_eq(why, CP_AN_DNS_POINTER, "case %u: %s", i, cp_anomaly_name(why));
	}
	/* after a label, a pointer to itself */
	f.n = 0;
	dns_msg(&f, "\1a\xc0\x0e", 4, 0x0100);  /* 12: \1 a, 14: ptr -> 14 */
	cr_expect_eq(dns(&f, out, &why), CP_L7_BAD);
	cr_expect_eq(why, CP_AN_DNS_POINTER);
}

Test(parse, dns_limits_and_labels)
{
	struct fb f = { .n = 0 };
	uint8_t q[400];
	char out[CP_DNS_NAME_MAX + 1];
	enum cp_anomaly why;
	size_t k = 0;

	q[k++] = 64;  /* 0x40: a reserved label type, and over 63 */
	memset(q + k, 'a', 64), k += 64, q[k++] = 0;
	dns_msg(&f, q, k, 0x0100);
	cr_expect_eq(dns(&f, out, &why), CP_L7_BAD);
	cr_expect_eq(why, CP_AN_DNS_LABEL);
	/* 4 labels of 63: 257 bytes on the wire */
	for (k = 0; k < 4 * 64; k += 64)
		q[k] = 63, memset(q + k + 1, 'b', 63);
	q[k++] = 0;
	f.n = 0;
	dns_msg(&f, q, k, 0x0100);
	cr_expect_eq(dns(&f, out, &why), CP_L7_BAD);
	cr_expect_eq(why, CP_AN_DNS_LIMIT);
	/* 3 labels of 63 and one of 61: 255 bytes, the longest legal name */
	q[3 * 64] = 61;
	q[3 * 64 + 62] = 0;
	f.n = 0;
	dns_msg(&f, q, 3 * 64 + 63, 0x0100);
	cr_expect_eq(dns(&f, out, &why), CP_L7_OK);
	cr_expect_eq(strlen(out), 253u);
	f.n = 0;
	dns_msg(&f, "\3a.b\0", 5, 0x0100);
	cr_expect_eq(dns(&f, out, &why), CP_L7_BAD, "a dot inside a label");
	cr_expect_eq(why, CP_AN_DNS_LABEL);
}

/* Every label length up to past the 16-byte copy, with a dot or a NUL at
 * each place in it: refused, whether or not 16 bytes follow the label (an
 * EDNS record after the question makes them follow). The same bytes just
 * after the label are not part of it. */
Test(parse, dns_label_bytes)
{
	char out[CP_DNS_NAME_MAX + 1], want[64];
	enum cp_anomaly why;

	for (unsigned l = 1; l <= 20; l++) {
		for (unsigned pad = 0; pad <= 32; pad += 32) {
			for (unsigned at = 0; at <= l; at++) {
				for (unsigned c = 0; c < 2; c++) {
					uint8_t q[128];
					struct fb f = { .n = 0 };
					size_t k = 0;
					q[k++] = (uint8_t)l;
					memset(q + k, 'x', l);
					/* at == l: the odd byte is the next label's length. */
					if (at < l)
						q[k + at] = c ? '.' : '\0';
					k += l;
					q[k++] = at == l ? (c ? '.' : 1) : 1;
					memset(q + k, 'y', q[k - 1]);
					k += q[k - 1];
					q[k++] = 0;
					dns_msg(&f, q, k, 0x0100);
					for (unsigned i = 0; i < pad; i++)
						f.b[f.n++] = (uint8_t)(i % 2 ? '.' : 0);
					enum cp_l7 r = dns(&f, out, &why);
					if (at < l) {
						cr_assert_eq(r, CP_L7_BAD, "l %u pad %u at %u c %u", l, pad, at, c);
						cr_assert_eq(why, CP_AN_DNS_LABEL);
						continue;
					}
					cr_assert_eq(r, CP_L7_OK, "l %u pad %u c %u", l, pad, c);
					memset(want, 'x', l);
					want[l] = '.';
					memset(want + l + 1, 'y', q[l + 1]);
					want[l + 1 + q[l + 1]] = '\0';
					cr_assert_str_eq(out, want);
				}
			}
		}
	}
}

/* The oracle for the differential test below: the first question's name
 * read a byte at a time, as RFC 1035 §4.1.4 and §2.3.4 say (pointers only
 * backwards, at most 64 hops; labels 1-63 bytes, 255 bytes on the wire; no
 * '.' or NUL in a label, which the text could not carry). */
static enum cp_l7 ref_dns(const uint8_t *m, size_t len, char *out, size_t *n, int *canon,
			  enum cp_anomaly *why)
{
	size_t at = 12, o = 0, wire = 1, hops = 0;
	int c = 1;

	if (len < 12)
		return *why = CP_AN_DNS_TRUNC, CP_L7_BAD;
	if ((m[2] & 0xf8) != 0 || (m[4] == 0 && m[5] == 0))
		return CP_L7_NONE;
	for (;;) {
		if (at >= len)
			return *why = CP_AN_DNS_TRUNC, CP_L7_BAD;
		unsigned l = m[at];
		if (l >= 0xc0) {
			if (at + 1 >= len)
				return *why = CP_AN_DNS_TRUNC, CP_L7_BAD;
			size_t to = (l & 0x3f) << 8 | m[at + 1];
			if (to >= at || ++hops > 64)
				return *why = CP_AN_DNS_POINTER, CP_L7_BAD;
			at = to;
			continue;
		}
		if (l >= 0x40)
			return *why = CP_AN_DNS_LABEL, CP_L7_BAD;
		if (l == 0)
			break;
		if ((wire += 1 + l) > 255)
			return *why = CP_AN_DNS_LIMIT, CP_L7_BAD;
		if (at + 1 + l > len)
			return *why = CP_AN_DNS_TRUNC, CP_L7_BAD;
		if (o != 0)
			out[o++] = '.';
		for (unsigned k = 0; k < l; k++) {
			uint8_t b = m[at + 1 + k];
			if (b == '.' || b == 0)
				return *why = CP_AN_DNS_LABEL, CP_L7_BAD;
			c &= (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '_';
			out[o++] = (char)b;
		}
		at += 1 + l;
	}
	if (o == 0)
		return CP_L7_NONE;
	out[o] = '\0';
	*n = o;
	*canon = c;
	return CP_L7_OK;
}

/* Random names against the oracle: the whole-name fast path (names of up
 * to 63 bytes on the wire, without pointers) and the label loop must agree
 * on every result, name, reason and canonical flag. Labels of every length,
 * bytes of every class, pointers, reserved label types and truncations. */
Test(parse, dns_names_against_reference)
{
	static const char alpha[] = "abcxyz0189-_AZ./*\0\x80\xff";
	uint64_t r = 0x9e3779b97f4a7c15ull;
	unsigned agree_ok = 0, agree_bad = 0;

	for (unsigned it = 0; it < 200000; it++) {
		uint8_t q[400];
		size_t k = 0;
		r = r * 6364136223846793005ull + 1442695040888963407ull;
		unsigned labels = 1 + (unsigned)(r >> 60) % 8 + ((r >> 20) % 16 == 0 ? 30 : 0);
		for (unsigned i = 0; i < labels && k < 330; i++) {
			r = r * 6364136223846793005ull + 1442695040888963407ull;
			unsigned l = (r >> 33) % 8 == 0 ? (unsigned)(r >> 40) % 64 : 1 + (unsigned)(r >> 40) % 12;
			if ((r >> 50) % 64 == 0)  /* a pointer, or a reserved type */
				l = (unsigned)(r >> 56) % 2 ? 0xc0 : 0x40 + (unsigned)(r >> 57) % 0x80;
			q[k++] = (uint8_t)l;
			if (l >= 0x40) {
				q[k++] = (uint8_t)(r >> 8);
				break;
			}
			for (unsigned j = 0; j < l; j++) {
				r = r * 6364136223846793005ull + 1442695040888963407ull;
				unsigned pick = (r >> 58) < 60 ? (unsigned)(r >> 40) % 10 : (unsigned)(r >> 40) % 19;
				q[k++] = (uint8_t)alpha[pick];
			}
		}
		q[k++] = 0;
		struct fb f = { .n = 0 };
		dns_msg(&f, q, k, 0x0100);
		size_t len = f.n;
		if ((r >> 12) % 8 == 0)  /* cut short */
			len = 12 + (size_t)(r >> 24) % (k + 1);
		char out[CP_DNS_NAME_MAX + 1], want[400];
		size_t n = 0, wn = 0;
		int canon = -1, wcanon = -1;
		enum cp_anomaly why = CP_AN_NONE, wwhy = CP_AN_NONE;
		enum cp_l7 got = cp_parse_dns_query(f.b, len, out, &n, &canon, &why);
		enum cp_l7 exp = ref_dns(f.b, len, want, &wn, &wcanon, &wwhy);
		cr_assert_eq(got, exp, "case %u: %d, oracle %d", it, got, exp);
		if (exp == CP_L7_BAD) {
			cr_assert_eq(why, wwhy, "case %u: %s, oracle %s", it, cp_anomaly_name(why),
				     cp_anomaly_name(wwhy));
			agree_bad++;
		}
		if (exp != CP_L7_OK)
			continue;
		cr_assert_eq(n, wn, "case %u", it);
		cr_assert(memcmp(out, want, n) == 0 && out[n] == '\0', "case %u: %s / %s", it, out, want);
		cr_assert_eq(canon, wcanon, "case %u: %s", it, want);
		agree_ok++;
	}
	/* Both outcomes were drawn often enough to mean something. */
	cr_expect_gt(agree_ok, 20000u);
	cr_expect_gt(agree_bad, 20000u);
}

Test(parse, dns_over_tcp)
{
	const uint8_t *m;
	size_t n;

	cr_expect_eq(cp_parse_dns_tcp((const uint8_t *)"\0\3abc", 5, &m, &n), CP_L7_OK);
	cr_expect_eq(n, 3u);
	cr_expect_eq(cp_parse_dns_tcp((const uint8_t *)"\0\4abc", 5, &m, &n), CP_L7_PARTIAL);
	cr_expect_eq(cp_parse_dns_tcp((const uint8_t *)"\0", 1, &m, &n), CP_L7_PARTIAL);
}

Test(parse, tls_sni_and_ja3)
{
	static const char ja3[] = "771,4865-4866-49195,0-10-11-65281,29-23,0";
	struct hello h;
	struct cp_tls_hello t;
	enum cp_anomaly why;
	struct md5_ctx md5;
	uint8_t want[16];

	client_hello(&h, "Evil.Example");
	cr_assert_eq(cp_parse_tls_hello(h.f.b, h.f.n, &t, &why), CP_L7_OK);
	cr_expect(t.sni_len == 12 && memcmp(t.sni, "Evil.Example", 12) == 0, "SNI");
	md5_init(&md5);
	md5_update(&md5, strlen(ja3), (const uint8_t *)ja3);
	md5_digest(&md5, 16, want);
	cr_expect(memcmp(t.ja3, want, 16) == 0, "JA3 of '%s', GREASE left out: got %s", ja3,
		  t.ja3_hex);
	cr_expect_eq(cp_parse_tls_hello(h.f.b, 0, &t, &why), CP_L7_NONE, "an empty payload");
	for (size_t len = 1; len < h.f.n; len++)
		cr_assert_eq(cp_parse_tls_hello(h.f.b, len, &t, &why), CP_L7_PARTIAL,
			     "split at %zu is uninspected", len);
	/* Without the JA3: the same SNI, no digest. */
	cr_assert_eq(cp_parse_tls_hello_ja3(h.f.b, h.f.n, &t, 0, &why), CP_L7_OK);
	cr_expect(t.sni_len == 12 && memcmp(t.sni, "Evil.Example", 12) == 0, "SNI");
	cr_expect_str_eq(t.ja3_hex, "", "no JA3 asked for, none made");
}

Test(parse, tls_lengths_that_lie)
{
	struct hello h;
	struct cp_tls_hello t;
	enum cp_anomaly why;

	client_hello(&h, "a.example");
	size_t rec = h.f.n - 5, hs = rec - 4, ext = h.f.n - h.ext_len - 2;
	static const struct { int which; long delta_or_value; int absolute; enum cp_l7 want; } cases[] = {
		{ 0, 0, 1, CP_L7_BAD },          /* record length 0 */
		{ 0, 1, 1, CP_L7_BAD },          /* record length 1 */
		{ 0, 0xffff, 1, CP_L7_BAD },     /* record length at its field's maximum */
		{ 0, 16640, 1, CP_L7_PARTIAL },  /* RFC maximum: more than this segment holds */
		{ 0, 1, 0, CP_L7_PARTIAL },      /* remainder + 1 */
		{ 0, -1, 0, CP_L7_PARTIAL },     /* remainder - 1: the hello spills over */
		{ 1, 1, 0, CP_L7_PARTIAL },      /* handshake: remainder + 1 */
		{ 1, -1, 0, CP_L7_BAD },         /* handshake: remainder - 1 */
		{ 1, 0, 1, CP_L7_BAD },          /* handshake length 0 */
		{ 1, 0xffffff, 1, CP_L7_PARTIAL }, /* handshake at its maximum */
		{ 2, 1, 0, CP_L7_BAD },          /* extensions: remainder + 1 */
		{ 2, -1, 0, CP_L7_BAD },         /* extensions: remainder - 1 */
		{ 3, 1, 0, CP_L7_BAD },          /* SNI extension + 1 */
		{ 3, 0, 1, CP_L7_BAD },          /* SNI extension of 0 */
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		client_hello(&h, "a.example");
		long v = cases[i].delta_or_value;
		if (cases[i].which == 0)
			at16(&h.f, h.rec_len, (unsigned)(cases[i].absolute ? v : (long)rec + v));
		else if (cases[i].which == 1)
			h.f.b[h.hs_len] = (uint8_t)((cases[i].absolute ? v : (long)hs + v) >> 16),
			at16(&h.f, h.hs_len + 1, (unsigned)(cases[i].absolute ? v : (long)hs + v));
		else if (cases[i].which == 2)
			at16(&h.f, h.ext_len, (unsigned)(ext + (size_t)v));
		else
			at16(&h.f, h.sni_ext_len, (unsigned)(cases[i].absolute ? v : 14 + v));
		enum cp_l7 r = cp_parse_tls_hello(h.f.b, h.f.n, &t, &why);
		cr_expect_eq(r, cases[i].want, "case %u: got %d", i, r);
		if (r == CP_L7_BAD)
			cr_expect_eq(why, CP_AN_TLS_LENGTH, "case %u", i);
		/* Leaving the JA3 out checks every length all the same. */
		cr_expect_eq(cp_parse_tls_hello_ja3(h.f.b, h.f.n, &t, 0, &why), r, "case %u, no JA3", i);
	}
	cr_expect_eq(cp_parse_tls_hello((const uint8_t *)"\x17\x03\x03\0\1x", 6, &t, &why),
		     CP_L7_NONE, "application data");
}

Test(parse, http_requests)
{
	static const char req[] = "GET /a/./b?x=1 HTTP/1.1\r\nUser-Agent: t\r\nhOST:  Evil.Example:8080 \r\n\r\n";
	struct cp_http_req r;
	enum cp_anomaly why;

	cr_assert_eq(cp_parse_http_request((const uint8_t *)req, strlen(req), &r, &why), CP_L7_OK);
	cr_expect_str_eq(r.host, "Evil.Example:8080");
	cr_expect_str_eq(r.url, "http://Evil.Example:8080/a/./b?x=1");
	for (size_t len = 0; len < strlen(req) - 4; len++) {
		enum cp_l7 v = cp_parse_http_request((const uint8_t *)req, len, &r, &why);
		cr_assert(v == CP_L7_PARTIAL || (len < 4 && v == CP_L7_NONE), "len %zu: %d", len, v);
	}
	static const char abs[] = "POST http://x.example/p HTTP/1.0\r\nHost: x.example\r\n\r\n";
	cr_assert_eq(cp_parse_http_request((const uint8_t *)abs, strlen(abs), &r, &why), CP_L7_OK);
	cr_expect_str_eq(r.url, "http://x.example/p");
	static const char *const bad[] = { "GET  HTTP/1.1\r\nHost: a\r\n\r\n",
					   "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
					   "GET / HTTP/1.1\r\nHost:\r\n\r\n",
					   "GET / HTTP/1.1\r\nHost: a b\r\n\r\n" };
	for (unsigned i = 0; i < 4; i++) {
		cr_expect_eq(cp_parse_http_request((const uint8_t *)bad[i], strlen(bad[i]), &r, &why),
			     CP_L7_BAD, "%s", bad[i]);
		cr_expect_eq(why, CP_AN_HTTP_SYNTAX);
	}
	static const char nohost[] = "GET / HTTP/1.0\r\nAccept: */*\r\n\r\n";
	cr_expect_eq(cp_parse_http_request((const uint8_t *)nohost, strlen(nohost), &r, &why),
		     CP_L7_NONE);
	cr_expect_eq(cp_parse_http_request((const uint8_t *)"SSH-2.0-x\r\n", 11, &r, &why),
		     CP_L7_NONE);
}

/* RFC 9001 Appendix A: the client Initial of DCID 8394c8f03e515708, its
 * keys (A.1), its unprotected CRYPTO frame and the protected packet (A.2):
 * a ClientHello for example.com. */
static const char rfc9001_packet[] =
	"c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
	"d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
	"1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
	"8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
	"30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
	"457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
	"4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
	"4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
	"485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
	"059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
	"7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
	"9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
	"be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
	"68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
	"c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
	"f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
	"291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
	"25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
	"14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
	"ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
	"e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
	"c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
	"203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
	"cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
	"fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
	"a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
	"90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
	"162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
	"40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
	"6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
	"8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
	"be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
	"54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
	"760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
	"f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
	"056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
	"7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
	"e221af44860018ab0856972e194cd934";
static const char rfc9001_crypto[] =
	"060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
	"04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
	"616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
	"04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
	"baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
	"0d0010000e0403050306030203080408050806002d00020101001c0002400100"
	"3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
	"75300901100f088394c8f03e51570806048000ffff";

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] != '\0' && h[1] != '\0'; h += 2) {
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

Test(parse, quic_initial_keys_of_rfc9001)
{
	static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
	uint8_t key[16], iv[12], hp[16];
	struct cp_quic_keys k;

	cp_quic_client_keys(dcid, 8, &k);
	unhex("1f369613dd76d5467730efcbe3b1a22d", key);
	unhex("fa044b2f42a3fd3b46fb255c", iv);
	unhex("9f50449e04a0e810283a1e9933adedd2", hp);
	cr_expect(memcmp(k.key, key, 16) == 0, "key");
	cr_expect(memcmp(k.iv, iv, 12) == 0, "iv");
	cr_expect(memcmp(k.hp, hp, 16) == 0, "hp");
}

static struct cp_quic quic;

Test(parse, quic_initial_of_rfc9001)
{
	uint8_t pkt[1200];
	struct cp_tls_hello h;
	enum cp_anomaly why = CP_AN_NONE;
	size_t n = unhex(rfc9001_packet, pkt);

	cr_assert_eq(n, 1200u);
	cr_assert_eq(cp_parse_quic_hello(pkt, n, &quic, &h, 1, &why), CP_L7_OK);
	cr_expect(h.sni_len == 11 && memcmp(h.sni, "example.com", 11) == 0);
	cr_expect_eq(strlen(h.ja3_hex), 32u, "a JA3, as over TCP");
	/* Any flipped bit of the protected part fails the tag: no Initial. */
	for (size_t i = 22; i < n; i += 97) {
		pkt[i] ^= 0x10;
		cr_expect_eq(cp_parse_quic_hello(pkt, n, &quic, &h, 1, &why), CP_L7_NONE, "bit %zu", i);
		pkt[i] ^= 0x10;
	}
	/* Cut anywhere: too short to be a client's Initial, or its length runs
	 * past the datagram; never read past it (ASan in fuzz_parse). */
	for (size_t cut = 0; cut < n; cut += 7)
		cr_expect_eq(cp_parse_quic_hello(pkt, cut, &quic, &h, 1, &why), CP_L7_NONE, "%zu", cut);
	pkt[4] = 2;  /* another version */
	cr_expect_eq(cp_parse_quic_hello(pkt, n, &quic, &h, 1, &why), CP_L7_NONE);
}

/* Built with the same keys: CRYPTO frames out of order between PING and
 * PADDING, as browsers send them, give the same hello; a hello whose tail
 * is in the next packet is partial until that packet, of the same DCID,
 * comes; a frame an Initial may not carry is an anomaly. */
Test(parse, quic_initial_frames)
{
	static const uint8_t dcid[4] = { 1, 2, 3, 4 };
	uint8_t cr[245], fr[600];
	struct fb q;
	struct cp_tls_hello h;
	enum cp_anomaly why = CP_AN_NONE;
	size_t n = unhex(rfc9001_crypto, cr), k = 0;

	cr_assert_eq(n, 245u);
	/* The hello is cr[4..245): offset 0, length 241. Second part first,
	 * a PING and two PADDING between. */
	const uint8_t *hello = cr + 4;
	k = crypto_frame(fr, 100, hello + 100, 141);
	fr[k++] = 0x01, fr[k++] = 0x00, fr[k++] = 0x00;
	size_t first = k;
	k += crypto_frame(fr + k, 0, hello, 100);
	quic_initial(&q, dcid, 4, 0, fr, k);
	cr_assert_eq(q.n, 1200u);
	cr_assert_eq(cp_parse_quic_hello(q.b, q.n, &quic, &h, 0, &why), CP_L7_OK);
	cr_expect(h.sni_len == 11 && memcmp(h.sni, "example.com", 11) == 0);
	/* Another client (DCID): the first 100 bytes, then the rest in its
	 * next packet, which makes the hello whole. */
	static const uint8_t other[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	quic_initial(&q, other, 8, 0, fr + first, k - first);
	cr_expect_eq(cp_parse_quic_hello(q.b, q.n, &quic, &h, 0, &why), CP_L7_PARTIAL);
	quic_initial(&q, other, 8, 1, fr, first - 3);
	cr_assert_eq(cp_parse_quic_hello(q.b, q.n, &quic, &h, 0, &why), CP_L7_OK, "two packets");
	cr_expect(h.sni_len == 11 && memcmp(h.sni, "example.com", 11) == 0);
	/* Bytes given again with other values change nothing: the first stay
	 * (a client cannot show us one name and the server another). */
	uint8_t alt[300];
	memcpy(alt, fr + first, k - first);
	for (size_t i = 5 + 60; i < 5 + 100; i++)
		alt[i] ^= 0x20;  /* inside the hello's SNI and the rest */
	quic_initial(&q, other, 8, 2, alt, k - first);
	cr_assert_eq(cp_parse_quic_hello(q.b, q.n, &quic, &h, 0, &why), CP_L7_OK);
	cr_expect(h.sni_len == 11 && memcmp(h.sni, "example.com", 11) == 0, "the first bytes stay");
	/* A third client's first 100 bytes alone: partial. */
	static const uint8_t third[8] = { 7, 7, 7, 7, 7, 7, 7, 7 };
	quic_initial(&q, third, 8, 0, fr + first, k - first);
	cr_expect_eq(cp_parse_quic_hello(q.b, q.n, &quic, &h, 0, &why), CP_L7_PARTIAL);
	/* A STREAM frame (0x08) in an Initial. */
	fr[0] = 0x08;
	quic_initial(&q, dcid, 4, 2, fr, k);
	cr_expect_eq(cp_parse_quic_hello(q.b, q.n, &quic, &h, 0, &why), CP_L7_BAD);
	cr_expect_eq(why, CP_AN_QUIC_FRAME);
	/* A CRYPTO length past the payload. */
	fr[0] = 0x06, fr[3] = 0x7f, fr[4] = 0xff;
	quic_initial(&q, dcid, 4, 3, fr, k);
	cr_expect_eq(cp_parse_quic_hello(q.b, q.n, &quic, &h, 0, &why), CP_L7_BAD);
}
