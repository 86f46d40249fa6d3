/* Building the de-duplicated match sets that refs point to. Control plane.
 * A million indicators of one feed share one set, so interning is a hash
 * lookup per indicator, with a one-entry cache for runs of the same meta. */
#ifndef CP_SETB_H
#define CP_SETB_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct cp_setb;

/* meta: the finished metadata table (actions decide each ref's top bits).
 * Not copied: it must outlive the builder. Returns NULL with errno set. */
struct cp_setb *cp_setb_new(const struct cp_meta_rec *meta, size_t nmeta);
void cp_setb_free(struct cp_setb *b);

/* Interns the set ents[0..n) (entries as in store.h; sorted and
 * de-duplicated in place). Returns its ref, or 0 with errno set. */
uint32_t cp_setb_intern(struct cp_setb *b, uint32_t *ents, unsigned n);
/* The entries of an interned ref; not copied. Returns the count. */
unsigned cp_setb_get(const struct cp_setb *b, uint32_t ref, const uint32_t **ents);
/* The sets array to write; owned by the builder. */
const uint32_t *cp_setb_data(const struct cp_setb *b, uint64_t *count);

#endif
