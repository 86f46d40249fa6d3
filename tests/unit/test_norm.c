/* Normalisation tables: the tricky cases of every type. */
#include <criterion/criterion.h>
#include <string.h>

#include "indicator/indicator.h"

struct ok_case {
	int type;          /* enum cp_itype, or -1: auto-detect */
	const char *in;
	int out_type;
	const char *out;   /* cp_ind_format() text */
	int subdomains;
};

struct bad_case {
	int type;
	const char *in;
	const char *why;
};

static void check_ok(const struct ok_case *c)
{
	struct cp_ind ind;
	const char *why = NULL;
	char buf[CP_IND_MAX + 1];
	int rc = c->type < 0 ? cp_norm_auto(c->in, strlen(c->in), &ind, &why)
			     : cp_norm(c->type, c->in, strlen(c->in), &ind, &why);

	cr_assert_eq(rc, 0, "'%s' rejected: %s", c->in, why ? why : "?");
	cp_ind_format(&ind, buf, sizeof(buf));
	cr_expect_eq(ind.type, c->out_type, "'%s': type %d, want %d", c->in, ind.type, c->out_type);
	cr_expect_str_eq(buf, c->out, "'%s' -> '%s', want '%s'", c->in, buf, c->out);
	cr_expect_eq(ind.subdomains, c->subdomains, "'%s': subdomains", c->in);
}

static void check_bad(const struct bad_case *c)
{
	struct cp_ind ind;
	const char *why = NULL;
	int rc = c->type < 0 ? cp_norm_auto(c->in, strlen(c->in), &ind, &why)
			     : cp_norm(c->type, c->in, strlen(c->in), &ind, &why);

	cr_assert_neq(rc, 0, "'%s' accepted", c->in);
	cr_expect_str_eq(why, c->why, "'%s': reason '%s', want '%s'", c->in, why, c->why);
}

Test(norm, invalid_arguments)
{
	struct cp_ind ind;
	const char *why = NULL;

	cr_expect_neq(cp_norm(CP_T__COUNT, "x", 1, &ind, &why), 0);
	cr_expect_neq(cp_norm_auto("", 0, &ind, &why), 0);
	cr_expect_str_eq(why, "empty value");
	cr_expect_neq(cp_norm_digest(CP_T_DOMAIN, "00", 2, &ind, &why), 0);
}

Test(norm, ip)
{
	static const struct ok_case ok[] = {
		{ CP_T_IPV4, "10.1.2.3", CP_T_IPV4, "10.1.2.3", 0 },
		{ CP_T_IPV4, "10.0.0.0/8", CP_T_IPV4, "10.0.0.0/8", 0 },
		{ CP_T_IPV4, "0.0.0.0/0", CP_T_IPV4, "0.0.0.0/0", 0 },
		{ CP_T_IPV4, "1.2.3.4/32", CP_T_IPV4, "1.2.3.4", 0 },
		{ CP_T_IPV6, "2001:DB8::1", CP_T_IPV6, "2001:db8::1", 0 },
		{ CP_T_IPV6, "2001:db8:0:0::/64", CP_T_IPV6, "2001:db8::/64", 0 },
		/* IPv4-mapped IPv6 is the IPv4 host on the wire. */
		{ CP_T_IPV6, "::ffff:82.165.177.154", CP_T_IPV4, "82.165.177.154", 0 },
		{ CP_T_IPV6, "::ffff:10.0.0.0/104", CP_T_IPV4, "10.0.0.0/8", 0 },
		{ -1, "::FFFF:1.2.3.4", CP_T_IPV4, "1.2.3.4", 0 },
		{ -1, "192.168.0.0/16", CP_T_IPV4, "192.168.0.0/16", 0 },
		{ -1, "fe80::/10", CP_T_IPV6, "fe80::/10", 0 },
	};
	static const struct bad_case bad[] = {
		{ CP_T_IPV4, "10.1.2.3/8", "CIDR has host bits set" },
		{ CP_T_IPV4, "192.168.0.13/24", "CIDR has host bits set" },
		{ CP_T_IPV4, "10.0.0.0/33", "CIDR prefix length out of range" },
		{ CP_T_IPV4, "10.0.0.0/", "CIDR prefix length out of range" },
		{ CP_T_IPV4, "10.0.0.0/08", "CIDR prefix length out of range" },
		{ CP_T_IPV4, "256.1.1.1", "IPv4 octet out of range" },
		{ CP_T_IPV4, "010.1.1.1", "leading zero in IPv4 octet" },
		{ CP_T_IPV4, "1.2.3", "malformed IPv4 address" },
		{ CP_T_IPV4, "1.2.3.4.5", "malformed IPv4 address" },
		{ CP_T_IPV4, "1..3.4", "malformed IPv4 address" },
		{ CP_T_IPV6, "2001:db8::1/64", "CIDR has host bits set" },
		{ CP_T_IPV6, "2001:db8::/129", "CIDR prefix length out of range" },
		{ CP_T_IPV6, "2001:db8:::1", "malformed IPv6 address" },
		{ CP_T_IPV6, "fe80::1%eth0", "malformed IPv6 address" },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		check_ok(&ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad(&bad[i]);
}

Test(norm, domain)
{
	static const struct ok_case ok[] = {
		{ CP_T_DOMAIN, "Example.COM", CP_T_DOMAIN, "example.com", 0 },
		{ CP_T_DOMAIN, "example.com.", CP_T_DOMAIN, "example.com", 0 },
		{ CP_T_DOMAIN, "*.Example.com.", CP_T_DOMAIN, "example.com", 1 },
		{ CP_T_DOMAIN, ".evil.com", CP_T_DOMAIN, "evil.com", 1 },
		{ CP_T_DOMAIN, "bücher.de", CP_T_DOMAIN, "xn--bcher-kva.de", 0 },
		{ CP_T_DOMAIN, "BÜCHER.de.", CP_T_DOMAIN, "xn--bcher-kva.de", 0 },
		{ CP_T_DOMAIN, "XN--BCHER-KVA.DE", CP_T_DOMAIN, "xn--bcher-kva.de", 0 },
		{ CP_T_DOMAIN, "_dmarc.example.com", CP_T_DOMAIN, "_dmarc.example.com", 0 },
		{ -1, "Evil.Example.ORG", CP_T_DOMAIN, "evil.example.org", 0 },
	};
	static const struct bad_case bad[] = {
		{ CP_T_DOMAIN, "", "empty domain" },
		{ CP_T_DOMAIN, ".", "empty domain" },
		{ CP_T_DOMAIN, "a..b", "empty label in domain" },
		{ CP_T_DOMAIN, "a b.com", "invalid character in domain" },
		{ CP_T_DOMAIN, "evil.com/x", "invalid character in domain" },
		{ CP_T_DOMAIN, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
		  "domain label longer than 63 bytes" },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		check_ok(&ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad(&bad[i]);
}

Test(norm, domain_length_limit)
{
	char name[300];
	struct cp_ind ind;
	const char *why;

	/* 4 labels of 63 + 3 dots = 255 > 253 */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[255] = '\0';
	cr_expect_neq(cp_norm_domain(name, 255, &ind, &why), 0);
	cr_expect_str_eq(why, "domain longer than 253 bytes");
	cr_expect_eq(cp_norm_domain(name, 253, &ind, &why), 0);
}

Test(norm, url)
{
	static const struct ok_case ok[] = {
		{ CP_T_URL, "HTTP://WWW.Example.COM/", CP_T_URL, "http://www.example.com/", 0 },
		{ CP_T_URL, "http://example.com", CP_T_URL, "http://example.com/", 0 },
		{ CP_T_URL, "http://example.com:80/a", CP_T_URL, "http://example.com/a", 0 },
		{ CP_T_URL, "https://example.com:443/a", CP_T_URL, "https://example.com/a", 0 },
		{ CP_T_URL, "http://example.com:8080/a", CP_T_URL, "http://example.com:8080/a", 0 },
		{ CP_T_URL, "https://example.com:80/a", CP_T_URL, "https://example.com:80/a", 0 },
		{ CP_T_URL, "http://example.com:/a", CP_T_URL, "http://example.com/a", 0 },
		{ CP_T_URL, "http://example.com/a#frag", CP_T_URL, "http://example.com/a", 0 },
		{ CP_T_URL, "http://example.com/a/./b/../c", CP_T_URL, "http://example.com/a/c", 0 },
		{ CP_T_URL, "http://example.com/../../a", CP_T_URL, "http://example.com/a", 0 },
		{ CP_T_URL, "http://example.com/a/..", CP_T_URL, "http://example.com/", 0 },
		{ CP_T_URL, "http://example.com/a/.", CP_T_URL, "http://example.com/a/", 0 },
		{ CP_T_URL, "http://example.com/%7Euser/%41", CP_T_URL, "http://example.com/~user/A", 0 },
		{ CP_T_URL, "http://example.com/a%2fb%3f", CP_T_URL, "http://example.com/a%2Fb%3F", 0 },
		{ CP_T_URL, "http://example.com/%2E%2E/x", CP_T_URL, "http://example.com/x", 0 },
		{ CP_T_URL, "http://example.com/a b", CP_T_URL, "http://example.com/a%20b", 0 },
		{ CP_T_URL, "http://example.com/100%", CP_T_URL, "http://example.com/100%25", 0 },
		{ CP_T_URL, "http://example.com/p?q=%3d&r=%7e#f", CP_T_URL, "http://example.com/p?q=%3D&r=~", 0 },
		{ CP_T_URL, "http://example.com/p?", CP_T_URL, "http://example.com/p", 0 },
		{ CP_T_URL, "http://User@EXAMPLE.com/", CP_T_URL, "http://User@example.com/", 0 },
		{ CP_T_URL, "http://[2001:DB8::1]:80/x", CP_T_URL, "http://[2001:db8::1]/x", 0 },
		{ CP_T_URL, "http://bücher.de/x", CP_T_URL, "http://xn--bcher-kva.de/x", 0 },
		{ CP_T_URL, "http://example.com./x", CP_T_URL, "http://example.com/x", 0 },
		{ CP_T_URL, "example.com/path", CP_T_URL, "http://example.com/path", 0 },
		{ -1, "x4z9arb.cn/4712", CP_T_URL, "http://x4z9arb.cn/4712", 0 },
		{ -1, "HTTP://1.2.3.4:80/x", CP_T_URL, "http://1.2.3.4/x", 0 },
	};
	static const struct bad_case bad[] = {
		{ CP_T_URL, "http:///path", "URL has no host" },
		{ CP_T_URL, "http://example.com:99999/", "invalid port in URL" },
		{ CP_T_URL, "http://example.com:8a/", "invalid port in URL" },
		{ CP_T_URL, "1ttp://example.com/", "invalid URL scheme" },
		{ CP_T_URL, "http://*.example.com/", "wildcard in URL host" },
		{ CP_T_URL, "http://[zz::1]/", "malformed IPv6 host in URL" },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		check_ok(&ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad(&bad[i]);
}

Test(norm, url_too_long)
{
	static char url[CP_IND_MAX + 64];
	struct cp_ind ind;
	const char *why;

	strcpy(url, "http://example.com/");
	memset(url + 19, 'a', CP_IND_MAX);
	url[19 + CP_IND_MAX] = '\0';
	cr_expect_neq(cp_norm_url(url, strlen(url), &ind, &why), 0);
	cr_expect_str_eq(why, "URL longer than 2048 bytes");
}

Test(norm, digests)
{
	static const struct ok_case ok[] = {
		{ CP_T_MD5, "D41D8CD98F00B204E9800998ECF8427E", CP_T_MD5, "d41d8cd98f00b204e9800998ecf8427e", 0 },
		{ CP_T_JA3, "e7d705a3286e19ea42f587b344ee6865", CP_T_JA3, "e7d705a3286e19ea42f587b344ee6865", 0 },
		{ -1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", CP_T_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", 0 },
		{ -1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", CP_T_SHA256,
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0 },
		/* 32 hex digits auto-detect as md5, never ja3 */
		{ -1, "e7d705a3286e19ea42f587b344ee6865", CP_T_MD5, "e7d705a3286e19ea42f587b344ee6865", 0 },
		/* digests that happen to be all decimal digits are not addresses */
		{ -1, "35673942026409969590802593601438", CP_T_MD5, "35673942026409969590802593601438", 0 },
		{ -1, "3567394202640996959080259360143835673942", CP_T_SHA1,
		  "3567394202640996959080259360143835673942", 0 },
		{ -1, "1234567890123456789012345678901234567890123456789012345678901234", CP_T_SHA256,
		  "1234567890123456789012345678901234567890123456789012345678901234", 0 },
	};
	static const struct bad_case bad[] = {
		{ CP_T_MD5, "d41d8cd98f00b204e9800998ecf8427", "md5 must be 32 hex digits" },
		{ CP_T_SHA1, "zz39a3ee5e6b4b0d3255bfef95601890afd80709", "invalid hex digit in hash" },
		{ CP_T_SHA256, "e3b0", "sha256 must be 64 hex digits" },
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		check_ok(&ok[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad(&bad[i]);
}

Test(norm, names)
{
	enum cp_itype t;
	enum cp_action a;

	for (int i = 0; i < CP_T__COUNT; i++) {
		cr_expect_eq(cp_itype_parse(cp_itype_name(i), &t), 0);
		cr_expect_eq((int)t, i);
	}
	cr_expect_neq(cp_itype_parse("ipv5", &t), 0);
	cr_expect_eq(cp_action_parse("drop", &a), 0);
	cr_expect_eq(a, CP_ACT_DROP);
	cr_expect_neq(cp_action_parse("none", &a), 0);
	cr_expect(CP_ACT_ALLOW > CP_ACT_DROP && CP_ACT_DROP > CP_ACT_ALERT);
}

/* The data plane's in-place form agrees with cp_norm_domain on every ASCII
 * name, and leaves a name it refuses as it was (pattern scans see it). */
Test(norm, domain_inplace)
{
	static const char *const names[] = {
		"Example.COM", "example.com.", "*.Example.com.", ".evil.com", "XN--BCHER-KVA.DE",
		"_dmarc.example.com", "", ".", "a..b", "a b.com", "Evil.COM/x", "A:B.Evil.com",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", "bücher.de",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *in = names[i];
		char buf[300], want[CP_IND_MAX + 1];
		size_t n = strlen(in);
		struct cp_ind ind;
		const char *why = NULL, *why2 = NULL;

		memcpy(buf, in, n + 1);
		int rc = cp_norm_domain_inplace(buf, &n, &why);
		int ascii = strcmp(in, "bücher.de") != 0;
		if (!ascii) {
			cr_expect_neq(rc, 0, "'%s': non-ASCII is refused on the data plane", in);
			cr_expect_str_eq(why, "invalid character in domain");
		} else if (cp_norm_domain(in, strlen(in), &ind, &why2) == 0) {
			cp_ind_format(&ind, want, sizeof(want));
			cr_assert_eq(rc, 0, "'%s' refused in place: %s", in, why);
			cr_expect_eq(n, strlen(want), "'%s': length %zu", in, n);
			cr_expect_eq(memcmp(buf, want, n), 0, "'%s' -> '%.*s', want '%s'", in, (int)n,
				     buf, want);
			continue;
		} else {
			cr_expect_neq(rc, 0, "'%s' accepted in place", in);
			cr_expect_str_eq(why, why2, "'%s': reason", in);
		}
		cr_expect_str_eq(buf, in, "'%s' changed although refused", in);
	}
}

/* The rules of a host name, written plainly: the reference for the
 * in-place form, whose check runs 16 bytes at a time. */
static int ref_domain(const char *s, size_t n, char *out, size_t *on)
{
	size_t off = n >= 2 && s[0] == '*' && s[1] == '.' ? 2 : n >= 1 && s[0] == '.' ? 1 : 0;
	size_t len = n - off, label = 0;

	if (len > 0 && s[off + len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[off + i];
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_') ||
		    ++label > 63)
			return -1;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (label == 0)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (s[off + i] == '.')
			out[i] = '.';
	*on = len;
	return 0;
}

/* Random names around every edge the chunked check has: labels of 62-65
 * bytes, names of 252-255, dots at chunk and word boundaries, and bytes
 * that are not allowed, against the reference above. */
/* A random name for the tests below, of one of four shapes (short; 240-259
 * bytes; labels of 60-66 bytes; any length up to 269): mostly letters, a
 * third of them upper case when upper, and one byte in odd from an alphabet
 * of bytes a name may not hold, dots and ports. in has room for 300. */
static size_t random_name(uint64_t *r, unsigned shape, unsigned odd, int upper, char *in)
{
	static const char alpha[] = "abcXYZ09-_..........*: \x80\xff";
	size_t n = 0;

	*r = *r * 6364136223846793005ULL + 1442695040888963407ULL;
	size_t target = shape == 0 ? (*r >> 33) % 40 : shape == 1 ? 240 + (*r >> 33) % 20
								   : (*r >> 33) % 270;
	while (n < target) {
		*r = *r * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t lab = shape == 2 ? 60 + (*r >> 40) % 7 : 1 + (*r >> 40) % 20;
		for (size_t k = 0; k < lab && n < target; k++) {
			*r = *r * 6364136223846793005ULL + 1442695040888963407ULL;
			unsigned x = (unsigned)(*r >> 33);
			in[n++] = x % odd == 0 ? alpha[(x >> 8) % (sizeof(alpha) - 1)]
					       : (char)('a' + (x >> 8) % 26 -
							(upper && (x >> 16) % 3 == 0 ? 32 : 0));
		}
		if (n < target)
			in[n++] = '.';
	}
	in[n] = '\0';
	return n;
}

Test(norm, domain_inplace_random)
{
	uint64_t r = 0x1234567;

	for (unsigned t = 0; t < 200000; t++) {
		char in[300], buf[300], want[300];
		size_t wn = 0, n = random_name(&r, t % 4, 64, 1, in);
		memcpy(buf, in, n + 1);
		size_t bn = n;
		const char *why = NULL;
		int rc = cp_norm_domain_inplace(buf, &bn, &why);
		int wrc = ref_domain(in, n, want, &wn);
		cr_assert_eq(rc == 0, wrc == 0, "'%s' (%zu bytes): in place %d, reference %d", in, n,
			     rc, wrc);
		if (rc == 0) {
			cr_assert_eq(bn, wn, "'%s': length", in);
			cr_assert_eq(memcmp(buf, want, wn), 0, "'%s' -> '%.*s'", in, (int)bn, buf);
		} else {
			cr_assert_not_null(why);
			cr_assert_eq(memcmp(buf, in, n + 1), 0, "'%s' changed although refused", in);
		}
	}
}

/* SNI and Host names: the copy stops at a port's ':', and the name is
 * called canonical exactly when the normaliser would accept it as it
 * stands, unchanged. Random names, mostly lower case so that both answers
 * come up often, around the same edges as above, against the reference. */
Test(norm, host_copy_random)
{
	uint64_t r = 0x7654321;
	unsigned canon_seen = 0, plain_seen = 0, short_seen[2] = { 0 };

	for (unsigned t = 0; t < 200000; t++) {
		char in[300], out[300], want[300];
		/* Half of them around 64 bytes, where names under it take a
		 * path of their own. */
		unsigned target = 1 + (unsigned)(r >> 20) % (t % 8 < 4 ? 512 : 72);
		size_t wn = 0, n = random_name(&r, t % 4, target, 0, in);
		if (n > 0 && n < 290 && (r >> 8) % 4 == 0) {
			memcpy(in + n, ":443", 4);
			n += 4;
		}
		memset(out, '#', sizeof(out));
		int canon = -1;
		size_t k = cp_norm_host_copy(out, in, n, &canon);
		const char *colon = memchr(in, ':', n);
		size_t wk = colon ? (size_t)(colon - in) : n;
		cr_assert_eq(k, wk, "'%.*s': copied %zu", (int)n, in, k);
		cr_assert_eq(memcmp(out, in, k), 0, "'%.*s': the copy", (int)n, in);
		int wcanon = ref_domain(in, k, want, &wn) == 0 && wn == k && memcmp(want, in, k) == 0;
		cr_assert_eq(canon, wcanon, "'%.*s': canonical %d, reference %d", (int)k, in, canon,
			     wcanon);
		canon_seen += (unsigned)wcanon;
		plain_seen += (unsigned)!wcanon;
		if (n < 64)
			short_seen[wcanon]++;
	}
	cr_expect_gt(canon_seen, 20000u);
	cr_expect_gt(plain_seen, 20000u);
	cr_expect_gt(short_seen[0], 10000u, "short names refused: %u", short_seen[0]);
	cr_expect_gt(short_seen[1], 10000u, "short names canonical: %u", short_seen[1]);
}
