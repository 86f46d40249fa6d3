/* Plain and CSV loaders: accepted syntax, and every bad line reported as
 * FILE:LINE: reason and counted per reason; --max-errors writes nothing. */
#include "loadrun.h"

#include <errno.h>
#include <sys/stat.h>

Test(loaders, invalid_arguments)
{
	struct cp_feed f;
	char err[256];

	cr_expect_eq(cp_feed_parse("", &f, err, sizeof(err)), -EINVAL);
	cr_expect_eq(cp_feed_parse("plain:x.txt,action=explode", &f, err, sizeof(err)), -EINVAL);
	cr_expect(strstr(err, "action") != NULL, "%s", err);
	cr_expect_eq(cp_feed_parse("plain:x.txt,noequals", &f, err, sizeof(err)), -EINVAL);
	cr_expect_eq(cp_feed_parse("plain:x.txt,confidence=101", &f, err, sizeof(err)), -EINVAL);
	cr_expect_eq(cp_feed_parse("csv:/a/b/intel.csv,value=2,feed=osint", &f, err, sizeof(err)), 0);
	cr_expect_str_eq(f.name, "osint");
	cr_expect_eq(cp_feed_parse("/a/b/intel.txt", &f, err, sizeof(err)), 0);
	cr_expect_str_eq(f.name, "intel", "default feed name is the base name");

	struct run r;
	load(&r, "plain:/nonexistent/feed.txt");
	cr_expect_eq(r.rc, -ENOENT);
	cr_expect(strstr(r.text, "/nonexistent/feed.txt: cannot read") != NULL, "%s", r.text);
	done(&r);
	char path[128];
	t_tmpname(path, sizeof(path), "opt.txt");
	t_write_file(path, "1.2.3.4\n");
	char spec[256];
	snprintf(spec, sizeof(spec), "plain:%s,header=yes", path);
	load(&r, spec);
	cr_expect_eq(r.rc, -EINVAL, "csv-only option on a plain feed");
	cr_expect(strstr(r.text, "unknown option 'header'") != NULL, "%s", r.text);
	done(&r);
	unlink(path);
}

Test(loaders, plain_syntax)
{
	char path[128], spec[256];
	struct run r;
	struct t_store ts;

	t_tmpname(path, sizeof(path), "plain.txt");
	t_write_file(path, "\xef\xbb\xbf# comment\r\n"
			   "10.0.0.1\r\n"
			   "\r\n"
			   "   evil.com   # inline comment\n"
			   "0.0.0.0 hosts-a.com hosts-b.com\n"
			   "127.0.0.1 localhost\n"
			   "d41d8cd98f00b204e9800998ecf8427e\n"
			   "http://Example.com:80/x/../y\n"
			   "last.example");  /* no final newline */
	snprintf(spec, sizeof(spec), "plain:%s,action=drop,feed=t", path);
	load(&r, spec);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	cr_expect_eq(r.diag.errors, 0, "%s", r.text);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_IPV4, "10.0.0.1"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "evil.com"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "hosts-a.com"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "hosts-b.com"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "localhost"), CP_ACT_NONE);
	cr_expect_eq(best(&ts, CP_T_MD5, "d41d8cd98f00b204e9800998ecf8427e"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_URL, "http://example.com/y"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "last.example"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "sub.evil.com"), CP_ACT_NONE, "bare domain is exact");
	t_close(&ts);
	done(&r);
	/* subdomains=yes and a forced type */
	t_write_file(path, "evil.com\nd41d8cd98f00b204e9800998ecf8427e\n");
	snprintf(spec, sizeof(spec), "plain:%s,subdomains=yes", path);
	load(&r, spec);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "sub.evil.com"), CP_ACT_ALERT);
	t_close(&ts);
	done(&r);
	snprintf(spec, sizeof(spec), "plain:%s,type=ja3", path);
	load(&r, spec);
	cr_expect_eq(r.diag.errors, 1, "evil.com is no ja3");
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_JA3, "d41d8cd98f00b204e9800998ecf8427e"), CP_ACT_ALERT);
	cr_expect_eq(best(&ts, CP_T_MD5, "d41d8cd98f00b204e9800998ecf8427e"), CP_ACT_NONE);
	t_close(&ts);
	done(&r);
	unlink(path);
}

Test(loaders, plain_errors_name_file_line_reason)
{
	char path[128], spec[256], want[300];
	struct run r;

	t_tmpname(path, sizeof(path), "bad.txt");
	t_write_file(path, "1.2.3.4\n"
			   "10.1.2.3/8\n"
			   "300.1.1.1\n"
			   "evil.com\n"
			   "192.168.0.13/24\n"
			   "a b c\n"
			   "bad\x01host.com\n"
			   "caf\xe9\x1b[31m.com\n");
	snprintf(spec, sizeof(spec), "plain:%s", path);
	load(&r, spec);
	cr_expect_eq(r.rc, 0);
	cr_expect_eq(r.diag.errors, 6, "%s", r.text);
	cr_expect_eq(reason_count(&r, "CIDR has host bits set"), 2);
	cr_expect_eq(reason_count(&r, "IPv4 octet out of range"), 1);
	cr_expect_eq(reason_count(&r, "whitespace inside value"), 1);
	cr_expect_eq(reason_count(&r, "invalid character in domain"), 1);
	snprintf(want, sizeof(want), "%s:2: CIDR has host bits set: '10.1.2.3/8'\n", path);
	cr_expect(strstr(r.text, want) != NULL, "want '%s' in:\n%s", want, r.text);
	snprintf(want, sizeof(want), "%s:5: CIDR has host bits set", path);
	cr_expect(strstr(r.text, want) != NULL, "%s", r.text);
	snprintf(want, sizeof(want), "%s:3: IPv4 octet out of range", path);
	cr_expect(strstr(r.text, want) != NULL, "%s", r.text);
	/* The value is shown, but a control byte (the ESC that would recolour
	 * the operator's terminal) or a byte that is not UTF-8 as \xNN. */
	snprintf(want, sizeof(want), "%s:7: invalid character in domain: 'bad\\x01host.com'\n",
		 path);
	cr_expect(strstr(r.text, want) != NULL, "want '%s' in:\n%s", want, r.text);
	snprintf(want, sizeof(want),
		 "%s:8: invalid internationalised domain name: 'caf\\xe9\\x1b[31m.com'\n", path);
	cr_expect(strstr(r.text, want) != NULL, "want '%s' in:\n%s", want, r.text);
	done(&r);
	/* a NUL byte is an error on its line, not the end of the file */
	FILE *f = fopen(path, "wb");
	fwrite("a.com\nb\0.com\nc.com\n", 1, 19, f);
	fclose(f);
	load(&r, spec);
	cr_expect_eq(reason_count(&r, "NUL byte in line"), 1, "%s", r.text);
	cr_expect_eq(r.diag.errors, 1);
	done(&r);
	unlink(path);
}

Test(loaders, csv_mapping_and_quotes)
{
	char path[128], spec[512];
	struct run r;
	struct t_store ts;

	t_tmpname(path, sizeof(path), "feed.csv");
	t_write_file(path, "# exported 2026-11-29\n"
			   "indicator,kind,verdict,score,ref\n"
			   "1.2.3.4,ipv4,allow,90,a-1\n"
			   "\"http://evil.com/a,b\",url,drop,50,a-2\n"
			   "\"quoted\"\"domain.com\",domain,drop,1,a-3\n"
			   "evil.org,domain,explode,1,a-4\n"
			   "evil.net,nosuchtype,drop,1,a-5\n"
			   "\"multi\nline.com\",domain,drop,1,a-6\n"
			   "late.com,domain,,,a-7\n");
	snprintf(spec, sizeof(spec),
		 "csv:%s,header=yes,value=indicator,type=kind,action=verdict,confidence=score,id=ref",
		 path);
	load(&r, spec);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	cr_expect_eq(reason_count(&r, "invalid action"), 1, "%s", r.text);
	cr_expect_eq(reason_count(&r, "unknown indicator type"), 1, "%s", r.text);
	cr_expect_eq(reason_count(&r, "invalid character in domain"), 2, "%s", r.text);
	char want[300];
	snprintf(want, sizeof(want), "%s:6: invalid action", path);
	cr_expect(strstr(r.text, want) != NULL, "%s", r.text);
	snprintf(want, sizeof(want), "%s:7: unknown indicator type: 'nosuchtype'", path);
	cr_expect(strstr(r.text, want) != NULL, "%s", r.text);
	snprintf(want, sizeof(want), "%s:8: invalid character in domain", path);
	cr_expect(strstr(r.text, want) != NULL, "record line of a multi-line field:\n%s", r.text);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_IPV4, "1.2.3.4"), CP_ACT_ALLOW);
	cr_expect_eq(best(&ts, CP_T_URL, "http://evil.com/a,b"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "late.com"), CP_ACT_ALERT, "empty action: default");
	t_close(&ts);
	done(&r);
	/* numeric columns, no header, semicolons */
	t_write_file(path, "x;evil.com;drop\ny;1.2.3.4;allow\n");
	snprintf(spec, sizeof(spec), "csv:%s,value=2,action=3,delim=;", path);
	load(&r, spec);
	cr_expect_eq(r.diag.errors, 0, "%s", r.text);
	t_open(r.c, &ts, NULL);
	cr_expect_eq(best(&ts, CP_T_DOMAIN, "evil.com"), CP_ACT_DROP);
	cr_expect_eq(best(&ts, CP_T_IPV4, "1.2.3.4"), CP_ACT_ALLOW);
	t_close(&ts);
	done(&r);
	/* an unterminated quote is reported, not swallowed */
	t_write_file(path, "a.com\n\"b.com\n");
	snprintf(spec, sizeof(spec), "csv:%s", path);
	load(&r, spec);
	cr_expect_eq(r.diag.errors, 1, "%s", r.text);
	done(&r);
	unlink(path);
}

Test(loaders, mixed_feeds_keep_both_contexts)
{
	char p1[128], p2[128], s1[256], s2[256], err[256];
	struct cp_compiler *c = cp_compiler_new(3);
	struct cp_diag d = { .out = stderr, .max_errors = UINT64_MAX, .max_print = 10 };
	struct cp_feed f;
	struct t_store ts;
	struct cp_match m[4];
	struct cp_ind q;
	const char *why;
	const uint32_t *e;

	t_tmpname(p1, sizeof(p1), "one.txt");
	t_tmpname(p2, sizeof(p2), "two.txt");
	t_write_file(p1, "shared.com\n");
	t_write_file(p2, "shared.com\n");
	snprintf(s1, sizeof(s1), "plain:%s,feed=one,action=alert", p1);
	snprintf(s2, sizeof(s2), "plain:%s,feed=two,action=allow", p2);
	cr_assert_eq(cp_feed_parse(s1, &f, err, sizeof(err)), 0);
	cr_assert_eq(cp_load_feed(&f, c, &d, NULL), 0);
	cr_assert_eq(cp_feed_parse(s2, &f, err, sizeof(err)), 0);
	cr_assert_eq(cp_load_feed(&f, c, &d, NULL), 0);
	t_open(c, &ts, NULL);
	cp_norm(CP_T_DOMAIN, "shared.com", 10, &q, &why);
	cr_assert_eq(cp_store_match(ts.store, &q, m, 4), 1);
	cr_expect_eq(cp_ref_action(m[0].ref), CP_ACT_ALLOW);
	cr_assert_eq(cp_store_set(ts.store, m[0].ref, &e), 2, "both feeds' contexts");
	const char *f0 = cp_store_str(ts.store, cp_store_meta(ts.store, e[0])->feed);
	const char *f1 = cp_store_str(ts.store, cp_store_meta(ts.store, e[1])->feed);
	cr_expect(strcmp(f0, "one") == 0 || strcmp(f1, "one") == 0);
	cr_expect(strcmp(f0, "two") == 0 || strcmp(f1, "two") == 0);
	t_close(&ts);
	cp_compiler_free(c);
	unlink(p1);
	unlink(p2);
}

Test(loaders, max_errors_writes_nothing)
{
	char feed[128], out[128], spec[256];
	const char *feeds[1] = { spec };
	struct stat st;

	t_tmpname(feed, sizeof(feed), "errs.txt");
	t_tmpname(out, sizeof(out), "out.cpsnap");
	t_write_file(feed, "1.2.3.4\n999.1.1.1\nbad domain\n5.6.7.8\n");
	snprintf(spec, sizeof(spec), "%s", feed);
	struct cp_compile_opts o = { .out = out, .feeds = feeds, .nfeeds = 1, .max_errors = 1,
				     .quiet = 1 };
	cr_expect_eq(cp_intel_compile(&o), 1);
	cr_expect_neq(stat(out, &st), 0, "no output past --max-errors");
	o.max_errors = 2;
	cr_expect_eq(cp_intel_compile(&o), 0);
	cr_expect_eq(stat(out, &st), 0, "written within the limit");
	unlink(out);
	unlink(feed);
}

/* A feed large enough to be split across threads: errors keep their line
 * numbers in every part, and the snapshot is byte for byte the one a single
 * thread makes. */
Test(loaders, plain_split_across_threads)
{
	static const uint64_t bad[] = { 7, 700001, 1200000 };
	const unsigned nlines = 1200000;
	char path[128], spec[256], want[256], out[2][128];
	struct run r;
	FILE *f;

	t_tmpname(path, sizeof(path), "big.txt");
	f = fopen(path, "w");
	for (unsigned i = 1, b = 0; i <= nlines; i++) {
		if (b < 3 && i == bad[b])
			fprintf(f, "999.%u.0.1\n", b++);
		else if (i % 3)
			fprintf(f, "10.%u.%u.%u\n", i >> 16 & 255, i >> 8 & 255, i & 255);
		else
			fprintf(f, "host%u.example.com\r\n", i);
	}
	fclose(f);
	struct stat st;
	stat(path, &st);
	cr_assert_gt(st.st_size, 16 << 20, "big enough for two 8 MiB parts");

	struct cp_load_opts two = { .threads = 2 };
	snprintf(spec, sizeof(spec), "plain:%s", path);
	load_opts(&r, spec, &two);
	cr_assert_eq(r.rc, 0, "%s", r.text);
	cr_expect_eq(r.diag.errors, 3);
	for (unsigned b = 0; b < 3; b++) {
		snprintf(want, sizeof(want), "%s:%llu: ", path, (unsigned long long)bad[b]);
		cr_expect(strstr(r.text, want) != NULL, "missing %s in %s", want, r.text);
	}
	done(&r);

	for (unsigned t = 0; t < 2; t++) {
		const char *feeds[] = { spec };
		t_tmpname(out[t], sizeof(out[t]), t ? "two.cpsnap" : "one.cpsnap");
		struct cp_compile_opts o = { .out = out[t], .feeds = feeds, .nfeeds = 1,
					     .max_errors = UINT64_MAX, .seed = 77, .quiet = 1,
					     .threads = t + 1 };
		cr_assert_eq(cp_intel_compile(&o), 0);
	}
	size_t n1, n2;
	uint8_t *s1 = t_read_file(out[0], &n1), *s2 = t_read_file(out[1], &n2);
	/* The header page differs only in its creation time and checksum. */
	cr_assert_eq(n1, n2);
	cr_expect(memcmp(s1 + 4096, s2 + 4096, n1 - 4096) == 0, "sections differ");
	free(s1);
	free(s2);
	unlink(out[0]);
	unlink(out[1]);
	unlink(path);
}
