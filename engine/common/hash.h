/* Keyed hashing of indicator keys: both planes.
 *
 * Every snapshot draws a random 64-bit seed; all table positions and
 * fingerprints derive from it, so a feed author cannot pre-compute keys
 * that pile into one bucket of a snapshot they have not seen.
 *
 *   variable-length keys (domain, url, hashes, ipv6):
 *     XXH3-128(key, seed ^ type tweak) -> hi (64 bits: bucket + fingerprint)
 *                                         lo (32 bits: fingerprint, 32: filter)
 *   ipv4: a keyed bijection of the 32-bit address, so the stored value is
 *     the address in disguise and matching is exact.
 */
#ifndef CP_HASH_H
#define CP_HASH_H

#include <stddef.h>
#include <stdint.h>
/* Inlined: the short keys of the fast path (a name's suffixes, 10-30 B
 * each) take XXH3's short-input paths without a library call. The
 * algorithm, and so every snapshot's keys, is the library's. */
#define XXH_INLINE_ALL
#include <xxhash.h>

struct cp_h128 {
	uint64_t hi;
	uint64_t lo;
};

static inline struct cp_h128 cp_hash128(uint64_t seed, const void *p, size_t n)
{
	XXH128_hash_t h = XXH3_128bits_withSeed(p, n, seed);
	struct cp_h128 r = { h.high64, h.low64 };
	return r;
}

/* Murmur3's 64-bit finaliser: a bijection with full avalanche. */
static inline uint64_t cp_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Keyed permutation of 32-bit values: each step (xor with key, multiply by
 * an odd constant, xor-shift right) is invertible. */
static inline uint32_t cp_perm32(uint64_t seed, uint32_t x)
{
	x ^= (uint32_t)seed;
	x *= 0x9e3779b1u;
	x ^= x >> 16;
	x += (uint32_t)(seed >> 32);
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

#endif
