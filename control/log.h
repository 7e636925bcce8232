/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny logging layer: one sink, four levels, printf-checked.
 * Messages say what happened and where ("control 192.0.2.1:40000: ...").
 */
#ifndef XW_LOG_H
#define XW_LOG_H

#include <stdarg.h>

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

#define pr_err(...) xw_log(XW_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) xw_log(XW_LOG_WARN, __VA_ARGS__)
#define pr_info(...) xw_log(XW_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) xw_log(XW_LOG_DEBUG, __VA_ARGS__)

#endif /* XW_LOG_H */
