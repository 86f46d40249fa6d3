/* An open-addressing index of interned items: maps a hash and an equality
 * test to a caller-defined non-zero u32 handle. The caller stores the items;
 * the index stores handles only. Control plane. */
#ifndef CP_INTERN_H
#define CP_INTERN_H

#include <stddef.h>
#include <stdint.h>

/* Returns non-zero when the item behind handle h equals the probe key. */
typedef int (*cp_intern_eq)(const void *ctx, uint32_t h, const void *key);

struct cp_intern {
	uint64_t *slots;  /* hash's top 32 bits << 32 | handle; 0 = empty */
	size_t nslots;
	size_t used;
	cp_intern_eq eq;
	const void *ctx;
};

int cp_intern_init(struct cp_intern *ix, cp_intern_eq eq, const void *ctx);
void cp_intern_fini(struct cp_intern *ix);
/* Returns the handle of an equal item, or 0 and sets *slot for cp_intern_put. */
uint32_t cp_intern_find(const struct cp_intern *ix, uint64_t hash, const void *key,
			size_t *slot);
/* Records handle h (non-zero), whose item hashes to hash, at slot.
 * Returns 0 or -ENOMEM. */
int cp_intern_put(struct cp_intern *ix, size_t slot, uint64_t hash, uint32_t h);

#endif
