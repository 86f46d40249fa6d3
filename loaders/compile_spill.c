/* Spilling records to disk, for sets larger than memory. Control plane.
 *
 * A billion indicators are 16 GB of records before a table is built, more
 * than fits beside the tables on a 24 GiB machine. Past the compiler's
 * budget each loader thread's exact records go to a file of its own,
 * split by the top 6 bits of their keyed hash into 64 ranges. Tables are
 * sorted by that hash, so each range is sorted, merged and laid out on its
 * own, in order (compile_build.c), with ~1/64 of the records in memory.
 *
 * Records are buffered per range and written 256 KiB at a time; a range
 * is the list of its chunks, in the order pushed, so the tables come out
 * byte for byte as an in-memory compile makes them. The files are
 * O_TMPFILE: they vanish with the process, however it ends. */
#include "compile_internal.h"
#include "common/io.h"
#include "common/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK_RECS 16384u   /* 256 KiB */

struct chunk {
	uint64_t off;
	uint32_t n;
	int fd;
};

struct range {
	struct chunk *c;
	size_t n, cap;
	uint64_t recs;            /* in chunks and buffer */
	uint32_t buffered;
};

struct cp_spill {
	uint64_t seed;
	int fd;                   /* this sink's file */
	uint64_t end;
	int *fds;                 /* files of merged sinks, closed at free */
	size_t nfds;
	struct range r[CP_T__COUNT][CP_SPILL_PARTS];
	struct cp_xrec *buf[CP_T__COUNT];  /* CP_SPILL_PARTS * CHUNK_RECS, lazily */
};

static int open_tmp(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
		return fd;
	/* A file system without O_TMPFILE: a named file, unlinked at once. */
	size_t n = strlen(dir) + 32;
	char *p = malloc(n);
	if (p == NULL)
		return -1;
	snprintf(p, n, "%s/.cpspill.XXXXXX", dir);
	fd = mkostemp(p, O_CLOEXEC);
	if (fd >= 0)
		unlink(p);
	free(p);
	return fd;
}

/* Which hash range a record belongs to. IPv4 records hold the address;
 * their table is keyed by its seeded permutation. */
static unsigned part_of(const struct cp_spill *s, enum cp_itype t, const struct cp_xrec *r)
{
	if (t == CP_T_IPV4)
		return cp_perm32(s->seed, (uint32_t)r->a) >> (32 - CP_SPILL_BITS);
	return (unsigned)(r->a >> (64 - CP_SPILL_BITS));
}

static int add_chunk(struct range *g, struct chunk ch)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct chunk *p = realloc(g->c, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		g->c = p;
		g->cap = cap;
	}
	g->c[g->n++] = ch;
	return 0;
}

/* Writes range p's buffered records as one chunk. */
static int flush_range(struct cp_spill *s, enum cp_itype t, unsigned p)
{
	struct range *g = &s->r[t][p];
	size_t bytes = (size_t)g->buffered * sizeof(struct cp_xrec);
	int rc;

	if (g->buffered == 0)
		return 0;
	if ((rc = cp_write_all(s->fd, s->buf[t] + (size_t)p * CHUNK_RECS, bytes,
			       (int64_t)s->end)) != 0 ||
	    (rc = add_chunk(g, (struct chunk){ .off = s->end, .n = g->buffered, .fd = s->fd })) != 0)
		return rc;
	s->end += bytes;
	g->buffered = 0;
	return 0;
}

int cp__spill_push(struct cp_spill *s, enum cp_itype t, const struct cp_xrec *r)
{
	unsigned p = part_of(s, t, r);
	struct range *g = &s->r[t][p];

	if (s->buf[t] == NULL &&
	    (s->buf[t] = cp_mem_alloc((size_t)CP_SPILL_PARTS * CHUNK_RECS * sizeof(*r))) == NULL)
		return -ENOMEM;
	s->buf[t][(size_t)p * CHUNK_RECS + g->buffered++] = *r;
	g->recs++;
	return g->buffered == CHUNK_RECS ? flush_range(s, t, p) : 0;
}

/* Moves the exact records of x (IPv6 is kept apart; IPv4 CIDRs stay) into
 * s, in order. */
static int move_records(struct cp_spill *s, struct vec *x)
{
	for (unsigned t = 0; t < CP_T__COUNT; t++) {
		struct cp_xrec *r = x[t].p;
		size_t keep = 0;

		for (size_t i = 0; i < x[t].n; i++) {
			int rc;
			if (t == CP_T_IPV4 && r[i].b < 32)
				r[keep++] = r[i];
			else if ((rc = cp__spill_push(s, (enum cp_itype)t, &r[i])) != 0)
				return rc;
		}
		if (keep == 0)
			cp__vec_free(&x[t], sizeof(*r));
		else
			x[t].n = keep;
	}
	return 0;
}

int cp__spill_start(const char *dir, uint64_t seed, struct cp_spill **sp, struct vec *x)
{
	struct cp_spill *s = *sp;

	if (s == NULL) {
		const char *tmp = getenv("TMPDIR");
		int rc;

		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -ENOMEM;
		s->seed = seed;
		s->fd = open_tmp(dir != NULL ? dir : tmp != NULL && *tmp ? tmp : "/tmp");
		if (s->fd < 0) {
			rc = -errno;
			free(s);
			return rc;
		}
		*sp = s;
	}
	return move_records(s, x);
}

int cp__spill_flush(struct cp_spill *s)
{
	for (unsigned t = 0; t < CP_T__COUNT; t++) {
		for (unsigned p = 0; s->buf[t] != NULL && p < CP_SPILL_PARTS; p++) {
			int rc = flush_range(s, (enum cp_itype)t, p);
			if (rc != 0)
				return rc;
		}
		cp_mem_free(s->buf[t], (size_t)CP_SPILL_PARTS * CHUNK_RECS * sizeof(struct cp_xrec));
		s->buf[t] = NULL;
	}
	return 0;
}

int cp__spill_merge(struct cp_spill *dst, struct cp_spill *src)
{
	int rc;
	int *fds = realloc(dst->fds, (dst->nfds + src->nfds + 1) * sizeof(int));

	if (fds == NULL)
		return -ENOMEM;
	dst->fds = fds;
	if ((rc = cp__spill_flush(dst)) != 0 || (rc = cp__spill_flush(src)) != 0)
		return rc;
	for (unsigned t = 0; t < CP_T__COUNT; t++) {
		for (unsigned p = 0; p < CP_SPILL_PARTS; p++) {
			struct range *g = &src->r[t][p];
			for (size_t i = 0; i < g->n; i++)
				if ((rc = add_chunk(&dst->r[t][p], g->c[i])) != 0)
					return rc;
			dst->r[t][p].recs += g->recs;
		}
	}
	/* dst now owns src's files. */
	memcpy(dst->fds + dst->nfds, src->fds, src->nfds * sizeof(int));
	dst->nfds += src->nfds;
	dst->fds[dst->nfds++] = src->fd;
	src->fd = -1;
	src->nfds = 0;
	cp__spill_free(src);
	return 0;
}

uint64_t cp__spill_count(const struct cp_spill *s, enum cp_itype t, unsigned part)
{
	return s == NULL ? 0 : s->r[t][part].recs;
}

void cp__spill_drop(struct cp_spill *s, enum cp_itype t, unsigned part)
{
	const struct range *g = &s->r[t][part];

	for (size_t i = 0; i < g->n; i++)
		(void)posix_fadvise(g->c[i].fd, (off_t)g->c[i].off,
				    (off_t)g->c[i].n * (off_t)sizeof(struct cp_xrec), POSIX_FADV_DONTNEED);
}

int cp__spill_read(struct cp_spill *s, enum cp_itype t, unsigned part, struct cp_xrec *r)
{
	const struct range *g = &s->r[t][part];
	size_t at = 0;

	if (g->buffered != 0)
		return -EINVAL;  /* flush first */
	for (size_t i = 0; i < g->n; i++) {
		int rc = cp_read_all(g->c[i].fd, r + at, (size_t)g->c[i].n * sizeof(*r), (int64_t)g->c[i].off);
		if (rc != 0)
			return rc;
		at += g->c[i].n;
	}
	return 0;
}

void cp__spill_free(struct cp_spill *s)
{
	if (s == NULL)
		return;
	for (unsigned t = 0; t < CP_T__COUNT; t++) {
		for (unsigned p = 0; p < CP_SPILL_PARTS; p++)
			free(s->r[t][p].c);
		cp_mem_free(s->buf[t], (size_t)CP_SPILL_PARTS * CHUNK_RECS * sizeof(struct cp_xrec));
	}
	for (size_t i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	if (s->fd >= 0)
		close(s->fd);
	free(s->fds);
	free(s);
}
