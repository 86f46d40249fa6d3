build/obj/tests/unit/test_loaders.o: tests/unit/test_loaders.c \
 tests/unit/helpers.h loaders/compile.h engine/indicator/indicator.h \
 engine/snapshot/snapshot.h engine/store/store.h loaders/intel_cmd.h \
 loaders/compile.h loaders/loader.h engine/common/cp.h
tests/unit/helpers.h:
loaders/compile.h:
engine/indicator/indicator.h:
engine/snapshot/snapshot.h:
engine/store/store.h:
loaders/intel_cmd.h:
loaders/compile.h:
loaders/loader.h:
engine/common/cp.h:
