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

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <rte_common.h>

#include "inspect/inspect.h"

#define CP_MAX_PORTS 32
/* Packets a worker takes from a queue and inspects together: the store's
 * passes overlap the reads of the whole burst, and at 100 M indicators only
 * ~23 % of addresses go on to its tables, so a burst of 64 packets left
 * each of their round trips exposed. 64 (the inspector's burst) against
 * testpmd's 32 ran pipeline --count 1000000 1-10 % faster (15 of 16 mixes,
 * two alternating runs); 128 against 64, packet buffers on huge pages, two
 * alternating runs each: at 100 M 64 B Zipf 29.1/31.9 -> 31.5/32.6 Mpps,
 * uniform 27.8/28.3 -> 31.4/30.0, IMIX and DNS +1-15 %, TLS within +-6 %;
 * at 1 M 64 B 48 -> 52, IMIX +7 %, DNS +4 %. 256 was no better. */
#define CP_RX_BURST 128
#define CP_MAX_RXQ 64
/* Alerts a worker can hand over per burst; more are counted as lost. */
#define CP_BURST_ALERTS (4 * CP_RX_BURST)
/* Each worker's ring of alerts to the writer. */
#define CP_ALERT_RING 4096
/* --eve-packet: the bytes of a packet an alert keeps (a frame of 1518 with
 * two VLAN tags fits; a jumbo frame is cut), in slots each worker reuses in
 * turn. An alert holds its slot until the writer has formatted it: at most
 * a ring's worth are queued, 64 are in the writer's hands and a burst's
 * are being made, so that many slots are never lapped. */
#define CP_EVE_PACKET_MAX 2048
#define CP_PACKET_SLOTS (CP_ALERT_RING + 64 + CP_BURST_ALERTS)

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

/* One generation of the indicator set: a snapshot and the store over it.
 * Immutable once published; freed after the RCU grace period (intel.c). */
struct cp_gen {
	struct cp_snap *snap;
	struct cp_store *store;
	struct cp_delta *delta;      /* live changes over store; NULL: none */
	/* Hyperscan scratch for the store's patterns, one per worker (by id),
	 * made before the set is published; NULL without patterns. Belongs
	 * to the base, like the store. */
	hs_scratch_t **scratch;
	unsigned nscratch;
	int shares_base;             /* snap, store and scratch belong to a newer gen */
	uint64_t id;                 /* 1, 2, ...: the generation number */
	char path[4096];
	struct timespec loaded;      /* CLOCK_REALTIME */
	double load_ms, swap_ms;     /* open+check, then publish to old freed */
	int locked;                  /* its pages are locked in memory (--mlock) */
};

/* The last reload, for status. Written by the control thread only. */
struct cp_reload_status {
	int done;                    /* a reload was tried */
	int ok;
	char reason[512];
	struct timespec at;          /* CLOCK_REALTIME, when it ended */
	double ms;
	char path[4096];
};

/* Live changes, as the control plane keeps them: rebuilt into a cp_delta
 * for each change, sweep and reload. Under app->publish_lock. */
struct cp_live {
	struct cp_delta_in *e;
	unsigned n, cap;
	uint64_t adds, removes, expired;
};

struct cp_worker {
	struct cp_worker_stats st;   /* first: its own cache lines */
	const struct cp_app *app;
	unsigned lcore, id, nq;
	struct cp_rxq q[CP_MAX_RXQ];
	struct rte_ring *ring;       /* alerts to the writer */
	struct cp_inspector *in;
	struct cp_alert alerts[CP_BURST_ALERTS];
	uint8_t *packets;            /* --eve-packet: CP_PACKET_SLOTS slots; else NULL */
	uint64_t packet_seq;         /* the next slot, mod CP_PACKET_SLOTS */
	/* Alerts of this worker the writer has formatted (mod 2^32, like the
	 * ring's counters); written by the writer, on a line of its own. */
	uint32_t eve_done __rte_cache_aligned;
} __rte_cache_aligned;

struct cp_app {
	struct cp_gen *gen;          /* the set in force: atomic loads and stores */
	/* Held by control-plane readers of gen (commands, telemetry) while
	 * they use it, and by a reload while it frees the old one. */
	pthread_mutex_t gen_lock;
	/* Serialises publishing (reload, add, remove, sweep) and guards live. */
	pthread_mutex_t publish_lock;
	struct cp_live live;
	struct rte_rcu_qsbr *qs;     /* one reader per worker */
	uint64_t mem_limit;          /* bytes old + new may take in a reload; 0: free RAM */
	int mlock;                   /* lock each set's pages in memory */
	int huge;                    /* copy each set to huge-page memory */
	enum cp_mode mode;
	unsigned stats_interval;
	const char *eve_path;
	uint16_t community_seed;     /* EVE's community_id (--community-id-seed) */
	unsigned eve_stats;          /* seconds between EVE stats events; 0: none */
	int eve_packet;              /* alerts carry their packet (--eve-packet) */
	FILE *eve;                   /* the writer's file; opened before the workers start */
	/* Log rotation (cp_eve_reopen): a file opened at eve_path, for the
	 * writer to take in place of eve (atomic exchange), and the count of
	 * those it took. Counters below: the writer thread's alone. */
	FILE *eve_next;
	uint64_t eve_reopens, eve_lines, eve_errors;
	volatile sig_atomic_t reopen;  /* set by SIGHUP, served by the main loop */
	unsigned nports, nworkers;
	int ports_up;                /* every port configured and started */
	struct cp_worker *w;
	volatile sig_atomic_t quit;  /* set by SIGINT/SIGTERM */
	volatile int workers_done;
	volatile int writer_done;
	/* The control socket (ctl_server.c). */
	const char *ctl_path;        /* NULL: the default; "" : none */
	long ctl_uid, ctl_gid;       /* also allowed besides root; -1: none */
	int reload_busy;             /* atomic: a reload is running */
	struct cp_reload_status last_reload;
	uint64_t tsc_hz, tsc0;
	struct timespec wall0;
};

#define CP_STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)
#define CP_STAT_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* The set in force, for readers (workers, control commands). */
static inline const struct cp_gen *cp_gen_current(const struct cp_app *app)
{
	return __atomic_load_n(&app->gen, __ATOMIC_ACQUIRE);
}

/* intel.c: opens a snapshot as generation id, with pattern scratch for
 * app's workers, in file pages or copied to huge pages as app says,
 * sharing the pattern databases prev's store holds unchanged (prev may be
 * NULL); NULL with a reason in err. */
struct cp_gen *cp_gen_open(const char *path, uint64_t id, const struct cp_app *app,
			   const struct cp_store *prev, char *err, size_t errlen);
void cp_gen_free(struct cp_gen *g);
/* Sets up RCU for the workers and loads the first generation. */
int cp_intel_init(struct cp_app *app, const char *path, char *err, size_t errlen);
/* Loads path (NULL or "": the set in force, re-read), publishes it and
 * frees the old set after the grace period. Control thread only, one at a
 * time. Returns 0, or -errno with the reason in err; the old set stays. */
int cp_intel_reload(struct cp_app *app, const char *path, char *err, size_t errlen);

/* Main loop, every tick: when the file of the set in force is being
 * written over in place (its lease is breaking), moves the set into
 * private memory before the writer may go on (cp_snap_detach). */
void cp_intel_watch(struct cp_app *app);

/* Applies one live change (add: upsert, dropping a tombstone of the same
 * value; remove: drop a live add and lay a tombstone) and publishes it.
 * Returns 0, or -errno with the reason in err. */
int cp_intel_change(struct cp_app *app, const struct cp_delta_in *x, char *err, size_t errlen);
/* Drops live entries expired at now and publishes if any; returns how many. */
unsigned cp_intel_sweep(struct cp_app *app, int64_t now);

/* ctl_server.c: the control socket's thread. Returns 0 once listening, or
 * -errno with a message printed. */
int cp_ctl_start(struct cp_app *app);
void cp_ctl_stop(struct cp_app *app);

/* Every engine counter as (name, value), for stats and telemetry. */
typedef void (*cp_stat_fn)(void *arg, const char *name, uint64_t value);
void cp_stats_each(const struct cp_app *app, cp_stat_fn fn, void *arg);

/* Worker lcore entry: polls its queues until app->quit. */
int cp_worker_main(void *arg);
struct rte_mbuf;
/* One rx burst of (port, queue) against generation g: inspect, alert,
 * forward or free. */
void cp_worker_burst(struct cp_worker *w, const struct cp_gen *g, const struct cp_rxq *q,
		     struct rte_mbuf **pkts, uint16_t n);

/* Alert writer thread: drains every worker's ring into EVE JSON lines. */
void *cp_eve_main(void *arg);
/* One alert record as EVE JSON lines (one per matched context) into f;
 * returns how many lines. */
unsigned cp_eve_write(const struct cp_app *app, const struct cp_alert *a, FILE *f);
/* Opens eve_path anew (logrotate moved the old file away) and waits, up to
 * a second, until the writer has flushed and closed the old file and
 * writes to the new one. Control threads (the socket's, the main loop's on
 * SIGHUP). Returns 0, or -errno with the reason in err; on failure alerts
 * go on to the file open before. */
int cp_eve_reopen(struct cp_app *app, char *err, size_t errlen);

/* Stats: printing, and the /chokepoint/stats telemetry command. */
void cp_stats_print(const struct cp_app *app, FILE *f, int final);
int cp_stats_telemetry_init(const struct cp_app *app);

#endif
