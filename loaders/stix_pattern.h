/* STIX 2.1 patterning: the subset an exact-match engine can honour.
 * Control plane; pure (no allocation, no I/O).
 *
 * Comparisons "PATH = 'v'" (and ISSUBSET 'cidr' on addresses) on
 * ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value and
 * file:hashes.MD5|SHA-1|SHA-256, joined with OR, inside one or more
 * observation expressions joined with OR. Anything else is recognised,
 * never guessed at:
 *   - AND and FOLLOWEDBY need several things at once: the whole pattern is
 *     skipped, since matching one side alone would be a false positive;
 *   - other paths, operators, NOT and qualifiers (WITHIN, REPEATS,
 *     START/STOP) make their term unsupported; the OR'ed terms we do
 *     support still stand, since each alone is enough to match.
 */
#ifndef CP_STIX_PATTERN_H
#define CP_STIX_PATTERN_H

#include <stddef.h>

#define STIX_MAX_TERMS 256
#define STIX_TEXT_MAX 65536

struct stix_term {
	int type;                /* enum cp_itype; CP_T_IPV4 for "an address" */
	unsigned off, len;       /* value in text[] */
};

struct stix_terms {
	unsigned n;
	struct stix_term t[STIX_MAX_TERMS];
	const char *whole;       /* set: the whole pattern is skipped, and why */
	unsigned nskip;          /* unsupported terms, reasons in skip[] */
	const char *skip[STIX_MAX_TERMS];
	unsigned tlen;
	char text[STIX_TEXT_MAX];  /* unescaped values */
};

/* Parses p[0..n). Returns 0, or -1 with *why set for a syntax error. */
int stix_pattern_parse(const char *p, size_t n, struct stix_terms *out, const char **why);

#endif
