build/obj/engine/indicator/indicator.o: engine/indicator/indicator.c \
 engine/indicator/indicator.h
engine/indicator/indicator.h:
