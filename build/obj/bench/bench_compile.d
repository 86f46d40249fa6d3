build/obj/bench/bench_compile.o: bench/bench_compile.c \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h \
 /usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h \
 bench/bench.h engine/indicator/indicator.h loaders/intel_cmd.h \
 loaders/compile.h engine/snapshot/snapshot.h
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_config.h:
/usr/include/dpdk/../x86_64-linux-gnu/dpdk/rte_build_config.h:
bench/bench.h:
engine/indicator/indicator.h:
loaders/intel_cmd.h:
loaders/compile.h:
engine/snapshot/snapshot.h:
