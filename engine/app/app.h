/* The chokepoint engine: shared state of the main lcore (control), the
 * worker lcores (data plane) and the alert writer thread.
 *
 * Ports are paired 0<->1, 2<->3, ...: what a worker receives on (port, q)
 * it sends on (port ^ 1, q), and (port, q) is polled by one worker only, so
 * no tx queue is ever shared. Counters are written by their worker alone
 * and read by the others with relaxed loads.
 */
#ifndef CP_APP_H
#define CP_APP_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <rte_common.h>

#include "inspect/inspect.h"

#define CP_MAX_PORTS 32
#define CP_RX_BURST 32
#define CP_MAX_RXQ 64
/* Alerts a worker can hand over per burst; more are counted as lost. */
#define CP_BURST_ALERTS (4 * CP_RX_BURST)

enum cp_mode { CP_MODE_INLINE, CP_MODE_MONITOR };

struct cp_rxq {
	uint16_t port, queue, peer;
};

struct cp_port_stats {
	uint64_t rx, tx, dropped, alerts;
};

struct cp_worker_stats {
	uint64_t rx, tx, dropped, tx_failed, alerts, ring_full, idle_polls;
	struct cp_inspect_stats in;
	struct cp_port_stats port[CP_MAX_PORTS];
};

struct cp_app;

struct cp_worker {
	struct cp_worker_stats st;   /* first: its own cache lines */
	const struct cp_app *app;
	unsigned lcore, id, nq;
	struct cp_rxq q[CP_MAX_RXQ];
	struct rte_ring *ring;       /* alerts to the writer */
	struct cp_inspector *in;
	struct cp_alert alerts[CP_BURST_ALERTS];
} __rte_cache_aligned;

struct cp_app {
	const struct cp_store *store;
	struct cp_snap *snap;
	enum cp_mode mode;
	unsigned stats_interval;
	const char *eve_path;
	FILE *eve;                   /* opened before the workers start */
	unsigned nports, nworkers;
	struct cp_worker *w;
	volatile sig_atomic_t quit;  /* set by SIGINT/SIGTERM */
	volatile int workers_done;
	uint64_t tsc_hz, tsc0;
	struct timespec wall0;
};

#define CP_STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)
#define CP_STAT_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* Worker lcore entry: polls its queues until app->quit. */
int cp_worker_main(void *arg);
struct rte_mbuf;
/* One rx burst of (port, queue): inspect, alert, forward or free. */
void cp_worker_burst(struct cp_worker *w, const struct cp_rxq *q, struct rte_mbuf **pkts,
		     uint16_t n);

/* Alert writer thread: drains every worker's ring into EVE JSON lines. */
void *cp_eve_main(void *arg);
/* One alert record as EVE JSON lines (one per matched context) into f. */
void cp_eve_write(const struct cp_app *app, const struct cp_alert *a, FILE *f);

/* Stats: printing, and the /chokepoint/stats telemetry command. */
void cp_stats_print(const struct cp_app *app, FILE *f, int final);
int cp_stats_telemetry_init(const struct cp_app *app);

#endif
