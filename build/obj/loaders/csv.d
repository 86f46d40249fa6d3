build/obj/loaders/csv.o: loaders/csv.c loaders/loader.h \
 engine/common/cp.h loaders/compile.h engine/indicator/indicator.h
loaders/loader.h:
engine/common/cp.h:
loaders/compile.h:
engine/indicator/indicator.h:
