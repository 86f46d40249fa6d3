/* The control protocol: JSON lines over a Unix stream socket, one request
 * and one reply per line. Control plane; pure functions over jansson (no
 * sockets here: the engine serves, chokepoint-ctl asks).
 *
 *   -> {"cmd":"reload","path":"/var/lib/chokepoint/intel.cpsnap"}
 *   <- {"ok":true,"generation":4,"duration_ms":312.5,...}
 *   <- {"ok":false,"error":"intel.cpsnap: truncated"}
 *
 * Every command is declared once, in cp_ctl_cmds[], with its arguments and
 * help text: the server dispatches on it, chokepoint-ctl builds requests
 * and prints help from it.
 */
#ifndef CP_CTL_H
#define CP_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "indicator/indicator.h"

/* Limits the server enforces: a request line of at most 64 KiB, and at most
 * 16 clients at once. */
#define CP_CTL_MSG_MAX (64u << 10)
#define CP_CTL_MAX_CLIENTS 16
#define CP_CTL_DEFAULT_SOCKET "/run/chokepoint/ctl.sock"

enum cp_ctl_cmd {
	CP_CTL_RELOAD,
	CP_CTL_ADD,
	CP_CTL_REMOVE,
	CP_CTL_LOOKUP,
	CP_CTL_STATS,
	CP_CTL_STATUS,
	CP_CTL_VERSION,
	CP_CTL_REOPEN,
	CP_CTL_HELP,
	CP_CTL__COUNT,
};

/* What a command takes, as chokepoint-ctl words and as JSON members. */
enum cp_ctl_args {
	CP_CTL_ARGS_NONE,
	CP_CTL_ARGS_PATH_OPT,    /* [SNAP]: "path" */
	CP_CTL_ARGS_TYPE_VALUE,  /* TYPE VALUE: "type", "value" */
	CP_CTL_ARGS_CHANGE,      /* TYPE VALUE [action=A] [feed=F] [ttl=S]: the same,
				  * and "action", "feed", "ttl" (seconds) */
};

struct cp_ctl_cmd_info {
	const char *name;
	enum cp_ctl_args args;
	const char *usage;
	const char *help;
};

extern const struct cp_ctl_cmd_info cp_ctl_cmds[CP_CTL__COUNT];

struct cp_ctl_req {
	enum cp_ctl_cmd cmd;
	char path[4096];         /* reload: "" means the snapshot in force */
	enum cp_itype type;      /* lookup, add, remove */
	char value[CP_IND_MAX + 1];
	size_t vlen;
	enum cp_action action;   /* add: default drop */
	char feed[64];           /* add: default "live" */
	int64_t ttl;             /* add, remove: seconds; 0 = until removed */
};

/* Parses one request line (without its newline). Returns 0, or -EINVAL
 * with a reason for the client in err. */
int cp_ctl_parse(const char *line, size_t n, struct cp_ctl_req *r, char *err, size_t errlen);

/* chokepoint-ctl: the request line for words such as {"reload", "x.cpsnap"}.
 * Returns a malloc'd NUL-terminated line (no newline), or NULL with a
 * usage message in err. */
char *cp_ctl_request(int argc, char **argv, char *err, size_t errlen);

/* The command named name, or -1. */
int cp_ctl_find(const char *name);

#endif
