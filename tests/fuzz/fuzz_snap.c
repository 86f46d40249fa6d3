/* libFuzzer target for the snapshot loader and the store's geometry checks
 * on files whose checksums are right: a crafted or miscompiled snapshot
 * passes XXH3, so what keeps lookups inside their tables is the validation
 * cp_store_open does (bucket counts, trie and range entries, refs into the
 * sets). Each input is a list of edits to a real small snapshot, applied
 * before the section and header checksums are recomputed:
 *
 *   byte 0      open flags (0, CP_SNAP_LAZY, CP_SNAP_HUGE)
 *   then 10 B   each: section (u8, modulo the count), op (u8), at (u32),
 *               value (u32), little-endian
 *
 * A snapshot that opens is then looked up by every entry point, single and
 * bulk, with the contexts of every match read back, as `lookup` and the
 * alert writer do. Nothing may crash or read outside the file. */
#include "compile.h"
#include "intel_cmd.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_internal.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

/* Values of every type, CIDRs nested and overlapping, a name under a
 * subdomain indicator; queried again with the misses beside them. */
struct val {
	enum cp_itype t;
	const char *text;
};

static const struct val vals[] = {
	{ CP_T_IPV4, "10.0.0.1" }, { CP_T_IPV4, "10.1.0.0/16" }, { CP_T_IPV4, "10.1.2.0/24" },
	{ CP_T_IPV4, "192.0.2.7" }, { CP_T_IPV4, "0.0.0.0/1" }, { CP_T_IPV4, "255.255.255.255" },
	{ CP_T_IPV6, "2001:db8::1" }, { CP_T_IPV6, "2001:db8:1::/48" },
	{ CP_T_IPV6, "2001:db8:1:2::/64" }, { CP_T_IPV6, "::/1" },
	{ CP_T_DOMAIN, "evil.example" }, { CP_T_DOMAIN, "*.sub.example" },
	{ CP_T_DOMAIN, "ok.sub.example" }, { CP_T_DOMAIN, ".a.b.c.d.e.example" },
	{ CP_T_URL, "http://evil.example/x.php" },
	{ CP_T_MD5, "d41d8cd98f00b204e9800998ecf8427e" },
	{ CP_T_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ CP_T_SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ CP_T_JA3, "526cfb56edaf1183f21ff3c5deef718f" },
};
#define NVALS (sizeof(vals) / sizeof(vals[0]))

static const struct val misses[] = {
	{ CP_T_IPV4, "10.0.0.2" }, { CP_T_IPV4, "10.1.2.3" }, { CP_T_IPV4, "200.1.1.1" },
	{ CP_T_IPV6, "2001:db8:1:2::9" }, { CP_T_IPV6, "fe80::1" },
	{ CP_T_DOMAIN, "x.y.sub.example" }, { CP_T_DOMAIN, "notevil.example" },
	{ CP_T_DOMAIN, "q.a.b.c.d.e.example" }, { CP_T_URL, "http://evil.example/y" },
};
#define NMISSES (sizeof(misses) / sizeof(misses[0]))

static uint8_t *base, *img;
static size_t base_size;
static struct cp_ind probe[NVALS + NMISSES];
static char path[64];
static FILE *sink;
static volatile size_t read_bytes;  /* the strings' lengths: keeps the reads */

static void norm(enum cp_itype t, const char *text, struct cp_ind *out)
{
	const char *why;

	if (cp_norm(t, text, strlen(text), out, &why) != 0)
		abort();
}

/* Several contexts, one expiring, so sets, strings and live refs are read. */
static void compile_base(void)
{
	struct cp_compiler *c = cp_compiler_new(0x5eed);
	struct cp_meta_in m[3] = {
		{ .action = CP_ACT_ALERT, .confidence = 50, .feed = "a", .id = "id-1", .tags = "x,y" },
		{ .action = CP_ACT_DROP, .confidence = -1, .feed = "b", .valid_until = 4000000000 },
		{ .action = CP_ACT_ALLOW, .confidence = 90, .feed = "c", .tags = "ok" },
	};
	uint32_t mid[3];
	char err[256];

	if (c == NULL)
		abort();
	for (int i = 0; i < 3; i++)
		if (cp_compiler_meta(c, &m[i], &mid[i]) != 0)
			abort();
	for (size_t i = 0; i < NVALS; i++) {
		norm(vals[i].t, vals[i].text, &probe[i]);
		/* Every third value in two contexts: a set of two. */
		if (cp_compiler_add(c, &probe[i], mid[i % 3]) != 0 ||
		    (i % 3 == 0 && cp_compiler_add(c, &probe[i], mid[1]) != 0))
			abort();
	}
	for (size_t i = 0; i < NMISSES; i++)
		norm(misses[i].t, misses[i].text, &probe[NVALS + i]);
	if (cp_compiler_write(c, path, NULL, err, sizeof(err)) != 0)
		abort();
	cp_compiler_free(c);
}

static void cleanup(void)
{
	unlink(path);
}

static void setup(void)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	FILE *f;

	snprintf(path, sizeof(path), "%s/fuzz-snap-%d.cpsnap", dir, (int)getpid());
	compile_base();
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) != 0)
		abort();
	base_size = (size_t)ftell(f);
	rewind(f);
	if ((base = malloc(base_size)) == NULL || (img = malloc(base_size)) == NULL ||
	    fread(base, 1, base_size, f) != base_size)
		abort();
	fclose(f);
	if ((sink = fopen("/dev/null", "w")) == NULL || atexit(cleanup) != 0)
		abort();
}

/* One edit. Fields of the section table are set, or moved by a small
 * step (off-by-one geometry is where checks go wrong); data bytes are
 * overwritten, or stepped as the uint32_t arrays most tables are. */
static void edit(struct cp_snap_hdr *h, const uint8_t *e)
{
	struct cp_snap_sect *s = &h->sect[e[0] % h->nsect];
	uint32_t at, val;
	uint64_t *field[] = { &s->count, &s->p0, &s->p1, &s->size, &s->off };

	memcpy(&at, e + 2, 4);
	memcpy(&val, e + 6, 4);
	switch (e[1] % 5) {
	case 0:  /* a table field: set */
		*field[at % 5] = val;
		break;
	case 1:  /* a table field: stepped by -8..7 */
		*field[at % 5] += (uint64_t)(int64_t)((int)(val & 15) - 8);
		break;
	case 2:  /* the section's id: one table read as another */
		s->id = val;
		break;
	default:
		if (s->size < 4 || s->off > base_size || s->size > base_size - s->off)
			break;
		uint8_t *d = img + s->off;
		uint64_t n = s->size / 4;
		if (e[1] % 5 == 3) {
			memcpy(d + at % (s->size - 3), &val, 4);
		} else {
			uint32_t w;
			memcpy(&w, d + (at % n) * 4, 4);
			w += (uint32_t)((int)(val & 15) - 8);
			memcpy(d + (at % n) * 4, &w, 4);
		}
	}
}

/* Checksums as the writer makes them, for every section in bounds. */
static void reseal(struct cp_snap_hdr *h)
{
	for (uint32_t i = 0; i < h->nsect && i < CP_SNAP_MAX_SECT; i++) {
		struct cp_snap_sect *s = &h->sect[i];
		if (s->off <= base_size && s->size <= base_size - s->off)
			s->cksum = XXH3_64bits(img + s->off, s->size);
	}
	h->hdr_cksum = 0;
	h->hdr_cksum = XXH3_64bits(img, CP_SNAP_HDR_SIZE);
}

/* A match's contexts, read as `lookup` and the alert writer read them. */
static void contexts(const struct cp_store *s, uint32_t ref)
{
	const uint32_t *ents;
	unsigned k = cp_store_set(s, ref, &ents);

	for (unsigned i = 0; i < k; i++) {
		const struct cp_meta_rec *m = cp_store_meta(s, ents[i] & 0xffffff);
		const char *str[3] = { NULL, NULL, NULL };
		if (m == NULL)
			continue;
		str[0] = cp_store_str(s, m->feed), str[1] = cp_store_str(s, m->id);
		str[2] = cp_store_str(s, m->tags);
		for (int j = 0; j < 3; j++)
			read_bytes += str[j] != NULL ? strlen(str[j]) : 0;
	}
	(void)cp_store_live_ref(s, ref, 0);
	(void)cp_store_live_ref(s, ref, INT64_MAX);
}

static void bulk_ipv4(const struct cp_store *s, const uint8_t *data, size_t size)
{
	uint32_t addrs[CP_STORE_BULK_MAX], refs[CP_STORE_BULK_MAX];
	struct cp_qkey keys[CP_STORE_BULK_MAX];
	uint16_t keep[CP_STORE_BULK_MAX];
	unsigned n = 0;

	/* The probes' addresses and the input's own words. */
	for (size_t i = 0; i < NVALS + NMISSES && n < CP_STORE_BULK_MAX; i++)
		if (probe[i].type == CP_T_IPV4)
			addrs[n++] = (uint32_t)probe[i].v[0] << 24 | probe[i].v[1] << 16 |
				     probe[i].v[2] << 8 | probe[i].v[3];
	for (size_t i = 0; i + 4 <= size && n < CP_STORE_BULK_MAX; i += 4)
		memcpy(&addrs[n++], data + i, 4);
	(void)cp_store_v4_candidates(s, addrs, n, keep);
	cp_store_keys_ipv4(s, addrs, keys, n);
	(void)cp_store_ipv4_bulk(s, addrs, keys, refs, n);
	for (unsigned i = 0; i < n; i++)
		contexts(s, refs[i]);
	(void)cp_store_lookup_bulk(s, CP_T_IPV4, keys, refs, n);
	(void)cp_store_lpm4_bulk(s, addrs, refs, n);
	for (unsigned i = 0; i < n; i++)
		contexts(s, refs[i]);
}

static void bulk_others(const struct cp_store *s)
{
	uint8_t v6[NVALS + NMISSES][16];
	struct cp_qkey keys[CP_STORE_BULK_MAX];
	uint32_t refs[CP_STORE_BULK_MAX];
	uint16_t offs[CP_STORE_BULK_MAX];
	unsigned n6 = 0;

	for (size_t i = 0; i < NVALS + NMISSES; i++) {
		const struct cp_ind *p = &probe[i];
		unsigned k = 0;
		if (p->type == CP_T_IPV6)
			memcpy(v6[n6++], p->v, 16);
		if (p->type == CP_T_DOMAIN)
			k = cp_store_domain_keys(s, (const char *)p->v, p->len, cp_store_sub_labels(s),
						 keys, offs, CP_STORE_BULK_MAX);
		else if (p->type != CP_T_IPV4)
			cp_store_key(s, p, &keys[k++]);
		(void)cp_store_lookup_bulk(s, (enum cp_itype)p->type, keys, refs, k);
		for (unsigned j = 0; j < k; j++)
			contexts(s, refs[j]);
	}
	(void)cp_store_lpm6_bulk(s, (const uint8_t(*)[16])v6, refs, n6);
	for (unsigned i = 0; i < n6; i++)
		contexts(s, refs[i]);
}

/* Returns the number of the set's own values that matched. */
static size_t query(const struct cp_store *s, const struct cp_snap *snap, const uint8_t *data,
		    size_t size)
{
	struct cp_match m[64];
	size_t found = 0;

	for (size_t i = 0; i < NVALS + NMISSES; i++) {
		unsigned k = cp_store_match(s, &probe[i], m, 64);
		found += i < NVALS && k != 0;
		for (unsigned j = 0; j < k; j++)
			contexts(s, m[j].ref);
		(void)cp_intel_lookup(s, &probe[i], sink);
	}
	bulk_ipv4(s, data, size);
	bulk_others(s);
	(void)cp_store_expired(s, INT64_MAX);
	cp_intel_info(path, snap, s, sink);
	return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flags[] = { 0, CP_SNAP_LAZY, CP_SNAP_HUGE };
	struct cp_snap_hdr *h;
	char err[512];
	int fd;

	if (base == NULL)
		setup();
	if (size < 1)
		return 0;
	h = (struct cp_snap_hdr *)(void *)img;
	memcpy(img, base, base_size);
	for (size_t i = 1; i + 10 <= size; i += 10)
		edit(h, data + i);
	reseal(h);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    write(fd, img, base_size) != (ssize_t)base_size || close(fd) != 0)
		abort();
	struct cp_snap *snap = cp_snap_open(path, flags[data[0] % 3], err, sizeof(err));
	if (snap == NULL) {
		/* Refused: always with the file and a reason; never unedited. */
		if (strncmp(err, path, strlen(path)) != 0 || size < 11 ||
		    (errno != EBADMSG && errno != EPROTO && errno != ENOMEM))
			__builtin_trap();
		return 0;
	}
	struct cp_store *s = cp_store_open(snap);
	/* The unedited snapshot opens, and holds every value it was given. */
	if (s != NULL) {
		if (query(s, snap, data + 1, size - 1) != NVALS && size < 11)
			__builtin_trap();
		cp_store_close(s);
	} else if (size < 11 || (errno != EBADMSG && errno != ENOMEM)) {
		__builtin_trap();  /* refused as inconsistent, or for want of memory */
	}
	cp_snap_close(snap);
	return 0;
}
