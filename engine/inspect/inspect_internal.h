/* The inspector's state, shared by the burst loop (inspect.c) and the
 * pattern scans (scan.c). Data plane; private to engine/inspect. */
#ifndef CP_INSPECT_INTERNAL_H
#define CP_INSPECT_INTERNAL_H

#include "inspect/inspect.h"

/* Keys per packet: 2 addresses, a name and its suffixes (at most 127
 * labels, usually 2-4), a URL and a JA3. Lists hold a whole burst. */
#define MAX_V4 (2 * CP_INSPECT_BURST)
_Static_assert(MAX_V4 >= 2 * CP_INSPECT_BURST, "keys_v4 writes two addresses a packet unchecked");
#define MAX_DOM (8 * CP_INSPECT_BURST)
#define MAX_ONE CP_INSPECT_BURST
#define MAX_MATCH (MAX_V4 + MAX_DOM + 2 * MAX_ONE + 2 * CP_INSPECT_BURST + \
		   CP_PATTERN_HITS * CP_INSPECT_BURST)

struct kref {
	uint16_t pkt;
	uint8_t on;
	uint8_t sub;
	uint16_t off;            /* domain: where the matched suffix starts */
};

struct klist {
	struct cp_qkey key[MAX_DOM];
	struct kref ref[MAX_DOM];
	uint32_t res[MAX_DOM];
	unsigned n, cap;
};

/* What a packet's L7 gave, too large to sit in the per-packet state that
 * every packet touches. */
struct pdata {
	char name[CP_DNS_NAME_MAX + 1];
	char ja3_hex[33];
	struct cp_ind url;       /* valid when has_url */
};

/* Per-packet state: small, so a burst's (64 x 72 B) stays in L1; an IP-only
 * packet touches one line of it. */
struct pinfo {
	struct cp_pkt p;
	uint8_t l4ok;            /* parsed whole: the payload may be scanned */
	uint8_t app;
	uint8_t name_on;
	uint8_t has_ja3;
	uint8_t has_url;
	uint8_t name_canon;      /* the name needs no normalising (DNS) */
	uint16_t name_len;       /* 0: no name */
	struct pdata *d;
};

struct match {
	uint32_t ref;            /* live: the action << 30 */
	uint8_t table;           /* enum cp_itype */
	struct kref k;
	const struct cp_delta_ent *live;
};

#define CP_QUIC_SLOTS 64

struct cp_inspector {
	struct pinfo pi[CP_INSPECT_BURST];
	struct pdata pd[CP_INSPECT_BURST];
	uint32_t v4addr[MAX_V4];
	uint8_t v6addr[MAX_V4][16];
	struct klist v4, v6, dom, url, ja3;
	struct match m[MAX_MATCH];
	unsigned nm;
	union {                  /* scratch of one parse */
		struct cp_tls_hello tls;
		struct cp_http_req http;
	} u;
	struct cp_ind ind;
	/* Clients' QUIC CRYPTO streams, by DCID: a hello in two Initials
	 * (back to back, as clients send them) is whole at the second. 64
	 * slots, ~6.5 KB each, touched by Initials alone; one unused for 2 s
	 * is free. And the Initials opened in second quic_sec, of at most
	 * CP_QUIC_PER_SEC. */
	struct cp_quic quic[CP_QUIC_SLOTS];
	int64_t quic_at[CP_QUIC_SLOTS];
	int64_t quic_sec;
	unsigned quic_left;
	int want_ja3;            /* this burst's set can match a JA3 */
	uint64_t labels;         /* the suffix probes it needs (cp_store_domain_keys) */
};

static inline void cp__add_match(struct cp_inspector *in, uint32_t ref, enum cp_itype t,
				 struct kref k, const struct cp_delta_ent *live)
{
	if (in->nm < MAX_MATCH)
		in->m[in->nm++] = (struct match){ .ref = ref, .table = (uint8_t)t, .k = k,
						  .live = live };
}

/* scan.c: the pattern scans of a burst's packets not already allowed. */
void cp__inspect_scan(struct cp_inspector *in, const struct cp_intel_view *v,
		      const uint8_t *const *pkt, unsigned n, const uint8_t *action,
		      struct cp_inspect_stats *st);

#endif
