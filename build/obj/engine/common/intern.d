build/obj/engine/common/intern.o: engine/common/intern.c \
 engine/common/intern.h
engine/common/intern.h:
