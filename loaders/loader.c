/* Feed specs, format dispatch, metadata defaults and error accounting shared
 * by every loader. Control plane. */
#include "loader.h"
#include "common/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* In probe order: the most particular first, plain (takes anything) last. */
static const struct cp_loader *const loaders[] = {
	&cp_loader_zeek, &cp_loader_warninglist, &cp_loader_stix, &cp_loader_misp,
	&cp_loader_iprep, &cp_loader_csv, &cp_loader_suricata, &cp_loader_plain,
	&cp_loader_pattern,  /* named only (no probe) */
};
#define PROBE_MAX (64u << 10)
/* Keys every format understands. */
static const char *const common_keys[] = { "type", "action", "feed", "confidence",
					   "subdomains", "ids", NULL };

const struct cp_loader *cp_loader_find(const char *name, size_t n)
{
	for (size_t i = 0; i < CP_ARRAY_LEN(loaders); i++)
		if (strlen(loaders[i]->name) == n && memcmp(loaders[i]->name, name, n) == 0)
			return loaders[i];
	return NULL;
}

static int is_number(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int apply_common(struct cp_feed *f, const char *k, const char *v, char *err, size_t errlen)
{
	int csv = f->fmt == &cp_loader_csv;
	enum cp_itype t;

	if (strcmp(k, "type") == 0 && !(csv && is_number(v))) {
		if (cp_itype_parse(v, &t) != 0 && !csv)
			goto bad;
		f->type = cp_itype_parse(v, &t) == 0 ? (int)t : f->type;
	} else if (strcmp(k, "action") == 0 && !(csv && is_number(v))) {
		if (cp_action_parse(v, &f->action) != 0 && !csv)
			goto bad;
		f->action_set = 1;
	} else if (strcmp(k, "confidence") == 0 && !csv) {
		if (!is_number(v) || atoi(v) > 100)
			goto bad;
		f->confidence = atoi(v);
	} else if (strcmp(k, "feed") == 0 && !(csv && is_number(v))) {
		snprintf(f->name, sizeof(f->name), "%s", v);
	} else if (strcmp(k, "subdomains") == 0 && !(csv && is_number(v))) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			goto bad;
		f->subdomains = strcmp(v, "yes") == 0;
	} else if (strcmp(k, "ids") == 0) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			goto bad;
		f->no_ids = strcmp(v, "no") == 0;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s: invalid value '%s' for %s", f->path, v, k);
	return -EINVAL;
}

static void default_name(struct cp_feed *f)
{
	const char *b = strrchr(f->path, '/');
	b = b ? b + 1 : f->path;
	snprintf(f->name, sizeof(f->name), "%s", b);
	char *dot = strrchr(f->name, '.');
	if (dot != NULL && dot != f->name)
		*dot = '\0';
}

int cp_feed_parse(const char *spec, struct cp_feed *f, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	char *p, *save = NULL;

	memset(f, 0, sizeof(*f));
	f->type = -1;
	f->action = CP_ACT_ALERT;
	f->confidence = -1;
	if (colon != NULL && (f->fmt = cp_loader_find(spec, (size_t)(colon - spec))) != NULL)
		spec = colon + 1;
	if (strlen(spec) >= sizeof(f->spec)) {
		snprintf(err, errlen, "feed spec too long");
		return -EINVAL;
	}
	strcpy(f->spec, spec);
	p = strtok_r(f->spec, ",", &save);
	if (p == NULL || *p == '\0') {
		snprintf(err, errlen, "feed spec '%s' has no path", spec);
		return -EINVAL;
	}
	snprintf(f->path, sizeof(f->path), "%s", p);
	if (f->fmt == NULL) {
		/* Known before the options are read: CSV's take column numbers. */
		size_t n = strlen(f->path);
		if (n > 4 && strcmp(f->path + n - 4, ".csv") == 0)
			f->fmt = &cp_loader_csv;
	}
	default_name(f);
	while ((p = strtok_r(NULL, ",", &save)) != NULL) {
		char *eq = strchr(p, '=');
		if (eq == NULL || eq == p || f->nkv == CP_LOAD_MAX_KV) {
			snprintf(err, errlen, "%s: bad option '%s' (want key=value)", f->path, p);
			return -EINVAL;
		}
		*eq = '\0';
		f->key[f->nkv] = p;
		f->val[f->nkv++] = eq + 1;
		if (apply_common(f, p, eq + 1, err, errlen) != 0)
			return -EINVAL;
	}
	return 0;
}

const char *cp_feed_opt(const struct cp_feed *f, const char *key)
{
	for (unsigned i = 0; i < f->nkv; i++)
		if (strcmp(f->key[i], key) == 0)
			return f->val[i];
	return NULL;
}

static int known_key(const struct cp_loader *l, const char *k)
{
	for (const char *const *p = common_keys; *p; p++)
		if (strcmp(*p, k) == 0)
			return 1;
	for (const char *const *p = l->keys; p && *p; p++)
		if (strcmp(*p, k) == 0)
			return 1;
	return 0;
}

void cp_load_default_meta(const struct cp_load_ctx *ctx, struct cp_meta_in *m)
{
	*m = (struct cp_meta_in){ .action = ctx->feed->action,
				  .confidence = ctx->feed->confidence,
				  .feed = ctx->feed->name };
}

const struct cp_loader *cp_loader_detect(const char *path, const uint8_t *head, size_t n)
{
	if (n >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf)
		head += 3, n -= 3;
	if (n > PROBE_MAX)
		n = PROBE_MAX;
	for (size_t i = 0; i < CP_ARRAY_LEN(loaders); i++)
		if (loaders[i]->probe != NULL && loaders[i]->probe(path, head, n))
			return loaders[i];
	return &cp_loader_plain;
}

static int load_data(const struct cp_feed *f, const uint8_t *data, size_t n, int mapped,
		     struct cp_compiler *comp, struct cp_diag *diag, const struct cp_load_opts *o)
{
	static const struct cp_load_opts none = { .threads = 1 };
	uint64_t done = 0;
	struct cp_load_ctx ctx = { .feed = f, .comp = comp, .diag = diag, .done = &done,
				   .data = data, .len = n, .size = n, .mapped = mapped };
	struct cp_feed copy = *f;
	struct cp_meta_in m;
	int rc;

	if (o == NULL)
		o = &none;
	ctx.threads = o->threads ? o->threads : 1;
	ctx.progress = o->progress;
	ctx.progress_arg = o->progress_arg;
	if (copy.fmt == NULL)
		copy.fmt = cp_loader_detect(copy.path, data, n);
	ctx.feed = &copy;
	for (unsigned i = 0; i < copy.nkv; i++) {
		if (!known_key(copy.fmt, copy.key[i])) {
			fprintf(diag->out, "%s: unknown option '%s' for %s feeds\n", copy.path,
				copy.key[i], copy.fmt->name);
			return -EINVAL;
		}
	}
	cp_load_default_meta(&ctx, &m);
	if ((rc = cp_compiler_meta(comp, &m, &ctx.feed_meta)) != 0)
		return rc;
	return copy.fmt->load(&ctx);
}

int cp_load_buffer(const struct cp_feed *f, const uint8_t *data, size_t n,
		   struct cp_compiler *comp, struct cp_diag *diag, const struct cp_load_opts *o)
{
	return load_data(f, data, n, 0, comp, diag, o);
}

int cp_load_feed(const struct cp_feed *f, struct cp_compiler *comp, struct cp_diag *diag,
		 const struct cp_load_opts *o)
{
	const uint8_t *p;
	size_t n;
	int rc = cp_load_map(f->path, &p, &n);

	if (rc != 0) {
		fprintf(diag->out, "%s: cannot read: %s\n", f->path, strerror(-rc));
		return rc;
	}
	rc = load_data(f, p, n, 1, comp, diag, o);
	cp_load_unmap(p, n);
	return rc;
}

uint64_t cp_load_line_at(const struct cp_load_ctx *ctx, struct cp_line_cursor *c, size_t off)
{
	if (c->line == 0)
		*c = (struct cp_line_cursor){ .line = 1 };
	if (off > ctx->len)
		off = ctx->len;
	while (c->off < off) {
		const uint8_t *nl = memchr(ctx->data + c->off, '\n', off - c->off);
		if (nl == NULL) {
			c->off = off;
			break;
		}
		c->line++;
		c->off = c->bol = (size_t)(nl - ctx->data) + 1;
	}
	return c->line;
}

static void count_reason(struct cp_reasons *r, const char *reason)
{
	unsigned i;

	for (i = 0; i < r->n; i++)
		if (r->reason[i] == reason || strcmp(r->reason[i], reason) == 0)
			break;
	if (i == r->n) {
		if (i == CP_LOAD_MAX_REASONS)
			i--;  /* the last slot collects the rarest reasons */
		else
			r->reason[r->n++] = reason;
	}
	r->count[i]++;
}

uint64_t cp_reasons_get(const struct cp_reasons *r, const char *reason)
{
	for (unsigned i = 0; i < r->n; i++)
		if (strcmp(r->reason[i], reason) == 0)
			return r->count[i];
	return 0;
}

void cp_load_skip(struct cp_load_ctx *ctx, const char *reason)
{
	if (ctx->lock != NULL)
		pthread_mutex_lock(ctx->lock);
	count_reason(&ctx->diag->skip, reason);
	ctx->diag->skipped++;
	if (ctx->lock != NULL)
		pthread_mutex_unlock(ctx->lock);
}

/* The first SHOWN bytes of a bad value as the error shows it: bytes that
 * are not UTF-8, and control bytes (an ESC would drive the terminal), as
 * \xNN, four characters each. */
#define SHOWN 200
static const char *shown(const char *value, size_t n, char out[4 * SHOWN + 1])
{
	char raw[SHOWN + 1];

	n = n < SHOWN ? n : SHOWN;
	memcpy(raw, value, n);
	raw[n] = 0;
	cp_text_clean(raw, out, 4 * SHOWN + 1, CP_TEXT_CONTROLS);
	return out;
}

int cp_load_error(struct cp_load_ctx *ctx, uint64_t line, const char *reason,
		  const char *value, size_t n)
{
	struct cp_diag *d = ctx->diag;
	char text[4 * SHOWN + 1];
	int rc;

	if (ctx->lock != NULL)
		pthread_mutex_lock(ctx->lock);
	count_reason(&d->err, reason);
	if (++d->errors <= d->max_print) {
		if (value != NULL)
			fprintf(d->out, "%s:%llu: %s: '%s'\n", ctx->feed->path,
				(unsigned long long)line, reason, shown(value, n, text));
		else
			fprintf(d->out, "%s:%llu: %s\n", ctx->feed->path, (unsigned long long)line,
				reason);
	} else if (d->errors == d->max_print + 1) {
		fprintf(d->out, "(further errors are counted, not printed)\n");
	}
	rc = d->errors > d->max_errors ? -ECANCELED : 0;
	if (ctx->lock != NULL)
		pthread_mutex_unlock(ctx->lock);
	return rc;
}

static size_t put_str(char *k, size_t at, size_t cap, const char *s)
{
	size_t n = s ? strlen(s) + 1 : 0;

	if (at + n + 1 > cap)
		return cap + 1;
	if (s != NULL)
		memcpy(k + at, s, n);
	k[at + n] = s ? 1 : 0;  /* tells NULL from "" */
	return at + n + 1;
}

int cp_load_meta(struct cp_load_ctx *ctx, struct cp_meta_cache *mc, uint64_t line,
		 const struct cp_meta_in *min, uint32_t *mid)
{
	struct cp_meta_in m_ = *min, *m = &m_;
	char k[sizeof(mc->key)];
	size_t n = 0;
	int rc;

	if (ctx->feed->no_ids)
		m->id = NULL;
	memcpy(k, &m->action, sizeof(m->action));
	memcpy(k + sizeof(m->action), &m->confidence, sizeof(m->confidence));
	memcpy(k + 8, &m->valid_until, 8);
	n = put_str(k, 16, sizeof(k), m->feed);
	n = n <= sizeof(k) ? put_str(k, n, sizeof(k), m->id) : n;
	n = n <= sizeof(k) ? put_str(k, n, sizeof(k), m->tags) : n;
	if (mc->valid && n == mc->len && memcmp(k, mc->key, n) == 0) {
		*mid = mc->mid;
		return 0;
	}
	if (ctx->lock != NULL)
		return -EINVAL;  /* interning would race the other threads' reads */
	if ((rc = cp_compiler_meta(ctx->comp, m, mid)) != 0)
		return cp_load_error(ctx, line, rc == -E2BIG ? "too many distinct metadata records"
							     : "out of memory", NULL, 0) ?: 1;
	mc->valid = n <= sizeof(k);
	if (mc->valid) {
		memcpy(mc->key, k, n);
		mc->len = n;
		mc->mid = *mid;
	}
	return 0;
}

/* The compiler could not keep what the feed gave it (memory, or a spill
 * file's disk): not the feed's fault, so no line of it is blamed; the
 * compile stops with the reason. */
static int keep_failed(const struct cp_load_ctx *ctx, int rc)
{
	if (ctx->lock != NULL)
		pthread_mutex_lock(ctx->lock);
	fprintf(ctx->diag->out, "%s: cannot keep its indicators: %s\n", ctx->feed->path,
		strerror(-rc));
	if (ctx->lock != NULL)
		pthread_mutex_unlock(ctx->lock);
	return rc;
}

int cp_load_emit_ind(struct cp_load_ctx *ctx, struct cp_ind *ind, uint32_t mid)
{
	int rc;

	if (ind->type == CP_T_DOMAIN && ctx->feed->subdomains)
		ind->subdomains = 1;
	rc = ctx->shard ? cp_compiler_shard_add(ctx->shard, ind, mid)
			: cp_compiler_add(ctx->comp, ind, mid);
	if (rc < 0)
		return keep_failed(ctx, rc);
	ctx->emitted += rc == 0;
	return 0;
}

int cp_load_emit(struct cp_load_ctx *ctx, uint64_t line, int t, const char *s, size_t n,
		 const struct cp_meta_in *meta)
{
	struct cp_ind ind;
	const char *why = NULL;
	uint32_t mid = ctx->feed_meta;
	int rc;

	rc = t < 0 ? cp_norm_auto(s, n, &ind, &why) : cp_norm((enum cp_itype)t, s, n, &ind, &why);
	if (rc != 0)
		return cp_load_error(ctx, line, why, s, n);
	if (meta != NULL && ctx->lock != NULL)
		return -EINVAL;  /* interning would race the other threads' reads */
	struct cp_meta_in m;
	if (meta != NULL && ctx->feed->no_ids) {
		m = *meta;
		m.id = NULL;
		meta = &m;
	}
	if (meta != NULL && (rc = cp_compiler_meta(ctx->comp, meta, &mid)) != 0)
		return cp_load_error(ctx, line, rc == -E2BIG ? "too many distinct metadata records"
							     : "out of memory", NULL, 0);
	return cp_load_emit_ind(ctx, &ind, mid);
}

void cp_load_progress(struct cp_load_ctx *ctx, uint64_t bytes)
{
	uint64_t d = __atomic_add_fetch(ctx->done, bytes, __ATOMIC_RELAXED);

	if (ctx->progress != NULL)
		ctx->progress(ctx->progress_arg, d, ctx->size);
}

/* Pages behind a loader are dropped every 16 MiB: a 2 GB feed then maps
 * at most that much at a time. */
#define DROP_EVERY (16u << 20)

int cp_load_lines(struct cp_load_ctx *ctx, const uint8_t *p, size_t begin, size_t end,
		  uint64_t line, cp_line_fn fn, void *arg)
{
	size_t off = begin, told = begin, dropped = begin;
	int rc = 0;

	for (; off < end && rc == 0; line++) {
		const uint8_t *nl = memchr(p + off, '\n', end - off);
		size_t len = nl ? (size_t)(nl - (p + off)) : end - off;
		const char *s = (const char *)p + off;

		off = nl ? off + len + 1 : end;
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (memchr(s, '\0', len) != NULL)
			rc = cp_load_error(ctx, line, "NUL byte in line", NULL, 0);
		else
			rc = fn(ctx, line, s, len, arg);
		if ((line & 0xfffff) == 0) {
			cp_load_progress(ctx, off - told);
			told = off;
		}
		if (off - dropped >= DROP_EVERY && p == ctx->data) {
			cp_load_drop(ctx, dropped, off);
			dropped = off;
		}
	}
	cp_load_progress(ctx, end - told);
	return rc;
}

void cp_load_drop(const struct cp_load_ctx *ctx, size_t from, size_t to)
{
	size_t a = (from + 4095) & ~(size_t)4095, b = to & ~(size_t)4095;

	/* Cold first: the page cache then gives up the feed's pages before
	 * anything else (a 1 B-indicator feed is 27 GB, which pushed the
	 * compiler's spill files out of the cache). */
	if (ctx->mapped && b > a) {
		madvise((void *)((uintptr_t)ctx->data + a), b - a, MADV_COLD);
		madvise((void *)((uintptr_t)ctx->data + a), b - a, MADV_DONTNEED);
	}
}

size_t cp_load_bom(const struct cp_load_ctx *ctx)
{
	const uint8_t *p = ctx->data;

	return ctx->len >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf ? 3 : 0;
}

/* Below this a thread costs more to start and merge than it saves. */
#define SPLIT_MIN (8u << 20)
#define SPLIT_MAX 16

struct part {
	struct cp_load_ctx ctx;
	const uint8_t *p;
	size_t begin, end, from;  /* lines are counted from `from` */
	cp_load_range_fn fn;
	pthread_t tid;
	int rc;
};

static void *run_part(void *arg)
{
	struct part *w = arg;
	uint64_t line0 = 1;

	/* Threads start at a line end, so their first line's number is the
	 * count of line ends before it: ~0.1 s a GB, overlapped with the
	 * first part's parsing. The pages counted over are unmapped as it
	 * goes (they stay in the page cache for the thread that parses them):
	 * mapped, the first half of a 27 GB feed was 13 GB of RSS. */
	for (size_t at = w->from; at < w->begin;) {
		size_t to = w->begin - at > DROP_EVERY ? at + DROP_EVERY : w->begin;
		for (const uint8_t *q = w->p + at, *e = w->p + to;
		     (q = memchr(q, '\n', (size_t)(e - q))) != NULL; q++)
			line0++;
		size_t a = (at + 4095) & ~(size_t)4095, b = to & ~(size_t)4095;
		if (w->ctx.mapped && b > a)
			madvise((void *)((uintptr_t)w->p + a), b - a, MADV_DONTNEED);
		at = to;
	}
	w->rc = w->fn(&w->ctx, w->p, w->begin, w->end, line0);
	return NULL;
}

int cp_load_split(struct cp_load_ctx *ctx, const uint8_t *p, size_t begin, size_t end,
		  cp_load_range_fn fn)
{
	struct part w[SPLIT_MAX];
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	size_t k = ctx->threads, cut = begin;
	int rc = 0;

	if (k > (end - begin) / SPLIT_MIN)
		k = (end - begin) / SPLIT_MIN;
	if (k > SPLIT_MAX)
		k = SPLIT_MAX;
	if (k <= 1)
		return fn(ctx, p, begin, end, 1);
	for (size_t i = 0; i < k; i++) {
		size_t to = i + 1 == k ? end : begin + (end - begin) / k * (i + 1);
		const uint8_t *nl = to < end ? memchr(p + to, '\n', end - to) : NULL;
		w[i] = (struct part){ .ctx = *ctx, .p = p, .begin = cut, .from = begin, .fn = fn };
		w[i].end = nl != NULL ? (size_t)(nl - p) + 1 : end;
		w[i].end = w[i].end < cut ? cut : w[i].end;
		cut = w[i].end;
		w[i].ctx.lock = &lock;
		w[i].ctx.emitted = 0;
		if (i > 0) {
			w[i].ctx.progress = NULL;
			w[i].ctx.shard = cp_compiler_shard_new(ctx->comp);
			if (w[i].ctx.shard == NULL)
				k = i;  /* fewer threads: the last part takes the rest */
		}
	}
	w[k - 1].end = end;
	for (size_t i = 1; i < k; i++)
		if (pthread_create(&w[i].tid, NULL, run_part, &w[i]) != 0)
			run_part(&w[i]), w[i].tid = pthread_self();
	run_part(&w[0]);
	for (size_t i = 0; i < k; i++) {
		if (i > 0 && !pthread_equal(w[i].tid, pthread_self()))
			pthread_join(w[i].tid, NULL);
		if (rc == 0)
			rc = w[i].rc;
		ctx->emitted += w[i].ctx.emitted;
	}
	/* Merged in file order, so the compile sees what one thread would. */
	for (size_t i = 1; i < k; i++) {
		if (rc == 0) {
			if ((rc = cp_compiler_shard_merge(w[i].ctx.shard)) == 0)
				continue;
			keep_failed(ctx, rc);
		}
		cp_compiler_shard_free(w[i].ctx.shard);
	}
	return rc;
}

int cp_load_map(const char *path, const uint8_t **p, size_t *n)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*p = NULL;
	*n = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			int e = errno;
			close(fd);
			return -e;
		}
		madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
		*p = m;
		*n = (size_t)st.st_size;
	}
	close(fd);
	return 0;
}

void cp_load_unmap(const uint8_t *p, size_t n)
{
	if (p != NULL)
		munmap((void *)p, n);
}

static int digits(const char *s, size_t n, size_t at, size_t len, int *v)
{
	*v = 0;
	if (at + len > n)
		return -1;
	for (size_t i = at; i < at + len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int cp_parse_time(const char *s, size_t n, int64_t *t)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
	size_t i = 10;

	int all = n > 0 && n <= 12;

	for (size_t k = 0; all && k < n; k++)
		all = s[k] >= '0' && s[k] <= '9';
	if (all) {
		*t = 0;
		for (size_t k = 0; k < n; k++)
			*t = *t * 10 + (s[k] - '0');
		return 0;
	}
	if (digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || digits(s, n, 5, 2, &mo) ||
	    s[7] != '-' || digits(s, n, 8, 2, &d))
		return -EINVAL;
	if (n > 10) {
		if ((s[10] != 'T' && s[10] != ' ') || digits(s, n, 11, 2, &h) || n < 19 ||
		    s[13] != ':' || digits(s, n, 14, 2, &mi) || s[16] != ':' ||
		    digits(s, n, 17, 2, &sec))
			return -EINVAL;
		i = 19;
		if (i < n && s[i] == '.')
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				;
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			int oh, om;
			if (digits(s, n, i + 1, 2, &oh) || i + 3 >= n || s[i + 3] != ':' ||
			    digits(s, n, i + 4, 2, &om))
				return -EINVAL;
			off = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
			i += 6;
		}
	}
	if (i != n || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = (int64_t)timegm(&tm) - off;
	return 0;
}
