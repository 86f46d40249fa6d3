/* MISP warninglists (list.json). Control plane.
 *
 * A warninglist names what is known to be benign (cloud ranges, public
 * resolvers, URL shorteners), so its entries load as allow unless the feed
 * says action=. Types:
 *   cidr       addresses and prefixes, v4 or v6
 *   hostname   the name and every name below it, as MISP matches them
 *   string     each value typed as plain feeds type it (hashes, names, ...)
 * substring and regex lists match in ways an exact table cannot and are
 * counted as skipped. The feed is named after the list's "name" unless
 * feed= says otherwise. MISP writes the keys sorted, so "list" comes before
 * "name" and "type": a first pass reads those two, a second the entries
 * (the file is mapped, so the second pass costs no I/O). */
#include "jsonfeed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = { NULL };

enum wtype { W_UNKNOWN, W_CIDR, W_HOSTNAME, W_STRING, W_UNSUPPORTED };

struct wl {
	struct cp_load_ctx *ctx;
	int pass;                /* 1: name and type; 2: entries */
	enum wtype type;
	int have_type;
	char name[256];
	uint32_t mid;
};

/* A string list holds anything MISP compares (sha512, ssdeep, names): take
 * what has a type of ours, an address, a hash by its hex length or a name
 * with a dot, and leave a 56-hex sha224 that would pass for a one-label
 * name, or an ssdeep "3::" that would pass for an IPv6 address. */
static int string_we_take(const char *v, size_t n)
{
	size_t hex = 0, colons = 0;

	for (size_t i = 0; i < n; i++) {
		char c = (char)(v[i] | 0x20);
		hex += (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		colons += v[i] == ':';
	}
	if (hex == n)
		return n == 32 || n == 40 || n == 64;
	if (colons > 0)
		return colons >= 2 && hex + colons == n && n > 3;
	return memchr(v, '.', n) != NULL;
}

static int on_scalar(void *arg, struct jf *j, enum jf_kind k, const char *v, size_t n)
{
	struct wl *w = arg;
	unsigned d = jf_depth(j);

	if (w->pass == 1 && d == 1 && k == JF_STRING) {
		if (jf_is(jf_key(j), "name")) {
			n = n < sizeof(w->name) - 1 ? n : sizeof(w->name) - 1;
			memcpy(w->name, v, n);
			w->name[n] = '\0';
		} else if (jf_is(jf_key(j), "type")) {
			static const char *const names[] = { "cidr", "hostname", "string" };
			w->have_type = 1;
			w->type = W_UNSUPPORTED;
			for (size_t i = 0; i < CP_ARRAY_LEN(names); i++)
				if (strlen(names[i]) == n && memcmp(names[i], v, n) == 0)
					w->type = (enum wtype)(i + 1);
		}
		return 0;
	}
	if (w->pass != 2 || d != 2 || jf_kind_at(j, 2) != JF_ARRAY || !jf_is(jf_key_at(j, 2), "list"))
		return 0;
	if (k != JF_STRING)
		return cp_load_error(w->ctx, jf_line(j), "warninglist: entry is not a string", NULL, 0);
	if (w->type == W_UNSUPPORTED)
		return cp_load_skip(w->ctx, "warninglist: substring or regex list"), 0;
	if (w->type == W_STRING && !string_we_take(v, n))
		return cp_load_skip(w->ctx, "warninglist: string of a type we do not match"), 0;
	struct cp_ind ind;
	const char *why = NULL;
	int rc = w->type == W_HOSTNAME ? cp_norm(CP_T_DOMAIN, v, n, &ind, &why)
		 : w->type == W_CIDR   ? cp_norm(CP_T_IPV4, v, n, &ind, &why)  /* v4 or v6 */
				       : cp_norm_auto(v, n, &ind, &why);
	if (rc != 0)
		return cp_load_error(w->ctx, jf_line(j), why, v, n);
	if (w->type == W_HOSTNAME)
		ind.subdomains = 1;
	return cp_load_emit_ind(w->ctx, &ind, w->mid);
}

static const struct jf_handlers handlers = { .scalar = on_scalar };

static int load(struct cp_load_ctx *ctx)
{
	struct wl w = { .ctx = ctx, .pass = 1 };
	struct cp_meta_in m;
	int rc;

	/* The first pass reports broken JSON; entries are only read from a
	 * whole file. */
	if ((rc = jf_run(ctx, &handlers, &w)) != 0)
		return rc;
	if (!w.have_type) {
		fprintf(ctx->diag->out, "%s: warninglist has no \"type\"\n", ctx->feed->path);
		return -EINVAL;
	}
	cp_load_default_meta(ctx, &m);
	if (!ctx->feed->action_set)
		m.action = CP_ACT_ALLOW;
	if (cp_feed_opt(ctx->feed, "feed") == NULL && w.name[0] != '\0')
		m.feed = w.name;
	if ((rc = cp_compiler_meta(ctx->comp, &m, &w.mid)) != 0)
		return rc;
	w.pass = 2;
	*ctx->done = 0;
	return jf_run(ctx, &handlers, &w);
}

/* MISP writes every warninglist with these keys. */
static int probe(const char *path, const uint8_t *head, size_t n)
{
	(void)path;
	return n > 0 && memmem(head, n, "\"matching_attributes\"", 21) != NULL &&
	       memmem(head, n, "\"list\"", 6) != NULL;
}

const struct cp_loader cp_loader_warninglist = { .name = "warninglist", .keys = keys,
						 .probe = probe, .load = load };
