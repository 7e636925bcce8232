/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TWAMP Light (RFC 5357 Appendix I; STAMP, RFC 8762, is the same on the
 * wire in unauthenticated mode): Session-Reflector sessions configured
 * statically, without TWAMP-Control.  This is the pure parser of their
 * configuration; xwampd (loader/xwampd/light.c) opens the sockets and the
 * XDP session table entries.
 *
 * One session per line, whitespace-separated KEY=VALUE words in any order;
 * the same syntax on the command line (`xwampd --light 'port=862'`) and in a
 * file (`xwampd --light-file FILE`):
 *
 *   port=P | port=LO-HI  reflector UDP port(s), 1..65535, required.  A range
 *                        is one session per port (the XDP session table is
 *                        indexed by local port), at most XW_LIGHT_MAX_PORTS
 *                        ports over all lines.
 *   local=ADDR | local=* reflector address (IPv4 or IPv6); * (default): any
 *                        local address.
 *   sender=ADDR | sender=*   the Session-Sender's address; * (default):
 *                        anyone may send (the reflector answers whoever
 *                        sent, RFC 5357 Appendix I has no session state).
 *   sender-port=P | sender-port=*   the Session-Sender's UDP port; default *.
 *   length=N             the Session-Sender packet length (UDP payload) to
 *                        accept; 0 (default): any length >= the header.
 *   symmetric            RFC 6038 Symmetrical Size: the reply is as long as
 *                        the request (its 27 MBZ octets are the room for the
 *                        reflector's fields).
 *   reflect=N            RFC 6038 Reflect Octets: the first N (even, <= 4096)
 *                        octets of the sender's padding come back.
 *   dscp=N               DSCP of the replies, 0..63 (default 0).
 *   mode=open            the only mode: authenticated and encrypted TWAMP
 *                        Light need keys agreed out of band (RFC 5357
 *                        Appendix I) which this configuration does not carry.
 *
 * local and sender, when both given, must be of one family.  '#' starts a
 * comment; blank lines are ignored; CRLF is fine.  A bad line is rejected
 * with a log line "NAME:LINE: what" and rejects the whole configuration
 * (a half-applied reflector configuration would answer some probes and
 * silently not others).  Two lines sharing a port are rejected too.
 */
#ifndef XW_LIGHT_H
#define XW_LIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ports over all sessions: bounds the sockets and table entries. */
#define XW_LIGHT_MAX_PORTS   1024
/* Sessions (lines) in one configuration. */
#define XW_LIGHT_MAX_SESS    256
/* RFC 6038 octets to reflect: as the XDP program can move them. */
#define XW_LIGHT_MAX_REFLECT 4096
/* UDP payload of one IPv4 datagram. */
#define XW_LIGHT_MAX_LENGTH  65507

/* Address family of a session (0: not fixed by local or sender). */
#define XW_LIGHT_ANY   0
#define XW_LIGHT_INET  4
#define XW_LIGHT_INET6 6

struct xw_light_sess {
	uint16_t port_lo, port_hi; /* host order, lo <= hi */
	uint8_t family;		   /* XW_LIGHT_ANY / _INET / _INET6 */
	bool local_any;
	bool sender_any;
	uint8_t local[16]; /* network order; IPv4 in the first 4 octets */
	uint8_t sender[16];
	uint16_t sender_port; /* host order; 0: any */
	uint32_t length;      /* 0: any */
	uint16_t reflect_len; /* 0: no RFC 6038 Reflect Octets */
	bool symmetric;
	uint8_t dscp;
	unsigned int line; /* where it came from, for log lines */
};

struct xw_light_cfg {
	struct xw_light_sess sess[XW_LIGHT_MAX_SESS];
	unsigned int nsess;
	unsigned int nports; /* sum of the ranges */
};

/*
 * Parse one line into *out.  name and line are for the log line of an
 * error.  Returns 1 with *out filled, 0 for a blank or comment line, or
 * -EINVAL (logged as "NAME:LINE: ...").
 */
int xw_light_parse_line(const char *text, const char *name, unsigned int line,
			struct xw_light_sess *out);

/*
 * Add the sessions of len octets of text (need not be NUL-terminated) to
 * *cfg: checks limits and ports used twice against what *cfg already holds.
 * 0, or -EINVAL / -E2BIG (logged); on error *cfg is as before the call.
 */
int xw_light_parse(const char *text, size_t len, const char *name, struct xw_light_cfg *cfg);

/* Read the file at path and xw_light_parse() it.  -errno of open/read too. */
int xw_light_load(const char *path, struct xw_light_cfg *cfg);

/* "port=8620-8629 local=* sender=192.0.2.1 ..." for log lines. */
void xw_light_fmt(const struct xw_light_sess *s, char *buf, size_t len);

#endif /* XW_LIGHT_H */
