/* Loading a feed spec into a fresh compiler and asking the result: shared
 * by the loader tests (header-only: each test is one binary). */
#ifndef CP_TEST_LOADRUN_H
#define CP_TEST_LOADRUN_H

#include "helpers.h"
#include "intel_cmd.h"
#include "loader.h"

#define HAS(text, needle) \
	cr_expect(strstr((text), (needle)) != NULL, "no %s in %s", (needle), (text))

struct run {
	struct cp_compiler *c;
	struct cp_diag diag;
	char log[128];
	char *text;              /* what the loader printed */
	int rc;
};

static inline void load_opts(struct run *r, const char *spec, const struct cp_load_opts *o)
{
	struct cp_feed f;
	char err[256];

	t_tmpname(r->log, sizeof(r->log), "log");
	r->c = cp_compiler_new(1);
	r->diag = (struct cp_diag){ .out = fopen(r->log, "w+"), .max_errors = UINT64_MAX,
				    .max_print = 100 };
	cr_assert_eq(cp_feed_parse(spec, &f, err, sizeof(err)), 0, "%s", err);
	r->rc = cp_load_feed(&f, r->c, &r->diag, o);
	fclose(r->diag.out);
	size_t n;
	r->text = t_read_file(r->log, &n);
	unlink(r->log);
}

static inline void load(struct run *r, const char *spec)
{
	load_opts(r, spec, NULL);
}

static inline uint64_t reason_count(const struct run *r, const char *reason)
{
	return cp_reasons_get(&r->diag.err, reason);
}

static inline uint64_t skip_count(const struct run *r, const char *reason)
{
	return cp_reasons_get(&r->diag.skip, reason);
}

static inline void done(struct run *r)
{
	cp_compiler_free(r->c);
	free(r->text);
}

/* The winning action for v, or CP_ACT_NONE. */
static inline enum cp_action best(struct t_store *ts, enum cp_itype t, const char *v)
{
	struct cp_match m[16];
	struct cp_ind q;
	const char *why;
	enum cp_action b = CP_ACT_NONE;

	cr_assert_eq(cp_norm(t, v, strlen(v), &q, &why), 0, "%s: %s", v, why);
	unsigned k = cp_store_match(ts->store, &q, m, 16);
	for (unsigned i = 0; i < k; i++)
		if (cp_ref_action(m[i].ref) > b)
			b = cp_ref_action(m[i].ref);
	return b;
}

/* chokepoint-intel lookup's JSON for v, in buf (feed, id, tags, ...). */
static inline const char *lookup_json(struct t_store *ts, enum cp_itype t, const char *v,
				      char *buf, size_t n)
{
	struct cp_ind q;
	const char *why;
	FILE *f = fmemopen(buf, n, "w");

	cr_assert_eq(cp_norm(t, v, strlen(v), &q, &why), 0, "%s: %s", v, why);
	cp_intel_lookup(ts->store, &q, f);
	fclose(f);
	return buf;
}

/* Writes text to a fresh file named with tag; returns the path in buf. */
static inline const char *fixture(char *buf, size_t n, const char *tag, const char *text)
{
	t_tmpname(buf, n, tag);
	t_write_file(buf, text);
	return buf;
}

#endif
