/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Table-driven command-line options (doc/style.md 8): one table describes every
 * option once (names, type, where in the config struct it goes, range,
 * help), one pass of getopt_long fills one typed config struct whose
 * defaults the caller set beforehand.  The usage text is generated from the
 * same table, so help and parser cannot disagree.
 */
#ifndef XW_OPTS_H
#define XW_OPTS_H

#include <stddef.h>
#include <stdio.h>

enum xw_opt_type {
	XW_OPT_END = 0,
	XW_OPT_FLAG,  /* bool field set to true; no argument */
	XW_OPT_CLEAR, /* bool field set to false; no argument */
	XW_OPT_COUNT, /* int field incremented; no argument (-v -v) */
	XW_OPT_UINT,  /* unsigned int field, decimal, checked against [min, max] */
	XW_OPT_STR,   /* const char * field pointing into argv */
	XW_OPT_FN,    /* custom parser: fn(cfg, arg) returns 0 or -errno */
};

struct xw_opt {
	const char *name; /* long name without "--" */
	int short_name;	  /* 0 for none */
	enum xw_opt_type type;
	size_t off;	     /* offsetof(config, field) */
	const char *metavar; /* argument name in the usage; NULL for no argument */
	const char *help;
	unsigned long min, max;		       /* XW_OPT_UINT range */
	int (*fn)(void *cfg, const char *arg); /* XW_OPT_FN: may print its own reason */
};

/* Helpers for table entries. */
#define XW_OPT_F(lname, sname, type_, cfgtype, field, meta, help_)                  \
	{                                                                           \
		.name = (lname), .short_name = (sname), .type = (type_),            \
		.off = offsetof(cfgtype, field), .metavar = (meta), .help = (help_) \
	}
#define XW_OPT_U(lname, sname, cfgtype, field, meta, lo, hi, help_)                               \
	{                                                                                         \
		.name = (lname), .short_name = (sname), .type = XW_OPT_UINT,                      \
		.off = offsetof(cfgtype, field), .metavar = (meta), .help = (help_), .min = (lo), \
		.max = (hi)                                                                       \
	}
#define XW_OPT_CB(lname, sname, parser, meta, help_)                                          \
	{                                                                                     \
		.name = (lname), .short_name = (sname), .type = XW_OPT_FN, .metavar = (meta), \
		.help = (help_), .fn = (parser)                                               \
	}
#define XW_OPT_LAST                \
	{                          \
		.type = XW_OPT_END \
	}

#define XW_OPTS_HELP 1 /* returned when -h/--help printed the usage */

/*
 * Parse argv against tbl (terminated by XW_OPT_LAST) into cfg.  -h/--help is
 * built in.  On success returns 0 and sets *first_arg to the index of the
 * first non-option argument.  On a bad option or value prints
 * "prog: --name: reason" to stderr and returns -EINVAL; returns
 * XW_OPTS_HELP after printing the usage to stdout.
 */
int xw_opts_parse(const struct xw_opt *tbl, int argc, char **argv, void *cfg, int *first_arg);

/* The usage text: "usage: prog [options] synopsis" and one line per option. */
void xw_opts_usage(FILE *f, const char *prog, const char *synopsis, const struct xw_opt *tbl);

/* Parse a decimal unsigned in [min, max]; 0 or -EINVAL.  For custom parsers. */
int xw_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#endif /* XW_OPTS_H */
