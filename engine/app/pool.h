/* The packet buffer pool, and the memory it lives in (control plane).
 *
 * Without hugepages (EAL's --no-huge, as on VMs and in containers with none
 * reserved) DPDK's own memory is 4 KiB pages of a memfd, and transparent
 * huge pages never back shared memory. A worker touches each packet's mbuf
 * and data at random over the whole pool, so on 4 KiB pages most of those
 * reads also miss the TLB: on the 2-core development VM, io-forward between
 * two net_null ports ran 60-64 Mpps with its pool there and 113-115 with
 * the same pool on transparent huge pages (chokepoint-bench pipeline).
 * So when the EAL has no hugepages and every port is a virtual device
 * (nothing DMAs into the pool, so it needs no IO addresses), the pool goes
 * into an external DPDK heap on anonymous memory advised for huge pages.
 */
#ifndef CP_POOL_H
#define CP_POOL_H

#include <rte_mempool.h>

enum cp_pool_mem {
	CP_POOL_AUTO,  /* huge pages where the EAL has none and every port is virtual */
	CP_POOL_EAL,   /* DPDK's memory, whatever it is */
	CP_POOL_THP,   /* transparent huge pages, where the ports allow */
};

/* "auto", "eal" or "thp" into *m; -EINVAL for anything else. */
int cp_pool_mem_parse(const char *s, enum cp_pool_mem *m);

/* A pktmbuf pool of n mbufs of RTE_MBUF_DEFAULT_BUF_SIZE, with per-lcore
 * caches of cache, in the memory m asks for (the ports of the EAL's ethdevs
 * must exist already: a physical one keeps it in EAL memory). *thp says
 * which it got. NULL with rte_errno set on failure. Freed at exit. */
struct rte_mempool *cp_pool_create(const char *name, unsigned n, unsigned cache,
				   enum cp_pool_mem m, int *thp);

#endif
