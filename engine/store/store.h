/* The indicator store: per-type tables, immutable once built, read without
 * locks by any number of threads. Runtime on the data plane; opened and
 * closed on the control plane.
 *
 * A lookup returns a ref (0 = no match): a 32-bit handle to the de-duplicated
 * set of metadata records of everything that matched, with the winning action
 * in its top two bits so a verdict needs no further memory access:
 *
 *   ref:  [31:30] action (1 alert, 2 drop, 3 allow)  [29:0] offset of the set
 *   set:  sets[off] = count, then count entries of
 *         [31:24] prefix length + 1 (IP types; 0 otherwise)  [23:0] meta id
 */
#ifndef CP_STORE_H
#define CP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "indicator/indicator.h"

struct cp_store;
struct cp_snap;

/* Most keys one table's pass takes: the two addresses of each packet of an
 * inspector's burst (128) at once; the store's bulk calls take longer
 * lists in pieces of this many. */
#define CP_STORE_BULK_MAX 256

/* A prepared probe for one exact table. */
struct cp_qkey {
	uint64_t a;   /* ordering key: keyed hash (or ipv4 permutation << 32) */
	uint32_t b;   /* further 32 fingerprint bits (0 for ipv4) */
	uint32_t pad;
};

/* Metadata record, shared by every indicator with the same context.
 * Strings are offsets into the string table; 0 means unset. */
struct cp_meta_rec {
	uint8_t action;      /* enum cp_action */
	uint8_t confidence;  /* 0..100, or 255 when the feed gave none */
	uint16_t flags;
	uint32_t feed;
	uint32_t id;
	uint32_t tags;       /* comma-separated */
	int64_t valid_until; /* unix seconds; 0 = never expires */
};

/* A pattern of the store, by its Hyperscan id: its context and its text. */
struct cp_pat_ref {
	uint32_t meta;       /* metadata record */
	uint32_t text;       /* string offset: the pattern's canonical text */
};

/* One match reported by cp_store_match(). */
struct cp_match {
	uint32_t ref;
	uint8_t subdomains;  /* domain: matched as a suffix indicator */
	uint8_t pad;
	uint16_t name_off;   /* domain: offset of the matched suffix in the name */
};

static inline enum cp_action cp_ref_action(uint32_t ref)
{
	return (enum cp_action)(ref >> 30);
}

/* Opens a store over the sections of a loaded snapshot; validates every
 * table's geometry. The snapshot must outlive the store.
 * Returns NULL with errno set (EBADMSG: inconsistent sections). */
struct cp_store *cp_store_open(const struct cp_snap *snap);
/* The same, taking the pattern databases of prev (may be NULL) that the
 * new snapshot holds unchanged instead of restoring them again; each
 * store may be closed in any order. */
struct cp_store *cp_store_open_reuse(const struct cp_snap *snap, const struct cp_store *prev);
void cp_store_close(struct cp_store *s);

/* Prepares the exact-table probe for a canonical ipv4/32, ipv6/128, url or
 * digest value (domains: see cp_store_domain_keys). */
void cp_store_key(const struct cp_store *s, const struct cp_ind *ind, struct cp_qkey *k);

/* The same for n IPv4 addresses in host byte order, without a cp_ind. */
void cp_store_keys_ipv4(const struct cp_store *s, const uint32_t *addrs, struct cp_qkey *k,
			unsigned n);

/* Prepares the probes for a domain name: the exact name, then every suffix on
 * a label boundary as a subdomain indicator, of those label counts whose
 * bit is set in labels (bit k: k labels, 63: 63 or more; ~0: all).
 * offs[i] is where probe i's name starts in name. Returns the number of
 * probes written (at most max). */
unsigned cp_store_domain_keys(const struct cp_store *s, const char *name, size_t n,
			      uint64_t labels, struct cp_qkey *keys, uint16_t *offs, unsigned max);
/* The label counts of the store's subdomain indicators, for labels above
 * (~0 for a snapshot that does not say). */
uint64_t cp_store_sub_labels(const struct cp_store *s);

/* Looks up n (<= CP_STORE_BULK_MAX) probes in the table of type t, prefetching
 * across the whole burst. refs[i] gets the ref, or 0. Returns the hits. */
unsigned cp_store_lookup_bulk(const struct cp_store *s, enum cp_itype t,
			      const struct cp_qkey *keys, uint32_t *refs, unsigned n);

/* The indexes of the addresses (host byte order) that some IPv4 indicator,
 * exact or CIDR, may match: those in a /24 that holds one. An address left
 * out misses both the exact and the CIDR lookup, so a burst need not make
 * its key nor take it to either. All of them when the snapshot predates the
 * map. n <= CP_STORE_BULK_MAX; returns the count written to keep. */
unsigned cp_store_v4_candidates(const struct cp_store *s, const uint32_t *addrs, unsigned n,
				uint16_t *keep);

/* Longest-prefix match of n IPv4 addresses (host byte order) over the CIDR
 * indicators. refs[i] covers every CIDR containing addrs[i]. Returns hits. */
unsigned cp_store_lpm4_bulk(const struct cp_store *s, const uint32_t *addrs,
			    uint32_t *refs, unsigned n);

/* Both IPv4 lookups at once, their reads overlapped: refs[i] gets the exact
 * match's ref (whose set holds the CIDRs covering it), else the longest
 * covering CIDR's, else 0; what cp_store_lookup_bulk, then
 * cp_store_lpm4_bulk on its misses, give. keys: cp_store_keys_ipv4 of
 * addrs. Returns the hits. */
unsigned cp_store_ipv4_bulk(const struct cp_store *s, const uint32_t *addrs,
			    const struct cp_qkey *keys, uint32_t *refs, unsigned n);

/* Whether the store holds CIDRs of type t (ipv4, ipv6): without, a miss
 * of the exact table is final. */
int cp_store_has_prefixes(const struct cp_store *s, enum cp_itype t);

/* The same for n IPv6 addresses (16 network-order bytes each). */
unsigned cp_store_lpm6_bulk(const struct cp_store *s, const uint8_t (*addrs)[16],
			    uint32_t *refs, unsigned n);

/* Everything that matches one canonical value: exact and CIDR for IPs, exact
 * and suffix for domains. Writes up to max matches; returns their count. */
unsigned cp_store_match(const struct cp_store *s, const struct cp_ind *ind,
			struct cp_match *m, unsigned max);

/* The entries of a ref's set: returns the count and sets *ents, or 0 for a
 * ref that points outside the table. Points into the store; not copied. */
unsigned cp_store_set(const struct cp_store *s, uint32_t ref, const uint32_t **ents);
const struct cp_meta_rec *cp_store_meta(const struct cp_store *s, uint32_t id);
/* ref with its action recomputed from the contexts still valid at now
 * (unix seconds), or 0 when none is: indicators stop matching at their
 * valid_until. Free until the store's first expiry comes. */
uint32_t cp_store_live_ref(const struct cp_store *s, uint32_t ref, int64_t now);
/* Contexts (metadata records) whose valid_until has passed at now. */
uint64_t cp_store_expired(const struct cp_store *s, int64_t now);
/* A string of the string table, or NULL for 0 or an offset out of range. */
const char *cp_store_str(const struct cp_store *s, uint32_t off);

/* Sizes for `info` and the benches. */
uint64_t cp_store_count(const struct cp_store *s, enum cp_itype t);
/* The compiled pattern database for target t (enum cp_ptarget), restored
 * from the snapshot without recompiling, or NULL when it has none; *n gets
 * its pattern count and *refs their contexts by Hyperscan id. */
const void *cp_store_patterns(const struct cp_store *s, unsigned t, uint32_t *n,
			      const struct cp_pat_ref **refs);
/* Hyperscan scratch for scanning every pattern database of the store, one
 * per thread: out[0..copies) (all NULL without patterns). Control plane;
 * free with cp_pattern_scratch_free. Returns 0 or -ENOMEM. */
typedef struct hs_scratch hs_scratch_t;
int cp_store_scratch_new(const struct cp_store *s, unsigned copies, hs_scratch_t **out);
uint64_t cp_store_bytes(const struct cp_store *s, enum cp_itype t);
uint64_t cp_store_shared_bytes(const struct cp_store *s);
uint64_t cp_store_seed(const struct cp_store *s);

#endif
