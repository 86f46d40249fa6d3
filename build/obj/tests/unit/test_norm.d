build/obj/tests/unit/test_norm.o: tests/unit/test_norm.c \
 engine/indicator/indicator.h
engine/indicator/indicator.h:
