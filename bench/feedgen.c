/* Synthetic feeds in every format the loaders read, from the same
 * indicator stream as gen_feed, so formats compare on the same values.
 * Records look like what the producers write (STIX objects with ids and
 * timestamps, MISP attributes with uuids and categories), so MB/s figures
 * are per realistic byte. */
#include "bench.h"
#include "common/hash.h"

#include <stdio.h>
#include <string.h>

static const char *const zeek_type[CP_T__COUNT] = {
	"Intel::ADDR", "Intel::ADDR", "Intel::DOMAIN", "Intel::URL",
	"Intel::FILE_HASH", "Intel::FILE_HASH", "Intel::FILE_HASH", "Intel::JA3",
};
static const char *const misp_type[CP_T__COUNT] = {
	"ip-dst", "ip-dst", "domain", "url", "md5", "sha1", "sha256", "ja3-fingerprint-md5",
};

static int is_ip(const struct cp_ind *ind)
{
	return ind->type == CP_T_IPV4 || ind->type == CP_T_IPV6;
}

static void uuid(uint64_t seed, uint64_t i, char *out)
{
	uint64_t a = cp_mix64(seed * 31 + i), b = cp_mix64(a ^ i);

	sprintf(out, "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)a, (unsigned)(a >> 32) & 0xffff,
		(unsigned)(a >> 48) & 0xfff, (unsigned)b & 0xfff,
		(unsigned long long)(b >> 16) & 0xffffffffffffULL);
}

/* STIX patterns name the address family in the path, CIDR with ISSUBSET. */
static void stix_pattern(const struct cp_ind *ind, const char *v, char *out, size_t n)
{
	static const char *const path[CP_T__COUNT] = {
		"ipv4-addr:value", "ipv6-addr:value", "domain-name:value", "url:value",
		"file:hashes.MD5", "file:hashes.'SHA-1'", "file:hashes.'SHA-256'", NULL,
	};
	int cidr = is_ip(ind) && ind->plen < (ind->type == CP_T_IPV4 ? 32 : 128);

	snprintf(out, n, "[%s %s '%s']", path[ind->type], cidr ? "ISSUBSET" : "=", v);
}

static void b64(const char *s, size_t n, char *out)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)(unsigned char)s[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			w |= (unsigned char)s[i + 2];
		out[o++] = al[w >> 18 & 63];
		out[o++] = al[w >> 12 & 63];
		out[o++] = i + 1 < n ? al[w >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? al[w & 63] : '=';
	}
	out[o] = '\0';
}

static int one(FILE *f, const char *fmt, uint64_t seed, uint64_t i, const struct cp_ind *ind,
	       const char *v, int first)
{
	char id[48], pat[CP_IND_MAX + 64], enc[CP_IND_MAX * 2];

	if (strcmp(fmt, "csv") == 0)
		return fprintf(f, "\"%s\",%s,drop,\"bench,synthetic\"\n", v,
			       cp_itype_name((enum cp_itype)ind->type));
	if (strcmp(fmt, "zeek") == 0)
		return fprintf(f, "%s\t%s\tbench-feed\tsynthetic indicator\t-\n", v,
			       is_ip(ind) && ind->plen < (ind->type == CP_T_IPV4 ? 32 : 128)
				       ? "Intel::SUBNET" : zeek_type[ind->type]);
	if (strcmp(fmt, "suricata") == 0) {
		b64(v, strlen(v), enc);
		return fprintf(f, "%s\n", enc);
	}
	if (strcmp(fmt, "iprep") == 0)
		return is_ip(ind) ? fprintf(f, "%s,%u,%u\n", v, 1 + (unsigned)(i % 9),
					    (unsigned)(i % 128)) : 1;
	uuid(seed, i, id);
	if (strcmp(fmt, "stix") == 0) {
		stix_pattern(ind, v, pat, sizeof(pat));
		return fprintf(f, "%s{\"type\":\"indicator\",\"spec_version\":\"2.1\","
			       "\"id\":\"indicator--%s\",\"created\":\"2026-11-01T10:00:00.000Z\","
			       "\"modified\":\"2026-11-01T10:00:00.000Z\",\"name\":\"bench %llu\","
			       "\"indicator_types\":[\"malicious-activity\"],\"pattern\":\"%s\","
			       "\"pattern_type\":\"stix\",\"valid_from\":\"2026-11-01T10:00:00Z\"}",
			       first ? "" : ",\n", id, (unsigned long long)i, pat);
	}
	if (strcmp(fmt, "misp") == 0)
		return fprintf(f, "%s{\"id\":\"%llu\",\"type\":\"%s\",\"category\":\"Network activity\","
			       "\"to_ids\":true,\"uuid\":\"%s\",\"event_id\":\"1\",\"distribution\":\"5\","
			       "\"timestamp\":\"1764000000\",\"comment\":\"\",\"deleted\":false,"
			       "\"value\":\"%s\"}",
			       first ? "" : ",\n", (unsigned long long)i, misp_type[ind->type], id, v);
	if (strcmp(fmt, "warninglist") == 0)
		return fprintf(f, "%s\"%s\"", first ? "" : ",\n", v);
	return fprintf(f, "%s\n", v);  /* plain */
}

int gen_feed_format(FILE *f, uint64_t seed, uint64_t count, uint64_t distinct, const char *mix,
		    const char *fmt)
{
	struct cp_ind ind;
	char v[CP_IND_MAX + 8];
	int first = 1;

	if (strcmp(fmt, "zeek") == 0)
		fputs("#separator \\x09\n#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc"
		      "\tmeta.url\n", f);
	else if (strcmp(fmt, "stix") == 0)
		fputs("{\"type\":\"bundle\",\"id\":\"bundle--0\",\"objects\":[\n", f);
	else if (strcmp(fmt, "misp") == 0)
		fputs("{\"response\":{\"Attribute\":[\n", f);
	else if (strcmp(fmt, "warninglist") == 0)
		fputs("{\"description\":\"bench\",\"list\":[\n", f);
	for (uint64_t n = 0; n < count; n++) {
		uint64_t i = distinct ? n % distinct : n;
		gen_mixed(seed, i, mix, &ind);
		if (ind.type == CP_T_JA3 && strcmp(fmt, "stix") == 0)
			continue;  /* STIX has no JA3 path */
		cp_ind_format(&ind, v, sizeof(v));
		if (one(f, fmt, seed, i, &ind, v, first) < 0)
			return -1;
		first = 0;
	}
	if (strcmp(fmt, "stix") == 0 || strcmp(fmt, "misp") == 0)
		fputs(strcmp(fmt, "stix") == 0 ? "\n]}\n" : "\n]}}\n", f);
	else if (strcmp(fmt, "warninglist") == 0)
		fputs("\n],\"matching_attributes\":[],\"name\":\"bench\",\"type\":\"string\","
		      "\"version\":1}\n", f);
	return ferror(f) ? -1 : 0;
}
