/* Live changes over a store (see delta.h). Built on the control plane,
 * read on the data plane. */
#include "store/delta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cp_delta {
	unsigned n, nslots, nprefix[2];
	uint32_t *slots;         /* exact entries: index + 1; 0 = empty */
	struct cp_delta_ent *ent;
	uint32_t prefix[2][CP_DELTA_MAX_PREFIXES];  /* [v4, v6]: entry indices */
	char *strs;
};

static size_t slot_of(const struct cp_qkey *k, unsigned type, size_t mask)
{
	return (size_t)((k->a ^ (k->a >> 29) ^ ((uint64_t)type * 0x9e3779b97f4a7c15ULL)) & mask);
}

static int same(const struct cp_delta_ent *e, unsigned type, const struct cp_qkey *k)
{
	return e->type == type && e->key.a == k->a && e->key.b == k->b;
}

static int is_prefix(const struct cp_ind *ind)
{
	return (ind->type == CP_T_IPV4 && ind->plen < 32) || (ind->type == CP_T_IPV6 && ind->plen < 128);
}

struct cp_delta *cp_delta_build(const struct cp_store *s, const struct cp_delta_in *in,
				unsigned n)
{
	struct cp_delta *d = calloc(1, sizeof(*d));
	size_t strs = 0;
	char txt[CP_IND_MAX + 8];

	if (d == NULL)
		return NULL;
	if (n > CP_DELTA_MAX) {
		free(d);
		errno = E2BIG;
		return NULL;
	}
	for (unsigned i = 0; i < n; i++)
		strs += (size_t)cp_ind_format(&in[i].ind, txt, sizeof(txt)) + strlen(in[i].feed) + 4;
	d->nslots = 16;
	while (d->nslots < 2 * n)
		d->nslots *= 2;
	d->slots = calloc(d->nslots, sizeof(*d->slots));
	d->ent = calloc(n ? n : 1, sizeof(*d->ent));
	d->strs = malloc(strs + 1);
	if (d->slots == NULL || d->ent == NULL || d->strs == NULL) {
		cp_delta_free(d);
		errno = ENOMEM;
		return NULL;
	}
	char *p = d->strs;
	for (unsigned i = 0; i < n; i++) {
		const struct cp_delta_in *x = &in[i];
		struct cp_delta_ent *e = &d->ent[d->n];
		int v6 = x->ind.type == CP_T_IPV6;
		*e = (struct cp_delta_ent){ .type = x->ind.type, .kind = x->kind, .action = x->action,
					    .plen = x->ind.plen, .expires = x->expires };
		e->text = p;
		p += cp_ind_format(&x->ind, p, CP_IND_MAX + 8) + 1;
		e->feed = strcpy(p, x->feed);
		p += strlen(x->feed) + 1;
		if (x->ind.type == CP_T_IPV4 || v6)
			memcpy(e->addr, x->ind.v, v6 ? 16 : 4);
		if (is_prefix(&x->ind)) {
			/* Tombstones of prefixes are refused by the control plane. */
			if (x->kind != CP_DELTA_ADD || d->nprefix[v6] == CP_DELTA_MAX_PREFIXES) {
				cp_delta_free(d);
				errno = E2BIG;
				return NULL;
			}
			d->prefix[v6][d->nprefix[v6]++] = d->n++;
			continue;
		}
		cp_store_key(s, &x->ind, &e->key);
		size_t mask = d->nslots - 1, j = slot_of(&e->key, e->type, mask);
		while (d->slots[j] != 0 && !same(&d->ent[d->slots[j] - 1], e->type, &e->key))
			j = (j + 1) & mask;
		if (d->slots[j] == 0)
			d->slots[j] = ++d->n;  /* a later duplicate is dropped */
	}
	return d;
}

void cp_delta_free(struct cp_delta *d)
{
	if (d == NULL)
		return;
	free(d->slots);
	free(d->ent);
	free(d->strs);
	free(d);
}

static int live(const struct cp_delta_ent *e, int64_t now)
{
	return e->expires == 0 || e->expires > now;
}

const struct cp_delta_ent *cp_delta_find(const struct cp_delta *d, enum cp_itype t,
					 const struct cp_qkey *k, int64_t now)
{
	if (d == NULL || d->n == 0)
		return NULL;
	size_t mask = d->nslots - 1;
	for (size_t j = slot_of(k, t, mask); d->slots[j] != 0; j = (j + 1) & mask) {
		const struct cp_delta_ent *e = &d->ent[d->slots[j] - 1];
		if (same(e, t, k))
			return live(e, now) ? e : NULL;
	}
	return NULL;
}

static int covers(const uint8_t *net, unsigned plen, const uint8_t *a)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(net, a, full) != 0)
		return 0;
	return rest == 0 || ((net[full] ^ a[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

const struct cp_delta_ent *cp_delta_prefix(const struct cp_delta *d, enum cp_itype t,
					   const uint8_t *addr, int64_t now)
{
	const struct cp_delta_ent *best = NULL;
	int v6 = t == CP_T_IPV6;

	if (!cp_delta_has_prefixes(d, t))
		return NULL;
	for (unsigned i = 0; i < d->nprefix[v6]; i++) {
		const struct cp_delta_ent *e = &d->ent[d->prefix[v6][i]];
		if (covers(e->addr, e->plen, addr) && live(e, now) && (!best || e->plen > best->plen))
			best = e;
	}
	return best;
}

/* Prefixes are of addresses: a name, URL or digest has none (it once fell
 * through to the IPv4 list and was matched as an address). */
int cp_delta_has_prefixes(const struct cp_delta *d, enum cp_itype t)
{
	return d != NULL && (t == CP_T_IPV4 || t == CP_T_IPV6) && d->nprefix[t == CP_T_IPV6] != 0;
}

unsigned cp_delta_count(const struct cp_delta *d)
{
	return d ? d->n : 0;
}
