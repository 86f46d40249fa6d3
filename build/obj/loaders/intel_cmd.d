build/obj/loaders/intel_cmd.o: loaders/intel_cmd.c loaders/intel_cmd.h \
 loaders/compile.h engine/indicator/indicator.h engine/common/mem.h \
 loaders/loader.h engine/common/cp.h engine/snapshot/snapshot.h \
 engine/store/store.h
loaders/intel_cmd.h:
loaders/compile.h:
engine/indicator/indicator.h:
engine/common/mem.h:
loaders/loader.h:
engine/common/cp.h:
engine/snapshot/snapshot.h:
engine/store/store.h:
