build/obj/loaders/intel_main.o: loaders/intel_main.c engine/common/mem.h \
 loaders/compile.h engine/indicator/indicator.h loaders/loader.h \
 engine/common/cp.h loaders/intel_cmd.h engine/snapshot/snapshot.h \
 engine/store/store.h
engine/common/mem.h:
loaders/compile.h:
engine/indicator/indicator.h:
loaders/loader.h:
engine/common/cp.h:
loaders/intel_cmd.h:
engine/snapshot/snapshot.h:
engine/store/store.h:
