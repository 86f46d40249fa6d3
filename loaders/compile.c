/* The snapshot compiler. Control plane.
 * Indicators are hashed as they arrive (16 B each), so 100 M of them need
 * 1.6 GB plus as much again for the sort, whatever the feeds' text size.
 * Past the spill budget the records go to disk (compile_spill.c), and the
 * tables are built a hash range at a time (compile_build.c). */
#include "compile_internal.h"
#include "common/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Record vectors grow to gigabytes, so they live in cp_mem mappings: grown
 * without copying (realloc copied 2x the final size, 14 % of a compile) and
 * advised for huge pages (one fault per 2 MiB). */
static int vec_grow(struct vec *v, size_t esz)
{
	size_t cap = v->cap ? v->cap * 2 : (2u << 20) / esz;
	void *p = cp_mem_grow(v->p, v->cap * esz, cap * esz);

	if (p == NULL)
		return -ENOMEM;
	v->p = p;
	v->cap = cap;
	return 0;
}

int cp__vec_push(struct vec *v, const void *x, size_t esz)
{
	if (v->n == v->cap && vec_grow(v, esz) != 0)
		return -ENOMEM;
	memcpy((char *)v->p + v->n++ * esz, x, esz);
	return 0;
}

int cp__vec_append(struct vec *v, const struct vec *w, size_t esz)
{
	while (v->cap - v->n < w->n)
		if (vec_grow(v, esz) != 0)
			return -ENOMEM;
	if (w->n != 0)
		memcpy((char *)v->p + v->n * esz, w->p, w->n * esz);
	v->n += w->n;
	return 0;
}

void cp__vec_free(struct vec *v, size_t esz)
{
	cp_mem_free(v->p, v->cap * esz);
	*v = (struct vec){ 0 };
}

static int str_eq(const void *ctx, uint32_t h, const void *key)
{
	const struct cp_compiler *c = ctx;
	return strcmp(c->strs + h, key) == 0;
}

static int meta_eq(const void *ctx, uint32_t h, const void *key)
{
	const struct cp_compiler *c = ctx;
	return memcmp(&c->meta[h - 1], key, sizeof(struct cp_meta_rec)) == 0;
}

struct cp_compiler *cp_compiler_new(uint64_t seed)
{
	struct cp_compiler *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	while (seed == 0 && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		;
	c->seed = seed;
	c->filter = CP_FILTER_AUTO;
	c->spill_budget = cp_compiler_spill_default();
	c->popts = (struct cp_pattern_opts){ .time_limit_s = CP_PATTERN_TIME_LIMIT,
					     .max_bytes = CP_PATTERN_MAX_BYTES };
	c->now = (int64_t)time(NULL);
	c->strs_cap = 4096;
	c->strs = cp_mem_alloc(c->strs_cap);
	c->strs_n = 1;  /* offset 0 is the empty string: "unset" */
	if (c->strs == NULL || cp_intern_init(&c->strix, str_eq, c) != 0 ||
	    cp_intern_init(&c->metaix, meta_eq, c) != 0) {
		cp_compiler_free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void cp_compiler_free(struct cp_compiler *c)
{
	if (c == NULL)
		return;
	for (unsigned t = 0; t < CP_T__COUNT; t++)
		cp__vec_free(&c->x[t], sizeof(struct cp_xrec));
	cp_mem_free(c->part, c->part_size);
	cp__vec_free(&c->ip6, sizeof(struct ip6rec));
	cp__spill_free(c->spill);
	free(c->spill_dir);
	cp__patterns_free(c);
	cp_lpmb_free(c->lpm[0]);
	cp_r4_img_free(&c->r4);
	cp__r4_fini(&c->r4v);
	if (c->v4map != NULL)
		cp_mem_free(c->v4map, CP_V4MAP_BYTES);
	free(c->v4list);
	cp_mem_free(c->scratch, c->scratch_size);
	cp_lpmb_free(c->lpm[1]);
	cp_setb_free(c->setb);
	cp_intern_fini(&c->strix);
	cp_intern_fini(&c->metaix);
	cp_mem_free(c->strs, c->strs_cap);
	cp_mem_free(c->meta, c->meta_cap * sizeof(*c->meta));
	cp_mem_free(c->meta_uses, c->meta_cap * sizeof(*c->meta_uses));
	free(c->feeds);
	free(c->ents);
	free(c);
}

uint64_t cp_compiler_seed(const struct cp_compiler *c)
{
	return c->seed;
}

void cp_compiler_set_patterns(struct cp_compiler *c, const struct cp_pattern_opts *o)
{
	c->popts = *o;
}

void cp_compiler_set_filter(struct cp_compiler *c, enum cp_filter_mode m)
{
	c->filter = m;
}

int cp_filter_mode_parse(const char *s, enum cp_filter_mode *m)
{
	if (strcmp(s, "auto") == 0)
		*m = CP_FILTER_AUTO;
	else if (strcmp(s, "yes") == 0)
		*m = CP_FILTER_ALWAYS;
	else if (strcmp(s, "no") == 0)
		*m = CP_FILTER_NEVER;
	else
		return -EINVAL;
	return 0;
}

int cp__intern_str(struct cp_compiler *c, const char *s, uint32_t *off)
{
	size_t n, slot;
	uint32_t h;

	if (s == NULL || *s == '\0') {
		*off = 0;
		return 0;
	}
	n = strlen(s);
	uint64_t hash = XXH3_64bits(s, n);
	h = cp_intern_find(&c->strix, hash, s, &slot);
	if (h != 0) {
		*off = h;
		return 0;
	}
	if (c->strs_n + n + 1 > UINT32_MAX)
		return -E2BIG;
	while (c->strs_n + n + 1 > c->strs_cap) {
		char *p = cp_mem_grow(c->strs, c->strs_cap, c->strs_cap * 2);
		if (p == NULL)
			return -ENOMEM;
		c->strs = p;
		c->strs_cap *= 2;
	}
	*off = (uint32_t)c->strs_n;
	memcpy(c->strs + c->strs_n, s, n + 1);
	c->strs_n += n + 1;
	return cp_intern_put(&c->strix, slot, hash, *off);
}

int cp_compiler_meta(struct cp_compiler *c, const struct cp_meta_in *m, uint32_t *id)
{
	struct cp_meta_rec r;
	size_t slot;
	int rc;

	memset(&r, 0, sizeof(r));  /* padding takes part in the hash */
	r.action = (uint8_t)m->action;
	r.confidence = m->confidence < 0 ? 255 : (uint8_t)m->confidence;
	r.valid_until = m->valid_until;
	if ((rc = cp__intern_str(c, m->feed, &r.feed)) != 0 || (rc = cp__intern_str(c, m->id, &r.id)) != 0 ||
	    (rc = cp__intern_str(c, m->tags, &r.tags)) != 0)
		return rc;
	uint64_t hash = XXH3_64bits(&r, sizeof(r));
	uint32_t h = cp_intern_find(&c->metaix, hash, &r, &slot);
	if (h != 0) {
		*id = h - 1;
		return 0;
	}
	if (c->nmeta == META_MAX)
		return -E2BIG;
	if (c->nmeta == c->meta_cap) {
		/* Pages move, not bytes: STIX and MISP give most indicators a
		 * record of their own (their ids), so this grows to millions. */
		size_t cap = c->meta_cap ? c->meta_cap * 2 : 1024;
		struct cp_meta_rec *p = cp_mem_grow(c->meta, c->meta_cap * sizeof(*p),
						    cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		uint64_t *u = cp_mem_grow(c->meta_uses, c->meta_cap * sizeof(*u), cap * sizeof(*u));
		if (u == NULL) {
			/* Back to the size meta_cap says, so the free is exact;
			 * shrinking in place does not fail. */
			c->meta = cp_mem_grow(p, cap * sizeof(*p), c->meta_cap * sizeof(*p));
			return -ENOMEM;
		}
		c->meta = p;
		c->meta_uses = u;
		c->meta_cap = cap;
	}
	c->meta[c->nmeta] = r;
	c->meta_uses[c->nmeta] = 0;
	*id = (uint32_t)c->nmeta++;
	return cp_intern_put(&c->metaix, slot, hash, *id + 1);
}

static int expired(const struct cp_compiler *c, uint32_t meta)
{
	const struct cp_meta_rec *m = &c->meta[meta];

	return m->valid_until != 0 && m->valid_until <= c->now;
}

int cp_compiler_set_spill(struct cp_compiler *c, const char *dir, uint64_t budget)
{
	struct stat st;

	if (dir != NULL) {
		if (stat(dir, &st) != 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		if (access(dir, W_OK | X_OK) != 0)
			return -errno;
	}
	free(c->spill_dir);
	c->spill_dir = dir != NULL ? strdup(dir) : NULL;
	if (dir != NULL && c->spill_dir == NULL)
		return -ENOMEM;
	c->spill_budget = budget;
	return 0;
}

uint64_t cp_compiler_spill_default(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	/* Records, then as much again to sort them, then tables of ~1-1.5x
	 * their size: a quarter of memory in records keeps the peak inside. */
	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size / 4 : 4ull << 30;
}

static uint64_t exact_bytes(const struct vec *x)
{
	uint64_t n = 0;

	for (unsigned t = 0; t < CP_T__COUNT; t++)
		n += x[t].n;
	if (x[CP_T_IPV4].n != 0) {
		const struct cp_xrec *r = x[CP_T_IPV4].p;
		for (size_t i = 0; i < x[CP_T_IPV4].n; i++)
			n -= r[i].b < 32;
	}
	return n * sizeof(struct cp_xrec);
}

/* From now on this sink's exact records go to disk. pending: the bytes of
 * them it had not yet counted in mem_recs. */
static int spill_sink(struct cp_compiler *c, struct vec *x, struct cp_spill **sp,
		      uint64_t *pending)
{
	uint64_t moved = exact_bytes(x);
	int rc = cp__spill_start(c->spill_dir, c->seed, sp, x);

	__atomic_store_n(&c->spilling, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&c->mem_recs, moved - *pending, __ATOMIC_RELAXED);
	*pending = 0;
	return rc;
}

/* Bytes a sink counts on its own before adding them to the shared count:
 * an atomic add per record, on a line that the other loader threads read
 * the seed from, cost the parse of a 100 M feed 2.4-2.9 s of its 11-14
 * (chokepoint-intel compile, two threads, alternating runs). The budget is
 * then passed by at most this much a thread (a budget below it is checked
 * at every record). */
#define PENDING_MAX (64u << 10)

/* An exact record: into memory, or once the records in memory pass the
 * budget, into this sink's spill file. Shards on other threads call this;
 * the count in memory is shared. */
static int keep(struct cp_compiler *c, struct vec *x, struct cp_spill **sp, uint64_t *pending,
		enum cp_itype t, const struct cp_xrec *r)
{
	int rc;

	if (t == CP_T_IPV4 && r->b < 32)  /* CIDRs stay in memory */
		return cp__vec_push(&x[t], r, sizeof(*r));
	if (*sp != NULL)
		return cp__spill_push(*sp, t, r);
	if ((rc = cp__vec_push(&x[t], r, sizeof(*r))) != 0)
		return rc;
	if ((*pending += sizeof(*r)) < PENDING_MAX && *pending <= c->spill_budget)
		return 0;
	/* Once one thread spills, all do: else each would fill the budget
	 * again in turn (a 1 B compile peaked at 13.2 GB, twice its budget). */
	uint64_t now = __atomic_add_fetch(&c->mem_recs, *pending, __ATOMIC_RELAXED);
	*pending = 0;
	if (now <= c->spill_budget && !__atomic_load_n(&c->spilling, __ATOMIC_RELAXED))
		return 0;
	return spill_sink(c, x, sp, pending);
}

/* Hashes one indicator into its record vector (x, or ip6) or the spill.
 * Reads only the compiler's settings, so shards on other threads may call
 * it. */
static int collect(struct cp_compiler *c, struct vec *x, struct vec *ip6, uint64_t *labels,
		   struct cp_spill **sp, uint64_t *pending, const struct cp_ind *ind, uint32_t meta)
{
	struct cp_xrec r;
	struct cp_qkey k;

	if (ind->type == CP_T_IPV6) {
		struct ip6rec v = { .meta = meta, .plen = ind->plen };
		memcpy(v.v, ind->v, 16);
		return cp__vec_push(ip6, &v, sizeof(v));
	}
	if (ind->type == CP_T_IPV4) {
		r = (struct cp_xrec){ .a = cp__be32(ind->v), .b = ind->plen, .ref = meta };
	} else {
		cp__key_bytes(c->seed, cp__tweak(ind->type, ind->subdomains), ind->v, ind->len, &k);
		if (ind->type == CP_T_DOMAIN && ind->subdomains)
			*labels |= cp__label_bit(cp__labels(ind->v, ind->len));
		r = (struct cp_xrec){ .a = k.a, .b = k.b, .ref = meta };
	}
	return keep(c, x, sp, pending, ind->type, &r);
}

int cp_compiler_add(struct cp_compiler *c, const struct cp_ind *ind, uint32_t meta)
{
	if (expired(c, meta)) {
		c->st.expired++;
		return 1;
	}
	c->meta_uses[meta]++;
	c->st.added++;
	return collect(c, c->x, &c->ip6, &c->sub_labels, &c->spill, &c->pending, ind, meta);
}

struct cp_compiler_shard {
	struct cp_compiler *c;
	struct vec x[CP_T__COUNT];
	struct vec ip6;
	struct cp_spill *spill;
	uint64_t pending;         /* as the compiler's */
	uint64_t sub_labels;      /* as the compiler's */
	uint64_t added, expired;
	size_t nmeta;             /* ids it may use: those interned before it */
	uint64_t *uses;
};

struct cp_compiler_shard *cp_compiler_shard_new(struct cp_compiler *c)
{
	struct cp_compiler_shard *sh = calloc(1, sizeof(*sh));

	if (sh == NULL)
		return NULL;
	sh->c = c;
	sh->nmeta = c->nmeta;
	sh->uses = calloc(c->nmeta ? c->nmeta : 1, sizeof(*sh->uses));
	if (sh->uses == NULL) {
		free(sh);
		errno = ENOMEM;
		return NULL;
	}
	return sh;
}

int cp_compiler_shard_add(struct cp_compiler_shard *sh, const struct cp_ind *ind, uint32_t meta)
{
	if (meta >= sh->nmeta)
		return -EINVAL;
	if (expired(sh->c, meta)) {
		sh->expired++;
		return 1;
	}
	sh->uses[meta]++;
	sh->added++;
	return collect(sh->c, sh->x, &sh->ip6, &sh->sub_labels, &sh->spill, &sh->pending, ind,
		       meta);
}

void cp_compiler_shard_free(struct cp_compiler_shard *sh)
{
	if (sh == NULL)
		return;
	for (unsigned t = 0; t < CP_T__COUNT; t++)
		cp__vec_free(&sh->x[t], sizeof(struct cp_xrec));
	cp__vec_free(&sh->ip6, sizeof(struct ip6rec));
	cp__spill_free(sh->spill);
	free(sh->uses);
	free(sh);
}

int cp_compiler_shard_merge(struct cp_compiler_shard *sh)
{
	struct cp_compiler *c = sh->c;
	int rc = 0;

	/* In file order: the compiler's records, then the shard's. Once
	 * either has spilled, both do, and the shard's ranges follow ours. */
	if (sh->spill != NULL && c->spill == NULL)
		rc = spill_sink(c, c->x, &c->spill, &c->pending);
	if (rc == 0 && c->spill != NULL && sh->spill == NULL)
		rc = spill_sink(c, sh->x, &c->spill, &sh->pending);
	if (rc == 0 && sh->spill != NULL) {
		rc = cp__spill_merge(c->spill, sh->spill);
		if (rc == 0)
			sh->spill = NULL;
	}
	for (unsigned t = 0; t < CP_T__COUNT && rc == 0; t++)
		rc = cp__vec_append(&c->x[t], &sh->x[t], sizeof(struct cp_xrec));
	if (rc == 0)
		rc = cp__vec_append(&c->ip6, &sh->ip6, sizeof(struct ip6rec));
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < sh->nmeta; i++)
		c->meta_uses[i] += sh->uses[i];
	c->sub_labels |= sh->sub_labels;
	c->st.added += sh->added;
	c->st.expired += sh->expired;
	cp_compiler_shard_free(sh);
	return 0;
}
