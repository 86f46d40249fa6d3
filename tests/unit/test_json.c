/* JSON output helpers: escaping, tag lists and times. */
#include "helpers.h"
#include "common/json.h"

#include <jansson.h>

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

/* RFC 3629's sequences, against the lengths cp_utf8_seq gives them. */
Test(json, utf8_sequences)
{
	static const struct { const char *s; size_t want; } t[] = {
		{ "a", 1 }, { "\x7f", 1 }, { "\xc3\xa9", 2 }, { "\xe2\x82\xac", 3 },
		{ "\xf0\x9f\x98\x80", 4 }, { "\xf4\x8f\xbf\xbf", 4 },    /* U+10FFFF */
		{ "\xed\x9f\xbf", 3 },                                    /* U+D7FF */
		{ "\xee\x80\x80", 3 },                                    /* U+E000 */
		{ "\x80", 0 }, { "\xbf", 0 },                             /* stray continuations */
		{ "\xc0\x80", 0 }, { "\xc1\xbf", 0 },                     /* overlong NUL, '\x7f' */
		{ "\xe0\x9f\xbf", 0 }, { "\xf0\x8f\xbf\xbf", 0 },         /* overlong 3 and 4 */
		{ "\xed\xa0\x80", 0 }, { "\xed\xbf\xbf", 0 },             /* surrogates */
		{ "\xf4\x90\x80\x80", 0 }, { "\xf5\x80\x80\x80", 0 },     /* past U+10FFFF */
		{ "\xff", 0 }, { "\xfe", 0 },
		{ "\xc3", 0 }, { "\xe2\x82", 0 }, { "\xf0\x9f\x98", 0 },  /* cut short by the NUL */
		{ "\xe2\x28\xa1", 0 }, { "\xc3\x28", 0 },                 /* continuation missing */
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_eq(cp_utf8_seq(t[i].s), t[i].want, "case %u", i);
}

/* Bytes that are not UTF-8 come out as the text \xNN, so the line stays
 * JSON: before, a Latin-1 tag from a CSV feed made `lookup`'s and the
 * EVE writer's lines unreadable to a strict parser. */
Test(json, bytes_that_are_not_utf8)
{
	static const struct { const char *in, *want; } t[] = {
		{ "caf\xe9", "\"caf\\\\xe9\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		{ "\xed\xa0\x80", "\"\\\\xed\\\\xa0\\\\x80\"" },
		{ "\xe2\x82" "x", "\"\\\\xe2\\\\x82x\"" },
		{ "a\xff\x01\"", "\"a\\\\xff\\u0001\\\"\"" },
		{ "\xf0\x9f\x98\x80!", "\"\xf0\x9f\x98\x80!\"" },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *s = capture(cp_json_str, t[i].in);
		cr_expect_str_eq(s, t[i].want, "case %u", i);
		json_error_t e;
		json_t *j = json_loads(s, JSON_DECODE_ANY, &e);
		cr_expect_not_null(j, "case %u: %s: %s", i, s, e.text);
		json_decref(j);
		free(s);
	}
}

/* Random bytes, weighted to sequences and near-sequences: cp_utf8_valid
 * agrees with jansson's own check (json_string() takes UTF-8 only), every
 * output parses, and valid input comes back as it went in. */
Test(json, random_strings_against_jansson)
{
	static const unsigned char pick[] = { 'a', '"', '\\', 0x01, 0x1f, 0x7f, 0x80, 0x9f, 0xa0,
					      0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0,
					      0xf4, 0xf5, 0xff };
	uint64_t seed = 0x5eed;
	char in[16];

	for (unsigned r = 0; r < 200000; r++) {
		unsigned n = 1 + t_rand(&seed) % (sizeof(in) - 1);
		for (unsigned i = 0; i < n; i++) {
			uint64_t x = t_rand(&seed);
			in[i] = (char)(x & 1 ? pick[(x >> 1) % sizeof(pick)] : 1 + (x >> 8) % 255);
		}
		in[n] = 0;
		json_t *ref = json_string(in);
		cr_assert_eq(cp_utf8_valid(in), ref != NULL, "round %u", r);
		char *s = capture(cp_json_str, in);
		json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
		cr_assert_not_null(j, "round %u: %s", r, s);
		if (ref != NULL)
			cr_assert_str_eq(json_string_value(j), in, "round %u", r);
		char clean[4 * sizeof(in)];
		cp_text_clean(in, clean, sizeof(clean), 0);
		cr_assert(cp_utf8_valid(clean), "round %u", r);
		/* One rule for both: cleaned text, written, reads back as the
		 * JSON writer's own string. */
		cr_assert_str_eq(json_string_value(j), clean, "round %u", r);
		json_decref(j);
		json_decref(ref);
		free(s);
	}
}

Test(json, clean_cuts_between_sequences)
{
	char b[8];

	cr_expect_eq(cp_text_clean("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", b, sizeof(b), 0), 6);
	cr_expect_str_eq(b, "\xc3\xa9\xc3\xa9\xc3\xa9", "a 2-byte sequence is not cut");
	cr_expect_eq(cp_text_clean("ab\xff", b, 6, 0), 2);
	cr_expect_str_eq(b, "ab", "\\xff does not fit whole");
	cr_expect_eq(cp_text_clean("a\x1b[2J", b, sizeof(b), CP_TEXT_CONTROLS), 7);
	cr_expect_str_eq(b, "a\\x1b[2", "ESC shown, not sent to the terminal");
	cr_expect_eq(cp_text_clean("a\x1b", b, sizeof(b), 0), 2, "controls kept without the flag");
	cr_expect_eq(cp_text_clean("abc", b, 0, 0), 0);

	/* A tag of 200 two-byte letters is cut at 255 bytes, so at 254. */
	char tag[401];
	for (unsigned i = 0; i < 200; i++)
		memcpy(tag + 2 * i, "\xc3\xa9", 2);
	tag[400] = 0;
	char *s = capture(cp_json_tags, tag);
	cr_expect_eq(strlen(s), 2 + 2 + 254, "[\"...\"] around 127 whole letters");
	json_t *j = json_loads(s, 0, NULL);
	cr_expect_not_null(j, "%s", s);
	json_decref(j);
	free(s);
}
