/* Writing .cpsnap files atomically: a temporary file in the target's
 * directory, fsync, then rename(2) over the target. Control plane.
 *
 * Sections are written in the order they come. Until the file is opened
 * they are only referenced; once it is (cp_snap_writer_open, or commit)
 * each is written as it is added, and a section may also be streamed in
 * pieces (begin, append..., end), checksummed on the way: a 1 B-indicator
 * set has ~17 GB of tables, more than fits beside the compiler's state. The
 * header goes to offset 0 last, so a file cut short never passes for whole. */
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_internal.h"
#include "common/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

struct cp_snap_writer {
	struct cp_snap_hdr hdr;
	const void *data[CP_SNAP_MAX_SECT];
	uint32_t written;         /* sections [0, written) are in the file */
	int fd;                   /* -1: not open */
	int open_sect;            /* a section being streamed */
	uint64_t pos;             /* the file's end */
	char *tmp, *path;
	XXH3_state_t *xs;
};

struct cp_snap_writer *cp_snap_writer_new(uint64_t seed)
{
	struct cp_snap_writer *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	memcpy(w->hdr.magic, CP_SNAP_MAGIC, 8);
	w->hdr.version = CP_SNAP_VERSION;
	w->hdr.hdr_size = CP_SNAP_HDR_SIZE;
	w->hdr.seed = seed;
	w->hdr.created = (uint64_t)time(NULL);
	w->fd = -1;
	return w;
}

/* Zeros up to off, where the next section starts. */
static int pad_to(struct cp_snap_writer *w, uint64_t off)
{
	static const uint8_t zero[CP_SNAP_ALIGN];
	int rc = cp_write_all(w->fd, zero, off - w->pos, -1);

	w->pos = off;
	return rc;
}

int cp_snap_writer_open(struct cp_snap_writer *w, const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);

	if (w->fd >= 0)
		return 0;
	w->tmp = malloc(n + 16);
	w->path = strdup(path);
	if (w->tmp == NULL || w->path == NULL)
		return -ENOMEM;
	snprintf(w->tmp, n + 16, "%s.tmp.XXXXXX", path);
	w->fd = mkstemp(w->tmp);
	if (w->fd < 0) {
		int rc = -errno;
		snprintf(err, errlen, "%s: cannot create temporary file: %s", path, strerror(errno));
		free(w->tmp);
		w->tmp = NULL;
		return rc;
	}
	/* mkstemp() makes the file 0600; a snapshot is no secret. */
	(void)fchmod(w->fd, 0644);
	w->pos = 0;
	int rc = pad_to(w, CP_SNAP_HDR_SIZE);
	/* Sections added before the file was open are written now. */
	for (; rc == 0 && w->written < w->hdr.nsect; w->written++) {
		const struct cp_snap_sect *s = &w->hdr.sect[w->written];
		if ((rc = pad_to(w, s->off)) == 0)
			rc = cp_write_all(w->fd, w->data[w->written], s->size, -1);
		w->pos = s->off + s->size;
	}
	if (rc != 0)
		snprintf(err, errlen, "%s: write failed: %s", path, strerror(-rc));
	return rc;
}

static uint64_t next_off(const struct cp_snap_writer *w)
{
	const struct cp_snap_hdr *h = &w->hdr;

	if (h->nsect == 0)
		return CP_SNAP_HDR_SIZE;
	const struct cp_snap_sect *last = &h->sect[h->nsect - 1];
	return (last->off + last->size + CP_SNAP_ALIGN - 1) / CP_SNAP_ALIGN * CP_SNAP_ALIGN;
}

int cp_snap_writer_begin(struct cp_snap_writer *w, uint32_t id)
{
	struct cp_snap_hdr *h = &w->hdr;
	int rc;

	if (w->fd < 0 || w->open_sect || h->nsect == CP_SNAP_MAX_SECT)
		return w->fd < 0 || w->open_sect ? -EINVAL : -ENOSPC;
	if (w->xs == NULL && (w->xs = XXH3_createState()) == NULL)
		return -ENOMEM;
	h->sect[h->nsect] = (struct cp_snap_sect){ .id = id, .off = next_off(w) };
	if ((rc = pad_to(w, h->sect[h->nsect].off)) != 0)
		return rc;
	XXH3_64bits_reset(w->xs);
	w->open_sect = 1;
	return 0;
}

int cp_snap_writer_append(struct cp_snap_writer *w, const void *data, uint64_t size)
{
	struct cp_snap_sect *s = &w->hdr.sect[w->hdr.nsect];

	if (!w->open_sect)
		return -EINVAL;
	if (size == 0)
		return 0;
	XXH3_64bits_update(w->xs, data, size);
	s->size += size;
	w->pos += size;
	return cp_write_all(w->fd, data, size, -1);
}

int cp_snap_writer_end(struct cp_snap_writer *w, uint64_t count, uint64_t p0, uint64_t p1)
{
	struct cp_snap_sect *s = &w->hdr.sect[w->hdr.nsect];

	if (!w->open_sect)
		return -EINVAL;
	s->cksum = XXH3_64bits_digest(w->xs);
	s->count = count;
	s->p0 = p0;
	s->p1 = p1;
	w->data[w->hdr.nsect] = NULL;
	w->open_sect = 0;
	w->written = ++w->hdr.nsect;
	return 0;
}

int cp_snap_writer_add(struct cp_snap_writer *w, uint32_t id, const void *data,
		       uint64_t size, uint64_t count, uint64_t p0, uint64_t p1)
{
	struct cp_snap_hdr *h = &w->hdr;
	int rc;

	if (w->fd >= 0) {
		if ((rc = cp_snap_writer_begin(w, id)) != 0 ||
		    (rc = cp_snap_writer_append(w, data, size)) != 0)
			return rc;
		return cp_snap_writer_end(w, count, p0, p1);
	}
	if (h->nsect == CP_SNAP_MAX_SECT)
		return -ENOSPC;
	h->sect[h->nsect] = (struct cp_snap_sect){
		.id = id, .off = next_off(w), .size = size, .count = count, .p0 = p0, .p1 = p1,
		.cksum = XXH3_64bits(data, size),
	};
	w->data[h->nsect++] = data;
	return 0;
}

/* The header, last: its checksum covers the whole 4 KiB page, padding
 * included. */
static int write_header(struct cp_snap_writer *w)
{
	struct cp_snap_hdr *h = &w->hdr;
	uint8_t page[CP_SNAP_HDR_SIZE] = { 0 };

	h->file_size = CP_SNAP_HDR_SIZE;
	if (h->nsect > 0)
		h->file_size = h->sect[h->nsect - 1].off + h->sect[h->nsect - 1].size;
	h->hdr_cksum = 0;
	memcpy(page, h, sizeof(*h));
	h->hdr_cksum = XXH3_64bits(page, sizeof(page));
	memcpy(page, h, sizeof(*h));
	int rc = cp_write_all(w->fd, page, sizeof(page), 0);

	return rc != 0 ? rc : fsync(w->fd) == 0 ? 0 : -errno;
}

int cp_snap_writer_commit(struct cp_snap_writer *w, const char *path, char *err,
			  size_t errlen)
{
	int rc;

	if (w->path != NULL && strcmp(w->path, path) != 0)
		return -EINVAL;
	if ((rc = cp_snap_writer_open(w, path, err, errlen)) != 0)
		return rc;
	if (w->open_sect)
		rc = -EINVAL;
	if (rc == 0)
		rc = write_header(w);
	if (close(w->fd) != 0 && rc == 0)
		rc = -errno;
	w->fd = -1;
	if (rc == 0 && rename(w->tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		snprintf(err, errlen, "%s: write failed: %s", path, strerror(-rc));
		unlink(w->tmp);
	}
	free(w->tmp);
	w->tmp = NULL;
	return rc;
}

void cp_snap_writer_free(struct cp_snap_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0) {
		/* Never committed: the partial file goes. */
		close(w->fd);
		unlink(w->tmp);
	}
	free(w->tmp);
	free(w->path);
	XXH3_freeState(w->xs);
	free(w);
}
