build/obj/engine/indicator/norm_url.o: engine/indicator/norm_url.c \
 engine/indicator/indicator.h
engine/indicator/indicator.h:
