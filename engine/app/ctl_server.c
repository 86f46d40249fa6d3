/* The control socket: a thread with an epoll loop over a Unix stream
 * socket, at most 16 clients, JSON lines of at most 64 KiB. Control plane.
 *
 * Security: the socket is 0660 in a directory we create 0750 (whatever the
 * umask); peers are checked with SO_PEERCRED (root, or the --ctl-allow uid
 * or gid); a client that sends broken JSON or an oversized line is told why
 * and disconnected; nothing a client does reaches the data plane except a
 * reload's atomic publish.
 *
 * A reload runs on a thread of its own, so the loop keeps answering (status
 * shows it running, a second reload answers busy); it reports back through
 * an eventfd, and the loop replies to the client that asked.
 */
#include "ctl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct client {
	int fd;
	int waiting;             /* its reload is running: input waits */
	size_t len;
	char buf[CP_CTL_MSG_MAX + 1];
};

struct ctl {
	struct cp_app *app;
	int lfd, epfd, evfd;
	pthread_t tid, reload_tid;
	volatile int stop;
	char path[108];
	struct client *c[CP_CTL_MAX_CLIENTS];
	/* The reload in flight: set by the loop before the thread starts,
	 * read back after the eventfd fires. */
	struct client *reload_for;
	char reload_path[4096];
	char reload_err[512];
	int reload_rc;
	double reload_ms;
};

static struct ctl ctl = { .lfd = -1, .epfd = -1, .evfd = -1 };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* Replies are small and the socket buffer large: a client that does not
 * read its replies is dropped rather than waited for. */
static int send_reply(struct client *cl, json_t *r)
{
	char *s = json_dumps(r, JSON_COMPACT);
	int rc = -1;

	json_decref(r);
	if (s == NULL)
		return -1;
	size_t n = strlen(s);
	s[n] = '\n';
	if (send(cl->fd, s, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)(n + 1))
		rc = 0;
	free(s);
	return rc;
}

static void drop(struct client *cl)
{
	for (unsigned i = 0; i < CP_CTL_MAX_CLIENTS; i++)
		if (ctl.c[i] == cl)
			ctl.c[i] = NULL;
	if (ctl.reload_for == cl)
		ctl.reload_for = NULL;  /* the reload goes on; its reply has no one */
	epoll_ctl(ctl.epfd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	free(cl);
}

static void *reload_main(void *arg)
{
	struct ctl *c = arg;
	double t0 = now_ms();
	uint64_t one = 1;

	c->reload_rc = cp_intel_reload(c->app, c->reload_path, c->reload_err, sizeof(c->reload_err));
	c->reload_ms = now_ms() - t0;
	if (write(c->evfd, &one, sizeof(one)) != sizeof(one))
		abort();  /* an eventfd write of 1 cannot fail short of a bug */
	return NULL;
}

static json_t *start_reload(struct client *cl, const struct cp_ctl_req *q)
{
	int zero = 0;

	if (!__atomic_compare_exchange_n(&ctl.app->reload_busy, &zero, 1, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return cp_ctl_error("busy: a reload is running");
	snprintf(ctl.reload_path, sizeof(ctl.reload_path), "%s", q->path);
	ctl.reload_for = cl;
	cl->waiting = 1;
	if (pthread_create(&ctl.reload_tid, NULL, reload_main, &ctl) != 0) {
		cl->waiting = 0;
		ctl.reload_for = NULL;
		__atomic_store_n(&ctl.app->reload_busy, 0, __ATOMIC_RELEASE);
		return cp_ctl_error("cannot start a reload thread");
	}
	return NULL;  /* the reply comes when it is done */
}

static void reload_done(void)
{
	struct cp_app *app = ctl.app;
	struct cp_reload_status *l = &app->last_reload;
	uint64_t v;

	if (read(ctl.evfd, &v, sizeof(v)) != sizeof(v))
		return;
	pthread_join(ctl.reload_tid, NULL);
	l->done = 1;
	l->ok = ctl.reload_rc == 0;
	l->ms = ctl.reload_ms;
	clock_gettime(CLOCK_REALTIME, &l->at);
	snprintf(l->reason, sizeof(l->reason), "%s", l->ok ? "" : ctl.reload_err);
	const struct cp_gen *g = cp_gen_current(app);  /* only reloads change it */
	snprintf(l->path, sizeof(l->path), "%s", l->ok ? g->path : ctl.reload_path);
	__atomic_store_n(&app->reload_busy, 0, __ATOMIC_RELEASE);
	fprintf(stderr, "chokepoint: reload %s: %s (%.1f ms)\n", l->ok ? "ok" : "failed",
		l->ok ? g->path : l->reason, l->ms);
	struct client *cl = ctl.reload_for;
	ctl.reload_for = NULL;
	if (cl == NULL)
		return;
	cl->waiting = 0;
	json_t *r = l->ok ? json_pack("{s:b,s:I,s:o,s:f,s:f,s:f,s:b}", "ok", 1, "generation",
				      (json_int_t)g->id, "snapshot", cp_ctl_text(g->path),
				      "load_ms", g->load_ms, "swap_ms", g->swap_ms, "duration_ms",
				      l->ms, "locked", g->locked)
			  : cp_ctl_error(l->reason);
	if (send_reply(cl, r) != 0)
		drop(cl);
}

/* One request line. Returns 0 to go on, -1 when the client was dropped. */
static int request(struct client *cl, const char *line, size_t n)
{
	struct cp_ctl_req q;
	char err[256];

	if (cp_ctl_parse(line, n, &q, err, sizeof(err)) != 0) {
		/* Valid JSON with a wrong command keeps the client; garbage not. */
		int garbage = strncmp(err, "invalid JSON", 12) == 0 ||
			      strncmp(err, "a request is", 12) == 0;
		if (send_reply(cl, cp_ctl_error(err)) != 0 || garbage) {
			drop(cl);
			return -1;
		}
		return 0;
	}
	json_t *r = q.cmd == CP_CTL_RELOAD ? start_reload(cl, &q) : cp_ctl_run(ctl.app, &q);
	if (r != NULL && send_reply(cl, r) != 0) {
		drop(cl);
		return -1;
	}
	return 0;
}

/* Whole lines in the buffer, in order; a reload holds the rest back. */
static void lines(struct client *cl)
{
	while (!cl->waiting) {
		char *nl = memchr(cl->buf, '\n', cl->len);
		if (nl == NULL)
			return;
		size_t n = (size_t)(nl - cl->buf);
		if (n > 0 && cl->buf[n - 1] == '\r')
			n--;
		if (n > 0 && request(cl, cl->buf, n) != 0)
			return;
		size_t used = (size_t)(nl - cl->buf) + 1;
		memmove(cl->buf, cl->buf + used, cl->len - used);
		cl->len -= used;
	}
}

static void readable(struct client *cl)
{
	ssize_t n = read(cl->fd, cl->buf + cl->len, CP_CTL_MSG_MAX + 1 - cl->len);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		drop(cl);
		return;
	}
	if (n < 0)
		return;
	cl->len += (size_t)n;
	if (memchr(cl->buf, '\n', cl->len) == NULL && cl->len > CP_CTL_MSG_MAX) {
		send_reply(cl, cp_ctl_error("message longer than 64 KiB"));
		drop(cl);
		return;
	}
	lines(cl);
}

static int allowed(int fd)
{
	struct ucred uc;
	socklen_t l = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) != 0)
		return 0;
	return uc.uid == 0 || (ctl.app->ctl_uid >= 0 && uc.uid == (uid_t)ctl.app->ctl_uid) ||
	       (ctl.app->ctl_gid >= 0 && uc.gid == (gid_t)ctl.app->ctl_gid);
}

static void refuse(int fd, const char *why)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "{\"ok\":false,\"error\":\"%s\"}\n", why);

	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* nothing more to tell a peer that is gone */
	}
	close(fd);
}

static void accept_one(void)
{
	int fd = accept4(ctl.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	unsigned i;

	if (fd < 0)
		return;
	if (!allowed(fd)) {
		refuse(fd, "permission denied: root or the --ctl-allow uid/gid only");
		return;
	}
	for (i = 0; i < CP_CTL_MAX_CLIENTS && ctl.c[i] != NULL; i++)
		;
	struct client *cl = i < CP_CTL_MAX_CLIENTS ? malloc(sizeof(*cl)) : NULL;
	if (cl == NULL) {
		refuse(fd, i < CP_CTL_MAX_CLIENTS ? "out of memory" : "too many clients (16)");
		return;
	}
	cl->fd = fd, cl->waiting = 0, cl->len = 0;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = cl };
	if (epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		free(cl);
		close(fd);
		return;
	}
	ctl.c[i] = cl;
}

static void *ctl_main(void *arg)
{
	struct epoll_event ev[CP_CTL_MAX_CLIENTS + 2];
	time_t swept = 0;

	(void)arg;
	while (!ctl.stop) {
		int n = epoll_wait(ctl.epfd, ev, (int)CP_ARRAY_LEN(ev), 200);
		/* Expired live entries stop matching at their time on the data
		 * plane; once a second they are also swept out and counted. */
		time_t now = time(NULL);
		if (now != swept) {
			swept = now;
			cp_intel_sweep(ctl.app, (int64_t)now);
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == &ctl.lfd)
				accept_one();
			else if (ev[i].data.ptr == &ctl.evfd)
				reload_done();
			else
				readable(ev[i].data.ptr);
		}
	}
	return NULL;
}

/* mkdir -p for the socket's directory; only what we create is made 0750,
 * so an existing directory (say /tmp) keeps its own mode. */
static int make_dir(const char *path)
{
	char d[sizeof(ctl.path)];

	snprintf(d, sizeof(d), "%s", path);
	char *slash = strrchr(d, '/');
	if (slash == NULL || slash == d)
		return 0;
	*slash = '\0';
	for (char *p = d + 1;; p++) {
		char c = *p;
		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(d, 0750) == 0) {
			if (chmod(d, 0750) != 0)  /* mkdir's mode is cut by the umask */
				return -errno;
		} else if (errno != EEXIST) {
			return -errno;
		}
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/* A socket file that exists is another instance's if it answers a connect;
 * else it is stale and goes. */
static int claim_path(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "chokepoint: --ctl %s exists and is not a socket\n", path);
		return -EEXIST;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int live = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	if (live) {
		fprintf(stderr, "chokepoint: --ctl %s is served by a running instance\n", path);
		return -EADDRINUSE;
	}
	unlink(path);
	return 0;
}

static int listen_on(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int rc;

	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "chokepoint: --ctl %s: path longer than %zu bytes\n", path,
			sizeof(a.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	if ((rc = make_dir(path)) != 0 || (rc = claim_path(path)) != 0) {
		if (rc != -EEXIST && rc != -EADDRINUSE)
			fprintf(stderr, "chokepoint: --ctl %s: %s\n", path, strerror(-rc));
		return rc;
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* bind() creates the file with the umask's mode: 0117 for that call
	 * leaves no moment at which it is wider than 0660 (start-up, before
	 * any other thread creates files). */
	mode_t um = umask(0117);
	int bound = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	umask(um);
	if (!bound || chmod(path, 0660) != 0 ||
	    (ctl.app->ctl_gid >= 0 && chown(path, (uid_t)-1, (gid_t)ctl.app->ctl_gid) != 0) ||
	    listen(fd, CP_CTL_MAX_CLIENTS) != 0) {
		rc = -errno;
		fprintf(stderr, "chokepoint: --ctl %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	return fd;
}

int cp_ctl_start(struct cp_app *app)
{
	const char *path = app->ctl_path ? app->ctl_path : CP_CTL_DEFAULT_SOCKET;

	if (path[0] == '\0')
		return 0;  /* --ctl none */
	ctl.app = app;
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);
	if ((ctl.lfd = listen_on(path)) < 0) {
		int rc = ctl.lfd;
		ctl.lfd = -1;
		/* The default place may not be ours to write (not root): run
		 * without a socket rather than not at all. A --ctl given, or a
		 * live instance on it, is an error. */
		if (app->ctl_path == NULL && (rc == -EACCES || rc == -EPERM || rc == -EROFS)) {
			fprintf(stderr, "chokepoint: no control socket (say --ctl PATH)\n");
			return 0;
		}
		return rc;
	}
	ctl.epfd = epoll_create1(EPOLL_CLOEXEC);
	ctl.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event el = { .events = EPOLLIN, .data.ptr = &ctl.lfd };
	struct epoll_event ee = { .events = EPOLLIN, .data.ptr = &ctl.evfd };
	if (ctl.epfd < 0 || ctl.evfd < 0 || epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, ctl.lfd, &el) != 0 ||
	    epoll_ctl(ctl.epfd, EPOLL_CTL_ADD, ctl.evfd, &ee) != 0 ||
	    pthread_create(&ctl.tid, NULL, ctl_main, NULL) != 0) {
		fprintf(stderr, "chokepoint: control thread: %s\n", strerror(errno));
		return -errno;
	}
	fprintf(stderr, "chokepoint: control socket %s\n", path);
	return 0;
}

void cp_ctl_stop(struct cp_app *app)
{
	(void)app;
	if (ctl.lfd < 0)
		return;
	ctl.stop = 1;
	pthread_join(ctl.tid, NULL);
	if (__atomic_load_n(&ctl.app->reload_busy, __ATOMIC_ACQUIRE))
		pthread_join(ctl.reload_tid, NULL);
	for (unsigned i = 0; i < CP_CTL_MAX_CLIENTS; i++)
		if (ctl.c[i] != NULL)
			drop(ctl.c[i]);
	close(ctl.lfd);
	unlink(ctl.path);
	close(ctl.evfd);
	close(ctl.epfd);
}
