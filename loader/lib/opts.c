// SPDX-License-Identifier: GPL-2.0-only
/*
 * Table-driven option parser (contracts in opts.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

#define XW_OPTS_MAX	64
#define XW_OPT_HELP_IDX (-2)

int xw_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int apply(const struct xw_opt *o, void *cfg, const char *arg, const char *prog)
{
	char *field = (char *)cfg + o->off;
	unsigned long v;
	int rc;

	switch (o->type) {
	case XW_OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case XW_OPT_CLEAR:
		*(bool *)field = false;
		return 0;
	case XW_OPT_COUNT:
		(*(int *)field)++;
		return 0;
	case XW_OPT_UINT:
		if (xw_parse_uint(arg, o->min, o->max, &v)) {
			fprintf(stderr, "%s: --%s: '%s' is not a number in %lu..%lu\n", prog,
				o->name, arg, o->min, o->max);
			return -EINVAL;
		}
		*(unsigned int *)field = (unsigned int)v;
		return 0;
	case XW_OPT_STR:
		*(const char **)field = arg;
		return 0;
	case XW_OPT_FN:
		rc = o->fn(cfg, arg);
		if (rc) {
			fprintf(stderr, "%s: --%s: invalid value '%s'\n", prog, o->name,
				arg ? arg : "");
			return -EINVAL;
		}
		return 0;
	case XW_OPT_END:
		break;
	}
	return -EINVAL;
}

int xw_opts_parse(const struct xw_opt *tbl, int argc, char **argv, void *cfg, int *first_arg)
{
	struct option lo[XW_OPTS_MAX + 2];
	char so[3 * XW_OPTS_MAX + 8];
	const char *prog = argc > 0 ? argv[0] : "xwamp";
	size_t sl = 0;
	int n, c, idx;

	so[sl++] = ':'; /* report a missing argument as ':' */
	for (n = 0; tbl[n].type != XW_OPT_END; n++) {
		if (n >= XW_OPTS_MAX)
			return -E2BIG;
		lo[n].name = tbl[n].name;
		lo[n].has_arg = tbl[n].metavar ? required_argument : no_argument;
		lo[n].flag = NULL;
		lo[n].val = 256 + n; /* long options are told apart by their index */
		if (tbl[n].short_name) {
			so[sl++] = (char)tbl[n].short_name;
			if (tbl[n].metavar)
				so[sl++] = ':';
		}
	}
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n + 1] = (struct option){NULL, 0, NULL, 0};
	so[sl++] = 'h';
	so[sl] = '\0';

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h') {
			xw_opts_usage(stdout, prog, NULL, tbl);
			return XW_OPTS_HELP;
		}
		if (c == '?' || c == ':') {
			const char *what = argv[optind - 1];

			fprintf(stderr, "%s: %s: %s (try --help)\n", prog, what ? what : "?",
				c == ':' ? "missing argument" : "unknown option");
			return -EINVAL;
		}
		if (c >= 256) {
			idx = c - 256;
		} else {
			for (idx = 0; idx < n && tbl[idx].short_name != c; idx++)
				;
			if (idx == n)
				return -EINVAL;
		}
		if (apply(&tbl[idx], cfg, optarg, prog))
			return -EINVAL;
	}
	if (first_arg)
		*first_arg = optind;
	return 0;
}

void xw_opts_usage(FILE *f, const char *prog, const char *synopsis, const struct xw_opt *tbl)
{
	int i;

	fprintf(f, "usage: %s [options]%s%s\n\noptions:\n", prog, synopsis ? " " : "",
		synopsis ? synopsis : "");
	for (i = 0; tbl[i].type != XW_OPT_END; i++) {
		char left[64];

		if (tbl[i].short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", tbl[i].short_name,
				 tbl[i].name, tbl[i].metavar ? " " : "",
				 tbl[i].metavar ? tbl[i].metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", tbl[i].name,
				 tbl[i].metavar ? " " : "", tbl[i].metavar ? tbl[i].metavar : "");
		fprintf(f, "  %-30s %s\n", left, tbl[i].help ? tbl[i].help : "");
	}
	fprintf(f, "  %-30s %s\n", "-h, --help", "show this help");
}
