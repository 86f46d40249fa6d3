/* Compiler state shared by collection (compile.c) and table building
 * (compile_build.c). Control plane. */
#ifndef CP_COMPILE_INTERNAL_H
#define CP_COMPILE_INTERNAL_H

#include "compile.h"
#include "common/intern.h"
#include "pattern/pattern.h"
#include "snapshot/snapshot.h"
#include "store/lpm_build.h"
#include "store/setb.h"
#include "store/store_internal.h"

#define META_MAX (1u << 24)

struct vec {
	void *p;
	size_t n, cap;
};

struct ip6rec {
	uint8_t v[16];
	uint32_t meta;
	uint8_t plen;
};

/* Spilling (compile_spill.c): exact records past the budget go to a file
 * per loader thread, split into hash ranges by the top bits of the key. */
#define CP_SPILL_BITS 6
#define CP_SPILL_PARTS (1u << CP_SPILL_BITS)
_Static_assert(CP_SPILL_PARTS == CP_SPILL_RANGES, "compile.h says otherwise");

struct cp_spill;

struct cp_compiler {
	uint64_t seed;
	char *spill_dir;            /* NULL: the output's directory */
	uint64_t spill_budget;      /* bytes of exact records kept in memory */
	uint64_t mem_recs;          /* bytes of them in memory now, all threads,
				     * less each sink's pending */
	uint64_t pending;           /* this sink's bytes not yet in mem_recs */
	int spilling;               /* some thread has started: all follow */
	struct cp_spill *spill;
	int64_t now;
	enum cp_filter_mode filter;
	char *strs;
	size_t strs_n, strs_cap;
	struct cp_intern strix;
	struct cp_meta_rec *meta;
	uint64_t *meta_uses;
	size_t nmeta, meta_cap;
	struct cp_intern metaix;
	struct vec x[CP_T__COUNT];  /* cp_xrec; ipv4: a = address, b = plen */
	uint64_t sub_labels;        /* CP_SEC_DOM_LABELS */
	struct vec ip6;             /* struct ip6rec */
	struct cp_compile_stats st;
	struct cp_lpmb *lpm[2];     /* [0] only while building the ranges */
	struct cp_r4_img r4;
	struct cp_range4 r4v;       /* a view of r4, for the covering CIDRs */
	uint64_t *v4map;            /* CP_SEC_V4_MAP: /24s of exact addresses */
	uint32_t *v4list;           /* the same as a list, when written so */
	struct cp_setb *setb;
	struct cp_feed_rec *feeds;
	uint32_t *ents;             /* scratch for one set */
	void *scratch;              /* sort scratch, cp_mem */
	void *part;                 /* one spilled hash range (cp_xrec), cp_mem */
	size_t part_size;
	size_t scratch_size;
	size_t ents_cap;
	/* Patterns (compile_pattern.c): records, their bytes, and per target
	 * the serialised database and the refs by Hyperscan id. */
	struct vec pat, pbytes;
	char *pser[CP_PT__COUNT];
	size_t pser_n[CP_PT__COUNT];
	struct cp_pat_ref *pref[CP_PT__COUNT];
	uint32_t npat[CP_PT__COUNT];
	struct cp_pattern_opts popts;
};

/* Interns a string of the string table; *off 0 for NULL or "". */
int cp__intern_str(struct cp_compiler *c, const char *s, uint32_t *off);
/* Compiles every target's patterns. Returns 0 or -EINVAL with err naming
 * the file, line and pattern Hyperscan refused. */
int cp__build_patterns(struct cp_compiler *c, char *err, size_t errlen);
/* The serialised database of n patterns (malloc'd): from the cache, or
 * compiled within o's limits (*cached says which). Returns 0, or -errno
 * with why, and *bad the index of the pattern at fault (n: none). */
int cp__hs_build(const struct cp_pattern_opts *o, const struct cp_pattern_v *v, unsigned n,
		 char **ser, size_t *sn, int *cached, unsigned *bad, char *why, size_t whylen);
int cp__add_pattern_sections(struct cp_compiler *c, struct cp_snap_writer *w);
void cp__patterns_free(struct cp_compiler *c);

/* Moves x's exact records, in order, into *sp, which is created first when
 * NULL, over a file in dir (NULL: $TMPDIR or /tmp); pushes one; merges src after dst, consuming src
 * (both flushed); reads one hash range, in the order pushed. Each returns 0
 * or -errno. */
int cp__spill_start(const char *dir, uint64_t seed, struct cp_spill **sp, struct vec *x);
int cp__spill_push(struct cp_spill *s, enum cp_itype t, const struct cp_xrec *r);
int cp__spill_flush(struct cp_spill *s);
int cp__spill_merge(struct cp_spill *dst, struct cp_spill *src);
uint64_t cp__spill_count(const struct cp_spill *s, enum cp_itype t, unsigned part);
int cp__spill_read(struct cp_spill *s, enum cp_itype t, unsigned part, struct cp_xrec *r);
void cp__spill_free(struct cp_spill *s);
/* A range read for the last time: its pages leave the page cache, so the
 * ranges still to come stay in it. */
void cp__spill_drop(struct cp_spill *s, enum cp_itype t, unsigned part);

int cp__vec_push(struct vec *v, const void *x, size_t esz);
void cp__vec_free(struct vec *v, size_t esz);
/* Appends w's elements to v. Returns 0 or -ENOMEM. */
int cp__vec_append(struct vec *v, const struct vec *w, size_t esz);

static inline uint32_t cp__be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
