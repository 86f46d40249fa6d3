build/obj/engine/common/mem.o: engine/common/mem.c engine/common/mem.h
engine/common/mem.h:
