/* Zeek, Suricata (datasets, datarep, iprep), STIX 2.1, MISP and warninglist
 * loaders: every mapped type from a fixture of our own, metadata, skips
 * counted by reason, and format detection from the first bytes. */
#include "loadrun.h"
#include "pattern/pattern.h"

#include <errno.h>
#include <sys/stat.h>


static char jbuf[4096];

static const char *J(struct t_store *ts, enum cp_itype t, const char *v)
{
	return lookup_json(ts, t, v, jbuf, sizeof(jbuf));
}

/* The empty input's md5, sha1 and sha256: fixtures use them for hashes. */
#define MD5_E "d41d8cd98f00b204e9800998ecf8427e"
#define SHA1_E "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define SHA256_E "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void expect_hashes(struct t_store *ts, enum cp_action a)
{
	cr_expect_eq(best(ts, CP_T_MD5, MD5_E), a);
	cr_expect_eq(best(ts, CP_T_SHA1, SHA1_E), a);
	cr_expect_eq(best(ts, CP_T_SHA256, SHA256_E), a);
}

Test(feeds, zeek_types_meta_and_skips)
{
	char path[128], spec[256];
	struct run r;
	struct t_store ts;

	/* Columns in an order of the file's own; a custom unset marker. */
	fixture(path, sizeof(path), "intel.dat",
		"#separator \\x09\n"
		"#unset_field\tNONE\n"
		"#fields\tmeta.source\tindicator_type\tindicator\tmeta.desc\tmeta.url\tmeta.whitelist\n"
		"srcA\tIntel::ADDR\t198.51.100.7\tc2 server\thttp://ref/1\tF\n"
		"srcA\tIntel::ADDR\t2001:db8::7\tc2 server\thttp://ref/1\tF\n"
		"srcB\tIntel::SUBNET\t203.0.113.0/24\tNONE\tNONE\tNONE\n"
		"srcB\tIntel::DOMAIN\tEvil.Example\tphish\tNONE\tF\n"
		"srcB\tIntel::URL\twww.bad.example/dl/x.exe\tNONE\tNONE\tF\n"
		"srcB\tIntel::FILE_HASH\td41d8cd98f00b204e9800998ecf8427e\tNONE\tNONE\tF\n"
		"srcB\tIntel::FILE_HASH\tda39a3ee5e6b4b0d3255bfef95601890afd80709\tNONE\tNONE\tF\n"
		"srcB\tIntel::FILE_HASH\te3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\tNONE\tNONE\tF\n"
		"srcB\tIntel::JA3\t31f7433ac38a9fd3a04f434162a4dc73\tNONE\tNONE\tF\n"
		"srcB\tIntel::EMAIL\tx@evil.example\tNONE\tNONE\tF\n"
		"srcB\tIntel::CERT_HASH\tda39a3ee5e6b4b0d3255bfef95601890afd80709\tNONE\tNONE\tF\n"
		"srcC\tIntel::DOMAIN\tgood.example\tNONE\tNONE\tT\n"
		"# a comment\n"
		"srcB\tIntel::ADDR\t300.1.1.1\tNONE\tNONE\tF\n"
		"srcB\tIntel::FILE_HASH\tnot-a-hash.example\tNONE\tNONE\tF\n"
		"srcB\tIntel::ADDR\n");
	snprintf(spec, sizeof(spec), "%s,action=drop", path);  /* detected, no zeek: */
	load(&r, spec);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	cr_expect_eq(r.diag.errors, 3, "%s", r.text);
	HAS(r.text, ":17: IPv4 octet out of range");
	HAS(r.text, ":18: FILE_HASH is not an md5, sha1 or sha256 digest");
	HAS(r.text, ":19: column count differs from #fields");
	cr_expect_eq(skip_count(&r, "zeek: indicator type we do not match"), 2);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_IPV4, "198.51.100.7"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_IPV6, "2001:db8::7"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_IPV4, "203.0.113.99"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "evil.example"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_URL, "http://www.bad.example/dl/x.exe"), CP_ACT_DROP);
	expect_hashes(&ts, CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_JA3, "31f7433ac38a9fd3a04f434162a4dc73"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "good.example"), CP_ACT_ALLOW, "meta.whitelist T");
	const char *j = J(&ts, CP_T_IPV4, "198.51.100.7");
	HAS(j, "\"feed\":\"srcA\"");
	HAS(j, "\"tags\":[\"c2 server\"]");
	HAS(j, "\"id\":\"http://ref/1\"");
	j = J(&ts, CP_T_IPV4, "203.0.113.5");
	HAS(j, "\"feed\":\"srcB\"");
	HAS(j, "\"tags\":[]");  /* desc unset */
	t_close(&ts);
	done(&r);
	/* Data before any #fields has nothing to map it. */
	fixture(path, sizeof(path), "nofields.dat", "1.2.3.4\tIntel::ADDR\n");
	snprintf(spec, sizeof(spec), "zeek:%s", path);
	load(&r, spec);
	HAS(r.text, ":1: data before a #fields header");
	done(&r);
	unlink(path);
}

/* base64 of "evil.example", ".sub.example" and "curl/7.43.0". */
#define B64_EVIL "ZXZpbC5leGFtcGxl"
#define B64_DOTSUB "LnN1Yi5leGFtcGxl"

Test(feeds, suricata_datasets_and_datarep)
{
	char path[128], spec[256];
	struct run r;
	struct t_store ts;

	fixture(path, sizeof(path), "ds.lst", B64_EVIL "\n" B64_DOTSUB "\nnot base64!\n");
	load(&r, path);  /* detected from the base64 lines */
	cr_assert_eq(r.rc, 0, "%s", r.text);
	HAS(r.text, ":3: invalid base64");
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "evil.example"), CP_ACT_ALERT);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "a.evil.example"), CP_ACT_NONE, "exact");
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "a.sub.example"), CP_ACT_ALERT, "dot prefix");
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "sub.example"), CP_ACT_ALERT);
	t_close(&ts);
	done(&r);
	/* Typed sets: md5 and sha256 hex, ipv4, ip (v6 and IPv4-mapped). */
	fixture(path, sizeof(path), "md5.lst", "D41D8CD98F00B204E9800998ECF8427E\n");
	snprintf(spec, sizeof(spec), "suricata:%s,dstype=md5", path);
	load(&r, spec);
	cr_expect_eq(r.diag.errors, 0, "%s", r.text);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_MD5, "d41d8cd98f00b204e9800998ecf8427e"), CP_ACT_ALERT);
	t_close(&ts);
	done(&r);
	fixture(path, sizeof(path), "ip.lst", "192.0.2.1\n2001:db8::1\n::ffff:198.51.100.2\n");
	snprintf(spec, sizeof(spec), "suricata:%s,dstype=ip,action=drop", path);
	load(&r, spec);
	cr_expect_eq(r.diag.errors, 0, "%s", r.text);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_IPV4, "192.0.2.1"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_IPV6, "2001:db8::1"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_IPV4, "198.51.100.2"), CP_ACT_DROP, "mapped is IPv4");
	t_close(&ts);
	done(&r);
	fixture(path, sizeof(path), "v4.lst", "192.0.2.1\n2001:db8::1\n");
	snprintf(spec, sizeof(spec), "suricata:%s,dstype=ipv4", path);
	load(&r, spec);
	cr_expect_eq(r.diag.errors, 1, "an IPv6 address in an ipv4 set: %s", r.text);
	done(&r);
	/* datarep: value,reputation; the reputation becomes a tag. */
	fixture(path, sizeof(path), "rep.rep",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,200\n"
		B64_EVIL ",90\n" B64_EVIL ",x\n");
	load(&r, path);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	HAS(r.text, ":3: datarep reputation is not a number");
	t_open(r.c, &ts, NULL);
	HAS(J(&ts, CP_T_SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	    "\"tags\":[\"reputation=200\"]");
	HAS(J(&ts, CP_T_DOMAIN, "evil.example"), "\"tags\":[\"reputation=90\"]");
	t_close(&ts);
	done(&r);
	/* A decoded string with control bytes is no indicator. */
	fixture(path, sizeof(path), "ctl.lst", "ZXZpbAouY29t\n");  /* "evil\n.com" */
	snprintf(spec, sizeof(spec), "suricata:%s,dstype=string", path);
	load(&r, spec);
	HAS(r.text, ":1: decoded string has control bytes");
	done(&r);
	snprintf(spec, sizeof(spec), "suricata:%s,dstype=bogus", path);
	load(&r, spec);
	cr_expect_eq(r.rc, -EINVAL);
	done(&r);
	unlink(path);
}

Test(feeds, suricata_iprep)
{
	char path[128], cats[128], spec[512];
	struct run r;
	struct t_store ts;

	fixture(cats, sizeof(cats), "categories.txt",
		"# id,shortname,description\n1,tor,Tor exit nodes\n7,cnc,CnC servers\n");
	fixture(path, sizeof(path), "rep.list",
		"# comment\n"
		"192.0.2.1,1,127\n"
		"198.51.100.0/24,7,64\n"
		"2001:db8::/32,7,100\n"
		"203.0.113.9,1,10\n"
		"203.0.113.10,5,100\n"
		"203.0.113.11,1,128\n"
		"192.0.2.0/8,1,50\n");
	snprintf(spec, sizeof(spec), "%s,categories=%s,min_score=20", path, cats);
	load(&r, spec);  /* detected as iprep */
	cr_assert_eq(r.rc, 0, "%s", r.text);
	HAS(r.text, ":6: category not in the categories file");
	HAS(r.text, ":7: score is not a number 0..127");
	HAS(r.text, ":8: CIDR has host bits set");
	cr_expect_eq(skip_count(&r, "iprep: score below min_score"), 1);
	t_open(r.c, &ts, NULL);
	const char *j = J(&ts, CP_T_IPV4, "192.0.2.1");
	HAS(j, "\"tags\":[\"tor\"]");
	HAS(j, "\"confidence\":100");
	j = J(&ts, CP_T_IPV4, "198.51.100.77");
	HAS(j, "\"tags\":[\"cnc\"]");
	HAS(j, "\"confidence\":50");
	cr_expect_eq(best(&ts, CP_T_IPV6, "2001:db8:1::1"), CP_ACT_ALERT);
	cr_expect_eq(best(&ts, CP_T_IPV4, "203.0.113.9"), CP_ACT_NONE, "below min_score");
	t_close(&ts);
	done(&r);
	/* Without a categories file the tag is the number. */
	snprintf(spec, sizeof(spec), "iprep:%s", path);
	load(&r, spec);
	t_open(r.c, &ts, NULL);
	HAS(J(&ts, CP_T_IPV4, "203.0.113.10"), "\"tags\":[\"category=5\"]");
	t_close(&ts);
	done(&r);
	/* A broken categories file stops the feed: names would be wrong. */
	t_write_file(cats, "x,tor,Tor\n");
	snprintf(spec, sizeof(spec), "iprep:%s,categories=%s", path, cats);
	load(&r, spec);
	cr_expect_eq(r.rc, -EINVAL);
	HAS(r.text, "categories.txt:1: categories: want ID");
	done(&r);
	unlink(path);
	unlink(cats);
}

static const char stix_bundle[] =
	"{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[\n"
	"{\"type\":\"identity\",\"id\":\"identity--1\",\"name\":\"x\"},\n"
	/* pattern before type: members come in any order */
	"{\"pattern\":\"[ipv4-addr:value = '198.51.100.1']\",\"type\":\"indicator\",\n"
	" \"spec_version\":\"2.1\",\"id\":\"indicator--a\",\"pattern_type\":\"stix\",\n"
	" \"confidence\":85,\"labels\":[\"c2\"],\"indicator_types\":[\"malicious-activity\"]},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--b\",\"pattern_type\":\"stix\",\n"
	" \"pattern\":\"[domain-name:value = 'evil.example' OR ipv6-addr:value = '2001:db8::b'] OR [url:value = 'http://evil.example/a\\\\'b']\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--c\",\"pattern_type\":\"stix\",\n"
	" \"pattern\":\"[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' OR file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' OR file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709' OR file:name = 'x.exe']\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--d\",\"pattern_type\":\"stix\",\n"
	" \"pattern\":\"[ipv4-addr:value ISSUBSET '203.0.113.0/24']\",\"valid_until\":\"2999-01-01T00:00:00Z\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--e\",\"pattern_type\":\"stix\",\n"
	" \"pattern\":\"[ipv4-addr:value = '192.0.2.5' AND domain-name:value = 'and.example']\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--f\",\"pattern_type\":\"stix\",\"revoked\":true,\n"
	" \"pattern\":\"[ipv4-addr:value = '192.0.2.6']\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--g\",\"pattern_type\":\"pcre\",\"pattern\":\"/x+/\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--h\",\"pattern_type\":\"stix\",\n"
	" \"pattern\":\"[ipv4-addr:value = '192.0.2.7']\",\"valid_until\":\"2001-01-01T00:00:00Z\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--i\",\"pattern_type\":\"stix\",\n"
	" \"pattern\":\"[ipv4-addr:value = '192.0.2.8'\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--j\",\"pattern_type\":\"stix\",\n"
	" \"pattern\":\"[domain-name:value LIKE '%.example' OR domain-name:value NOT = 'n.example' OR domain-name:value = 'kept.example']\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--k\",\"pattern_type\":\"stix\",\n"
	" \"pattern\":\"[ipv4-addr:value = '192.0.2.9'] REPEATS 5 TIMES\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--l\",\"pattern_type\":\"stix\",\n"
	" \"pattern\":\"[ipv4-addr:value = '192.0.2.10'] FOLLOWEDBY [ipv4-addr:value = '192.0.2.11']\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--m\",\"pattern_type\":\"pcre\",\"labels\":[\"c2\"],\n"
	" \"pattern\":\"beacon-[0-9]+\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--n\",\"pattern_type\":\"yara\",\"pattern\":\"rule x {}\"},\n"
	"{\"type\":\"indicator\",\"id\":\"indicator--o\",\"pattern_type\":\"pcre\",\"pattern\":\"(unclosed\"}\n"
	"]}\n";

Test(feeds, stix_bundle)
{
	char path[128];
	struct run r;
	struct t_store ts;
	struct cp_compile_stats st;

	fixture(path, sizeof(path), "bundle.json", stix_bundle);
	load(&r, path);  /* detected */
	cr_assert_eq(r.rc, 0, "%s", r.text);
	cr_expect_eq(r.diag.errors, 2, "%s", r.text);
	HAS(r.text, ":20: expected ']'");
	HAS(r.text, ":30: regex refused by Hyperscan: 'Missing close parenthesis");
	cr_expect_eq(skip_count(&r, "stix: AND of several conditions"), 1);
	cr_expect_eq(skip_count(&r, "stix: AND or FOLLOWEDBY of several observations"), 1);
	cr_expect_eq(skip_count(&r, "stix: revoked"), 1);
	cr_expect_eq(skip_count(&r, "stix: pattern_type other than stix or pcre"), 1);
	cr_expect_eq(skip_count(&r, "stix: object path we do not match"), 1);
	cr_expect_eq(skip_count(&r, "stix: operator other than = or ISSUBSET"), 1);
	cr_expect_eq(skip_count(&r, "stix: NOT comparison"), 1);
	cr_expect_eq(skip_count(&r, "stix: observation qualifier (WITHIN, REPEATS, START/STOP)"), 1);
	t_open(r.c, &ts, &st);
	cr_expect_eq(st.expired, 1, "valid_until in the past");
	cr_expect_eq(best(&ts, CP_T_IPV4, "192.0.2.7"), CP_ACT_NONE);
	const char *j = J(&ts, CP_T_IPV4, "198.51.100.1");
	HAS(j, "\"id\":\"indicator--a\"");
	HAS(j, "\"confidence\":85");
	HAS(j, "\"tags\":[\"c2\",\"malicious-activity\"]");
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "evil.example"), CP_ACT_ALERT);
	cr_expect_eq(best(&ts, CP_T_IPV6, "2001:db8::b"), CP_ACT_ALERT);
	cr_expect_eq(best(&ts, CP_T_URL, "http://evil.example/a'b"), CP_ACT_ALERT, "unescaped");
	expect_hashes(&ts, CP_ACT_ALERT);
	cr_expect_eq(best(&ts, CP_T_IPV4, "203.0.113.77"), CP_ACT_ALERT, "ISSUBSET");
	HAS(J(&ts, CP_T_IPV4, "203.0.113.77"), "\"valid_until\":\"2999-01-01");
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "kept.example"), CP_ACT_ALERT, "OR'ed term stands");
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "n.example"), CP_ACT_NONE);
	cr_expect_eq(best(&ts, CP_T_IPV4, "192.0.2.5"), CP_ACT_NONE, "AND skipped whole");
	cr_expect_eq(best(&ts, CP_T_IPV4, "192.0.2.6"), CP_ACT_NONE, "revoked");
	cr_expect_eq(best(&ts, CP_T_IPV4, "192.0.2.9"), CP_ACT_NONE, "qualified");
	cr_expect_eq(best(&ts, CP_T_IPV4, "192.0.2.10"), CP_ACT_NONE, "FOLLOWEDBY");
	/* pcre indicators are payload patterns, with their ids and labels. */
	cr_expect_eq(st.patterns[CP_PT_PAYLOAD], 2);
	uint32_t np;
	const struct cp_pat_ref *pr;
	cr_assert_not_null(cp_store_patterns(ts.store, CP_PT_PAYLOAD, &np, &pr));
	cr_assert_eq(np, 2);
	cr_expect_str_eq(cp_store_str(ts.store, pr[0].text), "/x+/");
	cr_expect_str_eq(cp_store_str(ts.store, pr[1].text), "/beacon-[0-9]+/", "bare regex");
	const struct cp_meta_rec *pm = cp_store_meta(ts.store, pr[1].meta);
	cr_expect_str_eq(cp_store_str(ts.store, pm->id), "indicator--m");
	cr_expect_str_eq(cp_store_str(ts.store, pm->tags), "c2");
	t_close(&ts);
	done(&r);
	/* ids=no leaves the ids out, so indicators share one record. */
	char spec[256];
	snprintf(spec, sizeof(spec), "stix:%s,ids=no,target=url", path);
	load(&r, spec);
	t_open(r.c, &ts, &st);
	cr_expect_eq(st.patterns[CP_PT_URL], 2, "target= sends pcre patterns to the URL");
	cr_expect(strstr(J(&ts, CP_T_IPV4, "198.51.100.1"), "\"id\"") == NULL, "%s", jbuf);
	cr_expect_lt(st.nmeta, 6, "records without ids: %llu", (unsigned long long)st.nmeta);
	t_close(&ts);
	done(&r);
	unlink(path);
}

Test(feeds, stix_lone_objects_and_streams)
{
	char path[128], spec[256];
	struct run r;
	struct t_store ts;

	fixture(path, sizeof(path), "one.json",
		"{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--z\","
		"\"pattern_type\":\"stix\",\"pattern\":\"[ipv4-addr:value = '192.0.2.200']\"}");
	load(&r, path);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_IPV4, "192.0.2.200"), CP_ACT_ALERT);
	t_close(&ts);
	done(&r);
	/* NDJSON: one object a line, as TAXII clients often save them. */
	fixture(path, sizeof(path), "stream.json",
		"{\"type\":\"indicator\",\"id\":\"indicator--1\",\"pattern_type\":\"stix\","
		"\"pattern\":\"[domain-name:value = 'one.example']\"}\n"
		"{\"type\":\"indicator\",\"id\":\"indicator--2\",\"pattern_type\":\"stix\","
		"\"pattern\":\"[domain-name:value = 'two.example']\"}\n");
	snprintf(spec, sizeof(spec), "stix:%s,action=drop", path);
	load(&r, spec);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "one.example"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "two.example"), CP_ACT_DROP);
	t_close(&ts);
	done(&r);
	unlink(path);
}

static const char misp_event[] =
	"{\"Event\":{\"info\":\"test\",\"threat_level_id\":\"1\",\"Attribute\":[\n"
	"{\"type\":\"ip-dst\",\"value\":\"198.51.100.20\",\"to_ids\":true,\"uuid\":\"u-1\",\n"
	"  \"Tag\":[{\"name\":\"tlp:white\"},{\"name\":\"apt\"}]},\n"
	"{\"type\":\"ip-src\",\"value\":\"2001:db8::20\",\"to_ids\":true,\"uuid\":\"u-2\"},\n"
	"{\"type\":\"ip-dst|port\",\"value\":\"198.51.100.21|443\",\"to_ids\":true,\"uuid\":\"u-3\"},\n"
	"{\"type\":\"ip-src|port\",\"value\":\"198.51.100.22|8080\",\"to_ids\":\"1\",\"uuid\":\"u-4\"},\n"
	"{\"type\":\"domain\",\"value\":\"misp-domain.example\",\"to_ids\":true,\"uuid\":\"u-5\"},\n"
	"{\"type\":\"hostname\",\"value\":\"host.misp.example\",\"to_ids\":true,\"uuid\":\"u-6\"},\n"
	"{\"type\":\"domain|ip\",\"value\":\"both.example|198.51.100.23\",\"to_ids\":true,\"uuid\":\"u-7\"},\n"
	"{\"type\":\"url\",\"value\":\"http://misp.example/payload\",\"to_ids\":true,\"uuid\":\"u-8\"},\n"
	"{\"type\":\"md5\",\"value\":\"d41d8cd98f00b204e9800998ecf8427e\",\"to_ids\":true,\"uuid\":\"u-9\"},\n"
	"{\"type\":\"sha1\",\"value\":\"da39a3ee5e6b4b0d3255bfef95601890afd80709\",\"to_ids\":true},\n"
	"{\"type\":\"sha256\",\"value\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"to_ids\":true},\n"
	"{\"type\":\"ja3-fingerprint-md5\",\"value\":\"31f7433ac38a9fd3a04f434162a4dc73\",\"to_ids\":true},\n"
	"{\"type\":\"ip-dst\",\"value\":\"198.51.100.30\",\"to_ids\":false,\"uuid\":\"u-off\"},\n"
	"{\"type\":\"ip-dst\",\"value\":\"198.51.100.31\",\"to_ids\":true,\"deleted\":true},\n"
	"{\"type\":\"regkey\",\"value\":\"HKLM\\\\x\",\"to_ids\":true},\n"
	"{\"type\":\"ip-dst\",\"value\":\"198.51.100.999\",\"to_ids\":true}\n"
	"],\"Object\":[{\"name\":\"file\",\"Attribute\":[\n"
	"{\"type\":\"filename|md5\",\"value\":\"a.exe|0cc175b9c0f1b6a831c399e269772661\",\"to_ids\":true},\n"
	"{\"type\":\"filename|sha1\",\"value\":\"b.exe|86f7e437faa5a7fce15d1ddcb9eaeaea377667b8\",\"to_ids\":true},\n"
	"{\"type\":\"filename|sha256\",\"value\":\"c.exe|ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb\",\"to_ids\":true}\n"
	"]}],\"Tag\":[{\"name\":\"event-level\"}]}}\n";

Test(feeds, misp_event_and_rest_search)
{
	char path[128], spec[256];
	struct run r;
	struct t_store ts;

	fixture(path, sizeof(path), "event.json", misp_event);
	snprintf(spec, sizeof(spec), "%s,action=drop,feed=misp-test", path);
	load(&r, spec);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	cr_expect_eq(r.diag.errors, 1, "%s", r.text);
	HAS(r.text, ":18: IPv4 octet out of range");
	cr_expect_eq(skip_count(&r, "misp: to_ids is false"), 1);
	cr_expect_eq(skip_count(&r, "misp: deleted attribute"), 1);
	cr_expect_eq(skip_count(&r, "misp: attribute type we do not match"), 1);
	t_open(r.c, &ts, NULL);
	const char *j = J(&ts, CP_T_IPV4, "198.51.100.20");
	HAS(j, "\"id\":\"u-1\"");
	HAS(j, "\"tags\":[\"tlp:white\",\"apt\"]");
	HAS(j, "\"feed\":\"misp-test\"");
	cr_expect_eq(best(&ts, CP_T_IPV6, "2001:db8::20"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_IPV4, "198.51.100.21"), CP_ACT_DROP, "ip|port");
	cr_expect_eq(best(&ts, CP_T_IPV4, "198.51.100.22"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "misp-domain.example"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "host.misp.example"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "both.example"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_IPV4, "198.51.100.23"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_URL, "http://misp.example/payload"), CP_ACT_DROP);
	expect_hashes(&ts, CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_JA3, "31f7433ac38a9fd3a04f434162a4dc73"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_MD5, "0cc175b9c0f1b6a831c399e269772661"), CP_ACT_DROP, "Object");
	cr_expect_eq(best(&ts, CP_T_SHA1, "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_SHA256,
			  "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
		     CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_IPV4, "198.51.100.30"), CP_ACT_NONE, "to_ids false");
	cr_expect_eq(best(&ts, CP_T_IPV4, "198.51.100.31"), CP_ACT_NONE, "deleted");
	t_close(&ts);
	done(&r);
	/* to_ids=no takes them all. */
	snprintf(spec, sizeof(spec), "misp:%s,to_ids=no", path);
	load(&r, spec);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_IPV4, "198.51.100.30"), CP_ACT_ALERT);
	t_close(&ts);
	done(&r);
	/* restSearch attribute lists. */
	fixture(path, sizeof(path), "rest.json",
		"{\"response\":{\"Attribute\":[{\"id\":\"1\",\"type\":\"url\",\"to_ids\":true,"
		"\"value\":\"https://rest.example/x\",\"uuid\":\"r-1\",\"Event\":{\"info\":\"e\"}}]}}");
	load(&r, path);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	t_open(r.c, &ts, NULL);
	HAS(J(&ts, CP_T_URL, "https://rest.example/x"), "\"id\":\"r-1\"");
	t_close(&ts);
	done(&r);
	unlink(path);
}

Test(feeds, misp_warninglists)
{
	char path[128], spec[256];
	struct run r;
	struct t_store ts;

	/* Keys sorted as MISP writes them: the list comes before its type. */
	fixture(path, sizeof(path), "list.json",
		"{\"description\":\"d\",\"list\":[\"192.0.2.0/24\",\"2001:db8::/48\",\"198.51.100.1\"],"
		"\"matching_attributes\":[\"ip-dst\"],\"name\":\"Test ranges\",\"type\":\"cidr\","
		"\"version\":1}");
	load(&r, path);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_IPV4, "192.0.2.7"), CP_ACT_ALLOW);
	cr_expect_eq(best(&ts, CP_T_IPV6, "2001:db8::9"), CP_ACT_ALLOW);
	HAS(J(&ts, CP_T_IPV4, "198.51.100.1"), "\"feed\":\"Test ranges\"");
	t_close(&ts);
	done(&r);
	fixture(path, sizeof(path), "list.json",
		"{\"list\":[\"bit.ly\",\"t.co\"],\"matching_attributes\":[\"hostname\"],"
		"\"name\":\"Shorteners\",\"type\":\"hostname\"}");
	load(&r, path);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "bit.ly"), CP_ACT_ALLOW);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "x.t.co"), CP_ACT_ALLOW, "subdomains too");
	t_close(&ts);
	done(&r);
	fixture(path, sizeof(path), "list.json",
		"{\"list\":[\"d41d8cd98f00b204e9800998ecf8427e\",\"3::\","
		"\"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e\"],"
		"\"matching_attributes\":[\"md5\"],\"name\":\"Empty\",\"type\":\"string\"}");
	snprintf(spec, sizeof(spec), "warninglist:%s,action=alert", path);
	load(&r, spec);
	cr_expect_eq(skip_count(&r, "warninglist: string of a type we do not match"), 2);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_MD5, "d41d8cd98f00b204e9800998ecf8427e"), CP_ACT_ALERT,
		     "action= overrides allow");
	t_close(&ts);
	done(&r);
	fixture(path, sizeof(path), "list.json",
		"{\"list\":[\"goog\"],\"matching_attributes\":[\"x\"],\"name\":\"S\",\"type\":\"substring\"}");
	load(&r, path);
	cr_expect_eq(skip_count(&r, "warninglist: substring or regex list"), 1);
	done(&r);
	unlink(path);
}

Test(feeds, mixed_formats_keep_contexts_and_precedence)
{
	char p1[128], p2[128], p3[128], s2[256];
	const char *feeds[3] = { p1, s2, p3 };
	char out[128];
	struct t_store ts;

	fixture(p1, sizeof(p1), "a.json",
		"{\"type\":\"indicator\",\"id\":\"indicator--m\",\"pattern_type\":\"stix\","
		"\"pattern\":\"[ipv4-addr:value = '192.0.2.50']\"}");
	fixture(p2, sizeof(p2), "b.dat",
		"#fields\tindicator\tindicator_type\tmeta.source\n192.0.2.50\tIntel::ADDR\tzeekfeed\n");
	snprintf(s2, sizeof(s2), "%s,action=drop", p2);
	fixture(p3, sizeof(p3), "c.json",
		"{\"list\":[\"192.0.2.50\"],\"matching_attributes\":[\"ip-dst\"],\"name\":\"ok\","
		"\"type\":\"cidr\"}");
	t_tmpname(out, sizeof(out), "mixed.cpsnap");
	struct cp_compile_opts o = { .out = out, .feeds = feeds, .nfeeds = 3, .seed = 1,
				     .max_errors = UINT64_MAX, .quiet = 1 };
	cr_assert_eq(cp_intel_compile(&o), 0);
	char err[256];
	ts.snap = cp_snap_open(out, 0, err, sizeof(err));
	cr_assert_not_null(ts.snap, "%s", err);
	ts.store = cp_store_open(ts.snap);
	snprintf(ts.path, sizeof(ts.path), "%s", out);
	cr_expect_eq(best(&ts, CP_T_IPV4, "192.0.2.50"), CP_ACT_ALLOW);
	const char *j = J(&ts, CP_T_IPV4, "192.0.2.50");
	HAS(j, "\"id\":\"indicator--m\"");
	HAS(j, "\"feed\":\"zeekfeed\"");
	HAS(j, "\"feed\":\"ok\"");
	t_close(&ts);
	/* Without the warninglist, drop beats alert. */
	o.nfeeds = 2;
	cr_assert_eq(cp_intel_compile(&o), 0);
	ts.snap = cp_snap_open(out, 0, err, sizeof(err));
	ts.store = cp_store_open(ts.snap);
	cr_expect_eq(best(&ts, CP_T_IPV4, "192.0.2.50"), CP_ACT_DROP);
	t_close(&ts);
	unlink(p1);
	unlink(p2);
	unlink(p3);
}

Test(feeds, detection_from_first_bytes)
{
	static const struct {
		const char *head;
		const char *fmt;
	} cases[] = {
		{ "#separator \\x09\n#fields\tindicator\n", "zeek" },
		{ "#fields\tindicator\tindicator_type\n", "zeek" },
		{ "\xef\xbb\xbf{\"type\": \"bundle\", \"objects\": []}", "stix" },
		{ "{\"type\":\"indicator\",\"spec_version\":\"2.1\"}", "stix" },
		{ "{\"Event\": {\"Attribute\": []}}", "misp" },
		{ "{\"response\": {\"Attribute\": []}}", "misp" },
		{ "{\"list\": [], \"matching_attributes\": [], \"type\": \"cidr\"}", "warninglist" },
		{ "# rep\n192.0.2.1,1,100\n", "iprep" },
		{ "ZXZpbC5leGFtcGxl\n", "suricata" },
		{ "d41d8cd98f00b204e9800998ecf8427e,200\n", "suricata" },
		{ "d41d8cd98f00b204e9800998ecf8427e\nevil.example\n", "plain" },
		{ "1.2.3.4\n", "plain" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct cp_loader *l = cp_loader_detect(
			"feed", (const uint8_t *)cases[i].head, strlen(cases[i].head));
		cr_expect_str_eq(l->name, cases[i].fmt, "case %zu", i);
	}
	cr_expect_str_eq(cp_loader_detect("x.csv", (const uint8_t *)"a,b\n", 4)->name, "csv");
}

/* Loads text as a STIX feed; returns the loader's result. */
static int load_json(struct run *r, const char *fmt, const char *text, size_t n)
{
	char path[128], spec[256];
	FILE *f;

	t_tmpname(path, sizeof(path), "bad.json");
	cr_assert_not_null(f = fopen(path, "wb"));
	cr_assert_eq(fwrite(text, 1, n, f), n);
	fclose(f);
	snprintf(spec, sizeof(spec), "%s:%s", fmt, path);
	load(r, spec);
	unlink(path);
	return r->rc;
}

Test(feeds, broken_json_ends_cleanly)
{
	struct run r;
	size_t big = 100u << 20;
	char *p = malloc(big + 64);

	cr_assert_not_null(p);
	/* 100 k nested '[': stopped at 64 levels, no stack growth. */
	memset(p, '[', 100000);
	cr_expect_eq(load_json(&r, "stix", p, 100000), -EBADMSG);
	HAS(r.text, ":1: JSON nested deeper than 64 levels: 'column 65 (byte 64)");
	done(&r);
	/* A 100 MB string. */
	memcpy(p, "{\"x\":\"", 6);
	memset(p + 6, 'a', big);
	memcpy(p + 6 + big, "\"}", 2);
	cr_expect_eq(load_json(&r, "misp", p, big + 8), -EBADMSG);
	HAS(r.text, ":1: JSON string longer than 1 MiB");
	done(&r);
	free(p);
	/* Invalid UTF-8 inside a string. */
	static const char utf[] = "{\"type\":\"indicator\",\n\"pattern\":\"\xc3\x28\"}";
	cr_expect_eq(load_json(&r, "stix", utf, sizeof(utf) - 1), -EBADMSG);
	HAS(r.text, ":2: JSON syntax error");
	HAS(r.text, "UTF8");
	done(&r);
	/* A NUL, and a BOM where the JSON is not at its start. */
	static const char nul[] = "{\"a\":\n 1\0}";
	cr_expect_eq(load_json(&r, "stix", nul, sizeof(nul) - 1), -EBADMSG);
	HAS(r.text, ":2: JSON syntax error: 'column 3 (byte 8)");
	done(&r);
	static const char bom2[] = "{\"list\":[\"\xef\xbb\xbf\" \xef\xbb\xbf]}";
	cr_expect_eq(load_json(&r, "warninglist", bom2, sizeof(bom2) - 1), -EBADMSG);
	done(&r);
	/* A leading BOM is allowed (RFC 8259 lets parsers ignore it). */
	static const char bom[] = "\xef\xbb\xbf{\"type\":\"indicator\",\"pattern_type\":\"stix\","
				  "\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\"}";
	cr_expect_eq(load_json(&r, "stix", bom, sizeof(bom) - 1), 0, "%s", r.text);
	done(&r);
	/* Truncated: the objects already read are not kept either. */
	static const char cut[] = "{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\","
				  "\"pattern_type\":\"stix\",\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\"},\n{\"type\"";
	cr_expect_eq(load_json(&r, "stix", cut, sizeof(cut) - 1), -EBADMSG);
	HAS(r.text, ":2: JSON ends early (truncated?)");
	done(&r);
}

Test(feeds, json_errors_obey_max_errors_and_write_nothing)
{
	char feed[128], out[128], spec[256];
	const char *feeds[1] = { spec };
	struct stat st;

	fixture(feed, sizeof(feed), "errs.json",
		"{\"Event\":{\"Attribute\":[\n"
		"{\"type\":\"ip-dst\",\"value\":\"192.0.2.300\",\"to_ids\":true},\n"
		"{\"type\":\"domain\",\"value\":\"bad domain\",\"to_ids\":true},\n"
		"{\"type\":\"ip-dst\",\"value\":\"192.0.2.3\",\"to_ids\":true}]}}");
	snprintf(spec, sizeof(spec), "%s", feed);
	t_tmpname(out, sizeof(out), "out.cpsnap");
	struct cp_compile_opts o = { .out = out, .feeds = feeds, .nfeeds = 1, .seed = 1,
				     .max_errors = 1, .quiet = 1 };
	cr_expect_eq(cp_intel_compile(&o), 1, "past --max-errors");
	cr_expect_neq(stat(out, &st), 0, "nothing written");
	o.max_errors = 2;
	cr_expect_eq(cp_intel_compile(&o), 0);
	cr_expect_eq(stat(out, &st), 0);
	unlink(out);
	/* Broken JSON is never written, whatever the limit. */
	t_write_file(feed, "{\"Event\":{\"Attribute\":[{\"type\":\"ip-dst\",\"value\":\"192.0.2.3\"");
	o.max_errors = UINT64_MAX;
	cr_expect_eq(cp_intel_compile(&o), 2);
	cr_expect_neq(stat(out, &st), 0);
	unlink(feed);
}

/* The line formats meet the same hostile inputs: a NUL, a BOM, a 100 MB
 * line and a file cut mid-line each end in a reported error or a clean
 * load, with the good lines around them kept. */
Test(feeds, line_formats_hostile_input)
{
	static const struct {
		const char *fmt, *head, *good;
		enum cp_itype t;
		const char *value;
	} f[] = {
		{ "plain", "", "192.0.2.1\n", CP_T_IPV4, "192.0.2.1" },
		{ "csv", "", "192.0.2.1,x\n", CP_T_IPV4, "192.0.2.1" },
		{ "zeek", "#fields\tindicator\tindicator_type\n", "192.0.2.1\tIntel::ADDR\n",
		  CP_T_IPV4, "192.0.2.1" },
		{ "suricata", "", B64_EVIL "\n", CP_T_DOMAIN, "evil.example" },
		{ "iprep", "", "192.0.2.1,1,100\n", CP_T_IPV4, "192.0.2.1" },
	};
	size_t big = 100u << 20;
	char path[128], spec[256];

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t hl = strlen(f[i].head), gl = strlen(f[i].good), at = 0;
		char *p = malloc(3 + hl + 2 * gl + 8 + big + gl + 16);
		cr_assert_not_null(p);
		memcpy(p, "\xef\xbb\xbf", 3), at = 3;
		memcpy(p + at, f[i].head, hl), at += hl;
		memcpy(p + at, f[i].good, gl), at += gl;
		memcpy(p + at, "a\0b\n", 4), at += 4;     /* a NUL */
		memset(p + at, 'x', big), at += big;      /* a 100 MB line */
		p[at++] = '\n';
		memcpy(p + at, f[i].good, gl), at += gl;
		memcpy(p + at, "192.0", 5), at += 5;      /* cut mid-line */
		t_tmpname(path, sizeof(path), "hostile");
		FILE *fp = fopen(path, "wb");
		cr_assert_eq(fwrite(p, 1, at, fp), at);
		fclose(fp);
		free(p);
		snprintf(spec, sizeof(spec), "%s:%s", f[i].fmt, path);
		struct run r;
		struct t_store ts;
		load(&r, spec);
		cr_expect_eq(r.rc, 0, "%s: %s", f[i].fmt, r.text);
		cr_expect_geq(r.diag.errors, 3, "%s: NUL, long line, cut line: %s", f[i].fmt, r.text);
		char want[32];
		snprintf(want, sizeof(want), ":%d: NUL byte in line", 2 + (hl > 0));
		cr_expect(strstr(r.text, want) != NULL, "%s: %s", f[i].fmt, r.text);
		t_open(r.c, &ts, NULL);
		cr_expect_eq(best(&ts, f[i].t, f[i].value), CP_ACT_ALERT, "%s", f[i].fmt);
		t_close(&ts);
		done(&r);
		unlink(path);
	}
}
