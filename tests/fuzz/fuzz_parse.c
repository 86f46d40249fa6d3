/* libFuzzer target for engine/parse: the first byte picks what the rest is.
 *   0: an Ethernet frame; the L7 parsers then run on its payload
 *   1: a DNS message (UDP), 2: a DNS-over-TCP payload, 3: a TLS payload,
 *   4: an HTTP payload, 5: a UDP payload for the QUIC Initial parser,
 *   6: the frames of a QUIC Initial, which is built and protected around
 *      them (so the fuzzer reaches the frame parser, past the AEAD tag)
 * Starting some inputs at L7 lets the fuzzer reach deep states without first
 * building a valid frame around them. */
#include "../unit/frames.h"
#include "indicator/indicator.h"
#include "parse/parse.h"

#include <stdint.h>
#include <string.h>

/* A name the parse calls canonical is one the normaliser leaves as it is. */
static void dns(const uint8_t *p, size_t n, char *name)
{
	enum cp_anomaly why;
	const char *w;
	char copy[CP_DNS_NAME_MAX + 1];
	size_t k, k2;
	int canon;

	if (cp_parse_dns_query(p, n, name, &k, &canon, &why) != CP_L7_OK || !canon)
		return;
	memcpy(copy, name, k);
	k2 = k;
	if (cp_norm_domain_inplace(copy, &k2, &w) != 0 || k2 != k || memcmp(copy, name, k) != 0)
		__builtin_trap();
}

static struct cp_quic quic;

static void l7(const uint8_t *p, size_t n, unsigned which)
{
	char name[CP_DNS_NAME_MAX + 1];
	struct cp_tls_hello th;
	struct cp_http_req hr;
	enum cp_anomaly why;
	const uint8_t *m;
	size_t k;

	if (which == 0 || which == 1)
		dns(p, n, name);
	if ((which == 0 || which == 2) && cp_parse_dns_tcp(p, n, &m, &k) == CP_L7_OK)
		dns(m, k, name);
	if (which == 0 || which == 3) {
		enum cp_l7 r = cp_parse_tls_hello(p, n, &th, &why);
		/* Without the JA3 the verdict must be the same. */
		if (cp_parse_tls_hello_ja3(p, n, &th, 0, &why) != r)
			__builtin_trap();
	}
	if (which == 0 || which == 4)
		cp_parse_http_request(p, n, &hr, &why);
	if (which == 0 || which == 5)
		cp_parse_quic_hello(p, n, &quic, &th, 1, &why);
}

/* Frames inside a valid Initial, so that they are opened: the frame
 * parser and the reassembly of CRYPTO data under ASan and UBSan. */
static void quic_frames(const uint8_t *p, size_t n)
{
	static const uint8_t dcid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static struct fb q;
	struct cp_tls_hello th;
	enum cp_anomaly why;

	quic_initial(&q, dcid, 8, 0, p, n < 1100 ? n : 1100);
	cp_parse_quic_hello(q.b, q.n, &quic, &th, 1, &why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_pkt p;

	if (size < 1)
		return 0;
	quic.dcid_len = 0xff;  /* each input on its own: no stream from the last */
	unsigned mode = data[0] % 7;
	data++, size--;
	if (mode == 6) {
		quic_frames(data, size);
		return 0;
	}
	if (mode != 0) {
		l7(data, size, mode);
		return 0;
	}
	cp_parse_l2l4(data, (uint32_t)size, &p);
	if (p.pay_off <= size && p.pay_len <= size - p.pay_off)
		l7(data + p.pay_off, p.pay_len, 0);
	else if (p.pay_len != 0)
		__builtin_trap();  /* the payload must lie inside the frame */
	return 0;
}
