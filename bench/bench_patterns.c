/* chokepoint-bench patterns: Hyperscan pattern sets through the compiler
 * and the snapshot, then scanned.
 *
 * Per set (1 k .. 1 M literals, 1 k and 10 k regexes, 100 k mixed one in
 * ten a regex), with its baseline from the same run:
 *   compile  our path (a child process, bounded, serialised) beside
 *            hs_compile_*multi in this process on the same set;
 *   db       the serialised database beside the patterns' own bytes;
 *   load     the snapshot opened (databases restored, never compiled)
 *            beside the compile it spares: load time independent of it;
 *   scan     block-mode scans of realistic payloads, IMIX-sized, one call a
 *            packet as the workers make them, beside a one-literal database
 *            over the same payloads (Hyperscan's floor).
 * Then the pipeline with 100 k patterns on and off (bench_pipeline). */
#include "bench.h"
#include "pattern/pattern.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct popts {
	uint64_t seed, max, scan_mb, packets;
	unsigned size;           /* payload bytes; 0: IMIX */
	int pipeline;
	const char *dir;
	struct bench_out out;
};

struct set {
	const char *name;
	uint64_t n;
	int kind;                /* 0 literals, 1 regexes, 2 mixed (1 in 10 a regex) */
};

/* The set's patterns, parsed, as parallel arrays. */
struct parsed {
	char **expr;
	size_t *len;
	unsigned *flags;
	uint8_t *literal;
	uint64_t bytes;
};

static int parse_set(const struct popts *o, const struct set *s, struct parsed *p)
{
	static struct cp_pattern pat;
	char text[128];
	const char *why;

	p->expr = calloc(s->n, sizeof(*p->expr));
	p->len = calloc(s->n, sizeof(*p->len));
	p->flags = calloc(s->n, sizeof(*p->flags));
	p->literal = calloc(s->n, 1);
	p->bytes = 0;
	if (!p->expr || !p->len || !p->flags || !p->literal)
		return -1;
	for (uint64_t i = 0; i < s->n; i++) {
		if (s->kind == 1 || (s->kind == 2 && i % 10 == 9))
			gen_pattern_regex(o->seed, s->kind == 1 ? i : i / 10, text, sizeof(text));
		else
			gen_pattern_literal(o->seed, i, text, sizeof(text));
		if (cp_pattern_parse(text, strlen(text), &pat, &why) != 0 ||
		    (p->expr[i] = malloc(pat.len + 1)) == NULL) {
			fprintf(stderr, "patterns: %s: %s\n", text, why);
			return -1;
		}
		memcpy(p->expr[i], pat.expr, pat.len + 1);
		p->len[i] = pat.len;
		p->flags[i] = pat.flags;
		p->literal[i] = pat.literal;
		p->bytes += pat.len;
	}
	return 0;
}

static void free_set(struct parsed *p, uint64_t n)
{
	for (uint64_t i = 0; p->expr != NULL && i < n; i++)
		free(p->expr[i]);
	free(p->expr);
	free(p->len);
	free(p->flags);
	free(p->literal);
}

/* Payloads of IMIX packets (7:4:1 of 64/576/1500 B frames, less 42 B of
 * Ethernet, IPv4 and UDP headers), or all of --size bytes; --scan-mb in
 * all. */
struct corpus {
	uint8_t *buf;
	uint32_t *off, *len;
	unsigned n;
	uint64_t bytes;
};

static int make_corpus(const struct popts *o, uint64_t npat, struct corpus *c)
{
	static const unsigned sizes[12] = { 22, 22, 22, 22, 22, 22, 22, 534, 534, 534, 534, 1458 };
	uint64_t cap = o->scan_mb << 20;

	c->n = (unsigned)(cap / (o->size ? o->size : 310));  /* the IMIX payload mean is ~310 B */
	c->buf = malloc(cap + 1500);
	c->off = malloc(c->n * sizeof(*c->off));
	c->len = malloc(c->n * sizeof(*c->len));
	if (!c->buf || !c->off || !c->len)
		return -1;
	c->bytes = 0;
	for (unsigned i = 0; i < c->n; i++) {
		unsigned sz = o->size ? o->size : sizes[i % 12];
		if (c->bytes + sz > cap) {
			c->n = i;
			break;
		}
		c->off[i] = (uint32_t)c->bytes;
		c->len[i] = sz;
		gen_payload(o->seed, i, c->buf + c->bytes, sz, npat);
		c->bytes += sz;
	}
	return 0;
}

static int count_hit(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
		     void *arg)
{
	(void)id, (void)from, (void)to, (void)fl;
	++*(uint64_t *)arg;
	return 0;
}

/* Gbit/s of payload scanned, best of three passes over the corpus. */
static double scan_rate(const hs_database_t *db, const struct corpus *c, uint64_t *hits)
{
	hs_scratch_t *s = NULL;
	double best = 0;

	if (hs_alloc_scratch(db, &s) != HS_SUCCESS)
		return 0;
	for (int pass = 0; pass < 3; pass++) {
		*hits = 0;
		double t0 = bench_now();
		for (unsigned i = 0; i < c->n; i++)
			hs_scan(db, (const char *)c->buf + c->off[i], c->len[i], 0, s, count_hit, hits);
		double r = (double)c->bytes * 8 / (bench_now() - t0) / 1e9;
		best = r > best ? r : best;
	}
	hs_free_scratch(s);
	return best;
}

/* The database a snapshot of the set holds, through the compiler. */
static int through_snapshot(const struct popts *o, const struct set *s,
			    const struct parsed *p, double *compile_s, double *load_ms,
			    uint64_t *db_bytes, struct cp_snap **snap, struct cp_store **st,
			    char *path, size_t plen)
{
	struct cp_compiler *c = cp_compiler_new(o->seed);
	struct cp_meta_in m = { .action = CP_ACT_ALERT, .confidence = -1, .feed = "bench" };
	struct cp_pattern_opts po = { .time_limit_s = 3600, .max_bytes = 0 };  /* no cache */
	struct cp_compile_stats cs;
	static struct cp_pattern pat;
	char err[512];
	uint32_t mid;

	cp_compiler_set_patterns(c, &po);
	cp_compiler_meta(c, &m, &mid);
	for (uint64_t i = 0; i < s->n; i++) {
		pat.literal = p->literal[i];
		pat.flags = p->flags[i];
		pat.len = (uint32_t)p->len[i];
		memcpy(pat.expr, p->expr[i], p->len[i] + 1);
		cp_compiler_add_pattern(c, &pat, CP_PT_PAYLOAD, mid, "bench", i + 1);
	}
	snprintf(path, plen, "%s/bench-patterns-%d.cpsnap", o->dir, (int)getpid());
	int rc = cp_compiler_write(c, path, &cs, err, sizeof(err));
	cp_compiler_free(c);
	if (rc != 0) {
		fprintf(stderr, "patterns: %s\n", err);
		return -1;
	}
	*compile_s = cs.pattern_s;
	*db_bytes = cs.pattern_bytes;
	double t0 = bench_now();
	*snap = cp_snap_open(path, 0, err, sizeof(err));
	*st = *snap ? cp_store_open(*snap) : NULL;
	*load_ms = (bench_now() - t0) * 1e3;
	if (*st == NULL) {
		fprintf(stderr, "patterns: %s\n", *snap ? "store refused" : err);
		return -1;
	}
	return 0;
}

static int one_set(const struct popts *o, const struct set *s, double floor_gbps,
		   const struct corpus *corp)
{
	struct parsed p = { 0 };
	struct cp_snap *snap = NULL;
	struct cp_store *st = NULL;
	char path[512], fig[96], err[256];
	double compile_s, load_ms;
	uint64_t db_bytes, hits;
	unsigned bad;
	int rc = -1;

	if (parse_set(o, s, &p) != 0 ||
	    through_snapshot(o, s, &p, &compile_s, &load_ms, &db_bytes, &snap, &st, path,
			     sizeof(path)) != 0)
		goto out;
	struct cp_pattern_v v = { .expr = (const char *const *)p.expr, .len = p.len,
				  .flags = p.flags, .literal = p.literal };
	hs_database_t *raw = NULL;
	double t0 = bench_now();
	if (cp_pattern_compile_v(&v, (unsigned)s->n, &raw, &bad, err, sizeof(err)) != 0) {
		fprintf(stderr, "patterns: %s\n", err);
		goto out;
	}
	double raw_s = bench_now() - t0;
	hs_free_database(raw);
	snprintf(fig, sizeof(fig), "patterns.compile.%s", s->name);
	bench_figure(&o->out, fig, compile_s, "s", "hs compile in-process", raw_s, 1);
	snprintf(fig, sizeof(fig), "patterns.db.%s", s->name);
	bench_figure(&o->out, fig, db_bytes / 1e6, "MB", "the patterns' bytes", p.bytes / 1e6, 1);
	snprintf(fig, sizeof(fig), "patterns.load.%s", s->name);
	bench_figure(&o->out, fig, load_ms, "ms", "the compile it spares", compile_s * 1e3, 1);
	uint32_t n;
	const hs_database_t *db = cp_store_patterns(st, CP_PT_PAYLOAD, &n, NULL);
	double g = scan_rate(db, corp, &hits);
	snprintf(fig, sizeof(fig), "patterns.scan.%s", s->name);
	bench_figure(&o->out, fig, g, "Gbit/s", "hs_scan, one literal", floor_gbps, 0);
	if (!o->out.json)
		fprintf(stderr, "  %s: %llu matches in %u payloads\n", s->name,
			(unsigned long long)hits, corp->n);
	rc = 0;
out:
	cp_store_close(st);
	cp_snap_close(snap);
	unlink(path);
	free_set(&p, s->n);
	return rc;
}

/* The one-literal database: the cost of a scan call and a pass over the
 * bytes, with nothing to find. */
static double floor_rate(const struct corpus *c)
{
	hs_database_t *db = NULL;
	hs_compile_error_t *ce = NULL;
	uint64_t hits;

	if (hs_compile("zqxjzqxj", 0, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS) {
		hs_free_compile_error(ce);
		return 0;
	}
	double g = scan_rate(db, c, &hits);
	hs_free_database(db);
	return g;
}

int bench_patterns(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max", required_argument, NULL, 'x' },     { "scan-mb", required_argument, NULL, 's' },
		{ "packets", required_argument, NULL, 'p' }, { "no-pipeline", no_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },          { "dir", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 'z' },    { NULL, 0, NULL, 0 },
	};
	static const struct set sets[] = {
		{ "1k_literals", 1000, 0 },     { "10k_literals", 10000, 0 },
		{ "100k_literals", 100000, 0 }, { "1m_literals", 1000000, 0 },
		{ "1k_regexes", 1000, 1 },      { "10k_regexes", 10000, 1 },
		{ "100k_mixed", 100000, 2 },
	};
	struct popts o = { .seed = 42, .max = 1000000, .scan_mb = 32, .packets = 5000000,
			   .pipeline = 1, .dir = "/tmp" };
	struct corpus corp;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "x:s:p:Njd:z:", opts, NULL)) != -1) {
		if (c == 'x')
			o.max = strtoull(optarg, NULL, 10);
		else if (c == 's')
			o.scan_mb = strtoull(optarg, NULL, 10);
		else if (c == 'p')
			o.packets = strtoull(optarg, NULL, 10);
		else if (c == 'N')
			o.pipeline = 0;
		else if (c == 'j')
			o.out.json = 1;
		else if (c == 'd')
			o.dir = optarg;
		else if (c == 'z' && atoi(optarg) >= 1 && atoi(optarg) <= 1500)
			o.size = (unsigned)atoi(optarg);
		else
			return 2;
	}
	if (o.scan_mb == 0 || make_corpus(&o, 100000, &corp) != 0) {
		fprintf(stderr, "patterns: no payload corpus\n");
		return 1;
	}
	if (!o.out.json)
		printf("%-34s %12s %-10s %-28s %12s   %s\n", "figure", "ours", "unit", "baseline",
		       "baseline", "ratio");
	double floor_gbps = floor_rate(&corp);
	for (unsigned i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (sets[i].n <= o.max && one_set(&o, &sets[i], floor_gbps, &corp) != 0)
			return 1;
	free(corp.buf);
	free(corp.off);
	free(corp.len);
	if (!o.pipeline)
		return 0;
	char npk[32], *pargv[12] = { "pipeline", "--patterns", "100000", "--mix", "imix",
				     "--packets", npk, "--dir", (char *)o.dir };
	int pargc = 9;
	snprintf(npk, sizeof(npk), "%llu", (unsigned long long)o.packets);
	if (o.out.json)
		pargv[pargc++] = "--json";
	return bench_pipeline(pargc, pargv);
}
