/* The store handle: opening over snapshot sections (control plane), probe
 * preparation and dispatch (data plane), result access (both). */
#include "store/store_internal.h"
#include "snapshot/snapshot.h"
#include "pattern/pattern.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int open_xtab(struct cp_store *s, const struct cp_snap *snap, enum cp_itype t)
{
	uint64_t size, count, nb, kind, fsize = 0, nblocks = 0;
	const void *slots = cp_snap_section(snap, CP_SEC_XTAB + t, &size, &count, &nb, &kind);
	const uint32_t *filt = cp_snap_section(snap, CP_SEC_XFILT + t, &fsize, NULL, &nblocks, NULL);

	_Static_assert(CP_T__COUNT <= CP_XT_RATES, "a hit rate per type");
	int rc;

	if (slots == NULL)
		return cp__xtab_init(&s->x[t], 0, NULL, 0, 0, NULL, 0, 0, 0);
	if ((t == CP_T_IPV4) != (kind == CP_XT_K32))
		return -EBADMSG;
	rc = cp__xtab_init(&s->x[t], (unsigned)kind, slots, size, nb, filt, fsize, nblocks, count);
	s->x[t].rate = t;
	return rc;
}

static int open_cidrs(struct cp_store *s, const struct cp_snap *snap)
{
	uint64_t size, count = 0, ngroups, keylen, lsize = 0, osize = 0, ssize = 0, rsize = 0;
	const uint32_t *tbl = cp_snap_section(snap, CP_SEC_LPM + CP_T_IPV6, &size, &count,
					      &ngroups, &keylen);
	const uint32_t *leaves = cp_snap_section(snap, CP_SEC_LPM_LEAF + CP_T_IPV6, &lsize, NULL,
						 NULL, NULL);
	const uint32_t *off = cp_snap_section(snap, CP_SEC_R4_OFF, &osize, &s->cidr_count[0],
					      NULL, NULL);
	const uint16_t *start = cp_snap_section(snap, CP_SEC_R4_START, &ssize, NULL, NULL, NULL);
	const uint32_t *ref = cp_snap_section(snap, CP_SEC_R4_REF, &rsize, NULL, NULL, NULL);
	int rc;

	s->cidr_count[1] = count;
	if (tbl != NULL && keylen != 16)
		return -EBADMSG;
	rc = cp__lpm_init(&s->lpm6, tbl, size, ngroups, 16, leaves, lsize);
	return rc != 0 ? rc : cp__r4_init(&s->r4, off, osize, start, ssize, ref, rsize);
}

static int open_shared(struct cp_store *s, const struct cp_snap *snap)
{
	uint64_t msize, nmeta, ssize, nsets, strsize;

	s->meta = cp_snap_section(snap, CP_SEC_META, &msize, &nmeta, NULL, NULL);
	s->sets = cp_snap_section(snap, CP_SEC_SETS, &ssize, &nsets, NULL, NULL);
	s->strs = cp_snap_section(snap, CP_SEC_STRS, &strsize, NULL, NULL, NULL);
	uint64_t lsize;
	const uint64_t *labels = cp_snap_section(snap, CP_SEC_DOM_LABELS, &lsize, NULL, NULL, NULL);
	if (labels != NULL && lsize != sizeof(*labels))
		return -EBADMSG;
	s->sub_labels = labels != NULL ? *labels : ~0ull;  /* older snapshots: probe all */
	if (s->meta == NULL || s->sets == NULL || s->strs == NULL)
		return -EBADMSG;
	/* Strings must end inside the table: the last byte is a NUL. */
	if (msize != nmeta * sizeof(struct cp_meta_rec) || ssize != nsets * 4 ||
	    strsize == 0 || s->strs[strsize - 1] != '\0')
		return -EBADMSG;
	s->nmeta = nmeta;
	s->nsets = nsets;
	s->strs_size = strsize;
	/* Once, at open: most sets never expire, and then matches need no
	 * look at the time. */
	for (uint64_t i = 0; i < nmeta; i++)
		if (s->meta[i].valid_until != 0 &&
		    (s->first_expiry == 0 || s->meta[i].valid_until < s->first_expiry))
			s->first_expiry = s->meta[i].valid_until;
	s->shared_bytes = msize + ssize + strsize;
	return 0;
}

/* Pattern databases: restored as compiled (hs_deserialize_database checks
 * them), never recompiled; or taken from prev when its section was the
 * same. */
static int open_patterns(struct cp_store *s, const struct cp_snap *snap,
			 const struct cp_store *prev)
{
	for (unsigned t = 0; t < CP_PT__COUNT; t++) {
		uint64_t dsize, n, rsize, rn;
		const void *db = cp_snap_section(snap, CP_SEC_PAT_DB + t, &dsize, &n, NULL, NULL);
		const struct cp_pat_ref *r = cp_snap_section(snap, CP_SEC_PAT_REF + t, &rsize, &rn,
							     NULL, NULL);
		if (db == NULL && r == NULL)
			continue;
		if (db == NULL || r == NULL || n != rn || rsize != rn * sizeof(*r) || n > UINT32_MAX)
			return -EBADMSG;
		for (uint64_t i = 0; i < rn; i++)
			if (r[i].meta >= s->nmeta || r[i].text >= s->strs_size)
				return -EBADMSG;
		s->pref[t] = r;
		s->npat[t] = (uint32_t)n;
		uint64_t sum = cp_snap_section_sum(snap, CP_SEC_PAT_DB + t);
		struct cp_pdb *p = prev != NULL ? prev->pdb[t] : NULL;
		if (p != NULL && p->sum == sum && p->size == dsize) {
			__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
			s->pdb[t] = p;
			continue;
		}
		hs_database_t *d = NULL;
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return -ENOMEM;
		if (hs_deserialize_database(db, dsize, &d) != HS_SUCCESS) {
			free(p);
			return -EPROTO;  /* corrupt, or made for another CPU platform */
		}
		*p = (struct cp_pdb){ .db = d, .sum = sum, .size = dsize, .refs = 1 };
		s->pdb[t] = p;
	}
	return 0;
}

static void close_patterns(struct cp_store *s)
{
	for (unsigned t = 0; t < CP_PT__COUNT; t++) {
		struct cp_pdb *p = s->pdb[t];
		if (p != NULL && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0) {
			hs_free_database(p->db);
			free(p);
		}
	}
}

const void *cp_store_patterns(const struct cp_store *s, unsigned t, uint32_t *n,
			      const struct cp_pat_ref **refs)
{
	if (t >= CP_PT__COUNT || s->pdb[t] == NULL) {
		*n = 0;
		return NULL;
	}
	*n = s->npat[t];
	if (refs != NULL)
		*refs = s->pref[t];
	return s->pdb[t]->db;
}

int cp_store_scratch_new(const struct cp_store *s, unsigned copies, hs_scratch_t **out)
{
	const hs_database_t *db[CP_PT__COUNT];

	for (unsigned t = 0; t < CP_PT__COUNT; t++)
		db[t] = s->pdb[t] != NULL ? s->pdb[t]->db : NULL;
	return cp_pattern_scratch_new(db, CP_PT__COUNT, copies, out);
}

struct cp_store *cp_store_open(const struct cp_snap *snap)
{
	return cp_store_open_reuse(snap, NULL);
}

struct cp_store *cp_store_open_reuse(const struct cp_snap *snap, const struct cp_store *prev)
{
	struct cp_store *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return NULL;
	s->seed = cp_snap_seed(snap);
	rc = open_shared(s, snap);
	for (unsigned t = 0; rc == 0 && t < CP_T__COUNT; t++)
		rc = open_xtab(s, snap, (enum cp_itype)t);
	if (rc == 0)
		rc = open_cidrs(s, snap);
	if (rc == 0) {
		uint64_t msize = 0, lsize = 0, n = 0;
		const uint64_t *map = cp_snap_section(snap, CP_SEC_V4_MAP, &msize, NULL, NULL, NULL);
		const uint32_t *list = cp_snap_section(snap, CP_SEC_V4_LIST, &lsize, &n, NULL, NULL);
		if (list != NULL && lsize != n * 4)
			rc = -EBADMSG;
		else
			rc = cp__v4map_init(&s->v4, map, msize, list, n, &s->r4,
					    s->x[CP_T_IPV4].slots != NULL);
		s->r4.v4map = s->v4.bits;  /* with its CIDR half whenever r4 has CIDRs */
		s->v4_file = (map != NULL ? msize : 0) + (list != NULL ? lsize : 0);
	}
	if (rc == 0)
		rc = open_patterns(s, snap, prev);
	if (rc != 0) {
		cp_store_close(s);
		errno = -rc;
		return NULL;
	}
	return s;
}

void cp_store_close(struct cp_store *s)
{
	if (s == NULL)
		return;
	close_patterns(s);
	cp__v4map_fini(&s->v4);
	cp__r4_fini(&s->r4);
	free(s);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void cp_store_key(const struct cp_store *s, const struct cp_ind *ind, struct cp_qkey *k)
{
	if (ind->type == CP_T_IPV4)
		cp__key_ipv4(s->seed, be32(ind->v), k);
	else
		cp__key_bytes(s->seed, cp__tweak(ind->type, ind->subdomains), ind->v, ind->len, k);
}

/* The permutation in a loop of its own, vectorised, then the 16-byte keys:
 * one scalar loop doing both was ~5 % of a 64-byte packet's time, and this
 * gained 3-5 % (pipeline --count 1000000 --mix 64, alternating runs). */
CP_VECTORIZE
void cp_store_keys_ipv4(const struct cp_store *s, const uint32_t *addrs, struct cp_qkey *k,
			unsigned n)
{
	uint32_t p[CP_STORE_BULK_MAX];

	while (n != 0) {
		unsigned m = n < CP_STORE_BULK_MAX ? n : CP_STORE_BULK_MAX;
		for (unsigned i = 0; i < m; i++)
			p[i] = cp_perm32(s->seed, addrs[i]);
		for (unsigned i = 0; i < m; i++)
			k[i] = (struct cp_qkey){ .a = (uint64_t)p[i] << 32 };
		addrs += m, k += m, n -= m;
	}
}

uint64_t cp_store_sub_labels(const struct cp_store *s)
{
	return s->sub_labels;
}

unsigned cp_store_domain_keys(const struct cp_store *s, const char *name, size_t n,
			      uint64_t labels, struct cp_qkey *keys, uint16_t *offs, unsigned max)
{
	uint64_t sub = cp__tweak(CP_T_DOMAIN, 1);
	unsigned k = 0, left;

	if (max == 0 || n == 0)
		return 0;
	cp__key_bytes(s->seed, cp__tweak(CP_T_DOMAIN, 0), name, n, &keys[k]);
	offs[k++] = 0;
	if (labels == 0)
		return k;  /* no subdomain indicators: no suffix to walk to */
	left = labels == ~0ull ? 0 : cp__labels(name, n);
	for (size_t i = 0; i < n && k < max; i++) {
		if (i != 0 && name[i - 1] != '.')
			continue;
		/* left: the labels of the suffix at i (0: not counted, probe all). */
		if (left == 0 || (labels & cp__label_bit(left--)) != 0) {
			cp__key_bytes(s->seed, sub, name + i, n - i, &keys[k]);
			offs[k++] = (uint16_t)i;
		}
	}
	return k;
}

unsigned cp_store_lookup_bulk(const struct cp_store *s, enum cp_itype t,
			      const struct cp_qkey *keys, uint32_t *refs, unsigned n)
{
	const struct cp_xtab *x = &s->x[t];

	return x->lookup(x, keys, refs, n);
}

unsigned cp_store_lpm4_bulk(const struct cp_store *s, const uint32_t *addrs, uint32_t *refs,
			    unsigned n)
{
	unsigned hits = 0;

	for (unsigned i = 0; i < n; i += CP_STORE_BULK_MAX) {
		unsigned k = n - i < CP_STORE_BULK_MAX ? n - i : CP_STORE_BULK_MAX;
		cp__r4_lookup_bulk(&s->r4, addrs + i, refs + i, k);
	}
	for (unsigned i = 0; i < n; i++)
		hits += refs[i] != 0;
	return hits;
}

unsigned cp_store_ipv4_bulk(const struct cp_store *s, const uint32_t *addrs,
			    const struct cp_qkey *keys, uint32_t *refs, unsigned n)
{
	const struct cp_range4 *r = s->r4.off != NULL ? &s->r4 : NULL;
	unsigned hits = 0;

	for (unsigned i = 0; i < n; i += CP_STORE_BULK_MAX) {
		unsigned k = n - i < CP_STORE_BULK_MAX ? n - i : CP_STORE_BULK_MAX;
		cp__xt_lookup_v4(&s->x[CP_T_IPV4], r, keys + i, addrs + i, refs + i, k);
	}
	for (unsigned i = 0; i < n; i++)
		hits += refs[i] != 0;
	return hits;
}

int cp_store_has_prefixes(const struct cp_store *s, enum cp_itype t)
{
	return t == CP_T_IPV4 ? s->r4.off != NULL : t == CP_T_IPV6 ? s->lpm6.tbl != NULL : 0;
}

unsigned cp_store_lpm6_bulk(const struct cp_store *s, const uint8_t (*addrs)[16],
			    uint32_t *refs, unsigned n)
{
	unsigned hits = 0;

	for (unsigned i = 0; i < n; i++) {
		refs[i] = cp__lpm_lookup(&s->lpm6, addrs[i]);
		hits += refs[i] != 0;
	}
	return hits;
}

static unsigned match_domain(const struct cp_store *s, const struct cp_ind *ind,
			     struct cp_match *m, unsigned max)
{
	struct cp_qkey keys[130];
	uint16_t offs[130];
	uint32_t refs[130];
	unsigned k, nm = 0;

	k = cp_store_domain_keys(s, (const char *)ind->v, ind->len, s->sub_labels, keys, offs, 130);
	cp_store_lookup_bulk(s, CP_T_DOMAIN, keys, refs, k);
	for (unsigned i = 0; i < k && nm < max; i++)
		if (refs[i] != 0)
			m[nm++] = (struct cp_match){ .ref = refs[i], .subdomains = i > 0,
						     .name_off = offs[i] };
	return nm;
}

unsigned cp_store_match(const struct cp_store *s, const struct cp_ind *ind, struct cp_match *m,
			unsigned max)
{
	unsigned full = ind->type == CP_T_IPV4 ? 32 : 128;
	struct cp_qkey k;
	uint32_t ref = 0;

	if (max == 0 || ind->type >= CP_T__COUNT)
		return 0;
	if (ind->type == CP_T_DOMAIN)
		return match_domain(s, ind, m, max);
	/* An exact IP's set already holds every CIDR that covers it. */
	if (ind->type != CP_T_IPV4 && ind->type != CP_T_IPV6) {
		cp_store_key(s, ind, &k);
		cp_store_lookup_bulk(s, (enum cp_itype)ind->type, &k, &ref, 1);
	} else {
		if (ind->plen == full) {
			cp_store_key(s, ind, &k);
			cp_store_lookup_bulk(s, (enum cp_itype)ind->type, &k, &ref, 1);
		}
		if (ref == 0 && ind->type == CP_T_IPV4)
			ref = cp__r4_lookup(&s->r4, be32(ind->v));
		else if (ref == 0)
			ref = cp__lpm_lookup(&s->lpm6, ind->v);
	}
	if (ref == 0)
		return 0;
	m[0] = (struct cp_match){ .ref = ref };
	return 1;
}

unsigned cp_store_set(const struct cp_store *s, uint32_t ref, const uint32_t **ents)
{
	uint64_t off = ref & ((1u << 30) - 1);

	if (ref == 0 || off >= s->nsets || s->sets[off] > s->nsets - off - 1)
		return 0;
	*ents = s->sets + off + 1;
	return s->sets[off];
}

uint32_t cp_store_live_ref(const struct cp_store *s, uint32_t ref, int64_t now)
{
	const uint32_t *e;
	unsigned best = 0;

	if (s->first_expiry == 0 || now < s->first_expiry)
		return ref;
	unsigned k = cp_store_set(s, ref, &e);
	for (unsigned i = 0; i < k; i++) {
		const struct cp_meta_rec *m = cp_store_meta(s, e[i] & 0xffffff);
		if (m != NULL && (m->valid_until == 0 || m->valid_until > now) && m->action > best)
			best = m->action;
	}
	return best ? (uint32_t)best << 30 | (ref & ((1u << 30) - 1)) : 0;
}

uint64_t cp_store_expired(const struct cp_store *s, int64_t now)
{
	uint64_t n = 0;

	if (s->first_expiry == 0 || now < s->first_expiry)
		return 0;
	for (uint64_t i = 0; i < s->nmeta; i++)
		n += s->meta[i].valid_until != 0 && s->meta[i].valid_until <= now;
	return n;
}

const struct cp_meta_rec *cp_store_meta(const struct cp_store *s, uint32_t id)
{
	return id < s->nmeta ? &s->meta[id] : NULL;
}

const char *cp_store_str(const struct cp_store *s, uint32_t off)
{
	return off != 0 && off < s->strs_size ? s->strs + off : NULL;
}

uint64_t cp_store_count(const struct cp_store *s, enum cp_itype t)
{
	uint64_t n = s->x[t].count;

	if (t == CP_T_IPV4 || t == CP_T_IPV6)
		n += s->cidr_count[t == CP_T_IPV6];
	return n;
}

uint64_t cp_store_bytes(const struct cp_store *s, enum cp_itype t)
{
	const struct cp_xtab *x = &s->x[t];
	size_t ss = cp__xt_slot_size(x->kind);
	uint64_t b = x->slots ? x->nslots * ss + x->nblocks * 32 : 0;

	if (t == CP_T_IPV4 && s->r4.off != NULL)
		b += CP_R4_CHUNKS * 4 + 4 + s->r4.n * 6 + CP_R4_MEETS_BYTES;
	if (t == CP_T_IPV4)  /* the section, and the map made from it */
		b += s->v4_file + (s->v4.bits != NULL ? CP_V4MAP_WORDS * 8ull : 0);
	if (t == CP_T_IPV6 && s->lpm6.tbl != NULL)
		b += (CP_LPM_L0 + s->lpm6.ngroups * CP_LPM_GROUP) * 4 + s->lpm6.nleaves * 4;
	return b;
}

uint64_t cp_store_shared_bytes(const struct cp_store *s)
{
	return s->shared_bytes;
}

uint64_t cp_store_seed(const struct cp_store *s)
{
	return s->seed;
}
