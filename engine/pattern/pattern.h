/* Pattern indicators: byte and regex patterns matched with Hyperscan.
 *
 * A feed writes a pattern as "/regex/flags" (flags i, s, m, and the
 * Hyperscan ones below) or as a literal with \xHH escapes. Each pattern
 * targets one place: the payload (TCP or UDP, per packet, block mode), the
 * normalised URL, or the DNS query name. Compiling is slow (1 M literals:
 * 87 s on this machine), so it runs on the control plane only, and the
 * compiled databases travel in the snapshot (hs_serialize_database), never
 * rebuilt on load.
 *
 * Parsing is pure; compiling and (de)serialising call Hyperscan, which
 * allocates: control plane.
 */
#ifndef CP_PATTERN_H
#define CP_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include <hs.h>

enum cp_ptarget { CP_PT_PAYLOAD, CP_PT_URL, CP_PT_DNS, CP_PT__COUNT };

/* "payload", "url" (EVE matched_on http.url), "dns.query". */
const char *cp_ptarget_name(enum cp_ptarget t);
int cp_ptarget_parse(const char *s, enum cp_ptarget *t);

/* The longest pattern text we take: longer ones are refused with a reason. */
#define CP_PATTERN_MAX 4096

struct cp_pattern {
	uint8_t literal;         /* 1: bytes matched as they are */
	unsigned flags;          /* HS_FLAG_* */
	uint32_t len;            /* bytes in expr (a literal may hold NULs) */
	char expr[CP_PATTERN_MAX + 1];  /* NUL-terminated for regexes */
};

/* Parses "/regex/flags" or a literal (\xHH and \\ escapes). Flags: i
 * caseless, s dot-all, m multi-line, H single-match (report once a scan),
 * 8 UTF-8, u Unicode properties. Returns 0, or -EINVAL with *why set. */
int cp_pattern_parse(const char *s, size_t n, struct cp_pattern *p, const char **why);

/* A regex as PCRE feeds write it (STIX pattern_type pcre): bare, or in
 * "/regex/flags" form when it parses as one. Returns 0 or -EINVAL. */
int cp_pattern_regex(const char *s, size_t n, struct cp_pattern *p, const char **why);

/* The canonical text of a pattern, as alerts name it: "/regex/flags" or
 * the literal with non-printable bytes as \xHH. Returns the length it
 * needed, like snprintf. */
int cp_pattern_format(const struct cp_pattern *p, char *buf, size_t size);

/* Compiles n patterns into one database (ids 0..n-1, in order): pure
 * literals with hs_compile_lit_multi, otherwise hs_compile_multi (literals
 * escaped). Every pattern is compiled single-match: a scan reports it at
 * most once, which is all an alert needs. On failure *bad is the index of the pattern Hyperscan blamed
 * (or n when it names none) and err says why. Returns 0 or -EINVAL. */
int cp_pattern_compile(const struct cp_pattern *const *p, unsigned n, hs_database_t **db,
		       unsigned *bad, char *err, size_t errlen);

/* The same over parallel arrays, for sets too large to hold as cp_pattern
 * (4 KiB each): expr[i] NUL-terminated for regexes, len[i] bytes. */
struct cp_pattern_v {
	const char *const *expr;
	const size_t *len;
	const unsigned *flags;
	const uint8_t *literal;
	const hs_platform_info_t *platform;  /* the CPU to build for; NULL: this one */
};
/* Any x86-64: no AVX2 or AVX-512 in the database, so a snapshot built on one
 * machine loads on another (hs_deserialize_database refuses a database
 * that needs features the CPU lacks). */
extern const hs_platform_info_t cp_pattern_generic;
int cp_pattern_compile_v(const struct cp_pattern_v *v, unsigned n, hs_database_t **db,
			 unsigned *bad, char *err, size_t errlen);
/* Scratch for scanning any of ndb databases (NULL entries skipped): one
 * prototype fitting them all, cloned, so out[0..copies) get one each, for
 * one thread each. All NULL when every db is NULL. Control plane. Returns
 * 0 or -ENOMEM (nothing left allocated). */
int cp_pattern_scratch_new(const hs_database_t *const *db, unsigned ndb, unsigned copies,
			   hs_scratch_t **out);
void cp_pattern_scratch_free(hs_scratch_t **s, unsigned n);

/* How many compiles this process ran: loading a snapshot must add none. */
uint64_t cp_pattern_compile_count(void);

#endif
