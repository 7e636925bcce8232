// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwping as an OWAMP client (RFC 4656): Control-Client, Session-Sender
 * (to the server, -t), Session-Receiver (from the server, -f) and
 * Fetch-Client, in one blocking conversation:
 *
 *   greeting -> Set-Up-Response -> Server-Start           (RFC 4656 3.1)
 *   Request-Session for each direction -> Accept-Session   (3.5)
 *   Start-Sessions -> Start-Ack                            (3.7)
 *   send on the schedule of 3.6/5 and receive, for the last packet's
 *   scheduled time + Timeout (--wait)
 *   Stop-Sessions <-> the server's Stop-Sessions           (3.8)
 *   Fetch-Session of what the server received -> data      (3.9)
 *
 * The control messages go through control/codec.h and control/chan.h (no
 * copy of the protocol here), the schedule is control/schedule.h (the
 * server computes the same one), the one-way statistics control/stats.h.
 * Receive timestamps are the kernel's (SO_TIMESTAMPNS); the sender's
 * timestamp is read just before each packet leaves.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chan.h"
#include "clock.h"
#include "codec.h"
#include "crypto.h"
#include "keyfile.h"
#include "keysrc.h"
#include "log.h"
#include "net.h"
#include "schedule.h"
#include "stats.h"
#include "testpkt.h"
#include "owclient.h"
#include "xwamp/ntp.h"
#include "xwamp/wire.h"

#define OW_SKIPS_MAX 64
#define NS	     1000000000ull

struct ow_dir {
	bool on;
	bool to_server; /* we send (the server receives) */
	uint8_t sid[XW_SID_LEN];
	uint16_t port; /* the server's test port */
	int fd;
	struct xw_addr local;
	uint8_t req[CODEC_OW_REQUEST_LEN(1)];
	struct xw_ow_sched sched;
	struct xw_tp_crypto crypto;
	bool has_crypto;
	/* results */
	struct codec_ow_record *rec;
	size_t nrec, caprec;
	uint32_t next_seqno;
	struct codec_ow_skip skips[OW_SKIPS_MAX];
	uint32_t nskips;
	uint64_t forged, dropped;
};

struct ow_cli {
	const struct xwping_cfg *cfg;
	int fd;
	struct chan ch;
	uint32_t mode;
	struct xw_session_keys keys;
	struct xw_clock clock;
	struct xw_addr local, peer;
	struct xw_tp_cfg tp;
	size_t pkt_len;
	struct ow_dir dir[2];	  /* [0] to the server, [1] from it */
	const struct xw_key *ike; /* RFC 7717 key and SPIs KeyID (--owamp-ikev2), NULL: none */
};

/* --- control I/O ----------------------------------------------------------- */

static int read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = recv(fd, buf + got, n - got, 0);

		if (k == 0)
			return -ECONNRESET;
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)k;
	}
	return 0;
}

static int write_full(int fd, const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t k = send(fd, buf, n, MSG_NOSIGNAL);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Seal one HMAC-ended part and send it. */
static int ctl_send(struct ow_cli *c, uint8_t *buf, size_t len)
{
	int rc = chan_seal(&c->ch, buf, len);

	return rc ? rc : write_full(c->fd, buf, len);
}

/* Receive and open one part of exactly len octets. */
static int ctl_recv(struct ow_cli *c, uint8_t *buf, size_t len)
{
	int rc = read_full(c->fd, buf, len);

	return rc ? rc : chan_open(&c->ch, buf, len);
}

/* A message whose length the codec tells from its beginning (server Stop-Sessions). */
static int ctl_recv_framed(struct ow_cli *c, enum codec_msg type, uint8_t **out, size_t *outlen)
{
	size_t have = 0, cap = 256;
	uint8_t *buf = malloc(cap);
	int n, rc;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = chan_next_len(&c->ch, type, buf, have);
		if (n < 0) {
			free(buf);
			return n;
		}
		if (n > 0)
			break;
		if (have + XW_BLOCK_LEN > cap) {
			uint8_t *b = realloc(buf, cap * 2);

			if (!b || cap > (1u << 20)) {
				free(b ? b : buf);
				return -EMSGSIZE;
			}
			buf = b;
			cap *= 2;
		}
		rc = read_full(c->fd, buf + have, XW_BLOCK_LEN);
		if (rc) {
			free(buf);
			return rc;
		}
		have += XW_BLOCK_LEN;
	}
	if ((size_t)n > cap) {
		uint8_t *b = realloc(buf, (size_t)n);

		if (!b) {
			free(buf);
			return -ENOMEM;
		}
		buf = b;
	}
	rc = read_full(c->fd, buf + have, (size_t)n - have);
	if (!rc)
		rc = chan_open(&c->ch, buf, (size_t)n);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*outlen = (size_t)n;
	return 0;
}

/* --- setup (RFC 4656 3.1) --------------------------------------------------- */

static uint32_t choose_mode(const struct xwping_cfg *cfg, uint32_t offered, bool have_key, bool ike)
{
	/* with an IKE key, the keyed modes -A allows for it (cfg.c validate()) */
	uint32_t allowed = (cfg->modes | (ike ? cfg->ike_modes : 0)) &
			   (XW_MODE_OPEN | XW_MODE_AUTH | XW_MODE_ENCRYPTED);

	if (have_key && (!cfg->modes_given || ike))
		allowed &= ~(uint32_t)XW_MODE_OPEN; /* README: no silent fallback with a key */
	if (!have_key)
		allowed &= XW_MODE_OPEN;
	allowed &= offered;
	if (allowed & XW_MODE_ENCRYPTED)
		return XW_MODE_ENCRYPTED;
	if (allowed & XW_MODE_AUTH)
		return XW_MODE_AUTH;
	return allowed & XW_MODE_OPEN;
}

static int setup(struct ow_cli *c, const uint8_t *secret, size_t secret_len)
{
	const struct xwping_cfg *cfg = c->cfg;
	struct codec_greeting g;
	struct codec_setup_response r = {0};
	struct codec_server_start ss;
	uint8_t buf[XW_SETUP_RESPONSE_LEN], kek[XW_AES_KEY_LEN];
	bool use_ike;
	int rc;

	rc = read_full(c->fd, buf, XW_GREETING_LEN);
	if (rc)
		return rc;
	rc = codec_greeting_decode(&g, buf, XW_GREETING_LEN);
	if (rc)
		return rc;
	if (!g.modes) {
		pr_err("the server does not wish to communicate (Modes 0)");
		return -ECONNREFUSED;
	}
	/*
	 * RFC 7717 5.2: the IKEv2-derived key when the server offers the bit
	 * and we have a key for it (asked for with --owamp-ikev2), else the
	 * passphrase.  The KeyID then carries the IKE SA's SPIs (5.1).
	 */
	use_ike = c->ike && c->ike->len && (g.modes & XW_MODE_IKEV2_DERIV);
	if (use_ike) {
		secret = c->ike->secret;
		secret_len = c->ike->len;
	} else if (c->ike) {
		pr_warn("the server does not offer IKEv2-derived keys on OWAMP (Modes 0x%x): %s",
			g.modes, secret_len ? "passphrase" : "no key");
	}
	c->mode = choose_mode(cfg, g.modes, secret_len > 0, use_ike);
	r.mode = c->mode;
	if (use_ike && c->mode != XW_MODE_OPEN && c->mode)
		r.mode |= XW_MODE_IKEV2_DERIV;
	if (c->mode != XW_MODE_OPEN && g.count > cfg->max_count) {
		pr_err("greeting Count %u above --max-count %u (RFC 5357 6)", g.count,
		       cfg->max_count);
		c->mode = 0;
		r.mode = 0;
	}
	if (!c->mode)
		pr_err("the server offers modes 0x%x, none we may use: Mode 0", g.modes);
	rc = xw_random(r.client_iv, sizeof(r.client_iv));
	if (!rc)
		rc = xw_random((uint8_t *)&c->keys, sizeof(c->keys));
	if (!rc && c->mode && c->mode != XW_MODE_OPEN) {
		if (r.mode & XW_MODE_IKEV2_DERIV)
			memcpy(r.keyid, c->ike->keyid, XW_KEYID_LEN);
		else
			xw_keyid_pad(cfg->keyid, r.keyid);
		rc = xw_pbkdf2_sha1(secret, secret_len, g.salt, sizeof(g.salt), g.count, kek,
				    sizeof(kek));
		if (!rc)
			rc = xw_token_encrypt(kek, g.challenge, &c->keys, r.token);
		xw_wipe(kek, sizeof(kek));
	}
	if (rc)
		return rc;
	codec_setup_response_encode(&r, buf, sizeof(buf));
	rc = write_full(c->fd, buf, sizeof(buf));
	if (rc || !c->mode)
		return rc ? rc : -ECONNREFUSED;
	rc = read_full(c->fd, buf, XW_SERVER_START_LEN);
	if (!rc)
		rc = codec_server_start_decode(&ss, buf, XW_SERVER_START_LEN);
	if (rc)
		return rc;
	if (ss.accept != XW_ACCEPT_OK) {
		pr_err("Server-Start: Accept %u (%s)", ss.accept,
		       ss.accept == 1 ? "failure: unknown KeyID or wrong passphrase" : "refused");
		return -EACCES;
	}
	rc = chan_init(&c->ch, CHAN_ROLE_CLIENT, c->mode, &c->keys, r.client_iv, ss.server_iv);
	if (!rc)
		rc = chan_open_server_start(&c->ch, buf);
	return rc;
}

/* --- sessions ---------------------------------------------------------------- */

static void raw_addr(const struct xw_addr *a, uint8_t raw[16])
{
	memset(raw, 0, 16);
	if (a->sa.sa_family == AF_INET6)
		memcpy(raw, &a->in6.sin6_addr, 16);
	else
		memcpy(raw, &a->in.sin_addr, 4);
}

static int request(struct ow_cli *c, struct ow_dir *d, uint64_t start_ntp)
{
	const struct xwping_cfg *cfg = c->cfg;
	struct codec_ow_slot slot = {
		.type = cfg->schedule == XW_SCHED_POISSON ? CODEC_SLOT_EXP : CODEC_SLOT_FIXED,
		.param = xw_fix_from_ns((uint64_t)(cfg->interval * 1e9)),
	};
	struct codec_request_session m = {0};
	struct codec_accept_session a;
	struct xw_udp_opts uo = XW_UDP_OPTS_TEST;
	uint8_t buf[CODEC_OW_REQUEST_LEN(1)], out[XW_ACCEPT_SESSION_LEN];
	int rc;

	d->local = c->local;
	uo.dscp = cfg->dscp;
	if (cfg->port_lo)
		d->fd = xw_udp_open_range(&d->local, cfg->port_lo, cfg->port_hi, &uo);
	else {
		xw_addr_set_port(&d->local, 0);
		d->fd = xw_udp_open(&d->local, &uo);
	}
	if (d->fd < 0 || xw_sock_local(d->fd, &d->local))
		return d->fd < 0 ? d->fd : -EIO;
	m.f.ipvn = c->local.sa.sa_family == AF_INET6 ? 6 : 4;
	m.f.conf_receiver = d->to_server;
	m.f.conf_sender = !d->to_server;
	m.f.num_slots = 1;
	m.f.num_packets = cfg->count;
	raw_addr(d->to_server ? &c->local : &c->peer, m.f.sender_addr);
	raw_addr(d->to_server ? &c->peer : &c->local, m.f.receiver_addr);
	if (d->to_server) {
		m.f.sender_port = xw_addr_port(&d->local);
	} else {
		/* RFC 4656 3.5: the receiver (we) chooses the SID: address, time, random */
		m.f.receiver_port = xw_addr_port(&d->local);
		raw_addr(&c->local, m.f.sid);
		if (c->local.sa.sa_family == AF_INET6)
			memmove(m.f.sid, m.f.sid + 12, 4);
		put_be64(m.f.sid + 4, xw_clock_now_ntp());
		rc = xw_random(m.f.sid + 12, 4);
		if (rc)
			return rc;
	}
	m.f.padding_len = cfg->padding == XWPING_PAD_AUTO ? 0 : (uint32_t)cfg->padding;
	m.f.start_time = start_ntp;
	m.f.timeout = xw_fix_from_ns((uint64_t)(cfg->wait * 1e9)); /* loss threshold */
	m.f.type_p = CODEC_TYPE_P_FROM_DSCP(cfg->dscp);
	m.slots = &slot;
	rc = codec_request_session_encode(&m, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	memcpy(d->req, buf, sizeof(buf));
	rc = ctl_send(c, buf, CODEC_OW_REQUEST_HMAC1_END);
	if (!rc)
		rc = ctl_send(c, buf + CODEC_OW_REQUEST_HMAC1_END,
			      sizeof(buf) - CODEC_OW_REQUEST_HMAC1_END);
	if (!rc)
		rc = ctl_recv(c, out, sizeof(out));
	if (!rc)
		rc = codec_accept_session_decode(&a, c->mode, out, sizeof(out));
	if (rc)
		return rc;
	if (a.accept != XW_ACCEPT_OK) {
		pr_err("Request-Session (%s the server): Accept %u", d->to_server ? "to" : "from",
		       a.accept);
		return -EACCES;
	}
	d->port = a.port;
	memcpy(d->sid, d->to_server ? a.sid : m.f.sid, XW_SID_LEN);
	if (c->mode != XW_MODE_OPEN) {
		rc = xw_tp_crypto_init_sid(&d->crypto, &c->keys, d->sid);
		if (rc)
			return rc;
		d->has_crypto = true;
	}
	rc = xw_ow_sched_init(&d->sched, d->sid, &slot, 1, start_ntp);
	if (rc)
		return rc;
	if (d->to_server) {
		struct xw_addr dst = c->peer;

		xw_addr_set_port(&dst, d->port);
		if (connect(d->fd, &dst.sa, dst.len))
			return -errno;
	}
	d->on = true;
	return 0;
}

static void rec_add(struct ow_dir *d, const struct codec_ow_record *r)
{
	if (d->nrec == d->caprec) {
		size_t cap = d->caprec ? 2 * d->caprec : 256;
		struct codec_ow_record *n = realloc(d->rec, cap * sizeof(*n));

		if (!n) {
			d->dropped++;
			return;
		}
		d->rec = n;
		d->caprec = cap;
	}
	d->rec[d->nrec++] = *r;
}

/* Our receiver: every datagram from the server's port, verified, with the kernel's time. */
static void receive(struct ow_cli *c, struct ow_dir *d, struct xw_rxbatch *rx)
{
	uint16_t errest = xw_clock_errest(&c->clock, xw_clock_now_ns());
	int n, i;

	while ((n = xw_recv_batch(d->fd, rx)) > 0) {
		for (i = 0; i < n; i++) {
			const struct xw_rx_msg *m = &rx->msg[i];
			struct xw_tp_sender f;
			struct codec_ow_record r;
			int err;

			if (!xw_addr_same_host(&m->src, &c->peer) ||
			    xw_addr_port(&m->src) != d->port || !m->ts_valid || m->truncated) {
				d->dropped++;
				continue;
			}
			err = xw_tp_parse_sender(&c->tp, d->has_crypto ? &d->crypto : NULL, m->buf,
						 m->len, c->pkt_len, &f);
			if (err) {
				if (err == XW_TP_E_HMAC)
					d->forged++;
				else
					d->dropped++;
				continue;
			}
			r = (struct codec_ow_record){
				.seq = f.seq,
				.send_errest = f.errest,
				.recv_errest = errest,
				.send_ts = f.ts,
				.recv_ts = xw_timespec_to_ntp(&m->ts),
				.ttl = m->ttl < 0 ? 255 : (uint8_t)m->ttl,
			};
			rec_add(d, &r);
		}
	}
}

static int send_packet(struct ow_cli *c, struct ow_dir *d, uint32_t seq, uint8_t *pkt)
{
	struct xw_tp_sender f = {.seq = seq};
	int len;

	f.errest = xw_clock_errest(&c->clock, xw_clock_now_ns());
	if (c->tp.mode == XW_TP_ENC)
		f.ts = xw_clock_now_ntp();
	len = xw_tp_build_sender(&c->tp, d->has_crypto ? &d->crypto : NULL, &f, NULL, pkt,
				 c->pkt_len);
	if (len < 0)
		return len;
	if (c->tp.mode != XW_TP_ENC) /* the time of departure, read last (RFC 4656 4.1.1) */
		xw_tp_stamp(c->tp.mode, pkt, (size_t)len, xw_clock_now_ntp(), f.errest);
	return send(d->fd, pkt, (size_t)len, 0) < 0 ? -errno : 0;
}

static void skip_add(struct ow_dir *d, uint32_t seq)
{
	codec_ow_skip_note(d->skips, &d->nskips, OW_SKIPS_MAX, seq);
}

/* Send on the schedule and receive until the last packet's time + Timeout. */
static int run_test(struct ow_cli *c)
{
	const struct xwping_cfg *cfg = c->cfg;
	struct ow_dir *to = &c->dir[0], *from = &c->dir[1];
	uint64_t due = 0, end_ntp = 0, last_from = 0, now, wait_ns = (uint64_t)(cfg->wait * 1e9);
	struct xw_rxbatch rx = {0};
	uint8_t *pkt = malloc(c->pkt_len);
	uint32_t seq = 0, k;
	int rc = 0;

	if (!pkt || (from->on && xw_rxbatch_init(&rx, 16, c->pkt_len + 1))) {
		free(pkt);
		return -ENOMEM;
	}
	if (to->on)
		due = xw_ow_sched_next(&to->sched);
	if (from->on) /* when the server's last packet is due: we listen until then + Timeout */
		last_from = xw_ow_sched_time_of(&from->sched, cfg->count - 1);
	for (;;) {
		struct pollfd p = {.fd = from->on ? from->fd : -1, .events = POLLIN};
		int64_t ms;

		now = xw_clock_now_ntp();
		while (to->on && seq < cfg->count && due <= now) {
			if (xw_ntp_to_ns(now) - xw_ntp_to_ns(due) > wait_ns)
				skip_add(to, seq); /* RFC 4656 4.1.1: too late, MUST NOT send */
			else if (send_packet(c, to, seq, pkt))
				skip_add(to, seq);
			seq++;
			if (seq < cfg->count)
				due = xw_ow_sched_next(&to->sched);
			now = xw_clock_now_ntp();
		}
		if (!end_ntp && (!to->on || seq >= cfg->count)) {
			uint64_t last = to->on ? due : 0;

			if (from->on && last_from > last)
				last = last_from;
			end_ntp = xw_ns_to_ntp(xw_ntp_to_ns(last > now ? last : now) + wait_ns);
		}
		if (end_ntp && now >= end_ntp)
			break;
		if (to->on && seq < cfg->count)
			ms = (int64_t)(xw_ntp_to_ns(due) / 1000000) -
			     (int64_t)(xw_ntp_to_ns(now) / 1000000);
		else
			ms = (int64_t)(xw_ntp_to_ns(end_ntp) / 1000000) -
			     (int64_t)(xw_ntp_to_ns(now) / 1000000);
		if (ms < 0)
			ms = 0;
		if (ms > 200)
			ms = 200;
		k = (uint32_t)poll(&p, 1, (int)ms);
		if (k > 0 && from->on)
			receive(c, from, &rx);
	}
	if (from->on)
		receive(c, from, &rx);
	to->next_seqno = seq;
	xw_rxbatch_free(&rx);
	free(pkt);
	return rc;
}

/* Stop-Sessions both ways (RFC 4656 3.8), then the server's side of -f. */
static int stop(struct ow_cli *c)
{
	struct ow_dir *to = &c->dir[0], *from = &c->dir[1];
	struct codec_ow_stop_rec rec = {0};
	struct codec_ow_stop st;
	uint8_t buf[16 + 16 + CODEC_OW_STOP_REC_LEN(OW_SKIPS_MAX)], *in = NULL;
	size_t inlen, off = 0;
	uint32_t i;
	int len, rc;

	if (to->on) {
		memcpy(rec.sid, to->sid, XW_SID_LEN);
		rec.next_seqno = to->next_seqno;
		rec.num_skips = to->nskips;
		rec.skips = to->skips;
	}
	len = codec_ow_stop_sessions_encode(XW_ACCEPT_OK, &rec, to->on ? 1 : 0, buf, sizeof(buf));
	if (len < 0)
		return len;
	rc = ctl_send(c, buf, (size_t)len);
	if (!rc)
		rc = ctl_recv_framed(c, CODEC_MSG_OW_STOP_SESSIONS, &in, &inlen);
	if (rc)
		return rc;
	rc = codec_ow_stop_sessions_decode(&st, in, inlen);
	if (!rc && st.num_sessions != (from->on ? 1u : 0u)) {
		pr_err("the server's Stop-Sessions describes %u sessions, it sends %u (RFC 4656 "
		       "3.8)",
		       st.num_sessions, from->on ? 1 : 0);
		rc = -EBADMSG;
	}
	for (i = 0; !rc && i < st.num_sessions; i++) {
		codec_ow_stop_rec_at(&st, &off, &rec);
		if (memcmp(rec.sid, from->sid, XW_SID_LEN) || rec.next_seqno > c->cfg->count) {
			rc = -EBADMSG;
			break;
		}
		from->next_seqno = rec.next_seqno;
		from->nskips = rec.num_skips < OW_SKIPS_MAX ? rec.num_skips : OW_SKIPS_MAX;
		for (i = 0; i < from->nskips; i++)
			codec_ow_skip_at(rec.skip_bytes, i, &from->skips[i]);
	}
	if (!rc && st.accept != XW_ACCEPT_OK) {
		pr_err("the server stops with Accept %u: results are invalid", st.accept);
		rc = -EBADMSG;
	}
	free(in);
	return rc;
}

/* Fetch-Session of the complete session the server received (RFC 4656 3.9). */
static int fetch(struct ow_cli *c, struct ow_dir *d)
{
	struct codec_fetch_session q = {CODEC_FETCH_ALL_BEGIN, CODEC_FETCH_ALL_END, {0}};
	struct codec_fetch_ack fa;
	struct codec_request_session rs;
	uint8_t buf[CODEC_FETCH_SESSION_LEN], req[CODEC_OW_REQUEST_HMAC1_END], *data, *full;
	size_t len, i, rlen;
	uint32_t nslots;
	int rc;

	memcpy(q.sid, d->sid, XW_SID_LEN);
	codec_fetch_session_encode(&q, buf, sizeof(buf));
	rc = ctl_send(c, buf, sizeof(buf));
	if (!rc)
		rc = ctl_recv(c, buf, CODEC_FETCH_ACK_LEN);
	if (!rc)
		rc = codec_fetch_ack_decode(&fa, buf, CODEC_FETCH_ACK_LEN);
	if (rc)
		return rc;
	if (fa.accept != XW_ACCEPT_OK) {
		pr_err("Fetch-Session: Fetch-Ack Accept %u", fa.accept);
		return -EACCES;
	}
	rc = ctl_recv(c, req, CODEC_OW_REQUEST_HMAC1_END);
	if (rc)
		return rc;
	nslots = get_be32(req + 4);
	if (!nslots || nslots > CODEC_OW_SLOTS_MAX)
		return -EBADMSG;
	rlen = CODEC_OW_REQUEST_LEN(nslots);
	full = malloc(rlen);
	if (!full)
		return -ENOMEM;
	memcpy(full, req, CODEC_OW_REQUEST_HMAC1_END);
	rc = ctl_recv(c, full + CODEC_OW_REQUEST_HMAC1_END, rlen - CODEC_OW_REQUEST_HMAC1_END);
	if (!rc)
		rc = codec_request_session_decode(&rs, full, rlen);
	if (!rc && memcmp(rs.f.sid, d->sid, XW_SID_LEN))
		rc = -EBADMSG;
	free(full);
	if (rc)
		return rc;
	len = CODEC_OW_SKIPS_PART_LEN(fa.num_skips);
	if (fa.num_records > 100000000u)
		return -EMSGSIZE;
	if (CODEC_OW_RECORDS_PART_LEN(fa.num_records) > len)
		len = CODEC_OW_RECORDS_PART_LEN(fa.num_records);
	data = malloc(len);
	if (!data)
		return -ENOMEM;
	rc = ctl_recv(c, data, CODEC_OW_SKIPS_PART_LEN(fa.num_skips));
	if (!rc)
		rc = codec_ow_skips_check(data, fa.num_skips, fa.next_seqno);
	if (!rc) {
		d->nskips = fa.num_skips < OW_SKIPS_MAX ? fa.num_skips : OW_SKIPS_MAX;
		for (i = 0; i < d->nskips; i++)
			codec_ow_skip_at(data, (uint32_t)i, &d->skips[i]);
		rc = ctl_recv(c, data, CODEC_OW_RECORDS_PART_LEN(fa.num_records));
	}
	for (i = 0; !rc && i < fa.num_records; i++) {
		struct codec_ow_record r;

		codec_ow_record_decode(&r, data + i * CODEC_OW_RECORD_LEN);
		rec_add(d, &r);
	}
	if (!rc && fa.finished)
		d->next_seqno = fa.next_seqno;
	free(data);
	return rc;
}

/* --- output ------------------------------------------------------------------- */

static void print_dir(const struct ow_cli *c, const struct ow_dir *d, FILE *f, bool json,
		      bool first)
{
	struct xw_stats_session *s = xw_stats_new();
	struct xw_stats_result r;
	struct xw_ow_summary sum;
	const char *name = d->to_server ? "to_server" : "from_server";
	int rc;

	if (!s)
		return;
	rc = xw_stats_from_owamp(s, d->rec, d->nrec, d->next_seqno, d->skips, d->nskips, &sum);
	if (!rc)
		rc = xw_stats_compute(s, NULL, &r);
	if (rc) {
		fprintf(f, json ? "%s\"%s\":{\"invalid\":true}" : "%s%s: results invalid (%d)\n",
			json && !first ? "," : "", name, rc);
		xw_stats_free(s);
		return;
	}
	if (json) {
		fprintf(f,
			"%s\"%s\":{\"sid\":\"%08x%08x%08x%08x\",\"sent\":%llu,\"skipped\":%llu,"
			"\"received\":%llu,\"lost\":%llu,\"loss_ratio\":%.6f,\"duplicates\":%llu,"
			"\"reordered\":%llu,\"unsync\":%s,\"forged\":%llu",
			first ? "" : ",", name, get_be32(d->sid), get_be32(d->sid + 4),
			get_be32(d->sid + 8), get_be32(d->sid + 12), (unsigned long long)r.sent,
			(unsigned long long)sum.skipped, (unsigned long long)r.received,
			(unsigned long long)r.lost, r.sent ? r.loss_ratio : 0.0,
			(unsigned long long)r.duplicates, (unsigned long long)r.reordered,
			r.unsync ? "true" : "false", (unsigned long long)d->forged);
		if (r.fwd.delay.n)
			fprintf(f,
				",\"delay_ms\":{\"min\":%.3f,\"median\":%.3f,\"max\":%.3f,\"mean\":"
				"%.3f},\"ipdv_ms\":{\"p50\":%.3f,\"p99\":%.3f},\"pdv_ms\":{\"p99\":"
				"%.3f},"
				"\"ttl\":{\"min\":%u,\"max\":%u},\"hops\":{\"min\":%u,\"max\":%u}",
				r.fwd.delay.min / 1e6, r.fwd.delay.median / 1e6,
				r.fwd.delay.max / 1e6, r.fwd.delay.mean / 1e6,
				r.fwd.ipdv_abs.n ? r.fwd.ipdv_abs.median / 1e6 : 0.0,
				r.fwd.ipdv_abs.n ? r.fwd.ipdv_abs.p99 / 1e6 : 0.0,
				r.fwd.pdv.p99 / 1e6, sum.ttl_min, sum.ttl_max, sum.hops_min,
				sum.hops_max);
		fputc('}', f);
	} else {
		fprintf(f, "--- %s %s (SID %08x%08x%08x%08x) ---\n", d->to_server ? "to" : "from",
			c->cfg->server, get_be32(d->sid), get_be32(d->sid + 4),
			get_be32(d->sid + 8), get_be32(d->sid + 12));
		fprintf(f, "%llu sent, %llu lost (%.3f%%), %llu duplicates, %llu reordered",
			(unsigned long long)r.sent, (unsigned long long)r.lost,
			r.sent ? 100.0 * r.loss_ratio : 0.0, (unsigned long long)r.duplicates,
			(unsigned long long)r.reordered);
		if (sum.skipped)
			fprintf(f, ", %llu not sent (skip ranges)",
				(unsigned long long)sum.skipped);
		if (d->forged)
			fprintf(f, ", %llu forged (dropped)", (unsigned long long)d->forged);
		fputc('\n', f);
		if (r.fwd.delay.n) {
			fprintf(f, "one-way delay min/median/max = %.3f/%.3f/%.3f ms%s\n",
				r.fwd.delay.min / 1e6, r.fwd.delay.median / 1e6,
				r.fwd.delay.max / 1e6, r.unsync ? " (unsync)" : "");
			fprintf(f, "delay variation: IPDV median %.3f ms, PDV p99 %.3f ms\n",
				r.fwd.ipdv_abs.n ? r.fwd.ipdv_abs.median / 1e6 : 0.0,
				r.fwd.pdv.p99 / 1e6);
			fprintf(f, "TTL %u..%u, hops %u..%u\n", sum.ttl_min, sum.ttl_max,
				sum.hops_min, sum.hops_max);
		}
	}
	xw_stats_free(s);
}

/* --- the run ------------------------------------------------------------------- */

int xwping_owamp_run(const struct xwping_cfg *cfg, const struct xw_addr *server,
		     const uint8_t *secret, size_t secret_len, const struct xw_key *ike)
{
	struct ow_cli c = {.cfg = cfg, .fd = -1};
	struct timeval tv = {
		.tv_sec = (time_t)cfg->ctl_timeout,
		.tv_usec = (suseconds_t)((cfg->ctl_timeout - (time_t)cfg->ctl_timeout) * 1e6)};
	uint64_t start_ntp;
	uint8_t buf[32];
	bool in_progress = false;
	int rc, i;

	c.dir[0].fd = c.dir[1].fd = -1;
	c.dir[0].to_server = true;
	xw_clock_init(&c.clock);
	c.peer = *server;
	c.fd = xw_tcp_connect(server, NULL, &in_progress);
	if (c.fd >= 0 && in_progress) {
		struct pollfd p = {.fd = c.fd, .events = POLLOUT};

		rc = poll(&p, 1, (int)(cfg->ctl_timeout * 1000)) == 1 ? xw_tcp_connect_result(c.fd)
								      : -ETIMEDOUT;
		if (rc) {
			close(c.fd);
			c.fd = rc;
		}
	}
	if (c.fd < 0) {
		pr_err("cannot connect to %s: %s", cfg->server, strerror(-c.fd));
		return c.fd;
	}
	/* blocking from here, with the control timeout on every read */
	fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	xw_sock_local(c.fd, &c.local);
	c.ike = ike;
	rc = setup(&c, secret, secret_len);
	if (rc)
		goto out;
	c.tp.mode = (enum xw_tp_mode)xw_tp_mode_of(c.mode);
	c.tp.padding_len = cfg->padding == XWPING_PAD_AUTO ? 0 : (uint32_t)cfg->padding;
	c.pkt_len = xw_tp_sender_len(&c.tp);
	if (cfg->ow_fetch) {
		/* RFC 4656 3.8/3.9: data of a session another connection made */
		c.dir[0].on = true;
		for (i = 0; i < XW_SID_LEN; i++)
			sscanf(cfg->ow_fetch + 2 * i, "%2hhx", &c.dir[0].sid[i]);
		rc = fetch(&c, &c.dir[0]);
		goto report;
	}
	start_ntp = xw_ns_to_ntp(xw_clock_now_ns() + (uint64_t)((cfg->start_delay + 1.0) * 1e9));
	/* -t and -f as the reference's owping: both directions unless one is named */
	for (i = 0; i < 2 && !rc; i++) {
		bool want = i == 0 ? cfg->ow_to || !cfg->ow_from : cfg->ow_from || !cfg->ow_to;

		if (want)
			rc = request(&c, &c.dir[i], start_ntp);
	}
	if (rc)
		goto out;
	codec_start_sessions_encode(buf, sizeof(buf));
	rc = ctl_send(&c, buf, sizeof(buf));
	if (!rc)
		rc = ctl_recv(&c, buf, XW_START_ACK_LEN);
	if (!rc && buf[0] != XW_ACCEPT_OK) {
		pr_err("Start-Ack: Accept %u", buf[0]);
		rc = -EACCES;
	}
	if (rc)
		goto out;
	rc = run_test(&c);
	if (!rc)
		rc = stop(&c);
	if (!rc && c.dir[0].on)
		rc = fetch(&c, &c.dir[0]);
report:
	if (!rc) {
		if (cfg->json)
			fputc('{', stdout);
		for (i = 0; i < 2; i++)
			if (c.dir[i].on)
				print_dir(&c, &c.dir[i], stdout, cfg->json, i == 0 || !c.dir[0].on);
		if (cfg->json)
			fputs("}\n", stdout);
	}
out:
	if (rc)
		pr_err("OWAMP with %s: %s", cfg->server, strerror(rc < 0 ? -rc : rc));
	for (i = 0; i < 2; i++) {
		if (c.dir[i].fd >= 0)
			close(c.dir[i].fd);
		xw_tp_crypto_free(&c.dir[i].crypto);
		xw_ow_sched_fini(&c.dir[i].sched);
		free(c.dir[i].rec);
	}
	chan_fini(&c.ch);
	xw_wipe(&c.keys, sizeof(c.keys));
	close(c.fd);
	return rc;
}
