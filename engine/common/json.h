/* JSON and text output helpers, shared by chokepoint-intel (lookup, info,
 * load errors), the engine's EVE writer and the control socket, so that the
 * bytes feeds, packets and paths bring always come out as valid UTF-8.
 * Control plane. */
#ifndef CP_JSON_H
#define CP_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes s as a JSON string: quotes, backslashes and control bytes escaped,
 * valid UTF-8 as it is, and each byte that does not begin a valid sequence
 * (Latin-1 in a feed, raw bytes from a packet) as the text \xNN. */
void cp_json_str(FILE *f, const char *s);
/* Writes a comma-separated list (NULL or "": empty) as an array of strings;
 * items are cut at 255 bytes, never inside a UTF-8 sequence. */
void cp_json_tags(FILE *f, const char *csv);
/* Formats unix seconds as ISO 8601 UTC ("2026-12-07T23:41:00Z") into buf
 * (32 bytes is room for any). A time gmtime cannot represent, as a crafted
 * snapshot's valid_until may be, comes out as its number. */
void cp_json_iso_time(int64_t secs, char *buf, size_t n);

/* The length of the valid UTF-8 sequence (RFC 3629) that begins at s: 1 for
 * ASCII, 2-4, or 0 where none does (overlong, surrogate, > U+10FFFF, cut
 * short, a stray continuation byte). s is NUL-terminated. */
size_t cp_utf8_seq(const char *s);
/* 1 if all of s is valid UTF-8, else 0. */
int cp_utf8_valid(const char *s);

/* cp_text_clean(): also escape the C0 controls and DEL, for text meant for
 * a terminal or a log (a feed's ESC must not drive the operator's terminal). */
#define CP_TEXT_CONTROLS 1u
/* cp_text_clean(): also escape every byte past ASCII, for a writer that
 * takes nothing else (DPDK 22.11's telemetry reads a signed char as an
 * index and writes garbage for each byte >= 0x80). */
#define CP_TEXT_ASCII 2u
/* Copies s into buf (n bytes, always NUL-terminated when n > 0) as valid
 * UTF-8: each byte that does not begin a valid sequence (and, as flags
 * ask, each control byte or byte past ASCII) becomes the four characters
 * \xNN.
 * What does not fit is cut between sequences. Returns the length written. */
size_t cp_text_clean(const char *s, char *buf, size_t n, unsigned flags);

#endif
