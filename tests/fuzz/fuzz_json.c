/* libFuzzer target for the output side of untrusted text: whatever bytes a
 * feed, a packet or a path brings, cp_json_str() writes a JSON string that a
 * strict parser (jansson, which takes UTF-8 only) reads back, valid UTF-8
 * comes back unchanged, and cp_text_clean() gives the same text, valid,
 * cut between sequences, and free of control bytes when asked.
 * Input: byte 0 sets the cut for the short clean; the rest, up to a NUL,
 * is the string. */
#include "common/json.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                         \
	do {                             \
		if (!(c))                \
			__builtin_trap(); \
	} while (0)

static json_t *written(void (*fn)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	CHECK(f != NULL);
	fn(f, s);
	fclose(f);
	json_t *j = json_loads(buf, JSON_DECODE_ANY, NULL);
	free(buf);
	CHECK(j != NULL);  /* the line a SIEM reads must parse */
	return j;
}

static void check_clean(const char *in, size_t len, size_t cut)
{
	size_t cap = 4 * len + 1;
	char *full = malloc(cap), *ctl = malloc(cap), *part = malloc(cut + 1);

	CHECK(full != NULL && ctl != NULL && part != NULL);
	size_t k = cp_text_clean(in, full, cap, 0);
	CHECK(k == strlen(full) && k < cap && cp_utf8_valid(full));
	json_t *j = written(cp_json_str, in);
	/* One rule for both writers: cleaned text is what the JSON says. */
	CHECK(json_is_string(j) && strcmp(json_string_value(j), full) == 0);
	json_decref(j);

	k = cp_text_clean(in, ctl, cap, CP_TEXT_CONTROLS);
	CHECK(k == strlen(ctl) && cp_utf8_valid(ctl));
	for (size_t i = 0; i < k; i++)
		CHECK((unsigned char)ctl[i] >= 0x20 && ctl[i] != 0x7f);

	/* Cut short: a prefix of the whole, never inside a sequence. */
	k = cp_text_clean(in, part, cut + 1, 0);
	CHECK(k <= cut && cp_utf8_valid(part) && strncmp(part, full, k) == 0);
	free(part);
	free(ctl);
	free(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t cut = data[0];
	char *in = malloc(size);

	CHECK(in != NULL);
	memcpy(in, data + 1, size - 1);
	in[size - 1] = 0;
	size_t len = strlen(in);

	/* jansson's check of UTF-8 (RFC 3629) is the reference. */
	json_t *ref = json_string(in);
	CHECK(cp_utf8_valid(in) == (ref != NULL));
	json_t *j = written(cp_json_str, in);
	if (ref != NULL)
		CHECK(strcmp(json_string_value(j), in) == 0);
	json_decref(j);
	json_decref(ref);
	check_clean(in, len, cut);

	json_t *tags = written(cp_json_tags, in);
	CHECK(json_is_array(tags));
	for (size_t i = 0; i < json_array_size(tags); i++) {
		const char *t = json_string_value(json_array_get(tags, i));
		CHECK(t != NULL && strchr(t, ',') == NULL);
	}
	json_decref(tags);
	free(in);
	return 0;
}
