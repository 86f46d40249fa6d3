/* mkpcap: the demo and test captures, and a packet-by-packet comparison.
 *
 *   mkpcap demo IN.pcap PASS.pcap   the demo traffic, and the packets an
 *                                   inline engine with the demo feed passes
 *   mkpcap empty OUT.pcap           a capture with no packets
 *   mkpcap probe OUT.pcap N         N UDP packets between 10.0.0.0/16
 *                                   hosts, then one from the probe host
 *                                   203.0.113.77 whose payload holds
 *                                   "beacon-7f3a" (for reload tests)
 *   mkpcap flows OUT.pcap           the flows of the Community ID spec's
 *                                   test vectors (TCP, UDP, SCTP, ICMP,
 *                                   ICMPv6, protocol 46, both ways), and a
 *                                   later fragment, which has no ports
 *   mkpcap quic OUT.pcap            QUIC v1 client Initials: a ClientHello
 *                                   for www.evil.example, one for
 *                                   www.example.org, one in two packets
 *                                   with another client's between, and a
 *                                   datagram that only looks like one
 *   mkpcap cmp A.pcap B.pcap        exit 0 when both hold the same packet
 *                                   bytes in the same order
 *
 * The demo feed (scripts/demo-feed) and the verdicts below go together. */
#include "../unit/frames.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	pcap_dumper_t *all, *pass;
	unsigned n;
};

static void ips(struct fb *f, unsigned vlans, uint32_t src, uint32_t dst)
{
	size_t at = 14 + 4 * vlans + 12;
	for (unsigned i = 0; i < 4; i++) {
		f->b[at + i] = (uint8_t)(src >> (24 - 8 * i));
		f->b[at + 4 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
}

static void emit(struct out *o, const struct fb *f, int passes, const char *what)
{
	struct pcap_pkthdr h = { .ts = { .tv_sec = 1764400000 + o->n, .tv_usec = 0 },
				 .caplen = (bpf_u_int32)f->n, .len = (bpf_u_int32)f->n };

	pcap_dump((u_char *)o->all, &h, f->b);
	if (passes && o->pass != NULL)
		pcap_dump((u_char *)o->pass, &h, f->b);
	fprintf(stderr, "  %2u  %-5s %s\n", ++o->n, passes ? "pass" : "drop", what);
}

/* A DNS query for a dotted name; over TCP with its length prefix if tcp. */
static void dns(struct fb *f, const char *name, unsigned vlans, int tcp)
{
	struct fb m = { .n = 0 }, t = { .n = 0 };

	dns_query(&m, name);
	f->n = 0;
	if (tcp) {
		put16(&t, (unsigned)m.n);
		put(&t, m.b, m.n);
		tcp4(f, 53, t.b, t.n);
	} else {
		udp4(f, vlans, 53, m.b, m.n);
	}
	ips(f, tcp ? 0 : vlans, 0xc000020a, 0xc0000235);
}

/* "compressed" then a pointer to offset 6 of the header, whose ANCOUNT and
 * NSCOUNT read as the labels \2 zz \0: the name compressed.zz. Queries
 * rarely compress their question, but nothing forbids a backward pointer. */
static void dns_compressed(struct fb *f)
{
	struct fb m = { .n = 0 };

	dns_msg(&m, "\12compressed\xc0\x06", 13, 0x0100);
	at16(&m, 6, 0x027a);
	at16(&m, 8, 0x7a00);
	f->n = 0;
	udp4(f, 0, 53, m.b, m.n);
	ips(f, 0, 0xc000020a, 0xc0000235);
}

static void tls(struct fb *f, const char *sni)
{
	struct hello h;

	client_hello(&h, sni);
	f->n = 0;
	tcp4(f, 443, h.f.b, h.f.n);
	ips(f, 0, 0xc000020a, 0xc6336450);
}

static void http(struct fb *f, const char *host, const char *target)
{
	char req[512];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: demo\r\n\r\n",
			 target, host);

	f->n = 0;
	tcp4(f, 80, req, (size_t)n);
	ips(f, 0, 0xc000020a, 0xc6336450);
}

static int demo(const char *in, const char *pass)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	struct out o = { .all = pcap_dump_open(dead, in), .pass = pcap_dump_open(dead, pass) };
	struct fb f = { .n = 0 };

	if (o.all == NULL || o.pass == NULL) {
		fprintf(stderr, "mkpcap: %s\n", pcap_geterr(dead));
		return 1;
	}
	dns(&f, "www.evil.example", 0, 0), emit(&o, &f, 0, "dns www.evil.example (*.evil.example)");
	dns(&f, "notevil.example", 0, 0), emit(&o, &f, 1, "dns notevil.example (near miss)");
	dns(&f, "cdn.evil.example", 0, 0), emit(&o, &f, 1, "dns cdn.evil.example (partner allow)");
	dns(&f, "login.evil.example", 0, 1), emit(&o, &f, 0, "dns over tcp login.evil.example");
	dns(&f, "www.evil.example", 2, 0), emit(&o, &f, 0, "dns www.evil.example, 2 vlan tags");
	tls(&f, "shop.evil.example"), emit(&o, &f, 0, "tls sni shop.evil.example");
	tls(&f, "www.example.org"), emit(&o, &f, 1, "tls sni www.example.org (ja3 alert)");
	http(&f, "Phish.Example", "/login.php?next=%2Fadmin"),
		emit(&o, &f, 0, "http url phish.example/login.php");
	http(&f, "www.example.org", "/"), emit(&o, &f, 1, "http www.example.org");
	http(&f, "Mirror.Evil.Example:8080", "/"), emit(&o, &f, 0, "http host mirror.evil.example");
	dns_compressed(&f), emit(&o, &f, 0, "dns compressed.zz (a compression pointer)");
	http(&f, "notevil.example", "/evil.example"), emit(&o, &f, 1, "http notevil.example");
	f.n = 0, udp4(&f, 0, 9999, "ping", 4), ips(&f, 0, 0xc000020a, 0xc6336407);
	emit(&o, &f, 0, "udp to 198.51.100.7 (ip.dst)");
	f.n = 0, udp4(&f, 0, 9999, "pong", 4), ips(&f, 0, 0xcb007137, 0xc000020a);
	emit(&o, &f, 1, "udp from 203.0.113.55 (ip.src in a /24: alert)");
	f.n = 0, udp4(&f, 0, 9999, "gw", 2), ips(&f, 0, 0xcb00710a, 0xc000020a);
	emit(&o, &f, 1, "udp from 203.0.113.10 (partner allow)");
	f.n = 0, udp6(&f, 60, 1, -1);
	f.b[14 + 24 + 4] = 0x0b, f.b[14 + 24 + 5] = 0xad;  /* dst 2001:db8:bad::2 */
	emit(&o, &f, 0, "ipv6 to 2001:db8:bad::2 (a /48)");
	/* Patterns (patterns.txt): a beacon and a NOP sled in payloads, a URL
	 * shape, a DGA-like name; and a near miss of the beacon. */
	f.n = 0, udp4(&f, 0, 8080, "POST /Beacon?ID=0badc0de", 24), ips(&f, 0, 0xc000020a, 0xc6336450);
	emit(&o, &f, 0, "udp payload with a beacon (pattern, caseless)");
	f.n = 0, udp4(&f, 0, 8080, "POST /beacon?id=nothex!!", 24), ips(&f, 0, 0xc000020a, 0xc6336450);
	emit(&o, &f, 1, "udp payload, beacon near miss");
	f.n = 0, tcp4(&f, 4444, "\x41\x41\x90\x90\x90\x90\xcc\xcc", 8), ips(&f, 0, 0xc000020a, 0xc6336450);
	emit(&o, &f, 0, "tcp payload with a NOP sled (pattern, bytes)");
	http(&f, "www.example.org", "/blog/wp-login.php"),
		emit(&o, &f, 1, "http url .../wp-login.php (url pattern: alert)");
	dns(&f, "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7.example.net", 0, 0),
		emit(&o, &f, 1, "dns a 34-character label (dns.query pattern: alert)");
	dns(&f, "www.evil.example", 0, 0), f.n -= 8;
	emit(&o, &f, 1, "truncated ipv4 (anomaly: counted, passed)");
	pcap_dump_close(o.all);
	pcap_dump_close(o.pass);
	pcap_close(dead);
	return 0;
}

static int empty(const char *path)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, path);

	if (d == NULL)
		return 1;
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
}

/* An L4 header with ports (TCP 6, UDP 17, SCTP 132) or ICMP's type and
 * code (1, 58; sp and dp), then pay, into l. */
static void l4(struct fb *l, unsigned proto, unsigned sp, unsigned dp, const void *pay, size_t n)
{
	l->n = 0;
	if (proto == 1 || proto == 58) {
		put8(l, sp), put8(l, dp), put16(l, 0), put16(l, 0x1234), put16(l, 1);
	} else {
		put16(l, sp), put16(l, dp);
		if (proto == 6)
			put(l, (uint8_t[]){ 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0 }, 16);
		else if (proto == 17)
			put16(l, 8 + (unsigned)n), put16(l, 0);
		else
			put(l, (uint8_t[8]){ 0 }, 8);  /* SCTP: verification tag, checksum */
	}
	put(l, pay, n);
}

static void flow4(struct out *o, unsigned proto, const char *src, const char *dst, unsigned sp,
		  unsigned dp)
{
	struct fb f = { .n = 0 }, l;
	struct in_addr a, b;

	inet_pton(AF_INET, src, &a), inet_pton(AF_INET, dst, &b);
	if (proto == 46) {
		l.n = 0, put(&l, "rsvp", 4);
	} else {
		l4(&l, proto, sp, dp, "data", 4);
	}
	ip4_l4(&f, proto, ntohl(a.s_addr), ntohl(b.s_addr), l.b, l.n);
	emit(o, &f, 1, src);
}

static int flows(const char *path)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	struct out o = { .all = pcap_dump_open(dead, path) };
	struct fb f = { .n = 0 }, l;
	uint8_t a6[16], b6[16];

	if (o.all == NULL)
		return 1;
	flow4(&o, 6, "128.232.110.120", "66.35.250.204", 34855, 80);
	flow4(&o, 6, "66.35.250.204", "128.232.110.120", 80, 34855);
	flow4(&o, 17, "192.168.1.52", "8.8.8.8", 54585, 53);
	flow4(&o, 17, "8.8.8.8", "192.168.1.52", 53, 54585);
	flow4(&o, 132, "192.168.170.8", "192.168.170.56", 7, 80);
	flow4(&o, 132, "192.168.170.56", "192.168.170.8", 80, 7);
	flow4(&o, 1, "192.168.0.89", "192.168.0.1", 8, 0);   /* echo request */
	flow4(&o, 1, "192.168.0.1", "192.168.0.89", 0, 0);   /* its reply */
	flow4(&o, 1, "192.168.0.89", "192.168.0.1", 20, 0);  /* one-way: the code counts */
	flow4(&o, 1, "192.168.0.89", "192.168.0.1", 20, 1);
	flow4(&o, 46, "10.1.24.4", "10.1.12.1", 0, 0);
	flow4(&o, 46, "10.1.12.1", "10.1.24.4", 0, 0);
	inet_pton(AF_INET6, "fe80::200:86ff:fe05:80da", a6);
	inet_pton(AF_INET6, "fe80::260:97ff:fe07:69ea", b6);
	l4(&l, 58, 135, 0, "data", 4), ip6_l4(&f, 58, a6, b6, l.b, l.n);
	emit(&o, &f, 1, "icmp6 neighbour solicitation");
	l4(&l, 58, 136, 0, "data", 4), f.n = 0, ip6_l4(&f, 58, b6, a6, l.b, l.n);
	emit(&o, &f, 1, "icmp6 neighbour advertisement");
	/* A later fragment of a TCP packet: its ports are in the first. */
	f.n = 0, ip4_l4(&f, 6, 0x0a000005, 0x4223facc, "fragment", 8);
	at16(&f, 14 + 6, 0x0010);
	emit(&o, &f, 1, "a later fragment to 66.35.250.204");
	pcap_dump_close(o.all);
	pcap_close(dead);
	return 0;
}

/* A client Initial to 198.51.100.80:443 of the client whose DCID begins
 * with id, whose CRYPTO frame carries bytes [from, to) of a ClientHello for
 * sni (to 0: to its end). */
static void quic(struct out *o, uint8_t id, const char *sni, size_t from, size_t to,
		 int passes, const char *what)
{
	const uint8_t dcid[8] = { id, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
	struct fb f = { .n = 0 }, q;
	struct hello h;

	client_hello(&h, sni);
	quic_hello(&q, dcid, from != 0, &h, from, to);
	udp4(&f, 0, 443, q.b, q.n);
	ips(&f, 0, 0xc000020a, 0xc6336450);
	emit(o, &f, passes, what);
}

static int quics(const char *path)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	struct out o = { .all = pcap_dump_open(dead, path) };
	struct fb f = { .n = 0 };
	uint8_t junk[1200];

	if (o.all == NULL)
		return 1;
	quic(&o, 1, "www.evil.example", 0, 0, 0, "quic initial, sni www.evil.example");
	quic(&o, 2, "www.example.org", 0, 0, 1, "quic initial, sni www.example.org");
	quic(&o, 3, "login.evil.example", 0, 40, 1, "quic initial, the hello goes on in the next");
	quic(&o, 4, "www.example.org", 0, 40, 1, "quic initial, another client's first 40 bytes");
	quic(&o, 3, "login.evil.example", 40, 0, 0, "quic initial, the rest: login.evil.example");
	memset(junk, 0x5a, sizeof(junk));
	junk[0] = 0xc0, junk[1] = junk[2] = junk[3] = 0, junk[4] = 1, junk[5] = 8;
	udp4(&f, 0, 443, junk, sizeof(junk));
	ips(&f, 0, 0xc000020a, 0xc6336450);
	emit(&o, &f, 1, "a v1 long header whose tag fails (not an Initial of a client)");
	pcap_dump_close(o.all);
	pcap_close(dead);
	return 0;
}

static int cmp(const char *a, const char *b)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pa = pcap_open_offline(a, err), *pb = pa ? pcap_open_offline(b, err) : NULL;
	struct pcap_pkthdr *ha, *hb;
	const u_char *da, *db;
	unsigned n = 0;

	if (pa == NULL || pb == NULL) {
		fprintf(stderr, "mkpcap: %s\n", err);
		return 2;
	}
	for (;; n++) {
		int ra = pcap_next_ex(pa, &ha, &da), rb = pcap_next_ex(pb, &hb, &db);
		if (ra != 1 || rb != 1) {
			if (ra == rb)
				break;
			fprintf(stderr, "mkpcap: %s has %s packets than %s (after %u)\n", a,
				ra == 1 ? "more" : "fewer", b, n);
			return 1;
		}
		if (ha->caplen != hb->caplen || memcmp(da, db, ha->caplen) != 0) {
			fprintf(stderr, "mkpcap: packet %u differs\n", n + 1);
			return 1;
		}
	}
	fprintf(stderr, "mkpcap: %u packets, identical\n", n);
	pcap_close(pa);
	pcap_close(pb);
	return 0;
}

static int probe(const char *path, unsigned n)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	struct out o = { .all = pcap_dump_open(dead, path) };
	struct fb f = { .n = 0 };

	if (o.all == NULL)
		return 1;
	for (unsigned i = 0; i <= n; i++) {
		uint32_t src = i < n ? 0x0a000000 | (i & 0xffff) : 0xcb00714d;
		/* The probe's payload carries a beacon, for pattern reloads. */
		if (i < n)
			f.n = 0, udp4(&f, 0, 9999, "data", 4);
		else
			f.n = 0, udp4(&f, 0, 9999, "probe beacon-7f3a", 17);
		ips(&f, 0, src, 0x0a010001);
		struct pcap_pkthdr h = { .ts = { .tv_sec = 1764400000, .tv_usec = (int)i % 1000000 },
					 .caplen = (bpf_u_int32)f.n, .len = (bpf_u_int32)f.n };
		pcap_dump((u_char *)o.all, &h, f.b);
	}
	pcap_dump_close(o.all);
	pcap_close(dead);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "probe") == 0)
		return probe(argv[2], (unsigned)strtoul(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "demo") == 0)
		return demo(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "quic") == 0)
		return quics(argv[2]);
	if (argc == 3 && strcmp(argv[1], "flows") == 0)
		return flows(argv[2]);
	if (argc == 3 && strcmp(argv[1], "empty") == 0)
		return empty(argv[2]);
	if (argc == 4 && strcmp(argv[1], "cmp") == 0)
		return cmp(argv[2], argv[3]);
	fprintf(stderr, "usage: mkpcap demo IN.pcap PASS.pcap | empty OUT.pcap | probe OUT.pcap N |"
			" flows OUT.pcap | quic OUT.pcap | cmp A.pcap B.pcap\n");
	return 2;
}
