/* Loading and verifying .cpsnap files. Control plane.
 * Nothing is handed out until the header, every size and every checksum
 * have been checked: a truncated, corrupt or foreign file is refused whole. */
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_internal.h"
#include "common/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static void *refuse(char *err, size_t errlen, int e, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: ", path);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	errno = e;
	return NULL;
}

static uint64_t hdr_cksum(const struct cp_snap_hdr *h)
{
	uint8_t page[CP_SNAP_HDR_SIZE];

	memcpy(page, h, sizeof(page));
	((struct cp_snap_hdr *)page)->hdr_cksum = 0;
	return XXH3_64bits(page, sizeof(page));
}

/* Returns NULL when the header is sound, else a static reason. */
static const char *check_header(const struct cp_snap_hdr *h, size_t fsize, char *buf,
				size_t blen)
{
	if (h->hdr_size != CP_SNAP_HDR_SIZE)
		return "bad header size";
	if (h->file_size != fsize) {
		snprintf(buf, blen, "truncated or extended: header says %llu bytes, file has %zu",
			 (unsigned long long)h->file_size, fsize);
		return buf;
	}
	if (hdr_cksum(h) != h->hdr_cksum)
		return "header checksum mismatch";
	if (h->nsect > CP_SNAP_MAX_SECT)
		return "too many sections";
	uint64_t end = CP_SNAP_HDR_SIZE;
	for (uint32_t i = 0; i < h->nsect; i++) {
		const struct cp_snap_sect *s = &h->sect[i];

		if (s->off % CP_SNAP_ALIGN != 0 || s->off < end || s->size > fsize ||
		    s->off > fsize - s->size) {
			snprintf(buf, blen, "section %u (id 0x%x) out of bounds", i, s->id);
			return buf;
		}
		for (uint32_t j = 0; j < i; j++)
			if (h->sect[j].id == s->id)
				return "duplicate section";
		end = s->off + s->size;
	}
	return NULL;
}

/* Copies section i to memory advised for huge pages while checking its
 * checksum, 32 MiB at a time, dropping the file's pages behind: a reload
 * then holds the old set, the new one and 32 MiB, not a whole section of
 * file pages besides (10 M indicators: peak 2.18x the steady RSS -> ~1x +
 * the new set). Returns 0, -ENOMEM, or -EBADMSG (nothing kept). */
#define COPY_CHUNK (32u << 20)

static int copy_huge(struct cp_snap *snap, uint32_t i)
{
	const struct cp_snap_sect *s = &snap->hdr->sect[i];
	uint8_t *p = cp_mem_alloc(s->size);
	XXH3_state_t *st = XXH3_createState();
	const uint8_t *src = snap->map + s->off;

	if (p == NULL || st == NULL || XXH3_64bits_reset(st) != XXH_OK) {
		cp_mem_free(p, s->size);
		XXH3_freeState(st);
		return -ENOMEM;
	}
	for (uint64_t off = 0; off < s->size; off += COPY_CHUNK) {
		size_t n = s->size - off < COPY_CHUNK ? (size_t)(s->size - off) : COPY_CHUNK;
		memcpy(p + off, src + off, n);
		XXH3_64bits_update(st, src + off, n);
		/* Whole pages only: the section starts page-aligned. */
		size_t drop = off + n == s->size ? n : n & ~(size_t)4095;
		madvise((void *)(src + off), drop, MADV_DONTNEED);
	}
	int ok = XXH3_64bits_digest(st) == s->cksum;
	XXH3_freeState(st);
	if (!ok) {
		cp_mem_free(p, s->size);
		return -EBADMSG;
	}
	snap->data[i] = p;
	snap->copy_size[i] = s->size;
	return 0;
}

/* Checksums section i 32 MiB at a time, dropping the pages behind. */
static int check_lazy(const struct cp_snap *snap, uint32_t i)
{
	const struct cp_snap_sect *s = &snap->hdr->sect[i];
	const uint8_t *src = snap->map + s->off;
	XXH3_state_t *st = XXH3_createState();

	if (st == NULL || XXH3_64bits_reset(st) != XXH_OK) {
		XXH3_freeState(st);
		return -ENOMEM;
	}
	for (uint64_t off = 0; off < s->size; off += COPY_CHUNK) {
		size_t n = s->size - off < COPY_CHUNK ? (size_t)(s->size - off) : COPY_CHUNK;
		XXH3_64bits_update(st, src + off, n);
		size_t drop = off + n == s->size ? n : n & ~(size_t)4095;
		madvise((void *)(src + off), drop, MADV_DONTNEED);
	}
	int ok = XXH3_64bits_digest(st) == s->cksum;
	XXH3_freeState(st);
	return ok ? 0 : -EBADMSG;
}

static void populate(const void *p, size_t n)
{
	volatile uint8_t sink = 0;

	if (madvise((void *)((uintptr_t)p & ~(uintptr_t)4095), n + ((uintptr_t)p & 4095),
		    MADV_POPULATE_READ) == 0)
		return;
	/* Kernels before 5.14: one read a page. */
	for (size_t off = 0; off < n; off += 4096)
		sink ^= ((const uint8_t *)p)[off];
	(void)sink;
}

/* Applies f to the header and to every section where readers find it: the
 * file's pages, or the copy. A copied section's file pages are left alone:
 * they were dropped after the copy, and touching them would fault them
 * back in (the set's memory twice). Stops at the first non-zero result. */
static int each_part(const struct cp_snap *snap, int (*f)(const void *p, size_t n))
{
	const struct cp_snap_hdr *h = snap->hdr;
	int rc = f(snap->map, CP_SNAP_HDR_SIZE);

	for (uint32_t i = 0; rc == 0 && i < h->nsect; i++) {
		size_t n = snap->copy_size[i] != 0 ? snap->copy_size[i] : h->sect[i].size;
		if (n != 0)
			rc = f(snap->data[i], n);
	}
	return rc;
}

static int populate_part(const void *p, size_t n)
{
	populate(p, n);
	return 0;
}

void cp_snap_prefault(const struct cp_snap *snap)
{
	each_part(snap, populate_part);
}

static void unlock_all(const struct cp_snap *snap)
{
	munlock(snap->map, snap->map_size);
	for (uint32_t i = 0; i < CP_SNAP_MAX_SECT; i++)
		if (snap->copy_size[i] != 0)
			munlock(snap->data[i], snap->copy_size[i]);
}

static int lock_part(const void *p, size_t n)
{
	return mlock(p, n) == 0 ? 0 : -errno;
}

int cp_snap_lock(struct cp_snap *snap)
{
	int rc = each_part(snap, lock_part);

	if (rc != 0)
		unlock_all(snap);
	snap->locked = rc == 0;
	return rc;
}

static struct cp_snap *verify(struct cp_snap *snap, const char *path, unsigned flags,
			      char *err, size_t errlen)
{
	const struct cp_snap_hdr *h = snap->hdr;
	char buf[160];
	const char *why;

	if (memcmp(h->magic, CP_SNAP_MAGIC, 8) != 0)
		return refuse(err, errlen, EPROTO, path, "not a chokepoint snapshot (bad magic)");
	if (h->version != CP_SNAP_VERSION)
		return refuse(err, errlen, EPROTO, path,
			      "snapshot format version %u, this build reads version %u",
			      h->version, CP_SNAP_VERSION);
	why = check_header(h, snap->map_size, buf, sizeof(buf));
	if (why != NULL)
		return refuse(err, errlen, EBADMSG, path, "%s", why);
	for (uint32_t i = 0; i < h->nsect; i++) {
		const struct cp_snap_sect *s = &h->sect[i];
		int copy = (flags & CP_SNAP_HUGE) && s->size >= (2u << 20);
		int rc = copy ? copy_huge(snap, i) : (flags & CP_SNAP_LAZY) ? check_lazy(snap, i) : 0;

		if (rc == -ENOMEM)
			return refuse(err, errlen, ENOMEM, path, "out of memory checking section %u", i);
		if (rc != 0 || (!copy && !(flags & CP_SNAP_LAZY) &&
				XXH3_64bits(snap->map + s->off, s->size) != s->cksum))
			return refuse(err, errlen, EBADMSG, path,
				      "checksum mismatch in section %u (id 0x%x)", i, s->id);
		/* Padding up to the next section (or the end) must be zero: any
		 * flipped byte in the file is noticed, not only those in data. */
		uint64_t pad_end = i + 1 < h->nsect ? h->sect[i + 1].off : snap->map_size;
		for (uint64_t p = s->off + s->size; p < pad_end; p++)
			if (snap->map[p] != 0)
				return refuse(err, errlen, EBADMSG, path,
					      "non-zero padding after section %u", i);
		if (!copy)
			snap->data[i] = snap->map + s->off;
	}
	return snap;
}

struct cp_snap *cp_snap_open(const char *path, unsigned flags, char *err, size_t errlen)
{
	struct cp_snap *snap;
	struct stat st;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return refuse(err, errlen, errno, path, "%s", strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return refuse(err, errlen, EINVAL, path, "not a regular file");
	}
	if ((size_t)st.st_size < CP_SNAP_HDR_SIZE) {
		close(fd);
		return refuse(err, errlen, EBADMSG, path, "truncated: %lld bytes is smaller than the header",
			      (long long)st.st_size);
	}
	snap = calloc(1, sizeof(*snap));
	if (snap == NULL) {
		close(fd);
		return refuse(err, errlen, ENOMEM, path, "out of memory");
	}
	snap->map_size = (size_t)st.st_size;
	/* Before the map: a rewrite that starts while the set is checked
	 * waits on the lease too. */
	snap->watch_fd = -1;
	snap->watch_err = ENOSYS;  /* not asked */
	if (flags & CP_SNAP_WATCH)
		cp__snap_watch(snap, fd);
	/* LAZY checks a chunk at a time: populating all of it up front would
	 * make the whole file resident at once. */
	snap->map = mmap(NULL, snap->map_size, PROT_READ,
			 MAP_PRIVATE | ((flags & CP_SNAP_LAZY) ? 0 : MAP_POPULATE), fd, 0);
	e = errno;
	if (snap->watch_fd != fd)
		close(fd);
	if (snap->map == MAP_FAILED) {
		cp__snap_unwatch(snap);
		free(snap);
		return refuse(err, errlen, e, path, "mmap: %s", strerror(e));
	}
	snap->hdr = (const struct cp_snap_hdr *)snap->map;
	if (verify(snap, path, flags, err, errlen) == NULL) {
		e = errno;
		cp_snap_close(snap);
		errno = e;
		return NULL;
	}
	return snap;
}

void cp_snap_close(struct cp_snap *snap)
{
	if (snap == NULL)
		return;
	for (uint32_t i = 0; i < CP_SNAP_MAX_SECT; i++)
		if (snap->copy_size[i] != 0)
			cp_mem_free((void *)snap->data[i], snap->copy_size[i]);
	munmap((void *)snap->map, snap->map_size);
	cp__snap_unwatch(snap);
	free(snap);
}

const void *cp_snap_section(const struct cp_snap *snap, uint32_t id, uint64_t *size,
			    uint64_t *count, uint64_t *p0, uint64_t *p1)
{
	const struct cp_snap_hdr *h = snap->hdr;

	for (uint32_t i = 0; i < h->nsect; i++) {
		const struct cp_snap_sect *s = &h->sect[i];

		if (s->id != id)
			continue;
		if (size)
			*size = s->size;
		if (count)
			*count = s->count;
		if (p0)
			*p0 = s->p0;
		if (p1)
			*p1 = s->p1;
		return snap->data[i];
	}
	return NULL;
}

uint64_t cp_snap_section_sum(const struct cp_snap *snap, uint32_t id)
{
	for (uint32_t i = 0; i < snap->hdr->nsect; i++)
		if (snap->hdr->sect[i].id == id)
			return snap->hdr->sect[i].cksum;
	return 0;
}

uint64_t cp_snap_seed(const struct cp_snap *snap)
{
	return snap->hdr->seed;
}

uint64_t cp_snap_created(const struct cp_snap *snap)
{
	return snap->hdr->created;
}

uint64_t cp_snap_file_size(const struct cp_snap *snap)
{
	return snap->map_size;
}

unsigned cp_snap_format_version(void)
{
	return CP_SNAP_VERSION;
}
