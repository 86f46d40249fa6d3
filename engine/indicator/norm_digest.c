/* File hashes and JA3 fingerprints: hex text to binary digest.
 * Both planes; pure. */
#include "indicator/indicator.h"

#include <errno.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cp_norm_digest(enum cp_itype t, const char *s, size_t n, struct cp_ind *out,
		   const char **why)
{
	static const struct {
		uint8_t bytes;
		const char *reason;
	} spec[CP_T__COUNT] = {
		[CP_T_MD5] = { 16, "md5 must be 32 hex digits" },
		[CP_T_SHA1] = { 20, "sha1 must be 40 hex digits" },
		[CP_T_SHA256] = { 32, "sha256 must be 64 hex digits" },
		[CP_T_JA3] = { 16, "ja3 must be 32 hex digits" },
	};
	unsigned bytes = (unsigned)t < CP_T__COUNT ? spec[t].bytes : 0;

	if (bytes == 0) {
		*why = "not a digest type";
		return -EINVAL;
	}
	if (n != 2 * (size_t)bytes) {
		*why = spec[t].reason;
		return -EINVAL;
	}
	for (unsigned i = 0; i < bytes; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			*why = "invalid hex digit in hash";
			return -EINVAL;
		}
		out->v[i] = (uint8_t)(hi << 4 | lo);
	}
	out->type = (uint8_t)t;
	out->plen = 0;
	out->subdomains = 0;
	out->len = bytes;
	return 0;
}
