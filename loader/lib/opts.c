// SPDX-License-Identifier: GPL-2.0-only
/*
 * Table-driven option parser (contracts in opts.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "opts.h"

#ifndef XW_VERSION
#define XW_VERSION "unknown"
#endif

#define XW_OPTS_MAX	 128
#define XW_OPTS_FILE_MAX (1 << 20) /* a configuration file is text of a few lines */

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

/* where: "prog: --name" on the command line, "FILE:LINE: name" in a file */
static int apply(const struct xw_opt *o, void *cfg, const char *arg, const char *where)
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
			fprintf(stderr, "%s: '%s' is not a number in %lu..%lu\n", where, arg,
				o->min, o->max);
			return -EINVAL;
		}
		*(unsigned int *)field = (unsigned int)v;
		return 0;
	case XW_OPT_STR:
		*(const char **)field = arg;
		return 0;
	case XW_OPT_FN:
		rc = o->fn(cfg, arg);
		if (rc == -ECANCELED) /* the callback said what is wrong */
			return -EINVAL;
		if (rc) {
			fprintf(stderr, "%s: invalid value '%s'\n", where, arg ? arg : "");
			return -EINVAL;
		}
		return 0;
	case XW_OPT_END:
		break;
	}
	return -EINVAL;
}

void xw_opts_version(FILE *f, const char *prog)
{
	const char *base = strrchr(prog, '/');

	fprintf(f, "%s %s\n", base ? base + 1 : prog, XW_VERSION);
}

static int src_add(struct xw_opts_src *src, unsigned int opt, const char *text, unsigned int line)
{
	if (src->n == src->cap) {
		size_t cap = src->cap ? 2 * src->cap : 16;
		struct xw_opts_given *g = realloc(src->g, cap * sizeof(*g));

		if (!g)
			return -ENOMEM;
		src->g = g;
		src->cap = cap;
	}
	src->g[src->n++] = (struct xw_opts_given){.opt = opt, .text = text, .line = line};
	return 0;
}

/*
 * One getopt_long pass over argv.  With src, only records each option given
 * (argv's strings, line 0) and applies nothing; without, applies each.
 */
static int getopt_pass(const struct xw_opt *tbl, int argc, char **argv, void *cfg,
		       struct xw_opts_src *src, int *first_arg)
{
	struct option lo[XW_OPTS_MAX + 3];
	char so[3 * XW_OPTS_MAX + 8];
	const char *prog = argc > 0 ? argv[0] : "xwamp";
	char where[96];
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
	lo[n + 1] = (struct option){"version", no_argument, NULL, 'V'};
	lo[n + 2] = (struct option){NULL, 0, NULL, 0};
	so[sl++] = 'h';
	so[sl++] = 'V';
	so[sl] = '\0';

	optind = 0; /* glibc: start over (this may be a second pass) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h') {
			xw_opts_usage(stdout, prog, NULL, tbl);
			return XW_OPTS_HELP;
		}
		if (c == 'V') {
			xw_opts_version(stdout, prog);
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
		if (src) {
			if (src_add(src, (unsigned int)idx, optarg, 0))
				return -ENOMEM;
			continue;
		}
		snprintf(where, sizeof(where), "%s: --%s", prog, tbl[idx].name);
		if (apply(&tbl[idx], cfg, optarg, where))
			return -EINVAL;
	}
	if (first_arg)
		*first_arg = optind;
	return 0;
}

int xw_opts_parse(const struct xw_opt *tbl, int argc, char **argv, void *cfg, int *first_arg)
{
	return getopt_pass(tbl, argc, argv, cfg, NULL, first_arg);
}

/* --- configuration files -------------------------------------------------------- */

int xw_opts_find(const struct xw_opts_conf *c, const char *name)
{
	const struct xw_opt_alias *a;
	int i;

	for (i = 0; c->tbl[i].type != XW_OPT_END; i++)
		if (!strcmp(c->tbl[i].name, name))
			return i;
	for (a = c->aliases; a && a->alias; a++)
		if (!strcmp(a->alias, name))
			return xw_opts_find(c, a->name);
	return -1;
}

static bool cmdline_only(const struct xw_opts_conf *c, const char *name)
{
	const char *const *p;

	for (p = c->cmdline_only; p && *p; p++)
		if (!strcmp(*p, name))
			return true;
	return !strcmp(name, c->file_opt);
}

static bool given_on_cmdline(const struct xw_opts_src *src, size_t nargv, unsigned int opt)
{
	size_t i;

	for (i = 0; i < nargv; i++)
		if (src->g[i].opt == opt)
			return true;
	return false;
}

/* "yes"/"no" and friends for flags in a file: 1, 0, or -1 */
static int parse_bool(const char *v)
{
	static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
										    "off", "0"};
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(v, yes[i]))
			return 1;
		if (!strcmp(v, no[i]))
			return 0;
	}
	return -1;
}

/* Read a whole (small, regular) file; NUL-terminated copy in *out. */
static int read_text(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t r;
	size_t n = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		rc = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto fail;
	}
	if (st.st_size > XW_OPTS_FILE_MAX) {
		rc = -EFBIG;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto fail;
	}
	while (n < (size_t)st.st_size && (r = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
fail:
	close(fd);
	return rc;
}

/* One line of the file (NUL-terminated, no newline): 0, or -EINVAL after a message. */
static int file_line(const struct xw_opts_conf *c, char *line, unsigned int ln, void *cfg,
		     struct xw_opts_src *src, size_t nargv, unsigned int *first_line)
{
	const char *f = src->file;
	char *name, *val, *p, where[512];
	const struct xw_opt *o;
	int idx, b;

	for (p = line; *p; p++) {
		if (*p == '#' && (p == line || *(p - 1) == ' ' || *(p - 1) == '\t')) {
			*p = '\0'; /* a comment to the end of the line */
			break;
		}
		if ((unsigned char)*p < 0x20 && *p != '\t') {
			fprintf(stderr, "%s:%u: control character 0x%02x: not a text line\n", f, ln,
				(unsigned char)*p);
			return -EINVAL;
		}
	}
	while (p > line && (*(p - 1) == ' ' || *(p - 1) == '\t'))
		*--p = '\0';
	name = line + strspn(line, " \t");
	if (!*name)
		return 0;
	val = name + strcspn(name, " \t");
	if (*val) {
		*val++ = '\0';
		val += strspn(val, " \t");
	}
	if (name[0] == '-' && name[1] == '-')
		name += 2; /* "--servwait 60" as on the command line */
	idx = xw_opts_find(c, name);
	if (idx < 0) {
		fprintf(stderr, "%s:%u: unknown option '%s'\n", f, ln, name);
		return -EINVAL;
	}
	o = &c->tbl[idx];
	if (cmdline_only(c, o->name)) {
		fprintf(stderr, "%s:%u: '%s' belongs on the command line, not in a file\n", f, ln,
			name);
		return -EINVAL;
	}
	snprintf(where, sizeof(where), "%s:%u: %s", f, ln, name);
	if (o->metavar && !*val) {
		fprintf(stderr, "%s: missing value (%s)\n", where, o->metavar);
		return -EINVAL;
	}
	if (!o->metavar && *val && parse_bool(val) < 0) {
		fprintf(stderr, "%s: '%s' is neither yes nor no (a flag)\n", where, val);
		return -EINVAL;
	}
	if (o->type != XW_OPT_FN && o->type != XW_OPT_COUNT && first_line[idx]) {
		fprintf(stderr, "%s: given again (first at line %u)\n", where, first_line[idx]);
		return -EINVAL;
	}
	if (!first_line[idx])
		first_line[idx] = ln;
	if (given_on_cmdline(src, nargv, (unsigned int)idx)) {
		unsigned int *ov = realloc(src->overridden, (src->noverridden + 1) * sizeof(*ov));

		if (!ov)
			return -ENOMEM;
		src->overridden = ov;
		src->overridden[src->noverridden++] = ln;
		return 0;
	}
	if (!o->metavar) {
		b = *val ? parse_bool(val) : 1;
		if (!b && (o->type == XW_OPT_FLAG || o->type == XW_OPT_CLEAR))
			*(bool *)((char *)cfg + o->off) = o->type == XW_OPT_CLEAR;
		else if (!b && o->type == XW_OPT_COUNT)
			*(int *)((char *)cfg + o->off) = 0;
		else if (b && apply(o, cfg, NULL, where))
			return -EINVAL;
		return src_add(src, (unsigned int)idx, NULL, ln);
	}
	if (o->type == XW_OPT_COUNT) {
		unsigned long v;

		if (xw_parse_uint(val, 0, 100, &v)) {
			fprintf(stderr, "%s: '%s' is not a number in 0..100\n", where, val);
			return -EINVAL;
		}
		*(int *)((char *)cfg + o->off) = (int)v;
		return src_add(src, (unsigned int)idx, NULL, ln);
	}
	/* the value is kept as long as src: cfg may point into it (XW_OPT_STR) */
	p = strdup(val);
	if (!p || src_add(src, (unsigned int)idx, p, ln)) {
		free(p);
		return -ENOMEM;
	}
	return apply(o, cfg, p, where);
}

static int file_load(const struct xw_opts_conf *c, const char *path, bool must, void *cfg,
		     struct xw_opts_src *src, size_t nargv)
{
	unsigned int first_line[XW_OPTS_MAX] = {0}, ln = 0;
	char *text = NULL, *line, *nl, *end;
	size_t len = 0;
	int rc;

	rc = read_text(path, &text, &len);
	if (rc == -ENOENT && !must)
		return 0;
	if (rc) {
		fprintf(stderr, "%s: %s\n", path,
			rc == -EINVAL  ? "not a regular file"
			: rc == -EFBIG ? "larger than a configuration file can be"
				       : strerror(-rc));
		return rc;
	}
	src->file = strdup(path);
	if (!src->file) {
		free(text);
		return -ENOMEM;
	}
	if (memchr(text, '\0', len)) {
		fprintf(stderr, "%s: a NUL octet: not a text file\n", path);
		free(text);
		return -EINVAL;
	}
	end = text + len;
	for (line = text; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end; /* the last line without a newline; *end is the NUL */
		*nl = '\0';
		if (nl > line && *(nl - 1) == '\r')
			*(nl - 1) = '\0';
		rc = file_line(c, line, ++ln, cfg, src, nargv, first_line);
		if (rc)
			break;
	}
	free(text);
	return rc;
}

int xw_opts_load(const struct xw_opts_conf *c, int argc, char **argv, void *cfg,
		 struct xw_opts_src *src, int *first_arg)
{
	const char *path = c->default_file;
	bool must = false;
	size_t i, nargv;
	int rc, fidx = xw_opts_find(c, c->file_opt);

	rc = getopt_pass(c->tbl, argc, argv, cfg, src, NULL); /* what argv gives */
	if (rc)
		return rc;
	nargv = src->n;
	for (i = 0; i < nargv; i++) {
		if ((int)src->g[i].opt == fidx) {
			path = src->g[i].text;
			must = true;
		}
	}
	if (path && *path) {
		rc = file_load(c, path, must, cfg, src, nargv);
		if (rc)
			return rc < 0 ? rc : -EINVAL;
	}
	return getopt_pass(c->tbl, argc, argv, cfg, NULL, first_arg);
}

void xw_opts_src_free(struct xw_opts_src *src)
{
	size_t i;

	for (i = 0; i < src->n; i++)
		if (src->g[i].line)
			free((char *)src->g[i].text);
	free(src->g);
	free(src->file);
	free(src->overridden);
	memset(src, 0, sizeof(*src));
}

int xw_opts_value(const struct xw_opt *tbl, unsigned int i, const void *cfg,
		  const struct xw_opts_src *src, char *buf, size_t len)
{
	const struct xw_opt *o = &tbl[i];
	const char *field = (const char *)cfg + o->off;
	const char *s;
	size_t k, used = 0;
	int given = 0;

	for (k = 0; src && k < src->n; k++)
		if (src->g[k].opt == i)
			given = 1;
	buf[0] = '\0';
	switch (o->type) {
	case XW_OPT_FLAG:
		snprintf(buf, len, "%s", *(const bool *)field ? "yes" : "no");
		break;
	case XW_OPT_CLEAR:
		snprintf(buf, len, "%s", *(const bool *)field ? "no" : "yes");
		break;
	case XW_OPT_COUNT:
		snprintf(buf, len, "%d", *(const int *)field);
		break;
	case XW_OPT_UINT:
		snprintf(buf, len, "%u", *(const unsigned int *)field);
		break;
	case XW_OPT_STR:
		s = *(const char *const *)field;
		snprintf(buf, len, "%s", s ? s : "");
		break;
	case XW_OPT_FN:
		for (k = 0; src && k < src->n && used < len; k++) {
			if (src->g[k].opt != i)
				continue;
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 src->g[k].text ? src->g[k].text : "yes");
		}
		break;
	case XW_OPT_END:
		break;
	}
	return given;
}

void xw_opts_dump(FILE *f, const struct xw_opts_conf *c, const void *cfg,
		  const struct xw_opts_src *src)
{
	char val[4096], origin[600];
	unsigned int i;
	size_t k;

	if (src->file)
		fprintf(f, "# effective configuration: %s, then the command line\n", src->file);
	else
		fprintf(f, "# effective configuration: the command line (no configuration file "
			   "read)\n");
	for (i = 0; c->tbl[i].type != XW_OPT_END; i++) {
		const struct xw_opt *o = &c->tbl[i];
		bool any = false;

		if (cmdline_only(c, o->name))
			continue;
		if (o->type == XW_OPT_FN && o->metavar) {
			/* repeatable custom options: one line per value given */
			for (k = 0; k < src->n; k++) {
				const struct xw_opts_given *g = &src->g[k];

				if (g->opt != i)
					continue;
				any = true;
				if (g->line)
					snprintf(origin, sizeof(origin), "%s:%u", src->file,
						 g->line);
				else
					snprintf(origin, sizeof(origin), "command line");
				fprintf(f, "%-22s %-30s # %s\n", o->name, g->text, origin);
			}
			if (!any)
				fprintf(f, "# %-20s %-30s # default (--help)\n", o->name, "");
			continue;
		}
		if (xw_opts_value(c->tbl, i, cfg, src, val, sizeof(val))) {
			for (k = src->n; k-- > 0;) /* the last value given counts */
				if (src->g[k].opt == i)
					break;
			if (src->g[k].line)
				snprintf(origin, sizeof(origin), "%s:%u", src->file,
					 src->g[k].line);
			else
				snprintf(origin, sizeof(origin), "command line");
		} else {
			snprintf(origin, sizeof(origin), "default");
		}
		if (o->type == XW_OPT_STR && !val[0])
			fprintf(f, "# %-20s %-30s # %s (not set)\n", o->name, "", origin);
		else
			fprintf(f, "%-22s %-30s # %s\n", o->name, val, origin);
	}
	for (k = 0; k < src->noverridden; k++)
		fprintf(f, "# %s:%u: overridden by the command line\n", src->file,
			src->overridden[k]);
}

int xw_opts_copy(const struct xw_opt *o, void *dst, const void *src)
{
	size_t sz;

	switch (o->type) {
	case XW_OPT_FLAG:
	case XW_OPT_CLEAR:
		sz = sizeof(bool);
		break;
	case XW_OPT_COUNT:
		sz = sizeof(int);
		break;
	case XW_OPT_UINT:
		sz = sizeof(unsigned int);
		break;
	case XW_OPT_STR:
		sz = sizeof(const char *);
		break;
	default:
		return -EINVAL;
	}
	memcpy((char *)dst + o->off, (const char *)src + o->off, sz);
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
	fprintf(f, "  %-30s %s\n", "-V, --version", "show the version");
}
