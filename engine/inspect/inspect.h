/* Inspection of a burst of packets against the store: parse, extract keys,
 * look them all up in bulk, decide each packet's action and describe each
 * match as an alert record. Data plane, and free of DPDK so that it is
 * tested on plain byte arrays; the worker wraps it around rx/tx bursts.
 *
 * An inspector holds the scratch for one burst: one per worker lcore,
 * created on the control plane, never shared.
 */
#ifndef CP_INSPECT_H
#define CP_INSPECT_H

#include <stdint.h>

#include "parse/parse.h"
#include "pattern/pattern.h"
#include "store/delta.h"
#include "store/store.h"

#define CP_INSPECT_BURST 128

/* Where in the packet a key came from (EVE intel.matched_on). */
enum cp_match_on {
	CP_ON_IP_SRC, CP_ON_IP_DST, CP_ON_DNS, CP_ON_SNI, CP_ON_HOST, CP_ON_URL, CP_ON_JA3,
	CP_ON_PAYLOAD, CP_ON__COUNT
};
const char *cp_match_on_name(enum cp_match_on on);

enum cp_app_proto { CP_APP_NONE, CP_APP_DNS, CP_APP_TLS, CP_APP_HTTP, CP_APP_QUIC };
const char *cp_app_name(enum cp_app_proto a);

/* An alert's itype for a pattern match: its ref is the action << 30 and
 * the pattern's Hyperscan id, in the database of the target its match_on
 * names (cp_match_on_target). */
#define CP_ITYPE_PATTERN CP_T__COUNT
#define CP_PATTERN_ID(ref) ((ref) & 0x3fffffffu)
/* The pattern target scanned for a match_on: payload, http.url, dns.query. */
enum cp_ptarget cp_match_on_target(enum cp_match_on on);

/* Pattern matches one scan keeps (a packet's payload, URL or name); a scan
 * that finds more stops there and is counted as capped: eight alerts say
 * what a packet is. */
#define CP_PATTERN_HITS 8

/* The value an alert names: a domain suffix, a URL (cut to fit), a JA3. */
#define CP_ALERT_VALUE 240

/* One match, as the writer needs it; fixed size, so it travels in a ring. */
struct cp_alert {
	uint64_t tsc;            /* stamped by the worker */
	uint64_t generation;     /* of the set it matched in: stamped by the worker */
	const struct cp_store *store;  /* the set it matched in, for its context */
	const struct cp_delta_ent *live;  /* set: a live-added indicator, not ref */
	uint32_t ref;            /* the matched set */
	uint16_t sport, dport;   /* as struct cp_pkt has them (ICMP: type, code) */
	uint8_t family, proto, app, on;
	uint8_t l4;              /* 1: sport and dport were read from the L4 header */
	uint8_t verdict;         /* enum cp_action of the packet */
	uint8_t itype;           /* enum cp_itype of the key */
	uint8_t subdomains;
	uint8_t vlen;
	uint16_t port;           /* the port it came in on: stamped by the worker */
	uint16_t pkt;            /* its packet's index in the burst */
	/* With --eve-packet, the worker's copy of the packet's first bytes
	 * (packet_len of wire_len): stamped by the worker; NULL: none. */
	const uint8_t *packet;
	uint16_t packet_len;
	uint32_t wire_len;
	uint8_t src[16], dst[16];
	char value[CP_ALERT_VALUE];
};

/* A flow's id for EVE's flow_id: a hash of family, protocol and the two
 * (address, port) ends taken in order, so both directions share it and
 * alerts of one flow can be grouped. 53 bits, which a JSON reader holds
 * exactly in a double. The same 5-tuple reused later gets the same id. */
uint64_t cp_alert_flow_id(const struct cp_alert *a);

/* The flow's Community ID, v1 ("1:" and the base64 of a SHA-1 over seed
 * and 5-tuple, github.com/corelight/community-id-spec), into out: what
 * Suricata, Zeek and Elastic write for the same flow with the same seed.
 * -1 where it is not defined: not IP, or a protocol with ports whose ports
 * this packet does not show (a later fragment, a cut header). */
#define CP_COMMUNITY_ID_SIZE 31  /* "1:", 28 base64 characters, NUL */
int cp_alert_community_id(const struct cp_alert *a, uint16_t seed, char *out);

struct cp_inspect_stats {
	uint64_t packets, not_ip, uninspected, alerts_lost;
	uint64_t anomaly[CP_AN__COUNT];
	uint64_t matched[CP_ON__COUNT];
	uint64_t pattern_scans, pattern_bytes, pattern_capped, pattern_errors;
};

struct cp_inspector;

/* Returns NULL with errno set. */
struct cp_inspector *cp_inspector_new(void);
void cp_inspector_free(struct cp_inspector *in);

/* What a burst is matched against: the store, the live changes over it
 * (may be NULL), the time (unix seconds) for their expiry, and this
 * thread's Hyperscan scratch for the store's pattern databases (NULL: the
 * patterns are not scanned). */
struct cp_intel_view {
	const struct cp_store *store;
	const struct cp_delta *delta;
	int64_t now;
	hs_scratch_t *scratch;
};

/* Inspects n (<= CP_INSPECT_BURST) packets. action[i] gets the winning
 * action (CP_ACT_NONE: no match). Alerts for every match of a packet that
 * is not allowed go to alerts[0..max); ones past max are counted as lost.
 * Returns the number of alerts written. */
unsigned cp_inspect_burst(struct cp_inspector *in, const struct cp_intel_view *v,
			  const uint8_t *const *pkt, const uint32_t *len, unsigned n,
			  uint8_t *action, struct cp_alert *alerts, unsigned max,
			  struct cp_inspect_stats *st);

#endif
