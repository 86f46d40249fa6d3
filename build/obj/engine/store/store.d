build/obj/engine/store/store.o: engine/store/store.c \
 engine/store/store_internal.h engine/common/cp.h engine/common/hash.h \
 engine/store/store.h engine/indicator/indicator.h \
 engine/snapshot/snapshot.h
engine/store/store_internal.h:
engine/common/cp.h:
engine/common/hash.h:
engine/store/store.h:
engine/indicator/indicator.h:
engine/snapshot/snapshot.h:
