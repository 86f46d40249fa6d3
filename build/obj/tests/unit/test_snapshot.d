build/obj/tests/unit/test_snapshot.o: tests/unit/test_snapshot.c \
 tests/unit/helpers.h loaders/compile.h engine/indicator/indicator.h \
 engine/snapshot/snapshot.h engine/store/store.h \
 engine/snapshot/snapshot_internal.h
tests/unit/helpers.h:
loaders/compile.h:
engine/indicator/indicator.h:
engine/snapshot/snapshot.h:
engine/store/store.h:
engine/snapshot/snapshot_internal.h:
