// SPDX-License-Identifier: GPL-2.0-only
/*
 * The AF_XDP reflector for authenticated and encrypted sessions (xsk.h).
 *
 * Frames: each socket has its own UMEM of XSK_FRAMES frames.  A frame goes
 * fill ring -> RX ring -> (reply in place) TX ring -> completion ring ->
 * free stack -> fill ring, or RX ring -> free stack when it gets no reply.
 * The reply is built in the received frame: the UDP payload is reflected
 * into a scratch buffer (xw_tp_reflect() wants distinct buffers) and copied
 * back, so a frame never needs a second one.
 *
 * Timestamps: T2 is the XDP program's (metadata, Unix ns from
 * bpf_ktime_get_tai_ns() + the clock map's UTC offset: what the XDP_TX path
 * would have stamped); T3 is taken after all the crypto of the batch, right
 * before the TX ring is submitted (authenticated mode: outside the HMAC,
 * xw_tp_stamp()); in encrypted mode T3 is sealed with the packet, so it is
 * taken just before each packet's encryption (RFC 5357 4.2.1).
 *
 * OWAMP receivers (authenticated/encrypted, owsess.c) share the sockets:
 * their frames get no answer; the worker hands the UDP payload with XDP's
 * T2, the TTL and the batch's Error Estimate to xwd_ows_xsk_rx(), which
 * verifies and stores the record, and the frame goes back to the fill ring.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <xdp/xsk.h>

#include "httpm.h"
#include "log.h"
#include "owsess.h"
#include "xsk.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"
#include "xwampd.h"

/*
 * UMEM and rings sized from the limits (umem_frames()): one 4-KiB frame per
 * session the queue may serve (--max-sessions-total over the interface's
 * receive queues), a power of two from XSK_FRAMES_MIN (2 MiB) to
 * XSK_FRAMES_MAX (32 MiB per queue; also without a limit), the fill, RX, TX
 * and completion rings half of it each, so that the UMEM holds full rings
 * both ways.  Rings of 4096: a worker kept off the CPU for 40 ms (a loaded
 * host) at 100,000 frames/s (10,000 sessions at 10/s) loses nothing; with
 * rings of 1024 the same 10 ms lost a fifth of the frames (README "Scale"):
 * a session sends 10 frames/s, so half a frame per session covers a 50 ms
 * stall.  Frames stay 4 KiB: a test packet up to the page less the
 * kernel's headroom fits in one.
 */
#define XSK_FRAMES_MIN 512u
#define XSK_FRAMES_MAX 8192u
#define XSK_FRAME_SIZE XSK_UMEM__DEFAULT_FRAME_SIZE
#define XSK_BATCH      64u
#define XSK_BATCHES    4u /* per wakeup: then the other fds get their turn */
#define XSK_MAX_QUEUES XW_XSK_MAX_QUEUES
#define XSK_META_LEN   8u
#define XSK_KICK_NS    200000ull /* retry a TX kick that the kernel could not take */
#define XSK_TTL	       255	 /* RFC 5357 4.2.1 */

/* Global drops: frames without a session to count them in. */
enum xsk_gdrop {
	XG_NO_SESS = 0, /* no authenticated TWAMP session or OWAMP receiver on the port */
	XG_FRAME,	/* not Ethernet/IP/UDP as the XDP program let it through */
	XG_NO_META,	/* no receive timestamp in front of the frame */
	XG_MAX,
};
static const char *const gdrop_names[XG_MAX] = {"no-session", "bad-frame", "no-timestamp"};

struct xsk_q {
	struct xwd_xsk *x;
	const struct xwd_xsk_if *ifc;
	unsigned int queue;
	unsigned int frames, ring; /* UMEM frames; each ring's size (frames / 2) */
	struct xsk_socket *xsk;
	struct xsk_umem *umem;
	void *area;
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	bool zerocopy;
	struct xw_io io;
	struct xw_timer kick; /* TX left in the ring after a kick */
	uint64_t *free;	      /* free frame addresses (a stack) */
	unsigned int nfree;
	unsigned int tx_out; /* submitted, not completed */
	uint64_t n_rx, n_tx, n_gdrop[XG_MAX], n_txfull;
};

/*
 * An interface with sockets, in slot k of xwd_xsk.ifs: its queues use the
 * "xsks" keys k * XSK_MAX_QUEUES + queue (xsk_ifs: ifindex -> that base).
 * A slot keeps its interface until the interface is no longer attached or
 * is another device (a new ifindex), so that the others' sockets, and the
 * sessions they serve, are never touched when one interface changes.
 */
struct xsk_if {
	struct xwd_xsk_if ifc; /* ifc.name is name */
	char name[IF_NAMESIZE];
	bool used;
	bool covered;	      /* a socket on every receive queue */
	unsigned int nqueues; /* the device's receive queues (at most XSK_MAX_QUEUES) */
	struct xsk_q *q;      /* nq bound sockets */
	unsigned int nq, zc;
};

struct xwd_xsk {
	struct xwd *d;
	int xsks_fd, ifs_fd;
	struct xsk_if ifs[XW_XSK_MAX_IFS];
	char where[XW_XSK_MAX_IFS * (IF_NAMESIZE + 32)];
	struct xw_ratelimit rl;
	uint8_t scratch[XSK_FRAME_SIZE];
};

/* --- queues of an interface ------------------------------------------------- */

/* Receive queues: ethtool channels (combined or rx), else /sys/class/net/IF/queues/rx-*. */
static unsigned int rx_queues(const char *ifname)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr = {};
	unsigned int n = 0;
	char path[64 + IF_NAMESIZE];
	struct dirent *de;
	DIR *dir;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		ifr.ifr_data = (void *)&ch;
		if (!ioctl(fd, SIOCETHTOOL, &ifr))
			n = ch.combined_count > ch.rx_count ? ch.combined_count : ch.rx_count;
		close(fd);
	}
	if (n)
		return n;
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	dir = opendir(path);
	if (dir) {
		while ((de = readdir(dir)))
			if (!strncmp(de->d_name, "rx-", 3))
				n++;
		closedir(dir);
	}
	return n ? n : 1;
}

/* Whether frames of ifname start at the IP header: no Ethernet header (a TUN device). */
static bool no_link_header(const char *ifname)
{
	struct ifreq ifr = {};
	bool l3 = false;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
		l3 = ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER;
	close(fd);
	return l3;
}

/* --- frames ----------------------------------------------------------------- */

static void frame_free(struct xsk_q *q, uint64_t addr)
{
	/* strip the offset the kernel added (headroom): the chunk's start */
	q->free[q->nfree++] = addr - (addr % XSK_FRAME_SIZE);
}

static void refill(struct xsk_q *q)
{
	unsigned int n, i;
	uint32_t idx;

	n = xsk_prod_nb_free(&q->fill, q->nfree);
	if (n > q->nfree)
		n = q->nfree;
	if (!n || xsk_ring_prod__reserve(&q->fill, n, &idx) != n)
		return;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&q->fill, idx + i) = q->free[--q->nfree];
	xsk_ring_prod__submit(&q->fill, n);
	/* zero-copy drivers may sleep until told that the fill ring has frames */
	if (xsk_ring_prod__needs_wakeup(&q->fill))
		recvfrom(xsk_socket__fd(q->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

static void complete(struct xsk_q *q)
{
	unsigned int n, i;
	uint32_t idx;

	n = xsk_ring_cons__peek(&q->comp, q->ring, &idx);
	for (i = 0; i < n; i++)
		frame_free(q, *xsk_ring_cons__comp_addr(&q->comp, idx + i));
	xsk_ring_cons__release(&q->comp, n);
	q->tx_out -= n;
}

/*
 * Have the kernel send what is on the TX ring.  Copy mode sends at most a
 * small budget per sendto() (32 frames in 6.x) and then says EAGAIN: call
 * again until the ring is empty; EBUSY / ENOBUFS (device queue or memory
 * short) and a bounded number of calls leave the rest to a short timer.
 */
static void kick(struct xsk_q *q)
{
	unsigned int tries;

	for (tries = 0; q->tx_out && tries < 2 * q->ring / 32; tries++) {
		if (q->zerocopy && !xsk_ring_prod__needs_wakeup(&q->tx)) {
			complete(q);
			break;
		}
		if (sendto(xsk_socket__fd(q->xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
		    errno != EAGAIN) {
			if (errno != EBUSY && errno != ENOBUFS && errno != ENETDOWN &&
			    xw_rl_ok(&q->x->rl, "afxdp"))
				pr_warn("afxdp: %s queue %u: TX kick: %s", q->ifc->name, q->queue,
					strerror(errno));
			complete(q);
			break;
		}
		complete(q);
	}
	if (q->tx_out && !xw_timer_armed(&q->kick))
		xw_timer_arm(&q->x->d->loop, &q->kick, XSK_KICK_NS);
}

static void kick_timer(struct xw_loop *l, struct xw_timer *t)
{
	struct xsk_q *q = t->arg;

	(void)l;
	complete(q);
	kick(q);
	refill(q);
}

/* --- the packet -------------------------------------------------------------- */

/* Internet checksum (RFC 1071) of n octets, added to sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += get_be16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A parsed frame: offsets into it. */
struct xsk_pkt {
	unsigned int l3, l4; /* IP and UDP header offsets */
	bool v6;
	uint8_t ttl;
	uint16_t sport, dport;
	const uint8_t *saddr, *daddr; /* in the frame */
	size_t plen;		      /* UDP payload length */
};

/*
 * Ethernet [VLAN x2] IPv4|IPv6 UDP, or on an L3 device (TUN) the IP header
 * first, as the XDP program checked it (checked again).
 */
static int parse(const uint8_t *f, size_t len, bool l3, struct xsk_pkt *k)
{
	unsigned int off = ETH_HLEN, i, hl, ulen;
	uint16_t proto;

	if (l3) {
		off = 0;
		if (len < 1)
			return -1;
		proto = (f[0] >> 4) == 4 ? ETH_P_IP : (f[0] >> 4) == 6 ? ETH_P_IPV6 : 0;
	} else {
		if (len < ETH_HLEN)
			return -1;
		proto = get_be16(f + 12);
	}
	for (i = 0; !l3 && i < 2 && (proto == ETH_P_8021Q || proto == ETH_P_8021AD); i++) {
		if (len < off + 4)
			return -1;
		proto = get_be16(f + off + 2);
		off += 4;
	}
	k->l3 = off;
	if (proto == ETH_P_IP) {
		if (len < off + 20 || (f[off] >> 4) != 4 || f[off + 9] != IPPROTO_UDP)
			return -1;
		hl = (f[off] & 0xf) * 4u;
		if (hl < 20 || get_be16(f + off + 2) < hl + 8 || off + get_be16(f + off + 2) > len)
			return -1;
		k->v6 = false;
		k->ttl = f[off + 8];
		k->saddr = f + off + 12;
		k->daddr = f + off + 16;
		k->l4 = off + hl;
	} else if (proto == ETH_P_IPV6) {
		if (len < off + 48 || (f[off] >> 4) != 6 || f[off + 6] != IPPROTO_UDP)
			return -1;
		if (off + 40 + get_be16(f + off + 4) > len)
			return -1;
		k->v6 = true;
		k->ttl = f[off + 7];
		k->saddr = f + off + 8;
		k->daddr = f + off + 24;
		k->l4 = off + 40;
	} else {
		return -1;
	}
	ulen = get_be16(f + k->l4 + 4);
	if (ulen < 8 || k->l4 + ulen > len)
		return -1;
	k->sport = get_be16(f + k->l4);
	k->dport = get_be16(f + k->l4 + 2);
	k->plen = ulen - 8;
	return 0;
}

/*
 * The frame's source is the session's Session-Sender and its destination
 * us.  An OWAMP receiver whose request left the Sender Port 0 takes any
 * port of the sender's address (owsess.c, XW_SESS_F_ANY_SPORT).
 */
static bool tuple_ok(const struct xsk_pkt *k, const struct xwd_sess *s)
{
	uint8_t peer[16], local[16];
	size_t alen = xw_addr_to_raw(&s->peer, peer);
	uint16_t pport = xw_addr_port(&s->peer);

	if (alen != (k->v6 ? 16u : 4u) || xw_addr_to_raw(&s->local, local) != alen)
		return false;
	return (k->sport == pport || (s->kind == XWD_SESS_OWAMP_RECV && !pport)) &&
	       !memcmp(k->saddr, peer, alen) && !memcmp(k->daddr, local, alen);
}

/*
 * Turn the frame (RX'ed, len octets, the reply of rlen payload octets
 * already in place) into the answer: Ethernet and IP addresses and UDP
 * ports swapped, TTL 255, the session's DSCP, lengths.  The UDP checksum
 * is left for csum_udp(), after T3.  Returns the frame length.
 */
static size_t headers(uint8_t *f, const struct xsk_pkt *k, size_t rlen, uint8_t dscp)
{
	uint8_t tmp[16];
	size_t alen = k->v6 ? 16 : 4;
	uint8_t *sa = f + (k->saddr - f), *da = f + (k->daddr - f);

	if (k->l3) { /* a link-layer header: swap the MAC addresses */
		memcpy(tmp, f, 6);
		memcpy(f, f + 6, 6);
		memcpy(f + 6, tmp, 6);
	}
	memcpy(tmp, sa, alen);
	memcpy(sa, da, alen);
	memcpy(da, tmp, alen);
	put_be16(f + k->l4, k->dport);
	put_be16(f + k->l4 + 2, k->sport);
	put_be16(f + k->l4 + 4, (uint16_t)(8 + rlen));
	if (!k->v6) {
		uint8_t *ip = f + k->l3;

		ip[1] = (uint8_t)(dscp << 2); /* ECN Not-ECT */
		put_be16(ip + 2, (uint16_t)(k->l4 - k->l3 + 8 + rlen));
		ip[8] = XSK_TTL;
		put_be16(ip + 10, 0);
		put_be16(ip + 10, csum_fold(csum_add(0, ip, k->l4 - k->l3)));
	} else {
		uint8_t *ip = f + k->l3;

		ip[0] = (uint8_t)(0x60 | (dscp >> 2));
		ip[1] = (uint8_t)((dscp << 6) | (ip[1] & 0x0f));
		put_be16(ip + 4, (uint16_t)(8 + rlen));
		ip[7] = XSK_TTL;
	}
	return k->l4 + 8 + rlen;
}

/* The full UDP checksum over the pseudo-header (RFC 768, RFC 8200 8.1). */
static void csum_udp(uint8_t *f, const struct xsk_pkt *k)
{
	uint8_t *u = f + k->l4;
	size_t ulen = get_be16(u + 4), alen = k->v6 ? 16 : 4;
	uint32_t sum;
	uint16_t c;

	put_be16(u + 6, 0);
	sum = csum_add(0, f + (k->saddr - f), alen);
	sum = csum_add(sum, f + (k->daddr - f), alen);
	sum += IPPROTO_UDP + (uint32_t)ulen;
	c = csum_fold(csum_add(sum, u, ulen));
	put_be16(u + 6, c ? c : 0xffff);
}

struct xsk_reply {
	uint64_t addr; /* the frame's descriptor address */
	uint32_t len;  /* frame length of the reply */
	struct xsk_pkt k;
	enum xw_tp_mode mode;
	struct xwd_cnt *cnt;
};

/*
 * One received frame: 0 with *rep filled when it gets an answer, else -1
 * (counted).
 */
static int one_frame(struct xsk_q *q, const struct xdp_desc *dsc, const struct xsk_pkt *k,
		     struct xwd_sess *s, uint64_t mono_ns, uint16_t errest, struct xsk_reply *rep)
{
	struct xwd_xsk *x = q->x;
	uint8_t *f = xsk_umem__get_data(q->area, dsc->addr);
	size_t room = XSK_FRAME_SIZE - (size_t)(dsc->addr % XSK_FRAME_SIZE);
	struct xwd_pkt in;
	uint64_t t2;
	bool ow;
	int len;

	if (!k) {
		q->n_gdrop[XG_FRAME]++;
		return -1;
	}
	rep->k = *k;
	ow = s && s->kind == XWD_SESS_OWAMP_RECV;
	if (!s || (s->kind != XWD_SESS_TWAMP && !ow) || s->tp.mode == XW_TP_OPEN) {
		q->n_gdrop[XG_NO_SESS]++;
		return -1;
	}
	s->xsk.rx++;
	if (!tuple_ok(&rep->k, s)) {
		s->xsk.drop[XWD_DROP_SOURCE]++;
		return -1;
	}
	/* the metadata the program wrote: 8 octets right in front of the frame */
	if (dsc->addr % XSK_FRAME_SIZE < XSK_META_LEN) {
		q->n_gdrop[XG_NO_META]++;
		return -1;
	}
	memcpy(&t2, f - XSK_META_LEN, sizeof(t2));
	if (!t2) {
		q->n_gdrop[XG_NO_META]++;
		return -1;
	}
	in.buf = f + rep->k.l4 + 8;
	in.len = rep->k.plen;
	in.rx_ntp = xw_ns_to_ntp(t2);
	in.ttl = rep->k.ttl;
	in.mono_ns = mono_ns;
	in.errest = errest;
	if (ow) {
		/* OWAMP: recorded (or counted), never answered (RFC 4656 4.2) */
		xwd_ows_xsk_rx(s, &in);
		return -1;
	}
	len = xwd_sess_reflect(s, &s->xsk, &in, x->scratch, sizeof(x->scratch), NULL);
	if (len < 0)
		return -1;
	if (rep->k.l4 + 8 + (size_t)len > room) {
		s->xsk.drop[XWD_DROP_NOROOM]++;
		s->seq--; /* not sent: the number is the next reply's (RFC 5357 4.2.1) */
		return -1;
	}
	memcpy(f + rep->k.l4 + 8, x->scratch, (size_t)len);
	rep->addr = dsc->addr;
	rep->len = (uint32_t)headers(f, &rep->k, (size_t)len, s->dscp);
	rep->mode = s->tp.mode;
	rep->cnt = &s->xsk;
	return 0;
}

/*
 * The frames of a batch parsed and their sessions looked up ahead of the
 * work, each step over the whole batch with the memory of the next one
 * prefetched.  With thousands of sessions at a few packets/s, a session's
 * state (registry slot, struct xwd_sess, its crypto objects) is never in
 * the caches when its frame arrives: fetched one frame at a time, those
 * misses add up per frame; fetched for the whole batch, they overlap.
 */
static void stage(struct xsk_q *q, uint32_t idx, unsigned int n, struct xsk_pkt *k, bool *ok,
		  struct xwd_sess **s)
{
	const struct xwd_reg *reg = &q->x->d->reg;
	unsigned int i;

	for (i = 0; i < n; i++) {
		const uint8_t *f =
			xsk_umem__get_data(q->area, xsk_ring_cons__rx_desc(&q->rx, idx + i)->addr);

		__builtin_prefetch(f - XSK_META_LEN);
		__builtin_prefetch(f + 48);
	}
	for (i = 0; i < n; i++) {
		const struct xdp_desc *dsc = xsk_ring_cons__rx_desc(&q->rx, idx + i);

		ok[i] = !parse(xsk_umem__get_data(q->area, dsc->addr), dsc->len, q->ifc->l3, &k[i]);
		if (ok[i] && reg->by_port)
			__builtin_prefetch(&reg->by_port[k[i].dport]);
	}
	for (i = 0; i < n; i++) {
		/* O(1): the registry by port, as the XDP program's session table */
		s[i] = ok[i] ? xwd_reg_get(reg, k[i].dport) : NULL;
		if (s[i]) {
			__builtin_prefetch(s[i]);
			__builtin_prefetch((const char *)s[i] + 64);
			__builtin_prefetch(&s[i]->crypto);
			__builtin_prefetch(&s[i]->xsk, 1);
		}
	}
	for (i = 0; i < n; i++) {
		if (s[i]) { /* NULL in open mode: a prefetch never faults */
			__builtin_prefetch(s[i]->crypto.aes);
			__builtin_prefetch(s[i]->crypto.hmac);
		}
	}
}

/* One batch from the RX ring; returns the number of frames taken. */
static unsigned int batch(struct xsk_q *q)
{
	struct xsk_reply rep[XSK_BATCH];
	struct xsk_pkt k[XSK_BATCH];
	struct xwd_sess *s[XSK_BATCH];
	bool ok[XSK_BATCH];
	unsigned int n, i, nrep = 0, ntx;
	uint32_t idx, tidx;
	uint64_t mono_ns, t3;
	uint16_t errest;

	complete(q);
	n = xsk_ring_cons__peek(&q->rx, XSK_BATCH, &idx);
	if (!n)
		return 0;
	mono_ns = xw_now_ns();
	errest = xw_clock_errest(&q->x->d->clock, xw_clock_now_ns());
	stage(q, idx, n, k, ok, s);
	for (i = 0; i < n; i++) {
		const struct xdp_desc *dsc = xsk_ring_cons__rx_desc(&q->rx, idx + i);

		q->n_rx++;
		/* looked up again (cached now): an earlier frame's step may have ended a session */
		if (s[i])
			s[i] = xwd_reg_get(&q->x->d->reg, k[i].dport);
		if (one_frame(q, dsc, ok[i] ? &k[i] : NULL, s[i], mono_ns, errest, &rep[nrep]))
			frame_free(q, dsc->addr);
		else
			nrep++;
	}
	xsk_ring_cons__release(&q->rx, n);

	/* all or none: reserve fails when fewer slots are free; then send what fits */
	ntx = xsk_prod_nb_free(&q->tx, nrep);
	if (ntx > nrep)
		ntx = nrep;
	if (ntx && xsk_ring_prod__reserve(&q->tx, ntx, &tidx) != ntx)
		ntx = 0;
	for (i = ntx; i < nrep; i++) {
		rep[i].cnt->drop[XWD_DROP_TXFULL]++;
		q->n_txfull++;
		frame_free(q, rep[i].addr);
	}
	/* T3 after the crypto of the whole batch (authenticated: outside the HMAC) */
	t3 = xw_clock_now_ntp();
	for (i = 0; i < ntx; i++) {
		struct xdp_desc *t = xsk_ring_prod__tx_desc(&q->tx, tidx + i);
		uint8_t *f = xsk_umem__get_data(q->area, rep[i].addr);

		if (rep[i].mode != XW_TP_ENC)
			xw_tp_stamp(rep[i].mode, f + rep[i].k.l4 + 8, rep[i].len - rep[i].k.l4 - 8,
				    t3, errest);
		csum_udp(f, &rep[i].k);
		t->addr = rep[i].addr;
		t->len = rep[i].len;
		t->options = 0;
		rep[i].cnt->reflected++;
	}
	if (ntx) {
		xsk_ring_prod__submit(&q->tx, ntx);
		q->tx_out += ntx;
		q->n_tx += ntx;
		kick(q);
	}
	refill(q);
	return n;
}

void xwd_xsk_drain(struct xwd_xsk *x)
{
	unsigned int k, i, b;

	for (k = 0; x && k < XW_XSK_MAX_IFS; k++)
		for (i = 0; x->ifs[k].used && i < x->ifs[k].nq; i++)
			for (b = 0; b <= x->ifs[k].q[i].ring / XSK_BATCH; b++)
				if (batch(&x->ifs[k].q[i]) < XSK_BATCH)
					break;
}

static void q_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xsk_q *q = io->arg;
	unsigned int i;

	(void)l;
	(void)events;
	for (i = 0; i < XSK_BATCHES; i++)
		if (batch(q) < XSK_BATCH)
			break;
}

/* --- set-up ------------------------------------------------------------------- */

static void q_close(struct xsk_q *q)
{
	if (!q->area)
		return;
	xw_timer_cancel(&q->x->d->loop, &q->kick);
	xw_loop_del(&q->x->d->loop, &q->io);
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	munmap(q->area, (size_t)q->frames * XSK_FRAME_SIZE);
	free(q->free);
	q->area = NULL;
	q->xsk = NULL;
	q->umem = NULL;
}

/* UMEM and socket with the given bind flags; everything undone on failure. */
static int q_try(struct xsk_q *q, __u16 bind_flags)
{
	struct xsk_umem_config uc = {
		.fill_size = q->ring,
		.comp_size = q->ring,
		.frame_size = XSK_FRAME_SIZE,
		/* copy mode puts the data behind XDP_PACKET_HEADROOM anyway: room for the metadata */
		.frame_headroom = 0,
		.flags = 0,
	};
	struct xsk_socket_config sc = {
		.rx_size = q->ring,
		.tx_size = q->ring,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = bind_flags,
	};
	unsigned int i;
	int rc;

	q->area = mmap(NULL, (size_t)q->frames * XSK_FRAME_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	q->free = calloc(q->frames, sizeof(*q->free));
	if (!q->free) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = xsk_umem__create(&q->umem, q->area, (__u64)q->frames * XSK_FRAME_SIZE, &q->fill,
			      &q->comp, &uc);
	if (rc) {
		q->umem = NULL;
		goto fail;
	}
	rc = xsk_socket__create(&q->xsk, q->ifc->name, q->queue, q->umem, &q->rx, &q->tx, &sc);
	if (rc) {
		q->xsk = NULL;
		goto fail;
	}
	for (i = 0; i < q->frames; i++)
		q->free[i] = (uint64_t)(q->frames - 1 - i) * XSK_FRAME_SIZE;
	q->nfree = q->frames;
	refill(q);
	return 0;
fail:
	q_close(q);
	return rc;
}

/* Socket for q, registered in "xsks" at the interface's first slot + queue (bpf_shared.h). */
static int q_open(struct xsk_q *q, int xsks_fd, __u32 base)
{
	int rc = -EOPNOTSUPP, fd;
	__u32 key = base + q->queue;

	xw_timer_init(&q->kick, kick_timer, q);
	/* zero-copy only exists for native drivers that implement it */
	if (!q->ifc->generic) {
		rc = q_try(q, XDP_ZEROCOPY | XDP_USE_NEED_WAKEUP);
		q->zerocopy = !rc;
		if (rc)
			pr_info("afxdp: %s queue %u: zero-copy: %s, using copy mode", q->ifc->name,
				q->queue, strerror(-rc));
	}
	if (rc)
		rc = q_try(q, XDP_COPY | XDP_USE_NEED_WAKEUP);
	if (rc)
		return rc;
	fd = xsk_socket__fd(q->xsk);
	rc = bpf_map_update_elem(xsks_fd, &key, &fd, BPF_ANY) ? -errno : 0;
	if (rc)
		goto fail;
	rc = xw_loop_add(&q->x->d->loop, &q->io, xsk_socket__fd(q->xsk), EPOLLIN, q_event, q);
	if (rc)
		goto fail;
	return 0;
fail:
	q_close(q);
	return rc;
}

/* UMEM frames of one queue of an interface with nqueues receive queues. */
static unsigned int umem_frames(const struct xwd_cfg *cfg, unsigned int nqueues)
{
	unsigned int n = cfg->max_sessions_total, f = XSK_FRAMES_MIN;
	unsigned int per = n ? (n + nqueues - 1) / nqueues : XSK_FRAMES_MAX;

	while (f < per && f < XSK_FRAMES_MAX)
		f <<= 1;
	return f;
}

/* Close the sockets of slot k and forget its interface. */
static void if_close(struct xwd_xsk *x, unsigned int k)
{
	struct xsk_if *xi = &x->ifs[k];
	__u32 ifindex = (__u32)xi->ifc.ifindex;
	unsigned int i;

	for (i = 0; i < xi->nq; i++)
		q_close(&xi->q[i]);
	free(xi->q);
	/* the sockets left "xsks" as they closed; the interface's base goes too */
	bpf_map_delete_elem(x->ifs_fd, &ifindex);
	pr_info("afxdp: %s: %u AF_XDP sockets closed (ifindex %d)", xi->name, xi->nq,
		xi->ifc.ifindex);
	memset(xi, 0, sizeof(*xi));
}

/* Sockets on every receive queue of ifc in slot k; the number bound. */
static unsigned int if_open(struct xwd_xsk *x, unsigned int k, const struct xwd_xsk_if *ifc)
{
	struct xsk_if *xi = &x->ifs[k];
	unsigned int n, qi, frames;
	__u32 base = k * XSK_MAX_QUEUES, ifindex = (__u32)ifc->ifindex;
	int rc;

	memset(xi, 0, sizeof(*xi));
	snprintf(xi->name, sizeof(xi->name), "%s", ifc->name);
	xi->ifc = *ifc;
	xi->ifc.name = xi->name;
	xi->ifc.l3 = no_link_header(xi->name);
	xi->used = true;
	n = rx_queues(xi->name);
	if (n > XSK_MAX_QUEUES)
		n = XSK_MAX_QUEUES;
	xi->nqueues = n;
	xi->q = calloc(n, sizeof(*xi->q));
	if (!xi->q) {
		pr_warn("afxdp: %s: %s", xi->name, strerror(ENOMEM));
		return 0;
	}
	frames = umem_frames(x->d->cfg, n);
	for (qi = 0; qi < n; qi++) {
		struct xsk_q *q = &xi->q[xi->nq];

		q->x = x;
		q->ifc = &xi->ifc;
		q->queue = qi;
		q->frames = frames;
		q->ring = frames / 2;
		rc = q_open(q, x->xsks_fd, base);
		if (rc) {
			pr_warn("afxdp: %s queue %u: no AF_XDP socket: %s (its authenticated "
				"frames go to the UDP socket)",
				xi->name, qi, strerror(-rc));
			memset(q, 0, sizeof(*q));
			continue;
		}
		xi->nq++;
		xi->zc += q->zerocopy;
	}
	/* the program redirects this interface's frames from now on */
	if (xi->nq && bpf_map_update_elem(x->ifs_fd, &ifindex, &base, BPF_ANY)) {
		pr_warn("afxdp: %s: xsk_ifs entry: %s: its authenticated frames go to the UDP "
			"socket",
			xi->name, strerror(errno));
		for (qi = 0; qi < xi->nq; qi++)
			q_close(&xi->q[qi]);
		xi->nq = xi->zc = 0;
	}
	xi->covered = xi->nq == n;
	pr_info("afxdp: %s: %u of %u receive queues with an AF_XDP socket (%u zero-copy), "
		"UMEM %u KiB per queue (%u frames, rings of %u)",
		xi->name, xi->nq, n, xi->zc, frames * (XSK_FRAME_SIZE / 1024), frames, frames / 2);
	return xi->nq;
}

static void where_update(struct xwd_xsk *x)
{
	size_t off = 0;
	unsigned int k;

	x->where[0] = '\0';
	for (k = 0; k < XW_XSK_MAX_IFS && off < sizeof(x->where); k++) {
		const struct xsk_if *xi = &x->ifs[k];

		if (!xi->used || !xi->nq)
			continue;
		off += (size_t)snprintf(x->where + off, sizeof(x->where) - off,
					"%s%s %u/%u queue%s %s", off ? ", " : "", xi->name, xi->nq,
					xi->nqueues, xi->nqueues == 1 ? "" : "s",
					xi->zc == xi->nq ? "zero-copy"
					: xi->zc	 ? "zero-copy/copy"
							 : "copy");
	}
}

void xwd_xsk_close(struct xwd_xsk *x)
{
	unsigned int k;

	if (!x)
		return;
	for (k = 0; k < XW_XSK_MAX_IFS; k++)
		if (x->ifs[k].used)
			if_close(x, k);
	free(x);
}

/* Is ifc (attached now) the interface of a used slot: same name, same device? */
static int slot_of(const struct xwd_xsk *x, const struct xwd_xsk_if *ifc)
{
	unsigned int k;

	for (k = 0; k < XW_XSK_MAX_IFS; k++)
		if (x->ifs[k].used && !strcmp(x->ifs[k].name, ifc->name) &&
		    x->ifs[k].ifc.ifindex == ifc->ifindex && x->ifs[k].ifc.generic == ifc->generic)
			return (int)k;
	return -1;
}

/*
 * The sockets follow the interfaces XDP is attached to now: a slot whose
 * interface is gone or is another device is closed, an interface without
 * a slot gets one and its sockets; the others are left alone.
 */
static int xsk_sync(struct xwd *d)
{
	struct xwd_xsk_if now[XWD_XDP_MAX_IFS];
	struct xwd_xsk *x = d->xsk;
	unsigned int n = 0, i, k, bound = 0;
	bool keep[XW_XSK_MAX_IFS] = {false};

	while (n < XWD_XDP_MAX_IFS &&
	       !xwd_xdp_attached(d->xdp, n, &now[n].name, &now[n].ifindex, &now[n].generic))
		n++;
	if (!x) {
		if (!n)
			return 0;
		x = calloc(1, sizeof(*x));
		if (!x)
			return -ENOMEM;
		x->d = d;
		x->xsks_fd = xwd_xdp_xsks_fd(d->xdp);
		x->ifs_fd = xwd_xdp_xsk_ifs_fd(d->xdp);
	}
	for (i = 0; i < n; i++) {
		int s = slot_of(x, &now[i]);

		/* a slot that bound nothing is tried again */
		if (s >= 0 && x->ifs[s].nq)
			keep[s] = true;
	}
	for (k = 0; k < XW_XSK_MAX_IFS; k++)
		if (x->ifs[k].used && !keep[k])
			if_close(x, k);
	for (i = 0; i < n; i++) {
		if (slot_of(x, &now[i]) >= 0)
			continue;
		for (k = 0; k < XW_XSK_MAX_IFS && x->ifs[k].used; k++)
			;
		if (k == XW_XSK_MAX_IFS) {
			pr_warn("afxdp: %s: already %d interfaces with AF_XDP sockets: its "
				"authenticated frames go to the UDP socket",
				now[i].name, XW_XSK_MAX_IFS);
			continue;
		}
		if_open(x, k, &now[i]);
	}
	for (k = 0; k < XW_XSK_MAX_IFS; k++)
		bound += x->ifs[k].used ? x->ifs[k].nq : 0;
	where_update(x);
	if (!bound) {
		pr_warn("afxdp: no AF_XDP socket bound: authenticated and encrypted sessions use "
			"their UDP sockets");
		xwd_xsk_close(x);
		x = NULL;
	}
	d->xsk = x;
	return 0;
}

bool xwd_xsk_wanted(const struct xwd_cfg *cfg)
{
	/* AF_XDP serves authenticated and encrypted test packets only */
	return !cfg->no_afxdp && (cfg->modes & (XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED));
}

int xwd_xsk_start(struct xwd *d)
{
	d->xsk = NULL;
	if (!d->xdp)
		return 0;
	if (d->cfg->no_afxdp) {
		pr_info("afxdp: off (--no-afxdp): authenticated and encrypted sessions use their "
			"UDP sockets");
		return 0;
	}
	if (!xwd_xsk_wanted(d->cfg)) {
		pr_info("afxdp: off: no authenticated or encrypted mode (--modes), no UMEM");
		return 0;
	}
	return xsk_sync(d);
}

int xwd_xsk_restart(struct xwd *d)
{
	if (!d->xdp || !xwd_xsk_wanted(d->cfg))
		return 0;
	return xsk_sync(d);
}

bool xwd_xsk_covers(const struct xwd_xsk *x, int ifindex)
{
	unsigned int k;

	if (!x)
		return false;
	for (k = 0; k < XW_XSK_MAX_IFS; k++)
		if (x->ifs[k].used && x->ifs[k].ifc.ifindex == ifindex)
			return x->ifs[k].covered;
	return false;
}

const char *xwd_xsk_where(const struct xwd_xsk *x)
{
	return x ? x->where : "";
}

/*
 * What the kernel counts for the socket (XDP_STATISTICS): frames redirected
 * to it but dropped before the RX ring, because the ring was full (the
 * worker fell behind a burst) or for other reasons (rx-dropped: in copy mode
 * no frame on the fill ring, or too long); fill ring found empty; invalid
 * descriptors (a bug here).  ", kernel: ..." into buf.
 */
static void kernel_drops(const struct xsk_q *q, char *buf, size_t len)
{
	struct xdp_statistics st = {};
	socklen_t optlen = sizeof(st);

	if (getsockopt(xsk_socket__fd(q->xsk), SOL_XDP, XDP_STATISTICS, &st, &optlen)) {
		snprintf(buf, len, ", kernel: %s", strerror(errno));
		return;
	}
	snprintf(buf, len,
		 ", kernel: rx-ring-full %llu, rx-dropped %llu, fill-ring-empty %llu, "
		 "invalid-desc %llu",
		 (unsigned long long)st.rx_ring_full, (unsigned long long)st.rx_dropped,
		 (unsigned long long)st.rx_fill_ring_empty_descs,
		 (unsigned long long)(st.rx_invalid_descs + st.tx_invalid_descs));
}

/* The i-th bound socket over all interfaces, NULL past the last. */
static const struct xsk_q *q_at(const struct xwd_xsk *x, unsigned int i)
{
	unsigned int k;

	for (k = 0; k < XW_XSK_MAX_IFS; k++) {
		if (!x->ifs[k].used)
			continue;
		if (i < x->ifs[k].nq)
			return &x->ifs[k].q[i];
		i -= x->ifs[k].nq;
	}
	return NULL;
}

void xwd_xsk_status(const struct xwd_xsk *x)
{
	const struct xsk_q *q;
	unsigned int i, g;

	if (!x)
		return;
	for (i = 0; (q = q_at(x, i)); i++) {
		char gd[128], kd[160];
		size_t off = 0;

		kernel_drops(q, kd, sizeof(kd));
		gd[0] = '\0';
		for (g = 0; g < XG_MAX && off < sizeof(gd); g++)
			if (q->n_gdrop[g])
				off += (size_t)snprintf(gd + off, sizeof(gd) - off, " %s=%llu",
							gdrop_names[g],
							(unsigned long long)q->n_gdrop[g]);
		pr_info("afxdp: %s queue %u (%s): rx %llu, tx %llu, tx-ring-full %llu%s%s%s",
			q->ifc->name, q->queue, q->zerocopy ? "zero-copy" : "copy",
			(unsigned long long)q->n_rx, (unsigned long long)q->n_tx,
			(unsigned long long)q->n_txfull, kd,
			off ? ", dropped without session:" : "", gd);
	}
}

void xwd_xsk_metrics(const struct xwd_xsk *x, FILE *f)
{
	const struct xsk_q *q;
	unsigned int i, g;

	if (!x || !q_at(x, 0))
		return;
	xw_prom_help(f, "xwampd_afxdp_frames_total", "counter",
		     "frames of the AF_XDP sockets by queue and what became of them (the SIGUSR1 "
		     "counters)");
	for (i = 0; (q = q_at(x, i)); i++) {

		fprintf(f,
			"xwampd_afxdp_frames_total{interface=\"%s\",queue=\"%u\",result=\"rx\"} "
			"%llu\n"
			"xwampd_afxdp_frames_total{interface=\"%s\",queue=\"%u\",result=\"tx\"} "
			"%llu\n"
			"xwampd_afxdp_frames_total{interface=\"%s\",queue=\"%u\",result=\"tx-ring-"
			"full\"} %llu\n",
			q->ifc->name, q->queue, (unsigned long long)q->n_rx, q->ifc->name, q->queue,
			(unsigned long long)q->n_tx, q->ifc->name, q->queue,
			(unsigned long long)q->n_txfull);
		for (g = 0; g < XG_MAX; g++)
			fprintf(f,
				"xwampd_afxdp_frames_total{interface=\"%s\",queue=\"%u\",result=\"%"
				"s\"} "
				"%llu\n",
				q->ifc->name, q->queue, gdrop_names[g],
				(unsigned long long)q->n_gdrop[g]);
	}
}
