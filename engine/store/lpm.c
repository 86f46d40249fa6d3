/* CIDR longest-prefix match: lookup (data plane), checks (control plane).
 * The 2^16-entry first level (256 KiB) stays in cache, so an address outside
 * every CIDR costs one cached read; one inside costs one more per byte of
 * prefix beyond /16. */
#include "store/store_internal.h"

#include <errno.h>

uint32_t cp__lpm_lookup(const struct cp_lpm *l, const uint8_t *key)
{
	uint32_t e;
	unsigned d = 2;

	if (l->tbl == NULL)
		return 0;
	e = l->tbl[(uint32_t)key[0] << 8 | key[1]];
	while ((e & 1) && d < l->keylen)
		e = l->tbl[CP_LPM_L0 + (uint64_t)(e >> 1) * CP_LPM_GROUP + key[d++]];
	/* A child pointer at full depth cannot be built; init refuses it. */
	return (e & 1) ? 0 : l->leaves[e >> 1];
}

int cp__lpm_init(struct cp_lpm *l, const uint32_t *tbl, uint64_t tbl_size, uint64_t ngroups,
		 unsigned keylen, const uint32_t *leaves, uint64_t leaves_size)
{
	uint64_t nent = CP_LPM_L0 + ngroups * CP_LPM_GROUP;

	*l = (struct cp_lpm){ .keylen = keylen };
	if (tbl == NULL)
		return 0;
	if ((keylen != 4 && keylen != 16) || tbl_size != nent * 4 || leaves == NULL ||
	    leaves_size % 4 != 0 || leaves_size == 0 || ngroups >= (1u << 31))
		return -EBADMSG;
	l->nleaves = leaves_size / 4;
	/* Every entry must point inside the tables: one pass at load keeps the
	 * lookup free of checks. Groups are allocated parent first, so a child
	 * index is always greater than its parent's: no cycles. */
	for (uint64_t i = 0; i < nent; i++) {
		uint32_t e = tbl[i];
		uint64_t grp = i < CP_LPM_L0 ? 0 : (i - CP_LPM_L0) / CP_LPM_GROUP + 1;

		if ((e & 1) && ((e >> 1) >= ngroups || (e >> 1) + 1 <= grp))
			return -EBADMSG;
		if (!(e & 1) && (e >> 1) >= l->nleaves)
			return -EBADMSG;
	}
	l->tbl = tbl;
	l->leaves = leaves;
	l->ngroups = ngroups;
	return 0;
}
