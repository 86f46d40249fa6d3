/* JSON output helpers: escaping, tag lists and times. */
#include "helpers.h"
#include "common/json.h"

static char *capture(void (*fn)(FILE *, const char *), const char *in)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	fn(f, in);
	fclose(f);
	return buf;
}

Test(json, strings_are_escaped)
{
	char *s = capture(cp_json_str, "a\"b\\c\nd\x01" "é");
	cr_expect_str_eq(s, "\"a\\\"b\\\\c\\u000ad\\u0001é\"");
	free(s);
}

Test(json, tag_lists)
{
	static const struct { const char *in, *want; } t[] = {
		{ NULL, "[]" }, { "", "[]" }, { "apt", "[\"apt\"]" },
		{ "apt,c2,\"x\"", "[\"apt\",\"c2\",\"\\\"x\\\"\"]" }, { "a,", "[\"a\"]" },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *s = capture(cp_json_tags, t[i].in);
		cr_expect_str_eq(s, t[i].want, "%s", t[i].in ? t[i].in : "(null)");
		free(s);
	}
}

/* Times as `lookup` and `info` print them; one gmtime cannot represent (a
 * crafted valid_until: its year overflows an int) is printed as a number,
 * where gmtime's NULL once reached strftime (found by fuzz_snap). */
Test(json, iso_times)
{
	static const struct { int64_t secs; const char *want; } t[] = {
		{ 0, "1970-01-01T00:00:00Z" }, { 1796601660, "2026-12-07T00:01:00Z" },
		{ -1, "1969-12-31T23:59:59Z" }, { INT64_MAX, "9223372036854775807" },
		{ INT64_MIN, "-9223372036854775808" },
	};
	char buf[32];
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cp_json_iso_time(t[i].secs, buf, sizeof(buf));
		cr_expect_str_eq(buf, t[i].want, "%lld", (long long)t[i].secs);
	}
}
