/* Synthetic feeds: deterministic from a seed, realistic in shape, any scale
 * (1 k .. 1 B): every value is a pure function of (seed, index), so nothing
 * is kept in memory.
 *   ipv4:   clustered in a pool of /16s, as hosting providers are
 *   cidr:   /16../28 inside the same clusters; narrow: /24../30, as
 *           blocklists of hosting ranges have them
 *   domain: 2-4 labels, weighted real TLDs, DGA-like and word-like labels
 *   url:    a domain, 1-4 path segments, sometimes a query
 *   hashes: uniformly random digests */
#include "bench.h"
#include "common/hash.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const char *const tlds[] = { "com", "com", "com", "com", "net", "org", "ru", "cn", "info",
				    "xyz", "top", "io", "de", "co.uk", "online", "site", "br",
				    "in", "club", "biz", "com.br", "pw", "tk", "su" };
static const char *const words[] = { "mail", "secure", "login", "update", "cdn", "api",
				     "account", "pay", "bank", "verify", "cloud", "static",
				     "www", "portal", "support", "app", "service", "my" };

static uint64_t rnd(uint64_t seed, uint64_t i, uint64_t salt)
{
	return cp_mix64(seed * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL + salt);
}

/* A pool of 16384 /16s: a quarter of the address space, so 100 M addresses
 * fill it to ~10 % and about 5 % of draws repeat an earlier one. */
static uint32_t cluster16(uint64_t seed, uint64_t r)
{
	return (uint32_t)(cp_mix64(seed ^ (r % 16384)) & 0xffff0000u);
}

static void set_ip(struct cp_ind *ind, uint32_t a, unsigned plen)
{
	ind->type = CP_T_IPV4;
	ind->plen = (uint8_t)plen;
	ind->subdomains = 0;
	ind->len = 4;
	a = htonl(a);
	memcpy(ind->v, &a, 4);
}

void gen_ipv4(uint64_t seed, uint64_t i, struct cp_ind *ind)
{
	/* A bijection of i inside a cluster keeps values unique until a
	 * cluster is full; the permutation step spreads them over the /16. */
	uint64_t r = rnd(seed, i, 1);
	uint32_t c = cluster16(seed, r >> 16);
	set_ip(ind, c | (uint32_t)(r & 0xffff), 32);
}

void gen_cidr4(uint64_t seed, uint64_t i, struct cp_ind *ind)
{
	uint64_t r = rnd(seed, i, 2);
	unsigned plen = 16 + (unsigned)(r % 13);
	uint32_t a = cluster16(seed, r >> 8) | (uint32_t)(r >> 32 & 0xffff);
	set_ip(ind, a & (0xffffffffu << (32 - plen)), plen);
}

static size_t label(uint64_t r, char *out)
{
	if (r % 3 == 0) {
		const char *w = words[(r >> 8) % (sizeof(words) / sizeof(words[0]))];
		size_t n = strlen(w);
		memcpy(out, w, n);
		return n;
	}
	size_t n = 5 + (r >> 8) % 10;  /* DGA-like: 5..14 chars */
	for (size_t k = 0; k < n; k++) {
		r = cp_mix64(r + k);
		out[k] = "abcdefghijklmnopqrstuvwxyz0123456789"[r % (k ? 36 : 26)];
	}
	return n;
}

void gen_cidr4_narrow(uint64_t seed, uint64_t i, struct cp_ind *ind)
{
	uint64_t r = rnd(seed, i, 3);
	unsigned plen = 24 + (unsigned)(r % 7);
	uint32_t a = cluster16(seed, r >> 8) | (uint32_t)(r >> 32 & 0xffff);
	set_ip(ind, a & (0xffffffffu << (32 - plen)), plen);
}

void gen_domain(uint64_t seed, uint64_t i, struct cp_ind *ind)
{
	uint64_t r = rnd(seed, i, 3);
	unsigned depth = 1 + (unsigned)(r % 7 < 4 ? 0 : r % 7 < 6 ? 1 : 2);
	char *p = (char *)ind->v;
	size_t n = 0;

	for (unsigned d = 0; d + 1 < depth; d++) {
		n += label(cp_mix64(r + d + 11), p + n);
		p[n++] = '.';
	}
	/* The registrable label carries i, so every index is a distinct name. */
	n += label(r, p + n);
	n += (size_t)snprintf(p + n, 24, "%llx.", (unsigned long long)(i % 0xfffff));
	const char *tld = tlds[(r >> 40) % (sizeof(tlds) / sizeof(tlds[0]))];
	memcpy(p + n, tld, strlen(tld));
	n += strlen(tld);
	ind->type = CP_T_DOMAIN;
	ind->plen = 0;
	ind->subdomains = 0;
	ind->len = (uint32_t)n;
}

void gen_url(uint64_t seed, uint64_t i, struct cp_ind *ind)
{
	struct cp_ind d;
	uint64_t r = rnd(seed, i, 4);
	char *p = (char *)ind->v;
	size_t n;

	gen_domain(seed ^ 0x55, i, &d);
	n = (size_t)snprintf(p, 64, "http%s://", r & 1 ? "s" : "");
	memcpy(p + n, d.v, d.len);
	n += d.len;
	for (unsigned s = 0; s < 1 + r % 4; s++) {
		p[n++] = '/';
		n += label(cp_mix64(r + s), p + n);
	}
	if (r % 5 == 0)
		n += (size_t)snprintf(p + n, 32, "?id=%llu", (unsigned long long)(r >> 20));
	ind->type = CP_T_URL;
	ind->plen = 0;
	ind->subdomains = 0;
	ind->len = (uint32_t)n;
}

void gen_hash(uint64_t seed, uint64_t i, enum cp_itype t, struct cp_ind *ind)
{
	unsigned len = t == CP_T_SHA256 ? 32 : t == CP_T_SHA1 ? 20 : 16;

	for (unsigned k = 0; k < len; k += 8) {
		uint64_t r = rnd(seed, i, 5 + k);
		memcpy(ind->v + k, &r, len - k < 8 ? len - k : 8);
	}
	ind->type = (uint8_t)t;
	ind->plen = 0;
	ind->subdomains = 0;
	ind->len = len;
}

/* mix: "ip" (IPv4 only), "dom" (domains only), "half" (half IPv4, half
 * domains) or "all" (every type, in proportions seen in public feeds). */
void gen_mixed(uint64_t seed, uint64_t i, const char *mix, struct cp_ind *ind)
{
	uint64_t r = rnd(seed, i, 9) % 100;

	if (strcmp(mix, "ip") == 0)
		gen_ipv4(seed, i, ind);
	else if (strcmp(mix, "dom") == 0)
		gen_domain(seed, i, ind);
	else if (strcmp(mix, "half") == 0)
		(i & 1) ? gen_domain(seed, i, ind) : gen_ipv4(seed, i, ind);
	else if (r < 40)
		gen_ipv4(seed, i, ind);
	else if (r < 43)
		gen_cidr4(seed, i, ind);
	else if (r < 75)
		gen_domain(seed, i, ind);
	else if (r < 87)
		gen_url(seed, i, ind);
	else
		gen_hash(seed, i, r < 91 ? CP_T_MD5 : r < 94 ? CP_T_SHA1 : CP_T_SHA256, ind);
}

int gen_feed(FILE *f, uint64_t seed, uint64_t count, const char *mix)
{
	struct cp_ind ind;
	char buf[CP_IND_MAX + 8];

	for (uint64_t i = 0; i < count; i++) {
		gen_mixed(seed, i, mix, &ind);
		int n = cp_ind_format(&ind, buf, sizeof(buf));
		buf[n] = '\n';
		if (fwrite(buf, 1, (size_t)n + 1, f) != (size_t)n + 1)
			return -1;
	}
	return 0;
}
