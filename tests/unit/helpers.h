/* Helpers shared by the unit tests (header-only: each test is one binary). */
#ifndef CP_TEST_HELPERS_H
#define CP_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compile.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

/* xorshift64*: deterministic per seed. */
static inline uint64_t t_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* A fresh path under /tmp; the caller unlinks it. */
static inline void t_tmpname(char *buf, size_t n, const char *tag)
{
	static unsigned seq;
	snprintf(buf, n, "/tmp/cp-test-%d-%u-%s", (int)getpid(), seq++, tag);
}

static inline void t_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "cannot create %s", path);
	fwrite(text, 1, strlen(text), f);
	fclose(f);
}

static inline void *t_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	void *p = malloc(*n + 1);
	cr_assert_eq(fread(p, 1, *n, f), *n);
	((char *)p)[*n] = '\0';
	fclose(f);
	return p;
}

struct t_store {
	struct cp_snap *snap;
	struct cp_store *store;
	char path[128];
};

/* Writes the compiler's snapshot and opens a store over it. */
static inline void t_open(struct cp_compiler *c, struct t_store *t, struct cp_compile_stats *st)
{
	char err[512];

	t_tmpname(t->path, sizeof(t->path), "snap");
	cr_assert_eq(cp_compiler_write(c, t->path, st, err, sizeof(err)), 0, "%s", err);
	t->snap = cp_snap_open(t->path, 0, err, sizeof(err));
	cr_assert_not_null(t->snap, "%s", err);
	t->store = cp_store_open(t->snap);
	cr_assert_not_null(t->store);
}

static inline void t_close(struct t_store *t)
{
	cp_store_close(t->store);
	cp_snap_close(t->snap);
	unlink(t->path);
}

static inline uint32_t t_meta(struct cp_compiler *c, enum cp_action a, const char *feed)
{
	struct cp_meta_in m = { .action = a, .confidence = -1, .feed = feed };
	uint32_t id;

	cr_assert_eq(cp_compiler_meta(c, &m, &id), 0);
	return id;
}

static inline void t_add(struct cp_compiler *c, enum cp_itype t, const char *v, uint32_t meta)
{
	struct cp_ind ind;
	const char *why;

	cr_assert_eq(cp_norm(t, v, strlen(v), &ind, &why), 0, "%s: %s", v, why);
	cr_assert_geq(cp_compiler_add(c, &ind, meta), 0);
}

#endif
