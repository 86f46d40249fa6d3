build/obj/engine/store/setb.o: engine/store/setb.c engine/store/setb.h \
 engine/store/store.h engine/indicator/indicator.h engine/common/intern.h
engine/store/setb.h:
engine/store/store.h:
engine/indicator/indicator.h:
engine/common/intern.h:
