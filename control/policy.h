/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which test sessions the server accepts: the addresses of a
 * Request-TW-Session against the control connection they came on, as pure
 * functions (no sockets, no clock).  The daemon gives the facts: the
 * control connection's addresses and, through one callback, what this host
 * says about an address (one of its own, a broadcast address of one of its
 * subnets, or neither).
 *
 * The rules (RFC 4656 6.2, which RFC 5357 6 applies to TWAMP as a whole):
 *  - "Unless otherwise configured, the default behavior of servers MUST be
 *    to decline requests where the Receiver Address field is not equal to
 *    the address that the control connection was initiated from or an
 *    address of the server".  In TWAMP the party that receives test packets
 *    from us is the Session-Sender, so its Sender Address must be the
 *    control peer, or inside a prefix the operator allowed (--allow-sender);
 *    and the Receiver Address (where we receive) must be one of ours.
 *  - The TCP handshake proves the peer owns its address; nothing proves it
 *    for any other address, hence the default.  Without it, a client asking
 *    for a Sender Address of a victim turns 14-octet packets into 41-octet
 *    answers towards the victim.
 *  - Never a Sender Address that no single host owns: unspecified,
 *    multicast, broadcast (limited, or directed at one of our subnets),
 *    reserved, IPv4-mapped, and loopback unless the peer is that loopback.
 *    An --allow-sender prefix does not override this.
 *
 * Refusals are Accept 1 (RFC 4656 3.3, "Failure, reason unspecified"): the
 * request is declined by policy; it is neither unsupported (3) nor a
 * resource limit (4, 5).
 */
#ifndef XW_POLICY_H
#define XW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An address as TWAMP-Control carries it: IP version and octets (IPv4 in the first 4). */
struct pol_addr {
	uint8_t ipvn; /* 4 or 6 */
	uint8_t a[16];
};

/* An address prefix, e.g. 192.0.2.0/24 or 2001:db8::/64 (host bits zero). */
struct pol_prefix {
	struct pol_addr addr;
	uint8_t len; /* 0..32 or 0..128 */
};

/* What no single unicast host owns (pol_addr_kind). */
enum pol_kind {
	POL_KIND_UNICAST = 0,
	POL_KIND_UNSPEC,    /* 0.0.0.0/8, :: */
	POL_KIND_LOOPBACK,  /* 127.0.0.0/8, ::1 */
	POL_KIND_MULTICAST, /* 224.0.0.0/4, ff00::/8 */
	POL_KIND_BROADCAST, /* 255.255.255.255 */
	POL_KIND_RESERVED,  /* 240.0.0.0/4 (RFC 1112 class E), ::ffff:0:0/96, ::/96 */
	POL_KIND_MAX,
};

/* What this host says about an address (the daemon's facts). */
enum pol_host {
	POL_HOST_OTHER = 0,
	POL_HOST_OWN,	/* assigned to one of our interfaces */
	POL_HOST_BCAST, /* the broadcast address of one of our IPv4 subnets */
};
typedef enum pol_host (*pol_host_fn)(void *arg, const struct pol_addr *a);

struct pol_cfg {
	/* --allow-sender: Sender Addresses accepted besides the control peer */
	const struct pol_prefix *allow_sender;
	unsigned int nallow;
};

/*
 * One Request-TW-Session, its addresses already resolved: an all-zero
 * Sender or Receiver Address replaced by the control connection's peer or
 * local address (RFC 5357 3.5), which is what the zero means.
 */
struct pol_req {
	struct pol_addr sender, receiver;
	struct pol_addr ctl_peer, ctl_local;
};

/*
 * XW_ACCEPT_OK, or XW_ACCEPT_FAILURE (Accept 1) with why set to a log
 * reason ("Sender Address 192.0.2.9 is not the control connection's peer
 * 192.0.2.1").  host may be NULL (then nothing is ours but ctl_local).
 * *allowed is set (may be NULL) when an --allow-sender prefix admitted the
 * sender, to its index, else -1.
 */
int pol_session(const struct pol_cfg *cfg, const struct pol_req *rq, pol_host_fn host,
		void *host_arg, int *allowed, char *why, size_t whylen);

enum pol_kind pol_addr_kind(const struct pol_addr *a);
const char *pol_kind_name(enum pol_kind k);

bool pol_addr_equal(const struct pol_addr *a, const struct pol_addr *b);
bool pol_prefix_match(const struct pol_prefix *p, const struct pol_addr *a);

/*
 * Same client for per-client limits: the same IPv4 address, or the same
 * IPv6 /64 (one subscriber or host normally gets a whole /64, RFC 6177,
 * and can use any address of it: counting /128s would make the limit
 * 2^64 times larger).
 */
bool pol_same_client(const struct pol_addr *a, const struct pol_addr *b);

/*
 * "192.0.2.0/24", "2001:db8::/64" or a bare address (a host prefix).  Host
 * bits must be zero (a typo like 192.0.2.1/16 is refused rather than
 * guessed at).  0 or -EINVAL.
 */
int pol_prefix_parse(const char *s, struct pol_prefix *out);
/* "192.0.2.0/24"; always NUL-terminates; returns buf. */
const char *pol_prefix_fmt(const struct pol_prefix *p, char *buf, size_t len);
/* "192.0.2.1", "2001:db8::1"; always NUL-terminates; returns buf. */
const char *pol_addr_fmt(const struct pol_addr *a, char *buf, size_t len);

#endif /* XW_POLICY_H */
