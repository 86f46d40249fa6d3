/* Plain feeds: one indicator per line. Control plane.
 * '#' starts a comment (a whole line, or after whitespace); blank lines, CRLF
 * and a UTF-8 BOM are accepted. Hosts-file lines ("0.0.0.0 evil.com") are
 * read as the domains they block. The type is detected per line unless the
 * feed says type=. */
#include "loader.h"

#include <errno.h>
#include <string.h>

static const char *const keys[] = { NULL };

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_space(**s))
		(*s)++, (*n)--;
	while (*n > 0 && is_space((*s)[*n - 1]))
		(*n)--;
}

static int is_sinkhole(const char *s, size_t n)
{
	static const char *const addrs[] = { "0.0.0.0", "127.0.0.1", "::", "::1" };

	for (size_t i = 0; i < CP_ARRAY_LEN(addrs); i++)
		if (strlen(addrs[i]) == n && memcmp(addrs[i], s, n) == 0)
			return 1;
	return 0;
}

/* "0.0.0.0 a.com b.com": each name after the address is a domain. */
static int hosts_line(struct cp_load_ctx *ctx, uint64_t line, const char *s, size_t n)
{
	size_t i = 0;
	int first = 1, rc = 0;

	while (i < n && rc == 0) {
		while (i < n && is_space(s[i]))
			i++;
		size_t j = i;
		while (j < n && !is_space(s[j]))
			j++;
		if (first) {
			if (!is_sinkhole(s + i, j - i))
				return cp_load_error(ctx, line, "whitespace inside value", s, n);
			first = 0;
		} else if (!(j - i == 9 && memcmp(s + i, "localhost", 9) == 0)) {
			rc = cp_load_emit(ctx, line, CP_T_DOMAIN, s + i, j - i, NULL);
		}
		i = j;
	}
	return rc;
}

static int one_line(struct cp_load_ctx *ctx, uint64_t line, const char *s, size_t n,
		    void *arg)
{
	size_t i = 0;

	(void)arg;
	/* Most lines are one bare value: find the first blank in one pass,
	 * and only then look for comments and hosts-file fields. */
	while (i < n && !is_space(s[i]))
		i++;
	if (i == n)
		return n == 0 || s[0] == '#' ? 0 : cp_load_emit(ctx, line, ctx->feed->type, s, n, NULL);
	trim(&s, &n);
	if (n == 0 || s[0] == '#')
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] == '#' && is_space(s[i - 1])) {
			n = i;
			trim(&s, &n);
			break;
		}
	}
	for (i = 0; i < n; i++)
		if (is_space(s[i]))
			return hosts_line(ctx, line, s, n);
	return cp_load_emit(ctx, line, ctx->feed->type, s, n, NULL);
}

static int lines(struct cp_load_ctx *ctx, const uint8_t *p, size_t begin, size_t end,
		 uint64_t line)
{
	return cp_load_lines(ctx, p, begin, end, line, one_line, NULL);
}

static int load(struct cp_load_ctx *ctx)
{
	size_t off = cp_load_bom(ctx);

	ctx->size = ctx->len - off;
	return cp_load_split(ctx, ctx->data, off, ctx->len, lines);
}

static int probe(const char *path, const uint8_t *head, size_t n)
{
	(void)path, (void)head, (void)n;
	return 1;
}

const struct cp_loader cp_loader_plain = { .name = "plain", .keys = keys, .probe = probe,
					   .load = load };
