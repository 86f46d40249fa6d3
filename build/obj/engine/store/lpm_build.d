build/obj/engine/store/lpm_build.o: engine/store/lpm_build.c \
 engine/store/lpm_build.h engine/store/store_internal.h \
 engine/common/cp.h engine/common/hash.h engine/store/store.h \
 engine/indicator/indicator.h
engine/store/lpm_build.h:
engine/store/store_internal.h:
engine/common/cp.h:
engine/common/hash.h:
engine/store/store.h:
engine/indicator/indicator.h:
