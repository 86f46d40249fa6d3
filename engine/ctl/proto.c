/* The control protocol (see ctl.h): the command table, request parsing and
 * building. Control plane. */
#include "ctl/ctl.h"
#include "common/json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct cp_ctl_cmd_info cp_ctl_cmds[CP_CTL__COUNT] = {
	[CP_CTL_RELOAD] = { "reload", CP_CTL_ARGS_PATH_OPT, "reload [SNAP]",
			    "load, check and publish a snapshot (default: the one in force, "
			    "re-read); on failure the set in force stays, and the reason is "
			    "returned. One at a time: another answers busy" },
	[CP_CTL_ADD] = { "add", CP_CTL_ARGS_CHANGE, "add TYPE VALUE [action=A] [feed=F] [ttl=S]",
			 "match VALUE from the next burst on, until removed or for S seconds "
			 "(action drop unless said; survives reloads)" },
	[CP_CTL_REMOVE] = { "remove", CP_CTL_ARGS_CHANGE, "remove TYPE VALUE [ttl=S]",
			    "stop matching VALUE, a live one or the snapshot's own (a "
			    "tombstone, kept across reloads, for S seconds if said)" },
	[CP_CTL_LOOKUP] = { "lookup", CP_CTL_ARGS_TYPE_VALUE, "lookup TYPE VALUE",
			    "match a value against the set in force, as the data plane would" },
	[CP_CTL_STATS] = { "stats", CP_CTL_ARGS_NONE, "stats",
			   "engine counters: totals, per port, anomalies, matches" },
	[CP_CTL_STATUS] = { "status", CP_CTL_ARGS_NONE, "status",
			    "generation, snapshot, counts, and the last reload's time, result "
			    "and duration" },
	[CP_CTL_VERSION] = { "version", CP_CTL_ARGS_NONE, "version",
			     "engine and snapshot format versions" },
	[CP_CTL_REOPEN] = { "reopen", CP_CTL_ARGS_NONE, "reopen",
			    "reopen the --eve file at its path, for log rotation (as SIGHUP "
			    "does): the old file gets every line written before the reply" },
	[CP_CTL_HELP] = { "help", CP_CTL_ARGS_NONE, "help", "the commands and what they do" },
};

int cp_ctl_find(const char *name)
{
	for (int i = 0; i < CP_CTL__COUNT; i++)
		if (strcmp(cp_ctl_cmds[i].name, name) == 0)
			return i;
	return -1;
}

static int fail(char *err, size_t n, const char *fmt, const char *arg)
{
	snprintf(err, n, fmt, arg);
	return -EINVAL;
}

/* A string member: NULL when absent; *bad when present but not a string. */
static const char *member(json_t *o, const char *key, size_t *n, int *bad)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	*n = json_string_length(v);
	return json_string_value(v);
}

/* add/remove: "action", "feed", "ttl", each optional. */
static int change_args(json_t *o, struct cp_ctl_req *r, char *err, size_t errlen)
{
	int bad = 0;
	size_t n = 0;
	const char *a = member(o, "action", &n, &bad), *f;
	json_t *ttl = json_object_get(o, "ttl");

	r->action = CP_ACT_DROP;
	snprintf(r->feed, sizeof(r->feed), "live");
	if (bad || (a != NULL && (cp_action_parse(a, &r->action) != 0 || r->action == CP_ACT_NONE)))
		return fail(err, errlen, "%s", "\"action\" must be alert, drop or allow");
	f = member(o, "feed", &n, &bad);
	if (bad || (f != NULL && (n == 0 || n >= sizeof(r->feed) || memchr(f, 0, n))))
		return fail(err, errlen, "%s", "\"feed\" must be a name of 1..63 bytes");
	if (f != NULL)
		memcpy(r->feed, f, n + 1);
	if (ttl != NULL && (!json_is_integer(ttl) || json_integer_value(ttl) <= 0 ||
			    json_integer_value(ttl) > 10 * 365 * 86400LL))
		return fail(err, errlen, "%s", "\"ttl\" must be seconds, 1 .. 10 years");
	r->ttl = ttl ? (int64_t)json_integer_value(ttl) : 0;
	return 0;
}

static int parse_args(json_t *o, struct cp_ctl_req *r, char *err, size_t errlen)
{
	int bad = 0;
	size_t n = 0, tn = 0;
	const char *p, *t;

	switch (cp_ctl_cmds[r->cmd].args) {
	case CP_CTL_ARGS_NONE:
		return 0;
	case CP_CTL_ARGS_PATH_OPT:
		p = member(o, "path", &n, &bad);
		if (bad || (p != NULL && (n == 0 || n >= sizeof(r->path) || memchr(p, 0, n))))
			return fail(err, errlen, "%s", "\"path\" must be a file name");
		if (p != NULL)
			memcpy(r->path, p, n + 1);
		return 0;
	case CP_CTL_ARGS_CHANGE:
	case CP_CTL_ARGS_TYPE_VALUE:
		t = member(o, "type", &tn, &bad);
		p = member(o, "value", &n, &bad);
		if (bad || t == NULL || p == NULL)
			return fail(err, errlen, "%s needs \"type\" and \"value\" strings",
				    cp_ctl_cmds[r->cmd].name);
		if (strcmp(t, "pattern") == 0)
			return fail(err, errlen, "%s",
				    "patterns are compiled into snapshots: change them by compile and reload");
		if (cp_itype_parse(t, &r->type) != 0)
			return fail(err, errlen, "unknown indicator type '%.64s'", t);
		if (n > CP_IND_MAX)
			return fail(err, errlen, "%s", "value longer than 2048 bytes");
		memcpy(r->value, p, n);
		r->value[n] = '\0';
		r->vlen = n;
		return cp_ctl_cmds[r->cmd].args == CP_CTL_ARGS_CHANGE ? change_args(o, r, err, errlen)
								      : 0;
	}
	return -EINVAL;
}

int cp_ctl_parse(const char *line, size_t n, struct cp_ctl_req *r, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o;
	int rc;

	memset(r, 0, sizeof(*r));
	if (n > CP_CTL_MSG_MAX)
		return fail(err, errlen, "%s", "message longer than 64 KiB");
	/* {"cmd":"status","cmd":"reload"} is no request; "\\u0000" is refused
	 * by jansson without JSON_ALLOW_NUL. */
	o = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL) {
		snprintf(err, errlen, "invalid JSON at column %d: %s", je.column, je.text);
		return -EINVAL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		return fail(err, errlen, "%s", "a request is a JSON object");
	}
	const char *cmd = json_string_value(json_object_get(o, "cmd"));
	int c = cmd ? cp_ctl_find(cmd) : -1;
	if (c < 0) {
		rc = cmd ? fail(err, errlen, "unknown command '%.64s' (try help)", cmd)
			 : fail(err, errlen, "%s", "a request needs a \"cmd\" string");
		json_decref(o);
		return rc;
	}
	r->cmd = (enum cp_ctl_cmd)c;
	rc = parse_args(o, r, err, errlen);
	json_decref(o);
	return rc;
}

char *cp_ctl_request(int argc, char **argv, char *err, size_t errlen)
{
	if (argc < 1) {
		snprintf(err, errlen, "no command (try help)");
		return NULL;
	}
	int c = cp_ctl_find(argv[0]);
	if (c < 0) {
		snprintf(err, errlen, "unknown command '%s' (try help)", argv[0]);
		return NULL;
	}
	const struct cp_ctl_cmd_info *ci = &cp_ctl_cmds[c];
	int want_min = ci->args >= CP_CTL_ARGS_TYPE_VALUE ? 2 : 0;
	int want_max = ci->args == CP_CTL_ARGS_NONE	 ? 0
		       : ci->args == CP_CTL_ARGS_PATH_OPT ? 1
		       : ci->args == CP_CTL_ARGS_CHANGE   ? 5
							  : 2;
	if (argc - 1 < want_min || argc - 1 > want_max) {
		snprintf(err, errlen, "usage: %s", ci->usage);
		return NULL;
	}
	/* JSON carries text: an argument that is not UTF-8 (a Latin-1 file
	 * name) cannot be sent as it is, and json_string() would drop it
	 * silently, turning "reload PATH" into a reload of the set in force. */
	for (int i = 1; i < argc; i++) {
		if (!cp_utf8_valid(argv[i])) {
			char shown[256];
			cp_text_clean(argv[i], shown, sizeof(shown), CP_TEXT_CONTROLS);
			snprintf(err, errlen, "argument '%s' is not valid UTF-8", shown);
			return NULL;
		}
	}
	json_t *o = json_pack("{s:s}", "cmd", ci->name);
	if (o != NULL && ci->args == CP_CTL_ARGS_PATH_OPT && argc > 1)
		json_object_set_new(o, "path", json_string(argv[1]));
	if (o != NULL && ci->args >= CP_CTL_ARGS_TYPE_VALUE) {
		json_object_set_new(o, "type", json_string(argv[1]));
		json_object_set_new(o, "value", json_string(argv[2]));
	}
	for (int i = 3; o != NULL && i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t kl = eq ? (size_t)(eq - argv[i]) : 0;
		char *end;
		if (eq && kl == 3 && strncmp(argv[i], "ttl", 3) == 0) {
			long long t = strtoll(eq + 1, &end, 10);
			json_object_set_new(o, "ttl", *end ? json_string(eq + 1) : json_integer(t));
		} else if (eq && ((kl == 6 && strncmp(argv[i], "action", 6) == 0) ||
				  (kl == 4 && strncmp(argv[i], "feed", 4) == 0))) {
			char key[8];
			snprintf(key, sizeof(key), "%.*s", (int)kl, argv[i]);
			json_object_set_new(o, key, json_string(eq + 1));
		} else {
			snprintf(err, errlen, "usage: %s", ci->usage);
			json_decref(o);
			return NULL;
		}
	}
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (line == NULL)
		snprintf(err, errlen, "arguments are not valid UTF-8");
	return line;
}
