// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "t.h"

static struct t_case *head, **tail = &head;
static const char *prog;
static int cur_failed;
static const char *cur_name = "?";

void t_register(struct t_case *c)
{
	*tail = c;
	tail = &c->next;
}

int t_failed(void)
{
	return cur_failed;
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (cur_failed)
		return;
	cur_failed = 1;
	printf("FAIL %s/%s: %s:%d: ", prog, cur_name, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void hexdump(const char *tag, const uint8_t *p, size_t len, const uint8_t *other)
{
	size_t i;

	printf("    %s:", tag);
	for (i = 0; i < len; i++) {
		if (i % 16 == 0)
			printf("\n    %04zx ", i);
		printf(other && other[i] != p[i] ? "[%02x]" : " %02x ", p[i]);
	}
	printf("\n");
}

void t_fail_mem(const char *file, int line, const char *what, const void *got, const void *want,
		size_t len)
{
	size_t i;

	for (i = 0; i < len && ((const uint8_t *)got)[i] == ((const uint8_t *)want)[i]; i++)
		;
	t_fail(file, line, "%s differs at offset %zu of %zu", what, i, len);
	hexdump("got ", got, len, want);
	hexdump("want", want, len, got);
}

size_t t_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (isspace((unsigned char)*hex) || *hex == ':')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else
			abort();
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			abort();
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		abort();
	return n;
}

#define T_LOG_KEEP 64

static struct {
	char line[T_LOG_KEEP][320];
	int n;	      /* lines since the reset; line[n % T_LOG_KEEP] is next */
	int count[2]; /* by level: XW_LOG_ERR, XW_LOG_WARN */
} t_log;

static void t_log_sink(enum xw_log_level level, const char *line, void *arg)
{
	if (getenv("XW_TEST_VERBOSE"))
		fprintf(stderr, "log: %s\n", line);
	if (level > XW_LOG_WARN)
		return;
	snprintf(t_log.line[t_log.n % T_LOG_KEEP], sizeof(t_log.line[0]), "%s", line);
	t_log.n++;
	t_log.count[level]++;
}

void t_log_reset(void)
{
	memset(&t_log, 0, sizeof(t_log));
}

void t_log_capture(void)
{
	t_log_reset();
	xw_log_set_sink(t_log_sink, NULL);
	xw_log_set_level(XW_LOG_DEBUG);
}

int t_log_n(void)
{
	return t_log.n < T_LOG_KEEP ? t_log.n : T_LOG_KEEP;
}

const char *t_log_line(int i)
{
	return t_log.line[(t_log.n - t_log_n() + i) % T_LOG_KEEP];
}

int t_logged(const char *needle)
{
	int i;

	for (i = 0; i < t_log_n(); i++)
		if (strstr(t_log_line(i), needle))
			return 1;
	return 0;
}

int t_log_count(int level)
{
	return level == XW_LOG_ERR || level == XW_LOG_WARN ? t_log.count[level] : 0;
}

const char *t_log_last(void)
{
	return t_log.n ? t_log.line[(t_log.n - 1) % T_LOG_KEEP] : "";
}

static int wanted(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct t_case *c;
	int failed = 0, passed = 0;

	prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (c = head; c; c = c->next) {
		if (!wanted(c->name, argc, argv))
			continue;
		cur_failed = 0;
		cur_name = c->name;
		c->fn();
		if (cur_failed) {
			failed++;
		} else {
			passed++;
			printf("PASS %s/%s\n", prog, c->name);
		}
	}
	return failed ? 1 : 0;
}
