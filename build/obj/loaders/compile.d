build/obj/loaders/compile.o: loaders/compile.c loaders/compile_internal.h \
 loaders/compile.h engine/indicator/indicator.h engine/common/intern.h \
 engine/snapshot/snapshot.h engine/store/lpm_build.h engine/store/setb.h \
 engine/store/store.h engine/store/store_internal.h engine/common/cp.h \
 engine/common/hash.h
loaders/compile_internal.h:
loaders/compile.h:
engine/indicator/indicator.h:
engine/common/intern.h:
engine/snapshot/snapshot.h:
engine/store/lpm_build.h:
engine/store/setb.h:
engine/store/store.h:
engine/store/store_internal.h:
engine/common/cp.h:
engine/common/hash.h:
