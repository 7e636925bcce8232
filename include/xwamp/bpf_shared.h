/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The contract between the BPF programs (xdp_xwamp and tc_xwamp in one
 * object, bpf/xwamp.bpf.c, sharing these maps) and xwampd: every struct either side
 * reads from a map is defined here once, with explicit padding and size
 * asserts (doc/design.md decision 6).  Maps (bpf/xwamp.bpf.c, reached as
 * skel->maps.NAME; pinned under /sys/fs/bpf/xwamp/NAME by xwampd):
 *
 *   sessions  ARRAY, struct xw_sess, key = the reflector's local UDP port
 *             (host order) - xw_cfg.sess_base (__u32): one entry per port
 *             xwampd may give a session, sized before load from its
 *             limits (--port-range and the TWAMP Light ports; 65536 entries
 *             from port 0 without a range).  xwampd is the only writer.
 *   stats     PERCPU_ARRAY, XW_STAT_MAX x __u64, key = enum xw_stat.  Every
 *             frame the program sees increments exactly one slot, so the sum
 *             over all slots is the number of frames.
 *   if_stats  PERCPU_ARRAY, XW_IF_SLOTS x XW_STAT_MAX x __u64, key =
 *             (ingress ifindex % XW_IF_SLOTS) * XW_STAT_MAX + enum xw_stat:
 *             the same count per interface (each frame increments one slot
 *             of "stats" and one of its interface's row), so an interface's
 *             row sums to its frames and the rows sum to "stats".  The slot
 *             is the ifindex's, as for if_macs (no lookup per frame); two
 *             attached interfaces in one slot share a row (xwampd says so
 *             and reports the row under the first), and xwampd zeroes a
 *             row when an interface takes it with a new ifindex.
 *   clock     ARRAY, 1 x struct xw_bpf_clock: the UTC offset and Error Estimate
 *             xwampd keeps fresh.
 *   xsk_ifs   HASH, ifindex (__u32) -> the interface's first "xsks" slot
 *             (__u32, a multiple of XW_XSK_MAX_QUEUES): written by xwampd for
 *             each interface with AF_XDP sockets.
 *   xsks      XSKMAP, XW_XSK_MAX_IFS x XW_XSK_MAX_QUEUES, key = xsk_ifs[the
 *             ingress ifindex] + receive queue index: xwampd's AF_XDP
 *             sockets (a socket takes frames of its own device and queue
 *             only, so two interfaces need two slots for their queue 0).
 *             Frames of ARMED XW_SESS_AUTH_REDIRECT sessions
 *             are redirected there with 8 octets of XDP metadata in front of
 *             the frame: the receive time as Unix ns (bpf_ktime_get_tai_ns() +
 *             utc_offset_ns, host order), the T2 the XDP_TX path would stamp.
 *             No socket for the interface and queue: XDP_PASS (counted
 *             PASS_MODE).
 *   own_addrs HASH, at most XW_OWN_MAX x (struct xw_own_key -> struct
 *             xw_own_val), not preallocated (its memory follows the host's
 *             addresses):
 *             this host's addresses in xwampd's network namespace, from
 *             rtnetlink (RTM_NEWADDR/RTM_DELADDR; loader/xwampd/ownaddr.c),
 *             unicast addresses (not tentative) and IPv4 broadcast
 *             addresses.  A wildcard local address (XW_SESS_F_ANY_DADDR)
 *             answers only a destination that is here as XW_OWN_UNICAST; a
 *             wildcard sender (XW_SESS_F_ANY_SADDR) is never a source found
 *             here (the kernel drops own and broadcast sources from outside).
 *   if_macs   ARRAY, XW_IF_MACS_MAX x struct xw_if_mac, key = ifindex %
 *             XW_IF_MACS_MAX: the unicast MAC of each Ethernet interface the
 *             program is attached to, with its ifindex; a frame whose
 *             destination MAC differs (broadcast, multicast, another host's)
 *             or whose interface is not the slot's is not answered.  An
 *             array: its lookup is inlined, where a hash lookup cost ~10 ns
 *             per frame (bench_xdp).  Two attached interfaces in one slot:
 *             xwampd says so, and the second one's frames go to the sockets.
 *
 * Why an array indexed by port: the Server picks the reflector's port in
 * Accept-Session (RFC 5357 3.5), so xwampd can keep one session per local
 * port, and an array lookup is an inlined bounds check plus an add.  Sized
 * by the limits, it covers the ports sessions can get (--port-range), not
 * the number of sessions: a hash keyed by port and sized by
 * --max-sessions-total cost +8 ns per packet under BPF_PROG_TEST_RUN
 * (bench_xdp, same run: 98-106 against 90-100 ns, with two entries, all in
 * cache) and cannot be mmap()ed, which the shared Sequence Number counter
 * and the one-octet arming need; the offset (xw_cfg.sess_base) costs
 * nothing measurable (89-96 ns before and after).  The full 5-tuple is then
 * checked against the value.
 *
 * Writing a session (xwampd): fill the whole value with state DISARMED at
 * Accept-Session (one bpf_map_update_elem), set state ARMED at
 * Start-Sessions / Start-N-Sessions, DISARMED at Stop (REFWAIT over: write
 * zeroes).  Updating a live array element is a memcpy, not atomic: change
 * only `state` of an armed entry (a one-octet store through an mmap()ed map,
 * or disarm, rewrite, re-arm), never the tuple under traffic.  A new session
 * on the port starts with next_seq = 0.
 */
#ifndef XWAMP_BPF_SHARED_H
#define XWAMP_BPF_SHARED_H

#include "xwamp/reflect.h"
#include "xwamp/types.h"

/*
 * Global outcome counters, one slot per reason (map "stats").  One slot per
 * frame.  PASS_* frames go to the kernel untouched; DROP_* are TWAMP-Test
 * packets of an armed session that the reflector must not answer.
 */
enum xw_stat {
	XW_STAT_REFLECTED = 0, /* answered: XDP_TX, or tc bpf_redirect() to the ingress device */
	XW_STAT_PASS_NOT_IP,   /* not IPv4/IPv6 (ARP, LLDP, 3 VLAN tags, ...) */
	XW_STAT_PASS_NOT_UDP,  /* not UDP (incl. IPv6 extension headers) */
	XW_STAT_PASS_FRAG,     /* an IPv4 fragment */
	XW_STAT_PASS_TRUNC,    /* a header runs past the end of the frame */
	XW_STAT_PASS_BADLEN,   /* IP header/total length or UDP length inconsistent */
	XW_STAT_PASS_NO_SESS,  /* UDP to a port without a session */
	XW_STAT_PASS_DISARMED, /* session not (yet / any more) armed */
	XW_STAT_PASS_TUPLE,    /* session port, but other addresses/port/family */
	XW_STAT_PASS_MODE,     /* session not reflected here (authenticated: later AF_XDP) */
	XW_STAT_PASS_NOROOM,   /* sender packet too short and the frame cannot grow */
	XW_STAT_DROP_TRUNC,    /* TWAMP: shorter than header + reflect octets */
	XW_STAT_DROP_LEN,      /* TWAMP: not the session's sender packet length */
	XW_STAT_DROP_MULT0,    /* TWAMP: sender Error Estimate Multiplier 0 */
	XW_STAT_REDIRECTED,    /* authenticated/encrypted: to xwampd's AF_XDP socket (xsks) */
	XW_STAT_PASS_IFACE,    /* session bound to another device (struct xw_sess.ifindex) */
	/*
	 * A session's frame the kernel would drop, or that is not for this
	 * host: never answered here, passed so that the kernel decides (its
	 * socket then applies the same rules where it can see them).
	 */
	XW_STAT_PASS_IPOPT,   /* IPv4 options (RFC 791): the kernel processes them (LSRR, ...) */
	XW_STAT_PASS_IPCSUM,  /* IPv4 header checksum wrong (RFC 791, RFC 1122 3.2.1.2) */
	XW_STAT_PASS_UDPCSUM, /* UDP checksum wrong or only partial, IPv6 without (RFC 8200 8.1) */
	XW_STAT_PASS_SRC,     /* source: no host's unicast (hostaddr.h), or our own / broadcast */
	XW_STAT_PASS_DST,     /* destination address not one of this host's unicast addresses */
	XW_STAT_PASS_MAC,     /* Ethernet destination not the interface's own unicast MAC */
	/* OWAMP receiver (XW_SESS_OW_RECV): the record went to xwampd (ow_events), frame dropped */
	XW_STAT_OW_RECORDED,
	XW_STAT_OW_FULL, /* ow_events full: passed, the session's socket records it */
	XW_STAT_OW_LEN,	 /* not the session's packet length: dropped (the socket would too) */
	XW_STAT_MAX,
};

/* DROP_* slots: a TWAMP-Test packet of an armed session the reflector must not answer. */
#define XW_STAT_IS_DROP(s) ((s) >= XW_STAT_DROP_TRUNC && (s) <= XW_STAT_DROP_MULT0)

/* struct xw_sess.state */
enum xw_sess_state {
	XW_SESS_FREE = 0,     /* no session (all-zero entry) */
	XW_SESS_DISARMED = 1, /* accepted, not started, or stopped */
	XW_SESS_ARMED = 2,    /* started: reflect */
};

/* struct xw_sess.mode */
enum xw_sess_mode {
	XW_SESS_UNAUTH = 0, /* unauthenticated / mixed mode: reflect in XDP */
	/*
	 * Authenticated/encrypted, TWAMP reflector or OWAMP receiver alike:
	 * AF_XDP when armed (xwampd verifies, then answers or records), else
	 * PASS.
	 */
	XW_SESS_AUTH_REDIRECT = 1,
	/*
	 * OWAMP receiver, unauthenticated (RFC 4656 4.1.2 open mode): XDP takes
	 * the receive time and the fields a record needs (struct xw_ow_event),
	 * hands them to xwampd through the ow_events ring buffer and drops the
	 * frame.  Authenticated/encrypted OWAMP receivers get
	 * XW_SESS_AUTH_REDIRECT: they must be decrypted and verified first.
	 */
	XW_SESS_OW_RECV = 2,
};

/* struct xw_sess.flags: RFC 6038, same bits as reflect.h */
#define XW_SESS_F_SYMMETRIC XW_REFL_F_SYMMETRIC
#define XW_SESS_F_REFLECT   XW_REFL_F_REFLECT
/*
 * TWAMP Light (RFC 5357 Appendix I) sessions configured with wildcards
 * (control/light.h): the tuple check skips what the flag names.  Bits
 * above reflect.h's XW_REFL_F_* (the transform ignores them).  With both
 * address flags, family may be 0: either family.
 */
#define XW_SESS_F_ANY_SADDR 0x10 /* any Session-Sender address */
#define XW_SESS_F_ANY_SPORT 0x20 /* any Session-Sender UDP port */
#define XW_SESS_F_ANY_DADDR 0x40 /* any reflector (local) address */

/* struct xw_sess.family (0: either, with XW_SESS_F_ANY_SADDR | XW_SESS_F_ANY_DADDR) */
#define XW_SESS_INET  4
#define XW_SESS_INET6 6

/* Per-session drop counters (struct xw_sess.drops[]) */
enum xw_sess_drop {
	XW_SESS_DROP_TRUNC = 0,
	XW_SESS_DROP_LEN,
	XW_SESS_DROP_MULT0,
	XW_SESS_DROP_MAX = 4, /* array size, one spare */
};

/*
 * One session, at index = reflector's UDP port.  Addresses in network
 * order; IPv4 in the first 4 octets, the rest zero.
 *
 * next_seq is the reflector's next Sequence Number (RFC 5357 4.2.1).  It is
 * one shared counter incremented with an atomic fetch-and-add, not per-CPU:
 * numbers must be unique and consecutive per session whichever CPU (RX
 * queue) a packet arrives on, and a per-CPU counter would hand out
 * duplicates.  The uncontended atomic costs nothing measurable here
 * (bench_xdp with a plain increment instead: same figure); a session's
 * packets normally hash to one queue anyway.  It also counts the reflected packets.
 * The other counters are atomic adds too (rare paths).
 */
struct xw_sess {
	__u8 state;	    /* enum xw_sess_state */
	__u8 mode;	    /* enum xw_sess_mode */
	__u8 flags;	    /* XW_SESS_F_* */
	__u8 family;	    /* XW_SESS_INET / XW_SESS_INET6 (0: see XW_SESS_F_ANY_*) */
	__u8 dscp;	    /* DSCP of the replies (0..63), from the Type-P Descriptor */
	__u8 pad0;	    /* zero */
	__u16 reflect_len;  /* RFC 6038 Length of padding to reflect */
	__be16 sender_port; /* Session-Sender's UDP port */
	__be16 refl_port;   /* our UDP port (== the index, network order) */
	__u32 expect_len;   /* sender packet (UDP payload) length; 0: any */
	__u8 sender_addr[16];
	__u8 refl_addr[16];
	__u64 next_seq;		       /* atomic, see above */
	__u64 passed;		       /* frames of this tuple passed (disarmed, mode) */
	__u64 drops[XW_SESS_DROP_MAX]; /* enum xw_sess_drop */
	/*
	 * 0: any device the program is attached to.  Else the only ingress
	 * device (XDP ingress_ifindex, tc skb->ifindex) whose frames the
	 * entry applies to; on any other device the frame is passed and
	 * counted (passed, XW_STAT_PASS_IFACE).  xwampd sets it for test flows
	 * that IPsec protects: they are reflected only on the in-tunnel
	 * device, where the kernel has decrypted them, never by XDP_TX on the
	 * outer device before the inbound policy check (README "IPsec view").
	 */
	__u32 ifindex;
	__u32 pad1; /* zero */
};
_Static_assert(sizeof(struct xw_sess) == 104, "xw_sess layout");
_Static_assert(__builtin_offsetof(struct xw_sess, sender_port) == 8, "xw_sess layout");
_Static_assert(__builtin_offsetof(struct xw_sess, expect_len) == 12, "xw_sess layout");
_Static_assert(__builtin_offsetof(struct xw_sess, sender_addr) == 16, "xw_sess layout");
_Static_assert(__builtin_offsetof(struct xw_sess, refl_addr) == 32, "xw_sess layout");
_Static_assert(__builtin_offsetof(struct xw_sess, next_seq) == 48, "xw_sess layout");
_Static_assert(__builtin_offsetof(struct xw_sess, drops) == 64, "xw_sess layout");
_Static_assert(__builtin_offsetof(struct xw_sess, ifindex) == 96, "xw_sess layout");

/*
 * One received OWAMP-Test packet (ow_events ring buffer, XDP -> xwampd):
 * what a packet record of RFC 4656 3.9 needs.  The Sender's fields as on
 * the wire (network order); the receive time as Unix ns (clock map offset
 * applied), converted to NTP by xwampd.
 */
struct xw_ow_event {
	__u16 port; /* our UDP port (host order): the session */
	__u8 ttl;   /* IPv4 TTL / IPv6 Hop Limit */
	__u8 pad0;  /* zero */
	__u8 seq[4];
	__u8 send_ts[8];
	__u8 send_errest[2];
	__u8 pad1[2]; /* zero */
	__u64 recv_ns;
};
_Static_assert(sizeof(struct xw_ow_event) == 32, "xw_ow_event layout");
/*
 * The ring buffer "ow_events" is sized by xwampd before load from
 * --max-sessions-total: XW_OW_EVENTS_PER_SESS records in flight per session
 * (each takes 8 octets of header + 32), a power of two of at least
 * XW_OW_EVENTS_MIN and at most XW_OW_EVENTS_MAX octets (no limit:
 * XW_OW_EVENTS_BYTES).  Full: the record
 * is passed to the session's socket (XW_STAT_OW_FULL), never lost.
 */
#define XW_OW_EVENTS_BYTES    (1u << 20) /* the object's default: 26214 records */
#define XW_OW_EVENTS_PER_SESS 4
#define XW_OW_EVENTS_MIN      (64u << 10)
#define XW_OW_EVENTS_MAX      (16u << 20)

#define XW_SESS_MAX_ENTRIES 65536 /* the object's default, every port */
#define XW_XSK_MAX_QUEUES   64	  /* "xsks" slots per interface: receive queues */
#define XW_XSK_MAX_IFS	    8	  /* interfaces with AF_XDP sockets (xsk_ifs entries) */

/*
 * Clock (map "clock", one entry).  Replies are stamped with
 * bpf_ktime_get_tai_ns() + utc_offset_ns, i.e. xwampd writes the negated
 * TAI-UTC offset in ns (-37e9 today; adjtimex's tai field), and errest is
 * xw_errest_encode() of the kernel clock state (ntp.h).  A reader can see
 * one field updated and not the other for a moment: both change rarely and
 * by little.
 */
struct xw_bpf_clock {
	__s64 utc_offset_ns;
	__u16 errest;
	__u8 pad[6]; /* zero */
};
_Static_assert(sizeof(struct xw_bpf_clock) == 16, "xw_bpf_clock layout");

/*
 * Own addresses ("own_addrs").  The key is the address as 16 octets,
 * IPv4 as IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291 2.5.5.2), so that one
 * map holds both families with unambiguous keys.
 */
#define XW_OWN_MAX 1024 /* addresses in the map; more are logged and left out */

enum xw_own_kind {
	XW_OWN_NONE = 0,      /* not in the map (lookup functions only) */
	XW_OWN_UNICAST = 1,   /* IFA_LOCAL / IPv6 address of this host */
	XW_OWN_BROADCAST = 2, /* an IPv4 subnet's broadcast address (IFA_BROADCAST) */
};

struct xw_own_key {
	__u8 addr[16];
};
_Static_assert(sizeof(struct xw_own_key) == 16, "xw_own_key layout");

struct xw_own_val {
	__u32 ifindex; /* the interface the address is on */
	__u8 kind;     /* enum xw_own_kind */
	__u8 pad[3];   /* zero */
};
_Static_assert(sizeof(struct xw_own_val) == 8, "xw_own_val layout");

/* An interface's unicast MAC ("if_macs", slot ifindex % XW_IF_MACS_MAX). */
struct xw_if_mac {
	__u32 ifindex; /* 0: free slot */
	__u8 mac[6];
	__u8 pad[2]; /* zero */
};
_Static_assert(sizeof(struct xw_if_mac) == 12, "xw_if_mac layout");
#define XW_IF_MACS_MAX 256
#define XW_IF_SLOTS    XW_IF_MACS_MAX /* rows of "if_stats" (slot = ifindex % XW_IF_SLOTS) */

/* Runtime configuration, set in .rodata before load (skel->rodata->xw_cfg). */
#define XW_CFG_L3 0x1 /* frames start at the IP header (TUN: ipsec0) */
struct xw_bpf_config {
	__u32 flags;	 /* XW_CFG_* */
	__u32 sess_base; /* the local port of "sessions" entry 0 */
};
_Static_assert(sizeof(struct xw_bpf_config) == 8, "xw_bpf_config layout");

#endif /* XWAMP_BPF_SHARED_H */
