build/obj/engine/snapshot/snapshot_write.o: \
 engine/snapshot/snapshot_write.c engine/snapshot/snapshot.h \
 engine/snapshot/snapshot_internal.h
engine/snapshot/snapshot.h:
engine/snapshot/snapshot_internal.h:
