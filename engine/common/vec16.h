/* Byte strings 16 at a time (SSE2, and AVX-512 masks where the build has
 * them): the name checks of the fast path. Both planes; x86-64 only, so
 * every user keeps a byte loop for other targets (CP_VEC16 unset).
 *
 * cp_vload(p, n) reads p[0..n) into the low bytes, the rest zero, and
 * cp_vstore(p, v, n) writes its low n bytes; n <= 16, and neither touches
 * a byte past p + n. With AVX-512 (BW, VL) that is one masked access, whose
 * masked-off bytes cannot fault; without, a short string goes through a
 * stack copy, which costs a store-forwarding stall (~15 cycles). */
#ifndef CP_VEC16_H
#define CP_VEC16_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#define CP_VEC16 1
#include <immintrin.h>

static inline __m128i cp_vload(const void *p, size_t n)
{
#if defined(__AVX512BW__) && defined(__AVX512VL__)
	return _mm_maskz_loadu_epi8((__mmask16)((1u << n) - 1), p);
#else
	uint8_t b[16] = { 0 };

	if (n == 16)
		return _mm_loadu_si128((const __m128i *)p);
	memcpy(b, p, n);
	return _mm_loadu_si128((const __m128i *)b);
#endif
}

static inline void cp_vstore(void *p, __m128i v, size_t n)
{
#if defined(__AVX512BW__) && defined(__AVX512VL__)
	_mm_mask_storeu_epi8(p, (__mmask16)((1u << n) - 1), v);
#else
	uint8_t b[16];

	if (n == 16) {
		_mm_storeu_si128((__m128i *)p, v);
		return;
	}
	_mm_storeu_si128((__m128i *)b, v);
	memcpy(p, b, n);
#endif
}

/* A mask of the bytes of v equal to c. */
static inline unsigned cp_veq(__m128i v, char c)
{
	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}

/* The bytes of v in [lo, lo + n), n <= 128: shifted so that the range
 * starts at -128, one signed compare (SSE2 has no unsigned one). */
static inline __m128i cp_vrange(__m128i v, int lo, int n)
{
	__m128i x = _mm_sub_epi8(v, _mm_set1_epi8((char)(lo + 128)));
	return _mm_cmplt_epi8(x, _mm_set1_epi8((char)(n - 128)));
}
#endif

#endif
