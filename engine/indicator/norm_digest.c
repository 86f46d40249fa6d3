/* File hashes and JA3 fingerprints: hex text to binary digest.
 * Both planes; pure. */
#include "indicator/indicator.h"

#include <errno.h>

/* 0x10 | value for a hex digit, 0 for anything else: one load a digit, and
 * one test for the whole digest instead of two branches a byte. */
static const uint8_t hexval[256] = {
	['0'] = 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
	['a'] = 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	['A'] = 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

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
	unsigned all = 0x10;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned hi = hexval[(uint8_t)s[2 * i]], lo = hexval[(uint8_t)s[2 * i + 1]];

		all &= hi & lo;
		out->v[i] = (uint8_t)((hi & 0xf) << 4 | (lo & 0xf));
	}
	if (all == 0) {
		*why = "invalid hex digit in hash";
		return -EINVAL;
	}
	out->type = (uint8_t)t;
	out->plen = 0;
	out->subdomains = 0;
	out->len = bytes;
	return 0;
}
