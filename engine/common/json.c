/* JSON output helpers. Control plane. */
#include "common/json.h"

#include <string.h>
#include <time.h>

void cp_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void cp_json_tags(FILE *f, const char *csv)
{
	char one[256];

	fputc('[', f);
	for (int first = 1; csv != NULL && *csv; first = 0) {
		size_t n = strcspn(csv, ",");
		snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) ? n : sizeof(one) - 1), csv);
		if (!first)
			fputc(',', f);
		cp_json_str(f, one);
		csv += n + (csv[n] == ',');
	}
	fputc(']', f);
}

void cp_json_iso_time(int64_t secs, char *buf, size_t n)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (n == 0)
		return;
	if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "%lld", (long long)secs);
}
