// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwamp-keys: edit a key file (control/keyfile.h, the reference's pfs
 * format) without writing hex by hand.
 *
 *   xwamp-keys add  FILE KEYID   add a KeyID; its passphrase is asked for
 *   xwamp-keys set  FILE KEYID   add or replace
 *   xwamp-keys del  FILE KEYID   remove
 *   xwamp-keys list FILE         the KeyIDs (never the secrets)
 *
 * The passphrase is read from the terminal with echo off (twice, they must
 * match) when standard input is one, else as one line of standard input
 * (its newline removed), so scripts can pipe it in.  The file is parsed
 * first with the same parser xwampd and xwping use (a file pfstore wrote
 * loads as it is; a file that does not parse is not rewritten); every other
 * line, comments included, is kept as it was.  The new file is written next
 * to the old one (FILE.tmp, mode 0600, the old file's owner when run as
 * root), flushed to disk, then renamed over it: a reader sees the old file
 * or the new one, never half of one.  Passphrases and file contents are
 * wiped from memory after use.
 *
 * Exit status: 0 done; 1 the operation failed (KeyID already there or
 * missing, file unreadable or unwritable, passphrases differ); 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "hex.h"
#include "keyfile.h"
#include "log.h"
#include "opts.h"

#define EXIT_FAIL  1
#define EXIT_USAGE 2
#define FILE_MAX   (1 << 20)

static void usage(FILE *f)
{
	fprintf(f, "usage: xwamp-keys add|set|del FILE KEYID\n"
		   "       xwamp-keys list FILE\n"
		   "       xwamp-keys --help | --version\n\n"
		   "Edit a TWAMP key file (lines \"KEYID HEXPASSPHRASE\", the format of\n"
		   "perfSONAR's pfstore, read by xwampd --keyfile and xwping -k):\n"
		   "  add   add KEYID; fails when it is there\n"
		   "  set   add KEYID or replace its passphrase\n"
		   "  del   remove KEYID; fails when it is not there\n"
		   "  list  print the KeyIDs\n"
		   "The passphrase is asked for without echo on a terminal, else read as one\n"
		   "line of standard input.  FILE is replaced atomically, mode 0600.\n");
}

/* Read the whole file; -ENOENT when it does not exist. */
static int read_file(const char *path, char **text, size_t *len, struct stat *st)
{
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) || !S_ISREG(st->st_mode) || st->st_size > FILE_MAX) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st->st_size + 2);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (n < (size_t)st->st_size && (r = read(fd, buf + n, (size_t)st->st_size - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/* One line from fd without its newline, at most max-1 octets; length or -errno. */
static ssize_t read_line(int fd, char *buf, size_t max)
{
	size_t n = 0;
	char c;
	ssize_t r;

	while ((r = read(fd, &c, 1)) == 1 && c != '\n') {
		if (n + 1 >= max)
			return -E2BIG;
		buf[n++] = c;
	}
	if (r < 0)
		return -errno;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (ssize_t)n;
}

/* The terminal's echo off while reading one line. */
static ssize_t ask(const char *prompt, char *buf, size_t max)
{
	struct termios old, quiet;
	ssize_t n;

	if (tcgetattr(STDIN_FILENO, &old))
		return -errno;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* echo off before the prompt: what is typed after it is never shown */
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet))
		return -errno;
	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	n = read_line(STDIN_FILENO, buf, max);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fprintf(stderr, "\n");
	return n;
}

static int passphrase(const char *keyid, char *pw, size_t max)
{
	char again[XW_KEYFILE_SECRET_MAX + 2], prompt[128];
	ssize_t n, m;
	int rc = 0;

	if (!isatty(STDIN_FILENO)) {
		n = read_line(STDIN_FILENO, pw, max);
	} else {
		snprintf(prompt, sizeof(prompt), "passphrase for %.80s: ", keyid);
		n = ask(prompt, pw, max);
		if (n > 0) {
			m = ask("again: ", again, sizeof(again));
			if (m != n || CRYPTO_memcmp(pw, again, (size_t)n)) {
				fprintf(stderr, "xwamp-keys: the passphrases differ\n");
				rc = -EINVAL;
			}
			OPENSSL_cleanse(again, sizeof(again));
		}
	}
	if (!rc && n == -E2BIG)
		fprintf(stderr, "xwamp-keys: passphrase longer than %d octets\n",
			XW_KEYFILE_SECRET_MAX);
	else if (!rc && n <= 0)
		fprintf(stderr, "xwamp-keys: %s\n", n ? strerror((int)-n) : "empty passphrase");
	if (!rc && n <= 0)
		rc = n ? (int)n : -EINVAL;
	if (rc)
		OPENSSL_cleanse(pw, max);
	return rc;
}

/* Where line "KEYID ..." starts in text (a comment or another KeyID does not count), or NULL. */
static char *find_keyid(char *text, const char *keyid, char **end)
{
	size_t klen = strlen(keyid);
	char *line, *nl, *p;

	for (line = text; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		p = line + strspn(line, " \t");
		if (!strncmp(p, keyid, klen) && (p[klen] == ' ' || p[klen] == '\t')) {
			*end = *nl ? nl + 1 : nl;
			return line;
		}
		if (!*nl)
			break;
	}
	return NULL;
}

/* FILE.tmp in the same directory, fsync, rename, fsync the directory. */
static int write_atomic(const char *path, const char *parts[], const size_t lens[], int nparts,
			const struct stat *old)
{
	char tmp[4096], dir[4096];
	int fd, i, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp); /* a left-over of an interrupted run */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (old && geteuid() == 0 && fchown(fd, old->st_uid, old->st_gid))
		rc = -errno;
	if (!rc && fchmod(fd, 0600))
		rc = -errno;
	for (i = 0; !rc && i < nparts; i++) {
		size_t off = 0;

		while (off < lens[i]) {
			ssize_t w = write(fd, parts[i] + off, lens[i] - off);

			if (w < 0) {
				rc = -errno;
				break;
			}
			off += (size_t)w;
		}
	}
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	char pw[XW_KEYFILE_SECRET_MAX + 2], line[80 + 2 + 2 * XW_KEYFILE_SECRET_MAX + 2];
	uint8_t kid[XW_KEYID_LEN];
	struct xw_keyfile *kf = NULL;
	const char *cmd, *path, *keyid = NULL, *parts[4];
	char *text = NULL, *at = NULL, *end = NULL;
	size_t len = 0, lens[4];
	struct stat st;
	bool exists, had;
	int rc, n = 0, ret = EXIT_FAIL;

	xw_log_set_ident("xwamp-keys");
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		xw_opts_version(stdout, "xwamp-keys");
		return 0;
	}
	if (argc < 3) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	path = argv[2];
	if (!strcmp(cmd, "list")
		    ? argc != 3
		    : (strcmp(cmd, "add") && strcmp(cmd, "set") && strcmp(cmd, "del")) ||
			      argc != 4) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argc == 4) {
		keyid = argv[3];
		/* RFC 4656 3.1: up to 80 octets; no white space so that the line parses */
		if (xw_keyid_pad(keyid, kid) || keyid[strcspn(keyid, " \t\r\n#")]) {
			fprintf(stderr,
				"xwamp-keys: KeyID '%s': 1 to 80 octets without white space or "
				"'#'\n",
				keyid);
			return EXIT_USAGE;
		}
	}

	rc = read_file(path, &text, &len, &st);
	exists = rc == 0;
	if (rc && !(rc == -ENOENT && (!strcmp(cmd, "add") || !strcmp(cmd, "set")))) {
		fprintf(stderr, "xwamp-keys: %s: %s\n", path,
			rc == -EINVAL ? "not a regular file of at most 1 MiB" : strerror(-rc));
		return EXIT_FAIL;
	}
	if (!exists) {
		text = strdup("");
		if (!text)
			return EXIT_FAIL;
	}
	/* the same parser as xwampd and xwping: a file they refuse is not rewritten */
	rc = exists ? xw_keyfile_parse(text, len, path, &kf) : 0;
	if (rc) {
		fprintf(stderr, "xwamp-keys: %s does not parse (above): not changed\n", path);
		goto out;
	}
	if (exists && (st.st_mode & 077) && strcmp(cmd, "list"))
		fprintf(stderr, "xwamp-keys: %s had mode %04o: written back with 0600\n", path,
			(unsigned int)(st.st_mode & 07777));

	if (!strcmp(cmd, "list")) {
		char *l, *nl;

		for (l = text; *l; l = nl + 1) {
			char *p = l + strspn(l, " \t");

			nl = strchr(l, '\n');
			if (*p && *p != '#' && *p != '\r' && *p != '\n')
				printf("%.*s\n", (int)strcspn(p, " \t\r\n"), p);
			if (!nl)
				break;
		}
		ret = 0;
		goto out;
	}

	at = find_keyid(text, keyid, &end);
	if (!strcmp(cmd, "add") && at) {
		fprintf(stderr, "xwamp-keys: %s: KeyID %s is already there (set replaces it)\n",
			path, keyid);
		goto out;
	}
	if (!strcmp(cmd, "del") && !at) {
		fprintf(stderr, "xwamp-keys: %s: no KeyID %s\n", path, keyid);
		goto out;
	}
	had = at != NULL;
	if (!at) /* add, or set of a new KeyID: at the end */
		at = end = text + len;

	/* before the line: everything up to it, with a newline if the file lacked its last */
	parts[n] = text;
	lens[n++] = (size_t)(at - text);
	if (at > text && at[-1] != '\n') {
		parts[n] = "\n";
		lens[n++] = 1;
	}
	if (strcmp(cmd, "del")) {
		size_t kl = strlen(keyid);
		ssize_t pl;

		rc = passphrase(keyid, pw, sizeof(pw));
		if (rc)
			goto out;
		pl = (ssize_t)strlen(pw);
		memcpy(line, keyid, kl);
		line[kl] = '\t';
		xw_hex((const uint8_t *)pw, (size_t)pl, line + kl + 1);
		OPENSSL_cleanse(pw, sizeof(pw));
		strcat(line, "\n");
		parts[n] = line;
		lens[n++] = strlen(line);
	}
	parts[n] = end;
	lens[n++] = strlen(end);
	rc = write_atomic(path, parts, lens, n, exists ? &st : NULL);
	if (rc) {
		fprintf(stderr, "xwamp-keys: %s: cannot write: %s (not changed)\n", path,
			strerror(-rc));
		goto out;
	}
	fprintf(stderr, "xwamp-keys: %s: KeyID %s %s\n", path, keyid,
		!strcmp(cmd, "del") ? "removed"
		: had		    ? "replaced"
				    : "added");
	ret = 0;
out:
	xw_keyfile_free(kf);
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_cleanse(pw, sizeof(pw));
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	return ret;
}
