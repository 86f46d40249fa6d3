/* The alert writer: a control-plane thread that drains the workers' rings
 * and writes Suricata EVE-compatible JSON lines, one per matched context.
 * It may block on the file; the workers never wait for it (a full ring is
 * counted by the worker). */
#include "app.h"
#include "common/json.h"

#include <arpa/inet.h>
#include <nettle/base64.h>
#include <errno.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring_elem.h>
#include <string.h>
#include <unistd.h>

static void timestamp(const struct cp_app *app, uint64_t tsc, char *buf, size_t n)
{
	uint64_t d = tsc - app->tsc0;
	uint64_t us = (uint64_t)app->wall0.tv_nsec / 1000 + d / (app->tsc_hz / 1000000);
	time_t secs = app->wall0.tv_sec + (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%06u+0000", (unsigned)(us % 1000000));
}

static const char *proto_name(uint8_t p)
{
	return p == 6 ? "TCP" : p == 17 ? "UDP" : p == 1 ? "ICMP" : p == 58 ? "IPv6-ICMP"
	       : p == 132 ? "SCTP" : "IP";
}

/* The indicator's text: an address or CIDR rebuilt from the packet and the
 * entry's prefix length, or the value the worker copied. */
static void indicator(const struct cp_alert *a, unsigned plen, char *buf, size_t n)
{
	uint8_t v[16];
	const uint8_t *ip = a->on == CP_ON_IP_SRC ? a->src : a->dst;
	unsigned full = a->family == 4 ? 32 : 128;
	char txt[INET6_ADDRSTRLEN];

	if (a->on != CP_ON_IP_SRC && a->on != CP_ON_IP_DST) {
		snprintf(buf, n, "%s", a->value);
		return;
	}
	memcpy(v, ip, 16);
	for (unsigned b = plen; b < full; b++)
		v[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	inet_ntop(a->family == 4 ? AF_INET : AF_INET6, v, txt, sizeof(txt));
	if (plen < full)
		snprintf(buf, n, "%s/%u", txt, plen);
	else
		snprintf(buf, n, "%s", txt);
}

/* One matched context: what the store's metadata record (or a live
 * entry) says about the indicator. */
struct ctx {
	uint8_t action, confidence;  /* 255: none */
	uint32_t sig;
	unsigned plen;
	const char *feed, *id, *tags;
	const char *pattern;         /* a pattern match: its canonical text */
};

static const char *type_name(const struct cp_alert *a)
{
	return a->itype == CP_ITYPE_PATTERN ? "pattern" : cp_itype_name((enum cp_itype)a->itype);
}

/* What every line says of the packet, as Suricata's EVE does: time, flow
 * (ours, and the Community ID where the flow has one), interface (the
 * DPDK port's name) and the 5-tuple; ICMP shows type and code instead of
 * ports, other protocols without ports show none. */
static void packet(const struct cp_app *app, const struct cp_alert *a, const char *ts,
		   const char *sip, const char *dip, FILE *f)
{
	char iface[RTE_ETH_NAME_MAX_LEN], cid[CP_COMMUNITY_ID_SIZE];

	if (rte_eth_dev_get_name_by_port(a->port, iface) != 0)
		snprintf(iface, sizeof(iface), "port%u", a->port);
	fprintf(f, "{\"timestamp\":\"%s\",\"flow_id\":%llu,\"in_iface\":", ts,
		(unsigned long long)cp_alert_flow_id(a));
	cp_json_str(f, iface);
	fprintf(f, ",\"event_type\":\"alert\",\"src_ip\":\"%s\"", sip);
	if (a->proto == 6 || a->proto == 17 || a->proto == 132)
		fprintf(f, ",\"src_port\":%u,\"dest_ip\":\"%s\",\"dest_port\":%u", a->sport, dip,
			a->dport);
	else
		fprintf(f, ",\"dest_ip\":\"%s\"", dip);
	fprintf(f, ",\"proto\":\"%s\"", proto_name(a->proto));
	if ((a->proto == 1 || a->proto == 58) && a->l4)
		fprintf(f, ",\"icmp_type\":%u,\"icmp_code\":%u", a->sport, a->dport);
	if (a->app != CP_APP_NONE)
		fprintf(f, ",\"app_proto\":\"%s\"", cp_app_name(a->app));
	if (cp_alert_community_id(a, app->community_seed, cid) == 0)
		fprintf(f, ",\"community_id\":\"%s\"", cid);
}

/* --eve-packet: the packet as Suricata's alert logs it (base64, Ethernet
 * link type), with its length on the wire and what was kept of it. */
static void packet_bytes(const struct cp_alert *a, FILE *f)
{
	char b64[BASE64_ENCODE_RAW_LENGTH(CP_EVE_PACKET_MAX) + 1];

	base64_encode_raw(b64, a->packet_len, a->packet);
	b64[BASE64_ENCODE_RAW_LENGTH(a->packet_len)] = '\0';
	fprintf(f, ",\"packet\":\"%s\",\"packet_info\":{\"linktype\":1,\"len\":%u,\"caplen\":%u}",
		b64, (unsigned)a->wire_len, (unsigned)a->packet_len);
}

static unsigned line(const struct cp_app *app, const struct cp_alert *a, const struct ctx *c,
		     const char *ts, const char *sip, const char *dip, FILE *f)
{
	int blocked = a->verdict == CP_ACT_DROP && app->mode == CP_MODE_INLINE;
	char ind[CP_ALERT_VALUE + 64], sig[CP_ALERT_VALUE + 400];

	if (c->pattern != NULL)
		snprintf(ind, sizeof(ind), "%s", c->pattern);
	else
		indicator(a, c->plen, ind, sizeof(ind));
	packet(app, a, ts, sip, dip, f);
	fprintf(f, ",\"alert\":{\"action\":\"%s\",\"gid\":1,\"signature_id\":%u,\"rev\":1,"
		   "\"signature\":", blocked ? "blocked" : "allowed", c->sig);
	snprintf(sig, sizeof(sig), "chokepoint intel %s %s %s%s (%s)",
		 cp_action_name((enum cp_action)c->action), type_name(a),
		 a->subdomains ? "*." : "", ind, c->feed ? c->feed : "");
	cp_json_str(f, sig);
	fprintf(f, ",\"category\":\"Threat intelligence\",\"severity\":%u}",
		c->action == CP_ACT_DROP ? 1u : 2u);
	fprintf(f, ",\"intel\":{\"type\":\"%s\",\"indicator\":", type_name(a));
	cp_json_str(f, ind);

	if (a->itype == CP_T_DOMAIN)
		fprintf(f, ",\"subdomains\":%s", a->subdomains ? "true" : "false");
	fprintf(f, ",\"matched_on\":\"%s\"", cp_match_on_name((enum cp_match_on)a->on));
	if (c->pattern != NULL && a->vlen != 0) {
		fputs(",\"value\":", f);  /* the URL or name the pattern matched */
		cp_json_str(f, a->value);
	}
	fprintf(f, ",\"action\":\"%s\"", cp_action_name((enum cp_action)c->action));
	if (a->verdict == CP_ACT_DROP && app->mode == CP_MODE_MONITOR)
		fputs(",\"would_block\":true", f);
	fprintf(f, ",\"generation\":%lu", (unsigned long)a->generation);
	if (a->live != NULL)
		fputs(",\"live\":true", f);
	fputs(",\"feed\":", f);
	cp_json_str(f, c->feed ? c->feed : "");
	if (c->id != NULL) {
		fputs(",\"id\":", f);
		cp_json_str(f, c->id);
	}
	if (c->confidence != 255)
		fprintf(f, ",\"confidence\":%u", c->confidence);
	fputs(",\"tags\":", f);
	cp_json_tags(f, c->tags);
	fputc('}', f);
	if (a->packet != NULL)
		packet_bytes(a, f);
	fputs("}\n", f);
	return 1;
}

/* Live entries are signature 8999999: they have no metadata id yet. */
#define LIVE_SIG 8999999u

static struct ctx meta_ctx(const struct cp_store *s, const struct cp_meta_rec *m, uint32_t id)
{
	return (struct ctx){ .action = m->action, .confidence = m->confidence,
			     .sig = 9000000u + id, .feed = cp_store_str(s, m->feed),
			     .id = cp_store_str(s, m->id), .tags = cp_store_str(s, m->tags) };
}

/* A pattern match: one context, the pattern's, found by its Hyperscan id
 * in the database of the target it was scanned for. */
static unsigned pattern(const struct cp_app *app, const struct cp_alert *a, int64_t secs,
			const char *ts, const char *sip, const char *dip, FILE *f)
{
	const struct cp_pat_ref *refs;
	uint32_t n, id = CP_PATTERN_ID(a->ref);

	if (cp_store_patterns(a->store, cp_match_on_target((enum cp_match_on)a->on), &n, &refs) ==
		    NULL ||
	    id >= n)
		return 0;
	const struct cp_meta_rec *m = cp_store_meta(a->store, refs[id].meta);
	if (m == NULL || (m->valid_until != 0 && m->valid_until <= secs))
		return 0;
	struct ctx c = meta_ctx(a->store, m, refs[id].meta);
	c.pattern = cp_store_str(a->store, refs[id].text);
	return line(app, a, &c, ts, sip, dip, f);
}

unsigned cp_eve_write(const struct cp_app *app, const struct cp_alert *a, FILE *f)
{
	const struct cp_store *s = a->store;
	const uint32_t *ents;
	char ts[64], sip[INET6_ADDRSTRLEN], dip[INET6_ADDRSTRLEN];
	int af = a->family == 4 ? AF_INET : AF_INET6;

	timestamp(app, a->tsc, ts, sizeof(ts));
	inet_ntop(af, a->src, sip, sizeof(sip));
	inet_ntop(af, a->dst, dip, sizeof(dip));
	if (a->live != NULL) {
		const struct cp_delta_ent *e = a->live;
		struct ctx c = { .action = e->action, .confidence = 255, .sig = LIVE_SIG,
				 .plen = e->plen, .feed = e->feed };
		return line(app, a, &c, ts, sip, dip, f);
	}
	int64_t secs = app->wall0.tv_sec +
		       (app->tsc_hz ? (int64_t)((a->tsc - app->tsc0) / app->tsc_hz) : 0);
	if (a->itype == CP_ITYPE_PATTERN)
		return pattern(app, a, secs, ts, sip, dip, f);
	unsigned k = cp_store_set(s, a->ref, &ents), lines = 0;
	for (unsigned i = 0; i < k; i++) {
		const struct cp_meta_rec *m = cp_store_meta(s, ents[i] & 0xffffff);
		/* A context past its valid_until did not take part in the match. */
		if (m == NULL || (m->valid_until != 0 && m->valid_until <= secs))
			continue;
		struct ctx c = meta_ctx(s, m, ents[i] & 0xffffff);
		c.plen = (ents[i] >> 24) ? (ents[i] >> 24) - 1 : 0;
		lines += line(app, a, &c, ts, sip, dip, f);
	}
	return lines;
}

/* Write errors (a full disk, /dev/full) are counted, and the first of each
 * file is said: stdio keeps no error past clearerr, so each batch's is
 * looked at once. */
static void note_errors(struct cp_app *app, FILE *f, int *said)
{
	if (!ferror(f))
		return;
	int e = errno;
	CP_STAT_ADD(app->eve_errors, 1);
	clearerr(f);
	if (!*said)
		fprintf(stderr, "chokepoint: writing %s: %s (alerts are lost while it lasts; "
				"counted as eve_errors)\n", app->eve_path, strerror(e));
	*said = 1;
}

/* A file cp_eve_reopen() opened, in place of f: f's lines are flushed and
 * it is closed first, so a rotated file is whole once the reopen returns. */
static FILE *take_reopened(struct cp_app *app, FILE *f, int *said)
{
	FILE *n = __atomic_exchange_n(&app->eve_next, NULL, __ATOMIC_ACQ_REL);

	if (n == NULL)
		return f;
	fflush(f);
	note_errors(app, f, said);
	if (f != stdout)
		fclose(f);
	*said = 0;
	app->eve = n;  /* closed by main at exit */
	__atomic_store_n(&app->eve_reopens, app->eve_reopens + 1, __ATOMIC_RELEASE);
	return n;
}

int cp_eve_reopen(struct cp_app *app, char *err, size_t errlen)
{
	if (strcmp(app->eve_path, "-") == 0) {
		snprintf(err, errlen, "alerts go to standard output: nothing to reopen");
		return -EINVAL;
	}
	FILE *f = fopen(app->eve_path, "a");
	if (f == NULL) {
		int e = errno;
		snprintf(err, errlen, "%s: %s (alerts go on to the file open before)", app->eve_path,
			 strerror(e));
		return -e;
	}
	uint64_t seen = __atomic_load_n(&app->eve_reopens, __ATOMIC_ACQUIRE);
	/* One not taken yet (two reopens at once) is this one's to close. */
	FILE *old = __atomic_exchange_n(&app->eve_next, f, __ATOMIC_ACQ_REL);
	if (old != NULL)
		fclose(old);
	/* The writer looks between batches, at least every millisecond. */
	for (unsigned i = 0; i < 1000; i++) {
		if (__atomic_load_n(&app->eve_reopens, __ATOMIC_ACQUIRE) != seen)
			return 0;
		usleep(1000);
	}
	snprintf(err, errlen, "%s reopened, but the alert writer has not switched to it in 1 s",
		 app->eve_path);
	return -ETIMEDOUT;
}

static void put_stat(void *arg, const char *name, uint64_t v)
{
	fprintf(arg, ",\"%s\":%lu", name, (unsigned long)v);  /* names: [a-z0-9_-] */
}

/* A stats event, as Suricata writes into its EVE log: the counters that
 * chokepoint-ctl stats and telemetry give, under the same names, so one
 * pipeline (Filebeat, Logstash) takes alerts and stats from one file. */
static void stats_event(struct cp_app *app, FILE *f)
{
	uint64_t tsc = rte_rdtsc();
	char ts[64];

	timestamp(app, tsc, ts, sizeof(ts));
	fprintf(f, "{\"timestamp\":\"%s\",\"event_type\":\"stats\",\"stats\":{\"uptime\":%lu", ts,
		(unsigned long)((tsc - app->tsc0) / app->tsc_hz));
	cp_stats_each(app, put_stat, f);
	fputs("}}\n", f);
	CP_STAT_ADD(app->eve_lines, 1);
}

void *cp_eve_main(void *arg)
{
	struct cp_app *app = arg;
	struct cp_alert a[64];
	FILE *f = app->eve;
	int said = 0;
	uint64_t every = app->eve_stats * app->tsc_hz, next = app->tsc0 + every;

	for (;;) {
		unsigned got = 0, lines = 0;
		/* Read quit first: once the workers are done, a pass that finds
		 * every ring empty is the last. */
		int done = app->workers_done;

		f = take_reopened(app, f, &said);
		if (every != 0 && rte_rdtsc() >= next) {
			stats_event(app, f);
			next += every;
		}
		for (unsigned i = 0; i < app->nworkers; i++) {
			unsigned n = rte_ring_dequeue_burst_elem(app->w[i].ring, a, sizeof(a[0]),
								 64, NULL);
			for (unsigned j = 0; j < n; j++)
				lines += cp_eve_write(app, &a[j], f);
			/* Formatted: the set these matched in may now be freed. */
			if (n != 0)
				__atomic_store_n(&app->w[i].eve_done, app->w[i].eve_done + n,
						 __ATOMIC_RELEASE);
			got += n;
		}
		CP_STAT_ADD(app->eve_lines, lines);
		if (got == 0) {
			fflush(f);
			if (done)
				break;  /* its errors are looked at after the loop */
			usleep(1000);
		}
		note_errors(app, f, &said);
	}
	if (every != 0)  /* the totals, after the last alert */
		stats_event(app, f);
	fflush(f);
	note_errors(app, f, &said);
	app->writer_done = 1;
	return NULL;
}
