/* The indicator model and its canonical forms: both planes.
 *
 * One normaliser per type turns feed text (or packet text, later) into the
 * canonical key that tables are built from and looked up with, so a value
 * is spelled one way everywhere. The functions are pure: no globals, no
 * allocation, no I/O.
 */
#ifndef CP_INDICATOR_H
#define CP_INDICATOR_H

#include <stddef.h>
#include <stdint.h>

enum cp_itype {
	CP_T_IPV4,
	CP_T_IPV6,
	CP_T_DOMAIN,
	CP_T_URL,
	CP_T_MD5,
	CP_T_SHA1,
	CP_T_SHA256,
	CP_T_JA3,
	CP_T__COUNT,
};

/* Ordered by precedence: when several indicators match, the highest wins
 * (allow > drop > alert). 0 is "no match" and never stored. */
enum cp_action {
	CP_ACT_NONE = 0,
	CP_ACT_ALERT = 1,
	CP_ACT_DROP = 2,
	CP_ACT_ALLOW = 3,
};

/* Longest canonical value we accept. Longer URLs are rejected with a reason
 * rather than truncated, which would make two URLs equal. */
#define CP_IND_MAX 2048

/* A canonical indicator value.
 *   ipv4/ipv6: v holds 4/16 network-order bytes, plen the prefix length
 *              (32/128 for a single address);
 *   domain:    lower-case ASCII (punycode), no trailing dot; subdomains=1
 *              means the domain and every name below it;
 *   url:       RFC 3986 section 6 normalised text;
 *   md5, sha1, sha256, ja3: the binary digest (16/20/32/16 bytes). */
struct cp_ind {
	uint8_t type;       /* enum cp_itype */
	uint8_t plen;
	uint8_t subdomains;
	uint8_t pad;
	uint32_t len;       /* bytes used in v */
	uint8_t v[CP_IND_MAX];
};

const char *cp_itype_name(enum cp_itype t);
/* Returns 0 and sets *t, or -EINVAL for an unknown name. */
int cp_itype_parse(const char *name, enum cp_itype *t);
const char *cp_action_name(enum cp_action a);
int cp_action_parse(const char *name, enum cp_action *a);

/* Normalise s[0..n) as type t into *out.
 * Returns 0, or -EINVAL with *why set to a static reason such as
 * "CIDR has host bits set". An IPv4-mapped IPv6 value comes back with
 * out->type == CP_T_IPV4. */
int cp_norm(enum cp_itype t, const char *s, size_t n, struct cp_ind *out,
	    const char **why);
/* Guess the type of s and normalise it: IP, hash by hex length (32 hex is
 * md5, never ja3), URL when it has a scheme or a path, else domain. */
int cp_norm_auto(const char *s, size_t n, struct cp_ind *out, const char **why);

/* One function per type, called through cp_norm(). */
int cp_norm_ipv4(const char *s, size_t n, struct cp_ind *out, const char **why);
int cp_norm_ipv6(const char *s, size_t n, struct cp_ind *out, const char **why);
int cp_norm_domain(const char *s, size_t n, struct cp_ind *out, const char **why);
/* The same for an ASCII name off the wire, in place and without libidn2
 * (a non-ASCII byte is refused as invalid): *n gets the canonical length.
 * A name it refuses is left as it was. Data plane: one pass to check, one
 * to lower-case, no copy. */
int cp_norm_domain_inplace(char *s, size_t *n, const char **why);
/* A host name as SNI or Host carries it: copies s[0..n) up to any ':' (a
 * port) to d, which has room for n bytes and at least 64 (its bytes past
 * the name may be written), and returns the length copied.
 * *canon is 1 when that name is canonical as it stands (the normaliser
 * would accept it and leave it as it is), so the fast path need not
 * normalise it; else 0, and the normaliser decides. One pass: copying,
 * then checking the copy, reloaded the bytes just stored (a
 * store-forwarding stall) and cost ~13 % of a TLS packet's time. */
size_t cp_norm_host_copy(char *d, const char *s, size_t n, int *canon);
int cp_norm_url(const char *s, size_t n, struct cp_ind *out, const char **why);
int cp_norm_digest(enum cp_itype t, const char *s, size_t n, struct cp_ind *out,
		   const char **why);

/* Writes the canonical text of ind into buf (NUL-terminated, truncated to
 * size). Returns the length it needed, like snprintf. */
int cp_ind_format(const struct cp_ind *ind, char *buf, size_t size);

#endif
