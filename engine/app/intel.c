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
#include "store/delta.h"

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

/* One scratch per worker, cloned from one that fits every pattern
 * database of the store: a worker scans with its own, never shared. */
static int gen_scratch(struct cp_gen *g, unsigned nworkers)
{
	uint32_t n, total = 0;

	for (unsigned t = 0; t < CP_PT__COUNT; t++)
		total += cp_store_patterns(g->store, t, &n, NULL) != NULL;
	if (total == 0 || nworkers == 0)
		return 0;
	if ((g->scratch = calloc(nworkers, sizeof(*g->scratch))) == NULL)
		return -ENOMEM;
	g->nscratch = nworkers;
	return cp_store_scratch_new(g->store, nworkers, g->scratch);
}

struct cp_gen *cp_gen_open(const char *path, uint64_t id, const struct cp_app *app,
			   const struct cp_store *prev, char *err, size_t errlen)
{
	struct cp_gen *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Checked without staying resident: a reload's new set is brought in
	 * (cp_snap_prefault) only once the old one is freed. With --huge-pages
	 * the large sections are copied (and checked) into memory advised for
	 * huge pages instead, beside the set in force. */
	g->snap = cp_snap_open(path, CP_SNAP_LAZY | CP_SNAP_WATCH | (app->huge ? CP_SNAP_HUGE : 0),
			       err, errlen);
	if (g->snap == NULL) {
		free(g);
		return NULL;
	}
	if (cp_snap_watch_error(g->snap) != 0)
		fprintf(stderr, "chokepoint: %s: not guarded against rewrites in place (lease: %s); "
				"replace it by rename, as chokepoint-intel compile does, never write "
				"over it\n", path, strerror(cp_snap_watch_error(g->snap)));
	g->store = cp_store_open_reuse(g->snap, prev);
	if (g->store == NULL) {
		snprintf(err, errlen, errno == EPROTO ? "%s: a pattern database Hyperscan refuses "
							"(made for another CPU?)"
						      : "%s: inconsistent tables",
			 path);
		cp_snap_close(g->snap);
		free(g);
		return NULL;
	}
	if (gen_scratch(g, app->nworkers) != 0) {
		snprintf(err, errlen, "%s: pattern scratch: out of memory", path);
		cp_gen_free(g);
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
	cp_delta_free(g->delta);
	if (!g->shares_base) {
		cp_pattern_scratch_free(g->scratch, g->nscratch);
		free(g->scratch);
		cp_store_close(g->store);
		cp_snap_close(g->snap);
	}
	free(g);
}

/* With --mlock, a set is locked in memory before it is published: the
 * lock faults every page in, and a lock the limits refuse leaves the set
 * in force as it was. A reload then holds both sets locked for a moment,
 * the worst case its memory check (fits) allows for anyway. */
static int lock_set(const struct cp_app *app, struct cp_gen *g, const char *path, char *err,
		    size_t errlen)
{
	if (!app->mlock)
		return 0;
	int rc = cp_snap_lock(g->snap);
	if (rc != 0) {
		snprintf(err, errlen,
			 "%s: cannot lock the set in memory (--mlock): %s; raise RLIMIT_MEMLOCK "
			 "(ulimit -l, LimitMEMLOCK=) or grant CAP_IPC_LOCK",
			 path, strerror(-rc));
		return rc;
	}
	g->locked = 1;
	return 0;
}

int cp_intel_init(struct cp_app *app, const char *path, char *err, size_t errlen)
{
	size_t sz = rte_rcu_qsbr_get_memsize(app->nworkers);

	pthread_mutex_init(&app->publish_lock, NULL);
	app->qs = rte_zmalloc("rcu", sz, RTE_CACHE_LINE_SIZE);
	if (app->qs == NULL || rte_rcu_qsbr_init(app->qs, app->nworkers) != 0) {
		snprintf(err, errlen, "RCU state: out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < app->nworkers; i++)
		rte_rcu_qsbr_thread_register(app->qs, i);
	struct cp_gen *g = cp_gen_open(path, 1, app, NULL, err, errlen);
	if (g == NULL)
		return -EINVAL;
	int rc = lock_set(app, g, path, err, errlen);
	if (rc != 0) {
		cp_gen_free(g);
		return rc;
	}
	if (!g->locked)
		cp_snap_prefault(g->snap);
	__atomic_store_n(&app->gen, g, __ATOMIC_RELEASE);
	return 0;
}

/* Memory the new set needs beside the old one: it is checked 32 MiB at a
 * time and brought in after the old one is freed, but a limit is about
 * the worst case, both sets whole. */
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

static void publish(struct cp_app *app, struct cp_gen *g)
{
	pthread_mutex_lock(&app->gen_lock);
	__atomic_store_n(&app->gen, g, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&app->gen_lock);
}

/* Frees old once no reader can hold it: every worker has passed a
 * quiescent state (or is offline) since the swap, and the writer has
 * formatted every alert made with it. */
static void retire(struct cp_app *app, struct cp_gen *old)
{
	rte_rcu_qsbr_synchronize(app->qs, RTE_QSBR_THRID_INVALID);
	drain_alerts(app);
	pthread_mutex_lock(&app->gen_lock);
	cp_gen_free(old);
	pthread_mutex_unlock(&app->gen_lock);
}

/* Publishes the live changes over the base in force: a new generation
 * sharing its snapshot and store. Under publish_lock. */
static int publish_live(struct cp_app *app, char *err, size_t errlen)
{
	struct cp_gen *old = (struct cp_gen *)cp_gen_current(app), *g = malloc(sizeof(*g));

	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*g = *old;
	g->delta = cp_delta_build(g->store, app->live.e, app->live.n);
	if (g->delta == NULL) {
		snprintf(err, errlen, errno == E2BIG ? "too many live changes (%u, or %u prefixes)"
						     : "out of memory",
			 CP_DELTA_MAX, CP_DELTA_MAX_PREFIXES);
		free(g);
		return -errno;
	}
	g->id = old->id + 1;
	old->shares_base = 1;  /* the base is the new generation's now */
	publish(app, g);
	pthread_mutex_unlock(&app->publish_lock);
	retire(app, old);
	pthread_mutex_lock(&app->publish_lock);
	return 0;
}

static int same_value(const struct cp_ind *a, const struct cp_ind *b)
{
	return a->type == b->type && a->len == b->len && a->plen == b->plen &&
	       a->subdomains == b->subdomains && memcmp(a->v, b->v, a->len) == 0;
}

static void drop_live(struct cp_live *l, unsigned i)
{
	l->e[i] = l->e[--l->n];
}

int cp_intel_change(struct cp_app *app, const struct cp_delta_in *x, char *err, size_t errlen)
{
	struct cp_live *l = &app->live;
	int rc;

	int prefix = (x->ind.type == CP_T_IPV4 && x->ind.plen < 32) ||
		     (x->ind.type == CP_T_IPV6 && x->ind.plen < 128);
	int had = 0;

	pthread_mutex_lock(&app->publish_lock);
	for (unsigned i = 0; i < l->n; i++)
		if (same_value(&l->e[i].ind, &x->ind)) {
			drop_live(l, i);  /* at most one entry a value */
			had = 1;
			break;
		}
	if (prefix && x->kind == CP_DELTA_REMOVE) {
		/* Tombstones hide exact values; a snapshot's prefix goes by reload. */
		rc = had ? publish_live(app, err, errlen) : -EINVAL;
		if (!had)
			snprintf(err, errlen, "no live prefix to remove (a snapshot's prefixes go by reload)");
		else if (rc == 0)
			l->removes++;
		pthread_mutex_unlock(&app->publish_lock);
		return rc;
	}
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 64;
		struct cp_delta_in *e = realloc(l->e, cap * sizeof(*e));
		if (e == NULL) {
			pthread_mutex_unlock(&app->publish_lock);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		l->e = e, l->cap = cap;
	}
	l->e[l->n++] = *x;
	if ((rc = publish_live(app, err, errlen)) != 0)
		l->n--;  /* not in force: not kept */
	else if (x->kind == CP_DELTA_ADD)
		l->adds++;
	else
		l->removes++;
	pthread_mutex_unlock(&app->publish_lock);
	return rc;
}

unsigned cp_intel_sweep(struct cp_app *app, int64_t now)
{
	struct cp_live *l = &app->live;
	unsigned gone = 0;
	char err[128];

	pthread_mutex_lock(&app->publish_lock);
	for (unsigned i = 0; i < l->n;)
		if (l->e[i].expires != 0 && l->e[i].expires <= now)
			drop_live(l, i), gone++;
		else
			i++;
	/* Expired entries had stopped matching already (readers check the
	 * time); this frees them and keeps the delta small. */
	if (gone != 0 && publish_live(app, err, sizeof(err)) == 0)
		l->expired += gone;
	pthread_mutex_unlock(&app->publish_lock);
	return gone;
}

void cp_intel_watch(struct cp_app *app)
{
	pthread_mutex_lock(&app->gen_lock);
	const struct cp_gen *g = cp_gen_current(app);
	if (cp_snap_rewritten(g->snap)) {
		double t0 = now_ms();
		int rc = cp_snap_detach(g->snap);
		if (rc == 0)
			fprintf(stderr, "chokepoint: %s is being written over in place: the set in "
					"force was moved into memory (%.2f MB in %.0f ms) and stays in "
					"force; reload to take the new file\n",
				g->path, cp_snap_file_size(g->snap) / 1e6, now_ms() - t0);
		else
			fprintf(stderr, "chokepoint: %s is being written over in place, and the set "
					"in force could not be moved into memory (%s): readers may fault\n",
				g->path, strerror(-rc));
	}
	pthread_mutex_unlock(&app->gen_lock);
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
	struct cp_gen *g = cp_gen_open(path, old->id + 1, app, old->store, err, errlen);
	if (g == NULL)
		return -EINVAL;
	if ((rc = lock_set(app, g, path, err, errlen)) != 0) {
		cp_gen_free(g);
		return rc;
	}
	g->load_ms = now_ms() - t0;
	pthread_mutex_lock(&app->publish_lock);
	/* Live changes outlive the set they were made over: rekeyed for the
	 * new one (its seed differs). */
	g->delta = cp_delta_build(g->store, app->live.e, app->live.n);
	if (g->delta == NULL) {
		pthread_mutex_unlock(&app->publish_lock);
		snprintf(err, errlen, "%s: live changes: out of memory", path);
		cp_gen_free(g);
		return -ENOMEM;
	}
	old = (struct cp_gen *)cp_gen_current(app);  /* a change may have come */
	g->id = old->id + 1;
	publish(app, g);
	pthread_mutex_unlock(&app->publish_lock);
	retire(app, old);
	/* Until here a worker's first touch of a page was a minor fault (the
	 * page cache holds the file); now every page is mapped. */
	if (!g->locked)
		cp_snap_prefault(g->snap);
	g->swap_ms = now_ms() - t0 - g->load_ms;
	return 0;
}
