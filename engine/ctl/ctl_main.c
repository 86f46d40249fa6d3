/* chokepoint-ctl [--socket PATH] [--json] COMMAND [ARGS]: one request to a
 * running engine's control socket, the reply printed for people (default)
 * or as the raw JSON line (--json); stats --prometheus prints the counters
 * in Prometheus text format. Exit 0 when the engine says ok, 1 when it
 * says why not, 2 when it cannot be asked. */
#include "common/json.h"
#include "ctl/ctl.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: chokepoint-ctl [--socket PATH] [--json] COMMAND [ARGS]\n"
		   "       chokepoint-ctl [--socket PATH] stats --prometheus\n\n"
		   "  --socket PATH   the engine's control socket (default %s)\n"
		   "  --json          print the reply as the engine sent it\n\ncommands:\n",
		CP_CTL_DEFAULT_SOCKET);
	for (unsigned i = 0; i < CP_CTL__COUNT; i++)
		fprintf(f, "  %-20s %s\n", cp_ctl_cmds[i].usage, cp_ctl_cmds[i].help);
}

static int ask(const char *path, const char *line, char **reply)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (fd < 0 || buf == NULL || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		fprintf(stderr, "chokepoint-ctl: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(buf);
		return -1;
	}
	size_t len = strlen(line);
	/* A refused client (too many, not allowed) finds a reply and a closed
	 * socket: the write may fail, the reply is still there to read. */
	if ((write(fd, line, len) != (ssize_t)len || write(fd, "\n", 1) != 1) && errno != EPIPE &&
	    errno != ECONNRESET) {
		fprintf(stderr, "chokepoint-ctl: %s: %s\n", path, strerror(errno));
		close(fd);
		free(buf);
		return -1;
	}
	for (;;) {
		if (n + 1 == cap) {
			char *more = realloc(buf, cap * 2);
			if (more == NULL) {
				fprintf(stderr, "chokepoint-ctl: %s: reply of over %zu bytes: out of memory\n",
					path, n);
				close(fd);
				free(buf);
				return -1;
			}
			buf = more, cap *= 2;
		}
		ssize_t k = read(fd, buf + n, cap - n - 1);
		if (k <= 0)
			break;
		/* Only the new bytes: a reply of megabytes is not rescanned. */
		int done = memchr(buf + n, '\n', (size_t)k) != NULL;
		n += (size_t)k;
		if (done)
			break;
	}
	close(fd);
	buf[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "chokepoint-ctl: %s: no reply\n", path);
		free(buf);
		return -1;
	}
	*reply = buf;
	return 0;
}

/* Prometheus names: chokepoint_ + the counter's name; ports as a label. */
static void prometheus(json_t *stats)
{
	const char *k;
	json_t *v;

	json_object_foreach(stats, k, v) {
		unsigned port;
		char rest[64];
		if (sscanf(k, "port%u_%63s", &port, rest) == 2)
			printf("chokepoint_port_%s{port=\"%u\"} %lld\n", rest, port,
			       (long long)json_integer_value(v));
		else
			printf("chokepoint_%s %lld\n", k, (long long)json_integer_value(v));
	}
}

/* An error for the terminal: a reason may quote a path or a value, whose
 * control bytes are shown as \xNN rather than sent to the terminal. */
static const char *shown(const json_t *e)
{
	static char buf[4 * 1024 + 1];
	const char *s = json_string_value(e);

	cp_text_clean(s ? s : "no reason given", buf, sizeof(buf), CP_TEXT_CONTROLS);
	return buf;
}

/* For people: "key: value" lines, nested objects indented. */
static void human(json_t *o, int depth)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		if (depth == 0 && strcmp(k, "ok") == 0)
			continue;
		printf("%*s%s:", depth * 2, "", k);
		if (json_is_object(v)) {
			putchar('\n');
			human(v, depth + 1);
			continue;
		}
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		printf(" %s\n", s ? s : "?");
		free(s);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CP_CTL_DEFAULT_SOCKET;
	int json = 0, prom = 0, c;
	char err[256], *reply;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "+s:jph", opts, NULL)) != -1) {
		if (c == 's')
			path = optarg;
		else if (c == 'j')
			json = 1;
		else if (c == 'p')
			prom = 1;
		else
			return usage(c == 'h' ? stdout : stderr), c == 'h' ? 0 : 2;
	}
	/* --prometheus may also follow the command. */
	int n = argc - optind;
	if (n >= 2 && strcmp(argv[argc - 1], "--prometheus") == 0)
		prom = 1, n--;
	char *line = cp_ctl_request(n, argv + optind, err, sizeof(err));
	if (line == NULL) {
		fprintf(stderr, "chokepoint-ctl: %s\n", err);
		return 2;
	}
	if (prom && strcmp(argv[optind], "stats") != 0) {
		fprintf(stderr, "chokepoint-ctl: --prometheus goes with stats\n");
		return 2;
	}
	if (ask(path, line, &reply) != 0)
		return 2;
	free(line);
	json_t *r = json_loads(reply, 0, NULL);
	int ok = r != NULL && json_is_true(json_object_get(r, "ok"));
	if (json || r == NULL)
		fputs(reply, stdout);
	else if (!ok)
		fprintf(stderr, "chokepoint-ctl: %s\n", shown(json_object_get(r, "error")));
	else if (prom)
		prometheus(json_object_get(r, "stats"));
	else
		human(r, 0);
	json_decref(r);
	free(reply);
	return ok ? 0 : 1;
}
