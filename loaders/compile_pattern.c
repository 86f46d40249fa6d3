/* Patterns in the compiler: collected with their context and where they
 * came from, compiled per target with Hyperscan when the snapshot is
 * written, and stored serialised (hs_serialize_database), so loading a
 * snapshot never recompiles. Control plane. */
#include "compile_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct patrec {
	uint64_t line;
	uint32_t meta, file;     /* file: string offset */
	uint32_t text;           /* canonical text: string offset */
	uint32_t off, len;       /* expression bytes in pbytes */
	unsigned flags;
	uint8_t target, literal;
};

int cp_compiler_add_pattern(struct cp_compiler *c, const struct cp_pattern *p, unsigned t,
			    uint32_t meta, const char *file, uint64_t line)
{
	char text[4 * CP_PATTERN_MAX + 16];
	struct patrec r = { .line = line, .meta = meta, .len = p->len, .flags = p->flags,
			    .target = (uint8_t)t, .literal = p->literal };
	const struct cp_meta_rec *m = &c->meta[meta];
	int rc;

	if (m->valid_until != 0 && m->valid_until <= c->now) {
		c->st.expired++;
		return 1;
	}
	cp_pattern_format(p, text, sizeof(text));
	if ((rc = cp__intern_str(c, text, &r.text)) != 0 ||
	    (rc = cp__intern_str(c, file, &r.file)) != 0)
		return rc;
	r.off = (uint32_t)c->pbytes.n;
	for (uint32_t i = 0; i < p->len; i++)
		if ((rc = cp__vec_push(&c->pbytes, &p->expr[i], 1)) != 0)
			return rc;
	if ((rc = cp__vec_push(&c->pbytes, "", 1)) != 0)
		return rc;
	if ((rc = cp__vec_push(&c->pat, &r, sizeof(r))) != 0)
		return rc;
	c->meta_uses[meta]++;
	c->st.added++;
	return 0;
}

/* Compiles the n records of target t (in order) into c->pser[t]. */
static int build_target(struct cp_compiler *c, unsigned t, const struct patrec **rec, unsigned n,
			char *err, size_t errlen)
{
	const char **expr = malloc((size_t)n * sizeof(*expr));
	size_t *len = malloc((size_t)n * sizeof(*len));
	unsigned *flags = malloc((size_t)n * sizeof(*flags)), bad;
	uint8_t *lit = malloc(n);
	char why[320];
	int rc = -ENOMEM;

	c->pref[t] = malloc((size_t)n * sizeof(*c->pref[t]));
	if (expr == NULL || len == NULL || flags == NULL || lit == NULL || c->pref[t] == NULL)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		expr[i] = (const char *)c->pbytes.p + rec[i]->off;  /* NUL-terminated */
		len[i] = rec[i]->len;
		flags[i] = rec[i]->flags;
		lit[i] = rec[i]->literal;
		c->pref[t][i] = (struct cp_pat_ref){ .meta = rec[i]->meta, .text = rec[i]->text };
	}
	struct cp_pattern_v v = { .expr = expr, .len = len, .flags = flags, .literal = lit };
	int cached;
	rc = cp__hs_build(&c->popts, &v, n, &c->pser[t], &c->pser_n[t], &cached, &bad, why,
			  sizeof(why));
	if (rc != 0) {
		if (bad < n)
			snprintf(err, errlen, "%s:%llu: pattern %s refused by Hyperscan: %s",
				 c->strs + rec[bad]->file, (unsigned long long)rec[bad]->line,
				 c->strs + rec[bad]->text, why);
		else
			snprintf(err, errlen, "%u %s patterns refused: %s", n,
				 cp_ptarget_name((enum cp_ptarget)t), why);
		goto out;
	}
	c->npat[t] = n;
	c->st.patterns[t] = n;
	c->st.pattern_bytes += c->pser_n[t];
	c->st.pattern_cached += (unsigned)cached;
	c->st.pattern_compiled += (unsigned)!cached;
out:
	if (rc == -ENOMEM && err[0] == '\0')
		snprintf(err, errlen, "out of memory compiling patterns");
	free(expr);
	free(len);
	free(flags);
	free(lit);
	return rc;
}

int cp__build_patterns(struct cp_compiler *c, char *err, size_t errlen)
{
	const struct patrec *r = c->pat.p, **rec = NULL;
	int rc = 0;

	err[0] = '\0';
	if (c->pat.n == 0)
		return 0;
	if ((rec = malloc(c->pat.n * sizeof(*rec))) == NULL)
		return -ENOMEM;
	for (unsigned t = 0; t < CP_PT__COUNT && rc == 0; t++) {
		unsigned n = 0;
		for (size_t i = 0; i < c->pat.n; i++)
			if (r[i].target == t)
				rec[n++] = &r[i];
		if (n != 0)
			rc = build_target(c, t, rec, n, err, errlen);
	}
	free(rec);
	return rc;
}

int cp__add_pattern_sections(struct cp_compiler *c, struct cp_snap_writer *w)
{
	int rc = 0;

	for (unsigned t = 0; t < CP_PT__COUNT; t++) {
		if (c->pser[t] == NULL)
			continue;
		rc |= cp_snap_writer_add(w, CP_SEC_PAT_DB + t, c->pser[t], c->pser_n[t], c->npat[t],
					 0, 0);
		rc |= cp_snap_writer_add(w, CP_SEC_PAT_REF + t, c->pref[t],
					 c->npat[t] * sizeof(*c->pref[t]), c->npat[t], 0, 0);
	}
	return rc;
}

void cp__patterns_free(struct cp_compiler *c)
{
	cp__vec_free(&c->pat, sizeof(struct patrec));
	cp__vec_free(&c->pbytes, 1);
	for (unsigned t = 0; t < CP_PT__COUNT; t++) {
		free(c->pser[t]);  /* hs_serialize_database allocates with malloc */
		free(c->pref[t]);
	}
}
