/* In-place rewrites of a snapshot file in use (see snapshot.h): a read
 * lease makes the writer wait, and the set is moved into private memory
 * before it may go on. Control plane. */
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void cp__snap_watch(struct cp_snap *snap, int fd)
{
	if (fcntl(fd, F_SETLEASE, F_RDLCK) != 0) {
		snap->watch_err = errno;
		return;
	}
	snap->watch_fd = fd;
}

void cp__snap_unwatch(struct cp_snap *snap)
{
	if (snap->watch_fd < 0)
		return;
	fcntl(snap->watch_fd, F_SETLEASE, F_UNLCK);
	close(snap->watch_fd);
	snap->watch_fd = -1;
}

int cp_snap_watch_error(const struct cp_snap *snap)
{
	return snap->detached ? ENOENT : snap->watch_fd >= 0 ? 0 : snap->watch_err;
}

int cp_snap_rewritten(const struct cp_snap *snap)
{
	/* While a break is pending, F_GETLEASE answers the type the lease is
	 * being broken to (F_UNLCK for a writer), not the one held. */
	return snap->watch_fd >= 0 && fcntl(snap->watch_fd, F_GETLEASE) != F_RDLCK;
}

/* Moves [p, p + n) (page-aligned) into anonymous memory at the same
 * address: copied into a fresh mapping, which mremap then moves over the
 * range, under the address space's lock. */
static int move_part(const struct cp_snap *snap, const void *p, size_t n)
{
	size_t len = (n + 4095) & ~(size_t)4095;
	void *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED)
		return -errno;
	memcpy(a, p, n);
	/* Locked before the move, so the lock moves with the pages. */
	if (mprotect(a, len, PROT_READ) != 0 || (snap->locked && mlock(a, len) != 0) ||
	    mremap(a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)p) == MAP_FAILED) {
		int e = errno;
		munmap(a, len);
		return -e;
	}
	return 0;
}

/* The header and the sections still in the map: a copied section is
 * anonymous already, and touching its dropped file pages would fault
 * them back in. Padding and those pages stay file-backed; no reader
 * goes there. */
int cp_snap_detach(struct cp_snap *snap)
{
	int rc = move_part(snap, snap->map, CP_SNAP_HDR_SIZE);

	for (uint32_t i = 0; rc == 0 && i < snap->hdr->nsect; i++)
		if (snap->copy_size[i] == 0 && snap->hdr->sect[i].size != 0)
			rc = move_part(snap, snap->data[i], snap->hdr->sect[i].size);
	snap->detached = rc == 0;
	cp__snap_unwatch(snap);
	return rc;
}

const char *cp_snap_guard(const struct cp_snap *snap, char *buf, size_t n)
{
	int e = cp_snap_watch_error(snap);

	if (e == 0 || e == ENOENT)
		return e == 0 ? "lease" : "in memory";
	snprintf(buf, n, "none: %s", strerror(e));
	return buf;
}
