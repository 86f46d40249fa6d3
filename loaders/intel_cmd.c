/* chokepoint-intel commands: compile orchestration and summaries, lookup as
 * JSON, info. Control plane. */
#include "intel_cmd.h"
#include "common/json.h"
#include "common/mem.h"
#include "loader.h"
#include "pattern/pattern.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct progress {
	const char *name;
	double start, last;
};

static void show_progress(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	double t = now_s(), el = t - p->start;

	if (t - p->last < 0.2 && done != total)
		return;
	p->last = t;
	double frac = total ? (double)done / (double)total : 1.0;
	double eta = frac > 0 ? el / frac - el : 0;
	fprintf(stderr, "\r  %-40.40s %5.1f%%  %6.2f MB/s  ETA %4.0f s ", p->name, frac * 100,
		el > 0 ? (double)done / el / 1e6 : 0, eta);
	if (done == total)
		fputc('\n', stderr);
}

static void print_summary(const struct cp_compile_opts *o, const struct cp_compile_stats *st,
			  const struct cp_diag *d, double secs)
{
	fprintf(stderr, "%s: %llu indicators from %u feed(s) in %.2f s (tables %.2f s, write %.2f s)\n",
		o->out, (unsigned long long)st->added, o->nfeeds, secs, st->build_s, st->write_s);
	fprintf(stderr, "  %-8s %14s %14s %8s\n", "type", "unique", "bytes", "B/ind");
	for (unsigned t = 0; t < CP_T__COUNT; t++) {
		if (st->unique[t] == 0)
			continue;
		fprintf(stderr, "  %-8s %14llu %14llu %8.2f\n", cp_itype_name((enum cp_itype)t),
			(unsigned long long)st->unique[t], (unsigned long long)st->bytes[t],
			(double)st->bytes[t] / (double)st->unique[t]);
	}
	fprintf(stderr, "  shared: %llu metadata records, %llu set words, %llu bytes\n",
		(unsigned long long)st->nmeta, (unsigned long long)st->nsets,
		(unsigned long long)st->shared_bytes);
	for (unsigned t = 0; t < CP_PT__COUNT; t++)
		if (st->patterns[t] != 0)
			fprintf(stderr, "  patterns %-10s %10llu\n", cp_ptarget_name((enum cp_ptarget)t),
				(unsigned long long)st->patterns[t]);
	if (st->pattern_bytes != 0)
		fprintf(stderr, "  pattern databases: %llu bytes in %.2f s (%u compiled, %u from the cache)\n",
			(unsigned long long)st->pattern_bytes, st->pattern_s, st->pattern_compiled,
			st->pattern_cached);
	if (st->spilled != 0)
		fprintf(stderr, "  spilled to disk: %llu records (%.1f GB), tables built in %u hash ranges\n",
			(unsigned long long)st->spilled, (double)st->spilled * 16 / 1e9,
			CP_SPILL_RANGES);
	fprintf(stderr, "  merged duplicates: %llu, expired (not compiled): %llu\n",
		(unsigned long long)st->merged, (unsigned long long)st->expired);
	fprintf(stderr, "  errors: %llu\n", (unsigned long long)d->errors);
	for (unsigned i = 0; i < d->err.n; i++)
		fprintf(stderr, "    %8llu  %s\n", (unsigned long long)d->err.count[i],
			d->err.reason[i]);
	if (d->skipped == 0)
		return;
	fprintf(stderr, "  skipped (well-formed, not taken): %llu\n",
		(unsigned long long)d->skipped);
	for (unsigned i = 0; i < d->skip.n; i++)
		fprintf(stderr, "    %8llu  %s\n", (unsigned long long)d->skip.count[i],
			d->skip.reason[i]);
}

/* Spill files go beside the output by default: the disk that takes the
 * snapshot has room for its records, where /tmp may be memory. */
static int set_spill(struct cp_compiler *c, const struct cp_compile_opts *o)
{
	char dir[4096];
	const char *slash = strrchr(o->out, '/');
	uint64_t budget = o->spill_set ? o->spill_budget : cp_compiler_spill_default();
	int rc;

	if (o->spill_dir != NULL)
		snprintf(dir, sizeof(dir), "%s", o->spill_dir);
	else if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == o->out ? 1 : (int)(slash - o->out), o->out);
	if ((rc = cp_compiler_set_spill(c, dir, budget)) != 0)
		fprintf(stderr, "%s: cannot spill records there: %s\n", dir, strerror(-rc));
	return rc;
}

int cp_intel_compile(const struct cp_compile_opts *o)
{
	struct cp_diag diag = { .out = stderr, .max_errors = o->max_errors, .max_print = 100 };
	struct cp_compile_stats st;
	struct cp_compiler *c = cp_compiler_new(o->seed);
	double t0 = now_s();
	char err[1024];
	int rc = 0;

	if (c == NULL) {
		fprintf(stderr, "out of memory\n");
		return 2;
	}
	cp_compiler_set_filter(c, o->filter);
	cp_compiler_set_patterns(c, &o->patterns);
	if ((rc = set_spill(c, o)) != 0) {
		cp_compiler_free(c);
		return 2;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = o->threads ? o->threads : ncpu > 0 ? (unsigned)ncpu : 1;
	for (unsigned i = 0; i < o->nfeeds && rc == 0; i++) {
		struct cp_feed f;
		struct progress p = { .name = o->feeds[i], .start = now_s() };

		if (cp_feed_parse(o->feeds[i], &f, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			rc = -EINVAL;
			break;
		}
		struct cp_load_opts lo = { .threads = threads,
					   .progress = o->progress ? show_progress : NULL,
					   .progress_arg = &p };
		rc = cp_load_feed(&f, c, &diag, &lo);
	}
	if (rc == -ECANCELED) {
		fprintf(stderr, "%s: not written: more than %llu errors\n", o->out,
			(unsigned long long)o->max_errors);
		cp_compiler_free(c);
		return 1;
	}
	if (rc != 0) {
		fprintf(stderr, "%s: not written\n", o->out);
		cp_compiler_free(c);
		return 2;
	}
	rc = cp_compiler_write(c, o->out, &st, err, sizeof(err));
	if (rc != 0) {
		/* A pattern set Hyperscan refuses, or one past the limits, is
		 * refused input like too many errors: nothing is written. */
		int refused = rc == -EINVAL || rc == -ETIMEDOUT || rc == -EFBIG || rc == -EPIPE;
		fprintf(stderr, "%s\n%s: not written\n", err, o->out);
		cp_compiler_free(c);
		return refused ? 1 : 2;
	}
	double secs = now_s() - t0;
	if (!o->quiet)
		print_summary(o, &st, &diag, secs);
	if (o->stats != NULL)
		*o->stats = st;
	if (o->seconds != NULL)
		*o->seconds = secs;
	cp_compiler_free(c);
	return 0;
}

/* The indicator an entry stands for: the matched name, or the query's
 * address masked to the entry's prefix length. */
static void entry_indicator(const struct cp_ind *q, const struct cp_match *m, unsigned plen,
			    char *buf, size_t n)
{
	struct cp_ind ind = *q;

	if (q->type == CP_T_DOMAIN) {
		snprintf(buf, n, "%.*s", (int)(q->len - m->name_off), (const char *)q->v + m->name_off);
		return;
	}
	if (q->type == CP_T_IPV4 || q->type == CP_T_IPV6) {
		ind.plen = (uint8_t)plen;
		for (unsigned i = 0; i < ind.len; i++) {
			unsigned keep = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? plen - i * 8 : 0;
			ind.v[i] &= (uint8_t)(0xff00u >> keep);
		}
	}
	cp_ind_format(&ind, buf, n);
}

static void json_entry(FILE *out, const struct cp_store *s, const struct cp_ind *q,
		       const struct cp_match *m, uint32_t ent)
{
	const struct cp_meta_rec *r = cp_store_meta(s, ent & 0xffffff);
	char ind[CP_IND_MAX + 64];
	const char *str;

	if (r == NULL)
		return;
	entry_indicator(q, m, (ent >> 24) ? (ent >> 24) - 1 : 0, ind, sizeof(ind));
	fprintf(out, "{\"indicator\":");
	cp_json_str(out, ind);
	if (q->type == CP_T_DOMAIN)
		fprintf(out, ",\"subdomains\":%s", m->subdomains ? "true" : "false");
	fprintf(out, ",\"action\":\"%s\"", cp_action_name((enum cp_action)r->action));
	if ((str = cp_store_str(s, r->feed)) != NULL)
		fprintf(out, ",\"feed\":"), cp_json_str(out, str);
	if (r->confidence <= 100)
		fprintf(out, ",\"confidence\":%u", r->confidence);
	if ((str = cp_store_str(s, r->id)) != NULL)
		fprintf(out, ",\"id\":"), cp_json_str(out, str);
	fprintf(out, ",\"tags\":");
	cp_json_tags(out, cp_store_str(s, r->tags));
	if (r->valid_until != 0) {
		char tb[32];
		cp_json_iso_time(r->valid_until, tb, sizeof(tb));
		fprintf(out, ",\"valid_until\":\"%s\"", tb);
	}
	fputc('}', out);
}

unsigned cp_intel_lookup(const struct cp_store *s, const struct cp_ind *ind, FILE *out)
{
	struct cp_match m[130];
	unsigned nm = cp_store_match(s, ind, m, 130), printed = 0;
	unsigned full = ind->type == CP_T_IPV4 ? 32 : 128;
	enum cp_action best = CP_ACT_NONE;
	char val[CP_IND_MAX + 64];

	for (unsigned i = 0; i < nm; i++)
		if (cp_ref_action(m[i].ref) > best)
			best = cp_ref_action(m[i].ref);
	if (nm == 0)
		return 0;
	cp_ind_format(ind, val, sizeof(val));
	fprintf(out, "{\"type\":\"%s\",\"value\":", cp_itype_name((enum cp_itype)ind->type));
	cp_json_str(out, val);
	fprintf(out, ",\"action\":\"%s\",\"matches\":[", cp_action_name(best));
	for (unsigned i = 0; i < nm; i++) {
		const uint32_t *ents;
		unsigned k = cp_store_set(s, m[i].ref, &ents);

		for (unsigned j = 0; j < k; j++) {
			unsigned plen = (ents[j] >> 24) ? (ents[j] >> 24) - 1 : 0;
			/* A CIDR query is covered only by prefixes as short as it. */
			if ((ind->type == CP_T_IPV4 || ind->type == CP_T_IPV6) &&
			    ind->plen < full && plen > ind->plen)
				continue;
			if (printed++)
				fputc(',', out);
			json_entry(out, s, ind, &m[i], ents[j]);
		}
	}
	fprintf(out, "]}\n");
	return printed;
}

void cp_intel_info(const char *path, const struct cp_snap *snap, const struct cp_store *s,
		   FILE *out)
{
	const struct cp_feed_rec *feeds;
	uint64_t nfeeds = 0, fsize = 0, total = 0, bytes = 0;
	char tb[32];

	cp_json_iso_time((int64_t)cp_snap_created(snap), tb, sizeof(tb));
	fprintf(out, "snapshot: %s\n  created: %s\n  size:    %llu bytes\n  seed:    0x%016llx\n",
		path, tb, (unsigned long long)cp_snap_file_size(snap),
		(unsigned long long)cp_store_seed(s));
	fprintf(out, "  %-8s %14s %14s %8s\n", "type", "indicators", "bytes", "B/ind");
	for (unsigned t = 0; t < CP_T__COUNT; t++) {
		uint64_t n = cp_store_count(s, (enum cp_itype)t), b = cp_store_bytes(s, (enum cp_itype)t);
		if (n == 0)
			continue;
		total += n, bytes += b;
		fprintf(out, "  %-8s %14llu %14llu %8.2f\n", cp_itype_name((enum cp_itype)t),
			(unsigned long long)n, (unsigned long long)b, (double)b / (double)n);
	}
	bytes += cp_store_shared_bytes(s);
	fprintf(out, "  %-8s %14llu %14llu %8.2f  (metadata and sets included)\n", "total",
		(unsigned long long)total, (unsigned long long)bytes,
		total ? (double)bytes / (double)total : 0.0);
	for (unsigned t = 0; t < CP_PT__COUNT; t++) {
		uint32_t np;
		uint64_t dbsize = 0;
		if (cp_store_patterns(s, t, &np, NULL) == NULL)
			continue;
		cp_snap_section(snap, CP_SEC_PAT_DB + t, &dbsize, NULL, NULL, NULL);
		fprintf(out, "  patterns %-10s %10u  (Hyperscan database, %llu bytes)\n",
			cp_ptarget_name((enum cp_ptarget)t), np, (unsigned long long)dbsize);
	}
	feeds = cp_snap_section(snap, CP_SEC_FEEDS, &fsize, &nfeeds, NULL, NULL);
	/* The count is the header's word: no more records than the bytes hold
	 * (a crafted file with sound checksums may claim more). */
	if (feeds != NULL && nfeeds > fsize / sizeof(*feeds))
		nfeeds = fsize / sizeof(*feeds);
	fprintf(out, "  feeds:\n");
	for (uint64_t i = 0; feeds != NULL && i < nfeeds; i++) {
		const char *name = cp_store_str(s, feeds[i].name);
		char shown[4 * 255 + 1];  /* a feed's bytes, not its terminal codes */
		cp_text_clean(name ? name : "(unnamed)", shown, sizeof(shown), CP_TEXT_CONTROLS);
		fprintf(out, "    %-32s %12llu indicators\n", shown,
			(unsigned long long)feeds[i].indicators);
	}
}
