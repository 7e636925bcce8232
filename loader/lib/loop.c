// SPDX-License-Identifier: GPL-2.0-only
/*
 * epoll loop with a timer min-heap (contracts in loop.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

uint64_t xw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * XW_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

bool xw_rl_ok(struct xw_ratelimit *rl, const char *what)
{
	return xw_ratelimit_ok(rl, xw_now_ns(), what);
}

int xw_loop_init(struct xw_loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	return 0;
}

void xw_loop_fini(struct xw_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->heap);
	memset(l, 0, sizeof(*l));
	l->epfd = -1;
}

int xw_loop_add(struct xw_loop *l, struct xw_io *io, int fd, uint32_t events, xw_io_fn fn,
		void *arg)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};

	io->fd = fd;
	io->fn = fn;
	io->arg = arg;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	io->added = true;
	return 0;
}

int xw_loop_mod(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = io};

	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, io->fd, &ev))
		return -errno;
	return 0;
}

void xw_loop_del(struct xw_loop *l, struct xw_io *io)
{
	int i;

	if (!io->added)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->added = false;
	/* forget events already fetched for io, so its owner may free it now */
	for (i = l->cur + 1; i < l->nev; i++)
		if (l->ev[i].data.ptr == io)
			l->ev[i].data.ptr = NULL;
}

/* --- timers: binary min-heap on deadline, slot = index + 1 --------------- */

static void heap_set(struct xw_loop *l, unsigned int i, struct xw_timer *t)
{
	l->heap[i] = t;
	t->slot = i + 1;
}

static void heap_up(struct xw_loop *l, unsigned int i)
{
	struct xw_timer *t = l->heap[i];

	while (i) {
		unsigned int p = (i - 1) / 2;

		if (l->heap[p]->deadline <= t->deadline)
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void heap_down(struct xw_loop *l, unsigned int i)
{
	struct xw_timer *t = l->heap[i];

	for (;;) {
		unsigned int c = 2 * i + 1;

		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && l->heap[c + 1]->deadline < l->heap[c]->deadline)
			c++;
		if (t->deadline <= l->heap[c]->deadline)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void xw_timer_init(struct xw_timer *t, xw_timer_fn fn, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
}

void xw_timer_cancel(struct xw_loop *l, struct xw_timer *t)
{
	unsigned int i;
	struct xw_timer *last;

	if (!t->slot)
		return;
	i = t->slot - 1;
	t->slot = 0;
	last = l->heap[--l->nheap];
	if (last == t)
		return;
	heap_set(l, i, last);
	heap_up(l, i);
	heap_down(l, last->slot - 1);
}

int xw_timer_arm_at(struct xw_loop *l, struct xw_timer *t, uint64_t deadline_ns)
{
	xw_timer_cancel(l, t);
	if (l->nheap == l->capheap) {
		unsigned int cap = l->capheap ? l->capheap * 2 : 64;
		struct xw_timer **h = realloc(l->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->capheap = cap;
	}
	t->deadline = deadline_ns;
	heap_set(l, l->nheap++, t);
	heap_up(l, l->nheap - 1);
	return 0;
}

int xw_timer_arm(struct xw_loop *l, struct xw_timer *t, uint64_t delay_ns)
{
	return xw_timer_arm_at(l, t, xw_now_ns() + delay_ns);
}

/* Fire every expired timer; return the epoll timeout in ms until the next. */
static int run_timers(struct xw_loop *l)
{
	uint64_t now = xw_now_ns(), wait;

	while (l->nheap && !l->stop) {
		struct xw_timer *t = l->heap[0];

		if (t->deadline > now) {
			wait = (t->deadline - now + 999999) / 1000000;
			return wait > 60000 ? 60000 : (int)wait;
		}
		xw_timer_cancel(l, t);
		t->fn(l, t);
		now = xw_now_ns();
	}
	return -1;
}

void xw_loop_stop(struct xw_loop *l)
{
	l->stop = true;
}

int xw_loop_run(struct xw_loop *l)
{
	l->stop = false;
	while (!l->stop) {
		int timeout = run_timers(l), n;

		if (l->stop)
			break;
		n = epoll_wait(l->epfd, l->ev, XW_LOOP_EVENTS, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		l->nev = n;
		for (l->cur = 0; l->cur < l->nev && !l->stop; l->cur++) {
			struct xw_io *io = l->ev[l->cur].data.ptr;

			if (io)
				io->fn(l, io, l->ev[l->cur].events);
		}
		l->nev = 0;
		l->cur = 0;
	}
	return 0;
}
