/* Common definitions shared by every module: both planes.
 *
 * Error convention (the README repeats it):
 *   - constructors return a pointer, or NULL with errno set;
 *   - int functions return 0 or -errno;
 *   - burst functions return a count.
 */
#ifndef CP_H
#define CP_H

#include <stddef.h>
#include <stdint.h>

/* The engine's version, reported by chokepoint-ctl version. */
#define CP_VERSION "0.4.0"

#define CP_CACHE_LINE 64

#define cp_likely(x)   __builtin_expect(!!(x), 1)
#define cp_unlikely(x) __builtin_expect(!!(x), 0)
/* prefetcht0: the line is read right after. An asm statement, as DPDK's
 * rte_prefetch0 is, because GCC 12 drops __builtin_prefetch from loops it
 * distributes: the bucket prefetches of the exact tables vanished from the
 * binary and hits cost ~100 ns instead of ~10. */
#if defined(__x86_64__)
static inline void cp_prefetch(const volatile void *p)
{
	__asm__ volatile("prefetcht0 %[p]" : : [p] "m"(*(const volatile char *)p));
}
#else
#define cp_prefetch(p) __builtin_prefetch((const void *)(p), 0, 3)
#endif
/* prefetcht1: into L2, for a line read a while after. A prefetch into L1
 * holds one of the core's few L1 miss buffers until its line arrives; into
 * L2 it does not, so more of them can be in flight (see xtab.c). */
#if defined(__x86_64__)
static inline void cp_prefetch_l2(const volatile void *p)
{
	__asm__ volatile("prefetcht1 %[p]" : : [p] "m"(*(const volatile char *)p));
}
#else
#define cp_prefetch_l2(p) __builtin_prefetch((const void *)(p), 0, 2)
#endif
/* A hot loop GCC should vectorise at -O2, where GCC 12 runs only its very
 * cheap vectoriser. Clang vectorises at -O2 and has no such attribute. */
#if defined(__GNUC__) && !defined(__clang__)
#define CP_VECTORIZE __attribute__((optimize("tree-vectorize")))
#else
#define CP_VECTORIZE
#endif
#define CP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CP_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

static inline uint64_t cp_mulhi64(uint64_t a, uint64_t b)
{
	return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

/* Maps a uniform 64-bit value onto [0, n) without division (Lemire's
 * fastrange). Monotone in x, which the sorted tables rely on. */
static inline uint64_t cp_range64(uint64_t x, uint64_t n)
{
	return cp_mulhi64(x, n);
}

#endif
