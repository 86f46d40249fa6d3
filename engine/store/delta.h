/* Live changes over a store: indicators added, and tombstones that hide the
 * store's own, made by the control plane (chokepoint-ctl add/remove) and
 * read by the data plane beside the store. Immutable once built: a change
 * builds a new delta and publishes it like a new set (RCU), so readers
 * never lock. Kept small (at most 100 k entries), so a rebuild per change
 * costs well under a millisecond at the sizes operators type by hand.
 *
 * Exact values (every type; domains with or without their subdomains) are
 * found by the store's own probe keys, so a delta is built for one store
 * (its seed). Added IP prefixes are few and scanned. Tombstones hide exact
 * values; a prefix of the store is removed by a reload.
 */
#ifndef CP_DELTA_H
#define CP_DELTA_H

#include <stdint.h>

#include "indicator/indicator.h"
#include "store/store.h"

#define CP_DELTA_MAX 100000
#define CP_DELTA_MAX_PREFIXES 256

enum cp_delta_kind { CP_DELTA_ADD = 1, CP_DELTA_REMOVE = 2 };

/* One change as the control plane holds it. */
struct cp_delta_in {
	struct cp_ind ind;       /* canonical */
	uint8_t kind;            /* enum cp_delta_kind */
	uint8_t action;          /* ADD: enum cp_action */
	int64_t expires;         /* unix seconds; 0 = never */
	char feed[64];
};

/* One change as readers see it. */
struct cp_delta_ent {
	struct cp_qkey key;
	uint8_t type, kind, action, plen;
	uint8_t addr[16];        /* IP: network bytes */
	int64_t expires;
	const char *text;        /* canonical text, for alerts */
	const char *feed;
};

struct cp_delta;

/* Builds a delta of in[0..n) for store s. NULL with errno set. */
struct cp_delta *cp_delta_build(const struct cp_store *s, const struct cp_delta_in *in,
				unsigned n);
void cp_delta_free(struct cp_delta *d);

/* The live entry for probe key k of table t at time now, or NULL. */
const struct cp_delta_ent *cp_delta_find(const struct cp_delta *d, enum cp_itype t,
					 const struct cp_qkey *k, int64_t now);
/* The longest live added prefix holding addr (4 or 16 bytes), or NULL;
 * NULL for any t but ipv4 and ipv6. */
const struct cp_delta_ent *cp_delta_prefix(const struct cp_delta *d, enum cp_itype t,
					   const uint8_t *addr, int64_t now);
/* Whether d has added prefixes of type t (to skip the scan); 0 for any t
 * but ipv4 and ipv6. */
int cp_delta_has_prefixes(const struct cp_delta *d, enum cp_itype t);
unsigned cp_delta_count(const struct cp_delta *d);

#endif
