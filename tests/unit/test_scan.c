/* Pattern scanning in burst inspection: payload, URL and DNS-name targets
 * against a store compiled from a pattern feed, with a scratch as a worker
 * has one. Caseless, anchored and overlapping patterns, several in one
 * payload, matches at a payload's first and last byte, nothing on benign
 * payloads; the verdict and precedence as for values; expiry; the cap. */
#include "helpers.h"
#include "frames.h"
#include "inspect/inspect.h"
#include "pattern/pattern.h"

#include <time.h>

struct sworld {
	struct cp_compiler *c;
	struct t_store ts;
	struct cp_inspector *in;
	hs_scratch_t *scratch;
	struct cp_inspect_stats st;
	int64_t now;
};

static void pat(struct cp_compiler *c, const char *text, enum cp_ptarget t, uint32_t meta)
{
	struct cp_pattern p;
	const char *why = NULL;

	cr_assert_eq(cp_pattern_parse(text, strlen(text), &p, &why), 0, "%s: %s", text, why);
	cr_assert_eq(cp_compiler_add_pattern(c, &p, t, meta, "test.pat", 1), 0);
}

static void open_world(struct sworld *w)
{
	t_open(w->c, &w->ts, NULL);
	cr_assert_eq(cp_store_scratch_new(w->ts.store, 1, &w->scratch), 0);
	cr_assert_not_null(w->scratch);
	w->in = cp_inspector_new();
	cr_assert_not_null(w->in);
	memset(&w->st, 0, sizeof(w->st));
}

static void setup(struct sworld *w)
{
	memset(w, 0, sizeof(*w));
	w->c = cp_compiler_new(5);
	uint32_t alert = t_meta(w->c, CP_ACT_ALERT, "pats"), drop = t_meta(w->c, CP_ACT_DROP, "pats");
	uint32_t allow = t_meta(w->c, CP_ACT_ALLOW, "partners");
	pat(w->c, "/evil-beacon/i", CP_PT_PAYLOAD, alert);         /* 0 */
	pat(w->c, "/^GET \\/admin/", CP_PT_PAYLOAD, alert);        /* 1: anchored */
	pat(w->c, "abc", CP_PT_PAYLOAD, alert);                    /* 2: overlaps 3 */
	pat(w->c, "bcd", CP_PT_PAYLOAD, alert);                    /* 3 */
	pat(w->c, "MZ\\x90\\x00", CP_PT_PAYLOAD, drop);            /* 4 */
	pat(w->c, "/TAIL!$/", CP_PT_PAYLOAD, alert);               /* 5: last byte */
	pat(w->c, "/\\/wp-login\\.php/", CP_PT_URL, drop);         /* url 0 */
	pat(w->c, "/^[a-z0-9]{24,}\\.tunnel\\.example$/", CP_PT_DNS, alert); /* dns 0 */
	/* Traffic from an allowed address is not scanned at all. */
	t_add(w->c, CP_T_IPV4, "192.0.2.99", allow);
	open_world(w);
}

static void teardown(struct sworld *w)
{
	cp_pattern_scratch_free(&w->scratch, 1);
	cp_inspector_free(w->in);
	t_close(&w->ts);
	cp_compiler_free(w->c);
}

static uint8_t one(struct sworld *w, const struct fb *f, struct cp_alert *al, unsigned *na)
{
	const uint8_t *p = f->b;
	uint32_t len = (uint32_t)f->n;
	uint8_t act;
	struct cp_intel_view v = { .store = w->ts.store, .now = w->now, .scratch = w->scratch };

	*na = cp_inspect_burst(w->in, &v, &p, &len, 1, &act, al, 16, &w->st);
	return act;
}

static uint8_t udp_payload(struct sworld *w, const char *pay, size_t n, struct cp_alert *al,
			   unsigned *na)
{
	struct fb f = { .n = 0 };

	udp4(&f, 0, 9999, pay, n);
	return one(w, &f, al, na);
}

/* The pattern texts an alert list names, for payload matches, by id. */
static int names(const struct sworld *w, const struct cp_alert *al, unsigned na, unsigned id)
{
	for (unsigned i = 0; i < na; i++)
		if (al[i].itype == CP_ITYPE_PATTERN && al[i].on == CP_ON_PAYLOAD &&
		    CP_PATTERN_ID(al[i].ref) == id)
			return 1;
	(void)w;
	return 0;
}

Test(scan, payload_caseless_anchored_overlapping_edges)
{
	struct sworld w;
	struct cp_alert al[16];
	unsigned na;

	setup(&w);
	const char *s = "xx EVIL-Beacon yy";
	cr_expect_eq(udp_payload(&w, s, strlen(s), al, &na), CP_ACT_ALERT);
	cr_expect_eq(na, 1);
	cr_expect(names(&w, al, na, 0), "caseless");

	s = "GET /admin HTTP/1.0";  /* UDP: not parsed as HTTP, scanned as payload */
	udp_payload(&w, s, strlen(s), al, &na);
	cr_expect(names(&w, al, na, 1), "anchored at the payload's start");
	s = "xGET /admin";
	cr_expect_eq(udp_payload(&w, s, strlen(s), al, &na), CP_ACT_NONE);
	cr_expect_eq(na, 0, "anchored: not in the middle");

	s = "abcd";
	udp_payload(&w, s, 4, al, &na);
	cr_expect_eq(na, 2, "overlapping patterns both match");
	cr_expect(names(&w, al, na, 2) && names(&w, al, na, 3));

	/* Several in one payload, with a binary literal holding a NUL; the
	 * drop wins. */
	static const char mixed[] = "abc..evil-beacon..MZ\x90\x00..tail";
	cr_expect_eq(udp_payload(&w, mixed, sizeof(mixed) - 1, al, &na), CP_ACT_DROP);
	cr_expect_eq(na, 3);
	cr_expect(names(&w, al, na, 2) && names(&w, al, na, 0) && names(&w, al, na, 4));
	for (unsigned i = 0; i < na; i++)
		cr_expect_eq(al[i].verdict, CP_ACT_DROP, "every alert carries the packet's verdict");

	/* The first and the last byte of the payload. */
	cr_expect_eq(udp_payload(&w, "abc", 3, al, &na), CP_ACT_ALERT, "at offset 0");
	cr_expect_eq(udp_payload(&w, "....TAIL!", 9, al, &na), CP_ACT_ALERT, "ends at the end");
	cr_expect(names(&w, al, na, 5));
	cr_expect_eq(udp_payload(&w, "....TAIL!x", 10, al, &na), CP_ACT_NONE, "$ is the end");
	teardown(&w);
}

Test(scan, benign_payloads_and_allowed_traffic)
{
	struct sworld w;
	struct cp_alert al[16];
	unsigned na;
	char buf[1400];
	uint64_t s = 42;

	setup(&w);
	/* Printable noise without any of the patterns' bytes in order. */
	for (unsigned k = 0; k < 200; k++) {
		size_t n = 1 + t_rand(&s) % sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = "efghijklnopqrstuvwxyz0123456789 \r\n"[t_rand(&s) % 34];
		cr_assert_eq(udp_payload(&w, buf, n, al, &na), CP_ACT_NONE, "payload %u", k);
	}
	cr_expect_eq(w.st.pattern_scans, 200, "every payload was scanned");
	cr_expect_eq(w.st.pattern_errors, 0);

	/* From an allowed address: allowed, no alert, not even scanned. */
	struct fb f = { .n = 0 };
	udp4(&f, 0, 9999, "evil-beacon", 11);
	f.b[14 + 12] = 192, f.b[14 + 13] = 0, f.b[14 + 14] = 2, f.b[14 + 15] = 99;
	uint64_t scans = w.st.pattern_scans;
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_ALLOW);
	cr_expect_eq(na, 0);
	cr_expect_eq(w.st.pattern_scans, scans, "allowed traffic skips the scan");

	/* Without scratch (a view made before patterns existed) nothing is
	 * scanned, and nothing breaks. */
	const uint8_t *p = f.b;
	uint32_t len = (uint32_t)f.n;
	uint8_t act;
	struct cp_intel_view v = { .store = w.ts.store };
	f.b[14 + 15] = 1;
	cp_inspect_burst(w.in, &v, &p, &len, 1, &act, al, 16, &w.st);
	cr_expect_eq(act, CP_ACT_NONE);
	teardown(&w);
}

Test(scan, url_and_dns_targets)
{
	struct sworld w;
	struct cp_alert al[16];
	unsigned na;
	struct fb f = { .n = 0 }, m = { .n = 0 };

	setup(&w);
	const char *req = "GET /blog/WP-LOGIN.php?x=1 HTTP/1.1\r\nHost: Web.Example\r\n\r\n";
	tcp4(&f, 80, req, strlen(req));
	/* The URL is normalised before the scan: host lower-cased, the path
	 * as sent (paths are case-sensitive), so the upper-case path misses. */
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_NONE);
	req = "GET /blog/wp-login.php?x=1 HTTP/1.1\r\nHost: Web.Example:80\r\n\r\n";
	f.n = 0;
	tcp4(&f, 80, req, strlen(req));
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_DROP);
	cr_assert_eq(na, 1);
	cr_expect_eq(al[0].itype, CP_ITYPE_PATTERN);
	cr_expect_eq(al[0].on, CP_ON_URL);
	cr_expect_str_eq(al[0].value, "http://web.example/blog/wp-login.php?x=1",
			 "the alert carries the URL it matched");

	const char *tunnel = "aaaabbbbccccddddeeeeffff0123.tunnel.example";
	dns_query(&m, "AAAABBBBCCCCDDDDEEEEFFFF0123.Tunnel.Example");
	f.n = 0;
	udp4(&f, 0, 53, m.b, m.n);
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_ALERT, "the name is scanned canonical");
	cr_assert_eq(na, 1);
	cr_expect_eq(al[0].on, CP_ON_DNS);
	cr_expect_str_eq(al[0].value, tunnel);
	m.n = 0;
	dns_query(&m, "short.tunnel.example");
	f.n = 0;
	udp4(&f, 0, 53, m.b, m.n);
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_NONE);
	m.n = 0;
	dns_query(&m, "aaaabbbbccccddddeeeeffff0123.tunnel.example.org");
	f.n = 0;
	udp4(&f, 0, 53, m.b, m.n);
	cr_expect_eq(one(&w, &f, al, &na), CP_ACT_NONE, "$ anchors the name's end");
	cr_expect_eq(w.st.matched[CP_ON_URL], 1);
	cr_expect_eq(w.st.matched[CP_ON_DNS], 1);
	teardown(&w);
}

/* A pattern's valid_until ends its matches; a payload matching more
 * patterns than a scan keeps is capped and counted. */
Test(scan, expiry_and_cap)
{
	struct sworld w;
	struct cp_alert al[32];
	unsigned na;
	int64_t t0 = (int64_t)time(NULL);
	char text[16], pay[64];

	memset(&w, 0, sizeof(w));
	w.c = cp_compiler_new(6);
	struct cp_meta_in soon = { .action = CP_ACT_ALERT, .confidence = -1, .feed = "soon",
				   .valid_until = t0 + 100 };
	uint32_t ms, ml = t_meta(w.c, CP_ACT_ALERT, "lasting");
	cr_assert_eq(cp_compiler_meta(w.c, &soon, &ms), 0);
	pat(w.c, "short-lived", CP_PT_PAYLOAD, ms);
	for (unsigned i = 0; i < 12; i++) {
		snprintf(text, sizeof(text), "k%c", 'a' + i);
		pat(w.c, text, CP_PT_PAYLOAD, ml);
	}
	open_world(&w);
	w.now = t0 + 50;
	cr_expect_eq(udp_payload(&w, "short-lived", 11, al, &na), CP_ACT_ALERT);
	w.now = t0 + 100;
	cr_expect_eq(udp_payload(&w, "short-lived", 11, al, &na), CP_ACT_NONE, "expired");
	size_t n = 0;
	for (unsigned i = 0; i < 12; i++)
		n += (size_t)snprintf(pay + n, sizeof(pay) - n, "k%c ", 'a' + i);
	cr_expect_eq(udp_payload(&w, pay, n, al, &na), CP_ACT_ALERT);
	cr_expect_eq(na, CP_PATTERN_HITS, "a scan keeps %u matches", CP_PATTERN_HITS);
	cr_expect_eq(w.st.pattern_capped, 1);
	teardown(&w);
}
