/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One epoll loop with timers, for programs that do everything in one thread
 * (no fork per session, no SIGALRM: doc/style.md, "What the code avoids").
 *
 * File descriptors are watched through a caller-owned struct xw_io; timers
 * are caller-owned struct xw_timer kept in a min-heap ordered by deadline
 * (CLOCK_MONOTONIC nanoseconds), so arming, cancelling and finding the next
 * deadline cost O(log n) and O(1) whatever the number of sessions.
 *
 * Lifetime rule: after xw_loop_del(io) returns, the loop never touches io
 * again, even if epoll had already reported an event for it in the batch
 * being dispatched; so the owner may close the fd and free the object right
 * away, from inside any callback.  Same for xw_timer_cancel().
 */
#ifndef XW_LOOP_H
#define XW_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

struct xw_loop;
struct xw_io;
struct xw_timer;

typedef void (*xw_io_fn)(struct xw_loop *l, struct xw_io *io, uint32_t events);
typedef void (*xw_timer_fn)(struct xw_loop *l, struct xw_timer *t);

struct xw_io {
	int fd;
	xw_io_fn fn;
	void *arg; /* the owner's object */
	bool added;
};

struct xw_timer {
	uint64_t deadline; /* CLOCK_MONOTONIC ns */
	unsigned int slot; /* index in the heap + 1; 0 = not armed */
	xw_timer_fn fn;
	void *arg;
};

#define XW_LOOP_EVENTS 64

struct xw_loop {
	int epfd;
	bool stop;
	/* private: the timer heap and the batch being dispatched */
	struct xw_timer **heap;
	unsigned int nheap, capheap;
	struct epoll_event ev[XW_LOOP_EVENTS];
	int nev, cur;
};

/* CLOCK_MONOTONIC now, in nanoseconds. */
uint64_t xw_now_ns(void);

struct xw_ratelimit; /* control/log.h */
/*
 * The log rate limiter (control/log.h) on this monotonic clock: true when a
 * line may be logged now; prints the "suppressed" count when a window
 * rolls over.  For every daemon of loader/.
 */
bool xw_rl_ok(struct xw_ratelimit *rl, const char *what);
#define XW_NS_PER_SEC 1000000000ULL

/* Create the epoll instance.  0 or -errno. */
int xw_loop_init(struct xw_loop *l);
/* Close the epoll fd and free the heap (watched fds are the owners' to close). */
void xw_loop_fini(struct xw_loop *l);

/*
 * Watch fd for events (EPOLLIN, EPOLLOUT, ...; level-triggered unless
 * EPOLLET is given).  fn is called with the events epoll reported.
 * 0 or -errno.
 */
int xw_loop_add(struct xw_loop *l, struct xw_io *io, int fd, uint32_t events, xw_io_fn fn,
		void *arg);
/* Change the watched events.  0 or -errno. */
int xw_loop_mod(struct xw_loop *l, struct xw_io *io, uint32_t events);
/* Stop watching (see the lifetime rule above).  Safe on an io never added. */
void xw_loop_del(struct xw_loop *l, struct xw_io *io);

/* Prepare a timer (not armed). */
void xw_timer_init(struct xw_timer *t, xw_timer_fn fn, void *arg);
/* Arm (or re-arm) to fire once at the absolute monotonic time deadline_ns. */
int xw_timer_arm_at(struct xw_loop *l, struct xw_timer *t, uint64_t deadline_ns);
/* Arm (or re-arm) to fire once after delay_ns from now. */
int xw_timer_arm(struct xw_loop *l, struct xw_timer *t, uint64_t delay_ns);
/* Disarm; safe on a timer that is not armed. */
void xw_timer_cancel(struct xw_loop *l, struct xw_timer *t);
static inline bool xw_timer_armed(const struct xw_timer *t)
{
	return t->slot != 0;
}

/*
 * Dispatch events and timers until xw_loop_stop() is called (from a
 * callback).  Returns 0 after a stop, or -errno when epoll_wait fails
 * (EINTR is retried).
 */
int xw_loop_run(struct xw_loop *l);
void xw_loop_stop(struct xw_loop *l);

#endif /* XW_LOOP_H */
