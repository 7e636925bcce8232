/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny logging layer: one sink, four levels, printf-checked.
 * Messages say what happened and where ("control 192.0.2.1:40000: ...").
 */
#ifndef XW_LOG_H
#define XW_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum xw_log_level {
	XW_LOG_ERR = 0,
	XW_LOG_WARN,
	XW_LOG_INFO,
	XW_LOG_DEBUG,
};

/* A sink receives one complete line without the trailing newline. */
typedef void (*xw_log_sink_fn)(enum xw_log_level level, const char *line, void *arg);

void xw_log_set_level(enum xw_log_level level);
enum xw_log_level xw_log_get_level(void);
/* NULL restores the default sink (stderr, with a level prefix). */
void xw_log_set_sink(xw_log_sink_fn fn, void *arg);
/* Program name put in front of each line by the default sink. */
void xw_log_set_ident(const char *ident);

void xw_log(enum xw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void xw_vlog(enum xw_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * A log rate limiter for lines a remote peer can trigger over and over: at
 * most XW_RATELIMIT_BURST lines per second, then one line saying how many
 * were suppressed.  Zero-initialised is ready; now_ns is any monotonic
 * nanosecond clock the caller uses consistently.
 */
#define XW_RATELIMIT_BURST 10
struct xw_ratelimit {
	uint64_t window_ns;
	unsigned int n;
	unsigned int suppressed;
};
/* true when a line may be logged now; prints the suppressed count when a window rolls over */
bool xw_ratelimit_ok(struct xw_ratelimit *rl, uint64_t now_ns, const char *what);
/* Prints the suppressed count now, if any (e.g. when the connection ends). */
void xw_ratelimit_flush(struct xw_ratelimit *rl, const char *what);

#define pr_err(...)   xw_log(XW_LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  xw_log(XW_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  xw_log(XW_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) xw_log(XW_LOG_DEBUG, __VA_ARGS__)

#endif /* XW_LOG_H */
