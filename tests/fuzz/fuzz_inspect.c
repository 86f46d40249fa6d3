/* libFuzzer target for burst inspection with pattern scans: each input is a
 * burst of frames (a 2-byte length before each), inspected against a store
 * that holds values of every type the fast path matches (addresses, CIDRs
 * nested inside each other, exact and subdomain names, a URL, a JA3) with
 * mixed actions, and patterns of every target, so the /24 prune, the
 * longest-prefix match, the suffix walk, the scans and the allow precedence
 * all run on hostile packets. Each burst goes twice: over the store alone,
 * then with live changes over it (chokepoint-ctl add/remove: prefixes,
 * tombstones, an expired add), which take other paths (no prune, exact then
 * prefix in turn, every suffix probed). Every alert must carry a value that
 * one of the indicators below explains, with that indicator's action. */
#include "compile.h"
#include "inspect/inspect.h"
#include "pattern/pattern.h"
#include "snapshot/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The time of the live pass: the add that expires at 50 is gone. */
#define NOW 100

/* The set. The allow CIDRs sit inside alert ones and the allow name under
 * a subdomain drop, so precedence decides what the packet gets. Entries
 * with a kind are the live changes, not compiled. */
static const struct want {
	enum cp_itype t;
	enum cp_action act;
	const char *text;
	uint8_t kind;     /* 0: in the store; else enum cp_delta_kind */
	int64_t expires;
} want[] = {
	{ CP_T_IPV4, CP_ACT_DROP, "10.0.0.1", 0, 0 },
	{ CP_T_IPV4, CP_ACT_ALERT, "10.1.0.0/16", 0, 0 },
	{ CP_T_IPV4, CP_ACT_ALLOW, "10.1.2.0/24", 0, 0 },
	{ CP_T_IPV4, CP_ACT_ALERT, "192.0.2.0/24", 0, 0 },  /* the seeds' source */
	{ CP_T_IPV6, CP_ACT_DROP, "2001:db8::1", 0, 0 },
	{ CP_T_IPV6, CP_ACT_ALERT, "2001:db8:1::/48", 0, 0 },
	{ CP_T_IPV6, CP_ACT_ALLOW, "2001:db8:1:2::/64", 0, 0 },
	{ CP_T_DOMAIN, CP_ACT_ALERT, "evil.example", 0, 0 },
	{ CP_T_DOMAIN, CP_ACT_DROP, "*.sub.example", 0, 0 },
	{ CP_T_DOMAIN, CP_ACT_ALLOW, "ok.sub.example", 0, 0 },
	{ CP_T_URL, CP_ACT_ALERT, "http://evil.example/x.php", 0, 0 },
	{ CP_T_JA3, CP_ACT_DROP, "526cfb56edaf1183f21ff3c5deef718f", 0, 0 },  /* frame-tls */
	{ CP_T_IPV4, CP_ACT_DROP, "172.16.0.0/12", CP_DELTA_ADD, 0 },
	{ CP_T_IPV4, CP_ACT_ALERT, "198.51.100.0/24", CP_DELTA_ADD, 0 },  /* the seeds' dst */
	{ CP_T_IPV4, CP_ACT_ALLOW, "192.0.2.128/25", CP_DELTA_ADD, 0 },
	{ CP_T_IPV4, CP_ACT_NONE, "10.0.0.1", CP_DELTA_REMOVE, 0 },
	{ CP_T_IPV6, CP_ACT_ALERT, "2001:db8:2::/48", CP_DELTA_ADD, 0 },
	{ CP_T_IPV6, CP_ACT_DROP, "2001:db8::2", CP_DELTA_ADD, 0 },
	{ CP_T_DOMAIN, CP_ACT_DROP, "*.live.example", CP_DELTA_ADD, 0 },
	{ CP_T_DOMAIN, CP_ACT_ALERT, "www.evil.example", CP_DELTA_ADD, 0 },  /* frame-dns */
	{ CP_T_DOMAIN, CP_ACT_NONE, "evil.example", CP_DELTA_REMOVE, 0 },
	{ CP_T_DOMAIN, CP_ACT_DROP, "gone.example", CP_DELTA_ADD, 50 },
	{ CP_T_JA3, CP_ACT_ALERT, "e7d705a3286e19ea42f587b344ee6865", CP_DELTA_ADD, 0 },
};
#define NWANT (sizeof(want) / sizeof(want[0]))

static struct cp_ind canon[NWANT];  /* want[i] normalised */
static char canon_text[NWANT][CP_ALERT_VALUE];  /* its canonical text: an alert's value */
static uint8_t gone[NWANT];         /* a store entry the live changes remove */
static int live_pass;               /* the burst now inspected has the delta */
static struct cp_delta *delta;
static struct cp_store *store;
static hs_scratch_t *scratch;
static struct cp_inspector *in;
static struct cp_snap *snap;  /* kept reachable: the store reads it */

static void add(struct cp_compiler *c, const char *text, enum cp_ptarget t, uint32_t mid)
{
	static struct cp_pattern p;
	const char *why;

	if (cp_pattern_parse(text, strlen(text), &p, &why) != 0 ||
	    cp_compiler_add_pattern(c, &p, t, mid, "fuzz", 1) != 0)
		abort();
}

static void add_values(struct cp_compiler *c)
{
	uint32_t mid[CP_ACT_ALLOW + 1];
	const char *why;

	for (int a = CP_ACT_ALERT; a <= CP_ACT_ALLOW; a++) {
		struct cp_meta_in m = { .action = (enum cp_action)a, .confidence = -1,
					.feed = "fuzz" };
		if (cp_compiler_meta(c, &m, &mid[a]) != 0)
			abort();
	}
	for (size_t i = 0; i < NWANT; i++) {
		if (cp_norm(want[i].t, want[i].text, strlen(want[i].text), &canon[i], &why) != 0 ||
		    (want[i].kind == 0 && cp_compiler_add(c, &canon[i], mid[want[i].act]) != 0))
			abort();
		cp_ind_format(&canon[i], canon_text[i], sizeof(canon_text[i]));
	}
	add(c, "/beacon-[0-9a-f]{4}/i", CP_PT_PAYLOAD, mid[CP_ACT_ALERT]);
	add(c, "GET", CP_PT_PAYLOAD, mid[CP_ACT_ALERT]);
	add(c, "\\x00\\x00", CP_PT_PAYLOAD, mid[CP_ACT_DROP]);
	add(c, "/\\.php/", CP_PT_URL, mid[CP_ACT_ALERT]);
	add(c, "/^[a-z]/", CP_PT_DNS, mid[CP_ACT_ALERT]);
}

static int same_ind(const struct cp_ind *x, const struct cp_ind *y)
{
	return x->type == y->type && x->len == y->len && x->plen == y->plen &&
	       x->subdomains == y->subdomains && memcmp(x->v, y->v, x->len) == 0;
}

/* The live changes, as chokepoint-ctl would make them over this store. */
static void build_delta(void)
{
	static struct cp_delta_in d[NWANT];
	unsigned n = 0;

	for (size_t i = 0; i < NWANT; i++) {
		if (want[i].kind == 0)
			continue;
		d[n] = (struct cp_delta_in){ .ind = canon[i], .kind = want[i].kind,
					     .action = (uint8_t)want[i].act,
					     .expires = want[i].expires };
		snprintf(d[n++].feed, sizeof(d[0].feed), "live");
		for (size_t j = 0; j < NWANT; j++)
			gone[j] |= want[i].kind == CP_DELTA_REMOVE && want[j].kind == 0 &&
				   same_ind(&canon[i], &canon[j]);
	}
	if ((delta = cp_delta_build(store, d, n)) == NULL)
		abort();
}

/* Built once. */
static void setup(void)
{
	struct cp_compiler *c = cp_compiler_new(7);
	struct cp_pattern_opts po = { 0 };  /* in this process: no fork per run */
	char path[64], err[256];

	if (c == NULL)
		abort();
	cp_compiler_set_patterns(c, &po);
	add_values(c);
	snprintf(path, sizeof(path), "/tmp/fuzz-inspect-%d.cpsnap", (int)getpid());
	if (cp_compiler_write(c, path, NULL, err, sizeof(err)) != 0)
		abort();
	cp_compiler_free(c);
	snap = cp_snap_open(path, 0, err, sizeof(err));
	unlink(path);
	if (snap == NULL || (store = cp_store_open(snap)) == NULL)
		abort();
	if (cp_store_scratch_new(store, 1, &scratch) != 0 ||
	    (in = cp_inspector_new()) == NULL)
		abort();
	build_delta();
}

static int in_prefix(const uint8_t *net, unsigned plen, const uint8_t *addr)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(net, addr, full) != 0)
		return 0;
	return rest == 0 || ((net[full] ^ addr[full]) & (0xff00u >> rest) & 0xff) == 0;
}

/* Whether want[i] is in force for the burst now inspected: a store entry
 * the live changes leave, or, in the live pass, an add not expired. */
static int in_force(size_t i, int live)
{
	if (want[i].kind == 0)
		return !live && !(live_pass && gone[i]);
	return live && live_pass && want[i].kind == CP_DELTA_ADD &&
	       (want[i].expires == 0 || want[i].expires > NOW);
}

/* The actions of the indicators of type t in force that hold addr, from
 * the store or the live changes: a bit per action. */
static unsigned ip_actions(enum cp_itype t, const uint8_t *addr, int live)
{
	unsigned acts = 0;

	for (size_t i = 0; i < NWANT; i++)
		if (canon[i].type == t && in_force(i, live) &&
		    in_prefix(canon[i].v, canon[i].plen, addr))
			acts |= 1u << want[i].act;
	return acts;
}

static unsigned ip_allowed(const struct cp_alert *a)
{
	enum cp_itype t = a->family == 4 ? CP_T_IPV4 : CP_T_IPV6;

	return (ip_actions(t, a->src, 0) | ip_actions(t, a->dst, 0) | ip_actions(t, a->src, 1) |
		ip_actions(t, a->dst, 1)) & 1u << CP_ACT_ALLOW;
}

/* The actions of the indicators in force whose text names the value. */
static unsigned value_actions(const struct cp_alert *a, int live)
{
	unsigned acts = 0;

	for (size_t i = 0; i < NWANT; i++) {
		const struct cp_ind *c = &canon[i];
		if (c->type == a->itype && (!a->subdomains || c->subdomains) && in_force(i, live) &&
		    strcmp(a->value, canon_text[i]) == 0)
			acts |= 1u << want[i].act;
	}
	return acts;
}

static const uint8_t on_of[CP_T__COUNT] = {
	[CP_T_DOMAIN] = 1u << CP_ON_DNS | 1u << CP_ON_SNI | 1u << CP_ON_HOST,
	[CP_T_URL] = 1u << CP_ON_URL, [CP_T_JA3] = 1u << CP_ON_JA3,
};

/* Whatever the packet held, an alert must be one the set explains: from
 * the store, or (a->live) from a live add in force, with its action. */
static void check(const struct cp_alert *a)
{
	enum cp_action ra = cp_ref_action(a->ref);
	int live = a->live != NULL;

	if (a->vlen >= CP_ALERT_VALUE || a->value[a->vlen] != '\0')
		__builtin_trap();
	/* Allowed packets alert on nothing; a verdict is the strongest match. */
	if (a->verdict != CP_ACT_ALERT && a->verdict != CP_ACT_DROP)
		__builtin_trap();
	if (ra > a->verdict || ra == CP_ACT_NONE || (live && !live_pass))
		__builtin_trap();
	if (live && (a->live->kind != CP_DELTA_ADD || a->live->action != ra ||
		     a->live->type != a->itype || (a->live->expires && a->live->expires <= NOW)))
		__builtin_trap();
	if ((a->family == 4 || a->family == 6) && ip_allowed(a))
		__builtin_trap();
	if (a->itype == CP_ITYPE_PATTERN && !live)
		return;
	if (a->itype == CP_T_IPV4 || a->itype == CP_T_IPV6) {
		const uint8_t *addr = a->on == CP_ON_IP_SRC ? a->src : a->dst;
		if (a->on != CP_ON_IP_SRC && a->on != CP_ON_IP_DST)
			__builtin_trap();
		if (a->family != (a->itype == CP_T_IPV4 ? 4 : 6) ||
		    !(ip_actions(a->itype, addr, live) & 1u << ra) ||
		    (live && !in_prefix(a->live->addr, a->live->plen, addr)))
			__builtin_trap();
		return;
	}
	if (a->itype >= CP_T__COUNT || !(on_of[a->itype] & 1u << a->on) ||
	    !(value_actions(a, live) & 1u << ra))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *pkt[CP_INSPECT_BURST];
	uint32_t len[CP_INSPECT_BURST];
	uint8_t act[CP_INSPECT_BURST];
	/* Room for every match of a burst, so none is lost unchecked. */
	static struct cp_alert al[16 * CP_INSPECT_BURST];
	static struct cp_inspect_stats st;
	unsigned n = 0;

	if (store == NULL)
		setup();
	/* Each frame in a buffer of its own, so ASan sees a read past it. */
	while (size >= 2 && n < CP_INSPECT_BURST) {
		size_t k = (size_t)(data[0] | data[1] << 8);
		data += 2, size -= 2;
		k = k < size ? k : size;
		uint8_t *copy = malloc(k ? k : 1);
		memcpy(copy, data, k);
		pkt[n] = copy, len[n++] = (uint32_t)k;
		data += k, size -= k;
	}
	for (live_pass = 0; live_pass < 2; live_pass++) {
		struct cp_intel_view v = { .store = store, .scratch = scratch, .now = NOW,
					   .delta = live_pass ? delta : NULL };
		unsigned na = cp_inspect_burst(in, &v, pkt, len, n, act, al,
					       sizeof(al) / sizeof(al[0]), &st);
		for (unsigned i = 0; i < na; i++)
			check(&al[i]);
	}
	if (st.pattern_errors != 0)
		__builtin_trap();  /* the scratch fits every database */
	for (unsigned i = 0; i < n; i++)
		free((void *)pkt[i]);
	return 0;
}
