/* JSON output helpers shared by chokepoint-intel lookup and the engine's EVE
 * writer. Control plane. */
#ifndef CP_JSON_H
#define CP_JSON_H

#include <stdio.h>

/* Writes s as a JSON string: quotes, backslashes and control bytes escaped,
 * other bytes (UTF-8) as they are. */
void cp_json_str(FILE *f, const char *s);
/* Writes a comma-separated list (NULL or "": empty) as an array of strings;
 * items are cut at 255 bytes. */
void cp_json_tags(FILE *f, const char *csv);

#endif
