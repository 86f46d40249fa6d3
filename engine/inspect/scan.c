/* Pattern scans (Hyperscan, block mode) of a burst: the payload, the URL
 * and the DNS name of each packet not already allowed. Data plane: one
 * hs_scan a target, into the per-worker scratch. */
#include "inspect/inspect_internal.h"

/* One Hyperscan scan's state, for its match callback. */
struct hits {
	struct cp_inspector *in;
	const struct cp_store *s;
	const struct cp_pat_ref *refs;
	int64_t now;
	struct kref k;
	unsigned n;
	uint32_t npat;
	int capped;
};

static int on_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		  void *arg)
{
	struct hits *h = arg;
	const struct cp_meta_rec *m = id < h->npat ? cp_store_meta(h->s, h->refs[id].meta) : NULL;

	(void)from, (void)to, (void)flags;
	/* A context past its valid_until no longer matches, as for values. */
	if (m == NULL || (m->valid_until != 0 && m->valid_until <= h->now))
		return 0;
	if (h->n == CP_PATTERN_HITS || h->in->nm == MAX_MATCH) {
		h->capped = 1;
		return 1;  /* stops the scan */
	}
	cp__add_match(h->in, (uint32_t)m->action << 30 | id, (enum cp_itype)CP_ITYPE_PATTERN, h->k, NULL);
	h->n++;
	return 0;
}

/* The databases of a store, fetched once a burst. */
struct pdbs {
	const hs_database_t *db[CP_PT__COUNT];
	const struct cp_pat_ref *refs[CP_PT__COUNT];
	uint32_t n[CP_PT__COUNT];
};

static void scan_one(struct hits *h, const struct pdbs *d, hs_scratch_t *scratch,
		     enum cp_match_on on, uint16_t pkt, const void *data, size_t n,
		     struct cp_inspect_stats *st)
{
	enum cp_ptarget t = cp_match_on_target(on);

	if (d->db[t] == NULL || n == 0 || n > UINT32_MAX)
		return;
	h->refs = d->refs[t];
	h->npat = d->n[t];
	h->k = (struct kref){ .pkt = pkt, .on = (uint8_t)on };
	h->n = 0;
	h->capped = 0;
	hs_error_t e = hs_scan(d->db[t], data, (unsigned)n, 0, scratch, on_hit, h);
	st->pattern_scans++;
	st->pattern_bytes += n;
	st->pattern_capped += (uint64_t)h->capped;
	/* HS_SCAN_TERMINATED is the callback's stop; anything else is a scratch
	 * that does not fit the database, which a generation rules out. */
	st->pattern_errors += e != HS_SUCCESS && e != HS_SCAN_TERMINATED;
}

/* Pattern scans, in block mode, of every packet not already allowed: the
 * TCP or UDP payload (first fragments only: later ones have no L4), the
 * normalised URL and the DNS query name. */
void cp__inspect_scan(struct cp_inspector *in, const struct cp_intel_view *v,
		      const uint8_t *const *pkt, unsigned n, const uint8_t *action,
		      struct cp_inspect_stats *st)
{
	struct hits h = { .in = in, .s = v->store, .now = v->now };
	struct pdbs d;
	int any = 0;

	for (unsigned t = 0; t < CP_PT__COUNT; t++) {
		d.db[t] = cp_store_patterns(v->store, t, &d.n[t], &d.refs[t]);
		any |= d.db[t] != NULL;
	}
	if (!any)
		return;
	for (unsigned i = 0; i < n; i++) {
		const struct pinfo *pi = &in->pi[i];
		if (action[i] == CP_ACT_ALLOW || pi->p.family == 0)
			continue;
		if (pi->l4ok && pi->p.frag != CP_FRAG_LATER && (pi->p.proto == 6 || pi->p.proto == 17))
			scan_one(&h, &d, v->scratch, CP_ON_PAYLOAD, (uint16_t)i,
				 pkt[i] + pi->p.pay_off, pi->p.pay_len, st);
		if (pi->has_url)
			scan_one(&h, &d, v->scratch, CP_ON_URL, (uint16_t)i, pi->d->url.v, pi->d->url.len,
				 st);
		if (pi->name_len != 0 && pi->name_on == CP_ON_DNS)
			scan_one(&h, &d, v->scratch, CP_ON_DNS, (uint16_t)i, pi->d->name, pi->name_len,
				 st);
	}
}
