build/obj/engine/store/lpm.o: engine/store/lpm.c \
 engine/store/store_internal.h engine/common/cp.h engine/common/hash.h \
 engine/store/store.h engine/indicator/indicator.h
engine/store/store_internal.h:
engine/common/cp.h:
engine/common/hash.h:
engine/store/store.h:
engine/indicator/indicator.h:
