/* Large table allocations: anonymous mappings advised for huge pages.
 * Control plane. */
#include "common/mem.h"
#include "common/cp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define HUGE_PAGE (2u << 20)
#define PAGE 4096u

/* An anonymous mapping of size bytes starting on a 2 MiB boundary: a
 * huge page covers only an aligned 2 MiB, so a mapping that starts
 * elsewhere wastes its first and last partial ones on 4 KiB pages. Mapped
 * 2 MiB larger, the ends trimmed; munmap(p, size) frees it whole. */
static void *map_aligned(size_t size)
{
	size_t len = CP_ALIGN_UP(size, (size_t)PAGE), total = len + HUGE_PAGE;
	uint8_t *raw = mmap(NULL, total, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (raw == MAP_FAILED)
		return NULL;
	uint8_t *p = (uint8_t *)CP_ALIGN_UP((uintptr_t)raw, (uintptr_t)HUGE_PAGE);
	size_t head = (size_t)(p - raw), tail = total - head - len;
	if (head != 0)
		munmap(raw, head);
	if (tail != 0)
		munmap(p + len, tail);
	return p;
}

void *cp_mem_alloc(size_t size)
{
	if (size == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (size < HUGE_PAGE) {
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	void *p = map_aligned(size);
	/* Advice only: without THP the mapping still works on 4 KiB pages. */
	if (p != NULL)
		(void)madvise(p, size, MADV_HUGEPAGE);
	return p;
}

void *cp_mem_grow(void *p, size_t old_size, size_t size)
{
	if (p == NULL || old_size == 0)
		return cp_mem_alloc(size);
	void *q = mremap(p, old_size, size, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return NULL;
	if (size >= HUGE_PAGE)
		(void)madvise(q, size, MADV_HUGEPAGE);
	return q;
}

void *cp_mem_reserve(void **p, size_t *size, size_t want)
{
	if (want > *size) {
		void *q = cp_mem_grow(*p, *size, want);
		if (q == NULL)
			return NULL;
		*p = q;
		*size = want;
	}
	return *p;
}

void cp_mem_free(void *p, size_t size)
{
	if (p != NULL && size != 0)
		munmap(p, size);
}

size_t cp_mem_rss_peak(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (size_t)ru.ru_maxrss * 1024;
}

size_t cp_mem_rss_now(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0, rss = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return (size_t)rss * 4096;
}
