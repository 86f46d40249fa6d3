/* Indicator-set generations: load, publish with one atomic pointer store,
 * free after every reader is done with the old one. Control plane.
 *
 * Readers: each worker reads app->gen once per poll loop and reports a
 * quiescent state (rte_rcu_qsbr) at the end of the loop, or goes offline
 * when idle. The alert writer formats alerts with the set they matched in,
 * after the worker that made them has moved on; so the old set is freed
 * only when (1) every worker has passed a quiescent state since the swap,
 * and (2) the writer has formatted every alert enqueued before (1) ended.
 */
#include "app.h"
#include "snapshot/snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

struct cp_gen *cp_gen_open(const char *path, uint64_t id, char *err, size_t errlen)
{
	struct cp_gen *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->snap = cp_snap_open(path, CP_SNAP_HUGE, err, errlen);
	if (g->snap == NULL) {
		free(g);
		return NULL;
	}
	g->store = cp_store_open(g->snap);
	if (g->store == NULL) {
		snprintf(err, errlen, "%s: inconsistent tables", path);
		cp_snap_close(g->snap);
		free(g);
		return NULL;
	}
	g->id = id;
	snprintf(g->path, sizeof(g->path), "%s", path);
	clock_gettime(CLOCK_REALTIME, &g->loaded);
	return g;
}

void cp_gen_free(struct cp_gen *g)
{
	if (g == NULL)
		return;
	cp_store_close(g->store);
	cp_snap_close(g->snap);
	free(g);
}

int cp_intel_init(struct cp_app *app, const char *path, char *err, size_t errlen)
{
	size_t sz = rte_rcu_qsbr_get_memsize(app->nworkers);

	app->qs = rte_zmalloc("rcu", sz, RTE_CACHE_LINE_SIZE);
	if (app->qs == NULL || rte_rcu_qsbr_init(app->qs, app->nworkers) != 0) {
		snprintf(err, errlen, "RCU state: out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < app->nworkers; i++)
		rte_rcu_qsbr_thread_register(app->qs, i);
	struct cp_gen *g = cp_gen_open(path, 1, err, errlen);
	if (g == NULL)
		return -EINVAL;
	__atomic_store_n(&app->gen, g, __ATOMIC_RELEASE);
	return 0;
}

/* Memory the new set needs beside the old one: CP_SNAP_HUGE copies the
 * large sections into anonymous memory, so about its file size. */
static int fits(const struct cp_app *app, const char *path, char *err, size_t errlen)
{
	struct stat st;
	long pages = sysconf(_SC_AVPHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	uint64_t avail = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : UINT64_MAX;
	struct stat cs;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	/* Only reloads change app->gen, and this is the reload. */
	uint64_t need = (uint64_t)st.st_size;
	uint64_t old = stat(cp_gen_current(app)->path, &cs) == 0 ? (uint64_t)cs.st_size : 0;
	if (app->mem_limit != 0 && old + need > app->mem_limit) {
		snprintf(err, errlen,
			 "%s: refused: %.1f MB beside the %.1f MB in force exceeds the limit of %.1f MB",
			 path, need / 1e6, old / 1e6, app->mem_limit / 1e6);
		return -ENOMEM;
	}
	if (need > avail) {
		snprintf(err, errlen, "%s: refused: needs %.1f MB, %.1f MB of memory is free", path,
			 need / 1e6, avail / 1e6);
		return -ENOMEM;
	}
	return 0;
}

/* Waits until the writer has formatted every alert each worker had
 * enqueued when this was called. */
static void drain_alerts(struct cp_app *app)
{
	uint32_t mark[RTE_MAX_LCORE];

	for (unsigned i = 0; i < app->nworkers; i++)
		mark[i] = __atomic_load_n(&app->w[i].ring->prod.tail, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < app->nworkers; i++)
		while ((int32_t)(mark[i] - __atomic_load_n(&app->w[i].eve_done, __ATOMIC_ACQUIRE)) >
			       0 &&
		       !app->writer_done)
			usleep(200);
}

int cp_intel_reload(struct cp_app *app, const char *path, char *err, size_t errlen)
{
	struct cp_gen *old = (struct cp_gen *)cp_gen_current(app);
	double t0 = now_ms();
	int rc;

	if (path == NULL || path[0] == '\0')
		path = old->path;
	if ((rc = fits(app, path, err, errlen)) != 0)
		return rc;
	struct cp_gen *g = cp_gen_open(path, old->id + 1, err, errlen);
	if (g == NULL)
		return -EINVAL;
	g->load_ms = now_ms() - t0;
	pthread_mutex_lock(&app->gen_lock);
	__atomic_store_n(&app->gen, g, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&app->gen_lock);
	/* Every worker passes a quiescent state (or is offline) after the
	 * store: none can hold the old set any more. */
	rte_rcu_qsbr_synchronize(app->qs, RTE_QSBR_THRID_INVALID);
	drain_alerts(app);
	g->swap_ms = now_ms() - t0 - g->load_ms;
	pthread_mutex_lock(&app->gen_lock);
	cp_gen_free(old);
	pthread_mutex_unlock(&app->gen_lock);
	return 0;
}
