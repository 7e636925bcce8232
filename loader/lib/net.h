/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Socket and address helpers shared by xwampd and xwping.
 *
 * Everything returns 0 (or a file descriptor / a count) on success and a
 * negative errno on failure, captured right after the failing call.  Every
 * socket is created close-on-exec; "nonblocking" is always the case here
 * because both programs run one epoll loop.
 *
 * Receive timestamps are the kernel's (SO_TIMESTAMPNS, CLOCK_REALTIME at
 * the moment the packet reached the socket layer): the T2 of RFC 5357 4.2.1
 * ("Receive Timestamp") must be taken as close to the wire as possible,
 * so nobody reads the clock after recv().
 */
#ifndef XW_NET_H
#define XW_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

/* ------------------------------------------------------------------------ */
/* Addresses                                                                 */

/* An IPv4 or IPv6 socket address; len is the length to give to bind() etc. */
struct xw_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	};
	socklen_t len;
};

/* Enough for "[ffff:...:255.255.255.255%ifname]:65535" and the NUL. */
#define XW_ADDRSTRLEN (INET6_ADDRSTRLEN + 24)

/*
 * Parse "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address
 * ("::1", "fe80::1%eth0").  host is numeric unless resolve is true, in which
 * case a name is looked up with getaddrinfo (first result; IPv4 and IPv6).
 * A missing port gives default_port.  Port 0 is allowed ("any port").
 * Returns 0 or -EINVAL (syntax, port out of range), -ENOENT (name not found).
 */
int xw_addr_parse(const char *str, uint16_t default_port, bool resolve, struct xw_addr *out);

/*
 * Format as "192.0.2.1:862" or "[2001:db8::1]:862" (port omitted when
 * with_port is false: "192.0.2.1", "2001:db8::1").  Always NUL-terminates;
 * returns buf so it can be used inside a printf argument list.
 */
const char *xw_addr_fmt(const struct xw_addr *a, bool with_port, char *buf, size_t len);

/* Family (AF_INET or AF_INET6), port (host order), port setter. */
int xw_addr_family(const struct xw_addr *a);
uint16_t xw_addr_port(const struct xw_addr *a);
void xw_addr_set_port(struct xw_addr *a, uint16_t port);

/* Wildcard address of a family (0.0.0.0 or ::) with a port. */
void xw_addr_any(struct xw_addr *a, int family, uint16_t port);
bool xw_addr_is_any(const struct xw_addr *a);

/*
 * Build from raw network-order bytes: 4 octets for AF_INET, 16 for AF_INET6
 * (the Sender/Receiver Address fields of Request-TW-Session, RFC 5357 3.5,
 * hold the address in network order, IPv4 in the first 4 octets).
 * Returns -EAFNOSUPPORT for any other family.
 */
int xw_addr_from_raw(struct xw_addr *a, int family, const void *raw, uint16_t port);
/* Copy the raw address bytes into out (4 or 16 octets); returns that length. */
size_t xw_addr_to_raw(const struct xw_addr *a, uint8_t out[16]);

/*
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) -> plain IPv4, so that a dual-stack
 * listener reports the peer as the IPv4 address it really is.  Other
 * addresses are left alone.
 */
void xw_addr_unmap(struct xw_addr *a);

/* Same host (ports ignored; IPv4-mapped compares equal to IPv4). */
bool xw_addr_same_host(const struct xw_addr *a, const struct xw_addr *b);
/* Same host and port. */
bool xw_addr_equal(const struct xw_addr *a, const struct xw_addr *b);

/* getsockname / getpeername into an xw_addr (unmapped). */
int xw_sock_local(int fd, struct xw_addr *out);
int xw_sock_peer(int fd, struct xw_addr *out);

/* ------------------------------------------------------------------------ */
/* TCP (TWAMP-Control)                                                       */

/*
 * A nonblocking listening socket bound to a, SO_REUSEADDR, IPV6_V6ONLY on
 * IPv6 sockets (so that "0.0.0.0" and "::" can both be listened on, as
 * separate --listen entries).  Returns the fd or -errno.
 */
int xw_tcp_listen(const struct xw_addr *a, int backlog);

/*
 * accept4() one connection (nonblocking, cloexec), peer address unmapped.
 * Returns the fd, -EAGAIN when the queue is empty, or -errno.
 */
int xw_tcp_accept(int lfd, struct xw_addr *peer);

/*
 * The DSCP the client used on an accepted connection (as the kernel saw it
 * on the handshake), for RFC 5357 3.1: "The Server SHOULD use the DSCP of
 * the Control-Client's TCP SYN in ALL subsequent packets on that
 * connection".  Works on sockets accepted from xw_tcp_listen(), which asks
 * the kernel to keep it.  Returns 0..63 or -errno (-ENODATA: not known).
 */
int xw_tcp_rcv_dscp(int fd, int family);

/*
 * Start a nonblocking connect to a, optionally from local (NULL: any).
 * Returns the fd; the connection may still be in progress (*in_progress set
 * to true): wait for EPOLLOUT, then call xw_tcp_connect_result().
 */
int xw_tcp_connect(const struct xw_addr *a, const struct xw_addr *local, bool *in_progress);
/* SO_ERROR of a finished nonblocking connect: 0 or -errno. */
int xw_tcp_connect_result(int fd);

/* ------------------------------------------------------------------------ */
/* UDP (TWAMP-Test)                                                          */

struct xw_udp_opts {
	int ttl;	   /* unicast TTL / hop limit to send with; 0 = system default.
			   * RFC 5357 4.1.2 and 4.2.1: test packets go out with 255. */
	int dscp;	   /* 0..63 written to IP_TOS / IPV6_TCLASS (ECN bits 0); -1 = leave */
	bool rx_timestamp; /* SO_TIMESTAMPNS: kernel receive time per datagram */
	bool rx_ttl;	   /* IP_RECVTTL + IPV6_RECVHOPLIMIT: the sender's TTL (4.2.1) */
	bool reuseaddr;	   /* SO_REUSEADDR */
	int rcvbuf;	   /* receive buffer in octets, best effort; 0 = system default */
	bool rx_dst;	   /* IP_PKTINFO / IPV6_RECVPKTINFO: each datagram's destination */
	bool rx_dst_port;  /* IP_RECVORIGDSTADDR / IPV6_RECVORIGDSTADDR: ...and its port */
};

/*
 * The options every test socket wants: TTL 255, DSCP 0, timestamps, TTL, and
 * 1 MiB of receive buffer: the default (~212 KiB) holds only ~160 small
 * datagrams, and a burst beyond that was lost before the reflector ran.
 */
#define XW_UDP_OPTS_TEST                            \
	((struct xw_udp_opts){.ttl = 255,           \
			      .dscp = 0,            \
			      .rx_timestamp = true, \
			      .rx_ttl = true,       \
			      .reuseaddr = false,   \
			      .rcvbuf = 1 << 20})

/*
 * A nonblocking UDP socket of a's family bound to a (port 0: the kernel
 * picks; read it back with xw_sock_local()).  IPv6 sockets are V6ONLY.
 * Returns the fd or -errno (-EADDRINUSE when the port is taken).
 */
int xw_udp_open(const struct xw_addr *a, const struct xw_udp_opts *o);

/*
 * Bind a UDP socket to the first free port in [lo, hi], starting the search
 * at a pseudo-random offset so that two sessions in a row do not always
 * collide on the same port.  a's port is ignored and set to the chosen one.
 * Returns the fd or -EADDRINUSE when every port is taken (or -errno).
 */
int xw_udp_open_range(struct xw_addr *a, uint16_t lo, uint16_t hi, const struct xw_udp_opts *o);

/* Per-socket setters (family decides IPv4 vs IPv6 option names). */
int xw_sock_set_ttl(int fd, int family, int ttl);
int xw_sock_set_dscp(int fd, int family, int dscp); /* DSCP 0..63; TOS = dscp << 2 */

/* ------------------------------------------------------------------------ */
/* Batched datagram I/O                                                      */

#define XW_BATCH_MAX 64	   /* datagrams per recvmmsg/sendmmsg call */
#define XW_DGRAM_MAX 65536 /* biggest buffer a batch slot needs for any UDP payload */

/* One received datagram, filled by xw_recv_batch(). */
struct xw_rx_msg {
	uint8_t *buf;	    /* payload (points into the batch's buffer) */
	size_t len;	    /* payload length actually received */
	bool truncated;	    /* MSG_TRUNC: the datagram was longer than the buffer */
	struct xw_addr src; /* source address (unmapped) */
	struct timespec ts; /* kernel receive time, CLOCK_REALTIME */
	bool ts_valid;	    /* false when the kernel gave no timestamp */
	int ttl;	    /* IP TTL / IPv6 hop limit of the datagram; -1 = unknown */
	struct xw_addr dst; /* destination address in the IP header (port 0; rx_dst) */
	bool dst_valid;	    /* false without rx_dst */
	int ifindex;	    /* the receiving device (rx_dst's pktinfo); 0: unknown */
	uint16_t dst_port;  /* destination port (rx_dst_port); 0: unknown */
};

/* Reusable buffers for one recvmmsg call; allocate once per socket or loop. */
struct xw_rxbatch {
	unsigned int cap; /* slots */
	size_t bufsize;	  /* bytes per slot */
	struct xw_rx_msg *msg;
	/* private */
	struct mmsghdr *hdr;
	struct iovec *iov;
	uint8_t *data;
	uint8_t *ctl;
	unsigned int dirty;   /* headers the last call handed to the kernel that it wrote */
	size_t ready_bufsize; /* the bufsize the headers are set up for */
};

/*
 * Allocate a batch of cap (1..XW_BATCH_MAX) slots of bufsize bytes each.
 * A slot one byte bigger than the largest packet a caller accepts lets
 * MSG_TRUNC flag oversize datagrams.  Returns 0 or -ENOMEM / -EINVAL.
 */
int xw_rxbatch_init(struct xw_rxbatch *b, unsigned int cap, size_t bufsize);
void xw_rxbatch_free(struct xw_rxbatch *b); /* zeroes *b; safe twice */

/*
 * recvmmsg(MSG_DONTWAIT) up to b->cap datagrams into b->msg[0..n-1].
 * Returns n >= 1, -EAGAIN when nothing is queued, or -errno.  Timestamps
 * and TTLs come from the control messages of each datagram only.
 */
int xw_recv_batch(int fd, struct xw_rxbatch *b);

/* One datagram to send. */
struct xw_tx_msg {
	const void *buf;
	size_t len;
	const struct xw_addr *dst; /* NULL on a connected socket */
};

/*
 * sendmmsg(MSG_DONTWAIT) n datagrams (any n; split into XW_BATCH_MAX
 * chunks).  Returns how many were handed to the kernel (the first ones, in
 * order); stops early on an error, returning the count so far, or -errno
 * when not even the first one went out (-EAGAIN: socket buffer full).
 */
int xw_send_batch(int fd, const struct xw_tx_msg *msgs, unsigned int n);

#endif /* XW_NET_H */
