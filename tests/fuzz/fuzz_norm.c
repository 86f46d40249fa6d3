/* libFuzzer target for the normalisers (feed values and packet-derived
 * names): the first byte picks the type, or auto-detection. A value that
 * normalises must normalise again to itself, and format back to text. */
#include "indicator/indicator.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The data plane's in-place form, in a buffer of exactly the name's size
 * (so a read or write past it is caught), agrees with cp_norm_domain on an
 * ASCII name, and leaves a name it refuses as it was. */
static void inplace_agrees(const char *s, size_t size, int rc, const struct cp_ind *a)
{
	const char *why;
	size_t n = size;
	char *p = malloc(size + 1);

	for (size_t i = 0; i < size; i++)
		if ((uint8_t)s[i] >= 0x80)
			n = 0;
	if (p == NULL || n == 0) {
		free(p);
		return;
	}
	memcpy(p, s, size);
	int r = cp_norm_domain_inplace(p, &n, &why);
	if ((r == 0) != (rc == 0) ||
	    (r == 0 && (n != a->len || memcmp(p, a->v, n) != 0)) ||
	    (r != 0 && memcmp(p, s, size) != 0))
		__builtin_trap();
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cp_ind a, b;
	const char *why;
	char buf[CP_IND_MAX + 16];
	int rc;

	if (size < 1)
		return 0;
	unsigned t = data[0] % (CP_T__COUNT + 1);
	const char *s = (const char *)data + 1;
	size--;
	rc = t == CP_T__COUNT ? cp_norm_auto(s, size, &a, &why)
			      : cp_norm((enum cp_itype)t, s, size, &a, &why);
	if (t == CP_T_DOMAIN)
		inplace_agrees(s, size, rc, &a);
	if (rc != 0)
		return 0;
	/* The text form of a subdomain indicator is its name; the wildcard
	 * says the rest. */
	size_t w = a.subdomains ? 2 : 0;
	memcpy(buf, "*.", w);
	int n = cp_ind_format(&a, buf + w, sizeof(buf) - w);
	if (n < 0 || (size_t)n >= sizeof(buf) - w)
		__builtin_trap();
	n += (int)w;
	/* Canonical forms are fixed points. */
	if (cp_norm((enum cp_itype)a.type, buf, (size_t)n, &b, &why) != 0 || b.len != a.len ||
	    memcmp(b.v, a.v, a.len) != 0 || b.plen != a.plen || b.subdomains != a.subdomains)
		__builtin_trap();
	return 0;
}
