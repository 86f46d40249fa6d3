build/obj/bench/gen.o: bench/gen.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 bench/bench.h engine/indicator/indicator.h engine/common/hash.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
bench/bench.h:
engine/indicator/indicator.h:
engine/common/hash.h:
