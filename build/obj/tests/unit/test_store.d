build/obj/tests/unit/test_store.o: tests/unit/test_store.c \
 tests/unit/helpers.h loaders/compile.h engine/indicator/indicator.h \
 engine/snapshot/snapshot.h engine/store/store.h
tests/unit/helpers.h:
loaders/compile.h:
engine/indicator/indicator.h:
engine/snapshot/snapshot.h:
engine/store/store.h:
