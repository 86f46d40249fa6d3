build/obj/engine/store/xtab.o: engine/store/xtab.c \
 engine/store/store_internal.h engine/common/cp.h engine/common/hash.h \
 engine/store/store.h engine/indicator/indicator.h
engine/store/store_internal.h:
engine/common/cp.h:
engine/common/hash.h:
engine/store/store.h:
engine/indicator/indicator.h:
