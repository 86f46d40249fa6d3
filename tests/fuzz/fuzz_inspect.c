/* libFuzzer target for burst inspection with pattern scans: each input is a
 * burst of frames (a 2-byte length before each), inspected against a store
 * that holds values and patterns of every target, so the scans of payloads,
 * URLs and DNS names run on hostile packets. Every alert must name a
 * packet of the burst and carry a value that fits it. */
#include "compile.h"
#include "inspect/inspect.h"
#include "pattern/pattern.h"
#include "snapshot/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct cp_store *store;
static hs_scratch_t *scratch;
static struct cp_inspector *in;
static struct cp_snap *snap;  /* kept reachable: the store reads it */

static void add(struct cp_compiler *c, const char *text, enum cp_ptarget t, uint32_t mid)
{
	static struct cp_pattern p;
	const char *why;

	if (cp_pattern_parse(text, strlen(text), &p, &why) != 0 ||
	    cp_compiler_add_pattern(c, &p, t, mid, "fuzz", 1) != 0)
		abort();
}

/* Built once: a store of a few values and patterns. */
static void setup(void)
{
	struct cp_compiler *c = cp_compiler_new(7);
	struct cp_meta_in m = { .action = CP_ACT_ALERT, .confidence = -1, .feed = "fuzz" };
	struct cp_pattern_opts po = { 0 };  /* in this process: no fork per run */
	struct cp_ind ind;
	const char *why;
	char path[64], err[256];
	uint32_t mid;

	cp_compiler_set_patterns(c, &po);
	if (c == NULL || cp_compiler_meta(c, &m, &mid) != 0)
		abort();
	if (cp_norm(CP_T_DOMAIN, "evil.example", 12, &ind, &why) != 0 || cp_compiler_add(c, &ind, mid))
		abort();
	add(c, "/beacon-[0-9a-f]{4}/i", CP_PT_PAYLOAD, mid);
	add(c, "GET", CP_PT_PAYLOAD, mid);
	add(c, "\\x00\\x00", CP_PT_PAYLOAD, mid);
	add(c, "/\\.php/", CP_PT_URL, mid);
	add(c, "/^[a-z]/", CP_PT_DNS, mid);
	snprintf(path, sizeof(path), "/tmp/fuzz-inspect-%d.cpsnap", (int)getpid());
	if (cp_compiler_write(c, path, NULL, err, sizeof(err)) != 0)
		abort();
	cp_compiler_free(c);
	snap = cp_snap_open(path, 0, err, sizeof(err));
	unlink(path);
	if (snap == NULL || (store = cp_store_open(snap)) == NULL)
		abort();
	if (cp_store_scratch_new(store, 1, &scratch) != 0 ||
	    (in = cp_inspector_new()) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *pkt[CP_INSPECT_BURST];
	uint32_t len[CP_INSPECT_BURST];
	uint8_t act[CP_INSPECT_BURST];
	static struct cp_alert al[64];
	static struct cp_inspect_stats st;
	unsigned n = 0;

	if (store == NULL)
		setup();
	/* Each frame in a buffer of its own, so ASan sees a read past it. */
	while (size >= 2 && n < CP_INSPECT_BURST) {
		size_t k = (size_t)(data[0] | data[1] << 8);
		data += 2, size -= 2;
		k = k < size ? k : size;
		uint8_t *copy = malloc(k ? k : 1);
		memcpy(copy, data, k);
		pkt[n] = copy, len[n++] = (uint32_t)k;
		data += k, size -= k;
	}
	struct cp_intel_view v = { .store = store, .scratch = scratch };
	unsigned na = cp_inspect_burst(in, &v, pkt, len, n, act, al, 64, &st);
	for (unsigned i = 0; i < na; i++)
		if (al[i].vlen >= CP_ALERT_VALUE || al[i].value[al[i].vlen] != '\0')
			__builtin_trap();
	if (st.pattern_errors != 0)
		__builtin_trap();  /* the scratch fits every database */
	for (unsigned i = 0; i < n; i++)
		free((void *)pkt[i]);
	return 0;
}
