// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Prometheus endpoint (httpm.h): accept, read one request, answer,
 * close.  HTTP/1.0 with Connection: close, which every Prometheus server
 * speaks; one request per connection keeps the state small.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpm.h"
#include "log.h"
#include "net.h"

struct hconn {
	struct xw_httpm *h;
	int fd; /* -1: free slot */
	struct xw_io io;
	struct xw_timer deadline;
	uint64_t since; /* monotonic ns of accept: the oldest is evicted first */
	char req[XW_HTTPM_REQ_MAX];
	size_t rlen;
	char *resp; /* malloc'd answer, NULL while reading */
	size_t resp_len, sent;
};

struct xw_httpm {
	struct xw_loop *loop;
	int fd;
	struct xw_io io;
	char name[XW_ADDRSTRLEN];
	xw_httpm_render_fn render;
	void *arg;
	struct hconn c[XW_HTTPM_CONNS];
};

void xw_prom_help(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void hconn_close(struct hconn *c)
{
	if (c->fd < 0)
		return;
	xw_timer_cancel(c->h->loop, &c->deadline);
	xw_loop_del(c->h->loop, &c->io);
	close(c->fd);
	c->fd = -1;
	free(c->resp);
	c->resp = NULL;
	c->rlen = c->resp_len = c->sent = 0;
}

static void hconn_deadline(struct xw_loop *l, struct xw_timer *t)
{
	struct hconn *c = t->arg;

	pr_debug("metrics %s: a client took more than %d ms: closed", c->h->name,
		 XW_HTTPM_DEADLINE_MS);
	hconn_close(c);
}

/* Queue status + body (body from the render callback when status is 200). */
static void hconn_answer(struct hconn *c, int status, const char *reason)
{
	char *body = NULL, *out = NULL;
	size_t blen = 0, olen = 0;
	FILE *f;

	f = open_memstream(&body, &blen);
	if (!f) {
		hconn_close(c);
		return;
	}
	if (status == 200)
		c->h->render(c->h->arg, f);
	else
		fprintf(f, "%d %s\n", status, reason);
	if (fclose(f)) {
		free(body);
		hconn_close(c);
		return;
	}
	f = open_memstream(&out, &olen);
	if (!f) {
		free(body);
		hconn_close(c);
		return;
	}
	fprintf(f,
		"HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n\r\n",
		status, reason,
		status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain", blen);
	fwrite(body, 1, blen, f);
	free(body);
	if (fclose(f)) {
		free(out);
		hconn_close(c);
		return;
	}
	c->resp = out;
	c->resp_len = olen;
	c->sent = 0;
	xw_loop_mod(c->h->loop, &c->io, EPOLLOUT);
}

/* A whole request head is in: GET /metrics (or /), anything else a 4xx. */
static void hconn_request(struct hconn *c)
{
	if (strncmp(c->req, "GET ", 4))
		hconn_answer(c, 405, "Method Not Allowed");
	else if (!strncmp(c->req + 4, "/metrics ", 9) || !strncmp(c->req + 4, "/metrics\r", 9) ||
		 !strncmp(c->req + 4, "/ ", 2))
		hconn_answer(c, 200, "OK");
	else
		hconn_answer(c, 404, "Not Found");
}

static bool head_complete(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] == '\n' && p[i + 1] == '\n')
			return true;
		if (i + 3 < n && !memcmp(p + i, "\r\n\r\n", 4))
			return true;
	}
	return false;
}

static void hconn_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct hconn *c = io->arg;
	ssize_t k;

	if (c->resp) {
		while (c->sent < c->resp_len) {
			k = send(c->fd, c->resp + c->sent, c->resp_len - c->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (k <= 0) {
				hconn_close(c);
				return;
			}
			c->sent += (size_t)k;
		}
		shutdown(c->fd, SHUT_WR);
		hconn_close(c);
		return;
	}
	for (;;) {
		if (c->rlen == sizeof(c->req)) {
			/* a request head this long is not a scrape */
			hconn_answer(c, 431, "Request Header Fields Too Large");
			return;
		}
		k = recv(c->fd, c->req + c->rlen, sizeof(c->req) - c->rlen, MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (k <= 0) {
			hconn_close(c);
			return;
		}
		c->rlen += (size_t)k;
		if (head_complete(c->req, c->rlen)) {
			hconn_request(c);
			return;
		}
	}
}

static void httpm_accept(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xw_httpm *h = io->arg;
	struct hconn *c;
	unsigned int i;
	int fd;

	for (;;) {
		fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				pr_debug("metrics %s: accept: %s", h->name, strerror(errno));
			return;
		}
		/* a free slot, else the oldest connection goes */
		c = &h->c[0];
		for (i = 0; i < XW_HTTPM_CONNS; i++) {
			if (h->c[i].fd < 0) {
				c = &h->c[i];
				break;
			}
			if (h->c[i].since < c->since)
				c = &h->c[i];
		}
		if (c->fd >= 0) {
			pr_debug("metrics %s: %d connections: closing the oldest", h->name,
				 XW_HTTPM_CONNS);
			hconn_close(c);
		}
		c->fd = fd;
		c->since = xw_now_ns();
		if (xw_loop_add(l, &c->io, fd, EPOLLIN, hconn_event, c)) {
			close(fd);
			c->fd = -1;
			continue;
		}
		xw_timer_arm(l, &c->deadline, (uint64_t)XW_HTTPM_DEADLINE_MS * 1000000ULL);
	}
}

int xw_httpm_open(struct xw_loop *l, const char *addr, xw_httpm_render_fn fn, void *arg,
		  struct xw_httpm **out)
{
	struct xw_httpm *h;
	struct xw_addr a;
	unsigned int i;
	int rc;

	rc = xw_addr_parse(addr, 0, true, &a);
	if (rc || !xw_addr_port(&a)) {
		pr_err("metrics %s: give ADDR:PORT (e.g. 127.0.0.1:9862 or [::1]:9862)", addr);
		return rc ? rc : -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->loop = l;
	h->render = fn;
	h->arg = arg;
	xw_addr_fmt(&a, true, h->name, sizeof(h->name));
	for (i = 0; i < XW_HTTPM_CONNS; i++) {
		h->c[i].h = h;
		h->c[i].fd = -1;
		xw_timer_init(&h->c[i].deadline, hconn_deadline, &h->c[i]);
	}
	h->fd = xw_tcp_listen(&a, 16);
	if (h->fd < 0) {
		rc = h->fd;
		pr_err("metrics %s: listen: %s", h->name, strerror(-rc));
		free(h);
		return rc;
	}
	rc = xw_loop_add(l, &h->io, h->fd, EPOLLIN, httpm_accept, h);
	if (rc) {
		close(h->fd);
		free(h);
		return rc;
	}
	pr_info("metrics: Prometheus endpoint on http://%s/metrics (anyone who can reach it "
		"reads the counters)",
		h->name);
	*out = h;
	return 0;
}

void xw_httpm_close(struct xw_httpm *h)
{
	unsigned int i;

	if (!h)
		return;
	for (i = 0; i < XW_HTTPM_CONNS; i++)
		hconn_close(&h->c[i]);
	xw_loop_del(h->loop, &h->io);
	close(h->fd);
	free(h);
}
