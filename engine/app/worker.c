/* Worker lcores: rx burst -> inspect -> tx burst to the peer port, or free.
 * Data plane: nothing here allocates, locks, logs or makes a syscall. */
#include "app.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring_elem.h>
#include <string.h>

/* --eve-packet: each alert's packet, its first segment, into the next slot.
 * Alerts are rare (a copy each, no allocation); dropped ones give their
 * slots back, so the writer's are never lapped (CP_PACKET_SLOTS). */
static void keep_packets(struct cp_worker *w, struct rte_mbuf **pkts, unsigned na)
{
	for (unsigned i = 0; i < na; i++) {
		struct cp_alert *a = &w->alerts[i];
		const struct rte_mbuf *m = pkts[a->pkt];
		uint8_t *slot = w->packets + (w->packet_seq++ % CP_PACKET_SLOTS) * CP_EVE_PACKET_MAX;
		uint16_t n = rte_pktmbuf_data_len(m);

		n = n < CP_EVE_PACKET_MAX ? n : CP_EVE_PACKET_MAX;
		memcpy(slot, rte_pktmbuf_mtod(m, const uint8_t *), n);
		a->packet = slot;
		a->packet_len = n;
		a->wire_len = rte_pktmbuf_pkt_len(m);
	}
}

static void burst(struct cp_worker *w, const struct cp_gen *g, const struct cp_rxq *q,
		  struct rte_mbuf **pkts, uint16_t n)
{
	const struct cp_app *app = w->app;
	const uint8_t *data[CP_RX_BURST];
	uint32_t len[CP_RX_BURST];
	uint8_t act[CP_RX_BURST];
	struct rte_mbuf *tx[CP_RX_BURST];
	uint16_t ntx = 0, sent;
	unsigned na, nq, drops = 0;

	/* Multi-segment packets are inspected in their first segment. n is
	 * 1..CP_RX_BURST; the bound is restated for the compiler. */
	if (n == 0 || n > CP_RX_BURST)
		return;
	for (uint16_t i = 0; i < n; i++) {
		data[i] = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		len[i] = rte_pktmbuf_data_len(pkts[i]);
	}
	/* Seconds since the epoch from the TSC: no syscall on the data plane. */
	uint64_t tsc = rte_rdtsc();
	struct cp_intel_view v = {
		.store = g->store, .delta = g->delta,
		.scratch = g->scratch != NULL ? g->scratch[w->id] : NULL,
		.now = app->wall0.tv_sec + (app->tsc_hz ? (int64_t)((tsc - app->tsc0) / app->tsc_hz) : 0),
	};
	na = cp_inspect_burst(w->in, &v, data, len, n, act, w->alerts, CP_BURST_ALERTS, &w->st.in);
	if (na != 0) {
		for (unsigned i = 0; i < na; i++)
			w->alerts[i].tsc = tsc, w->alerts[i].generation = g->id,
			w->alerts[i].port = q->port;
		if (w->packets != NULL)
			keep_packets(w, pkts, na);
		nq = rte_ring_enqueue_burst_elem(w->ring, w->alerts, sizeof(struct cp_alert), na,
						 NULL);
		if (w->packets != NULL)
			w->packet_seq -= na - nq;  /* the tail was not queued */
		CP_STAT_ADD(w->st.alerts, nq);
		CP_STAT_ADD(w->st.ring_full, na - nq);
		CP_STAT_ADD(w->st.port[q->port].alerts, nq);
	}
	for (uint16_t i = 0; i < n; i++) {
		if (act[i] == CP_ACT_DROP && app->mode == CP_MODE_INLINE) {
			rte_pktmbuf_free(pkts[i]);
			drops++;
		} else {
			tx[ntx++] = pkts[i];
		}
	}
	sent = ntx ? rte_eth_tx_burst(q->peer, q->queue, tx, ntx) : 0;
	for (uint16_t i = sent; i < ntx; i++)
		rte_pktmbuf_free(tx[i]);
	CP_STAT_ADD(w->st.rx, n);
	CP_STAT_ADD(w->st.tx, sent);
	CP_STAT_ADD(w->st.dropped, drops);
	CP_STAT_ADD(w->st.tx_failed, (unsigned)(ntx - sent));
	CP_STAT_ADD(w->st.port[q->port].rx, n);
	CP_STAT_ADD(w->st.port[q->peer].tx, sent);
	CP_STAT_ADD(w->st.port[q->port].dropped, drops);
}

void cp_worker_burst(struct cp_worker *w, const struct cp_gen *g, const struct cp_rxq *q,
		     struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t off = 0; off < n; off += CP_RX_BURST)
		burst(w, g, q, pkts + off, n - off < CP_RX_BURST ? n - off : CP_RX_BURST);
}

/* Empty polls in a row before a worker goes offline for RCU: ~1024 polls
 * of a few queues are tens of microseconds, so a reload waits for no idle
 * queue, and a busy worker never pays for going on- and offline. */
#define IDLE_OFFLINE 1024

int cp_worker_main(void *arg)
{
	struct cp_worker *w = arg;
	const struct cp_app *app = w->app;
	struct rte_mbuf *pkts[CP_RX_BURST];
	unsigned idle = 0;
	int online = 1;

	rte_rcu_qsbr_thread_online(app->qs, w->id);
	while (!app->quit) {
		unsigned got = 0;
		/* One generation for the whole loop: the quiescent state below
		 * says this worker holds none. */
		const struct cp_gen *g = online ? cp_gen_current(app) : NULL;

		for (unsigned i = 0; i < w->nq; i++) {
			const struct cp_rxq *q = &w->q[i];
			uint16_t n = rte_eth_rx_burst(q->port, q->queue, pkts, CP_RX_BURST);
			if (n == 0)
				continue;
			if (!online) {
				rte_rcu_qsbr_thread_online(app->qs, w->id);
				online = 1;
				g = cp_gen_current(app);
			}
			cp_worker_burst(w, g, q, pkts, n);
			got += n;
		}
		if (got != 0) {
			idle = 0;
		} else {
			CP_STAT_ADD(w->st.idle_polls, 1);
			if (online && ++idle >= IDLE_OFFLINE) {
				rte_rcu_qsbr_thread_offline(app->qs, w->id);
				online = 0;
			}
		}
		if (online)
			rte_rcu_qsbr_quiescent(app->qs, w->id);
	}
	if (online)
		rte_rcu_qsbr_thread_offline(app->qs, w->id);
	return 0;
}
