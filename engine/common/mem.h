/* Large, page-aligned allocations for tables: both planes allocate here,
 * only the control plane frees.
 * Tables of hundreds of MB are read at random; transparent huge pages cut
 * the TLB misses of each read where the kernel allows them (madvise mode).
 */
#ifndef CP_MEM_H
#define CP_MEM_H

#include <stddef.h>

/* Returns zeroed memory of at least size bytes, or NULL with errno set.
 * The caller owns it and frees it with cp_mem_free(p, size). */
void *cp_mem_alloc(size_t size);
void cp_mem_free(void *p, size_t size);
/* Grows an allocation of cp_mem_alloc() (or NULL with size 0) to size bytes,
 * keeping its contents: mremap moves pages without copying them, where
 * realloc copied gigabytes of growing tables. Returns NULL with errno set,
 * leaving p as it was. */
void *cp_mem_grow(void *p, size_t old_size, size_t size);
/* A buffer reused across calls: grows *p (*size bytes, NULL and 0 at
 * first) to at least want bytes with cp_mem_grow. Returns *p, or NULL with
 * errno set, leaving both as they were. */
void *cp_mem_reserve(void **p, size_t *size, size_t want);

/* Peak and current resident set size of this process, in bytes. */
size_t cp_mem_rss_peak(void);
size_t cp_mem_rss_now(void);

#endif
