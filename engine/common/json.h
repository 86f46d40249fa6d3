/* JSON output helpers shared by chokepoint-intel lookup and the engine's EVE
 * writer. Control plane. */
#ifndef CP_JSON_H
#define CP_JSON_H

#include <stdint.h>
#include <stdio.h>

/* Writes s as a JSON string: quotes, backslashes and control bytes escaped,
 * other bytes (UTF-8) as they are. */
void cp_json_str(FILE *f, const char *s);
/* Writes a comma-separated list (NULL or "": empty) as an array of strings;
 * items are cut at 255 bytes. */
void cp_json_tags(FILE *f, const char *csv);
/* Formats unix seconds as ISO 8601 UTC ("2026-12-07T23:41:00Z") into buf
 * (32 bytes is room for any). A time gmtime cannot represent, as a crafted
 * snapshot's valid_until may be, comes out as its number. */
void cp_json_iso_time(int64_t secs, char *buf, size_t n);

#endif
