build/obj/bench/bench_main.o: bench/bench_main.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 bench/bench.h engine/indicator/indicator.h /usr/include/dpdk/rte_eal.h \
 /usr/include/dpdk/rte_compat.h /usr/include/dpdk/rte_per_lcore.h \
 /usr/include/dpdk/rte_uuid.h \
 /usr/include/dpdk/rte_pci_dev_feature_defs.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
bench/bench.h:
engine/indicator/indicator.h:
/usr/include/dpdk/rte_eal.h:
/usr/include/dpdk/rte_compat.h:
/usr/include/dpdk/rte_per_lcore.h:
/usr/include/dpdk/rte_uuid.h:
/usr/include/dpdk/rte_pci_dev_feature_defs.h:
