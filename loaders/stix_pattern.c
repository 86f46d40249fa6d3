/* STIX 2.1 patterning subset (see stix_pattern.h): a lexer and a
 * recursive-descent parser over the grammar of STIX 2.1 section 9,
 *   pattern  := obs { (OR|AND|FOLLOWEDBY) obs }
 *   obs      := ( '[' comp ']' | '(' pattern ')' ) { qualifier }
 *   comp     := term { (OR|AND) term }
 *   term     := '(' comp ')' | [EXISTS] PATH | PATH [NOT] OP VALUE
 * with nesting bounded at 64, so a hostile pattern cannot exhaust the stack. */
#include "stix_pattern.h"

#include <string.h>
#include <strings.h>

#include "indicator/indicator.h"

#define MAX_NEST 64

enum tok { T_END, T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN, T_COMMA, T_STR, T_WORD, T_OP, T_ERR };

struct px {
	const char *p;
	size_t n, i;
	enum tok t;              /* the current token */
	const char *s;           /* its text (a string's, without quotes) */
	size_t sn;
	int literal;             /* T_WORD: a t'..', h'..' or b'..' literal */
	unsigned nest;
	const char *err;
	struct stix_terms *out;
};

static int word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == ':' || c == '.' || c == '*' || c == '+';
}

/* Skips a quoted string starting at p[i] == '\''; returns the index after
 * it, or 0 when it is unterminated or has an escape STIX does not allow. */
static size_t skip_quoted(const char *p, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (p[i] == '\\') {
			if (i + 1 >= n || (p[i + 1] != '\\' && p[i + 1] != '\''))
				return 0;
			i++;
		} else if (p[i] == '\'') {
			return i + 1;
		}
	}
	return 0;
}

static void lex_word(struct px *x)
{
	size_t i = x->i, n = x->n;
	const char *p = x->p;

	if (i + 1 < n && p[i + 1] == '\'' && (p[i] == 't' || p[i] == 'h' || p[i] == 'b')) {
		size_t e = skip_quoted(p, n, i + 1);
		x->t = e ? T_WORD : T_ERR, x->literal = 1;
		x->s = p + i, x->sn = e - i, x->i = e;
		return;
	}
	while (i < n) {
		if (word_char(p[i])) {
			i++;
		} else if (p[i] == '\'' && i > x->i && p[i - 1] == '.') {
			/* file:hashes.'SHA-256': a quoted path component */
			size_t e = skip_quoted(p, n, i);
			if (e == 0)
				break;
			i = e;
		} else if (p[i] == '[' && i + 2 < n && (p[i + 1] == '*' || (p[i + 1] >= '0' &&
			   p[i + 1] <= '9'))) {
			/* resolves_to_refs[*].value: a list index inside a path */
			size_t e = i + 1;
			while (e < n && (p[e] == '*' || (p[e] >= '0' && p[e] <= '9')))
				e++;
			if (e >= n || p[e] != ']')
				break;
			i = e + 1;
		} else {
			break;
		}
	}
	x->t = T_WORD, x->literal = 0, x->s = p + x->i, x->sn = i - x->i, x->i = i;
}

static void next(struct px *x)
{
	const char *p = x->p;

	while (x->i < x->n && (p[x->i] == ' ' || p[x->i] == '\t' || p[x->i] == '\n' ||
			       p[x->i] == '\r'))
		x->i++;
	if (x->i >= x->n) {
		x->t = T_END;
		return;
	}
	char c = p[x->i];
	static const char single[] = "[](),";
	static const enum tok stok[] = { T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN, T_COMMA };
	const char *k = memchr(single, c, 5);
	if (k != NULL) {
		x->t = stok[k - single], x->s = p + x->i++, x->sn = 1;
	} else if (c == '\'') {
		size_t e = skip_quoted(p, x->n, x->i);
		x->t = e ? T_STR : T_ERR;
		x->s = p + x->i + 1, x->sn = e ? e - x->i - 2 : 0, x->i = e ? e : x->n;
	} else if (c == '=' || c == '!' || c == '<' || c == '>') {
		size_t l = x->i + 1 < x->n && p[x->i + 1] == '=' ? 2 : 1;
		x->t = c == '!' && l == 1 ? T_ERR : T_OP;
		x->s = p + x->i, x->sn = l, x->i += l;
	} else if (word_char(c)) {
		lex_word(x);
	} else {
		x->t = T_ERR, x->s = p + x->i, x->sn = 1;
	}
}

static int is_kw(const struct px *x, const char *kw)
{
	return x->t == T_WORD && !x->literal && x->sn == strlen(kw) &&
	       strncasecmp(x->s, kw, x->sn) == 0;
}

static int fail(struct px *x, const char *why)
{
	if (x->err == NULL)
		x->err = why;
	return -1;
}

/* The indicator type of a path, or -1. */
static int path_type(const char *s, size_t n)
{
	static const struct {
		const char *path;
		int type;
	} paths[] = {
		{ "ipv4-addr:value", CP_T_IPV4 }, { "ipv6-addr:value", CP_T_IPV6 },
		{ "domain-name:value", CP_T_DOMAIN }, { "url:value", CP_T_URL },
	};
	static const struct {
		const char *name;
		int type;
	} hashes[] = { { "MD5", CP_T_MD5 }, { "SHA1", CP_T_SHA1 }, { "SHA256", CP_T_SHA256 } };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (strlen(paths[i].path) == n && memcmp(paths[i].path, s, n) == 0)
			return paths[i].type;
	if (n <= 12 || memcmp(s, "file:hashes.", 12) != 0)
		return -1;
	char h[16];
	size_t k = 0;
	for (size_t i = 12; i < n; i++) {
		if (s[i] == '\'' || s[i] == '-')
			continue;
		if (k + 1 == sizeof(h))
			return -1;
		h[k++] = s[i];
	}
	h[k] = '\0';
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (strcasecmp(h, hashes[i].name) == 0)
			return hashes[i].type;
	return -1;
}

static void skip_term(struct px *x, const char *why)
{
	struct stix_terms *o = x->out;

	if (o->nskip < STIX_MAX_TERMS)
		o->skip[o->nskip++] = why;
}

/* Adds PATH = 'value' with the value unescaped. */
static int add_term(struct px *x, int type, const char *v, size_t n)
{
	struct stix_terms *o = x->out;

	if (o->n == STIX_MAX_TERMS)
		return fail(x, "more than 256 comparisons in one pattern");
	if (o->tlen + n > STIX_TEXT_MAX)
		return fail(x, "pattern values longer than 64 KiB");
	unsigned off = o->tlen;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\\')
			i++;
		o->text[o->tlen++] = v[i];
	}
	o->t[o->n++] = (struct stix_term){ .type = type, .off = off, .len = o->tlen - off };
	return 0;
}

static int value(struct px *x)
{
	if (x->t == T_STR || x->t == T_WORD) {
		next(x);
		return 0;
	}
	if (x->t != T_LPAREN)
		return fail(x, "comparison lacks a value");
	do {
		next(x);
		if (x->t != T_STR && x->t != T_WORD)
			return fail(x, "bad list value");
		next(x);
	} while (x->t == T_COMMA);
	if (x->t != T_RPAREN)
		return fail(x, "unclosed value list");
	next(x);
	return 0;
}

static int comp(struct px *x);

static int term(struct px *x)
{
	if (x->t == T_LPAREN) {
		next(x);
		if (comp(x) != 0)
			return -1;
		if (x->t != T_RPAREN)
			return fail(x, "unbalanced parentheses");
		next(x);
		return 0;
	}
	if (is_kw(x, "EXISTS")) {
		next(x);
		if (x->t != T_WORD)
			return fail(x, "EXISTS lacks a path");
		next(x);
		skip_term(x, "stix: EXISTS comparison");
		return 0;
	}
	if (x->t != T_WORD || x->literal || memchr(x->s, ':', x->sn) == NULL)
		return fail(x, "expected an object path");
	const char *path = x->s;
	size_t pn = x->sn;
	int neg = 0, eq = 0, sub = 0;
	next(x);
	if (is_kw(x, "NOT"))
		neg = 1, next(x);
	if (x->t == T_OP)
		eq = x->sn == 1 && x->s[0] == '=';
	else if (is_kw(x, "ISSUBSET"))
		sub = 1;
	else if (!(is_kw(x, "ISSUPERSET") || is_kw(x, "LIKE") || is_kw(x, "MATCHES") ||
		   is_kw(x, "IN")))
		return fail(x, "expected a comparison operator");
	next(x);
	const char *v = x->s;
	size_t vn = x->sn;
	int str = x->t == T_STR;
	if (value(x) != 0)
		return -1;
	int type = path_type(path, pn);
	if (neg)
		skip_term(x, "stix: NOT comparison");
	else if (!eq && !sub)
		skip_term(x, "stix: operator other than = or ISSUBSET");
	else if (type < 0)
		skip_term(x, "stix: object path we do not match");
	else if (sub && type != CP_T_IPV4 && type != CP_T_IPV6)
		skip_term(x, "stix: ISSUBSET on a path other than an address");
	else if (!str)
		skip_term(x, "stix: value is not a string");
	else
		return add_term(x, type, v, vn);
	return 0;
}

static int comp(struct px *x)
{
	if (++x->nest > MAX_NEST)
		return fail(x, "pattern nested deeper than 64");
	if (term(x) != 0)
		return -1;
	while (is_kw(x, "OR") || is_kw(x, "AND")) {
		if (is_kw(x, "AND"))
			x->out->whole = "stix: AND of several conditions";
		next(x);
		if (term(x) != 0)
			return -1;
	}
	x->nest--;
	return 0;
}

static int pattern(struct px *x);

static int qualifiers(struct px *x)
{
	while (is_kw(x, "WITHIN") || is_kw(x, "REPEATS") || is_kw(x, "START")) {
		int start = is_kw(x, "START");
		x->out->whole = "stix: observation qualifier (WITHIN, REPEATS, START/STOP)";
		next(x);
		if (x->t != T_WORD)
			return fail(x, "qualifier lacks its value");
		next(x);
		if (!(start ? is_kw(x, "STOP") : is_kw(x, "SECONDS") || is_kw(x, "TIMES")))
			return fail(x, "malformed qualifier");
		next(x);
		if (start) {
			if (x->t != T_WORD)
				return fail(x, "STOP lacks its time");
			next(x);
		}
	}
	return 0;
}

static int obs(struct px *x)
{
	if (x->t == T_LBRACK) {
		next(x);
		if (comp(x) != 0)
			return -1;
		if (x->t != T_RBRACK)
			return fail(x, "expected ']'");
	} else if (x->t == T_LPAREN) {
		next(x);
		if (pattern(x) != 0)
			return -1;
		if (x->t != T_RPAREN)
			return fail(x, "unbalanced parentheses");
	} else {
		return fail(x, "expected '[' or '('");
	}
	next(x);
	return qualifiers(x);
}

static int pattern(struct px *x)
{
	if (++x->nest > MAX_NEST)
		return fail(x, "pattern nested deeper than 64");
	if (obs(x) != 0)
		return -1;
	while (is_kw(x, "OR") || is_kw(x, "AND") || is_kw(x, "FOLLOWEDBY")) {
		if (!is_kw(x, "OR"))
			x->out->whole = "stix: AND or FOLLOWEDBY of several observations";
		next(x);
		if (obs(x) != 0)
			return -1;
	}
	x->nest--;
	return 0;
}

int stix_pattern_parse(const char *p, size_t n, struct stix_terms *out, const char **why)
{
	struct px x = { .p = p, .n = n, .out = out };

	out->n = out->nskip = out->tlen = 0;
	out->whole = NULL;
	next(&x);
	if (pattern(&x) == 0 && x.t != T_END)
		fail(&x, x.t == T_ERR ? "bad token" : "text after the pattern");
	if (x.t == T_ERR)
		fail(&x, "bad token or unterminated string");
	*why = x.err;
	return x.err ? -1 : 0;
}
