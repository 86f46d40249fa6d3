/* chokepoint-bench quic: what opening a QUIC client Initial costs, beside
 * what the same ClientHello costs over TCP in the same run. The Initial is
 * built and protected as a client sends it (1200 bytes); each pass derives
 * the keys, unmasks the header, opens the payload, reassembles the CRYPTO
 * frames and parses the hello, as the fast path does for every Initial
 * (the budget of 50 000 a second per worker comes from these figures). */
#include "bench.h"
#include "../tests/unit/frames.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static struct cp_quic quic;

/* ns per call of cp_parse_quic_hello (tls NULL) or of the TCP hello parse. */
static double time_parse(const struct fb *pkt, const struct hello *tls, uint64_t n,
			 enum cp_l7 want)
{
	struct cp_tls_hello h;
	enum cp_anomaly why;
	uint64_t bad = 0;
	double t0 = bench_now();

	for (uint64_t i = 0; i < n; i++) {
		enum cp_l7 r = tls != NULL ? cp_parse_tls_hello_ja3(tls->f.b, tls->f.n, &h, 1, &why)
					   : cp_parse_quic_hello(pkt->b, pkt->n, &quic, &h, 1, &why);
		bad += r != want;
	}
	double ns = (bench_now() - t0) * 1e9 / (double)n;
	return bad != 0 ? -1 : ns;
}

int bench_quic(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iterations", required_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
	struct bench_out out = { 0 };
	uint64_t n = 200000;
	struct hello h;
	struct fb q;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:j", opts, NULL)) != -1) {
		if (c == 'n')
			n = strtoull(optarg, NULL, 10);
		else if (c == 'j')
			out.json = 1;
		else
			return 2;
	}
	if (n == 0)
		n = 1;
	client_hello(&h, "www.example.org");
	quic_hello(&q, dcid, 0, &h, 0, 0);
	double tcp = 1e30, ok = 1e30, bad = 1e30;
	for (unsigned k = 0; k < BENCH_BEST_OF; k++) {
		tcp = fmin(tcp, time_parse(NULL, &h, n, CP_L7_OK));
		ok = fmin(ok, time_parse(&q, NULL, n, CP_L7_OK));
	}
	q.b[600] ^= 1;  /* the tag fails: what a flood of fake Initials costs */
	for (unsigned k = 0; k < BENCH_BEST_OF; k++)
		bad = fmin(bad, time_parse(&q, NULL, n, CP_L7_NONE));
	if (tcp < 0 || ok < 0 || bad < 0) {
		fprintf(stderr, "quic: a parse gave the wrong answer\n");
		return 1;
	}
	if (!out.json)
		printf("%-34s %12s %-10s %-28s %12s   %s\n", "figure", "ours", "unit", "baseline",
		       "baseline", "ratio");
	bench_figure(&out, "quic.initial", ok, "ns/packet", "the hello over TCP", tcp, 1);
	bench_figure(&out, "quic.initial.bad_tag", bad, "ns/packet", "the hello over TCP", tcp, 1);
	return 0;
}
