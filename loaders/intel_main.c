/* chokepoint-intel: compile feeds into a snapshot, look indicators up, show a
 * snapshot's contents. Control plane tool. */
#include "common/mem.h"
#include "compile.h"
#include "loader.h"
#include "intel_cmd.h"
#include "snapshot/snapshot.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chokepoint-intel compile -o OUT.cpsnap [--max-errors N] [--seed N]\n"
		"                                [--filter auto|yes|no] [--threads N] [--quiet]\n"
		"                                [--pattern-time-limit S] [--pattern-max-mb MB]\n"
		"                                [--pattern-cache DIR | --no-pattern-cache]\n"
		"                                [--pattern-platform host|generic]\n"
		"                                [--spill-dir DIR] [--spill-mb MB] FEED...\n"
		"       chokepoint-intel lookup SNAP TYPE VALUE\n"
		"       chokepoint-intel info SNAP\n"
		"\n"
		"FEED is PATH or FORMAT:PATH[,key=value...]; without FORMAT it is detected\n"
		"from the file's first bytes (csv from the name *.csv), else plain.\n"
		"  formats: plain, csv, zeek, suricata (datasets, datarep), iprep, stix,\n"
		"           misp (events, restSearch), warninglist (MISP, loads as allow),\n"
		"           pattern (one a line: /regex/flags or a literal with \\xHH escapes,\n"
		"           then tab-separated target= action= id= tags= confidence=)\n"
		"  keys:    type=TYPE  action=alert|drop|allow  feed=NAME  confidence=0..100\n"
		"           subdomains=yes (bare domains also cover their subdomains)\n"
		"  csv:     value=N type=N action=N confidence=N feed=N id=N tags=N valid_until=N\n"
		"           (1-based columns, or names with header=yes), delim=CHAR|tab\n"
		"  suricata: dstype=string|md5|sha256|ipv4|ip (default: per line)\n"
		"  iprep:   categories=PATH  min_score=0..127\n"
		"  misp:    to_ids=no (take attributes without the IDS flag too)\n"
		"  pattern, stix (pattern_type pcre): target=payload|url|dns.query\n"
		"Entries a format holds but we do not match (a Zeek Intel::EMAIL, a STIX\n"
		"AND pattern, a MISP regkey) are counted by reason in the summary.\n"
		"TYPE is ipv4, ipv6, domain, url, md5, sha1, sha256 or ja3\n"
		"\n"
		"--filter: first-level filters in front of the exact tables, which make\n"
		"  misses cheap and hits one read dearer; auto builds them for every\n"
		"  domain, URL, hash and IPv6 table, and for IPv4 tables of 1 M keys or more.\n"
		"--threads: loader threads for large plain feeds (default: one per CPU).\n"
		"--pattern-time-limit: seconds a target's Hyperscan compile may take before\n"
		"  the set is refused (default 900; 0: no limit, compiled in-process).\n"
		"--pattern-max-mb: the largest database a target may make (default 2000).\n"
		"--pattern-cache: compiled databases by a hash of the pattern set, so an\n"
		"  unchanged set is not compiled again (default $XDG_CACHE_HOME/chokepoint\n"
		"  or ~/.cache/chokepoint).\n"
		"--pattern-platform: host (default) builds pattern databases for this CPU;\n"
		"  generic for any x86-64, for snapshots built on one machine and loaded\n"
		"  on others (a database needing features the CPU lacks is refused).\n"
		"--spill-mb: memory for indicator records (16 B each) before the rest go\n"
		"  to unnamed files in --spill-dir (default: the output's directory) and\n"
		"  each table is built one hash range at a time; for sets larger than\n"
		"  memory. Default: a quarter of physical memory; 0 spills them all.\n"
		"lookup prints the matches as JSON and exits 0, or prints nothing and exits 1.\n");
}

/* $XDG_CACHE_HOME/chokepoint, else ~/.cache/chokepoint; NULL without
 * either (no cache). */
static const char *default_cache(void)
{
	static char dir[4096];
	const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");

	if (x != NULL && x[0] == '/')
		snprintf(dir, sizeof(dir), "%s/chokepoint", x);
	else if (h != NULL && h[0] == '/')
		snprintf(dir, sizeof(dir), "%s/.cache/chokepoint", h);
	else
		return NULL;
	return dir;
}

static int cmd_compile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "max-errors", required_argument, NULL, 'e' },
		{ "seed", required_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "filter", required_argument, NULL, 'f' },
		{ "threads", required_argument, NULL, 't' },
		{ "pattern-time-limit", required_argument, NULL, 'T' },
		{ "pattern-max-mb", required_argument, NULL, 'M' },
		{ "pattern-cache", required_argument, NULL, 'C' },
		{ "no-pattern-cache", no_argument, NULL, 'N' },
		{ "pattern-platform", required_argument, NULL, 'P' },
		{ "spill-dir", required_argument, NULL, 'D' },
		{ "spill-mb", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cp_compile_opts o = { .max_errors = UINT64_MAX, .progress = isatty(2),
				     .filter = CP_FILTER_AUTO,
				     .patterns = { .time_limit_s = CP_PATTERN_TIME_LIMIT,
						   .max_bytes = CP_PATTERN_MAX_BYTES,
						   .cache_dir = default_cache() } };
	double d;
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:e:s:qht:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.out = optarg;
			break;
		case 'e':
			o.max_errors = strtoull(optarg, NULL, 10);
			break;
		case 's':
			o.seed = strtoull(optarg, NULL, 0);
			break;
		case 'f':
			if (cp_filter_mode_parse(optarg, &o.filter) != 0) {
				fprintf(stderr, "--filter: expected auto, yes or no, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			o.threads = (unsigned)strtoul(optarg, NULL, 10);
			if (o.threads == 0 || o.threads > 64) {
				fprintf(stderr, "--threads: expected 1..64, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'T':
		case 'M':
		case 'S':
			d = strtod(optarg, &end);
			if (*end != '\0' || end == optarg || !(d >= 0) || d > 1e9) {
				fprintf(stderr, "--%s: expected a number >= 0, not '%s'\n",
					c == 'T' ? "pattern-time-limit" : c == 'M' ? "pattern-max-mb"
					: "spill-mb", optarg);
				return 2;
			}
			if (c == 'T')
				o.patterns.time_limit_s = d;
			else if (c == 'M')
				o.patterns.max_bytes = (uint64_t)(d * 1e6);
			else
				o.spill_budget = (uint64_t)(d * 1e6), o.spill_set = 1;
			break;
		case 'D':
			o.spill_dir = optarg;
			break;
		case 'C':
			o.patterns.cache_dir = optarg;
			break;
		case 'N':
			o.patterns.cache_dir = NULL;
			break;
		case 'P':
			if (strcmp(optarg, "host") != 0 && strcmp(optarg, "generic") != 0) {
				fprintf(stderr, "--pattern-platform: expected host or generic, not '%s'\n",
					optarg);
				return 2;
			}
			o.patterns.generic = strcmp(optarg, "generic") == 0;
			break;
		case 'q':
			o.quiet = 1;
			o.progress = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o.out == NULL || optind >= argc) {
		usage(stderr);
		return 2;
	}
	o.feeds = (const char *const *)argv + optind;
	o.nfeeds = (unsigned)(argc - optind);
	return cp_intel_compile(&o);
}

/* Opens path and a store over it; prints the reason and returns NULL on
 * failure. Close with cp_store_close() then cp_snap_close(). */
static struct cp_store *open_store(const char *path, struct cp_snap **snap)
{
	char err[512];
	struct cp_store *s;

	/* Checked 32 MiB at a time with the pages dropped behind: one lookup
	 * in a 1 B-indicator snapshot (16.7 GB) held it all resident. */
	*snap = cp_snap_open(path, CP_SNAP_LAZY, err, sizeof(err));
	if (*snap == NULL) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	s = cp_store_open(*snap);
	if (s == NULL) {
		fprintf(stderr, "%s: inconsistent tables: %s\n", path, strerror(errno));
		cp_snap_close(*snap);
	}
	return s;
}

static int cmd_lookup(int argc, char **argv)
{
	struct cp_ind ind;
	enum cp_itype t;
	const char *why;
	struct cp_snap *snap;
	struct cp_store *s;
	int rc;

	if (argc != 4) {
		usage(stderr);
		return 2;
	}
	if (cp_itype_parse(argv[2], &t) != 0) {
		fprintf(stderr, "unknown type '%s'\n", argv[2]);
		return 2;
	}
	if (cp_norm(t, argv[3], strlen(argv[3]), &ind, &why) != 0) {
		fprintf(stderr, "%s: %s\n", argv[3], why);
		return 2;
	}
	s = open_store(argv[1], &snap);
	if (s == NULL)
		return 2;
	rc = cp_intel_lookup(s, &ind, stdout) > 0 ? 0 : 1;
	cp_store_close(s);
	cp_snap_close(snap);
	return rc;
}

static int cmd_info(int argc, char **argv)
{
	struct cp_snap *snap;
	struct cp_store *s;

	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	s = open_store(argv[1], &snap);
	if (s == NULL)
		return 2;
	cp_intel_info(argv[1], snap, s, stdout);
	cp_store_close(s);
	cp_snap_close(snap);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "compile") == 0)
		return cmd_compile(argc - 1, argv + 1);
	if (strcmp(argv[1], "lookup") == 0)
		return cmd_lookup(argc - 1, argv + 1);
	if (strcmp(argv[1], "info") == 0)
		return cmd_info(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
