/* Writing .cpsnap files atomically: a temporary file in the target's
 * directory, fsync, then rename(2) over the target. Control plane. */
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_internal.h"

#include <errno.h>
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
	return w;
}

int cp_snap_writer_add(struct cp_snap_writer *w, uint32_t id, const void *data,
		       uint64_t size, uint64_t count, uint64_t p0, uint64_t p1)
{
	struct cp_snap_hdr *h = &w->hdr;
	uint64_t off = CP_SNAP_HDR_SIZE;

	if (h->nsect == CP_SNAP_MAX_SECT)
		return -ENOSPC;
	if (h->nsect > 0) {
		const struct cp_snap_sect *last = &h->sect[h->nsect - 1];
		off = (last->off + last->size + CP_SNAP_ALIGN - 1) / CP_SNAP_ALIGN * CP_SNAP_ALIGN;
	}
	h->sect[h->nsect] = (struct cp_snap_sect){
		.id = id, .off = off, .size = size, .count = count, .p0 = p0, .p1 = p1,
		.cksum = XXH3_64bits(data, size),
	};
	w->data[h->nsect++] = data;
	return 0;
}

static int write_all(FILE *f, const void *p, uint64_t n)
{
	return fwrite(p, 1, n, f) == n ? 0 : -EIO;
}

static int write_body(struct cp_snap_writer *w, FILE *f)
{
	static const uint8_t zero[CP_SNAP_ALIGN];
	struct cp_snap_hdr *h = &w->hdr;
	uint64_t pos = CP_SNAP_HDR_SIZE;
	uint8_t hdr_page[CP_SNAP_HDR_SIZE] = { 0 };

	h->file_size = CP_SNAP_HDR_SIZE;
	if (h->nsect > 0)
		h->file_size = h->sect[h->nsect - 1].off + h->sect[h->nsect - 1].size;
	/* The checksum covers the whole 4 KiB page, padding included. */
	h->hdr_cksum = 0;
	memcpy(hdr_page, h, sizeof(*h));
	h->hdr_cksum = XXH3_64bits(hdr_page, sizeof(hdr_page));
	memcpy(hdr_page, h, sizeof(*h));
	if (write_all(f, hdr_page, sizeof(hdr_page)) != 0)
		return -EIO;
	for (uint32_t i = 0; i < h->nsect; i++) {
		if (write_all(f, zero, h->sect[i].off - pos) != 0 ||
		    write_all(f, w->data[i], h->sect[i].size) != 0)
			return -EIO;
		pos = h->sect[i].off + h->sect[i].size;
	}
	return fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -EIO;
}

int cp_snap_writer_commit(struct cp_snap_writer *w, const char *path, char *err,
			  size_t errlen)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	FILE *f;
	int fd, rc;

	if (tmp == NULL)
		return -ENOMEM;
	snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot create temporary file: %s", path, strerror(errno));
		free(tmp);
		return rc;
	}
	/* mkstemp() makes the file 0600; a snapshot is no secret. */
	(void)fchmod(fd, 0644);
	f = fdopen(fd, "wb");
	rc = f ? write_body(w, f) : -errno;
	if (f != NULL && fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (f == NULL)
		close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0) {
		snprintf(err, errlen, "%s: write failed: %s", path, strerror(-rc));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

void cp_snap_writer_free(struct cp_snap_writer *w)
{
	free(w);
}
