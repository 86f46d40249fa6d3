build/obj/engine/indicator/norm_digest.o: engine/indicator/norm_digest.c \
 engine/indicator/indicator.h
engine/indicator/indicator.h:
