/* Building CIDR tries for the store. Control plane. */
#ifndef CP_LPM_BUILD_H
#define CP_LPM_BUILD_H

#include <stdint.h>

struct cp_lpmb;

/* keylen: 4 (IPv4) or 16 (IPv6). Returns NULL with errno set. */
struct cp_lpmb *cp_lpmb_new(unsigned keylen);
void cp_lpmb_free(struct cp_lpmb *b);
/* Inserts key/plen -> ref (non-zero); call in ascending plen order.
 * Returns 0, -EINVAL or -ENOMEM. */
int cp_lpmb_insert(struct cp_lpmb *b, const uint8_t *key, unsigned plen, uint32_t ref);
/* The ref of the longest prefix inserted so far that covers key, or 0. */
uint32_t cp_lpmb_lookup(const struct cp_lpmb *b, const uint8_t *key);
/* The images to write; owned by the builder. */
const uint32_t *cp_lpmb_table(const struct cp_lpmb *b, uint64_t *size, uint64_t *ngroups);
const uint32_t *cp_lpmb_leaves(const struct cp_lpmb *b, uint64_t *size);

/* Flattens an IPv4 trie into a range table (see range4.c): every /16 gets
 * its ranges, merged where neighbours share a ref. Returns 0, -EINVAL for an
 * IPv6 trie, or -ENOMEM; free with cp_r4_img_free(). */
struct cp_r4_img;
int cp_lpmb_ranges4(const struct cp_lpmb *b, struct cp_r4_img *img);
void cp_r4_img_free(struct cp_r4_img *img);

#endif
