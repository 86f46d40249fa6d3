/* Snapshot files (.cpsnap): one versioned, checksummed file that holds
 * everything a store needs, laid out to be used in place. Control plane.
 *
 *   0      header: magic, version, sizes, seed, section table (4 KiB)
 *   4096   section 0  (each section starts on a 4 KiB boundary)
 *   ...    section N
 *
 * Every section carries an XXH3-64 checksum; the header carries its own.
 * Loading checks all of it before anything is handed out.
 */
#ifndef CP_SNAPSHOT_H
#define CP_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

struct cp_snap;
struct cp_snap_writer;

/* Section ids. Per-type sections add the enum cp_itype to the base. */
enum {
	CP_SEC_META = 1,        /* struct cp_meta_rec[count] */
	CP_SEC_STRS = 2,        /* NUL-terminated strings; offset 0 is "" */
	CP_SEC_SETS = 3,        /* uint32_t[count]: the match sets */
	CP_SEC_FEEDS = 4,       /* struct cp_feed_rec[count] */
	CP_SEC_XTAB = 0x100,    /* exact table slots; p0 = buckets, p1 = kind */
	CP_SEC_XFILT = 0x200,   /* its first-level filter; p0 = blocks */
	CP_SEC_LPM = 0x300,     /* CIDR trie entries; p0 = groups, p1 = key bytes */
	CP_SEC_LPM_LEAF = 0x400, /* CIDR trie leaves: uint32_t refs */
	CP_SEC_R4_OFF = 0x500,  /* ipv4 CIDR ranges: uint32_t[65537] slices; count = CIDRs */
	CP_SEC_R4_START = 0x501, /* uint16_t[n] first address of each range, low half */
	CP_SEC_R4_REF = 0x502,  /* uint32_t[n] refs */
	CP_SEC_PAT_DB = 0x600,  /* + target: hs_serialize_database bytes; count = patterns */
	CP_SEC_PAT_REF = 0x610, /* + target: struct cp_pat_ref[count], by Hyperscan id */
	CP_SEC_DOM_LABELS = 0x700, /* uint64_t: bit k, a subdomain indicator of k labels
				    * (63: 63 or more); absent: any */
	CP_SEC_V4_MAP = 0x800,  /* uint64_t[1 << 18]: bit a >> 8, an exact ipv4 indicator
				 * in that /24; absent: not known */
	CP_SEC_V4_LIST = 0x801  /* uint32_t[count]: the same /24s (a >> 8), rising; in place
				 * of the map when smaller */
};

/* Per-feed summary kept for `info`. */
struct cp_feed_rec {
	uint32_t name;  /* string offset */
	uint32_t pad;
	uint64_t indicators;
};

/* Flags for cp_snap_open(). */
#define CP_SNAP_HUGE 1u  /* copy sections >= 2 MiB to huge-page memory */
/* Verify every section 32 MiB at a time and drop the pages behind, so the
 * open leaves next to nothing resident; cp_snap_prefault() brings the set
 * in when it is wanted. A reload opens its set so beside the one in
 * force, and prefaults it once the old one is freed: the peak is the old
 * set and 32 MiB, not two sets. */
#define CP_SNAP_LAZY 2u
/* Watch the file for in-place rewrites (see cp_snap_rewritten). */
#define CP_SNAP_WATCH 4u

/* Maps and verifies path. Returns NULL with errno set and a message naming the
 * file and the reason in err: ENOENT and friends from open(2), EBADMSG for a
 * corrupt or truncated file, EPROTO for a foreign file or version. */
struct cp_snap *cp_snap_open(const char *path, unsigned flags, char *err, size_t errlen);
void cp_snap_close(struct cp_snap *snap);
/* Makes every page readers use resident (page tables filled), so they take
 * no fault: the header and the sections, in the file or in their copies (a
 * copied section's file pages stay dropped). Control plane. */
void cp_snap_prefault(const struct cp_snap *snap);
/* Makes the same pages resident and locks them (mlock), so that neither the
 * kernel's reclaim nor swap can make a reader fault: an inline engine that
 * must never stall asks for it (chokepoint --mlock). Returns 0, or -ENOMEM
 * or -EPERM from mlock(2) (the RLIMIT_MEMLOCK limit, without
 * CAP_IPC_LOCK), with nothing left locked. Unlocked when closed. */
int cp_snap_lock(struct cp_snap *snap);

/* In-place rewrites. A set is its file's pages, mapped, so a writer that
 * truncates or rewrites the file where it is (cp over it, rsync --inplace,
 * truncate) pulls them from under the readers: a worker's next read of a
 * truncated page is SIGBUS, the engine stops, and the traffic with it. A
 * snapshot opened with CP_SNAP_WATCH holds a read lease on its file
 * (fcntl F_SETLEASE): such a writer's open(2) then waits, up to
 * /proc/sys/fs/lease-break-time (45 s by default), and the kernel sends
 * the process SIGIO. A rename over the path, as chokepoint-intel compile
 * writes, breaks no lease and needs none of this.
 *
 * cp_snap_watch_error(): 0 when the lease is held, else the errno it was
 * refused with (EAGAIN: the file is open for writing now; EACCES: another
 * uid's file without CAP_LEASE; EINVAL: a file system without leases),
 * ENOSYS when opened without CP_SNAP_WATCH, ENOENT after cp_snap_detach(). */
int cp_snap_watch_error(const struct cp_snap *snap);
/* 1 when a writer is waiting on the lease. Cheap (one fcntl). */
int cp_snap_rewritten(const struct cp_snap *snap);
/* Moves every page readers use into anonymous memory at the same address,
 * then lets the lease and the writer go. Copy-on-write would not do: a
 * truncation takes a private mapping's copied pages too (POSIX: SIGBUS
 * past the end of the file). Each part is copied into a fresh mapping,
 * which mremap(2) then moves over the part's range: the swap happens under
 * the address space's lock, and the bytes are the same on both sides, so
 * readers go on throughout. The set's memory becomes anonymous (locked
 * again if it was); the file's pages go with the writer's truncation.
 * Control plane. Returns 0, or -errno (ENOMEM) with the lease let go all
 * the same. */
int cp_snap_detach(struct cp_snap *snap);
/* The guard in words, for status and telemetry: "lease", "in memory"
 * (detached), or "none: REASON". Returns buf or a constant string. */
const char *cp_snap_guard(const struct cp_snap *snap, char *buf, size_t n);

/* A section's data, or NULL when absent. Out-parameters may be NULL. */
const void *cp_snap_section(const struct cp_snap *snap, uint32_t id, uint64_t *size,
			    uint64_t *count, uint64_t *p0, uint64_t *p1);
/* A section's XXH3-64, as checked when the file was opened (0: absent):
 * equal sums and sizes mean equal contents. */
uint64_t cp_snap_section_sum(const struct cp_snap *snap, uint32_t id);
uint64_t cp_snap_seed(const struct cp_snap *snap);
uint64_t cp_snap_created(const struct cp_snap *snap);
uint64_t cp_snap_file_size(const struct cp_snap *snap);

/* Writing: sections are referenced, not copied, until commit returns.
 * Commit writes a temporary file beside path and renames it over path, so
 * readers see the old file or the whole new one. */
struct cp_snap_writer *cp_snap_writer_new(uint64_t seed);
int cp_snap_writer_add(struct cp_snap_writer *w, uint32_t id, const void *data,
		       uint64_t size, uint64_t count, uint64_t p0, uint64_t p1);
int cp_snap_writer_commit(struct cp_snap_writer *w, const char *path, char *err,
			  size_t errlen);
/* Streaming, for sections larger than memory: open creates the temporary
 * file (writing any sections added so far) and from then on each add
 * writes at once. A section may also come in pieces: begin, append as
 * often as needed, then end with its count and parameters. Each returns 0
 * or -errno; commit must name the same path, and free without a commit
 * removes the temporary file. */
int cp_snap_writer_open(struct cp_snap_writer *w, const char *path, char *err, size_t errlen);
int cp_snap_writer_begin(struct cp_snap_writer *w, uint32_t id);
int cp_snap_writer_append(struct cp_snap_writer *w, const void *data, uint64_t size);
int cp_snap_writer_end(struct cp_snap_writer *w, uint64_t count, uint64_t p0, uint64_t p1);
void cp_snap_writer_free(struct cp_snap_writer *w);

/* The snapshot format version this build reads and writes. */
unsigned cp_snap_format_version(void);

#endif
