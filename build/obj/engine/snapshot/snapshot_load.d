build/obj/engine/snapshot/snapshot_load.o: \
 engine/snapshot/snapshot_load.c engine/snapshot/snapshot.h \
 engine/snapshot/snapshot_internal.h engine/common/mem.h
engine/snapshot/snapshot.h:
engine/snapshot/snapshot_internal.h:
engine/common/mem.h:
