/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Table-driven command-line options (doc/style.md 8): one table describes every
 * option once (names, type, where in the config struct it goes, range,
 * help), one pass of getopt_long fills one typed config struct whose
 * defaults the caller set beforehand.  The usage text is generated from the
 * same table, so help and parser cannot disagree.
 *
 * A configuration file (xw_opts_load) goes through the same table: one
 * "name value" line per option, name being the long option name (or an
 * alias, e.g. a YANG leaf of RFC 8913), so whatever the command line can say
 * the file can say too, and an option added to the table is in both.
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

#define XW_OPTS_HELP 1 /* returned when -h/--help or -V/--version printed */

/* "PROG VERSION" for -V/--version (XW_VERSION, from the VERSION file). */
void xw_opts_version(FILE *f, const char *prog);

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

/* --- configuration files ------------------------------------------------------ */

/* Another name a configuration file may use for an option (RFC 8913's leaves). */
struct xw_opt_alias {
	const char *alias, *name;
};

/* A program's configuration: its table and how its file is found. */
struct xw_opts_conf {
	const struct xw_opt *tbl;
	const struct xw_opt_alias *aliases; /* NULL-terminated, or NULL */
	const char *file_opt;		    /* the option naming the file ("config") */
	const char *default_file;	    /* read when file_opt is not given, if it exists */
	const char *const *cmdline_only;    /* NULL-terminated names a file may not use */
};

/* One value given for an option, and where (for --check-config and reloads). */
struct xw_opts_given {
	unsigned int opt;  /* index in the table */
	const char *text;  /* the value text (argv's, or a copy owned here); NULL: flag */
	unsigned int line; /* line in the file; 0 for the command line */
};

struct xw_opts_src {
	char *file; /* the configuration file read (copy), NULL when none */
	struct xw_opts_given *g;
	size_t n, cap;
	unsigned int *overridden; /* file lines not applied: the command line gives them */
	size_t noverridden;
};

/*
 * The file, then argv, into cfg (its defaults set by the caller): the file
 * named by --FILE_OPT in argv, else default_file when it exists; each line
 * "name value" ('#' starts a comment, at a line's start or after white
 * space), applied through the table as on the command line; a flag takes no
 * value or yes/no.  An option argv gives is not taken from the file (the
 * command line overrides it, repeatable options included).  A bad line is
 * reported as "FILE:LINE: reason" on stderr and makes the whole load fail.
 * Returns what xw_opts_parse() does; src (zeroed by the caller) records
 * every value given and where, and owns the file's strings: free it with
 * xw_opts_src_free() only when nothing in cfg points into it any more.
 */
int xw_opts_load(const struct xw_opts_conf *c, int argc, char **argv, void *cfg,
		 struct xw_opts_src *src, int *first_arg);
void xw_opts_src_free(struct xw_opts_src *src);

/*
 * Option i's effective value as text: typed options from cfg, custom ones
 * (XW_OPT_FN) from what src recorded, ", "-joined when repeated.  Returns
 * 1 when the value was given (file or command line), 0 for a default (buf
 * then holds the typed default, or "" for a custom option).
 */
int xw_opts_value(const struct xw_opt *tbl, unsigned int i, const void *cfg,
		  const struct xw_opts_src *src, char *buf, size_t len);

/* The effective configuration in the file's own syntax, each value's origin as a comment. */
void xw_opts_dump(FILE *f, const struct xw_opts_conf *c, const void *cfg,
		  const struct xw_opts_src *src);

/* Copy the field of a typed option (not XW_OPT_FN) from one cfg to another; 0 or -EINVAL. */
int xw_opts_copy(const struct xw_opt *o, void *dst, const void *src);

/* Index of a long option name or alias in c->tbl, or -1. */
int xw_opts_find(const struct xw_opts_conf *c, const char *name);

#endif /* XW_OPTS_H */
