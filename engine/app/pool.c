/* The packet buffer pool: in DPDK's memory, or in an external heap on
 * transparent huge pages (see pool.h). Control plane. */
#include "app/pool.h"
#include "common/cp.h"
#include "common/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#define HUGE_PAGE ((size_t)2 << 20)

int cp_pool_mem_parse(const char *s, enum cp_pool_mem *m)
{
	static const char *const names[] = { "auto", "eal", "thp" };

	for (unsigned i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*m = (enum cp_pool_mem)i;
			return 0;
		}
	return -EINVAL;
}

/* Whether the kernel may back advised memory with huge pages. */
static int thp_allowed(void)
{
	char line[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	return line[0] != '\0' && strstr(line, "[never]") == NULL;
}

/* Whether every port is a virtual device: a physical NIC DMAs into the
 * pool and needs IO addresses, which memory outside the EAL's lacks. */
static int ports_virtual(void)
{
	uint16_t p;

	RTE_ETH_FOREACH_DEV(p) {
		struct rte_eth_dev_info info;
		const struct rte_bus *bus;
		if (rte_eth_dev_info_get(p, &info) != 0 || info.device == NULL ||
		    (bus = rte_dev_bus(info.device)) == NULL || strcmp(rte_bus_name(bus), "vdev") != 0)
			return 0;
	}
	return 1;
}

/* The bytes a pool of n mbufs takes in a heap: the objects, each 2 MiB
 * page losing up to one to the page boundary, and 8 MiB for the ring
 * (8 B a slot), the per-lcore caches in the pool's header (~1 MiB at
 * RTE_MAX_LCORE 128) and the heap's own headers. */
static size_t pool_bytes(unsigned n)
{
	struct rte_mempool_objsz sz;
	uint32_t elt = (uint32_t)(sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE);
	size_t obj = rte_mempool_calc_obj_size(elt, 0, &sz);
	size_t objs = (size_t)n * obj;

	objs += (objs / HUGE_PAGE + 1) * obj;
	return CP_ALIGN_UP(objs + (size_t)n * 16 + ((size_t)8 << 20), HUGE_PAGE);
}

/* An external heap (named heap) on len bytes of advised memory, touched
 * now so that its pages are faulted in (as huge ones) here and not on the
 * data plane. Returns the memory, or NULL with rte_errno set. */
static void *thp_heap(const char *heap, size_t len)
{
	void *p = cp_mem_alloc(len);

	if (p == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	memset(p, 0, len);
	if (rte_malloc_heap_create(heap) != 0) {
		cp_mem_free(p, len);
		return NULL;
	}
	if (rte_malloc_heap_memory_add(heap, p, len, NULL, (unsigned)(len / HUGE_PAGE),
				       HUGE_PAGE) != 0) {
		int e = rte_errno;
		rte_malloc_heap_destroy(heap);
		cp_mem_free(p, len);
		rte_errno = e;
		return NULL;
	}
	return p;
}

static void thp_heap_free(const char *heap, void *p, size_t len)
{
	if (rte_malloc_heap_memory_remove(heap, p, len) == 0 && rte_malloc_heap_destroy(heap) == 0)
		cp_mem_free(p, len);
}

struct rte_mempool *cp_pool_create(const char *name, unsigned n, unsigned cache,
				   enum cp_pool_mem m, int *thp)
{
	char heap[32];  /* DPDK's RTE_HEAP_NAME_MAX_LEN, internal */
	struct rte_mempool *mp;
	size_t len = pool_bytes(n);
	void *mem;

	*thp = 0;
	if (m == CP_POOL_THP && !ports_virtual()) {
		rte_errno = ENOTSUP;  /* a physical port needs IO addresses */
		return NULL;
	}
	/* Where the EAL has hugepages its memory is them already. */
	if (m == CP_POOL_EAL ||
	    (m == CP_POOL_AUTO && (rte_eal_has_hugepages() || !thp_allowed() || !ports_virtual())))
		return rte_pktmbuf_pool_create(name, n, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					       (int)rte_socket_id());
	snprintf(heap, sizeof(heap), "cp_%s", name);
	if ((mem = thp_heap(heap, len)) == NULL)
		return NULL;
	mp = rte_pktmbuf_pool_create(name, n, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_malloc_heap_get_socket(heap));
	if (mp == NULL) {
		int e = rte_errno;
		thp_heap_free(heap, mem, len);
		rte_errno = e;
		return NULL;
	}
	*thp = 1;
	return mp;
}
