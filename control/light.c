// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP Light configuration parser (light.h).  Pure: text in, struct out,
 * errors as log lines naming NAME:LINE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "light.h"
#include "xwamp/hostaddr.h"
#include "log.h"

#define LIGHT_MAX_FILE (1 << 20)
#define LIGHT_MAX_LINE 1024

/* Unsigned decimal in [lo, hi]; the whole string must be digits. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > hi)
			return -ERANGE;
	}
	if (v < lo)
		return -ERANGE;
	*out = v;
	return 0;
}

/* "ADDR" (IPv4 or IPv6, optionally in brackets) -> family, raw. */
static int parse_addr(const char *s, uint8_t *family, uint8_t raw[16])
{
	char buf[64];
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(raw, 0, 16);
	if (inet_pton(AF_INET, buf, raw) == 1) {
		*family = XW_LIGHT_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, raw) == 1) {
		*family = XW_LIGHT_INET6;
		return 0;
	}
	return -EINVAL;
}

/* Log a rejected line: "NAME:LINE: why". */
#define light_err(name, line, ...)                       \
	do {                                             \
		char m_[256];                            \
		snprintf(m_, sizeof(m_), __VA_ARGS__);   \
		pr_err("%s:%u: %s", (name), (line), m_); \
	} while (0)

/* One KEY=VALUE (or bare KEY) word into *s; *seen tracks the keys given. */
static int parse_word(char *w, struct xw_light_sess *s, unsigned int *seen, const char *name,
		      unsigned int line)
{
	static const char *const keys[] = {"port",	  "local",  "sender",
					   "sender-port", "length", "symmetric",
					   "reflect",	  "dscp",   "mode"};
	char *val = strchr(w, '=');
	unsigned long v, v2;
	unsigned int k;
	uint8_t fam;

	if (val)
		*val++ = '\0';
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (!strcmp(w, keys[k]))
			break;
	if (k == sizeof(keys) / sizeof(keys[0])) {
		light_err(name, line,
			  "unknown word '%s' (port= local= sender= sender-port= "
			  "length= symmetric reflect= dscp= mode=)",
			  w);
		return -EINVAL;
	}
	if (*seen & (1u << k)) {
		light_err(name, line, "'%s' given twice", w);
		return -EINVAL;
	}
	*seen |= 1u << k;
	/* every key but symmetric takes a value, symmetric takes none */
	if (!strcmp(w, "symmetric")) {
		if (val) {
			light_err(name, line, "'symmetric' takes no value");
			return -EINVAL;
		}
		s->symmetric = true;
		return 0;
	}
	if (!val || !*val) {
		light_err(name, line, "'%s' needs a value (%s=...)", w, w);
		return -EINVAL;
	}

	if (!strcmp(w, "port")) {
		char *dash = strchr(val, '-');

		if (dash)
			*dash = '\0';
		if (parse_uint(val, 1, 65535, &v) ||
		    (dash && parse_uint(dash + 1, 1, 65535, &v2))) {
			light_err(name, line,
				  "port: '%s%s%s' is not a port 1..65535 or a range LO-HI", val,
				  dash ? "-" : "", dash ? dash + 1 : "");
			return -EINVAL;
		}
		if (!dash)
			v2 = v;
		if (v2 < v) {
			light_err(name, line, "port: range %lu-%lu is backwards", v, v2);
			return -EINVAL;
		}
		if (v2 - v + 1 > XW_LIGHT_MAX_PORTS) {
			light_err(name, line, "port: range %lu-%lu has %lu ports, at most %d", v,
				  v2, v2 - v + 1, XW_LIGHT_MAX_PORTS);
			return -EINVAL;
		}
		s->port_lo = (uint16_t)v;
		s->port_hi = (uint16_t)v2;
		return 0;
	}
	if (!strcmp(w, "local") || !strcmp(w, "sender")) {
		bool is_local = w[0] == 'l';
		uint8_t *raw = is_local ? s->local : s->sender;

		if (!strcmp(val, "*")) {
			if (is_local)
				s->local_any = true;
			else
				s->sender_any = true;
			return 0;
		}
		if (parse_addr(val, &fam, raw)) {
			light_err(name, line, "%s: '%s' is not an IPv4/IPv6 address or *", w, val);
			return -EINVAL;
		}
		/* never a multicast, broadcast, unspecified or reserved address (hostaddr.h) */
		if (!(fam == XW_LIGHT_INET ? xw_host_addr4(raw, 1) : xw_host_addr6(raw, 1))) {
			light_err(name, line,
				  "%s: '%s' is not a host's unicast address (multicast, broadcast, "
				  "unspecified or reserved)",
				  w, val);
			return -EINVAL;
		}
		if (s->family != XW_LIGHT_ANY && s->family != fam) {
			light_err(name, line, "local and sender are of different address families");
			return -EINVAL;
		}
		s->family = fam;
		if (is_local)
			s->local_any = false;
		else
			s->sender_any = false;
		return 0;
	}
	if (!strcmp(w, "sender-port")) {
		if (!strcmp(val, "*")) {
			s->sender_port = 0;
			return 0;
		}
		if (parse_uint(val, 1, 65535, &v)) {
			light_err(name, line, "sender-port: '%s' is not a port 1..65535 or *", val);
			return -EINVAL;
		}
		s->sender_port = (uint16_t)v;
		return 0;
	}
	if (!strcmp(w, "length")) {
		if (parse_uint(val, 0, XW_LIGHT_MAX_LENGTH, &v)) {
			light_err(name, line, "length: '%s' is not 0..%d octets", val,
				  XW_LIGHT_MAX_LENGTH);
			return -EINVAL;
		}
		s->length = (uint32_t)v;
		return 0;
	}
	if (!strcmp(w, "reflect")) {
		/* RFC 6038 4.2: Length of padding to reflect, a multiple of 2 */
		if (parse_uint(val, 0, XW_LIGHT_MAX_REFLECT, &v) || (v & 1)) {
			light_err(name, line, "reflect: '%s' is not an even number 0..%d", val,
				  XW_LIGHT_MAX_REFLECT);
			return -EINVAL;
		}
		s->reflect_len = (uint16_t)v;
		return 0;
	}
	if (!strcmp(w, "dscp")) {
		if (parse_uint(val, 0, 63, &v)) {
			light_err(name, line, "dscp: '%s' is not 0..63", val);
			return -EINVAL;
		}
		s->dscp = (uint8_t)v;
		return 0;
	}
	/* mode */
	if (!strcmp(val, "open") || !strcmp(val, "unauthenticated"))
		return 0;
	if (!strcmp(val, "auth") || !strcmp(val, "authenticated") || !strcmp(val, "encrypted")) {
		light_err(name, line,
			  "mode=%s: authenticated/encrypted TWAMP Light needs keys agreed out of "
			  "band (RFC 5357 Appendix I): not supported, only mode=open",
			  val);
		return -EINVAL;
	}
	light_err(name, line, "mode: '%s' is not open", val);
	return -EINVAL;
}

int xw_light_parse_line(const char *text, const char *name, unsigned int line,
			struct xw_light_sess *out)
{
	char buf[LIGHT_MAX_LINE], *p, *w;
	unsigned int seen = 0;
	size_t n;
	int rc;

	n = strcspn(text, "#\r\n");
	if (n >= sizeof(buf)) {
		light_err(name, line, "line longer than %d characters", LIGHT_MAX_LINE - 1);
		return -EINVAL;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	memset(out, 0, sizeof(*out));
	out->local_any = out->sender_any = true;
	out->line = line;
	p = buf;
	while ((w = strsep(&p, " \t")) != NULL) {
		if (!*w)
			continue;
		rc = parse_word(w, out, &seen, name, line);
		if (rc)
			return rc;
	}
	if (!seen)
		return 0;
	if (!out->port_lo) {
		light_err(name, line, "no port= (the reflector's UDP port or range)");
		return -EINVAL;
	}
	/* RFC 6038: the octets to reflect must fit in the sender's padding */
	if (out->length && out->length < 14u + (out->symmetric ? 27u : 0u) + out->reflect_len) {
		light_err(name, line,
			  "length=%u is shorter than the sender header (14)%s + reflect=%u",
			  out->length, out->symmetric ? " + 27 MBZ (symmetric)" : "",
			  out->reflect_len);
		return -EINVAL;
	}
	return 1;
}

static bool ranges_overlap(const struct xw_light_sess *a, const struct xw_light_sess *b)
{
	return a->port_lo <= b->port_hi && b->port_lo <= a->port_hi;
}

int xw_light_parse(const char *text, size_t len, const char *name, struct xw_light_cfg *cfg)
{
	unsigned int nsess = cfg->nsess, nports = cfg->nports, line = 0, k;
	size_t off = 0;
	char buf[LIGHT_MAX_LINE + 1];
	int rc;

	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		struct xw_light_sess s;

		line++;
		if (n > LIGHT_MAX_LINE) {
			light_err(name, line, "line longer than %d characters", LIGHT_MAX_LINE - 1);
			return -EINVAL;
		}
		memcpy(buf, text + off, n);
		buf[n] = '\0';
		off += n + 1;
		if (memchr(buf, '\0', n)) {
			light_err(name, line, "NUL character");
			return -EINVAL;
		}
		rc = xw_light_parse_line(buf, name, line, &s);
		if (rc < 0)
			return rc;
		if (!rc)
			continue;
		for (k = 0; k < nsess; k++) {
			if (ranges_overlap(&cfg->sess[k], &s)) {
				light_err(name, line,
					  "port %u-%u already used (line %u): one session per "
					  "reflector port",
					  s.port_lo, s.port_hi, cfg->sess[k].line);
				return -EINVAL;
			}
		}
		if (nsess >= XW_LIGHT_MAX_SESS) {
			light_err(name, line, "more than %d sessions", XW_LIGHT_MAX_SESS);
			return -E2BIG;
		}
		if (nports + (s.port_hi - s.port_lo + 1u) > XW_LIGHT_MAX_PORTS) {
			light_err(name, line, "more than %d ports in all", XW_LIGHT_MAX_PORTS);
			return -E2BIG;
		}
		nports += s.port_hi - s.port_lo + 1u;
		cfg->sess[nsess++] = s;
	}
	cfg->nsess = nsess;
	cfg->nports = nports;
	return 0;
}

int xw_light_load(const char *path, struct xw_light_cfg *cfg)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t k;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		pr_err("TWAMP Light file %s: cannot open: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > LIGHT_MAX_FILE) {
		pr_err("TWAMP Light file %s: not a regular file of at most %d octets", path,
		       LIGHT_MAX_FILE);
		rc = -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		k = read(fd, buf + got, (size_t)st.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	rc = xw_light_parse(buf, got, path, cfg);
out:
	if (rc && rc != -EINVAL && rc != -E2BIG)
		pr_err("TWAMP Light file %s: %s", path, strerror(-rc));
	free(buf);
	close(fd);
	return rc;
}

static void fmt_addr(bool any, uint8_t family, const uint8_t *raw, char *buf, size_t len)
{
	if (any || family == XW_LIGHT_ANY)
		snprintf(buf, len, "*");
	else if (!inet_ntop(family == XW_LIGHT_INET ? AF_INET : AF_INET6, raw, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void xw_light_fmt(const struct xw_light_sess *s, char *buf, size_t len)
{
	char la[64], sa[64], sp[8], rng[16];

	fmt_addr(s->local_any, s->family, s->local, la, sizeof(la));
	fmt_addr(s->sender_any, s->family, s->sender, sa, sizeof(sa));
	if (s->sender_port)
		snprintf(sp, sizeof(sp), "%u", s->sender_port);
	else
		snprintf(sp, sizeof(sp), "*");
	if (s->port_lo == s->port_hi)
		snprintf(rng, sizeof(rng), "%u", s->port_lo);
	else
		snprintf(rng, sizeof(rng), "%u-%u", s->port_lo, s->port_hi);
	snprintf(buf, len,
		 "port=%s local=%s sender=%s sender-port=%s length=%u%s reflect=%u dscp=%u", rng,
		 la, sa, sp, s->length, s->symmetric ? " symmetric" : "", s->reflect_len, s->dscp);
}
