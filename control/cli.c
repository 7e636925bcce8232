// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP and OWAMP Control-Client state machine (cli.h).
 *
 * One handshake (RFC 4656 3.1: greeting, Set-Up-Response, Server-Start and
 * the security channel), then one command set per protocol (struct
 * cli_cmdset): the answers it expects and how its commands go out.  The
 * client always knows which message comes next: the greeting, then
 * Server-Start, then the answer to the one command it has outstanding
 * (commands are sent one at a time from a queue).  That message type frames
 * the input (chan_next_len) and selects the handler from
 * cli_handshake[state][message] during the handshake, the
 * command set's on[message] after it.  Bytes that arrive when nothing is expected are
 * a protocol error: in TWAMP the server never speaks first after
 * Server-Start (RFC 5357 3.8: only the Control-Client sends Stop-Sessions).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "cli.h"
#include "codec.h"
#include "crypto.h"
#include "log.h"

/* The messages a client receives: the table's second index. */
enum cli_msg {
	CLI_MSG_NONE, /* nothing expected */
	CLI_MSG_GREETING,
	CLI_MSG_SERVER_START,
	CLI_MSG_ACCEPT_SESSION,
	CLI_MSG_START_ACK,
	CLI_MSG_START_N_ACK,
	CLI_MSG_STOP_N_ACK,
	/* OWAMP (RFC 4656 3.8, 3.9) */
	CLI_MSG_OW_STOP,
	CLI_MSG_FETCH_ACK,
	CLI_MSG_FETCH_REQ1, /* the data's parts: lengths from the Fetch-Ack (c->part_len) */
	CLI_MSG_FETCH_REQ2,
	CLI_MSG_FETCH_SKIPS,
	CLI_MSG_FETCH_RECS,
	CLI_NMSGS,
};

enum cli_cmd_kind {
	CMD_REQUEST,
	CMD_START,
	CMD_START_N,
	CMD_STOP,
	CMD_STOP_N,
	CMD_OW_REQUEST,
	CMD_OW_STOP,
	CMD_FETCH,
};

struct cli_cmd {
	enum cli_cmd_kind kind;
	int sess;	   /* CMD_REQUEST */
	uint8_t accept;	   /* CMD_STOP */
	int *idx;	   /* CMD_START_N / CMD_STOP_N: the caller's list (copied) */
	unsigned int nidx; /* 0 with idx NULL: "every eligible session" */
	/* CMD_OW_STOP: our records (copied), their skips in one block */
	struct codec_ow_stop_rec *recs;
	struct codec_ow_skip *skips;
};

#define CLI_RX_MAX CODEC_N_MAX_LEN

struct cli {
	struct cli_cfg cfg;
	const struct cli_cmdset *set; /* the command set after the handshake */
	uint8_t secret[CLI_SECRET_MAX];
	uint8_t ike_secret[CLI_SECRET_MAX];
	char peer[64];
	enum cli_state state;
	enum cli_close why;
	uint32_t modes_offered;
	uint32_t max_count; /* largest greeting Count we accept (RFC 5357 6) */
	uint32_t mode;
	struct xw_session_keys keys;
	int have_keys;
	uint8_t client_iv[XW_BLOCK_LEN];
	struct chan chan;
	int chan_up;

	uint8_t *rx; /* grows up to rx_max (OWAMP's Stop-Sessions and Fetch data) */
	size_t rx_len, rx_need, rx_cap, rx_max;
	size_t part_len; /* length of the next Fetch data part */

	uint8_t *tx;
	size_t tx_off, tx_len, tx_cap;

	struct cli_event *ev;
	unsigned int ev_head, ev_len, ev_cap;

	struct cli_cmd *q; /* command queue */
	unsigned int q_head, q_len, q_cap;

	/* the command sent and not yet fully answered */
	enum cli_msg expect;
	int out_sess;		 /* CMD_REQUEST: its session */
	int *out_idx;		 /* N commands: sessions not acknowledged yet */
	unsigned int out_nidx;	 /* how many of out_idx are still pending */
	unsigned int out_nstart; /* Start-Sessions: how many it covers */

	struct cli_sess sess[CLI_MAX_SESS];
	unsigned int nsess;

	struct cli_fetch fetch[CLI_MAX_FETCH];
	unsigned int nfetch;
};

typedef void (*cli_handler)(struct cli *c, uint8_t *msg, size_t len);

/*
 * One protocol's commands after the shared handshake: the handlers of the
 * answers it expects in CLI_READY, and how a queued command goes out.
 */
struct cli_cmdset {
	const char *name;
	cli_handler on[CLI_NMSGS];
	void (*send)(struct cli *c, const struct cli_cmd *cmd);
};

/* ---- helpers ---------------------------------------------------------------- */

const char *cli_state_name(enum cli_state st)
{
	static const char *const names[] = {
		[CLI_WAIT_GREETING] = "wait-greeting",
		[CLI_WAIT_SERVER_START] = "wait-server-start",
		[CLI_READY] = "ready",
		[CLI_CLOSED] = "closed",
	};

	if ((unsigned int)st < CLI_NSTATES && names[st])
		return names[st];
	return "?";
}

const char *cli_close_name(enum cli_close why)
{
	static const char *const names[] = {
		[CLI_CLOSE_NONE] = "open",
		[CLI_CLOSE_PEER] = "server closed",
		[CLI_CLOSE_TRUNCATED] = "server closed mid-message",
		[CLI_CLOSE_MODES0] = "server offers no mode",
		[CLI_CLOSE_NO_MODE] = "no common mode",
		[CLI_CLOSE_REFUSED] = "refused by the server",
		[CLI_CLOSE_HMAC] = "HMAC mismatch",
		[CLI_CLOSE_PROTO] = "protocol error",
		[CLI_CLOSE_COUNT] = "PBKDF2 Count above our maximum",
		[CLI_CLOSE_LOCAL] = "closed locally",
		[CLI_CLOSE_INTERNAL] = "internal error",
		[CLI_CLOSE_SA] = "the greeting names another IPsec SA",
	};

	if ((unsigned int)why < sizeof(names) / sizeof(names[0]) && names[why])
		return names[why];
	return "?";
}

static int out_append(struct cli *c, const uint8_t *p, size_t n)
{
	if (c->tx_off && c->tx_off == c->tx_len)
		c->tx_off = c->tx_len = 0;
	if (c->tx_len + n > c->tx_cap) {
		size_t cap = c->tx_cap ? c->tx_cap : 256;
		uint8_t *t;

		while (cap < c->tx_len + n)
			cap *= 2;
		t = realloc(c->tx, cap);
		if (!t)
			return -ENOMEM;
		c->tx = t;
		c->tx_cap = cap;
	}
	memcpy(c->tx + c->tx_len, p, n);
	c->tx_len += n;
	return 0;
}

static void push_event(struct cli *c, const struct cli_event *ev)
{
	if (c->ev_head && c->ev_head == c->ev_len)
		c->ev_head = c->ev_len = 0;
	if (c->ev_len == c->ev_cap) {
		unsigned int cap = c->ev_cap ? 2 * c->ev_cap : 16;
		struct cli_event *t = realloc(c->ev, cap * sizeof(*t));

		if (!t) {
			pr_err("cli %s: no memory for an event: dropped", c->peer);
			return;
		}
		c->ev = t;
		c->ev_cap = cap;
	}
	c->ev[c->ev_len++] = *ev;
}

static void clear_outstanding(struct cli *c)
{
	free(c->out_idx);
	c->out_idx = NULL;
	c->out_nidx = 0;
	c->out_sess = -1;
	c->out_nstart = 0;
	c->expect = CLI_MSG_NONE;
}

static void shut(struct cli *c, enum cli_close why)
{
	struct cli_event ev = {.type = CLI_EV_CLOSED, .sess = -1, .reason = why};

	if (c->state == CLI_CLOSED)
		return;
	c->state = CLI_CLOSED;
	c->why = why;
	clear_outstanding(c);
	if (c->chan_up) {
		chan_fini(&c->chan);
		c->chan_up = 0;
	}
	xw_wipe(&c->keys, sizeof(c->keys));
	xw_wipe(c->rx, c->rx_len);
	c->rx_len = c->rx_need = 0;
	/* the application says why, once, with what to do (CLI_EV_CLOSED) */
	if (why == CLI_CLOSE_LOCAL || why == CLI_CLOSE_PEER || why == CLI_CLOSE_REFUSED)
		pr_info("cli %s: closed (%s)", c->peer, cli_close_name(why));
	else
		pr_info("cli %s: closing the control connection (%s)", c->peer,
			cli_close_name(why));
	push_event(c, &ev);
}

static int send_msg(struct cli *c, uint8_t *msg, size_t len)
{
	int err = chan_seal(&c->chan, msg, len);

	if (!err)
		err = out_append(c, msg, len);
	xw_wipe(msg, len);
	if (err) {
		pr_err("cli %s: cannot queue a %zu-octet command: %d", c->peer, len, err);
		shut(c, CLI_CLOSE_INTERNAL);
	}
	return err;
}

static int sess_by_sid(const struct cli *c, const uint8_t *sid)
{
	unsigned int i;

	for (i = 0; i < c->nsess; i++)
		if (c->sess[i].answered && c->sess[i].accept == XW_ACCEPT_OK &&
		    !memcmp(c->sess[i].sid, sid, XW_SID_LEN))
			return (int)i;
	return -1;
}

/* ---- sending commands ----------------------------------------------------- */

static void pump(struct cli *c);

static void cmd_free(struct cli_cmd *cmd)
{
	free(cmd->idx);
	free(cmd->recs);
	free(cmd->skips);
}

static void req_from_params(struct codec_request_tw_session *q, const struct twsess_params *p)
{
	memset(q, 0, sizeof(*q));
	q->ipvn = p->ipvn;
	q->conf_sender = p->conf_sender;
	q->conf_receiver = p->conf_receiver;
	q->num_slots = p->num_slots;
	q->num_packets = p->num_packets;
	q->sender_port = p->sender_port;
	q->receiver_port = p->receiver_port;
	memcpy(q->sender_addr, p->sender_addr, 16);
	memcpy(q->receiver_addr, p->receiver_addr, 16);
	q->padding_len = p->padding_len;
	q->start_time = p->start_time;
	q->timeout = p->timeout;
	q->type_p = p->type_p;
	q->octets_to_reflect = p->octets_to_reflect;
	q->reflect_pad_len = p->pad_to_reflect;
}

static void send_request(struct cli *c, int idx)
{
	struct codec_request_tw_session q;
	uint8_t buf[XW_REQUEST_TW_SESSION_LEN];
	int n;

	req_from_params(&q, &c->sess[idx].params);
	n = codec_request_tw_session_encode(&q, c->mode, buf, sizeof(buf));
	if (n < 0) {
		/* the caller asked for something we must not send: refuse locally */
		pr_warn("cli %s: session %d: cannot encode Request-TW-Session (%d)", c->peer, idx,
			n);
		c->sess[idx].answered = 1;
		c->sess[idx].accept = XW_ACCEPT_NOT_SUPPORTED;
		push_event(c, &(struct cli_event){.type = CLI_EV_ACCEPT,
						  .accept = XW_ACCEPT_NOT_SUPPORTED,
						  .sess = idx});
		return;
	}
	if (send_msg(c, buf, (size_t)n))
		return;
	c->expect = CLI_MSG_ACCEPT_SESSION;
	c->out_sess = idx;
}

/* Sessions a Start/Stop applies to: accepted and not yet started/stopped. */
static int eligible(const struct cli_sess *s, int start)
{
	if (!s->answered || s->accept != XW_ACCEPT_OK || s->stopped)
		return 0;
	return start ? !s->started : s->started;
}

/* Accepted and not stopped yet: what a TWAMP Stop-Sessions ends. */
static int stoppable(const struct cli_sess *s)
{
	return s->answered && s->accept == XW_ACCEPT_OK && !s->stopped;
}

static void send_n(struct cli *c, const struct cli_cmd *cmd, int start)
{
	struct codec_n_sessions m = {0};
	uint8_t *sids = NULL, *buf = NULL;
	unsigned int i, n = 0, total = cmd->idx ? cmd->nidx : c->nsess;
	int *list = calloc(total ? total : 1, sizeof(int));
	int len;

	if (!list)
		goto nomem;
	for (i = 0; i < total; i++) {
		int k = cmd->idx ? cmd->idx[i] : (int)i;

		if (k >= 0 && (unsigned int)k < c->nsess && eligible(&c->sess[k], start))
			list[n++] = k;
	}
	if (!n || n > CODEC_N_SESSIONS_MAX) {
		/* RFC 5938 3.2/3.4: Number of Sessions MUST be one or greater */
		if (n)
			pr_warn("cli %s: %u sessions in one %s-N: too many", c->peer, n,
				start ? "Start" : "Stop");
		free(list);
		push_event(c, &(struct cli_event){.type = start ? CLI_EV_STARTED : CLI_EV_STOPPED,
						  .accept = n ? XW_ACCEPT_FAILURE : XW_ACCEPT_OK,
						  .sess = -1});
		return;
	}
	sids = malloc((size_t)n * XW_SID_LEN);
	buf = malloc(CODEC_N_LEN(n));
	if (!sids || !buf)
		goto nomem;
	for (i = 0; i < n; i++)
		memcpy(sids + (size_t)i * XW_SID_LEN, c->sess[list[i]].sid, XW_SID_LEN);
	m.num_sessions = n;
	m.sids = sids;
	len = start ? codec_start_n_sessions_encode(&m, buf, CODEC_N_LEN(n))
		    : codec_stop_n_sessions_encode(&m, buf, CODEC_N_LEN(n));
	if (len < 0) {
		pr_err("cli %s: cannot encode %s-N-Sessions: %d", c->peer, start ? "Start" : "Stop",
		       len);
		goto fail;
	}
	if (send_msg(c, buf, (size_t)len))
		goto out;
	c->expect = start ? CLI_MSG_START_N_ACK : CLI_MSG_STOP_N_ACK;
	c->out_idx = list;
	c->out_nidx = n;
	list = NULL;
	goto out;
nomem:
	pr_err("cli %s: no memory for an N command", c->peer);
fail:
	shut(c, CLI_CLOSE_INTERNAL);
out:
	free(list);
	free(sids);
	free(buf);
}

static void send_start(struct cli *c)
{
	uint8_t buf[XW_START_SESSIONS_LEN];
	unsigned int i;
	int n;

	n = codec_start_sessions_encode(buf, sizeof(buf));
	if (n != XW_START_SESSIONS_LEN) {
		shut(c, CLI_CLOSE_INTERNAL);
		return;
	}
	if (send_msg(c, buf, sizeof(buf)))
		return;
	c->expect = CLI_MSG_START_ACK;
	c->out_nstart = 0;
	for (i = 0; i < c->nsess; i++)
		c->out_nstart += eligible(&c->sess[i], 1);
}

static void send_stop(struct cli *c, uint8_t accept)
{
	struct codec_stop_sessions st = {.accept = accept};
	uint8_t buf[XW_STOP_SESSIONS_LEN];
	unsigned int i;
	int n;

	/*
	 * RFC 5357 3.8: Number of Sessions accounts "for each accepted
	 * Request-Session" not stopped yet, started or not; the server ends
	 * them all.
	 */
	for (i = 0; i < c->nsess; i++)
		st.num_sessions += stoppable(&c->sess[i]);
	n = codec_stop_sessions_encode(&st, buf, sizeof(buf));
	if (n != XW_STOP_SESSIONS_LEN) {
		shut(c, CLI_CLOSE_INTERNAL);
		return;
	}
	if (send_msg(c, buf, sizeof(buf)))
		return;
	for (i = 0; i < c->nsess; i++)
		if (stoppable(&c->sess[i]))
			c->sess[i].stopped = 1;
	/* TWAMP Stop-Sessions has no answer: done once queued */
	push_event(c, &(struct cli_event){.type = CLI_EV_STOPPED,
					  .accept = accept,
					  .count = st.num_sessions,
					  .sess = -1});
}

/* TWAMP's commands (RFC 5357 3.5-3.8, RFC 5938 3): one queued command onto the wire. */
static void tw_send(struct cli *c, const struct cli_cmd *cmd)
{
	int indiv = !!(c->mode & XW_MODE_INDIV_SESS);

	switch (cmd->kind) {
	case CMD_REQUEST:
		send_request(c, cmd->sess);
		break;
	case CMD_START:
		/* RFC 5938 3.1: with individual session control, only Start-N */
		if (indiv)
			send_n(c, cmd, 1);
		else
			send_start(c);
		break;
	case CMD_START_N:
	case CMD_STOP_N:
		if (!indiv) {
			/* queued before Server-Start; the server did not take bit 16 */
			pr_warn("cli %s: %s-N-Sessions without individual session control", c->peer,
				cmd->kind == CMD_START_N ? "Start" : "Stop");
			push_event(c, &(struct cli_event){.type = cmd->kind == CMD_START_N
									  ? CLI_EV_STARTED
									  : CLI_EV_STOPPED,
							  .accept = XW_ACCEPT_NOT_SUPPORTED,
							  .sess = -1});
			break;
		}
		send_n(c, cmd, cmd->kind == CMD_START_N);
		break;
	case CMD_STOP:
		if (indiv)
			send_n(c, cmd, 0);
		else
			send_stop(c, cmd->accept);
		break;
	default:
		/* an OWAMP command queued on a TWAMP connection: the API refuses it first */
		push_event(c, &(struct cli_event){.type = CLI_EV_ACCEPT,
						  .accept = XW_ACCEPT_NOT_SUPPORTED,
						  .sess = -1});
		break;
	}
}

/* Sends queued commands while none is waiting for its answer. */
static void pump(struct cli *c)
{
	while (c->state == CLI_READY && c->expect == CLI_MSG_NONE && c->q_len) {
		struct cli_cmd cmd = c->q[c->q_head];

		c->q_head++;
		c->q_len--;
		if (!c->q_len)
			c->q_head = 0;
		c->set->send(c, &cmd);
		cmd_free(&cmd);
	}
}

static int enqueue(struct cli *c, const struct cli_cmd *cmd)
{
	if (c->state == CLI_CLOSED)
		return -EPIPE;
	if (c->q_head + c->q_len == c->q_cap) {
		if (c->q_head) {
			memmove(c->q, c->q + c->q_head, c->q_len * sizeof(*c->q));
			c->q_head = 0;
		} else {
			unsigned int cap = c->q_cap ? 2 * c->q_cap : 8;
			struct cli_cmd *t = realloc(c->q, cap * sizeof(*t));

			if (!t)
				return -ENOMEM;
			c->q = t;
			c->q_cap = cap;
		}
	}
	c->q[c->q_head + c->q_len++] = *cmd;
	pump(c);
	return 0;
}

/* ---- connection setup (RFC 4656 3.1) ------------------------------------ */

/* Strongest first, as the reference client does: E > A > M > O. */
static uint32_t choose_mode(const struct cli *c, uint32_t allowed, uint32_t offered)
{
	static const uint32_t order[] = {XW_MODE_ENCRYPTED, XW_MODE_AUTH, XW_MODE_MIXED,
					 XW_MODE_OPEN};
	uint32_t usable = offered & allowed & XW_MODE_SECURITY_MASK;
	unsigned int i;

	if (c->cfg.prefer & usable)
		for (i = 0; i < 4; i++)
			if (c->cfg.prefer & usable & order[i])
				return order[i];
	for (i = 0; i < 4; i++)
		if (usable & order[i])
			return order[i];
	return 0;
}

/*
 * IPsec SA profile: the greeting of draft Figure 2, 3 or 5 into g, after
 * checking that it names our SA pair (draft 4.1: "MUST close the
 * connection if it receives a greeting with an erroneous SPI and protocol
 * value"): -EPERM when closed for that.
 */
static int sa_greeting(struct cli *c, const uint8_t *msg, size_t len, struct codec_greeting *g)
{
	struct xw_sa_greeting sg;
	const char *why = "";
	int rc;

	if (c->cfg.sa_variant == XW_SA_KEYMAT) {
		rc = codec_greeting_decode(g, msg,
					   len); /* Figure 2 is RFC 4656's with the Unused filled */
		if (rc)
			return rc;
	}
	rc = xw_sa_greeting_get(c->cfg.sa_variant, msg, len, &sg);
	if (rc)
		return rc;
	if (xw_sa_greeting_check(&sg, &c->cfg.sa, &why)) {
		pr_warn("cli %s: the greeting names protocol %u SPIi 0x%08x SPIr 0x%08x, our SA "
			"pair is %u 0x%08x/0x%08x: %s; closing (IPsec SA profile, draft 4.1)",
			c->peer, sg.proto, sg.spi_i, sg.spi_r, c->cfg.sa.c2s.proto,
			c->cfg.sa.c2s.spi, c->cfg.sa.s2c.spi, why);
		shut(c, CLI_CLOSE_SA);
		return -EPERM;
	}
	g->modes = sg.modes;
	memcpy(g->challenge, sg.challenge, 16);
	if (c->cfg.sa_variant != XW_SA_KEYMAT)
		g->count = 0; /* Figures 3, 5: no Salt, no Count, no PBKDF2 */
	return 0;
}

/*
 * IPsec SA profile, Alternatives 1 and 2: the session keys from our SA and
 * the Set-Up-Response of Figure 4 or 6 for mode.  0 or -errno.
 */
static int sa_setup(struct cli *c, uint32_t mode, const uint8_t challenge[16], uint8_t *buf,
		    size_t *len)
{
	struct xw_sa_setup r = {.mode = mode};
	int rc = 0;

	if (mode & ~XW_MODE_OPEN & XW_MODE_SECURITY_MASK) {
		rc = xw_sa_derive(c->cfg.sa_variant, c->cfg.sa_root, &c->cfg.sa, NULL, 0, NULL,
				  &c->keys);
		if (!rc)
			rc = xw_random(c->client_iv, sizeof(c->client_iv));
		if (!rc && c->cfg.sa_variant == XW_SA_ALT1)
			rc = xw_sa_alt1_token(&c->keys, challenge, r.token);
		if (!rc)
			c->have_keys = 1;
		memcpy(r.client_iv, c->client_iv, sizeof(r.client_iv));
	}
	*len = xw_sa_setup_put(c->cfg.sa_variant, &r, buf);
	xw_wipe(&r, sizeof(r));
	return rc;
}

static void on_greeting(struct cli *c, uint8_t *msg, size_t len)
{
	struct codec_greeting g;
	struct codec_setup_response r = {0};
	uint8_t buf[XW_SETUP_RESPONSE_LEN], kek[XW_AES_KEY_LEN], sa_secret[XW_SA_KEYMAT_MAX];
	uint32_t sec, ike = 0;
	const uint8_t *secret = NULL;
	size_t secret_len = 0;
	int rc;

	rc = c->cfg.sa_variant ? sa_greeting(c, msg, len, &g) : codec_greeting_decode(&g, msg, len);
	if (rc == -EPERM)
		return; /* closed: another SA */
	if (rc) {
		pr_warn("cli %s: malformed Server Greeting: %d", c->peer, rc);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	c->modes_offered = g.modes;
	push_event(c, &(struct cli_event){.type = CLI_EV_GREETING, .modes = g.modes, .sess = -1});
	if (!(g.modes & XW_MODE_SECURITY_MASK)) {
		/* RFC 4656 3.1: Modes 0: the server does not wish to talk; we SHOULD close */
		pr_warn("cli %s: the server offers no mode (Modes 0x%x)", c->peer, g.modes);
		shut(c, CLI_CLOSE_MODES0);
		return;
	}
	/* RFC 7717 5.3: a client implementing it SHOULD use IKEv2Derived when offered */
	if (c->cfg.ike_modes && (g.modes & XW_MODE_IKEV2_DERIV)) {
		ike = choose_mode(c, c->cfg.ike_modes, g.modes);
		if (!ike)
			pr_info("cli %s: the server offers IKEv2-derived keys but none of the "
				"modes "
				"0x%x we allow with them (Modes 0x%x): falling back",
				c->peer, c->cfg.ike_modes, g.modes);
	} else if (c->cfg.ike_modes) {
		/* RFC 7717 5.2: a server that does not support it; RFC 4656/5357 as usual */
		pr_info("cli %s: the server does not offer IKEv2-derived keys (Modes 0x%x, RFC "
			"7717 5.2): falling back to its other modes",
			c->peer, g.modes);
	}
	sec = ike ? ike : choose_mode(c, c->cfg.modes, g.modes);
	if (!sec) {
		/* RFC 4656 3.1: Mode 0 tells the server we will not continue */
		if ((g.modes & XW_MODE_OPEN) && !(c->cfg.modes & XW_MODE_OPEN) &&
		    (c->cfg.secret_len || c->cfg.ike_modes))
			/* the greeting is not authenticated: a keyed mode may have been removed */
			pr_info("cli %s: the server offers Modes 0x%x: of the modes we allow "
				"(0x%x) "
				"only unauthenticated mode, which we do not fall back to with a "
				"key",
				c->peer, g.modes, c->cfg.modes | c->cfg.ike_modes);
		else
			pr_info("cli %s: the server offers Modes 0x%x, we allow 0x%x: no common "
				"mode",
				c->peer, g.modes, c->cfg.modes | c->cfg.ike_modes);
		if (codec_setup_response_encode(&r, buf, sizeof(buf)) == XW_SETUP_RESPONSE_LEN)
			out_append(c, buf, sizeof(buf));
		shut(c, CLI_CLOSE_NO_MODE);
		return;
	}
	/*
	 * RFC 5357 6: a Count above the configured maximum (default 32768)
	 * SHOULD close the connection: 2^31 PBKDF2 iterations would keep us
	 * busy for an hour.  Count is used only to make the keyed modes' Token,
	 * so an open-mode connection pays nothing and is not refused.
	 */
	if (sec != XW_MODE_OPEN && g.count > c->max_count &&
	    (c->cfg.sa_variant == XW_SA_NONE || c->cfg.sa_variant == XW_SA_KEYMAT)) {
		pr_info("cli %s: the server asks for Count %u PBKDF2 iterations, more than our "
			"maximum %u (RFC 5357 6): closing",
			c->peer, g.count, c->max_count);
		shut(c, CLI_CLOSE_COUNT);
		return;
	}
	c->mode = sec | (c->cfg.features & g.modes &
			 (XW_MODE_INDIV_SESS | XW_MODE_REFLECT_OCT | XW_MODE_SYMMETRIC));
	if (ike)
		c->mode |= XW_MODE_IKEV2_DERIV; /* RFC 7717 7: e.g. 130 for authenticated */
	r.mode = c->mode;
	if (c->cfg.sa_variant == XW_SA_ALT1 || c->cfg.sa_variant == XW_SA_ALT2) {
		size_t n = 0;

		rc = sa_setup(c, c->mode, g.challenge, buf, &n);
		if (!rc)
			rc = out_append(c, buf, n);
		if (rc) {
			pr_err("cli %s: cannot send Set-Up-Response with the SA's keys: %d",
			       c->peer, rc);
			shut(c, CLI_CLOSE_INTERNAL);
			goto out;
		}
		c->state = CLI_WAIT_SERVER_START;
		goto out;
	}
	if (sec != XW_MODE_OPEN && c->cfg.sa_variant == XW_SA_KEYMAT) {
		/* draft 4.1: KEYMAT (or SKEYSEED) is the shared secret; the KeyID is not used */
		rc = xw_sa_derive(XW_SA_KEYMAT, c->cfg.sa_root, &c->cfg.sa, sa_secret,
				  sizeof(sa_secret), &secret_len, NULL);
		if (rc) {
			pr_err("cli %s: no KEYMAT from our SA: %d", c->peer, rc);
			shut(c, CLI_CLOSE_INTERNAL);
			goto out;
		}
		secret = sa_secret;
	} else if (sec != XW_MODE_OPEN) {
		/* RFC 7717 5.3: the KeyID carries SPIi || SPIr; the key replaces the passphrase */
		memcpy(r.keyid, ike ? c->cfg.ike_keyid : c->cfg.keyid, XW_KEYID_LEN);
		secret = ike ? c->ike_secret : c->secret;
		secret_len = ike ? c->cfg.ike_secret_len : c->cfg.secret_len;
	}
	if (sec != XW_MODE_OPEN) {
		rc = xw_random(&c->keys, sizeof(c->keys));
		if (!rc)
			rc = xw_random(c->client_iv, sizeof(c->client_iv));
		if (!rc)
			rc = xw_pbkdf2_sha1(secret, secret_len, g.salt, sizeof(g.salt), g.count,
					    kek, sizeof(kek));
		if (!rc)
			rc = xw_token_encrypt(kek, g.challenge, &c->keys, r.token);
		xw_wipe(kek, sizeof(kek));
		if (rc) {
			pr_err("cli %s: cannot make the Token: %d", c->peer, rc);
			shut(c, CLI_CLOSE_INTERNAL);
			goto out;
		}
		c->have_keys = 1;
		memcpy(r.client_iv, c->client_iv, XW_BLOCK_LEN);
	}
	rc = codec_setup_response_encode(&r, buf, sizeof(buf));
	if (rc == XW_SETUP_RESPONSE_LEN)
		rc = out_append(c, buf, sizeof(buf));
	else if (rc >= 0)
		rc = -EINVAL;
	if (rc) {
		pr_err("cli %s: cannot send Set-Up-Response: %d", c->peer, rc);
		shut(c, CLI_CLOSE_INTERNAL);
		goto out;
	}
	c->state = CLI_WAIT_SERVER_START;
out:
	xw_wipe(&r, sizeof(r));
	xw_wipe(buf, sizeof(buf));
	xw_wipe(sa_secret, sizeof(sa_secret));
}

static void on_server_start(struct cli *c, uint8_t *msg, size_t len)
{
	struct codec_server_start ss;
	int rc;

	rc = codec_server_start_decode(&ss, msg, len);
	if (rc) {
		pr_warn("cli %s: malformed Server-Start: %d", c->peer, rc);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	if (ss.accept != XW_ACCEPT_OK) {
		/* RFC 4656 3.1: the client SHOULD close after a negative Server-Start */
		/* the client application says it once, with what to check */
		pr_info("cli %s: the server refuses the connection (Accept %u)", c->peer,
			ss.accept);
		push_event(c, &(struct cli_event){.type = CLI_EV_SERVER_START,
						  .accept = ss.accept,
						  .modes = c->mode,
						  .sess = -1});
		shut(c, CLI_CLOSE_REFUSED);
		return;
	}
	rc = chan_init(&c->chan, CHAN_ROLE_CLIENT, c->mode, c->have_keys ? &c->keys : NULL,
		       c->client_iv, ss.server_iv);
	if (!rc) {
		c->chan_up = 1;
		rc = chan_open_server_start(&c->chan, msg);
	}
	if (!rc)
		rc = codec_server_start_decode(&ss, msg, len);
	if (rc) {
		pr_err("cli %s: cannot set up the channel: %d", c->peer, rc);
		shut(c, CLI_CLOSE_INTERNAL);
		return;
	}
	c->state = CLI_READY;
	push_event(c, &(struct cli_event){.type = CLI_EV_SERVER_START,
					  .accept = XW_ACCEPT_OK,
					  .modes = c->mode,
					  .start_time = ss.start_time,
					  .sess = -1});
	pr_info("cli %s: control connection up, Mode 0x%x", c->peer, c->mode);
}

/* ---- answers to commands ------------------------------------------------- */

static void on_accept(struct cli *c, uint8_t *msg, size_t len)
{
	struct codec_accept_session a;
	struct cli_sess *s = &c->sess[c->out_sess];
	int idx = c->out_sess, rc;

	rc = codec_accept_session_decode(&a, c->mode, msg, len);
	if (rc) {
		pr_warn("cli %s: malformed Accept-Session: %d", c->peer, rc);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	/*
	 * Port 0 names no port to send to: TWAMP's reflector port (RFC 5357
	 * 3.5) or the OWAMP server's receive port when we send (RFC 4656 3.5,
	 * Conf-Receiver).  The session cannot run; nor can the server's view
	 * of it be trusted.
	 */
	if (a.accept == XW_ACCEPT_OK && !a.port &&
	    (c->cfg.proto != CLI_PROTO_OWAMP || s->ow_send)) {
		pr_warn("cli %s: session %d accepted with Port 0: no port to send to", c->peer,
			idx);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	clear_outstanding(c);
	s->answered = 1;
	s->accept = a.accept;
	if (a.accept == XW_ACCEPT_OK) {
		s->port = a.port;
		/* RFC 4656 3.5: the receiver chooses the SID; we did when the server sends */
		if (c->cfg.proto != CLI_PROTO_OWAMP || s->ow_send)
			memcpy(s->sid, a.sid, XW_SID_LEN);
		s->reflected_octets = a.reflected_octets;
		s->server_octets = a.server_octets;
		if ((c->mode & XW_MODE_REFLECT_OCT) &&
		    a.reflected_octets != s->params.octets_to_reflect)
			pr_warn("cli %s: session %d: the server reflected octets 0x%04x, we sent "
				"0x%04x (RFC 6038 4.3)",
				c->peer, idx, a.reflected_octets, s->params.octets_to_reflect);
		if (c->cfg.proto == CLI_PROTO_TWAMP && s->port != s->params.receiver_port)
			pr_info("cli %s: session %d: the server proposes port %u instead of %u",
				c->peer, idx, s->port, s->params.receiver_port);
		/*
		 * RFC 4656 4.1.2: per-session test keys, TWAMP and OWAMP alike
		 * (the handshake is shared); none in open and mixed mode.  The
		 * IPsec SA profile's Alternatives use the control keys (draft 4.2).
		 */
		if (c->mode & (XW_MODE_AUTH | XW_MODE_ENCRYPTED)) {
			rc = 0;
			if (xw_sa_test_keys_shared(c->cfg.sa_variant))
				s->keys =
					c->keys; /* draft 4.2: one key pair for control and test */
			else
				rc = xw_test_keys_derive(&c->keys, s->sid, &s->keys);
			if (rc) {
				pr_err("cli %s: cannot derive test keys: %d", c->peer, rc);
				shut(c, CLI_CLOSE_INTERNAL);
				return;
			}
			s->has_keys = 1;
		}
	} else {
		pr_info("cli %s: session %d refused, Accept %u", c->peer, idx, a.accept);
	}
	push_event(c, &(struct cli_event){.type = CLI_EV_ACCEPT, .accept = a.accept, .sess = idx});
}

static void on_start_ack(struct cli *c, uint8_t *msg, size_t len)
{
	struct codec_start_ack a;
	unsigned int i, n = c->out_nstart;
	int rc;

	rc = codec_start_ack_decode(&a, msg, len);
	if (rc) {
		pr_warn("cli %s: malformed Start-Ack: %d", c->peer, rc);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	clear_outstanding(c);
	if (a.accept == XW_ACCEPT_OK)
		for (i = 0; i < c->nsess; i++)
			if (eligible(&c->sess[i], 1))
				c->sess[i].started = 1;
	push_event(c, &(struct cli_event){.type = CLI_EV_STARTED,
					  .accept = a.accept,
					  .count = a.accept == XW_ACCEPT_OK ? n : 0,
					  .sess = -1});
	if (a.accept != XW_ACCEPT_OK) {
		/* RFC 4656 3.7: the client SHOULD close after a rejection */
		pr_info("cli %s: Start-Sessions refused, Accept %u", c->peer, a.accept);
		shut(c, CLI_CLOSE_REFUSED);
	}
}

/* Start-N-Ack / Stop-N-Ack: each names some of the SIDs still waiting (RFC 5938 3.3, 3.5). */
static void on_n_ack(struct cli *c, uint8_t *msg, size_t len)
{
	int start = c->expect == CLI_MSG_START_N_ACK;
	struct codec_n_sessions m;
	uint32_t i;
	unsigned int j;
	int rc, k;

	rc = start ? codec_start_n_ack_decode(&m, msg, len) : codec_stop_n_ack_decode(&m, msg, len);
	if (rc) {
		pr_warn("cli %s: malformed %s-N-Ack: %d", c->peer, start ? "Start" : "Stop", rc);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	for (i = 0; i < m.num_sessions; i++) {
		k = sess_by_sid(c, m.sids + (size_t)i * XW_SID_LEN);
		for (j = 0; k >= 0 && j < c->out_nidx; j++)
			if (c->out_idx[j] == k)
				break;
		if (k < 0 || j == c->out_nidx) {
			pr_warn("cli %s: %s-N-Ack names a SID we are not waiting for", c->peer,
				start ? "Start" : "Stop");
			shut(c, CLI_CLOSE_PROTO);
			return;
		}
		c->out_idx[j] = c->out_idx[--c->out_nidx];
		if (m.accept == XW_ACCEPT_OK) {
			if (start)
				c->sess[k].started = 1;
			else
				c->sess[k].stopped = 1;
		} else {
			pr_warn("cli %s: session %d: %s refused, Accept %u", c->peer, k,
				start ? "start" : "stop", m.accept);
		}
	}
	push_event(c, &(struct cli_event){.type = start ? CLI_EV_STARTED : CLI_EV_STOPPED,
					  .accept = m.accept,
					  .count = m.num_sessions,
					  .sess = -1});
	if (!c->out_nidx)
		clear_outstanding(c);
}

/* ---- OWAMP's commands and answers (RFC 4656 3.5-3.9) ------------------------ */

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Request-Session: two HMAC-ended parts, the fixed one and the slots (RFC 4656 3.5). */
static void ow_send_request(struct cli *c, int idx)
{
	const struct cli_sess *s = &c->sess[idx];
	uint8_t *buf = malloc(s->ow_req_len);

	if (!buf) {
		pr_err("cli %s: no memory for a Request-Session", c->peer);
		shut(c, CLI_CLOSE_INTERNAL);
		return;
	}
	memcpy(buf, s->ow_req, s->ow_req_len);
	if (!send_msg(c, buf, CODEC_OW_REQUEST_HMAC1_END) &&
	    !send_msg(c, buf + CODEC_OW_REQUEST_HMAC1_END,
		      s->ow_req_len - CODEC_OW_REQUEST_HMAC1_END)) {
		c->expect = CLI_MSG_ACCEPT_SESSION;
		c->out_sess = idx;
	}
	free(buf);
}

/* Accepted, not stopped, and sent by the server (0) or by us (1). */
static unsigned int ow_running(const struct cli *c, int ours)
{
	unsigned int i, n = 0;

	for (i = 0; i < c->nsess; i++)
		n += stoppable(&c->sess[i]) && !!c->sess[i].ow_send == ours;
	return n;
}

/*
 * The longest Stop-Sessions the server may send: one record per session it
 * sends, each with at most one skip range per packet (RFC 4656 3.8: in
 * order, disjoint, below Next Seqno <= Number of Packets), and at most
 * CODEC_OW_SKIPS_MAX, our resource limit.
 */
static size_t ow_stop_limit(const struct cli *c)
{
	size_t max = CODEC_OW_STOP_HDR_LEN + XW_HMAC_LEN;
	unsigned int i;

	for (i = 0; i < c->nsess; i++) {
		uint32_t n = c->sess[i].params.num_packets;

		if (stoppable(&c->sess[i]) && !c->sess[i].ow_send)
			max += CODEC_OW_STOP_REC_LEN(n < CODEC_OW_SKIPS_MAX ? n
									    : CODEC_OW_SKIPS_MAX);
	}
	return max;
}

/*
 * RFC 4656 3.8: our Stop-Sessions "MUST account for each accepted
 * Request-Session where Conf-Receiver was set" (we send), else the server
 * considers it invalid: checked here, not sent when it does not.
 */
static void ow_send_stop(struct cli *c, const struct cli_cmd *cmd)
{
	unsigned int j;
	size_t cap = CODEC_OW_STOP_HDR_LEN + XW_HMAC_LEN;
	uint8_t *buf;
	int k, len, ok = cmd->nidx == ow_running(c, 1);

	for (j = 0; ok && j < cmd->nidx; j++) {
		k = sess_by_sid(c, cmd->recs[j].sid);
		ok = k >= 0 && c->sess[k].ow_send && !c->sess[k].stopped;
		cap += CODEC_OW_STOP_REC_LEN(cmd->recs[j].num_skips);
	}
	buf = ok ? malloc(cap) : NULL;
	len = buf ? codec_ow_stop_sessions_encode(cmd->accept, cmd->recs, cmd->nidx, buf, cap)
		  : -EINVAL;
	if (len < 0) {
		pr_warn("cli %s: Stop-Sessions with %u records does not describe exactly the %u "
			"sessions we send, or does not encode (%d): not sent (RFC 4656 3.8)",
			c->peer, cmd->nidx, ow_running(c, 1), len);
		free(buf);
		push_event(c, &(struct cli_event){.type = CLI_EV_STOPPED,
						  .accept = XW_ACCEPT_FAILURE,
						  .sess = -1});
		return;
	}
	if (!send_msg(c, buf, (size_t)len))
		c->expect = CLI_MSG_OW_STOP;
	free(buf);
}

/* The server's Stop-Sessions: one record per session it sends (RFC 4656 3.8). */
static void on_ow_stop(struct cli *c, uint8_t *msg, size_t len)
{
	struct codec_ow_stop st;
	struct codec_ow_stop_rec rec;
	size_t off = 0;
	uint32_t i, k2;
	unsigned int j;
	int rc, k;

	rc = codec_ow_stop_sessions_decode(&st, msg, len);
	if (rc) {
		pr_warn("cli %s: malformed Stop-Sessions from the server: %d", c->peer, rc);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	if (st.num_sessions != ow_running(c, 0)) {
		pr_warn("cli %s: the server's Stop-Sessions describes %u sessions, it sends %u: "
			"invalid (RFC 4656 3.8)",
			c->peer, st.num_sessions, ow_running(c, 0));
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	for (i = 0; i < st.num_sessions; i++) {
		struct cli_sess *s;

		codec_ow_stop_rec_at(&st, &off, &rec);
		k = sess_by_sid(c, rec.sid);
		s = k >= 0 ? &c->sess[k] : NULL;
		if (!s || s->ow_send || s->stopped || s->ow_stop_seen ||
		    rec.next_seqno > s->params.num_packets) {
			pr_warn("cli %s: the server's Stop-Sessions describes a session it does "
				"not send, one twice, or Next Seqno %u beyond its packets",
				c->peer, rec.next_seqno);
			shut(c, CLI_CLOSE_PROTO);
			return;
		}
		s->ow_skips = calloc(rec.num_skips ? rec.num_skips : 1, sizeof(*s->ow_skips));
		if (!s->ow_skips) {
			shut(c, CLI_CLOSE_INTERNAL);
			return;
		}
		for (k2 = 0; k2 < rec.num_skips; k2++)
			codec_ow_skip_at(rec.skip_bytes, k2, &s->ow_skips[k2]);
		s->ow_nskips = rec.num_skips;
		s->ow_next_seqno = rec.next_seqno;
		s->ow_stop_seen = 1;
	}
	for (j = 0; j < c->nsess; j++)
		if (stoppable(&c->sess[j]))
			c->sess[j].stopped = 1;
	if (st.accept != XW_ACCEPT_OK)
		pr_info("cli %s: the server stops with Accept %u: results are invalid (RFC 4656 "
			"3.8)",
			c->peer, st.accept);
	clear_outstanding(c);
	push_event(c, &(struct cli_event){.type = CLI_EV_STOPPED,
					  .accept = st.accept,
					  .count = st.num_sessions,
					  .sess = -1});
}

static void ow_send_fetch(struct cli *c, int fidx)
{
	uint8_t buf[CODEC_FETCH_SESSION_LEN];

	if (codec_fetch_session_encode(&c->fetch[fidx].q, buf, sizeof(buf)) != sizeof(buf)) {
		shut(c, CLI_CLOSE_INTERNAL);
		return;
	}
	if (send_msg(c, buf, sizeof(buf)))
		return;
	c->expect = CLI_MSG_FETCH_ACK;
	c->out_sess = fidx;
}

static void fetch_done(struct cli *c, uint8_t accept, unsigned int count)
{
	int idx = c->out_sess;

	clear_outstanding(c);
	push_event(c,
		   &(struct cli_event){
			   .type = CLI_EV_FETCHED, .accept = accept, .count = count, .sess = idx});
}

static void on_fetch_ack(struct cli *c, uint8_t *msg, size_t len)
{
	struct cli_fetch *f = &c->fetch[c->out_sess];
	int rc = codec_fetch_ack_decode(&f->ack, msg, len);

	if (rc) {
		pr_warn("cli %s: malformed Fetch-Ack: %d", c->peer, rc);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	if (f->ack.accept != XW_ACCEPT_OK) {
		/* RFC 4656 3.9: nothing follows a Fetch-Ack with Accept != 0 */
		pr_info("cli %s: Fetch-Session refused, Accept %u", c->peer, f->ack.accept);
		fetch_done(c, f->ack.accept, 0);
		return;
	}
	if (f->ack.num_skips > CODEC_OW_SKIPS_MAX ||
	    CODEC_OW_RECORDS_PART_LEN(f->ack.num_records) > c->rx_max) {
		pr_warn("cli %s: Fetch-Ack announces %u skip ranges and %u records: more than we "
			"take",
			c->peer, f->ack.num_skips, f->ack.num_records);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	/* RFC 4656 3.9: the Request-Session, the skip ranges, the records */
	c->expect = CLI_MSG_FETCH_REQ1;
	c->part_len = CODEC_OW_REQUEST_HMAC1_END;
}

static void on_fetch_req1(struct cli *c, uint8_t *msg, size_t len)
{
	struct cli_fetch *f = &c->fetch[c->out_sess];
	uint32_t nslots = be32_at(msg + 4); /* Number of Schedule Slots */

	if (!nslots || nslots > CODEC_OW_SLOTS_MAX) {
		pr_warn("cli %s: Fetch data: the Request-Session has %u slots", c->peer, nslots);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	f->req_len = CODEC_OW_REQUEST_LEN(nslots);
	f->req = malloc(f->req_len);
	if (!f->req) {
		shut(c, CLI_CLOSE_INTERNAL);
		return;
	}
	memcpy(f->req, msg, len);
	c->expect = CLI_MSG_FETCH_REQ2;
	c->part_len = f->req_len - CODEC_OW_REQUEST_HMAC1_END;
}

static void on_fetch_req2(struct cli *c, uint8_t *msg, size_t len)
{
	struct cli_fetch *f = &c->fetch[c->out_sess];
	struct codec_request_session rs;
	int rc;

	memcpy(f->req + CODEC_OW_REQUEST_HMAC1_END, msg, len);
	rc = codec_request_session_decode(&rs, f->req, f->req_len);
	if (rc || memcmp(rs.f.sid, f->q.sid, XW_SID_LEN)) {
		pr_warn("cli %s: Fetch data: the Request-Session does not decode (%d) or names "
			"another SID",
			c->peer, rc);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	if (f->ack.finished && f->ack.next_seqno > rs.f.num_packets) {
		/* RFC 4656 3.8, 3.9: Next Seqno is at most Number of Packets */
		pr_warn("cli %s: Fetch data: Next Seqno %u beyond the session's %u packets",
			c->peer, f->ack.next_seqno, rs.f.num_packets);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	c->expect = CLI_MSG_FETCH_SKIPS;
	c->part_len = CODEC_OW_SKIPS_PART_LEN(f->ack.num_skips);
}

static void on_fetch_skips(struct cli *c, uint8_t *msg, size_t len)
{
	struct cli_fetch *f = &c->fetch[c->out_sess];
	uint32_t i;

	(void)len;
	if (codec_ow_skips_check(msg, f->ack.num_skips, f->ack.next_seqno)) {
		pr_warn("cli %s: Fetch data: skip ranges out of order or beyond Next Seqno %u",
			c->peer, f->ack.next_seqno);
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	f->skips = calloc(f->ack.num_skips ? f->ack.num_skips : 1, sizeof(*f->skips));
	if (!f->skips) {
		shut(c, CLI_CLOSE_INTERNAL);
		return;
	}
	for (i = 0; i < f->ack.num_skips; i++)
		codec_ow_skip_at(msg, i, &f->skips[i]);
	c->expect = CLI_MSG_FETCH_RECS;
	c->part_len = CODEC_OW_RECORDS_PART_LEN(f->ack.num_records);
}

static void on_fetch_recs(struct cli *c, uint8_t *msg, size_t len)
{
	struct cli_fetch *f = &c->fetch[c->out_sess];
	uint32_t i;

	(void)len;
	f->recs = calloc(f->ack.num_records ? f->ack.num_records : 1, sizeof(*f->recs));
	if (!f->recs) {
		shut(c, CLI_CLOSE_INTERNAL);
		return;
	}
	for (i = 0; i < f->ack.num_records; i++) {
		struct codec_ow_record *r = &f->recs[i];

		codec_ow_record_decode(r, msg + (size_t)i * CODEC_OW_RECORD_LEN);
		/*
		 * RFC 4656 3.9: "the number of packet records that fall within the
		 * requested range"; a finished session sent nothing at or beyond
		 * Next Seqno (3.8).
		 */
		if (r->seq < f->q.begin_seq || r->seq > f->q.end_seq ||
		    (f->ack.finished && r->seq >= f->ack.next_seqno)) {
			pr_warn("cli %s: Fetch data: record %u has Seq Number %u, outside %u..%u "
				"asked%s",
				c->peer, i, r->seq, f->q.begin_seq, f->q.end_seq,
				f->ack.finished ? " or beyond Next Seqno" : "");
			shut(c, CLI_CLOSE_PROTO);
			return;
		}
	}
	fetch_done(c, XW_ACCEPT_OK, f->ack.num_records);
}

static void ow_send(struct cli *c, const struct cli_cmd *cmd)
{
	switch (cmd->kind) {
	case CMD_OW_REQUEST:
		ow_send_request(c, cmd->sess);
		break;
	case CMD_START:
		send_start(c); /* RFC 4656 3.7: the same Start-Sessions as TWAMP's */
		break;
	case CMD_OW_STOP:
		ow_send_stop(c, cmd);
		break;
	case CMD_FETCH:
		ow_send_fetch(c, cmd->sess);
		break;
	default:
		/* a TWAMP command on an OWAMP connection: the API refuses it first */
		pr_err("cli %s: command %d is not OWAMP's", c->peer, cmd->kind);
		break;
	}
}

/* ---- the tables ---------------------------------------------------------- */

/* The RFC 4656 3.1 handshake, the same for TWAMP and OWAMP. */
static const cli_handler cli_handshake[CLI_NSTATES][CLI_NMSGS] = {
	[CLI_WAIT_GREETING] =
		{
			[CLI_MSG_GREETING] = on_greeting,
		},
	[CLI_WAIT_SERVER_START] =
		{
			[CLI_MSG_SERVER_START] = on_server_start,
		},
};

/* TWAMP's command set after it (RFC 5357 3.4-3.8, RFC 5938). */
static const struct cli_cmdset cli_twamp = {
	.name = "TWAMP",
	.on =
		{
			[CLI_MSG_ACCEPT_SESSION] = on_accept,
			[CLI_MSG_START_ACK] = on_start_ack,
			[CLI_MSG_START_N_ACK] = on_n_ack,
			[CLI_MSG_STOP_N_ACK] = on_n_ack,
		},
	.send = tw_send,
};

/* OWAMP's command set after it (RFC 4656 3.4-3.9). */
static const struct cli_cmdset cli_owamp = {
	.name = "OWAMP",
	.on =
		{
			[CLI_MSG_ACCEPT_SESSION] = on_accept,
			[CLI_MSG_START_ACK] = on_start_ack,
			[CLI_MSG_OW_STOP] = on_ow_stop,
			[CLI_MSG_FETCH_ACK] = on_fetch_ack,
			[CLI_MSG_FETCH_REQ1] = on_fetch_req1,
			[CLI_MSG_FETCH_REQ2] = on_fetch_req2,
			[CLI_MSG_FETCH_SKIPS] = on_fetch_skips,
			[CLI_MSG_FETCH_RECS] = on_fetch_recs,
		},
	.send = ow_send,
};

static const enum codec_msg codec_of[CLI_NMSGS] = {
	[CLI_MSG_GREETING] = CODEC_MSG_GREETING,
	[CLI_MSG_SERVER_START] = CODEC_MSG_SERVER_START,
	[CLI_MSG_ACCEPT_SESSION] = CODEC_MSG_ACCEPT_SESSION,
	[CLI_MSG_START_ACK] = CODEC_MSG_START_ACK,
	[CLI_MSG_START_N_ACK] = CODEC_MSG_START_N_ACK,
	[CLI_MSG_STOP_N_ACK] = CODEC_MSG_STOP_N_ACK,
	[CLI_MSG_OW_STOP] = CODEC_MSG_OW_STOP_SESSIONS,
	[CLI_MSG_FETCH_ACK] = CODEC_MSG_FETCH_ACK,
};

static enum cli_msg expected(const struct cli *c)
{
	switch (c->state) {
	case CLI_WAIT_GREETING:
		return CLI_MSG_GREETING;
	case CLI_WAIT_SERVER_START:
		return CLI_MSG_SERVER_START;
	case CLI_READY:
		return c->expect;
	default:
		return CLI_MSG_NONE;
	}
}

static void dispatch(struct cli *c)
{
	enum cli_msg m = expected(c);
	cli_handler h = c->state == CLI_READY ? c->set->on[m] : cli_handshake[c->state][m];
	int rc;

	if (c->state == CLI_READY) {
		rc = chan_open(&c->chan, c->rx, c->rx_len);
		if (rc == -EACCES) {
			pr_warn("cli %s: HMAC of a %zu-octet server message does not verify",
				c->peer, c->rx_len);
			shut(c, CLI_CLOSE_HMAC);
			return;
		}
		if (rc) {
			shut(c, CLI_CLOSE_INTERNAL);
			return;
		}
	}
	if (!h) {
		shut(c, CLI_CLOSE_PROTO);
		return;
	}
	h(c, c->rx, c->rx_len);
}

/* ---- public entry points -------------------------------------------------- */

struct cli *cli_new(const struct cli_cfg *cfg)
{
	struct cli *c;

	if (!((cfg->modes | cfg->ike_modes) & XW_MODE_SECURITY_MASK)) {
		pr_err("cli: no security mode allowed (0x%x)", cfg->modes);
		return NULL;
	}
	if (cfg->secret_len > CLI_SECRET_MAX || (cfg->secret_len && !cfg->secret)) {
		pr_err("cli: shared secret longer than %d octets", CLI_SECRET_MAX);
		return NULL;
	}
	/* RFC 7717 5.1: the derived key serves authenticated, encrypted and mixed modes */
	if (cfg->ike_modes &&
	    ((cfg->ike_modes & ~(XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED)) ||
	     !cfg->ike_secret || !cfg->ike_secret_len || cfg->ike_secret_len > CLI_SECRET_MAX)) {
		pr_err("cli: RFC 7717 modes 0x%x need a key of 1..%d octets and only auth, enc or "
		       "mixed",
		       cfg->ike_modes, CLI_SECRET_MAX);
		return NULL;
	}
	if (cfg->sa_variant != XW_SA_NONE) {
		const char *why = "";

		if (!xw_sa_greeting_len(cfg->sa_variant) || cfg->ike_modes) {
			pr_err("cli: IPsec SA profile %d with RFC 7717 modes 0x%x", cfg->sa_variant,
			       cfg->ike_modes);
			return NULL;
		}
		if ((cfg->modes & ~XW_MODE_OPEN & XW_MODE_SECURITY_MASK) &&
		    xw_sa_usable(cfg->sa_variant, &cfg->sa, &why)) {
			pr_err("cli: IPsec SA profile %s: %s", xw_sa_variant_name(cfg->sa_variant),
			       why);
			return NULL;
		}
		if (cfg->sa_root == XW_SA_ROOT_IKE &&
		    (cfg->sa_variant == XW_SA_ALT2 || !cfg->sa.skeyseed_len)) {
			/* 4.2.2 has no root; SKEYSEED comes only from the IKE daemon */
			pr_err("cli: IPsec SA profile %s with SKEYSEED as root: %s",
			       xw_sa_variant_name(cfg->sa_variant),
			       cfg->sa_variant == XW_SA_ALT2 ? "Alternative 2 has no root key"
							     : "no SKEYSEED for this SA pair");
			return NULL;
		}
	} else if ((cfg->modes & ~XW_MODE_OPEN & XW_MODE_SECURITY_MASK) && !cfg->secret_len)
		pr_warn("cli: authenticated modes allowed with an empty shared secret");
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cfg = *cfg;
	if (cfg->secret_len)
		memcpy(c->secret, cfg->secret, cfg->secret_len);
	c->cfg.secret = c->secret;
	if (cfg->ike_modes)
		memcpy(c->ike_secret, cfg->ike_secret, cfg->ike_secret_len);
	c->cfg.ike_secret = c->ike_secret;
	snprintf(c->peer, sizeof(c->peer), "%s", cfg->peer ? cfg->peer : "?");
	c->cfg.peer = c->peer;
	c->state = CLI_WAIT_GREETING;
	c->set = cfg->proto == CLI_PROTO_OWAMP ? &cli_owamp : &cli_twamp;
	c->rx_max = cfg->proto == CLI_PROTO_OWAMP ? CLI_OW_RX_MAX : CLI_RX_MAX;
	if (cfg->proto == CLI_PROTO_OWAMP) {
		/* RFC 4656 3.1: open, authenticated, encrypted; no feature bits */
		c->cfg.modes &= XW_MODE_OPEN | XW_MODE_AUTH | XW_MODE_ENCRYPTED;
		c->cfg.prefer &= c->cfg.modes;
		c->cfg.ike_modes &= XW_MODE_AUTH | XW_MODE_ENCRYPTED;
		c->cfg.features = 0;
	}
	c->out_sess = -1;
	c->max_count = cfg->max_count ? cfg->max_count : CLI_MAX_COUNT_DEFAULT;
	return c;
}

void cli_free(struct cli *c)
{
	unsigned int i;

	if (!c)
		return;
	clear_outstanding(c);
	if (c->chan_up)
		chan_fini(&c->chan);
	for (i = c->q_head; i < c->q_head + c->q_len; i++)
		cmd_free(&c->q[i]);
	for (i = 0; i < c->nsess; i++) {
		free(c->sess[i].ow_req);
		free(c->sess[i].ow_skips);
	}
	for (i = 0; i < c->nfetch; i++) {
		free(c->fetch[i].req);
		free(c->fetch[i].skips);
		free(c->fetch[i].recs);
	}
	if (c->rx) {
		xw_wipe(c->rx, c->rx_cap);
		free(c->rx);
	}
	free(c->q);
	free(c->ev);
	if (c->tx) {
		xw_wipe(c->tx, c->tx_cap);
		free(c->tx);
	}
	xw_wipe(c, sizeof(*c));
	free(c);
}

/* How many octets the message being received needs, or up to the next block when unknown. */
static size_t rx_want(const struct cli *c)
{
	return c->rx_need ? c->rx_need : (c->rx_len / XW_BLOCK_LEN + 1) * XW_BLOCK_LEN;
}

/* The receive buffer holds @n octets (n <= rx_max, checked by the caller); 0 or -ENOMEM. */
static int rx_room(struct cli *c, size_t n)
{
	int rc = xw_wipe_grow(&c->rx, &c->rx_cap, c->rx_len, n);

	if (rc)
		pr_err("cli %s: no memory for a %zu-octet message", c->peer, n);
	return rc;
}

int cli_feed(struct cli *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t take;
	int n;

	for (;;) {
		enum cli_msg m;

		if (c->state == CLI_CLOSED)
			return -EPIPE;
		if (!len)
			return 0;
		m = expected(c);
		if (m == CLI_MSG_NONE) {
			pr_warn("cli %s: the server sent %zu octets nobody asked for", c->peer,
				len);
			shut(c, CLI_CLOSE_PROTO);
			return -EPIPE;
		}
		if (!c->rx_need) {
			if (m >= CLI_MSG_FETCH_REQ1)
				n = (int)c->part_len;
			else if (c->chan_up)
				n = chan_next_len(&c->chan, codec_of[m], c->rx, c->rx_len);
			else if (m == CLI_MSG_GREETING && c->cfg.sa_variant)
				n = (int)xw_sa_greeting_len(
					c->cfg.sa_variant); /* Figures 2, 3, 5 */
			else
				n = codec_msg_len(codec_of[m], c->rx, c->rx_len);
			/* only an OWAMP Stop-Sessions needs more than a block to tell */
			if (n < 0 || (size_t)n > c->rx_max ||
			    (n == 0 && c->rx_len + XW_BLOCK_LEN > c->rx_max) ||
			    (n == 0 && m != CLI_MSG_OW_STOP && c->rx_len >= XW_BLOCK_LEN)) {
				pr_warn("cli %s: cannot frame the server's message: %d", c->peer,
					n);
				shut(c, CLI_CLOSE_PROTO);
				return -EPIPE;
			}
			if (m == CLI_MSG_OW_STOP && ((size_t)n > ow_stop_limit(c) ||
						     (n == 0 && c->rx_len >= ow_stop_limit(c)))) {
				pr_warn("cli %s: the server's Stop-Sessions is longer than the %u "
					"sessions it sends could need (%zu octets): closing",
					c->peer, ow_running(c, 0), ow_stop_limit(c));
				shut(c, CLI_CLOSE_PROTO);
				return -EPIPE;
			}
			c->rx_need = (size_t)n;
			if (rx_room(c, rx_want(c))) {
				shut(c, CLI_CLOSE_INTERNAL);
				return -EPIPE;
			}
		}
		take = rx_want(c) - c->rx_len;
		if (take > len)
			take = len;
		memcpy(c->rx + c->rx_len, p, take);
		c->rx_len += take;
		p += take;
		len -= take;
		if (c->rx_need && c->rx_len == c->rx_need) {
			dispatch(c);
			xw_wipe(c->rx, c->rx_len);
			c->rx_len = c->rx_need = 0;
			pump(c);
		}
	}
}

int cli_eof(struct cli *c)
{
	if (c->state == CLI_CLOSED)
		return -EPIPE;
	if (c->rx_len)
		pr_warn("cli %s: the server closed %zu octets into a message", c->peer, c->rx_len);
	shut(c, c->rx_len ? CLI_CLOSE_TRUNCATED : CLI_CLOSE_PEER);
	return -EPIPE;
}

void cli_close(struct cli *c)
{
	shut(c, CLI_CLOSE_LOCAL);
}

const uint8_t *cli_out_peek(const struct cli *c, size_t *len)
{
	*len = c->tx_len - c->tx_off;
	return *len ? c->tx + c->tx_off : NULL;
}

void cli_out_consume(struct cli *c, size_t n)
{
	if (n > c->tx_len - c->tx_off)
		n = c->tx_len - c->tx_off;
	c->tx_off += n;
	if (c->tx_off == c->tx_len)
		c->tx_off = c->tx_len = 0;
}

size_t cli_out_pending(const struct cli *c)
{
	return c->tx_len - c->tx_off;
}

int cli_event(struct cli *c, struct cli_event *ev)
{
	if (c->ev_head == c->ev_len)
		return 0;
	*ev = c->ev[c->ev_head++];
	if (c->ev_head == c->ev_len)
		c->ev_head = c->ev_len = 0;
	return 1;
}

/* A command of protocol @proto may be queued: 0, -EPIPE when closed, -EOPNOTSUPP. */
static int cmd_allowed(const struct cli *c, enum cli_proto proto)
{
	if (c->state == CLI_CLOSED)
		return -EPIPE;
	return c->cfg.proto == proto ? 0 : -EOPNOTSUPP;
}

int cli_request(struct cli *c, const struct twsess_params *p)
{
	struct cli_cmd cmd = {.kind = CMD_REQUEST};
	int idx, rc;

	rc = cmd_allowed(c, CLI_PROTO_TWAMP);
	if (rc)
		return rc;
	if (c->nsess >= CLI_MAX_SESS)
		return -ENOSPC;
	idx = (int)c->nsess;
	memset(&c->sess[idx], 0, sizeof(c->sess[idx]));
	c->sess[idx].params = *p;
	c->nsess++;
	cmd.sess = idx;
	rc = enqueue(c, &cmd);
	if (rc) {
		c->nsess--;
		return rc;
	}
	return idx;
}

int cli_start(struct cli *c)
{
	struct cli_cmd cmd = {.kind = CMD_START};

	return enqueue(c, &cmd);
}

static int enqueue_n(struct cli *c, enum cli_cmd_kind kind, const int *idx, unsigned int n)
{
	struct cli_cmd cmd = {.kind = kind, .nidx = n};
	int rc;

	rc = cmd_allowed(c, CLI_PROTO_TWAMP);
	if (rc)
		return rc;
	/* before Server-Start the mode is not known yet */
	if (c->state == CLI_READY && !(c->mode & XW_MODE_INDIV_SESS))
		return -EOPNOTSUPP;
	if (!n || n > CODEC_N_SESSIONS_MAX)
		return -EINVAL;
	cmd.idx = malloc(n * sizeof(int));
	if (!cmd.idx)
		return -ENOMEM;
	memcpy(cmd.idx, idx, n * sizeof(int));
	rc = enqueue(c, &cmd);
	if (rc)
		free(cmd.idx);
	return rc;
}

int cli_start_n(struct cli *c, const int *idx, unsigned int n)
{
	return enqueue_n(c, CMD_START_N, idx, n);
}

int cli_stop(struct cli *c, uint8_t accept)
{
	struct cli_cmd cmd = {.kind = CMD_STOP, .accept = accept};
	int rc = cmd_allowed(c, CLI_PROTO_TWAMP); /* OWAMP's carries records: cli_ow_stop() */

	if (rc)
		return rc;
	return enqueue(c, &cmd);
}

int cli_stop_n(struct cli *c, const int *idx, unsigned int n)
{
	return enqueue_n(c, CMD_STOP_N, idx, n);
}

enum cli_state cli_state(const struct cli *c)
{
	return c->state;
}

int cli_closed(const struct cli *c)
{
	return c->state == CLI_CLOSED;
}

enum cli_close cli_close_reason(const struct cli *c)
{
	return c->why;
}

uint32_t cli_mode(const struct cli *c)
{
	return c->mode;
}

unsigned int cli_busy(const struct cli *c)
{
	return c->q_len + (c->expect != CLI_MSG_NONE);
}

unsigned int cli_nsess(const struct cli *c)
{
	return c->nsess;
}

const struct cli_sess *cli_sess(const struct cli *c, int idx)
{
	if (idx < 0 || (unsigned int)idx >= c->nsess)
		return NULL;
	return &c->sess[idx];
}

int cli_ow_request(struct cli *c, const struct codec_request_session *m)
{
	struct cli_cmd cmd = {.kind = CMD_OW_REQUEST};
	const struct codec_request_tw_session *f = &m->f;
	struct cli_sess *s;
	size_t len;
	int idx, n, rc;

	rc = cmd_allowed(c, CLI_PROTO_OWAMP);
	if (rc)
		return rc;
	if (c->nsess >= CLI_MAX_SESS)
		return -ENOSPC;
	if (!f->num_slots || f->num_slots > CODEC_OW_SLOTS_MAX || !m->slots)
		return -EINVAL;
	len = CODEC_OW_REQUEST_LEN(f->num_slots);
	idx = (int)c->nsess;
	s = &c->sess[idx];
	memset(s, 0, sizeof(*s));
	s->ow_req = malloc(len);
	if (!s->ow_req)
		return -ENOMEM;
	n = codec_request_session_encode(m, s->ow_req, len);
	if (n < 0 || (size_t)n != len) {
		free(s->ow_req);
		s->ow_req = NULL;
		return n < 0 ? n : -EINVAL;
	}
	s->ow_req_len = len;
	s->ow_send = !!f->conf_receiver;
	if (!s->ow_send)
		memcpy(s->sid, f->sid, XW_SID_LEN);
	s->params.conf_sender = f->conf_sender;
	s->params.conf_receiver = f->conf_receiver;
	s->params.num_slots = f->num_slots;
	s->params.num_packets = f->num_packets;
	s->params.sender_port = f->sender_port;
	s->params.receiver_port = f->receiver_port;
	memcpy(s->params.sender_addr, f->sender_addr, 16);
	memcpy(s->params.receiver_addr, f->receiver_addr, 16);
	s->params.padding_len = f->padding_len;
	s->params.start_time = f->start_time;
	s->params.timeout = f->timeout;
	s->params.type_p = f->type_p;
	c->nsess++;
	cmd.sess = idx;
	rc = enqueue(c, &cmd);
	if (rc) {
		c->nsess--;
		free(s->ow_req);
		s->ow_req = NULL;
		return rc;
	}
	return idx;
}

int cli_ow_stop(struct cli *c, uint8_t accept, const struct codec_ow_stop_rec *recs, unsigned int n)
{
	struct cli_cmd cmd = {.kind = CMD_OW_STOP, .accept = accept, .nidx = n};
	size_t total = 0, off = 0;
	unsigned int i;
	int rc;

	rc = cmd_allowed(c, CLI_PROTO_OWAMP);
	if (rc)
		return rc;
	if (n > CODEC_OW_STOP_SESSIONS_MAX || (n && !recs))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (recs[i].num_skips > CODEC_OW_SKIPS_MAX || (recs[i].num_skips && !recs[i].skips))
			return -EINVAL;
		total += recs[i].num_skips;
	}
	cmd.recs = calloc(n ? n : 1, sizeof(*cmd.recs));
	cmd.skips = calloc(total ? total : 1, sizeof(*cmd.skips));
	if (!cmd.recs || !cmd.skips) {
		cmd_free(&cmd);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		cmd.recs[i] = recs[i];
		cmd.recs[i].skip_bytes = NULL;
		if (recs[i].num_skips)
			memcpy(cmd.skips + off, recs[i].skips,
			       recs[i].num_skips * sizeof(*cmd.skips));
		cmd.recs[i].skips = cmd.skips + off;
		off += recs[i].num_skips;
	}
	rc = enqueue(c, &cmd);
	if (rc)
		cmd_free(&cmd);
	return rc;
}

int cli_ow_fetch(struct cli *c, const struct codec_fetch_session *q)
{
	struct cli_cmd cmd = {.kind = CMD_FETCH};
	int idx, rc;

	rc = cmd_allowed(c, CLI_PROTO_OWAMP);
	if (rc)
		return rc;
	if (c->nfetch >= CLI_MAX_FETCH)
		return -ENOSPC;
	idx = (int)c->nfetch++;
	memset(&c->fetch[idx], 0, sizeof(c->fetch[idx]));
	c->fetch[idx].q = *q;
	cmd.sess = idx;
	rc = enqueue(c, &cmd);
	if (rc) {
		c->nfetch--;
		return rc;
	}
	return idx;
}

const struct cli_fetch *cli_fetch(const struct cli *c, int idx)
{
	if (idx < 0 || (unsigned int)idx >= c->nfetch)
		return NULL;
	return &c->fetch[idx];
}

const struct xw_session_keys *cli_keys(const struct cli *c)
{
	return c->have_keys && c->state != CLI_CLOSED ? &c->keys : NULL;
}
