/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel's IPsec state as xwampd sees it (doc/design.md decision 3):
 * a pure parser of xfrm netlink messages (NETLINK_XFRM, <linux/xfrm.h>) and
 * the in-memory view it maintains.  No sockets here: loader/xwampd/xfrm.c
 * receives the bytes (dump replies and multicast events) and feeds them to
 * xfrm_view_feed().
 *
 * What the view keeps of an SA (RFC 4301 4.4.2, the SAD): addresses, SPI,
 * protocol (ESP, RFC 4303, or AH), mode, reqid, selector, algorithm NAMES
 * and key LENGTHS, ICV/truncation lengths, UDP encapsulation, mark, if_id,
 * lifetimes and whether a soft/hard expire was seen.  Key material is never
 * copied: xfrm_view_feed() wipes the key bytes of every XFRMA_ALG_*
 * attribute in the caller's buffer once the message is parsed (and wipes
 * the whole message body when it rejects a message), so that no key
 * outlives the receive call (the kernel sends keys in dumps, in
 * XFRM_MSG_NEWSA/UPDSA events and even in XFRM_MSG_DELSA events).
 *
 * Of a policy (RFC 4301 4.4.1, the SPD): selector, direction, priority,
 * index, action, mark, if_id and the templates (RFC 4301 "SA bundle").
 *
 * Every length is checked before it is read: a malformed message is
 * rejected with a log line naming what was wrong, the view is left as it
 * was, and the other messages of the same buffer are still processed.
 *
 * Single-threaded: the view belongs to its caller.
 */
#ifndef XW_XFRM_VIEW_H
#define XW_XFRM_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XFRM_VIEW_ALG_NAME 64 /* CRYPTO_MAX_ALG_NAME, like struct xfrm_algo */
#define XFRM_VIEW_MAX_TMPL 6  /* XFRM_MAX_DEPTH */

/* An address with its family (AF_INET / AF_INET6); IPv4 in the first 4 octets. */
struct xfrm_view_addr {
	uint8_t family;
	uint8_t a[16];
};

/* a (an xfrm_address_t of family AF_INET or AF_INET6) into *out, the octets beyond it zero. */
void xfrm_view_addr_from(struct xfrm_view_addr *out, uint8_t family, const void *a);
/* Same family and address. */
bool xfrm_view_addr_eq(const struct xfrm_view_addr *x, const struct xfrm_view_addr *y);

/* struct xfrm_selector in host order: the traffic an SA or policy applies to. */
struct xfrm_view_sel {
	uint8_t family; /* 0: any (an SA with no selector set) */
	uint8_t daddr[16], saddr[16];
	uint8_t prefixlen_d, prefixlen_s;
	uint16_t dport, dport_mask, sport, sport_mask; /* host order */
	uint8_t proto;				       /* 0: any */
	int32_t ifindex;			       /* 0: any */
};

/* One algorithm of an SA: its kernel name and key length, never the key. */
struct xfrm_view_alg {
	char name[XFRM_VIEW_ALG_NAME]; /* "" when the SA has none of this kind */
	uint32_t key_bits;
	uint32_t icv_bits; /* AEAD ICV length, or AUTH_TRUNC truncation length */
};

enum xfrm_view_sa_flags {
	XFRM_SA_SOFT_EXPIRED = 1 << 0, /* XFRM_MSG_EXPIRE hard=0 seen: rekey due */
	XFRM_SA_HARD_EXPIRED = 1 << 1, /* only in the EXPIRE event: the SA is gone */
	XFRM_SA_HAS_ENCAP = 1 << 2,    /* UDP encapsulation (RFC 3948) */
	XFRM_SA_HAS_IF_ID = 1 << 3,
};

struct xfrm_view_sa {
	/* the SA's identity in the kernel: (daddr, spi, proto) + family */
	struct xfrm_view_addr daddr, saddr;
	uint32_t spi;  /* host order */
	uint8_t proto; /* IPPROTO_ESP, IPPROTO_AH, IPPROTO_COMP */
	uint8_t mode;  /* XFRM_MODE_TRANSPORT, XFRM_MODE_TUNNEL, ... */
	uint32_t reqid;
	struct xfrm_view_sel sel;
	struct xfrm_view_alg crypt, auth, aead, comp;
	uint32_t flags; /* enum xfrm_view_sa_flags */
	uint16_t encap_type, encap_sport, encap_dport;
	uint32_t if_id;
	uint32_t mark_v, mark_m;
	uint64_t soft_byte_limit, hard_byte_limit, soft_add_expires_s, hard_add_expires_s;
	uint64_t add_time; /* curlft.add_time: seconds since the epoch */
	uint64_t bytes, packets;
	uint32_t gen; /* the view's generation when last seen (resync) */
};

struct xfrm_view_tmpl {
	struct xfrm_view_addr daddr, saddr; /* saddr family is tmpl.family */
	uint32_t spi;			    /* host order, 0: any */
	uint8_t proto, mode, optional;
	uint32_t reqid; /* 0: any */
};

struct xfrm_view_pol {
	struct xfrm_view_sel sel;
	uint8_t dir;	/* XFRM_POLICY_IN, _OUT, _FWD */
	uint8_t action; /* XFRM_POLICY_ALLOW, _BLOCK */
	uint8_t type;	/* XFRM_POLICY_TYPE_MAIN or _SUB */
	uint32_t index, priority;
	uint32_t if_id;
	bool has_if_id;
	uint32_t mark_v, mark_m;
	unsigned int ntmpl;
	struct xfrm_view_tmpl tmpl[XFRM_VIEW_MAX_TMPL];
	uint32_t gen;
};

/* What a message did to the view, for the caller's log (and the tests). */
enum xfrm_event_type {
	XFRM_EV_SA_NEW,	     /* an SA not known before */
	XFRM_EV_SA_REPLACED, /* same (daddr, SPI, proto) again: XFRM_MSG_UPDSA, or a re-dump */
	XFRM_EV_SA_REKEY,    /* a new SA for the same selector/reqid/ends as another, new SPI */
	XFRM_EV_SA_DELETED,
	XFRM_EV_SA_EXPIRE_SOFT,
	XFRM_EV_SA_EXPIRE_HARD, /* the kernel deleted the SA: it leaves the view */
	XFRM_EV_SA_FLUSH,	/* XFRM_MSG_FLUSHSA: count = SAs removed */
	XFRM_EV_POL_NEW,
	XFRM_EV_POL_REPLACED,
	XFRM_EV_POL_DELETED,
	XFRM_EV_POL_EXPIRE,
	XFRM_EV_POL_FLUSH,
	XFRM_EV_DUMP_DONE, /* NLMSG_DONE of a dump */
	XFRM_EV_NL_ERROR,  /* NLMSG_ERROR: err holds the (negative) errno, 0 for an ACK */
};

struct xfrm_event {
	enum xfrm_event_type type;
	const struct xfrm_view_sa *sa;	 /* SA events: the SA (as it is/was), else NULL */
	uint32_t old_spi;		 /* XFRM_EV_SA_REKEY: the SPI of the older SA */
	const struct xfrm_view_pol *pol; /* policy events, else NULL */
	unsigned int count;		 /* FLUSH: entries removed */
	int err;			 /* NL_ERROR */
	uint32_t seq;			 /* nlmsg_seq of the message */
};

typedef void (*xfrm_event_fn)(void *arg, const struct xfrm_event *ev);

struct xfrm_view {
	struct xfrm_view_sa *sa;
	unsigned int nsa, capsa;
	struct xfrm_view_pol *pol;
	unsigned int npol, cappol;
	uint32_t gen;	     /* stamped on every entry added or refreshed */
	xfrm_event_fn ev_fn; /* optional */
	void *ev_arg;
	/* counters */
	uint64_t n_msgs, n_rejected, n_ignored;
};

void xfrm_view_init(struct xfrm_view *v, xfrm_event_fn fn, void *arg);
void xfrm_view_fini(struct xfrm_view *v);

/*
 * Parses every netlink message in buf[0..len) (one recv()'s worth: one or
 * several struct nlmsghdr, e.g. a dump chunk with NLM_F_MULTI) and applies
 * them to the view, calling ev_fn for each change.  Key bytes are wiped in
 * buf (hence not const).  Returns the number of messages rejected as
 * malformed (0 when all were fine; each rejection was logged), or -ENOMEM
 * when the view could not grow (the message is dropped and logged: the
 * caller should resync with a new dump).  A truncated trailing header
 * counts as one rejection.
 */
int xfrm_view_feed(struct xfrm_view *v, uint8_t *buf, size_t len);

/*
 * Resync support: xfrm_view_new_gen() before a dump; every entry the dump
 * (or an event) adds or refreshes carries the new generation; after the
 * dump's NLMSG_DONE, xfrm_view_sweep_sa() / _pol() remove the entries that
 * were not seen (each with an XFRM_EV_*_DELETED event).  Returns how many.
 */
uint32_t xfrm_view_new_gen(struct xfrm_view *v);
unsigned int xfrm_view_sweep_sa(struct xfrm_view *v, uint32_t gen);
unsigned int xfrm_view_sweep_pol(struct xfrm_view *v, uint32_t gen);

/* Lookups; NULL when absent.  spi in host order. */
const struct xfrm_view_sa *xfrm_view_find_sa(const struct xfrm_view *v,
					     const struct xfrm_view_addr *daddr, uint32_t spi,
					     uint8_t proto);

/* --- uses of the view -------------------------------------------------------- */

/*
 * A test flow as xwampd's reflector sees it: local = the reflector's
 * address and UDP port, peer = the Session-Sender's.  Outbound packets go
 * local -> peer, inbound peer -> local.
 */
struct xfrm_flow {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t local[16], peer[16];
	uint16_t local_port, peer_port; /* host order */
	uint8_t proto;			/* IPPROTO_UDP for TWAMP-Test */
};

/* How one direction of a flow is (or is not) protected. */
struct xfrm_dir_verdict {
	bool covered;	/* an ALLOW policy with templates matches the flow */
	bool installed; /* every required template has an SA */
	bool integrity; /* the SA gives integrity: AH, ESP with auth or AEAD */
	const struct xfrm_view_pol *pol;
	const struct xfrm_view_sa *sa; /* the SA of the first (outermost) ESP/AH template */
	const char *why;	       /* short reason when !integrity, e.g. "no policy" */
};

struct xfrm_verdict {
	bool protected_; /* both directions covered, installed and with integrity */
	struct xfrm_dir_verdict out, in;
};

/*
 * Is the flow protected by IPsec, and by what?  For each direction the
 * policy that applies is the matching one (selector incl. prefix lengths,
 * protocol and ports; mark 0 matches only policies whose mark value under
 * its mask is 0; policies with an if_id are assumed to apply, i.e. the
 * route goes through that xfrm interface) with the lowest priority value
 * (RFC 4301 4.4.1: the first matching entry, ordered).  BLOCK, or a policy
 * without templates (bypass), means not protected.  Each non-optional
 * template needs an SA matching its protocol, mode, reqid (when non-zero),
 * SPI (when non-zero), destination (the template's, or the flow's for a
 * transport template without one), source when the template has one,
 * and the policy's if_id; the newest such SA not hard-expired is taken.
 * ESP without integrity (encryption only, or auth "digest_null") does not
 * count as protection (RFC 4303 3.2: confidentiality-only ESP is open to
 * active attacks); AH does (RFC 4302: integrity and origin authentication).
 * Always fills *out; returns out->protected_.
 */
bool xfrm_view_check(const struct xfrm_view *v, const struct xfrm_flow *f,
		     struct xfrm_verdict *out);

/*
 * The SA pair the kernel applies to a flow both ways (the IPsec SA
 * profile's control connection): xfrm_view_check() into *vd, then 0 when
 * each direction has an ALLOW policy whose templates all have SAs, the
 * outermost ESP/AH SA of each (vd->out.sa, vd->in.sa) of one protocol;
 * else -ENOENT (vd says why).  Transport or tunnel mode alike: the flow's
 * addresses are the policy selector's, the SAs' those of the template.
 * Integrity is not asked here (vd->protected_ tells).
 */
int xfrm_view_flow_pair(const struct xfrm_view *v, const struct xfrm_flow *f,
			struct xfrm_verdict *vd);

/*
 * The Accept-Session value (RFC 5357 3.5, RFC 4656 3.3) for an
 * unauthenticated session when IPsec protection is required:
 * XW_ACCEPT_OK when protected; XW_ACCEPT_TEMP_LIMIT (5) when policies
 * cover both directions and only an SA is missing (IKE negotiating, a
 * rekey gap: retrying later can succeed); XW_ACCEPT_NOT_SUPPORTED (3)
 * otherwise (no policy, BLOCK, bypass, or SAs without integrity: this
 * request will not be accepted as it stands, another, e.g. authenticated
 * mode, may be).
 */
int xfrm_verdict_accept(const struct xfrm_verdict *vd);

/*
 * Does IPsec apply to the flow at all, protected or not?  True when the
 * policy of either direction requires ESP/AH (ALLOW with templates,
 * whether its SAs are installed and give integrity or not) or blocks the
 * flow.  Such a flow must never be answered around the kernel's policies,
 * i.e. by XDP_TX on the device the ESP packets arrive on, before the
 * inbound policy check and past the outbound one: only where the kernel
 * has decrypted it (the in-tunnel device) or by a socket, whose replies go
 * through the output policy (README "IPsec view").  A bypass policy
 * (ALLOW without templates) or none: false.
 */
bool xfrm_verdict_ipsec_applies(const struct xfrm_verdict *vd);

/*
 * Where xwampd may answer an unauthenticated (open or mixed mode) test
 * flow, given its verdict (README "IPsec view", "No fast path around
 * IPsec").  Authenticated and encrypted sessions protect themselves and do
 * not ask.
 */
enum xfrm_path {
	XFRM_PATH_ANY,	  /* IPsec does not apply: XDP on every device, and the socket */
	XFRM_PATH_TUNNEL, /* protected, route-based: XDP/tc on the in-tunnel device only */
	XFRM_PATH_SOCKET, /* the socket only: its replies go through the output policy */
	XFRM_PATH_NONE,	  /* --require-ipsec and not protected: not answered at all */
};

/*
 * tunnel_dev: the xfrm interface carrying the flow exists and has the
 * reflector (xfrm_view_flow_if_id(), then the device).  require:
 * --require-ipsec.  Protected: TUNNEL with tunnel_dev, else SOCKET.  IPsec
 * applies but the flow is not protected (an SA missing, ESP without
 * integrity, a BLOCK policy): SOCKET, or with require NONE unless policies
 * still cover both directions with only an SA missing (xfrm_verdict_accept()
 * 5: a rekey gap, the kernel drops what the policy does not protect).  IPsec
 * does not apply: ANY, or with require NONE.
 */
enum xfrm_path xfrm_flow_path(const struct xfrm_verdict *vd, bool tunnel_dev, bool require);
const char *xfrm_path_name(enum xfrm_path p);

/*
 * One line describing a verdict for logs, e.g.
 * "protected: out ESP tunnel spi 0x00001002 rfc4106(gcm(aes))/160+128,
 *  in ESP tunnel spi 0x00001001 ..." or "not protected: out: no policy".
 */
const char *xfrm_verdict_fmt(const struct xfrm_verdict *vd, char *buf, size_t len);

/*
 * The if_id of the xfrm interface the in-tunnel reflector would attach to
 * for this flow: the if_id of the inbound policy/SA protecting it.
 * Returns 0 and sets *if_id, or -ENOENT when the flow is not carried by an
 * if_id SA (policy-based IPsec: no xfrm interface to attach to).  The
 * loader maps it to an interface (xfrm link with IFLA_XFRM_IF_ID ==
 * if_id).
 */
int xfrm_view_flow_if_id(const struct xfrm_view *v, const struct xfrm_flow *f, uint32_t *if_id);

/* One line per SA / policy, like `ip xfrm state/policy` without keys. */
const char *xfrm_sa_fmt(const struct xfrm_view_sa *sa, char *buf, size_t len);
const char *xfrm_pol_fmt(const struct xfrm_view_pol *p, char *buf, size_t len);
/* "ESP", "AH", "COMP", or the number; "tunnel", "transport", "beet", ... */
const char *xfrm_proto_name(uint8_t proto);
const char *xfrm_mode_name(uint8_t mode);
const char *xfrm_event_name(enum xfrm_event_type t);

#endif /* XW_XFRM_VIEW_H */
