/* libFuzzer target for burst inspection with pattern scans: each input is a
 * burst of frames (a 2-byte length before each), inspected against a store
 * that holds values of every type the fast path matches (addresses, CIDRs
 * nested inside each other, exact and subdomain names, a URL, a JA3) with
 * mixed actions, and patterns of every target, so the /24 prune, the
 * longest-prefix match, the suffix walk, the scans and the allow precedence
 * all run on hostile packets. Every alert must carry a value that one of
 * the indicators below explains, with that indicator's action. */
#include "compile.h"
#include "inspect/inspect.h"
#include "pattern/pattern.h"
#include "snapshot/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The set. The allow CIDRs sit inside alert ones and the allow name under
 * a subdomain drop, so precedence decides what the packet gets. */
static const struct want {
	enum cp_itype t;
	enum cp_action act;
	const char *text;
} want[] = {
	{ CP_T_IPV4, CP_ACT_DROP, "10.0.0.1" },
	{ CP_T_IPV4, CP_ACT_ALERT, "10.1.0.0/16" },
	{ CP_T_IPV4, CP_ACT_ALLOW, "10.1.2.0/24" },
	{ CP_T_IPV4, CP_ACT_ALERT, "192.0.2.0/24" },  /* the seeds' source */
	{ CP_T_IPV6, CP_ACT_DROP, "2001:db8::1" },
	{ CP_T_IPV6, CP_ACT_ALERT, "2001:db8:1::/48" },
	{ CP_T_IPV6, CP_ACT_ALLOW, "2001:db8:1:2::/64" },
	{ CP_T_DOMAIN, CP_ACT_ALERT, "evil.example" },
	{ CP_T_DOMAIN, CP_ACT_DROP, "*.sub.example" },
	{ CP_T_DOMAIN, CP_ACT_ALLOW, "ok.sub.example" },
	{ CP_T_URL, CP_ACT_ALERT, "http://evil.example/x.php" },
	{ CP_T_JA3, CP_ACT_DROP, "526cfb56edaf1183f21ff3c5deef718f" },  /* frame-tls */
};
#define NWANT (sizeof(want) / sizeof(want[0]))

static struct cp_ind canon[NWANT];  /* want[i] normalised */
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
	for (size_t i = 0; i < NWANT; i++)
		if (cp_norm(want[i].t, want[i].text, strlen(want[i].text), &canon[i], &why) != 0 ||
		    cp_compiler_add(c, &canon[i], mid[want[i].act]) != 0)
			abort();
	add(c, "/beacon-[0-9a-f]{4}/i", CP_PT_PAYLOAD, mid[CP_ACT_ALERT]);
	add(c, "GET", CP_PT_PAYLOAD, mid[CP_ACT_ALERT]);
	add(c, "\\x00\\x00", CP_PT_PAYLOAD, mid[CP_ACT_DROP]);
	add(c, "/\\.php/", CP_PT_URL, mid[CP_ACT_ALERT]);
	add(c, "/^[a-z]/", CP_PT_DNS, mid[CP_ACT_ALERT]);
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
}

static int in_prefix(const struct cp_ind *p, const uint8_t *addr)
{
	unsigned full = p->plen / 8, rest = p->plen % 8;

	if (memcmp(p->v, addr, full) != 0)
		return 0;
	return rest == 0 || ((p->v[full] ^ addr[full]) & (0xff00u >> rest) & 0xff) == 0;
}

/* The action of the indicators of type t that hold addr: a bit per action. */
static unsigned ip_actions(enum cp_itype t, const uint8_t *addr)
{
	unsigned acts = 0;

	for (size_t i = 0; i < NWANT; i++)
		if (canon[i].type == t && in_prefix(&canon[i], addr))
			acts |= 1u << want[i].act;
	return acts;
}

/* The action of the indicators whose text names the alert's value. */
static unsigned value_actions(const struct cp_alert *a)
{
	unsigned acts = 0;

	for (size_t i = 0; i < NWANT; i++) {
		const struct cp_ind *c = &canon[i];
		if (c->type != a->itype || (a->subdomains && !c->subdomains))
			continue;
		if (c->type == CP_T_JA3) {
			char hex[33];
			for (int k = 0; k < 16; k++)
				snprintf(hex + 2 * k, 3, "%02x", c->v[k]);
			if (a->vlen == 32 && memcmp(a->value, hex, 32) == 0)
				acts |= 1u << want[i].act;
		} else if (c->len == a->vlen && memcmp(a->value, c->v, c->len) == 0) {
			acts |= 1u << want[i].act;
		}
	}
	return acts;
}

static const uint8_t on_of[CP_T__COUNT] = {
	[CP_T_DOMAIN] = 1u << CP_ON_DNS | 1u << CP_ON_SNI | 1u << CP_ON_HOST,
	[CP_T_URL] = 1u << CP_ON_URL, [CP_T_JA3] = 1u << CP_ON_JA3,
};

/* Whatever the packet held, an alert must be one the set explains. */
static void check(const struct cp_alert *a)
{
	enum cp_action ra = cp_ref_action(a->ref);

	if (a->vlen >= CP_ALERT_VALUE || a->value[a->vlen] != '\0')
		__builtin_trap();
	/* Allowed packets alert on nothing; a verdict is the strongest match. */
	if (a->verdict != CP_ACT_ALERT && a->verdict != CP_ACT_DROP)
		__builtin_trap();
	if (a->live != NULL || ra > a->verdict || ra == CP_ACT_NONE)
		__builtin_trap();
	if (a->family == 4 && ((ip_actions(CP_T_IPV4, a->src) | ip_actions(CP_T_IPV4, a->dst)) &
			       1u << CP_ACT_ALLOW))
		__builtin_trap();
	if (a->family == 6 && ((ip_actions(CP_T_IPV6, a->src) | ip_actions(CP_T_IPV6, a->dst)) &
			       1u << CP_ACT_ALLOW))
		__builtin_trap();
	if (a->itype == CP_ITYPE_PATTERN)
		return;
	if (a->itype == CP_T_IPV4 || a->itype == CP_T_IPV6) {
		if (a->on != CP_ON_IP_SRC && a->on != CP_ON_IP_DST)
			__builtin_trap();
		if (a->family != (a->itype == CP_T_IPV4 ? 4 : 6) ||
		    !(ip_actions(a->itype, a->on == CP_ON_IP_SRC ? a->src : a->dst) & 1u << ra))
			__builtin_trap();
		return;
	}
	if (a->itype >= CP_T__COUNT || !(on_of[a->itype] & 1u << a->on) ||
	    !(value_actions(a) & 1u << ra))
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
	struct cp_intel_view v = { .store = store, .scratch = scratch };
	unsigned na = cp_inspect_burst(in, &v, pkt, len, n, act, al,
				       sizeof(al) / sizeof(al[0]), &st);
	for (unsigned i = 0; i < na; i++)
		check(&al[i]);
	if (st.pattern_errors != 0)
		__builtin_trap();  /* the scratch fits every database */
	for (unsigned i = 0; i < n; i++)
		free((void *)pkt[i]);
	return 0;
}
