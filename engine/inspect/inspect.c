/* Burst inspection: parse every packet, gather its keys into one list per
 * table, look each list up in bulk (the store prefetches across the whole
 * list), then fold the refs into actions and alerts. Data plane: the only
 * memory touched is the inspector's scratch, the packets and the store. */
#include "inspect/inspect_internal.h"
#include "common/cp.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const on_names[CP_ON__COUNT] = {
	"ip.src", "ip.dst", "dns.query", "tls.sni", "http.host", "http.url", "tls.ja3", "payload",
};

const char *cp_match_on_name(enum cp_match_on on)
{
	return (unsigned)on < CP_ON__COUNT ? on_names[on] : "unknown";
}

enum cp_ptarget cp_match_on_target(enum cp_match_on on)
{
	return on == CP_ON_URL ? CP_PT_URL : on == CP_ON_DNS ? CP_PT_DNS : CP_PT_PAYLOAD;
}

const char *cp_app_name(enum cp_app_proto a)
{
	static const char *const n[] = { "", "dns", "tls", "http", "quic" };
	return (unsigned)a < 5 ? n[a] : "";
}

struct cp_inspector *cp_inspector_new(void)
{
	struct cp_inspector *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->v4.cap = MAX_V4;
	in->v6.cap = MAX_V4;
	in->dom.cap = MAX_DOM;
	in->url.cap = MAX_ONE;
	in->ja3.cap = MAX_ONE;
	in->quic_sec = INT64_MIN;  /* no second yet: the first Initial opens the budget */
	for (unsigned i = 0; i < CP_INSPECT_BURST; i++)
		in->pi[i].d = &in->pd[i];
	return in;
}

void cp_inspector_free(struct cp_inspector *in)
{
	free(in);
}

/* Keys are written in place by the store's key functions: copying a key
 * just written field by field into the list made the 16-byte load wait on
 * a failed store-to-load forward, ~15 % of an IP packet's cost. */
static struct cp_qkey *slot(struct klist *l)
{
	return l->n < l->cap ? &l->key[l->n] : NULL;
}

static void commit(struct klist *l, struct kref r)
{
	l->ref[l->n++] = r;
}

static int non_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)s[i] >= 0x80)
			return 1;
	return 0;
}

/* Keeps a host name (port and IPv6 literals left out) for the domain keys. */
static void set_name(struct pinfo *pi, const char *s, size_t n, enum cp_match_on on)
{
	/* A name longer than the buffer can only be kept cut at a port. */
	size_t m = n < sizeof(pi->d->name) ? n : sizeof(pi->d->name);
	int canon;

	if (m == 0 || s[0] == '[')
		return;
	n = cp_norm_host_copy(pi->d->name, s, m, &canon);
	if (n == 0 || n > CP_DNS_NAME_MAX)
		return;
	pi->d->name[n] = '\0';
	pi->name_len = (uint16_t)n;
	pi->name_on = (uint8_t)on;
	pi->name_canon = (uint8_t)canon;
}

static void count_l7(enum cp_l7 r, enum cp_anomaly why, struct cp_inspect_stats *st)
{
	if (r == CP_L7_PARTIAL)
		st->uninspected++;
	else if (r == CP_L7_BAD)
		st->anomaly[why]++;
}

/* A ClientHello parsed (over TCP or in a QUIC Initial): its SNI and JA3. */
static void took_hello(struct cp_inspector *in, struct pinfo *pi, enum cp_l7 r,
		       enum cp_app_proto app)
{
	if (r != CP_L7_OK)
		return;
	pi->app = app;
	set_name(pi, in->u.tls.sni, in->u.tls.sni_len, CP_ON_SNI);
	memcpy(pi->d->ja3_hex, in->u.tls.ja3_hex, sizeof(pi->d->ja3_hex));
	pi->has_ja3 = in->want_ja3;
}

/* Opening a QUIC Initial costs 2.6-3.2 us here (key derivation, AES-GCM
 * over 1.2 KB), 2.2 us when the tag fails, against 0.22-0.28 us for the
 * same hello over TCP (chokepoint-bench quic, four runs): 50 000 a second
 * per worker is at most ~16 % of its core, whatever a flood of fake
 * Initials asks. Past it, they are counted as uninspected. */
#define CP_QUIC_PER_SEC 50000u

static int quic_initial(struct cp_inspector *in, struct pinfo *pi, const uint8_t *pay, size_t n,
			int64_t now, struct cp_inspect_stats *st)
{
	enum cp_anomaly why = CP_AN_NONE;
	const uint8_t *dcid;
	unsigned dl;

	if (!cp_quic_initial_dcid(pay, n, &dcid, &dl))
		return 0;
	if (in->quic_sec != now)
		in->quic_sec = now, in->quic_left = CP_QUIC_PER_SEC;
	if (in->quic_left == 0) {
		st->uninspected++;
		return 0;
	}
	in->quic_left--;
	/* The slot of this DCID (random, 8 bytes and more in a client's first
	 * Initials). */
	unsigned h = dl;
	for (unsigned i = 0; i < dl; i++)
		h = h * 31 + dcid[i];
	h %= CP_QUIC_SLOTS;
	if (now - in->quic_at[h] > 2)
		in->quic[h].dcid_len = 0xff;  /* stale: no client's stream now */
	in->quic_at[h] = now;
	enum cp_l7 r = cp_parse_quic_hello(pay, n, &in->quic[h], &in->u.tls, in->want_ja3, &why);
	took_hello(in, pi, r, CP_APP_QUIC);
	count_l7(r, why, st);
	return r != CP_L7_NONE;
}

/* The application layer of one packet: DNS on port 53, TLS and HTTP
 * recognised by their first bytes on any TCP port. Returns whether it may
 * have found keys (a name, a URL or a JA3): the caller tests that instead of
 * reading back the fields just written byte by byte, a load that the stores
 * cannot forward to (~6 % of a 64-byte packet's time, per perf annotate). */
static int l7(struct cp_inspector *in, struct pinfo *pi, const uint8_t *f, int64_t now,
	      struct cp_inspect_stats *st)
{
	const uint8_t *pay = f + pi->p.pay_off, *msg;
	size_t n = pi->p.pay_len, mn;
	enum cp_anomaly why = CP_AN_NONE;
	enum cp_l7 r;
	const char *w;
	int canon;

	if (pi->p.frag == CP_FRAG_LATER) {
		st->uninspected += pi->p.proto == 6 || pi->p.proto == 17;
		return 0;
	}
	if (n == 0 || (pi->p.proto != 6 && pi->p.proto != 17))
		return 0;
	if (pi->p.dport == 53) {
		pi->app = CP_APP_DNS;
		msg = pay, mn = n, r = CP_L7_OK;
		if (pi->p.proto == 6)
			r = cp_parse_dns_tcp(pay, n, &msg, &mn);
		if (r == CP_L7_OK)
			r = cp_parse_dns_query(msg, mn, pi->d->name, &mn, &canon, &why);
		/* In place already, and whole: a ':' in a label is no port. */
		if (r == CP_L7_OK) {
			pi->name_len = (uint16_t)mn;
			pi->name_on = CP_ON_DNS;
			pi->name_canon = (uint8_t)canon;
		}
		count_l7(r, why, st);
		return 1;
	}
	if (pi->p.proto != 6)
		return quic_initial(in, pi, pay, n, now, st);
	if (pay[0] == 0x16) {
		r = cp_parse_tls_hello_ja3(pay, n, &in->u.tls, in->want_ja3, &why);
		took_hello(in, pi, r, CP_APP_TLS);
		count_l7(r, why, st);
		return 1;
	}
	r = cp_parse_http_request(pay, n, &in->u.http, &why);
	if (r == CP_L7_OK) {
		pi->app = CP_APP_HTTP;
		set_name(pi, in->u.http.host, in->u.http.host_len, CP_ON_HOST);
		/* Raw UTF-8 would take the normaliser to libidn2, which allocates:
		 * not on this plane. Such requests are counted as uninspected. */
		if (non_ascii(in->u.http.url, in->u.http.url_len))
			st->uninspected++;
		else if (in->u.http.url_len == 0 ||
			 cp_norm_url(in->u.http.url, in->u.http.url_len, &pi->d->url, &w) != 0)
			pi->has_url = 0;
		else
			pi->has_url = 1;
	}
	count_l7(r, why, st);
	return 1;
}

static uint32_t be32(const uint8_t *p)
{
	uint32_t x;

	memcpy(&x, p, 4);
	return __builtin_bswap32(x);
}

/* The two addresses of an IPv4 packet, the only keys most packets have:
 * straight-line, with their keys made for the whole burst afterwards. Done
 * inside keys_of, with its frame and its checks for the other types, this
 * was ~12 % of a 64-byte packet's time. The list holds two a packet. */
static inline void keys_v4(struct cp_inspector *in, unsigned i)
{
	const struct pinfo *pi = &in->pi[i];
	struct klist *l = &in->v4;
	unsigned n = l->n;

	in->v4addr[n] = be32(pi->p.src);
	in->v4addr[n + 1] = be32(pi->p.dst);
	l->ref[n] = (struct kref){ .pkt = (uint16_t)i, .on = CP_ON_IP_SRC };
	l->ref[n + 1] = (struct kref){ .pkt = (uint16_t)i, .on = CP_ON_IP_DST };
	l->n = n + 2;
}

/* Drops the addresses no IPv4 indicator can match (their /24 holds none),
 * keeping the others in order: most addresses then cost two bit tests, not
 * a key, a filter block and a range lookup. Live changes may add any
 * address, so with any of them every address stays. */
_Static_assert(MAX_V4 <= CP_STORE_BULK_MAX, "one call to cp_store_v4_candidates");
static void prune_v4(struct cp_inspector *in, const struct cp_intel_view *v)
{
	struct klist *l = &in->v4;
	uint16_t keep[MAX_V4];
	unsigned k;

	if (cp_delta_count(v->delta) != 0 || l->n == 0)
		return;
	k = cp_store_v4_candidates(v->store, in->v4addr, l->n, keep);
	for (unsigned j = 0; j < k; j++) {
		in->v4addr[j] = in->v4addr[keep[j]];
		l->ref[j] = l->ref[keep[j]];
	}
	l->n = k;
}

/* The keys of everything else: IPv6 addresses, names, URLs and JA3s. */
static void keys_of(struct cp_inspector *in, const struct cp_store *s, unsigned i)
{
	struct pinfo *pi = &in->pi[i];
	struct cp_ind *ind = &in->ind;
	const char *why;

	if (pi->p.family == 6) {
		for (unsigned k = 0; k < 2 && slot(&in->v6) != NULL; k++) {
			ind->type = CP_T_IPV6, ind->len = 16, ind->plen = 128, ind->subdomains = 0;
			memcpy(ind->v, k ? pi->p.dst : pi->p.src, 16);
			memcpy(in->v6addr[in->v6.n], ind->v, 16);
			cp_store_key(s, ind, slot(&in->v6));
			commit(&in->v6, (struct kref){ .pkt = (uint16_t)i,
						     .on = k ? CP_ON_IP_DST : CP_ON_IP_SRC });
		}
	}
	/* Names on the wire are ASCII (IDNs travel as punycode): raw UTF-8
	 * would need libidn2, which allocates, so it is refused and left out. */
	size_t nl = pi->name_len;
	if (nl != 0 && (pi->name_canon || cp_norm_domain_inplace(pi->d->name, &nl, &why) == 0)) {
		uint16_t off[128];
		struct klist *l = &in->dom;
		pi->d->name[nl] = '\0';  /* canonical from here on */
		pi->name_len = (uint16_t)nl;
		unsigned room = l->cap - l->n < 128 ? l->cap - l->n : 128;
		unsigned k = cp_store_domain_keys(s, pi->d->name, pi->name_len, in->labels, l->key + l->n,
						  off, room);
		for (unsigned j = 0; j < k; j++)
			commit(l, (struct kref){ .pkt = (uint16_t)i, .on = pi->name_on,
						 .sub = j > 0, .off = off[j] });
	}
	if (pi->has_url && slot(&in->url) != NULL) {
		cp_store_key(s, &pi->d->url, slot(&in->url));
		commit(&in->url, (struct kref){ .pkt = (uint16_t)i, .on = CP_ON_URL });
	}
	if (pi->has_ja3 && slot(&in->ja3) != NULL &&
	    cp_norm_digest(CP_T_JA3, pi->d->ja3_hex, 32, ind, &why) == 0) {
		cp_store_key(s, ind, slot(&in->ja3));
		commit(&in->ja3, (struct kref){ .pkt = (uint16_t)i, .on = CP_ON_JA3 });
	}
}

/* Live changes: a tombstone hides the store's exact hit (an address then
 * falls through to its covering prefixes), an added value or prefix is a
 * match of its own. Costs nothing without a delta. */
static void apply_delta(struct cp_inspector *in, const struct cp_intel_view *v, struct klist *l,
			enum cp_itype t)
{
	int pfx = cp_delta_has_prefixes(v->delta, t);

	if (cp_delta_count(v->delta) == 0)
		return;
	for (unsigned i = 0; i < l->n; i++) {
		const struct cp_delta_ent *e = cp_delta_find(v->delta, t, &l->key[i], v->now);
		if (e != NULL && e->kind == CP_DELTA_REMOVE)
			l->res[i] = 0;
		else if (e != NULL)
			cp__add_match(in, (uint32_t)e->action << 30, t, l->ref[i], e);
		if (!pfx)
			continue;
		uint8_t a4[4];
		const uint8_t *a = in->v6addr[i];
		if (t == CP_T_IPV4) {
			uint32_t x = in->v4addr[i];
			a4[0] = (uint8_t)(x >> 24), a4[1] = (uint8_t)(x >> 16);
			a4[2] = (uint8_t)(x >> 8), a4[3] = (uint8_t)x;
			a = a4;
		}
		if ((e = cp_delta_prefix(v->delta, t, a, v->now)) != NULL)
			cp__add_match(in, (uint32_t)e->action << 30, t, l->ref[i], e);
	}
}

/* The exact table, the live changes over it, then the CIDRs for the misses,
 * CP_STORE_BULK_MAX keys a call. */
static void exact_then_prefix(struct cp_inspector *in, const struct cp_intel_view *v,
			      struct klist *l, enum cp_itype t)
{
	const struct cp_store *s = v->store;

	for (unsigned i = 0; i < l->n; i += CP_STORE_BULK_MAX) {
		unsigned k = l->n - i < CP_STORE_BULK_MAX ? l->n - i : CP_STORE_BULK_MAX;
		cp_store_lookup_bulk(s, t, l->key + i, l->res + i, k);
	}
	apply_delta(in, v, l, t);
	/* An exact address's set already holds its covering CIDRs, so only the
	 * misses ask the CIDR table, in one call. */
	if ((t == CP_T_IPV4 || t == CP_T_IPV6) && cp_store_has_prefixes(s, t)) {
		uint32_t miss[MAX_V4], res[MAX_V4];
		uint8_t miss6[MAX_V4][16];
		uint16_t at[MAX_V4];
		unsigned k = 0;
		for (unsigned i = 0; i < l->n; i++) {
			if (l->res[i] != 0)
				continue;
			at[k] = (uint16_t)i;
			if (t == CP_T_IPV4)
				miss[k++] = in->v4addr[i];
			else
				memcpy(miss6[k++], in->v6addr[i], 16);
		}
		if (t == CP_T_IPV4)
			cp_store_lpm4_bulk(s, miss, res, k);
		else
			cp_store_lpm6_bulk(s, (const uint8_t(*)[16])miss6, res, k);
		for (unsigned j = 0; j < k; j++)
			l->res[at[j]] = res[j];
	}
}

/* Looks a whole list up and keeps the hits. */
static void lookup(struct cp_inspector *in, const struct cp_intel_view *v, struct klist *l,
		   enum cp_itype t)
{
	const struct cp_store *s = v->store;

	/* Without live changes an IPv4 address takes both its tables in one
	 * call, their reads overlapped; with them, a tombstone on an exact
	 * hit sends the address on to the CIDRs, so the two go in turn. */
	if (t == CP_T_IPV4 && cp_delta_count(v->delta) == 0)
		cp_store_ipv4_bulk(s, in->v4addr, l->key, l->res, l->n);
	else
		exact_then_prefix(in, v, l, t);
	for (unsigned i = 0; i < l->n; i++) {
		uint32_t r = l->res[i] ? cp_store_live_ref(s, l->res[i], v->now) : 0;
		if (r != 0)
			cp__add_match(in, r, t, l->ref[i], NULL);
	}
}

/* allow (3) > drop (2) > alert (1): a packet's action is the largest of
 * its matches from the from'th on. */
static void fold(const struct cp_inspector *in, unsigned from, uint8_t *action)
{
	for (unsigned j = from; j < in->nm; j++) {
		uint8_t a = (uint8_t)cp_ref_action(in->m[j].ref);
		if (a > action[in->m[j].k.pkt])
			action[in->m[j].k.pkt] = a;
	}
}

static void fill_alert(const struct cp_inspector *in, const struct cp_store *s,
		       const struct match *m, uint8_t verdict, struct cp_alert *a)
{
	const struct pinfo *pi = &in->pi[m->k.pkt];
	size_t n = 0;

	*a = (struct cp_alert){ .ref = m->ref, .sport = pi->p.sport, .dport = pi->p.dport,
				.family = pi->p.family, .proto = pi->p.proto, .app = pi->app,
				.on = m->k.on, .verdict = verdict, .itype = m->table,
				.subdomains = m->k.sub, .store = s, .live = m->live,
				.l4 = pi->l4ok && pi->p.frag != CP_FRAG_LATER,
				.pkt = m->k.pkt };
	memcpy(a->src, pi->p.src, 16);
	memcpy(a->dst, pi->p.dst, 16);
	if (m->table == CP_T_DOMAIN) {
		n = (size_t)pi->name_len - m->k.off;
		memcpy(a->value, pi->d->name + m->k.off, n);
	} else if (m->table == CP_ITYPE_PATTERN && m->k.on == CP_ON_DNS) {
		n = pi->name_len;  /* at most 253 */
		memcpy(a->value, pi->d->name, n);
	} else if (m->table == CP_T_URL || (m->table == CP_ITYPE_PATTERN && m->k.on == CP_ON_URL)) {
		n = pi->d->url.len < CP_ALERT_VALUE - 1 ? pi->d->url.len : CP_ALERT_VALUE - 1;
		memcpy(a->value, pi->d->url.v, n);
	} else if (m->table == CP_T_JA3) {
		n = 32;
		memcpy(a->value, pi->d->ja3_hex, n);
	}
	a->value[n] = '\0';
	a->vlen = (uint8_t)n;
}

unsigned cp_inspect_burst(struct cp_inspector *in, const struct cp_intel_view *v,
			  const uint8_t *const *pkt, const uint32_t *len, unsigned n,
			  uint8_t *action, struct cp_alert *alerts, unsigned max,
			  struct cp_inspect_stats *st)
{
	const struct cp_store *s = v->store;
	unsigned na = 0;

	if (n > CP_INSPECT_BURST)
		n = CP_INSPECT_BURST;
	in->v4.n = in->v6.n = in->dom.n = in->url.n = in->ja3.n = 0;
	in->nm = 0;
	/* A JA3 is worth its MD5 only when the store or a live change holds
	 * one: live changes are few, so any of them counts. */
	in->want_ja3 = cp_store_count(s, CP_T_JA3) != 0 || cp_delta_count(v->delta) != 0;
	/* Live subdomain adds are not in the store's mask: with any live
	 * change, every suffix is probed. */
	in->labels = cp_delta_count(v->delta) != 0 ? ~0ull : cp_store_sub_labels(s);
	/* Headers of the whole burst first: a NIC (or a ring) hands over
	 * packets that are not in L1, and parsing one at a time would wait on
	 * each in turn. */
	for (unsigned i = 0; i < n; i++)
		cp_prefetch(pkt[i]);
	for (unsigned i = 0; i < n; i++) {
		struct pinfo *pi = &in->pi[i];
		/* And the rest of a packet two ahead, up to 512 B: a ClientHello
		 * or a request line spans several lines, and the parse of one
		 * waited ~60 % of its time on them. */
		if (i + 2 < n)
			for (uint32_t o = 64; o < len[i + 2] && o < 512; o += 64)
				cp_prefetch(pkt[i + 2] + o);
		enum cp_anomaly a = cp_parse_l2l4(pkt[i], len[i], &pi->p);

		action[i] = CP_ACT_NONE;
		pi->l4ok = a == CP_AN_NONE;
		pi->app = CP_APP_NONE;
		pi->name_len = 0;
		pi->name_canon = 0;
		pi->has_url = 0;
		pi->has_ja3 = 0;
		st->packets++;
		if (a != CP_AN_NONE)
			st->anomaly[a]++;
		if (pi->p.family == 0) {
			st->not_ip += a == CP_AN_NONE;
			continue;
		}
		int more = a == CP_AN_NONE && l7(in, pi, pkt[i], v->now, st);
		if (pi->p.family == 4)
			keys_v4(in, i);
		if (pi->p.family == 6 || more)
			keys_of(in, s, i);
	}
	prune_v4(in, v);
	cp_store_keys_ipv4(s, in->v4addr, in->v4.key, in->v4.n);
	lookup(in, v, &in->v4, CP_T_IPV4);
	lookup(in, v, &in->v6, CP_T_IPV6);
	lookup(in, v, &in->dom, CP_T_DOMAIN);
	lookup(in, v, &in->url, CP_T_URL);
	lookup(in, v, &in->ja3, CP_T_JA3);
	fold(in, 0, action);
	if (v->scratch != NULL) {
		unsigned nm = in->nm;
		cp__inspect_scan(in, v, pkt, n, action, st);
		fold(in, nm, action);
	}
	for (unsigned j = 0; j < in->nm; j++) {
		const struct match *m = &in->m[j];
		st->matched[m->k.on]++;
		if (action[m->k.pkt] == CP_ACT_ALLOW)
			continue;  /* allowed traffic is not inspected further */
		if (na < max)
			fill_alert(in, s, m, action[m->k.pkt], &alerts[na++]);
		else
			st->alerts_lost++;
	}
	return na;
}
