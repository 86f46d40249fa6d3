/* Stats: totals per port and per lcore, parse anomalies by kind, printed by
 * the main lcore and served as the DPDK telemetry command /chokepoint/stats
 * (dpdk-telemetry.py). Control plane; reads the workers' counters with
 * relaxed loads. */
#include "app.h"
#include "common/json.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>

static const struct cp_app *tel_app;

struct totals {
	uint64_t rx, tx, dropped, tx_failed, alerts, ring_full, uninspected, not_ip;
	uint64_t anomaly[CP_AN__COUNT];
	uint64_t matched[CP_ON__COUNT];
	uint64_t pat_scans, pat_bytes, pat_capped, pat_errors;
};

static void sum(const struct cp_app *app, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < app->nworkers; i++) {
		const struct cp_worker_stats *s = &app->w[i].st;
		t->rx += CP_STAT_GET(s->rx);
		t->tx += CP_STAT_GET(s->tx);
		t->dropped += CP_STAT_GET(s->dropped);
		t->tx_failed += CP_STAT_GET(s->tx_failed);
		t->alerts += CP_STAT_GET(s->alerts);
		t->ring_full += CP_STAT_GET(s->ring_full) + CP_STAT_GET(s->in.alerts_lost);
		t->uninspected += CP_STAT_GET(s->in.uninspected);
		t->not_ip += CP_STAT_GET(s->in.not_ip);
		for (unsigned a = 0; a < CP_AN__COUNT; a++)
			t->anomaly[a] += CP_STAT_GET(s->in.anomaly[a]);
		for (unsigned o = 0; o < CP_ON__COUNT; o++)
			t->matched[o] += CP_STAT_GET(s->in.matched[o]);
		t->pat_scans += CP_STAT_GET(s->in.pattern_scans);
		t->pat_bytes += CP_STAT_GET(s->in.pattern_bytes);
		t->pat_capped += CP_STAT_GET(s->in.pattern_capped);
		t->pat_errors += CP_STAT_GET(s->in.pattern_errors);
	}
}

static void port_sum(const struct cp_app *app, unsigned p, struct cp_port_stats *ps)
{
	memset(ps, 0, sizeof(*ps));
	for (unsigned i = 0; i < app->nworkers; i++) {
		const struct cp_port_stats *s = &app->w[i].st.port[p];
		ps->rx += CP_STAT_GET(s->rx);
		ps->tx += CP_STAT_GET(s->tx);
		ps->dropped += CP_STAT_GET(s->dropped);
		ps->alerts += CP_STAT_GET(s->alerts);
	}
}

void cp_stats_print(const struct cp_app *app, FILE *f, int final)
{
	struct totals t;

	sum(app, &t);
	fprintf(f, "%s\n", final ? "== final stats ==" : "== stats ==");
	fprintf(f, "  %-6s %12s %12s %12s %12s %10s %10s\n", "port", "rx", "tx", "dropped",
		"alerts", "imissed", "rx_nombuf");
	for (unsigned p = 0; p < app->nports; p++) {
		struct cp_port_stats ps;
		struct rte_eth_stats es;
		port_sum(app, p, &ps);
		if (rte_eth_stats_get((uint16_t)p, &es) != 0)
			memset(&es, 0, sizeof(es));
		fprintf(f, "  %-6u %12lu %12lu %12lu %12lu %10lu %10lu\n", p, ps.rx, ps.tx,
			ps.dropped, ps.alerts, es.imissed, es.rx_nombuf);
	}
	fprintf(f, "  %-6s %12s %12s %12s %12s %10s %10s\n", "lcore", "rx", "tx", "dropped",
		"alerts", "ring full", "uninsp.");
	for (unsigned i = 0; i < app->nworkers; i++) {
		const struct cp_worker_stats *s = &app->w[i].st;
		fprintf(f, "  %-6u %12lu %12lu %12lu %12lu %10lu %10lu\n", app->w[i].lcore,
			CP_STAT_GET(s->rx), CP_STAT_GET(s->tx), CP_STAT_GET(s->dropped),
			CP_STAT_GET(s->alerts),
			CP_STAT_GET(s->ring_full) + CP_STAT_GET(s->in.alerts_lost),
			CP_STAT_GET(s->in.uninspected));
	}
	fprintf(f, "  matches:");
	for (unsigned o = 0; o < CP_ON__COUNT; o++)
		fprintf(f, " %s=%lu", cp_match_on_name((enum cp_match_on)o), t.matched[o]);
	fprintf(f, "\n  not ip: %lu, uninspected: %lu, tx failed: %lu\n", t.not_ip,
		t.uninspected, t.tx_failed);
	if (t.pat_scans != 0)
		fprintf(f, "  pattern scans: %lu (%lu bytes), capped: %lu, errors: %lu\n",
			t.pat_scans, t.pat_bytes, t.pat_capped, t.pat_errors);
	for (unsigned a = 1; a < CP_AN__COUNT; a++)
		if (t.anomaly[a] != 0)
			fprintf(f, "  anomaly: %-32s %lu\n", cp_anomaly_name((enum cp_anomaly)a),
				t.anomaly[a]);
	fprintf(f, "  eve: %lu lines, %lu write errors, %lu reopens\n", CP_STAT_GET(app->eve_lines),
		CP_STAT_GET(app->eve_errors), CP_STAT_GET(app->eve_reopens));
	fflush(f);
}

/* Telemetry names take letters, digits, '_' and '-' only. */
static void tel_key(char *key, size_t n, const char *prefix, const char *name)
{
	snprintf(key, n, "%s_%s", prefix, name);
	for (char *c = key; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			*c = '_';
}

void cp_stats_each(const struct cp_app *app, cp_stat_fn fn, void *arg)
{
	struct totals t;
	char key[64];

	sum(app, &t);
	fn(arg, "rx", t.rx);
	fn(arg, "tx", t.tx);
	fn(arg, "dropped", t.dropped);
	fn(arg, "alerts", t.alerts);
	fn(arg, "ring_full", t.ring_full);
	fn(arg, "uninspected", t.uninspected);
	fn(arg, "not_ip", t.not_ip);
	fn(arg, "tx_failed", t.tx_failed);
	fn(arg, "pattern_scans", t.pat_scans);
	fn(arg, "pattern_bytes", t.pat_bytes);
	fn(arg, "pattern_capped", t.pat_capped);
	fn(arg, "pattern_errors", t.pat_errors);
	fn(arg, "eve_lines", CP_STAT_GET(app->eve_lines));
	fn(arg, "eve_errors", CP_STAT_GET(app->eve_errors));
	fn(arg, "eve_reopens", CP_STAT_GET(app->eve_reopens));
	for (unsigned a = 1; a < CP_AN__COUNT; a++) {
		tel_key(key, sizeof(key), "anomaly", cp_anomaly_name((enum cp_anomaly)a));
		fn(arg, key, t.anomaly[a]);
	}
	for (unsigned o = 0; o < CP_ON__COUNT; o++) {
		tel_key(key, sizeof(key), "matched", cp_match_on_name((enum cp_match_on)o));
		fn(arg, key, t.matched[o]);
	}
	for (unsigned p = 0; p < app->nports; p++) {
		struct cp_port_stats ps;
		struct rte_eth_stats es;
		char pk[32];
		port_sum(app, p, &ps);
		if (rte_eth_stats_get((uint16_t)p, &es) != 0)
			memset(&es, 0, sizeof(es));
		static const char *const names[] = { "rx", "tx", "dropped", "alerts", "imissed",
						     "rx_nombuf" };
		const uint64_t v[] = { ps.rx, ps.tx, ps.dropped, ps.alerts, es.imissed, es.rx_nombuf };
		for (unsigned k = 0; k < 6; k++) {
			snprintf(pk, sizeof(pk), "port%u_%s", p, names[k]);
			fn(arg, pk, v[k]);
		}
	}
}

static void tel_put(void *arg, const char *name, uint64_t v)
{
	rte_tel_data_add_dict_u64(arg, name, v);
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	rte_tel_data_start_dict(d);
	cp_stats_each(tel_app, tel_put, d);
	return 0;
}

/* Telemetry keeps 127 bytes of a string, and DPDK 22.11's writer handles
 * ASCII only: it takes each byte as a signed char, so one >= 0x80 indexes
 * its control-character table below zero, and a path with an é came out
 * as "\1\2", an invalid escape that stopped dpdk-telemetry.py reading
 * the reply. Strings go to it as ASCII, the rest as \xNN. */
static const char *tel_text(const char *s, char buf[RTE_TEL_MAX_STRING_LEN])
{
	cp_text_clean(s, buf, RTE_TEL_MAX_STRING_LEN, CP_TEXT_ASCII | CP_TEXT_CONTROLS);
	return buf;
}

/* Mirrors the control socket's status. */
static int tel_status(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct cp_app *app = (struct cp_app *)tel_app;
	const struct cp_reload_status *r = &app->last_reload;
	char buf[RTE_TEL_MAX_STRING_LEN];

	(void)cmd, (void)params;
	pthread_mutex_lock(&app->gen_lock);
	const struct cp_gen *g = cp_gen_current(app);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "generation", g->id);
	rte_tel_data_add_dict_string(d, "snapshot", tel_text(g->path, buf));
	rte_tel_data_add_dict_u64(d, "loaded_unix", (uint64_t)g->loaded.tv_sec);
	rte_tel_data_add_dict_string(d, "snapshot_guard", cp_snap_guard(g->snap, buf, sizeof(buf)));
	for (unsigned t = 0; t < CP_T__COUNT; t++)
		rte_tel_data_add_dict_u64(d, cp_itype_name((enum cp_itype)t),
					  cp_store_count(g->store, (enum cp_itype)t));
	pthread_mutex_unlock(&app->gen_lock);
	rte_tel_data_add_dict_string(d, "last_reload",
				     !r->done ? "none" : r->ok ? "ok" : "failed");
	if (r->done) {
		rte_tel_data_add_dict_u64(d, "last_reload_unix", (uint64_t)r->at.tv_sec);
		rte_tel_data_add_dict_u64(d, "last_reload_us", (uint64_t)(r->ms * 1000));
		if (!r->ok)
			rte_tel_data_add_dict_string(d, "last_reload_error", tel_text(r->reason, buf));
	}
	return 0;
}

int cp_stats_telemetry_init(const struct cp_app *app)
{
	tel_app = app;
	if (rte_telemetry_register_cmd("/chokepoint/stats", tel_stats,
				       "Engine totals: rx, tx, dropped, alerts, anomalies. No parameters") != 0)
		return -1;
	return rte_telemetry_register_cmd("/chokepoint/status", tel_status,
					  "Generation, snapshot, counts, last reload. No parameters");
}
