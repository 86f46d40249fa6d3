/* Control commands other than reload: each builds its JSON reply from the
 * engine's state. Control plane (the control thread). Readers of the set in
 * force hold app->gen_lock, so a reload cannot free it under them. */
#include "app.h"
#include "common/cp.h"
#include "common/json.h"
#include "ctl/ctl.h"
#include "ctl_internal.h"
#include "intel_cmd.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include <rte_version.h>

void cp_ctl_iso_time(const struct timespec *t, char *buf, size_t n)
{
	cp_json_iso_time((int64_t)t->tv_sec, buf, n);
}

static json_t *ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

static void put_stat(void *arg, const char *name, uint64_t v)
{
	json_object_set_new(arg, name, json_integer((json_int_t)v));
}

static json_t *cmd_stats(struct cp_app *app)
{
	json_t *r = ok(), *s = json_object();

	cp_stats_each(app, put_stat, s);
	json_object_set_new(r, "stats", s);
	return r;
}

static json_t *last_reload(const struct cp_app *app)
{
	const struct cp_reload_status *l = &app->last_reload;
	char at[32];

	if (!l->done)
		return json_pack("{s:s}", "result", "none");
	cp_ctl_iso_time(&l->at, at, sizeof(at));
	json_t *o = json_pack("{s:s,s:s,s:f,s:s}", "result", l->ok ? "ok" : "failed", "at", at,
			      "duration_ms", l->ms, "snapshot", l->path);
	if (!l->ok)
		json_object_set_new(o, "error", cp_ctl_text(l->reason));
	return o;
}

static json_t *cmd_status(struct cp_app *app)
{
	json_t *r = ok(), *counts = json_object(), *pats = json_object();
	uint64_t total = 0;
	char at[32];

	pthread_mutex_lock(&app->gen_lock);
	const struct cp_gen *g = cp_gen_current(app);
	for (unsigned t = 0; t < CP_T__COUNT; t++) {
		uint64_t n = cp_store_count(g->store, (enum cp_itype)t);
		json_object_set_new(counts, cp_itype_name((enum cp_itype)t), json_integer((json_int_t)n));
		total += n;
	}
	for (unsigned t = 0; t < CP_PT__COUNT; t++) {
		uint32_t n;
		cp_store_patterns(g->store, t, &n, NULL);
		json_object_set_new(pats, cp_ptarget_name((enum cp_ptarget)t), json_integer(n));
	}
	cp_ctl_iso_time(&g->loaded, at, sizeof(at));
	/* The snapshot's own expired contexts: they no longer match; the next
	 * compile leaves them out. */
	json_object_set_new(r, "snapshot_expired",
			    json_integer((json_int_t)cp_store_expired(g->store, (int64_t)time(NULL))));
	json_object_set_new(r, "generation", json_integer((json_int_t)g->id));
	/* Whether a write over the file in place would be seen in time. */
	char guard[96];
	json_object_set_new(r, "snapshot_guard",
			    json_string(cp_snap_guard(g->snap, guard, sizeof(guard))));
	json_object_set_new(r, "snapshot", cp_ctl_text(g->path));
	json_object_set_new(r, "loaded", json_string(at));
	json_object_set_new(r, "locked", json_boolean(g->locked));
	pthread_mutex_unlock(&app->gen_lock);
	json_object_set_new(r, "indicators", json_integer((json_int_t)total));
	json_object_set_new(r, "counts", counts);
	json_object_set_new(r, "patterns", pats);
	json_object_set_new(r, "last_reload", last_reload(app));
	pthread_mutex_lock(&app->publish_lock);
	json_object_set_new(r, "live", json_pack("{s:i,s:I,s:I,s:I}", "entries", app->live.n, "adds",
						 (json_int_t)app->live.adds, "removes",
						 (json_int_t)app->live.removes, "expired",
						 (json_int_t)app->live.expired));
	pthread_mutex_unlock(&app->publish_lock);
	json_object_set_new(r, "reload_running",
			    json_boolean(__atomic_load_n(&app->reload_busy, __ATOMIC_ACQUIRE)));
	json_object_set_new(r, "workers", json_integer(app->nworkers));
	json_object_set_new(r, "mode", json_string(app->mode == CP_MODE_INLINE ? "inline" : "monitor"));
	json_object_set_new(r, "huge_pages", json_boolean(app->huge));
	return r;
}

/* The live change made for exactly this value, if any: an add matches
 * beside what the snapshot says, a remove hides the snapshot's. */
static json_t *live_entry(struct cp_app *app, const struct cp_ind *ind)
{
	json_t *o = json_null();
	int64_t now = (int64_t)time(NULL);

	pthread_mutex_lock(&app->publish_lock);
	for (unsigned i = 0; i < app->live.n; i++) {
		const struct cp_delta_in *e = &app->live.e[i];
		if (e->ind.type != ind->type || e->ind.len != ind->len || e->ind.plen != ind->plen ||
		    e->ind.subdomains != ind->subdomains || memcmp(e->ind.v, ind->v, ind->len) != 0 ||
		    (e->expires != 0 && e->expires <= now))
			continue;
		o = json_pack("{s:s,s:s,s:o}", "change", e->kind == CP_DELTA_ADD ? "add" : "remove",
			      "action", e->kind == CP_DELTA_ADD ? cp_action_name(e->action) : "none",
			      "feed", cp_ctl_text(e->feed));
		if (e->expires)
			json_object_set_new(o, "expires", json_integer(e->expires));
		break;
	}
	pthread_mutex_unlock(&app->publish_lock);
	return o;
}

static json_t *cmd_lookup(struct cp_app *app, const struct cp_ctl_req *q)
{
	struct cp_ind ind;
	const char *why = NULL;
	char *buf = NULL;
	size_t n = 0;

	if (cp_norm(q->type, q->value, q->vlen, &ind, &why) != 0)
		return cp_ctl_error(why);
	FILE *f = open_memstream(&buf, &n);
	if (f == NULL)
		return cp_ctl_error("out of memory");
	pthread_mutex_lock(&app->gen_lock);
	unsigned k = cp_intel_lookup(cp_gen_current(app)->store, &ind, f);
	pthread_mutex_unlock(&app->gen_lock);
	fclose(f);
	json_t *res = k ? json_loads(buf, 0, NULL) : json_null();
	free(buf);
	/* Never "no match" for a match that could not be read back. */
	if (res == NULL)
		return cp_ctl_error("the match could not be encoded as JSON");
	json_t *r = ok();
	json_object_set_new(r, "match", res);
	json_object_set_new(r, "live", live_entry(app, &ind));
	return r;
}

static json_t *cmd_version(void)
{
	return json_pack("{s:b,s:s,s:i,s:s}", "ok", 1, "version", CP_VERSION, "snapshot_format",
			 (int)cp_snap_format_version(), "dpdk", rte_version());
}

static json_t *cmd_reopen(struct cp_app *app)
{
	char err[512];

	if (cp_eve_reopen(app, err, sizeof(err)) != 0)
		return cp_ctl_error(err);
	json_t *r = ok();
	json_object_set_new(r, "eve", cp_ctl_text(app->eve_path));
	json_object_set_new(r, "reopens", json_integer((json_int_t)CP_STAT_GET(app->eve_reopens)));
	return r;
}

static json_t *cmd_help(void)
{
	json_t *r = ok(), *a = json_array();

	for (unsigned i = 0; i < CP_CTL__COUNT; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "name", cp_ctl_cmds[i].name,
						   "usage", cp_ctl_cmds[i].usage, "help",
						   cp_ctl_cmds[i].help));
	json_object_set_new(r, "commands", a);
	return r;
}

static json_t *cmd_change(struct cp_app *app, const struct cp_ctl_req *q)
{
	struct cp_delta_in x;
	const char *why = NULL;
	char err[256];

	memset(&x, 0, sizeof(x));
	if (cp_norm(q->type, q->value, q->vlen, &x.ind, &why) != 0)
		return cp_ctl_error(why);
	x.kind = q->cmd == CP_CTL_ADD ? CP_DELTA_ADD : CP_DELTA_REMOVE;
	x.action = (uint8_t)q->action;
	x.expires = q->ttl ? (int64_t)time(NULL) + q->ttl : 0;
	snprintf(x.feed, sizeof(x.feed), "%s", q->feed);
	if (cp_intel_change(app, &x, err, sizeof(err)) != 0)
		return cp_ctl_error(err);
	char txt[CP_IND_MAX + 8];
	cp_ind_format(&x.ind, txt, sizeof(txt));
	json_t *r = ok();
	json_object_set_new(r, "indicator", cp_ctl_text(txt));
	json_object_set_new(r, "generation", json_integer((json_int_t)cp_gen_current(app)->id));
	json_object_set_new(r, "live", json_integer(app->live.n));
	if (x.expires)
		json_object_set_new(r, "expires", json_integer(x.expires));
	return r;
}

json_t *cp_ctl_error(const char *reason)
{
	return json_pack("{s:b,s:o}", "ok", 0, "error", cp_ctl_text(reason ? reason : "failed"));
}

/* jansson refuses a string that is not UTF-8 (json_string() returns NULL,
 * and a reply built on it is lost): a path or reason with such bytes is
 * cleaned first, as the EVE writer cleans its strings. */
json_t *cp_ctl_text(const char *s)
{
	size_t n = 4 * strlen(s) + 1;  /* each byte at most \xNN */
	char *b = malloc(n);
	json_t *j;

	if (b == NULL)
		return NULL;
	cp_text_clean(s, b, n, 0);
	j = json_string(b);
	free(b);
	return j;
}

json_t *cp_ctl_run(struct cp_app *app, const struct cp_ctl_req *q)
{
	switch (q->cmd) {
	case CP_CTL_LOOKUP:
		return cmd_lookup(app, q);
	case CP_CTL_ADD:
	case CP_CTL_REMOVE:
		return cmd_change(app, q);
	case CP_CTL_STATS:
		return cmd_stats(app);
	case CP_CTL_STATUS:
		return cmd_status(app);
	case CP_CTL_VERSION:
		return cmd_version();
	case CP_CTL_REOPEN:
		return cmd_reopen(app);
	case CP_CTL_HELP:
		return cmd_help();
	default:
		return cp_ctl_error("not a synchronous command");
	}
}
