// SPDX-License-Identifier: GPL-2.0-only
/*
 * The plugin's UNIX socket server (protocol and its documentation:
 * loader/lib/ikesock.h, the contract shared with loader/lib/ikesrc.c).
 * Summary: one text line per request, LF-terminated, at most
 * XW_IKESOCK_LINE_MAX octets:
 *     SPI <SPIi> <SPIr>  -> KEY <SPIi> <SPIr> <PRF> <KEY-hex> | ERR <code> <text>
 *     PEER <address>     -> the same
 *     CHILD <esp|ah> <SPIin> <SPIout> -> CHILDKEY ... | ERR ...  (IPsec SA profile)
 *     CHILDPEER <address> -> the same, the newest CHILD SA covering <address>
 *       (both only with charon.plugins.xwamp.sa_keys = yes, else ERR ENOTSUP)
 *     LIST               -> SA <SPIi> <SPIr> <peer> UP|PENDING ... END
 *     WATCH              -> OK, then EVENT UP|REKEY|DOWN ... lines
 *
 * Access: the socket is 0600 in a directory that must belong to charon's
 * user and must not be writable by anybody else (it is created 0700):
 * only root talks to it.  charon.plugins.xwamp.user = NAME|UID admits that
 * user too (xwampd's after it drops root): socket 0660 and directory 0710,
 * both of the user's group.  Whatever the file modes let through, each
 * client's credentials (SO_PEERCRED) must be uid 0 or that user's, or it
 * is closed at once: anything less would hand O/TWAMP secrets to any local
 * user (one in that group, one with CAP_DAC_OVERRIDE, a leaked fd's
 * receiver gets no further than connect).  The socket's mode is set with
 * chmod while its directory is still 0700: charon's umask is not touched
 * (it is process-wide, and charon's other threads create files).
 *
 * One thread polls the listening socket and every client.  Requests are
 * tiny and answered at once.  Events come from charon's threads (bus hooks)
 * and are written to watchers with MSG_DONTWAIT under the clients lock; a
 * watcher whose buffer is full is dropped (only this thread closes fds, so
 * a hook never writes to a closed or reused fd; a client that is not a
 * watcher is only ever touched by the server thread).  Lock order: the
 * listener's table lock, then the clients lock.  PEER lookups enumerate
 * charon's IKE SAs (checking each out): never while holding a lock a hook
 * could need, or a hook of a checked-out SA would deadlock with us.
 */
#include "xwamp_socket.h"

#include "ikesock.h"

#include <daemon.h>
#include <threading/mutex.h>
#include <threading/thread.h>

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct private_xwamp_socket_t private_xwamp_socket_t;

typedef struct {
	int fd;
	bool watch;
	/* a write failed: close it (only the server thread closes) */
	bool dead;
	size_t len;
	char buf[XW_IKESOCK_LINE_MAX];
} client_t;

struct private_xwamp_socket_t {
	xwamp_socket_t public;
	xwamp_listener_t *listener;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	/* write end wakes the thread for shutdown */
	int stop[2];
	thread_t *thread;
	mutex_t *lock; /* protects clients[] (fd, watch, dead) */
	bool user_set; /* charon.plugins.xwamp.user given: uid admitted besides root */
	uid_t uid;
	gid_t gid;
	client_t clients[XW_IKESOCK_CLIENTS];
};

/* Best-effort, non-blocking: a client that cannot take a line is dropped. */
static void send_line(client_t *c, const char *line)
{
	char buf[XW_IKESOCK_LINE_MAX + 1];
	size_t n = strlen(line);

	if (c->fd < 0 || c->dead)
		return;
	if (n > XW_IKESOCK_LINE_MAX - 1)
		n = XW_IKESOCK_LINE_MAX - 1;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	if (send(c->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n)
		c->dead = TRUE;
	memwipe(buf, n);
}

/* listener event sink: runs in charon threads, table locked */
static void on_event(void *data, const char *line)
{
	private_xwamp_socket_t *this = data;
	int i;

	this->lock->lock(this->lock);
	for (i = 0; i < XW_IKESOCK_CLIENTS; i++)
		if (this->clients[i].fd >= 0 && this->clients[i].watch)
			send_line(&this->clients[i], line);
	this->lock->unlock(this->lock);
}

static bool parse_spi(const char *s, uint64_t *spi)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		char ch = s[i];
		int d;

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return FALSE;
		v = v << 4 | (uint64_t)d;
	}
	*spi = htobe64(v);
	return TRUE;
}

/* One of child's remote traffic selectors includes addr. */
static bool child_covers(child_sa_t *child, host_t *addr)
{
	enumerator_t *tss = child->create_ts_enumerator(child, FALSE);
	traffic_selector_t *ts;
	bool match = FALSE;

	while (!match && tss->enumerate(tss, &ts))
		match = ts->includes(ts, addr);
	tss->destroy(tss);
	return match;
}

/*
 * RFC 7717 5.1: the client side finds "the corresponding IKEv2 SA" by the
 * server's address.  The newest ESTABLISHED IKEv2 SA whose remote IKE
 * address is addr or one of whose CHILD SAs covers addr with its remote
 * traffic selectors.  No lock held here (see the top of the file).
 */
static bool find_by_peer(host_t *addr, uint64_t *spi_i, uint64_t *spi_r)
{
	enumerator_t *en, *children;
	child_sa_t *child;
	ike_sa_t *ike_sa;
	u_int best = 0;
	bool found = FALSE, match;

	en = charon->ike_sa_manager->create_enumerator(charon->ike_sa_manager, TRUE);
	while (en->enumerate(en, &ike_sa)) {
		ike_sa_id_t *id;

		if (ike_sa->get_version(ike_sa) != IKEV2 ||
		    ike_sa->get_state(ike_sa) != IKE_ESTABLISHED)
			continue;
		match = addr->ip_equals(addr, ike_sa->get_other_host(ike_sa));
		children = ike_sa->create_child_sa_enumerator(ike_sa);
		while (!match && children->enumerate(children, &child))
			match = child_covers(child, addr);
		children->destroy(children);
		if (!match || (found && ike_sa->get_unique_id(ike_sa) < best))
			continue;
		id = ike_sa->get_id(ike_sa);
		*spi_i = id->get_initiator_spi(id);
		*spi_r = id->get_responder_spi(id);
		best = ike_sa->get_unique_id(ike_sa);
		found = TRUE;
	}
	en->destroy(en);
	return found;
}

/*
 * IPsec SA profile, the client's side: the newest INSTALLED CHILD SA (ESP
 * or AH) of an ESTABLISHED IKEv2 SA whose remote traffic selectors include
 * addr.  Its protocol and SPIs (network order).  No lock held (see the top
 * of the file).
 */
static bool find_child_by_peer(host_t *addr, uint8_t *proto, uint32_t *spi_in, uint32_t *spi_out)
{
	enumerator_t *en, *children;
	child_sa_t *child;
	ike_sa_t *ike_sa;
	u_int best = 0;
	bool found = FALSE;

	en = charon->ike_sa_manager->create_enumerator(charon->ike_sa_manager, TRUE);
	while (en->enumerate(en, &ike_sa)) {
		if (ike_sa->get_version(ike_sa) != IKEV2 ||
		    ike_sa->get_state(ike_sa) != IKE_ESTABLISHED)
			continue;
		children = ike_sa->create_child_sa_enumerator(ike_sa);
		while (children->enumerate(children, &child)) {
			if (child->get_state(child) != CHILD_INSTALLED ||
			    (found && child->get_unique_id(child) < best) ||
			    !child_covers(child, addr))
				continue;
			*proto = child->get_protocol(child) == PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;
			*spi_in = child->get_spi(child, TRUE);
			*spi_out = child->get_spi(child, FALSE);
			best = child->get_unique_id(child);
			found = TRUE;
		}
		children->destroy(children);
	}
	en->destroy(en);
	return found;
}

/* "esp 0000c001 c0010000" after CHILD: protocol and the two SPIs (network order) */
static bool parse_child(const char *s, uint8_t *proto, uint32_t *spi_in, uint32_t *spi_out)
{
	unsigned int a, b;
	char p[4], end;

	if (strlen(s) != 3 + 1 + 8 + 1 + 8 && strlen(s) != 2 + 1 + 8 + 1 + 8)
		return FALSE;
	if (sscanf(s, "%3s %8x %8x%c", p, &a, &b, &end) != 3)
		return FALSE;
	if (strcmp(p, "esp") == 0)
		*proto = IPPROTO_ESP;
	else if (strcmp(p, "ah") == 0)
		*proto = IPPROTO_AH;
	else
		return FALSE;
	*spi_in = htonl(a);
	*spi_out = htonl(b);
	return TRUE;
}

static void list_cb(void *data, const char *line)
{
	send_line(data, line);
}

/* One complete request line (no LF) of client c. */
static void handle(private_xwamp_socket_t *this, client_t *c, const char *req)
{
	char out[XW_IKESOCK_LINE_MAX];
	uint32_t spi_in32, spi_out32;
	uint64_t spi_i, spi_r;
	uint8_t proto;
	host_t *addr;

	if (strncmp(req, "SPI ", 4) == 0 && strlen(req) == 4 + 16 + 1 + 16 && req[20] == ' ' &&
	    parse_spi(req + 4, &spi_i) && parse_spi(req + 21, &spi_r)) {
		this->listener->lookup(this->listener, spi_i, spi_r, out, sizeof(out));
	} else if (strncmp(req, "PEER ", 5) == 0) {
		addr = host_create_from_string((char *)req + 5, 0);
		if (!addr) {
			snprintf(out, sizeof(out), "ERR EINVAL not an IP address");
		} else if (!find_by_peer(addr, &spi_i, &spi_r)) {
			snprintf(out, sizeof(out), "ERR ENOENT no established IKE SA to %H", addr);
		} else {
			this->listener->lookup(this->listener, spi_i, spi_r, out, sizeof(out));
		}
		DESTROY_IF(addr);
	} else if ((strncmp(req, "CHILD ", 6) == 0 || strncmp(req, "CHILDPEER ", 10) == 0) &&
		   !lib->settings->get_bool(lib->settings, "%s.plugins.xwamp.sa_keys", FALSE,
					    lib->ns)) {
		/*
		 * CHILD SA keys decrypt the tunnel and SKEYSEED, with the public
		 * nonces and SPIs, the IKE SA itself: handed out only when the
		 * operator asked for it (read at every request: swanctl
		 * --reload-settings turns it off or on)
		 */
		snprintf(out, sizeof(out),
			 "ERR ENOTSUP IPsec SA keys are off (charon.plugins.xwamp.sa_keys)");
	} else if (strncmp(req, "CHILD ", 6) == 0) {
		if (parse_child(req + 6, &proto, &spi_in32, &spi_out32))
			this->listener->lookup_child(this->listener, proto, spi_in32, spi_out32,
						     out, sizeof(out));
		else
			snprintf(out, sizeof(out), "ERR EINVAL unknown or malformed request");
	} else if (strncmp(req, "CHILDPEER ", 10) == 0) {
		addr = host_create_from_string((char *)req + 10, 0);
		if (!addr)
			snprintf(out, sizeof(out), "ERR EINVAL not an IP address");
		else if (!find_child_by_peer(addr, &proto, &spi_in32, &spi_out32))
			snprintf(out, sizeof(out), "ERR ENOENT no CHILD SA to %H", addr);
		else
			this->listener->lookup_child(this->listener, proto, spi_in32, spi_out32,
						     out, sizeof(out));
		DESTROY_IF(addr);
	} else if (strcmp(req, "LIST") == 0) {
		/*
		 * No clients lock: hooks hold the table lock while they take
		 * it (on_event), list() takes the table lock.  A client that
		 * is not a watcher is only touched by this thread.
		 */
		this->listener->list(this->listener, list_cb, c);
		send_line(c, "END");
		return;
	} else if (strcmp(req, "WATCH") == 0) {
		this->lock->lock(this->lock);
		send_line(c, "OK");
		c->watch = TRUE;
		this->lock->unlock(this->lock);
		return;
	} else {
		snprintf(out, sizeof(out), "ERR EINVAL unknown or malformed request");
	}
	send_line(c, out);
	memwipe(out, sizeof(out));
}

static void client_close(private_xwamp_socket_t *this, client_t *c)
{
	this->lock->lock(this->lock);
	close(c->fd);
	c->fd = -1;
	c->watch = c->dead = FALSE;
	c->len = 0;
	this->lock->unlock(this->lock);
}

/* Read what client c sent; handle each complete line. */
static void client_read(private_xwamp_socket_t *this, client_t *c)
{
	ssize_t n;
	char *lf;

	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(this, c);
		return;
	}
	if (c->watch) /* a watcher only sends EOF; ignore the rest */
		return;
	c->len += n;
	while ((lf = memchr(c->buf, '\n', c->len))) {
		size_t l = lf - c->buf;

		*lf = '\0';
		if (l && c->buf[l - 1] == '\r')
			c->buf[l - 1] = '\0';
		handle(this, c, c->buf);
		memmove(c->buf, lf + 1, c->len - l - 1);
		c->len -= l + 1;
		if (c->watch)
			return;
	}
	if (c->len == sizeof(c->buf)) {
		send_line(c, "ERR EINVAL request line too long");
		client_close(this, c);
	}
}

/* The peer is root or the configured user (SO_PEERCRED: its credentials at connect()). */
static bool peer_allowed(private_xwamp_socket_t *this, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || len != sizeof(cr)) {
		DBG1(DBG_CFG, "xwamp: refused a client on %s: SO_PEERCRED: %s", this->path,
		     strerror(errno));
		return FALSE;
	}
	if (cr.uid == 0 || (this->user_set && cr.uid == this->uid))
		return TRUE;
	DBG1(DBG_CFG, "xwamp: refused a client on %s: uid %u (pid %d) is neither root nor %s",
	     this->path, (unsigned int)cr.uid, (int)cr.pid,
	     this->user_set ? "the configured user" : "allowed (charon.plugins.xwamp.user)");
	return FALSE;
}

static void accept_client(private_xwamp_socket_t *this)
{
	int fd, i;

	fd = accept4(this->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (!peer_allowed(this, fd)) {
		if (write(fd, "ERR EACCES not allowed\n", 23) < 0) {
			/* closing anyway */
		}
		close(fd);
		return;
	}
	this->lock->lock(this->lock);
	for (i = 0; i < XW_IKESOCK_CLIENTS; i++) {
		if (this->clients[i].fd < 0) {
			this->clients[i].fd = fd;
			this->lock->unlock(this->lock);
			return;
		}
	}
	this->lock->unlock(this->lock);
	if (write(fd, "ERR EBUSY too many clients\n", 27) < 0) {
		/* closing anyway */
	}
	close(fd);
	DBG1(DBG_CFG, "xwamp: refused a client on %s: %d connections open", this->path,
	     XW_IKESOCK_CLIENTS);
}

static void *serve(private_xwamp_socket_t *this)
{
	struct pollfd pfd[XW_IKESOCK_CLIENTS + 2];
	int idx[XW_IKESOCK_CLIENTS + 2];
	int i, n;

	for (;;) {
		n = 0;
		pfd[n++] = (struct pollfd){.fd = this->stop[0], .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = this->fd, .events = POLLIN};
		for (i = 0; i < XW_IKESOCK_CLIENTS; i++) {
			client_t *c = &this->clients[i];

			if (c->fd >= 0 && c->dead) {
				client_close(this, c);
				continue;
			}
			if (c->fd < 0)
				continue;
			idx[n] = i;
			pfd[n++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
		}
		/* wake up now and then to close watchers marked dead by a hook */
		if (poll(pfd, n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			DBG1(DBG_CFG, "xwamp: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN)
			accept_client(this);
		for (i = 2; i < n; i++)
			if (pfd[i].revents)
				client_read(this, &this->clients[idx[i]]);
	}
	return NULL;
}

/*
 * The socket's directory: created 0700; an existing one must be a real
 * directory of our user that nobody else can write.  Otherwise someone else
 * could swap the socket for theirs and collect keys, or read ours.
 */
static bool safe_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir) {
		DBG1(DBG_CFG, "xwamp: socket %s must be in a directory of its own", path);
		return FALSE;
	}
	*slash = '\0';
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		DBG1(DBG_CFG, "xwamp: mkdir %s: %s", dir, strerror(errno));
		return FALSE;
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		DBG1(DBG_CFG, "xwamp: %s must be a directory of uid %u not writable by others", dir,
		     geteuid());
		return FALSE;
	}
	/* closed to everybody else while the socket is made (opened up after, open_up()) */
	if (chmod(dir, 0700) < 0) {
		DBG1(DBG_CFG, "xwamp: chmod %s: %s", dir, strerror(errno));
		return FALSE;
	}
	return TRUE;
}

/* The configured user (charon.plugins.xwamp.user): a name or a number. */
static bool user_get(private_xwamp_socket_t *this)
{
	struct passwd pw, *res = NULL;
	char buf[4096], *end;
	const char *user;
	unsigned long v;

	user = lib->settings->get_str(lib->settings, "%s.plugins.xwamp.user", NULL, lib->ns);
	if (!user || !*user)
		return TRUE;
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) || !res) {
		v = strtoul(user, &end, 10);
		if (*end || v >= (uid_t)-1 || getpwuid_r((uid_t)v, &pw, buf, sizeof(buf), &res) ||
		    !res) {
			DBG1(DBG_CFG, "xwamp: user '%s' (charon.plugins.xwamp.user) does not exist",
			     user);
			return FALSE;
		}
	}
	this->user_set = TRUE;
	this->uid = res->pw_uid;
	this->gid = res->pw_gid;
	return TRUE;
}

/*
 * The socket 0600, or 0660 and the directory 0710 of the configured user's
 * group; the socket was bound in the 0700 directory (safe_dir()), so no
 * other user could reach it in between.
 */
static bool open_up(private_xwamp_socket_t *this)
{
	char dir[sizeof(this->path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", this->path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (!this->user_set)
		return chmod(this->path, 0600) == 0;
	return chown(this->path, (uid_t)-1, this->gid) == 0 && chmod(this->path, 0660) == 0 &&
	       chown(dir, (uid_t)-1, this->gid) == 0 && chmod(dir, 0710) == 0;
}

METHOD(xwamp_socket_t, destroy, void, private_xwamp_socket_t *this)
{
	int i;

	this->listener->set_event_cb(this->listener, NULL, NULL);
	if (this->thread) {
		if (write(this->stop[1], "x", 1) < 0) {
			/* the join below then waits for poll's timeout */
		}
		this->thread->join(this->thread);
	}
	for (i = 0; i < XW_IKESOCK_CLIENTS; i++)
		if (this->clients[i].fd >= 0)
			close(this->clients[i].fd);
	if (this->fd >= 0) {
		close(this->fd);
		unlink(this->path);
	}
	if (this->stop[0] >= 0) {
		close(this->stop[0]);
		close(this->stop[1]);
	}
	this->lock->destroy(this->lock);
	free(this);
}

xwamp_socket_t *xwamp_socket_create(xwamp_listener_t *listener)
{
	private_xwamp_socket_t *this;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	const char *path;
	int i;

	INIT(this,
	     .public =
		     {
			     .destroy = _destroy,
		     },
	     .listener = listener, .fd = -1, .stop = {-1, -1},
	     .lock = mutex_create(MUTEX_TYPE_DEFAULT), );
	for (i = 0; i < XW_IKESOCK_CLIENTS; i++)
		this->clients[i].fd = -1;

	path = lib->settings->get_str(lib->settings, "%s.plugins.xwamp.socket", XW_IKESOCK_PATH,
				      lib->ns);
	if (strlen(path) >= sizeof(sun.sun_path) || path[0] != '/') {
		DBG1(DBG_CFG, "xwamp: socket path '%s' must be absolute and shorter than %zu", path,
		     sizeof(sun.sun_path));
		destroy(this);
		return NULL;
	}
	snprintf(this->path, sizeof(this->path), "%s", path);
	memcpy(sun.sun_path, path, strlen(path));
	if (!user_get(this) || !safe_dir(path) || pipe2(this->stop, O_CLOEXEC) < 0) {
		destroy(this);
		return NULL;
	}
	this->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (this->fd < 0) {
		DBG1(DBG_CFG, "xwamp: socket: %s", strerror(errno));
		destroy(this);
		return NULL;
	}
	unlink(path);
	i = bind(this->fd, (struct sockaddr *)&sun, sizeof(sun));
	if (i < 0 || !open_up(this) || listen(this->fd, 16) < 0) {
		DBG1(DBG_CFG, "xwamp: cannot listen on %s: %s", path, strerror(errno));
		close(this->fd);
		this->fd = -1;
		destroy(this);
		return NULL;
	}
	listener->set_event_cb(listener, on_event, this);
	this->thread = thread_create((thread_main_t)serve, this);
	if (!this->thread) {
		DBG1(DBG_CFG, "xwamp: cannot start the socket thread");
		destroy(this);
		return NULL;
	}
	if (this->user_set)
		DBG1(DBG_CFG, "xwamp: RFC 7717 key socket on %s (root and uid %u)", path,
		     (unsigned int)this->uid);
	else
		DBG1(DBG_CFG, "xwamp: RFC 7717 key socket on %s", path);
	return &this->public;
}
