build/obj/tests/unit/test_xtab.o: tests/unit/test_xtab.c \
 tests/unit/helpers.h loaders/compile.h engine/indicator/indicator.h \
 engine/snapshot/snapshot.h engine/store/store.h engine/common/mem.h \
 engine/store/store_internal.h engine/common/cp.h engine/common/hash.h
tests/unit/helpers.h:
loaders/compile.h:
engine/indicator/indicator.h:
engine/snapshot/snapshot.h:
engine/store/store.h:
engine/common/mem.h:
engine/store/store_internal.h:
engine/common/cp.h:
engine/common/hash.h:
