build/obj/engine/indicator/norm_ip.o: engine/indicator/norm_ip.c \
 engine/indicator/indicator.h
engine/indicator/indicator.h:
