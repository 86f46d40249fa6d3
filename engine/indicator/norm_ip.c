/* Canonical IPv4 and IPv6 addresses and CIDRs. Both planes; pure.
 * Policy: a CIDR with host bits set is rejected, never masked, because a
 * feed that writes 10.1.2.3/8 most likely meant something it did not say. */
#include "indicator/indicator.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

static int fail(const char **why, const char *reason)
{
	*why = reason;
	return -EINVAL;
}

/* Parses "/N" (N in 0..max) at s[0..n). */
static int parse_plen(const char *s, size_t n, unsigned max, uint8_t *plen)
{
	unsigned v = 0;

	if (n < 2 || n > 4 || s[0] != '/')
		return -EINVAL;
	for (size_t i = 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if ((n > 2 && s[1] == '0') || v > max)
		return -EINVAL;
	*plen = (uint8_t)v;
	return 0;
}

static int host_bits_set(const uint8_t *a, unsigned bytes, unsigned plen)
{
	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? plen - i * 8 : 0;
		uint8_t mask = keep == 8 ? 0xff : (uint8_t)(0xff00u >> keep);

		if (a[i] & ~mask)
			return 1;
	}
	return 0;
}

int cp_norm_ipv4(const char *s, size_t n, struct cp_ind *out, const char **why)
{
	const char *slash = memchr(s, '/', n);
	size_t an = slash ? (size_t)(slash - s) : n;
	unsigned octet = 0, digits = 0, dots = 0;
	uint8_t a[4];

	for (size_t i = 0; i <= an; i++) {
		if (i == an || s[i] == '.') {
			if (digits == 0 || dots > 3)
				return fail(why, "malformed IPv4 address");
			a[dots++] = (uint8_t)octet;
			octet = digits = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return fail(why, "malformed IPv4 address");
		/* Leading zeros read as octal in inet_aton(): refuse the ambiguity. */
		if (digits == 1 && octet == 0)
			return fail(why, "leading zero in IPv4 octet");
		octet = octet * 10 + (unsigned)(s[i] - '0');
		if (++digits > 3 || octet > 255)
			return fail(why, "IPv4 octet out of range");
	}
	if (dots != 4)
		return fail(why, "malformed IPv4 address");
	out->type = CP_T_IPV4;
	out->plen = 32;
	out->subdomains = 0;
	out->len = 4;
	memcpy(out->v, a, 4);
	if (slash != NULL) {
		if (parse_plen(slash, n - an, 32, &out->plen) != 0)
			return fail(why, "CIDR prefix length out of range");
		if (host_bits_set(a, 4, out->plen))
			return fail(why, "CIDR has host bits set");
	}
	return 0;
}

int cp_norm_ipv6(const char *s, size_t n, struct cp_ind *out, const char **why)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const char *slash = memchr(s, '/', n);
	size_t an = slash ? (size_t)(slash - s) : n;
	char buf[INET6_ADDRSTRLEN + 1];
	uint8_t plen = 128;

	if (an == 0 || an >= sizeof(buf))
		return fail(why, "malformed IPv6 address");
	memcpy(buf, s, an);
	buf[an] = '\0';
	if (inet_pton(AF_INET6, buf, out->v) != 1)
		return fail(why, "malformed IPv6 address");
	if (slash != NULL && parse_plen(slash, n - an, 128, &plen) != 0)
		return fail(why, "CIDR prefix length out of range");
	if (host_bits_set(out->v, 16, plen))
		return fail(why, "CIDR has host bits set");
	out->subdomains = 0;
	if (plen >= 96 && memcmp(out->v, mapped, 12) == 0) {
		/* ::ffff:a.b.c.d is the IPv4 host on the wire: match it as one. */
		memmove(out->v, out->v + 12, 4);
		out->type = CP_T_IPV4;
		out->plen = (uint8_t)(plen - 96);
		out->len = 4;
		return 0;
	}
	out->type = CP_T_IPV6;
	out->plen = plen;
	out->len = 16;
	return 0;
}
