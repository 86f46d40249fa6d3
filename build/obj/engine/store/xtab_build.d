build/obj/engine/store/xtab_build.o: engine/store/xtab_build.c \
 engine/store/store_internal.h engine/common/cp.h engine/common/hash.h \
 engine/store/store.h engine/indicator/indicator.h engine/common/mem.h
engine/store/store_internal.h:
engine/common/cp.h:
engine/common/hash.h:
engine/store/store.h:
engine/indicator/indicator.h:
engine/common/mem.h:
