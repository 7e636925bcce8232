// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwampd's OWAMP-Test sessions (RFC 4656 4): the socket receiver (the
 * server receives, Conf-Receiver) and the sender (the server sends,
 * Conf-Sender).  The OWAMP-Control state machine (control/srv.h) decides;
 * this file owns the UDP sockets, the send timer, and hands every verified
 * packet to the daemon's session store (control/owstore.h), which outlives
 * the control connection.
 *
 * Receiver: one UDP socket per session, kernel receive timestamps
 * (SO_TIMESTAMPNS) and the TTL of every datagram (RFC 4656 3.9 records
 * it); authenticated and encrypted packets are verified (HMAC, in constant
 * time) before anything is stored: a forged packet is counted and never
 * recorded.  Only the Sender Address of the request may send.
 *
 * Receiver with XDP (--xdp): an open-mode session gets an XW_SESS_OW_RECV
 * entry (the program builds the record and hands it over the ow_events
 * ring buffer); an authenticated or encrypted one an XW_SESS_AUTH_REDIRECT
 * entry where AF_XDP sockets exist (xsk.c): the program stamps the receive
 * time and redirects the frame, the AF_XDP worker hands it to
 * xwd_ows_xsk_rx(), which verifies and stores exactly as the socket does
 * (ows_verify_store()).  Packets arriving elsewhere still reach the socket.
 *
 * Sender: the schedule of RFC 4656 3.6/5 (control/schedule.h) in absolute
 * NTP times, a timer armed at each due time; a packet more than Timeout
 * late is not sent and becomes a skip range (4.1.1); the timestamp is read
 * just before the packet leaves (after the crypto in authenticated mode,
 * xw_tp_stamp(); in encrypted mode it is sealed with the packet, so it is
 * read just before building it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "owsess.h"
#include "schedule.h"
#include "xfrm.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"

struct xwd_ows {
	struct xwd_sess s; /* in the registry (sess.h): port, addresses, mode, keys, Seqno */
	struct xwd *d;
	struct xwd_conn *conn; /* the control connection: it ends the session */
	char name[96];
	bool recv; /* true: we receive; false: we send */
	uint8_t sid[XW_SID_LEN];
	int fd;
	struct xw_io io;
	struct xw_timer timer;
	bool any_port; /* the sender's port was not given: any port of its address */
	bool has_crypto;
	size_t len;
	struct xw_rxbatch rx;
	/* sender */
	struct xw_ow_sched sched;
	uint32_t npkt;
	uint64_t due;	     /* NTP send time of packet seq */
	uint64_t timeout_ns; /* RFC 4656 4.1.1: later than this: skipped */
	struct codec_ow_skip skips[SRV_OW_SKIPS_MAX];
	uint32_t nskips;
	uint8_t *pkt;
	bool started;
	bool xdp;	  /* a BPF session entry: records come from ow_events or AF_XDP */
	bool xsk;	  /* ...redirecting to AF_XDP (authenticated/encrypted) */
	int xdp_ifindex;  /* the entry's device binding (IPsec, bpf_shared.h) */
	bool ipsec_watch; /* open mode with the IPsec view: s.path follows it */
	int tun_ifindex;  /* route-based IPsec: the socket records only what this device got */
	/* counters */
	uint64_t n_rx, n_stored, n_forged, n_drop, n_sent, n_skipped, n_xdp;
};

static uint64_t ntp_interval_to_ns(uint64_t t)
{
	uint64_t sec = t >> 32, frac = t & 0xffffffffULL;

	if (sec > 1000000000ULL)
		return UINT64_MAX / 2;
	return sec * XW_NS_PER_SEC + ((frac * XW_NS_PER_SEC) >> 32);
}

/*
 * "; AF_XDP: received N, recorded N, dropped D: why=n" when the AF_XDP
 * path is in use, "; socket drops: why=n" when the socket dropped any
 * (the reasons of sess.h, one set for every path).
 */
static void ows_path_counts(const struct xwd_ows *o, char *buf, size_t len)
{
	char drops[256];
	uint64_t total;
	size_t off = 0;

	buf[0] = '\0';
	if (o->xsk || o->s.xsk.rx) {
		total = xwd_cnt_drops(&o->s.xsk, drops, sizeof(drops));
		off = (size_t)snprintf(
			buf, len, "; AF_XDP: received %llu, recorded %llu, dropped %llu%s%s",
			(unsigned long long)o->s.xsk.rx, (unsigned long long)o->s.xsk.reflected,
			(unsigned long long)total, total ? ":" : "", drops);
	}
	if (off < len && xwd_cnt_drops(&o->s.sock, drops, sizeof(drops)))
		snprintf(buf + off, len - off, "; socket drops:%s", drops);
}

static void ows_free(struct xwd_ows *o, const char *why)
{
	struct xwd *d = o->d;

	if (o->recv) {
		char paths[512];

		ows_path_counts(o, paths, sizeof(paths));
		pr_info("owamp %s: receiver closed (%s): %llu received, %llu recorded, %llu "
			"forged, "
			"%llu dropped; %llu by XDP%s",
			o->name, why, (unsigned long long)o->n_rx, (unsigned long long)o->n_stored,
			(unsigned long long)o->n_forged, (unsigned long long)o->n_drop,
			(unsigned long long)o->n_xdp, paths);
	} else
		pr_info("owamp %s: sender closed (%s): %llu sent, %llu skipped, Next Seqno %u",
			o->name, why, (unsigned long long)o->n_sent,
			(unsigned long long)o->n_skipped, o->s.seq);
	if (o->xdp)
		xwd_xdp_sess_del(d->xdp, o->s.port);
	xw_timer_cancel(&d->loop, &o->timer);
	xw_loop_del(&d->loop, &o->io);
	if (o->fd >= 0)
		close(o->fd);
	xw_rxbatch_free(&o->rx);
	xw_tp_crypto_free(&o->s.crypto);
	xw_ow_sched_fini(&o->sched);
	free(o->pkt);
	xwd_reg_del(&d->reg, &o->s);
	xw_wipe(o, sizeof(*o));
	free(o);
}

/* --- receiver -------------------------------------------------------------- */

static bool from_sender(const struct xwd_ows *o, const struct xw_addr *src)
{
	if (o->any_port)
		return xw_addr_same_host(src, &o->s.peer);
	return xw_addr_equal(src, &o->s.peer);
}

/*
 * One packet from the session's sender, whatever path brought it: verified
 * (RFC 4656 4.1.2: the HMAC in constant time, decrypted, the Multiplier)
 * before anything is stored, then one record of RFC 4656 3.9 with the
 * receive time, Error Estimate and TTL the path measured.  A forged packet
 * is counted (bad-hmac) and never stored.  cnt: the path's counters
 * (reflected = recorded).
 */
static void ows_verify_store(struct xwd_ows *o, struct xwd_cnt *cnt, const uint8_t *buf, size_t len,
			     uint64_t rx_ntp, uint16_t errest, uint8_t ttl)
{
	struct codec_ow_record r;
	struct xw_tp_sender f;
	int err;

	err = xw_tp_parse_sender(&o->s.tp, o->has_crypto ? &o->s.crypto : NULL, buf, len, o->len,
				 &f);
	if (err) {
		cnt->drop[xw_tp_drop_reason(err)]++;
		if (err == XW_TP_E_HMAC)
			o->n_forged++; /* verified before recorded: never stored */
		else
			o->n_drop++;
		return;
	}
	r.seq = f.seq;
	r.send_errest = f.errest;
	r.send_ts = f.ts;
	r.recv_errest = errest;
	r.recv_ts = rx_ntp;
	r.ttl = ttl;
	if (ow_store_add(o->d->owstore, o->sid, &r)) {
		cnt->drop[XWD_DROP_STORE_FULL]++;
		o->n_drop++;
		return;
	}
	cnt->reflected++;
	o->n_stored++;
}

static void ows_rx_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xwd_ows *o = io->arg;
	uint16_t errest = xw_clock_errest(&o->d->clock, xw_clock_now_ns());
	int n, i;

	for (;;) {
		n = xw_recv_batch(o->fd, &o->rx);
		if (n <= 0)
			return;
		for (i = 0; i < n; i++) {
			const struct xw_rx_msg *m = &o->rx.msg[i];
			enum xwd_drop why = XWD_DROP_MAX;

			o->n_rx++;
			o->s.sock.rx++;
			/* --require-ipsec and IPsec no longer protects the flow: not recorded */
			/*
			 * Route-based IPsec: a cleartext copy of the flow on the outer
			 * device matches no inbound policy (it has an if_id) and lands
			 * here too; only what the xfrm interface delivered is the
			 * sender's (as refl.c's outside-tunnel).
			 */
			if (o->s.path == XFRM_PATH_NONE)
				why = XWD_DROP_NOT_PROTECTED;
			else if (!from_sender(o, &m->src))
				why = XWD_DROP_SOURCE;
			else if (o->tun_ifindex && m->ifindex != o->tun_ifindex)
				why = XWD_DROP_OUTSIDE_TUNNEL;
			else if (m->truncated)
				why = XWD_DROP_OVERSIZE;
			else if (!m->ts_valid)
				why = XWD_DROP_NO_TS; /* never a clock read after recv() */
			if (why != XWD_DROP_MAX) {
				o->s.sock.drop[why]++;
				o->n_drop++;
				continue;
			}
			ows_verify_store(o, &o->s.sock, m->buf, m->len, xw_timespec_to_ntp(&m->ts),
					 errest, m->ttl < 0 ? 255 : (uint8_t)m->ttl);
		}
	}
}

/*
 * A record from the XDP receiver (xdp.h ow_events): the same record the
 * socket path makes, with XDP's receive time.  Open mode only: nothing to
 * verify but the Multiplier (RFC 4656 4.1.2).
 */
void xwd_ows_xdp_event(void *arg, const struct xw_ow_event *e)
{
	struct xwd *d = arg;
	struct codec_ow_record r;
	struct xwd_sess *s = xwd_reg_get(&d->reg, e->port); /* O(1) per record */
	struct xwd_ows *o = s && s->kind == XWD_SESS_OWAMP_RECV ? s->owner : NULL;

	if (!o || !o->xdp)
		return; /* the session ended meanwhile */
	o->n_rx++;
	o->n_xdp++;
	r.seq = get_be32(e->seq);
	r.send_ts = get_be64(e->send_ts);
	r.send_errest = get_be16(e->send_errest);
	if (!(r.send_errest & 0xff)) {
		o->n_drop++; /* Multiplier 0: not a valid Error Estimate */
		return;
	}
	r.recv_ts = xw_ns_to_ntp(e->recv_ns);
	r.recv_errest = xw_clock_errest(&d->clock, xw_clock_now_ns());
	r.ttl = e->ttl;
	if (!ow_store_add(d->owstore, o->sid, &r))
		o->n_stored++;
	else
		o->n_drop++;
}

void xwd_ows_xsk_rx(struct xwd_sess *s, const struct xwd_pkt *in)
{
	struct xwd_ows *o = s->owner;

	o->n_rx++;
	/* --require-ipsec and IPsec no longer protects the flow: not recorded */
	if (s->path == XFRM_PATH_NONE) {
		s->xsk.drop[XWD_DROP_NOT_PROTECTED]++;
		o->n_drop++;
		return;
	}
	ows_verify_store(o, &s->xsk, in->buf, in->len, in->rx_ntp, in->errest, in->ttl);
}

/*
 * Where a BPF entry may receive now (refl.c xwd_ipsec_path(): a protected
 * flow only on its in-tunnel device, after the kernel decrypted it, or on
 * the socket, after the inbound policy check): 0 with *ifindex (0: any
 * device), or -1 (the socket only).
 */
static int ows_xdp_where(struct xwd_ows *o, int *ifindex)
{
	enum xfrm_path path;
	char why[160];

	path = xwd_ipsec_path(o->d, &o->s.local, &o->s.peer, o->name, ifindex, why, sizeof(why));
	if (path != XFRM_PATH_ANY && path != XFRM_PATH_TUNNEL)
		return -1;
	if (path == XFRM_PATH_ANY)
		*ifindex = 0;
	return 0;
}

/*
 * The XDP receiver for an open-mode session, when XDP is attached and the
 * IPsec view lets it; for an authenticated or encrypted session, when
 * AF_XDP sockets exist (xsk.c), an XW_SESS_AUTH_REDIRECT entry: the frames
 * redirected with XDP's receive time, verified and stored by
 * xwd_ows_xsk_rx(), under the same IPsec rule (AF_XDP, like XDP, runs
 * before the kernel's inbound policy).  Else the socket does it all.
 */
static void ows_xdp_add(struct xwd_ows *o)
{
	struct xwd *d = o->d;
	bool open = o->s.tp.mode == XW_TP_OPEN;
	struct xwd_xdp_sess_cfg sc = {
		.local = &o->s.local,
		.peer = &o->s.peer,
		.mode = open ? XW_SESS_OW_RECV : XW_SESS_AUTH_REDIRECT,
		.flags = o->any_port ? XW_SESS_F_ANY_SPORT : 0,
		.expect_len = (uint32_t)o->len,
	};

	if (open ? !xwd_xdp_ow_ready(d->xdp) : !d->xsk)
		return;
	if (ows_xdp_where(o, &sc.ifindex))
		return;
	/* bound to an in-tunnel device without AF_XDP sockets (tc): the socket does it */
	if (!open && sc.ifindex && !xwd_xsk_covers(d->xsk, sc.ifindex))
		return;
	if (!xwd_xdp_sess_add(d->xdp, &sc)) {
		o->xdp = true;
		o->xsk = !open;
		o->xdp_ifindex = sc.ifindex;
	}
}

/* The entry goes: what XDP or AF_XDP took so far is stored, the socket records from now on. */
static void ows_xdp_remove(struct xwd_ows *o)
{
	xwd_xdp_sess_arm(o->d->xdp, o->s.port, false);
	if (o->xsk)
		xwd_xsk_drain(o->d->xsk);
	else
		xwd_xdp_ow_drain(o->d->xdp);
	xwd_xdp_sess_del(o->d->xdp, o->s.port);
	pr_warn("owamp %s: IPsec: %s receiver entry removed", o->name, o->xsk ? "AF_XDP" : "XDP");
	o->xdp = o->xsk = false;
}

/* --- sender ---------------------------------------------------------------- */

static void skip_add(struct xwd_ows *o, uint32_t seq)
{
	o->n_skipped++;
	codec_ow_skip_note(o->skips, &o->nskips, SRV_OW_SKIPS_MAX, seq);
}

static int send_one(struct xwd_ows *o)
{
	struct xw_tp_sender f = {.seq = o->s.seq};
	uint64_t now;
	ssize_t k;
	int len;

	f.errest = xw_clock_errest(&o->d->clock, xw_clock_now_ns());
	if (o->s.tp.mode == XW_TP_ENC)
		f.ts = xw_clock_now_ntp(); /* sealed with the packet: read just before */
	len = xw_tp_build_sender(&o->s.tp, o->has_crypto ? &o->s.crypto : NULL, &f, NULL, o->pkt,
				 o->len);
	if (len < 0)
		return len;
	if (o->s.tp.mode != XW_TP_ENC) {
		/* RFC 4656 4.1.1: "the best possible approximation of its real time of departure" */
		now = xw_clock_now_ntp();
		xw_tp_stamp(o->s.tp.mode, o->pkt, (size_t)len, now, f.errest);
	}
	k = send(o->fd, o->pkt, (size_t)len, MSG_DONTWAIT);
	if (k < 0)
		return -errno;
	o->n_sent++;
	return 0;
}

/* --start-timeout: accepted, never started (as refl.c's sessions) */
static void ows_unstarted(struct xwd_ows *o)
{
	pr_warn("owamp %s: accepted but not started within %u s (--start-timeout): ending it",
		o->name, o->d->cfg->start_timeout);
	/* the state machine calls sess_end(UNSTARTED), which frees o (xwd_ows_end()) */
	if (o->conn && !xwd_conn_unstarted(o->conn, o->sid))
		return;
	if (o->recv)
		ow_store_abort(o->d->owstore, o->sid, xw_clock_now_ns());
	ows_free(o, "not started in time");
}

static void ows_tx_timer(struct xw_loop *l, struct xw_timer *t)
{
	struct xwd_ows *o = t->arg;
	uint64_t now = xw_clock_now_ntp(), late_ns;
	int err;

	if (!o->started) {
		ows_unstarted(o);
		return;
	}
	while (o->s.seq < o->npkt && o->due <= now) {
		late_ns = ntp_interval_to_ns(now - o->due);
		if (late_ns > o->timeout_ns || o->s.path == XFRM_PATH_NONE) {
			/*
			 * RFC 4656 4.1.1: "MUST NOT send the packet"; a skip range tells.
			 * So too under --require-ipsec once IPsec no longer protects it.
			 */
			skip_add(o, o->s.seq);
		} else {
			err = send_one(o);
			if (err && err != -EAGAIN && err != -ENOBUFS)
				pr_warn("owamp %s: cannot send packet %u: %s", o->name, o->s.seq,
					strerror(-err));
			if (err)
				skip_add(
					o,
					o->s.seq); /* not sent: the receiver must not count it lost */
		}
		o->s.seq++;
		if (o->s.seq < o->npkt)
			o->due = xw_ow_sched_next(&o->sched);
		now = xw_clock_now_ntp();
	}
	if (o->s.seq >= o->npkt) {
		pr_debug("owamp %s: all %u packets handled", o->name, o->npkt);
		return;
	}
	xw_timer_arm_at(l, &o->timer, xw_now_ns() + ntp_interval_to_ns(o->due - now));
}

/* --- the control side ------------------------------------------------------ */

int xwd_ows_open(struct xwd *d, struct xwd_conn *conn, struct srv_sess *s,
		 const struct xw_addr *ctl_local, const struct xw_addr *ctl_peer,
		 const char *conn_name, bool log_ok)
{
	const struct twsess_params *p = &s->params;
	const struct xwd_cfg *cfg = d->cfg;
	struct xw_udp_opts uo = XW_UDP_OPTS_TEST;
	char la[XW_ADDRSTRLEN], pa[XW_ADDRSTRLEN], why[256];
	struct xwd_ows *o;
	int tpm, rc, dscp = (int)CODEC_TYPE_P_DSCP(p->type_p);

	tpm = xw_tp_mode_of(s->mode);
	if (tpm < 0)
		return XW_ACCEPT_NOT_SUPPORTED;
	if (cfg->max_sessions_total && xwd_test_sessions(d) >= cfg->max_sessions_total) {
		if (log_ok)
			pr_warn("control %s: Request-Session: %u test sessions on this server "
				"(--max-sessions-total): Accept 5",
				conn_name, xwd_test_sessions(d));
		return XW_ACCEPT_TEMP_LIMIT;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->d = d;
	o->conn = conn;
	o->fd = -1;
	o->recv = !!p->conf_receiver;
	memcpy(o->sid, s->sid, XW_SID_LEN);
	xw_timer_init(&o->timer, ows_tx_timer, o);
	/*
	 * We receive: local = Receiver Address, peer = Sender Address:Sender Port.
	 * We send: local = Sender Address, peer = Receiver Address:Receiver Port.
	 */
	if (o->recv)
		rc = xwd_request_addr(&o->s.local, p->ipvn, p->receiver_addr, ctl_local, 0) ||
		     xwd_request_addr(&o->s.peer, p->ipvn, p->sender_addr, ctl_peer,
				      p->sender_port);
	else
		rc = xwd_request_addr(&o->s.local, p->ipvn, p->sender_addr, ctl_local, 0) ||
		     xwd_request_addr(&o->s.peer, p->ipvn, p->receiver_addr, ctl_peer,
				      p->receiver_port);
	if (rc) {
		if (log_ok)
			pr_warn("control %s: Request-Session IPv%u with zero addresses on another "
				"family: Accept 3",
				conn_name, p->ipvn);
		free(o);
		return XW_ACCEPT_NOT_SUPPORTED;
	}
	o->any_port = o->recv && !p->sender_port;
	{
		/*
		 * RFC 4656 6.2: by default only the control client's address (or
		 * one of ours) as the other end: whom we send to, whom we take
		 * packets from.  The same policy as TWAMP's reflector (policy.h).
		 */
		const struct pol_cfg pc = {.allow_sender = cfg->allow_sender,
					   .nallow = cfg->nallow};
		struct pol_req pq;
		int allowed;

		xwd_pol_addr(&o->s.peer, &pq.sender);
		xwd_pol_addr(&o->s.local, &pq.receiver);
		xwd_pol_addr(ctl_peer, &pq.ctl_peer);
		xwd_pol_addr(ctl_local, &pq.ctl_local);
		rc = pol_session(&pc, &pq, xwd_host_addr, d, &allowed, why, sizeof(why));
		if (rc != XW_ACCEPT_OK) {
			if (log_ok)
				pr_warn("control %s: Request-Session declined: %s: Accept %d",
					conn_name, why, rc);
			free(o);
			return rc;
		}
	}
	/*
	 * IPsec protection of the test flow: logged, and with --require-ipsec an
	 * unauthenticated session IPsec does not protect is declined, as TWAMP's
	 * (refl.c; xwd_xfrm_session() gives the Accept code).
	 */
	if (d->xfrm || cfg->require_ipsec) {
		char who[XW_ADDRSTRLEN * 2 + 64];

		snprintf(who, sizeof(who), "control %s: OWAMP session %s %s %s", conn_name,
			 xw_addr_fmt(&o->s.local, true, la, sizeof(la)), o->recv ? "<-" : "->",
			 xw_addr_fmt(&o->s.peer, true, pa, sizeof(pa)));
		rc = xwd_xfrm_session(d->xfrm, &o->s.local, &o->s.peer, tpm == XW_TP_OPEN,
				      cfg->require_ipsec, who);
		if (rc != XW_ACCEPT_OK) {
			free(o);
			return rc;
		}
		/* followed for the session's life (xwd_ows_ipsec_changed()) */
		o->ipsec_watch = tpm == XW_TP_OPEN && d->xfrm;
	}
	if (!o->recv && !xw_addr_port(&o->s.peer)) {
		if (log_ok)
			pr_warn("control %s: Request-Session: we are to send, but to port 0: "
				"Accept 3",
				conn_name);
		free(o);
		return XW_ACCEPT_NOT_SUPPORTED;
	}
	o->s.tp.mode = (enum xw_tp_mode)tpm;
	o->s.tp.padding_len = p->padding_len;
	o->len = xw_tp_sender_len(&o->s.tp);
	if (o->len > XW_TP_MAX_LEN) {
		if (log_ok)
			pr_warn("control %s: Request-Session with padding %u: too big: Accept 3",
				conn_name, p->padding_len);
		free(o);
		return XW_ACCEPT_NOT_SUPPORTED;
	}
	if (s->has_keys) {
		rc = xw_tp_crypto_init(&o->s.crypto, &s->keys);
		if (rc) {
			free(o);
			return rc;
		}
		o->has_crypto = true;
	}
	o->timeout_ns = ntp_interval_to_ns(p->timeout);
	o->npkt = p->num_packets;
	uo.dscp = dscp;
	uo.rx_dst = o->recv; /* the receiving device: route-based IPsec (ows_rx_event()) */
	if (cfg->port_lo)
		o->fd = xw_udp_open_range(&o->s.local, cfg->port_lo, cfg->port_hi, &uo);
	else
		o->fd = xw_udp_open(&o->s.local, &uo);
	if (o->fd < 0 || xw_sock_local(o->fd, &o->s.local)) {
		rc = o->fd;
		if (log_ok)
			pr_warn("control %s: cannot open an OWAMP-Test socket on %s: %s: Accept 5",
				conn_name, xw_addr_fmt(&o->s.local, false, la, sizeof(la)),
				strerror(rc < 0 ? -rc : EIO));
		if (o->fd >= 0)
			close(o->fd);
		xw_tp_crypto_free(&o->s.crypto);
		free(o);
		return XW_ACCEPT_TEMP_LIMIT;
	}
	if (o->recv) {
		/* the store keeps the reproduction of RFC 4656 3.9: our SID and port in it */
		codec_request_session_fixup(s->ow_req, s->ow_req_len, s->sid, p->sender_port,
					    xw_addr_port(&o->s.local));
		rc = xw_rxbatch_init(&o->rx, 16, o->len + 1);
		if (!rc)
			rc = ow_store_open(d->owstore, s->ow_req, s->ow_req_len, xw_clock_now_ns());
		if (!rc)
			rc = xw_loop_add(&d->loop, &o->io, o->fd, EPOLLIN, ows_rx_event, o);
		if (rc) {
			if (log_ok)
				pr_warn("control %s: cannot store the session (%s): Accept %d",
					conn_name, strerror(-rc),
					rc == -ENOSPC ? XW_ACCEPT_PERM_LIMIT
						      : XW_ACCEPT_TEMP_LIMIT);
			goto refuse;
		}
	} else {
		rc = connect(o->fd, &o->s.peer.sa, o->s.peer.len) ? -errno : 0;
		o->pkt = malloc(o->len);
		if (rc || !o->pkt)
			goto refuse;
	}
	snprintf(o->name, sizeof(o->name), "%s %s %s %s", conn_name,
		 xw_addr_fmt(&o->s.local, true, la, sizeof(la)), o->recv ? "<-" : "->",
		 xw_addr_fmt(&o->s.peer, true, pa, sizeof(pa)));
	o->s.port = xw_addr_port(&o->s.local);
	o->s.kind = o->recv ? XWD_SESS_OWAMP_RECV : XWD_SESS_OWAMP_SEND;
	o->s.owner = o;
	rc = xwd_reg_add(&d->reg, &o->s);
	if (rc) {
		if (log_ok)
			pr_warn("control %s: OWAMP-Test port %u: another test session has it: "
				"Accept 5",
				conn_name, o->s.port);
		rc = -EADDRINUSE;
		goto refuse;
	}
	s->port = o->s.port;
	s->user = o;
	if (o->ipsec_watch)
		o->s.path = xwd_ipsec_path(d, &o->s.local, &o->s.peer, o->name, &o->tun_ifindex,
					   why, sizeof(why));
	if (o->recv)
		ows_xdp_add(o);
	/* a session that is never started must not hold its port and store slot */
	xw_timer_arm(&d->loop, &o->timer, xwd_s_to_ns(d->cfg->start_timeout));
	pr_info("owamp %s: %s session of %u packets accepted, %s%s%s", o->name,
		o->recv ? "receive" : "send", o->npkt,
		o->xsk	  ? "receiver: AF_XDP on "
		: o->xdp  ? "receiver: XDP"
		: o->recv ? "receiver: socket"
			  : "sender: socket",
		o->xsk ? xwd_xsk_where(d->xsk) : "",
		o->xsk ? " (socket for packets arriving elsewhere)" : "");
	return XW_ACCEPT_OK;
refuse:
	xw_loop_del(&d->loop, &o->io);
	close(o->fd);
	xw_rxbatch_free(&o->rx);
	xw_tp_crypto_free(&o->s.crypto);
	free(o->pkt);
	free(o);
	return rc == -ENOSPC ? XW_ACCEPT_PERM_LIMIT : XW_ACCEPT_TEMP_LIMIT;
}

int xwd_ows_start(struct xwd_ows *o, const struct srv_sess *s)
{
	struct codec_request_session rq;
	int rc;

	o->started = true;
	xw_timer_cancel(&o->d->loop, &o->timer); /* the start timeout */
	if (o->recv) {
		if (o->xdp)
			xwd_xdp_sess_arm(o->d->xdp, o->s.port, true);
		return XW_ACCEPT_OK;
	}
	/* the schedule the receiver will compute: from the SID, slots and Start Time */
	if (codec_request_session_decode(&rq, s->ow_req, s->ow_req_len))
		return XW_ACCEPT_INTERNAL;
	rc = xw_ow_sched_init_req(&o->sched, &rq, o->sid);
	if (rc)
		return XW_ACCEPT_INTERNAL;
	o->s.seq = 0;
	o->due = xw_ow_sched_next(&o->sched);
	/* RFC 4656 3.7: after Start-Ack or at the start time, whichever is later */
	ows_tx_timer(&o->d->loop, &o->timer);
	return XW_ACCEPT_OK;
}

void xwd_ows_sent(const struct xwd_ows *o, uint32_t *next_seqno, struct codec_ow_skip *skips,
		  uint32_t *nskips)
{
	uint32_t n = o->nskips < *nskips ? o->nskips : *nskips;

	*next_seqno = o->s.seq;
	memcpy(skips, o->skips, n * sizeof(*skips));
	*nskips = n;
}

void xwd_ows_end(struct xwd_ows *o, struct srv_sess *s, enum srv_end why)
{
	struct xwd *d = o->d;
	uint64_t now = xw_clock_now_ns();
	int rc;

	if (o->recv) {
		/* drain what XDP and the kernel hold before the records are closed */
		if (o->xdp) {
			xwd_xdp_sess_arm(d->xdp, o->s.port, false);
			if (o->xsk)
				xwd_xsk_drain(d->xsk);
			else
				xwd_xdp_ow_drain(d->xdp);
		}
		ows_rx_event(&d->loop, &o->io, EPOLLIN);
		if (why == SRV_END_STOP && s->ow_stop_ok) {
			rc = ow_store_stop(d->owstore, o->sid, s->ow_next_seqno, s->ow_skips,
					   s->ow_nskips, xw_ns_to_ntp(now),
					   xw_clock_errest(&d->clock, now), now);
			if (rc)
				pr_warn("owamp %s: the session's data is invalid (%s)", o->name,
					strerror(-rc));
		} else {
			ow_store_abort(d->owstore, o->sid, now);
		}
	}
	ows_free(o, why == SRV_END_STOP	       ? "Stop-Sessions"
		    : why == SRV_END_UNSTARTED ? "not started in time"
					       : "ended");
}

/* One session after an xfrm change: its path again; any change removes the XDP entry. */
static void ows_ipsec_one(struct xwd_sess *s, void *arg)
{
	struct xwd_ows *o = s->owner;
	enum xfrm_path old = o->s.path;
	char why[1024];
	int old_if = o->tun_ifindex;

	(void)arg;
	if (!o->ipsec_watch) {
		int ifx;

		/* authenticated/encrypted: the AF_XDP entry only where IPsec allows it */
		if (o->xdp && (ows_xdp_where(o, &ifx) || ifx != o->xdp_ifindex))
			ows_xdp_remove(o);
		return;
	}
	o->s.path = xwd_ipsec_path(o->d, &o->s.local, &o->s.peer, o->name, &o->tun_ifindex, why,
				   sizeof(why));
	if (o->s.path == old && o->tun_ifindex == old_if)
		return;
	xw_log(o->s.path >= XFRM_PATH_SOCKET ? XW_LOG_WARN : XW_LOG_INFO,
	       "owamp %s: IPsec changed: test flow %s: %s -> %s", o->name, why, xfrm_path_name(old),
	       xfrm_path_name(o->s.path));
	if (o->xdp)
		ows_xdp_remove(o);
	if (o->s.path == XFRM_PATH_NONE)
		pr_warn("owamp %s: --require-ipsec and the test flow is not protected by IPsec: "
			"nothing %s",
			o->name, o->recv ? "recorded" : "sent");
}

void xwd_ows_ipsec_changed(struct xwd *d)
{
	xwd_reg_each(&d->reg, XWD_SESS_OWAMP_RECV, ows_ipsec_one, NULL);
	xwd_reg_each(&d->reg, XWD_SESS_OWAMP_SEND, ows_ipsec_one, NULL);
}

static void ows_free_one(struct xwd_sess *s, void *arg)
{
	struct xwd_ows *o = s->owner;

	if (o->recv)
		ow_store_abort(o->d->owstore, o->sid, xw_clock_now_ns());
	ows_free(o, arg);
}

void xwd_ows_free_all(struct xwd *d)
{
	xwd_reg_each(&d->reg, XWD_SESS_OWAMP_RECV, ows_free_one, "shutdown");
	xwd_reg_each(&d->reg, XWD_SESS_OWAMP_SEND, ows_free_one, "shutdown");
}

static void ows_status_one(struct xwd_sess *s, void *arg)
{
	const struct xwd_ows *o = s->owner;
	char paths[512];

	(void)arg;
	ows_path_counts(o, paths, sizeof(paths));
	pr_info("owamp %s: %s: rx %llu recorded %llu forged %llu dropped %llu sent %llu "
		"skipped %llu%s",
		o->name, o->recv ? "receiver" : "sender", (unsigned long long)o->n_rx,
		(unsigned long long)o->n_stored, (unsigned long long)o->n_forged,
		(unsigned long long)o->n_drop, (unsigned long long)o->n_sent,
		(unsigned long long)o->n_skipped, paths);
}

void xwd_ows_status(struct xwd *d)
{
	xwd_reg_each(&d->reg, XWD_SESS_OWAMP_RECV, ows_status_one, NULL);
	xwd_reg_each(&d->reg, XWD_SESS_OWAMP_SEND, ows_status_one, NULL);
	if (d->owstore)
		pr_info("owamp store: %u sessions, %llu records reserved, %llu dropped",
			ow_store_nsessions(d->owstore),
			(unsigned long long)ow_store_nrecords(d->owstore),
			(unsigned long long)ow_store_dropped(d->owstore));
}
