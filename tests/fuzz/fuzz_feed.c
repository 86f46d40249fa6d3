/* libFuzzer target for one feed format, named by FEED_FORMAT at build time
 * (make builds fuzz_feed_FORMAT for each). The input is the whole feed;
 * it is loaded into a fresh compiler with the format forced, as
 * "FORMAT:PATH" would. Whatever it holds must end in a result, never a
 * crash, a leak or undefined behaviour; what was accepted must be a
 * canonical indicator (cp_compiler_add checks), and the count of accepted,
 * errored and skipped entries must not exceed what the input could hold. */
#include "compile.h"
#include "loader.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef FEED_FORMAT
#error "build with -DFEED_FORMAT='\"zeek\"' (or another format)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct cp_feed f;
	char err[256];

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		return 0;
	if (cp_feed_parse(FEED_FORMAT ":fuzz-input", &f, err, sizeof(err)) != 0)
		__builtin_trap();
	struct cp_compiler *c = cp_compiler_new(1);
	if (c == NULL)
		return 0;
	struct cp_diag d = { .out = devnull, .max_errors = UINT64_MAX, .max_print = 0 };
	int rc = cp_load_buffer(&f, size ? data : NULL, size, c, &d, NULL);
	/* Every error and skip stands for at least one byte of input, except
	 * broken JSON, which is one error for the whole feed. */
	if (rc == 0 && d.errors + d.skipped > size + 1)
		__builtin_trap();
	cp_compiler_free(c);
	return 0;
}
