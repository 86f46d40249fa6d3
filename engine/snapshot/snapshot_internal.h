/* On-disk layout of .cpsnap files, shared by the writer and the loader.
 * Little-endian, as the x86-64 hosts it is built for. */
#ifndef CP_SNAPSHOT_INTERNAL_H
#define CP_SNAPSHOT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define CP_SNAP_MAGIC "CPSNAP\r\n"   /* \r\n catches text-mode mangling */
/* 2: k96 buckets are one line (4 slots), windows of two lines; ipv4 CIDRs
 * as a range table. */
#define CP_SNAP_VERSION 2
#define CP_SNAP_HDR_SIZE 4096
#define CP_SNAP_ALIGN 4096
#define CP_SNAP_MAX_SECT 64

struct cp_snap_sect {
	uint32_t id;
	uint32_t flags;
	uint64_t off;
	uint64_t size;
	uint64_t cksum;  /* XXH3-64 of the section's bytes */
	uint64_t count;
	uint64_t p0;
	uint64_t p1;
};

struct cp_snap_hdr {
	char magic[8];
	uint32_t version;
	uint32_t hdr_size;
	uint64_t file_size;
	uint64_t created;
	uint64_t seed;
	uint32_t nsect;
	uint32_t flags;
	uint64_t hdr_cksum;  /* XXH3-64 of the whole 4 KiB page, this field 0 */
	uint64_t reserved[2];
	struct cp_snap_sect sect[CP_SNAP_MAX_SECT];
};

_Static_assert(sizeof(struct cp_snap_hdr) <= CP_SNAP_HDR_SIZE, "header too big");

/* An open snapshot (snapshot_load.c; in-place rewrites: snapshot_watch.c). */
struct cp_snap {
	const uint8_t *map;
	size_t map_size;
	const struct cp_snap_hdr *hdr;
	const void *data[CP_SNAP_MAX_SECT];  /* in the map, or a huge-page copy */
	size_t copy_size[CP_SNAP_MAX_SECT];  /* non-zero: data[i] is a copy */
	int watch_fd;                        /* holds the read lease; -1: none */
	int watch_err;                       /* why there is none (errno; ENOSYS: not asked) */
	int detached;                        /* every page readers use is anonymous memory */
	int locked;                          /* cp_snap_lock() holds it */
};

/* Takes a read lease on fd (kept open in watch_fd), or notes why not. */
void cp__snap_watch(struct cp_snap *snap, int fd);
/* Lets the lease go and closes its fd. */
void cp__snap_unwatch(struct cp_snap *snap);

#endif
