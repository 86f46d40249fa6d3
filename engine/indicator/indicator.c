/* Indicator type and action names, type dispatch and auto-detection.
 * Both planes; pure functions. */
#include "indicator/indicator.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[CP_T__COUNT] = {
	[CP_T_IPV4] = "ipv4",     [CP_T_IPV6] = "ipv6",
	[CP_T_DOMAIN] = "domain", [CP_T_URL] = "url",
	[CP_T_MD5] = "md5",       [CP_T_SHA1] = "sha1",
	[CP_T_SHA256] = "sha256", [CP_T_JA3] = "ja3",
};

static const char *const action_names[] = {
	[CP_ACT_NONE] = "none",   [CP_ACT_ALERT] = "alert",
	[CP_ACT_DROP] = "drop",   [CP_ACT_ALLOW] = "allow",
};

const char *cp_itype_name(enum cp_itype t)
{
	return (unsigned)t < CP_T__COUNT ? type_names[t] : "?";
}

int cp_itype_parse(const char *name, enum cp_itype *t)
{
	for (unsigned i = 0; i < CP_T__COUNT; i++) {
		if (strcmp(name, type_names[i]) == 0) {
			*t = (enum cp_itype)i;
			return 0;
		}
	}
	/* "ip" is what Suricata and most CSV exports call both families. */
	if (strcmp(name, "ip") == 0) {
		*t = CP_T_IPV4;
		return 0;
	}
	return -EINVAL;
}

const char *cp_action_name(enum cp_action a)
{
	return (unsigned)a <= CP_ACT_ALLOW ? action_names[a] : "?";
}

int cp_action_parse(const char *name, enum cp_action *a)
{
	for (unsigned i = CP_ACT_ALERT; i <= CP_ACT_ALLOW; i++) {
		if (strcmp(name, action_names[i]) == 0) {
			*a = (enum cp_action)i;
			return 0;
		}
	}
	/* Suricata's spelling of drop. */
	if (strcmp(name, "block") == 0) {
		*a = CP_ACT_DROP;
		return 0;
	}
	return -EINVAL;
}

int cp_norm(enum cp_itype t, const char *s, size_t n, struct cp_ind *out,
	    const char **why)
{
	switch (t) {
	case CP_T_IPV4:
		/* "ip" columns carry both families: let the syntax decide. */
		if (memchr(s, ':', n) != NULL)
			return cp_norm_ipv6(s, n, out, why);
		return cp_norm_ipv4(s, n, out, why);
	case CP_T_IPV6:
		if (memchr(s, ':', n) == NULL)
			return cp_norm_ipv4(s, n, out, why);
		return cp_norm_ipv6(s, n, out, why);
	case CP_T_DOMAIN:
		return cp_norm_domain(s, n, out, why);
	case CP_T_URL:
		return cp_norm_url(s, n, out, why);
	case CP_T_MD5:
	case CP_T_SHA1:
	case CP_T_SHA256:
	case CP_T_JA3:
		return cp_norm_digest(t, s, n, out, why);
	default:
		*why = "unknown indicator type";
		return -EINVAL;
	}
}

/* Character classes for type detection: one pass ORs the classes of a
 * value's bytes, where a test per class with strchr per byte took 5 % of a
 * compile. */
enum { C_DIGIT = 1, C_HEX = 2, C_DOT = 4, C_SLASH = 8, C_COLON = 16, C_OTHER = 32 };

static unsigned classes(const char *s, size_t n)
{
	/* 0: any other byte, NUL included */
	static const uint8_t tbl[256] = {
		['0' ... '9'] = C_DIGIT, ['a' ... 'f'] = C_HEX, ['A' ... 'F'] = C_HEX,
		['.'] = C_DOT, ['/'] = C_SLASH, [':'] = C_COLON,
	};
	unsigned m = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned k = tbl[(uint8_t)s[i]];
		m |= k ? k : C_OTHER;
	}
	return m;
}

int cp_norm_auto(const char *s, size_t n, struct cp_ind *out, const char **why)
{
	unsigned m;

	if (n == 0) {
		*why = "empty value";
		return -EINVAL;
	}
	m = classes(s, n);
	if ((m & C_COLON) && memmem(s, n, "://", 3) != NULL)
		return cp_norm_url(s, n, out, why);
	/* Hex digests before addresses: one in 3.5 M md5s is all decimal
	 * digits, which an IPv4 parse refused as out of range (29 such lines
	 * in a 1 B-indicator feed). */
	if ((m & ~(C_DIGIT | C_HEX)) == 0) {
		if (n == 32)
			return cp_norm_digest(CP_T_MD5, s, n, out, why);
		if (n == 40)
			return cp_norm_digest(CP_T_SHA1, s, n, out, why);
		if (n == 64)
			return cp_norm_digest(CP_T_SHA256, s, n, out, why);
	}
	if ((m & ~(C_DIGIT | C_DOT | C_SLASH)) == 0)
		return cp_norm_ipv4(s, n, out, why);
	if ((m & C_COLON) && (m & C_OTHER) == 0)
		return cp_norm_ipv6(s, n, out, why);
	if (m & C_SLASH)
		return cp_norm_url(s, n, out, why);
	return cp_norm_domain(s, n, out, why);
}

int cp_ind_format(const struct cp_ind *ind, char *buf, size_t size)
{
	char tmp[INET6_ADDRSTRLEN];
	int n = 0;

	switch (ind->type) {
	case CP_T_IPV4:
	case CP_T_IPV6: {
		int af = ind->type == CP_T_IPV4 ? AF_INET : AF_INET6;
		unsigned full = ind->type == CP_T_IPV4 ? 32 : 128;

		inet_ntop(af, ind->v, tmp, sizeof(tmp));
		if (ind->plen < full)
			return snprintf(buf, size, "%s/%u", tmp, ind->plen);
		return snprintf(buf, size, "%s", tmp);
	}
	case CP_T_DOMAIN:
	case CP_T_URL:
		return snprintf(buf, size, "%.*s", (int)ind->len, (const char *)ind->v);
	default:
		for (uint32_t i = 0; i < ind->len; i++) {
			if ((size_t)n + 2 < size)
				snprintf(buf + n, size - n, "%02x", ind->v[i]);
			n += 2;
		}
		if (size > 0 && (size_t)n >= size)
			buf[size - 1] = '\0';
		return n;
	}
}
