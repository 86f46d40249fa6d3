/* Burst inspection against a real store: every match location, each
 * action and its precedence, near-miss names, anomalies, and the alert
 * records the writer will turn into EVE. */
#include "helpers.h"
#include "frames.h"
#include "inspect/inspect.h"

#include <arpa/inet.h>
#include <time.h>

#define IP_SRC (14 + 12)
#define IP_DST (14 + 16)

static void set_ip(struct fb *f, size_t at, uint32_t a)
{
	f->b[at] = (uint8_t)(a >> 24), f->b[at + 1] = (uint8_t)(a >> 16);
	f->b[at + 2] = (uint8_t)(a >> 8), f->b[at + 3] = (uint8_t)a;
}

/* A DNS query for name (dotted) in a UDP frame between clean addresses. */
static void dns_frame(struct fb *f, const char *name)
{
	struct fb m = { .n = 0 };

	dns_query(&m, name);
	f->n = 0;
	udp4(f, 0, 53, m.b, m.n);
	set_ip(f, IP_DST, 0xc0000235);  /* 192.0.2.53 */
}

struct world {
	struct cp_compiler *c;
	struct t_store ts;
	struct cp_inspector *in;
	struct cp_inspect_stats st;
	char ja3[33];
	struct cp_delta *delta;  /* live changes, NULL: none */
	int64_t now;
};

static void setup(struct world *w)
{
	struct hello h;
	struct cp_tls_hello th;
	enum cp_anomaly why;

	client_hello(&h, "x.example");
	cr_assert_eq(cp_parse_tls_hello(h.f.b, h.f.n, &th, &why), CP_L7_OK);
	memcpy(w->ja3, th.ja3_hex, 33);
	w->delta = NULL;
	w->now = 0;
	w->c = cp_compiler_new(3);
	uint32_t drop = t_meta(w->c, CP_ACT_DROP, "block"), alert = t_meta(w->c, CP_ACT_ALERT, "watch");
	uint32_t allow = t_meta(w->c, CP_ACT_ALLOW, "partners");
	t_add(w->c, CP_T_IPV4, "198.51.100.7", drop);
	t_add(w->c, CP_T_IPV4, "203.0.113.0/24", alert);
	t_add(w->c, CP_T_DOMAIN, "*.evil.example", drop);
	t_add(w->c, CP_T_DOMAIN, "exact.example", alert);
	t_add(w->c, CP_T_DOMAIN, "good.evil.example", allow);
	t_add(w->c, CP_T_URL, "http://web.example/bad/path", drop);
	t_add(w->c, CP_T_JA3, w->ja3, alert);
	t_add(w->c, CP_T_IPV6, "2001:db8::/32", alert);
	t_add(w->c, CP_T_IPV6, "2001:db8::2", drop);
	t_open(w->c, &w->ts, NULL);
	w->in = cp_inspector_new();
	cr_assert_not_null(w->in);
	memset(&w->st, 0, sizeof(w->st));
}

static void teardown(struct world *w)
{
	cp_delta_free(w->delta);
	cp_inspector_free(w->in);
	t_close(&w->ts);
	cp_compiler_free(w->c);
}

/* Inspects one frame; returns its action and copies its alerts. */
static uint8_t one(struct world *w, const struct fb *f, struct cp_alert *al, unsigned *na)
{
	const uint8_t *p = f->b;
	uint32_t len = (uint32_t)f->n;
	uint8_t act;

	struct cp_intel_view v = { .store = w->ts.store, .delta = w->delta, .now = w->now };
	*na = cp_inspect_burst(w->in, &v, &p, &len, 1, &act, al, 8, &w->st);
	return act;
}

/* A TCP segment to 192.0.2.1 on port, through one(). */
static uint8_t tcp_one(struct world *w, struct fb *f, uint16_t port, const void *pay, size_t n,
		       struct cp_alert *al, unsigned *na)
{
	f->n = 0;
	tcp4(f, port, pay, n);
	set_ip(f, IP_DST, 0xc0000201);
	return one(w, f, al, na);
}

Test(inspect, every_match_location)
{
	struct world w;
	struct cp_alert al[8];
	struct fb f = { .n = 0 };
	unsigned na;

	setup(&w);
	dns_frame(&f, "WWW.Evil.Example");
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_DROP);
	cr_assert_eq(na, 1u);
	cr_expect_eq(al[0].on, CP_ON_DNS);
	cr_expect_str_eq(al[0].value, "evil.example");
	cr_expect_eq(al[0].subdomains, 1);
	cr_expect_eq(al[0].app, CP_APP_DNS);
	cr_expect_eq(al[0].dport, 53);

	/* TLS: the SNI under *.evil.example, and the JA3 (alert) */
	struct hello h;
	client_hello(&h, "a.evil.example");
	cr_expect_eq(tcp_one(&w, &f, 443, h.f.b, h.f.n, al, &na), CP_ACT_DROP);
	cr_assert_eq(na, 2u);
	unsigned sni = al[0].on == CP_ON_SNI ? 0 : 1;
	cr_expect_eq(al[sni].on, CP_ON_SNI);
	cr_expect_eq(al[!sni].on, CP_ON_JA3);
	cr_expect_str_eq(al[!sni].value, w.ja3);
	cr_expect_eq(al[sni].verdict, CP_ACT_DROP, "alerts carry the packet's action");

	/* HTTP: the URL after normalisation, on a non-standard port */
	static const char req[] = "GET /bad/./x/../path HTTP/1.1\r\nHost: WEB.example:80\r\n\r\n";
	cr_expect_eq(tcp_one(&w, &f, 8080, req, strlen(req), al, &na), CP_ACT_DROP);
	cr_assert_eq(na, 1u);
	cr_expect_eq(al[0].on, CP_ON_URL);
	cr_expect_str_eq(al[0].value, "http://web.example/bad/path");

	/* HTTP Host: an exact domain */
	static const char req2[] = "GET / HTTP/1.1\r\nHost: exact.example\r\n\r\n";
	cr_expect_eq(tcp_one(&w, &f, 80, req2, strlen(req2), al, &na), CP_ACT_ALERT);
	cr_assert_eq(na, 1u);
	cr_expect_eq(al[0].on, CP_ON_HOST);
	cr_expect_eq(al[0].subdomains, 0);

	/* A Host longer than one 16-byte chunk, its port past the first one,
	 * and an SNI as long: cut at the port, lower-cased, matched. */
	static const char req3[] = "GET / HTTP/1.1\r\nHost: A-Long-Subdomain.Of.EVIL.example:8443\r\n\r\n";
	cr_expect_eq(tcp_one(&w, &f, 8443, req3, strlen(req3), al, &na), CP_ACT_DROP);
	cr_assert_eq(na, 1u);
	cr_expect_eq(al[0].on, CP_ON_HOST);
	cr_expect_str_eq(al[0].value, "evil.example");
	client_hello(&h, "a-much-longer-sni-label.EVIL.example");
	cr_expect_eq(tcp_one(&w, &f, 443, h.f.b, h.f.n, al, &na), CP_ACT_DROP);
	cr_expect_eq(w.st.matched[CP_ON_SNI], 2u, "the short SNI above and this one");

	/* addresses: exact destination, CIDR source */
	dns_frame(&f, "clean.example");
	set_ip(&f, IP_DST, 0xc6336407);  /* 198.51.100.7 */
	set_ip(&f, IP_SRC, 0xcb007109);  /* 203.0.113.9 */
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_DROP);
	cr_assert_eq(na, 2u);
	unsigned src = al[0].on == CP_ON_IP_SRC ? 0 : 1;
	cr_expect_eq(al[src].on, CP_ON_IP_SRC);
	cr_expect_eq(al[!src].on, CP_ON_IP_DST);
	cr_expect_eq(cp_ref_action(al[src].ref), CP_ACT_ALERT);
	cr_expect_eq(w.st.matched[CP_ON_IP_SRC], 1u);
	teardown(&w);
}

Test(inspect, precedence_and_near_misses)
{
	struct world w;
	struct cp_alert al[8];
	struct fb f = { .n = 0 };
	unsigned na;

	setup(&w);
	dns_frame(&f, "good.evil.example");
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_ALLOW, "allow beats drop");
	cr_expect_eq(na, 0u, "allowed traffic raises no alert");
	static const char *const clean[] = { "notevil.example", "evil.example.com",
					     "exact.example.org", "xexact.example", "evil" };
	for (unsigned i = 0; i < 5; i++) {
		dns_frame(&f, clean[i]);
		cr_expect_eq(one(&w, &f, al, &na), CP_ACT_NONE, "%s", clean[i]);
		cr_expect_eq(na, 0u);
	}
	dns_frame(&f, "sub.exact.example");
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_NONE, "an exact domain covers no subdomain");
	teardown(&w);
}

Test(inspect, anomalies_uninspected_and_bursts)
{
	struct world w;
	struct cp_alert al[8];
	struct fb f = { .n = 0 };
	unsigned na;

	setup(&w);
	struct hello h;
	client_hello(&h, "a.evil.example");
	tcp4(&f, 443, h.f.b, h.f.n - 10);  /* the hello continues in the next segment */
	set_ip(&f, IP_DST, 0xc0000201);
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_NONE);
	cr_expect_eq(w.st.uninspected, 1u, "a split ClientHello is counted, not passed silently");
	dns_frame(&f, "www.evil.example");
	f.n -= 10;  /* cut inside the UDP payload: the IP total length lies */
	one(&w, &f, al, &na);
	cr_expect_eq(w.st.anomaly[CP_AN_IP4_TRUNC], 1u);
	f.n = 0;
	eth(&f, 0, 0x0806);
	put(&f, (uint8_t[28]){ 0 }, 28);
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_NONE);
	cr_expect_eq(w.st.not_ip, 1u);

	/* A full burst of the same bad query, then of IPv6 in a CIDR: every
	 * packet gets its action, and alerts past the space given are counted. */
	struct fb frames[CP_INSPECT_BURST];
	const uint8_t *p[CP_INSPECT_BURST];
	uint32_t len[CP_INSPECT_BURST];
	uint8_t act[CP_INSPECT_BURST];
	for (unsigned i = 0; i < CP_INSPECT_BURST; i++) {
		dns_frame(&frames[i], i % 2 ? "x.evil.example" : "benign.example");
		p[i] = frames[i].b;
		len[i] = (uint32_t)frames[i].n;
	}
	struct cp_intel_view v = { .store = w.ts.store };
	na = cp_inspect_burst(w.in, &v, p, len, CP_INSPECT_BURST, act, al, 8, &w.st);
	cr_expect_eq(na, 8u);
	cr_expect_eq(w.st.alerts_lost, CP_INSPECT_BURST / 2 - 8);
	for (unsigned i = 0; i < CP_INSPECT_BURST; i++)
		cr_expect_eq(act[i], i % 2 ? CP_ACT_DROP : CP_ACT_NONE, "packet %u", i);
	/* Raw UTF-8 in a Host would take the URL normaliser to libidn2, which
	 * allocates: the request is counted as uninspected instead. */
	static const char utf8[] = "GET /x HTTP/1.1\r\nHost: b\xc3\xbc" "cher.example\r\n\r\n";
	uint64_t before = w.st.uninspected;
	cr_expect_eq(tcp_one(&w, &f, 80, utf8, strlen(utf8), al, &na), CP_ACT_NONE);
	cr_expect_eq(w.st.uninspected, before + 1);
	f.n = 0;
	udp6(&f, 60, 1, -1);  /* 2001:db8::1 -> ::2 */
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_DROP, "the exact destination drops");
	cr_assert_eq(na, 2u, "both IPv6 addresses match");
	unsigned d6 = al[0].on == CP_ON_IP_DST ? 0 : 1;
	const uint32_t *e;
	cr_expect_eq(cp_ref_action(al[!d6].ref), CP_ACT_ALERT, "the source only by the /32");
	cr_expect_eq(cp_store_set(w.ts.store, al[d6].ref, &e), 2u,
		     "the exact address's set holds its covering /32 too");
	teardown(&w);
}

static void live(struct cp_delta_in *d, enum cp_itype t, const char *v, uint8_t kind,
		 uint8_t action, int64_t expires)
{
	const char *why;

	memset(d, 0, sizeof(*d));
	cr_assert_eq(cp_norm(t, v, strlen(v), &d->ind, &why), 0, "%s: %s", v, why);
	d->kind = kind, d->action = action, d->expires = expires;
	snprintf(d->feed, sizeof(d->feed), "live");
}

static uint8_t udp_between(struct world *w, uint32_t src, uint32_t dst, struct cp_alert *al,
			   unsigned *na)
{
	struct fb f = { .n = 0 };

	udp4(&f, 0, 9999, "x", 1);
	set_ip(&f, IP_SRC, src);
	set_ip(&f, IP_DST, dst);
	return one(w, &f, al, na);
}

/* Live changes: adds of every kind match at once, tombstones hide the
 * store's own exact values (an address falls back to its prefixes),
 * expired entries stop matching, and alerts name the live entry. */
Test(inspect, live_adds_tombstones_and_expiry)
{
	struct world w;
	struct cp_alert al[8];
	struct cp_delta_in d[6];
	struct fb f = { .n = 0 };
	unsigned na;

	setup(&w);
	w.now = 1000;
	live(&d[0], CP_T_IPV4, "192.0.2.99", CP_DELTA_ADD, CP_ACT_DROP, 0);
	live(&d[1], CP_T_IPV4, "198.51.100.7", CP_DELTA_REMOVE, 0, 0);
	/* 3 labels: no subdomain indicator of the store has as many, so
	 * only the live change makes that suffix worth probing. */
	live(&d[2], CP_T_DOMAIN, "*.deep.live.example", CP_DELTA_ADD, CP_ACT_ALERT, 0);
	live(&d[3], CP_T_IPV4, "10.9.0.0/16", CP_DELTA_ADD, CP_ACT_DROP, 0);
	live(&d[4], CP_T_IPV4, "192.0.2.98", CP_DELTA_ADD, CP_ACT_DROP, 1000);  /* expired */
	live(&d[5], CP_T_DOMAIN, "exact.example", CP_DELTA_REMOVE, 0, 2000);
	w.delta = cp_delta_build(w.ts.store, d, 6);
	cr_assert_not_null(w.delta);
	cr_expect_eq(cp_delta_count(w.delta), 6);

	cr_expect_eq(udp_between(&w, 0x0a000001, 0xc0000263, al, &na), CP_ACT_DROP, "live add");
	cr_assert_eq(na, 1);
	cr_expect_not_null(al[0].live);
	cr_expect_str_eq(al[0].live->text, "192.0.2.99");
	cr_expect_str_eq(al[0].live->feed, "live");
	cr_expect_eq(udp_between(&w, 0x0a000001, 0xc6336407, al, &na), CP_ACT_NONE,
		     "198.51.100.7 removed");
	cr_expect_eq(udp_between(&w, 0x0a090505, 0x0a000001, al, &na), CP_ACT_DROP, "live prefix");
	cr_expect_eq(udp_between(&w, 0x0a0a0505, 0x0a000001, al, &na), CP_ACT_NONE);
	cr_expect_eq(udp_between(&w, 0x0a000001, 0xc0000262, al, &na), CP_ACT_NONE, "expired add");
	dns_frame(&f, "a.b.deep.live.example");
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_ALERT, "live subdomains");
	dns_frame(&f, "exact.example");
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_NONE, "tombstone on a name");
	w.now = 2000;  /* the tombstone expires: the store's value is back */
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_ALERT);
	cr_expect_null(al[0].live);
	teardown(&w);
}

/* A tombstone on an address covered by a store prefix leaves the prefix. */
Test(inspect, tombstone_falls_back_to_prefix)
{
	struct world w;
	struct cp_alert al[8];
	struct cp_delta_in d;
	unsigned na;

	setup(&w);
	live(&d, CP_T_IPV6, "2001:db8::2", CP_DELTA_REMOVE, 0, 0);
	w.delta = cp_delta_build(w.ts.store, &d, 1);
	struct fb f = { .n = 0 };
	udp6(&f, 60, 1, -1);  /* 2001:db8::1 -> ::2 */
	uint8_t a = one(&w, &f, al, &na);
	cr_expect_eq(a, CP_ACT_ALERT, "the /32 still alerts once ::2's drop is removed");
	teardown(&w);
}

/* A live IPv4 prefix is matched against addresses only. The names, URLs
 * and JA3s of a burst once went through the prefix scan too, with the
 * address slot of their list index (left by an earlier IPv6 packet): here
 * 2001:db8::1, whose first four bytes are 32.1.13.184, inside the live
 * 32.1.0.0/16, dropped a clean DNS query (found by fuzz_inspect). */
Test(inspect, live_prefix_never_matches_a_name)
{
	struct world w;
	struct cp_alert al[8];
	struct cp_delta_in d;
	struct fb f = { .n = 0 };
	unsigned na;

	setup(&w);
	live(&d, CP_T_IPV4, "32.1.0.0/16", CP_DELTA_ADD, CP_ACT_DROP, 0);
	w.delta = cp_delta_build(w.ts.store, &d, 1);
	cr_assert_not_null(w.delta);
	udp6(&f, 60, 1, -1);  /* 2001:db8::1 -> ::2: the store's /32 alerts */
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_DROP);
	dns_frame(&f, "clean.example");
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_NONE);
	cr_expect_eq(na, 0u, "alert on %s", na ? al[0].value : "");
	cr_expect_eq(udp_between(&w, 0x20010505, 0x0a000001, al, &na), CP_ACT_DROP,
		     "the prefix still holds 32.1.5.5");
	teardown(&w);
}

/* The snapshot's own valid_until: an indicator stops matching at it, and an
 * exact address that expires falls back to a prefix that does not. */
Test(inspect, snapshot_valid_until)
{
	struct world w;
	struct cp_alert al[8];
	unsigned na;
	int64_t t0 = (int64_t)time(NULL);

	memset(&w, 0, sizeof(w));
	w.c = cp_compiler_new(9);
	struct cp_meta_in soon = { .action = CP_ACT_DROP, .confidence = -1, .feed = "soon",
				   .valid_until = t0 + 100 };
	uint32_t ms, ml = t_meta(w.c, CP_ACT_ALERT, "lasting");
	cr_assert_eq(cp_compiler_meta(w.c, &soon, &ms), 0);
	t_add(w.c, CP_T_IPV4, "192.0.2.1", ms);
	t_add(w.c, CP_T_IPV4, "192.0.2.2", ms);
	t_add(w.c, CP_T_IPV4, "192.0.2.0/30", ml);
	t_add(w.c, CP_T_IPV4, "198.51.100.1", ms);
	t_open(w.c, &w.ts, NULL);
	w.in = cp_inspector_new();
	w.now = t0 + 50;
	cr_expect_eq(udp_between(&w, 0xc0000201, 0x0a000001, al, &na), CP_ACT_DROP, "before");
	cr_expect_eq(udp_between(&w, 0xc6336401, 0x0a000001, al, &na), CP_ACT_DROP);
	cr_expect_eq(cp_store_expired(w.ts.store, w.now), 0);
	w.now = t0 + 100;
	cr_expect_eq(udp_between(&w, 0xc0000201, 0x0a000001, al, &na), CP_ACT_ALERT,
		     "the /30 still holds it");
	cr_expect_eq(udp_between(&w, 0xc6336401, 0x0a000001, al, &na), CP_ACT_NONE, "expired");
	cr_expect_eq(cp_store_expired(w.ts.store, w.now), 1, "one context expired");
	teardown(&w);
}

/* EVE's flow_id: both directions of a flow share it, any other field of
 * the 5-tuple (or the family) changes it, and it fits 53 bits. */
Test(inspect, flow_id_is_the_flows_both_ways)
{
	struct cp_alert a, b;

	memset(&a, 0, sizeof(a));
	a.family = 4, a.proto = 6, a.sport = 40000, a.dport = 443;
	memcpy(a.src, "\xc0\x00\x02\x0a", 4);
	memcpy(a.dst, "\xc6\x33\x64\x07", 4);
	memcpy(a.value, "left out", 9);  /* not part of the flow */
	b = a;
	memcpy(b.src, a.dst, 16);
	memcpy(b.dst, a.src, 16);
	b.sport = a.dport, b.dport = a.sport;
	memset(b.value, 0, sizeof(b.value));
	uint64_t id = cp_alert_flow_id(&a);
	cr_expect_eq(cp_alert_flow_id(&b), id, "the reply direction");
	cr_expect_lt(id, 1ull << 53);
	b = a, b.sport++;
	cr_expect_neq(cp_alert_flow_id(&b), id, "another source port");
	b = a, b.proto = 17;
	cr_expect_neq(cp_alert_flow_id(&b), id, "another protocol");
	b = a, b.dst[3]++;
	cr_expect_neq(cp_alert_flow_id(&b), id, "another address");
	b = a, b.family = 6;
	cr_expect_neq(cp_alert_flow_id(&b), id, "the same bytes as IPv6");
	/* Same addresses both ways (a host to itself): the ports order it. */
	b = a, memcpy(b.dst, a.src, 16);
	struct cp_alert r = b;
	r.sport = b.dport, r.dport = b.sport;
	cr_expect_eq(cp_alert_flow_id(&r), cp_alert_flow_id(&b));
	/* ICMP: type and code (where the ports go) are not part of it, so an
	 * echo request (8/0) and its reply (0/0) are one flow. */
	b = a, b.proto = 1, b.sport = 8, b.dport = 0;
	r = b, memcpy(r.src, b.dst, 16), memcpy(r.dst, b.src, 16), r.sport = 0;
	cr_expect_eq(cp_alert_flow_id(&r), cp_alert_flow_id(&b), "echo and reply");
}

/* The Community ID against the published vectors (pycommunityid's tests,
 * seeds 0 and 1): each protocol's ordering, ICMP's request/reply pairing
 * and one-way types, and a protocol without ports. */
struct cid_case {
	int family;
	uint8_t proto;
	const char *src, *dst;
	uint16_t sport, dport;  /* ICMP: type, code */
	const char *seed0, *seed1;
};

static const struct cid_case cid_cases[] = {
	{ 4, 6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
	  "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ 4, 6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
	  "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ 4, 6, "10.0.0.1", "10.0.0.2", 10, 11569, "1:SXBGMX1lBOwhhoDrZynfROxnhnM=",
	  "1:HmBRGR+fUyXF4t8WEtal7Y0gEAo=" },
	{ 4, 17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
	  "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ 4, 17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
	  "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ 4, 132, "192.168.170.8", "192.168.170.56", 7, 80, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=",
	  "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU=" },
	{ 4, 132, "192.168.170.56", "192.168.170.8", 80, 7, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=",
	  "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU=" },
	{ 4, 1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
	  "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
	{ 4, 1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
	  "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
	{ 4, 1, "192.168.0.89", "192.168.0.1", 20, 0, "1:3o2RFccXzUgjl7zDpqmY7yJi8rI=",
	  "1:lCXHHxavE1Vq3oX9NH5ladQg02o=" },
	{ 4, 1, "192.168.0.89", "192.168.0.1", 20, 1, "1:tz/fHIDUHs19NkixVVoOZywde+I=",
	  "1:Ie3wmFyxiEyikbsbcO03d2nh+PM=" },
	{ 4, 1, "192.168.0.1", "192.168.0.89", 0, 20, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
	  "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
	{ 6, 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0,
	  "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
	{ 6, 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0,
	  "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
	{ 6, 58, "3ffe:507:0:1:260:97ff:fe07:69ea", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
	  "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=", "1:OlOWx9psIbBFi7lOCw/4MhlKR9M=" },
	{ 6, 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:507:0:1:260:97ff:fe07:69ea", 3, 0,
	  "1:/OGBt9BN1ofenrmSPWYicpij2Vc=", "1:Ij4ZxnC87/MXzhOjvH2vHu7LRmE=" },
	{ 4, 46, "10.1.24.4", "10.1.12.1", 0, 0, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=",
	  "1:BK3BVW3U2eemuwVQVN3zd/GULno=" },
	{ 4, 46, "10.1.12.1", "10.1.24.4", 0, 0, "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=",
	  "1:BK3BVW3U2eemuwVQVN3zd/GULno=" },
};

Test(inspect, community_id_matches_the_spec)
{
	char id[CP_COMMUNITY_ID_SIZE];

	for (size_t i = 0; i < sizeof(cid_cases) / sizeof(cid_cases[0]); i++) {
		const struct cid_case *c = &cid_cases[i];
		struct cp_alert a;
		int af = c->family == 4 ? AF_INET : AF_INET6;

		memset(&a, 0, sizeof(a));
		a.family = (uint8_t)c->family, a.proto = c->proto, a.l4 = 1;
		a.sport = c->sport, a.dport = c->dport;
		cr_assert_eq(inet_pton(af, c->src, a.src), 1);
		cr_assert_eq(inet_pton(af, c->dst, a.dst), 1);
		cr_assert_eq(cp_alert_community_id(&a, 0, id), 0, "case %zu", i);
		cr_expect_str_eq(id, c->seed0, "case %zu, seed 0", i);
		cr_assert_eq(cp_alert_community_id(&a, 1, id), 0);
		cr_expect_str_eq(id, c->seed1, "case %zu, seed 1", i);
		/* Without its L4 header a protocol with ports has no id; one
		 * without ports keeps its own. */
		a.l4 = 0;
		cr_expect_eq(cp_alert_community_id(&a, 0, id), c->proto == 46 ? 0 : -1, "case %zu", i);
	}
	struct cp_alert none;
	memset(&none, 0, sizeof(none));
	cr_expect_eq(cp_alert_community_id(&none, 0, id), -1, "not IP");
}

/* A QUIC Initial (UDP, any port) whose ClientHello names a.evil.example:
 * dropped on its SNI, its JA3 alerts as over TCP, app quic. Past the
 * per-second budget of opened Initials, one is uninspected, not passed as
 * clean, until the next second. */
Test(inspect, quic_initial_sni_and_budget)
{
	static const uint8_t dcid[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	struct world w;
	struct cp_alert al[8];
	struct fb f = { .n = 0 }, q;
	struct hello h;
	unsigned na;

	setup(&w);
	client_hello(&h, "a.evil.example");
	quic_hello(&q, dcid, 0, &h, 0, 0);
	udp4(&f, 0, 8443, q.b, q.n);
	set_ip(&f, IP_DST, 0xc0000202);  /* a clean server */
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_DROP);
	cr_assert_eq(na, 2u);
	unsigned sni = al[0].on == CP_ON_SNI ? 0 : 1;
	cr_expect_eq(al[sni].on, CP_ON_SNI);
	cr_expect_str_eq(al[sni].value, "evil.example");
	cr_expect_eq(al[sni].app, CP_APP_QUIC);
	cr_expect_eq(al[!sni].on, CP_ON_JA3);
	cr_expect_str_eq(al[!sni].value, w.ja3);
	/* The budget: this second has opened one; spend the rest. */
	for (unsigned i = 1; i < 50000; i++)
		cr_assert_eq(one(&w, &f, al, &na), CP_ACT_DROP);
	uint64_t un = w.st.uninspected;
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_NONE, "over the budget: not opened");
	cr_expect_eq(w.st.uninspected, un + 1, "and counted");
	w.now++;
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_DROP, "the next second");
	/* A hello in two Initials of one client: the first is uninspected and
	 * passes, the second makes it whole and is dropped. */
	static const uint8_t two[8] = { 2, 2, 2, 2, 2, 2, 2, 2 };
	client_hello(&h, "b.evil.example");
	quic_hello(&q, two, 0, &h, 0, 50);
	f.n = 0, udp4(&f, 0, 443, q.b, q.n), set_ip(&f, IP_DST, 0xc0000202);
	un = w.st.uninspected;
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_NONE, "half a hello");
	cr_expect_eq(w.st.uninspected, un + 1);
	quic_hello(&q, two, 1, &h, 50, 0);
	f.n = 0, udp4(&f, 0, 443, q.b, q.n), set_ip(&f, IP_DST, 0xc0000202);
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_DROP, "the rest: whole");
	cr_expect(na >= 1 && (al[0].on == CP_ON_SNI || al[1].on == CP_ON_SNI));
	teardown(&w);
}
