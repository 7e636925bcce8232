// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum xw_log_level cur_level = XW_LOG_INFO;
static xw_log_sink_fn cur_sink;
static void *cur_arg;
static const char *cur_ident = "xwamp";

void xw_log_set_level(enum xw_log_level level)
{
	cur_level = level;
}

enum xw_log_level xw_log_get_level(void)
{
	return cur_level;
}

void xw_log_set_sink(xw_log_sink_fn fn, void *arg)
{
	cur_sink = fn;
	cur_arg = arg;
}

void xw_log_set_ident(const char *ident)
{
	cur_ident = ident;
}

void xw_vlog(enum xw_log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[1024];
	size_t n;

	if (level > cur_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (cur_sink) {
		cur_sink(level, line, cur_arg);
		return;
	}
	fprintf(stderr, "%s: %s: %s\n", cur_ident, names[level], line);
}

void xw_log(enum xw_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xw_vlog(level, fmt, ap);
	va_end(ap);
}

void xw_ratelimit_flush(struct xw_ratelimit *rl, const char *what)
{
	if (rl->suppressed)
		pr_warn("%s: %u similar messages suppressed", what, rl->suppressed);
	rl->suppressed = 0;
}

bool xw_ratelimit_ok(struct xw_ratelimit *rl, uint64_t now_ns, const char *what)
{
	if (now_ns - rl->window_ns >= 1000000000ULL) {
		xw_ratelimit_flush(rl, what);
		rl->window_ns = now_ns;
		rl->n = 0;
	}
	if (rl->n < XW_RATELIMIT_BURST) {
		rl->n++;
		return true;
	}
	rl->suppressed++;
	return false;
}
