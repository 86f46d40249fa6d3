/* JSON output helpers: escaping and tag lists. */
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
