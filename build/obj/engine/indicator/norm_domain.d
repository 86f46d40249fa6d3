build/obj/engine/indicator/norm_domain.o: engine/indicator/norm_domain.c \
 engine/indicator/indicator.h
engine/indicator/indicator.h:
