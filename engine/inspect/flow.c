/* The flow an alert belongs to, as EVE readers key it: our flow_id, and the
 * Community ID (v1) that Suricata, Zeek, Arkime and Elastic write, so an
 * alert can be joined with their records of the same flow. Control plane:
 * the alert writer calls these, never a worker. */
#include "inspect/inspect.h"

#include <nettle/base64.h>
#include <nettle/sha1.h>
#include <string.h>
#include <xxhash.h>

enum { P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_ICMP6 = 58, P_SCTP = 132 };

uint64_t cp_alert_flow_id(const struct cp_alert *a)
{
	struct {
		uint8_t family, proto;
		uint16_t port[2];
		uint8_t addr[2][16];
	} k;
	unsigned alen = a->family == 4 ? 4 : 16;
	/* ICMP's type and code are no ports: an echo and its reply are one
	 * flow (8/0 one way, 0/0 back). */
	int icmp = a->proto == P_ICMP || a->proto == P_ICMP6;
	uint16_t sp = icmp ? 0 : a->sport, dp = icmp ? 0 : a->dport;
	int c = memcmp(a->src, a->dst, alen);
	int swap = c > 0 || (c == 0 && sp > dp);

	memset(&k, 0, sizeof(k));
	k.family = a->family, k.proto = a->proto;
	k.port[0] = swap ? dp : sp;
	k.port[1] = swap ? sp : dp;
	memcpy(k.addr[0], swap ? a->dst : a->src, alen);
	memcpy(k.addr[1], swap ? a->src : a->dst, alen);
	return XXH3_64bits(&k, sizeof(k)) & ((1ull << 53) - 1);
}

/* ICMP's request and reply types, each the other's "port" (Zeek's pairing,
 * which the Community ID spec adopts); 0: a one-way message, whose code
 * takes the place of the second port and whose ends are never swapped. */
static unsigned icmp_peer(uint8_t proto, unsigned type)
{
	static const uint8_t v4[][2] = { { 8, 0 }, { 13, 14 }, { 15, 16 }, { 10, 9 }, { 17, 18 } };
	static const uint8_t v6[][2] = { { 128, 129 }, { 130, 131 }, { 133, 134 },
					 { 135, 136 }, { 139, 140 }, { 144, 145 } };
	const uint8_t(*t)[2] = proto == P_ICMP ? v4 : v6;
	unsigned n = proto == P_ICMP ? 5 : 6;

	for (unsigned i = 0; i < n; i++) {
		if (t[i][0] == type)
			return t[i][1] + 1u;
		if (t[i][1] == type)
			return t[i][0] + 1u;
	}
	return 0;
}

int cp_alert_community_id(const struct cp_alert *a, uint16_t seed, char *out)
{
	unsigned alen = a->family == 4 ? 4 : 16;
	uint8_t p = a->proto;
	int ports = p == P_TCP || p == P_UDP || p == P_SCTP || p == P_ICMP || p == P_ICMP6;
	unsigned sp = a->sport, dp = a->dport;
	int one_way = 0;

	if (a->family != 4 && a->family != 6)
		return -1;
	if (ports && !a->l4)
		return -1;  /* a later fragment or a cut header: no ports to hash */
	if (p == P_ICMP || p == P_ICMP6) {
		unsigned peer = icmp_peer(p, sp);
		one_way = peer == 0;
		if (!one_way)
			dp = peer - 1;
	}
	int c = memcmp(a->src, a->dst, alen);
	int swap = !one_way && (c > 0 || (c == 0 && ports && sp > dp));
	/* seed, the two addresses, protocol, a zero byte, the two ports: all
	 * in network order, 12 to 40 bytes, a multiple of 4 as v1 wants. */
	uint8_t in[2 + 32 + 2 + 4], *w = in;
	*w++ = (uint8_t)(seed >> 8), *w++ = (uint8_t)seed;
	memcpy(w, swap ? a->dst : a->src, alen), w += alen;
	memcpy(w, swap ? a->src : a->dst, alen), w += alen;
	*w++ = p, *w++ = 0;
	if (ports) {
		unsigned lo = swap ? dp : sp, hi = swap ? sp : dp;
		*w++ = (uint8_t)(lo >> 8), *w++ = (uint8_t)lo;
		*w++ = (uint8_t)(hi >> 8), *w++ = (uint8_t)hi;
	}
	struct sha1_ctx h;
	uint8_t d[SHA1_DIGEST_SIZE];
	sha1_init(&h);
	sha1_update(&h, (size_t)(w - in), in);
	sha1_digest(&h, sizeof(d), d);
	memcpy(out, "1:", 2);
	base64_encode_raw(out + 2, sizeof(d), d);
	out[CP_COMMUNITY_ID_SIZE - 1] = '\0';
	return 0;
}
