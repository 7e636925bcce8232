// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP-Control message codec: structs <-> plaintext bytes.  Contract in
 * codec.h.  Each message has its RFC diagram above its functions, and its
 * field offsets as constants checked against the diagram with
 * _Static_assert, so that an offset typo fails the build, not the wire.
 */
#include <errno.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "xwamp/wire.h"

/* Accept values this implementation knows (RFC 4656 3.3, RFC 7717 5.3). */
#define ACCEPT_MAX_KNOWN XW_ACCEPT_NO_IKE_SA

uint8_t codec_accept_from_wire(uint8_t v)
{
	/* RFC 4656 3.3: "MUST interpret all values ... other than these as 1" */
	return v > ACCEPT_MAX_KNOWN ? XW_ACCEPT_FAILURE : v;
}

static int check_len(const char *what, size_t len, size_t want)
{
	if (len != want) {
		pr_debug("codec: %s: length %zu, want %zu", what, len, want);
		return -EMSGSIZE;
	}
	return 0;
}

static int check_cap(const char *what, size_t cap, size_t want)
{
	if (cap < want) {
		pr_debug("codec: %s: buffer %zu < %zu octets", what, cap, want);
		return -ENOSPC;
	}
	return 0;
}

static int check_cmd(const char *what, const uint8_t *buf, uint8_t want)
{
	if (buf[0] != want) {
		pr_debug("codec: %s: command number %u, want %u", what, buf[0], want);
		return -EBADMSG;
	}
	return 0;
}

/*
 * ---- Server Greeting (RFC 4656 3.1) -------------------------------------
 *
 *      0                   1                   2                   3
 *      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                                                               |
 *     |                      Unused (12 octets)                       |
 *     |                                                               |
 *     |+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-++-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                            Modes                              |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                     Challenge (16 octets)                     |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                        Salt (16 octets)                       |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                        Count (4 octets)                       |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                        MBZ (12 octets)                        |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define GREET_MODES	12
#define GREET_CHALLENGE 16
#define GREET_SALT	32
#define GREET_COUNT	48
#define GREET_MBZ	52
_Static_assert(GREET_MBZ + 12 == XW_GREETING_LEN, "greeting layout");
_Static_assert(GREET_CHALLENGE + 16 == GREET_SALT && GREET_SALT + 16 == GREET_COUNT,
	       "greeting layout");

int codec_greeting_encode(const struct codec_greeting *m, uint8_t *buf, size_t cap)
{
	int err = check_cap("greeting", cap, XW_GREETING_LEN);

	if (err)
		return err;
	memset(buf, 0, XW_GREETING_LEN);
	put_be32(buf + GREET_MODES, m->modes);
	memcpy(buf + GREET_CHALLENGE, m->challenge, 16);
	memcpy(buf + GREET_SALT, m->salt, 16);
	put_be32(buf + GREET_COUNT, m->count);
	return XW_GREETING_LEN;
}

int codec_greeting_decode(struct codec_greeting *m, const uint8_t *buf, size_t len)
{
	int err = check_len("greeting", len, XW_GREETING_LEN);

	if (err)
		return err;
	m->modes = get_be32(buf + GREET_MODES);
	memcpy(m->challenge, buf + GREET_CHALLENGE, 16);
	memcpy(m->salt, buf + GREET_SALT, 16);
	m->count = get_be32(buf + GREET_COUNT);
	/* RFC 4656 3.1: "Count MUST be a power of 2.  Count MUST be at least 1024." */
	if (m->count < 1024 || (m->count & (m->count - 1))) {
		pr_warn("codec: greeting: Count %u is not a power of 2 >= 1024", m->count);
		return -EBADMSG;
	}
	return 0;
}

/*
 * ---- Set-Up-Response (RFC 4656 3.1) -------------------------------------
 *
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                             Mode                              |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     .                       KeyID (80 octets)                       .
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     .                       Token (64 octets)                       .
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     .                     Client-IV (16 octets)                     .
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define SUR_MODE  0
#define SUR_KEYID 4
#define SUR_TOKEN (SUR_KEYID + XW_KEYID_LEN)
#define SUR_IV	  (SUR_TOKEN + XW_TOKEN_LEN)
_Static_assert(SUR_IV == CODEC_SETUP_RESPONSE_IV_OFF, "set-up-response layout");
_Static_assert(SUR_IV + XW_BLOCK_LEN == XW_SETUP_RESPONSE_LEN, "set-up-response layout");

int codec_setup_response_encode(const struct codec_setup_response *m, uint8_t *buf, size_t cap)
{
	int err = check_cap("set-up-response", cap, XW_SETUP_RESPONSE_LEN);

	if (err)
		return err;
	put_be32(buf + SUR_MODE, m->mode);
	memcpy(buf + SUR_KEYID, m->keyid, XW_KEYID_LEN);
	memcpy(buf + SUR_TOKEN, m->token, XW_TOKEN_LEN);
	memcpy(buf + SUR_IV, m->client_iv, XW_BLOCK_LEN);
	return XW_SETUP_RESPONSE_LEN;
}

int codec_setup_response_decode(struct codec_setup_response *m, const uint8_t *buf, size_t len)
{
	int err = check_len("set-up-response", len, XW_SETUP_RESPONSE_LEN);
	uint32_t sec;

	if (err)
		return err;
	m->mode = get_be32(buf + SUR_MODE);
	memcpy(m->keyid, buf + SUR_KEYID, XW_KEYID_LEN);
	memcpy(m->token, buf + SUR_TOKEN, XW_TOKEN_LEN);
	memcpy(m->client_iv, buf + SUR_IV, XW_BLOCK_LEN);
	/* RFC 4656 3.1 / RFC 5618 3.1: one or zero security mode bits */
	sec = m->mode & XW_MODE_SECURITY_MASK;
	if (sec & (sec - 1)) {
		pr_warn("codec: set-up-response: Mode 0x%x selects more than one security mode",
			m->mode);
		return -EBADMSG;
	}
	return 0;
}

/*
 * ---- Server-Start (RFC 4656 3.1) ----------------------------------------
 *
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                         MBZ (15 octets)                       |
 *     |                                               +-+-+-+-+-+-+-+-+
 *     |                                               |   Accept      |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                     Server-IV (16 octets)                     |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                     Start-Time (Timestamp)                    |
 *     |                                                               |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                         MBZ (8 octets)                        |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define SS_ACCEPT     15
#define SS_IV	      16
#define SS_START_TIME 32
#define SS_MBZ2	      40
_Static_assert(SS_IV == CODEC_SERVER_START_IV_OFF, "server-start layout");
_Static_assert(SS_START_TIME == CODEC_SERVER_START_ENC_OFF, "server-start layout");
_Static_assert(SS_MBZ2 + 8 == XW_SERVER_START_LEN, "server-start layout");

int codec_server_start_encode(const struct codec_server_start *m, uint8_t *buf, size_t cap)
{
	int err = check_cap("server-start", cap, XW_SERVER_START_LEN);

	if (err)
		return err;
	memset(buf, 0, XW_SERVER_START_LEN);
	buf[SS_ACCEPT] = m->accept;
	memcpy(buf + SS_IV, m->server_iv, XW_BLOCK_LEN);
	put_be64(buf + SS_START_TIME, m->start_time);
	return XW_SERVER_START_LEN;
}

int codec_server_start_decode(struct codec_server_start *m, const uint8_t *buf, size_t len)
{
	int err = check_len("server-start", len, XW_SERVER_START_LEN);

	if (err)
		return err;
	m->accept = codec_accept_from_wire(buf[SS_ACCEPT]);
	memcpy(m->server_iv, buf + SS_IV, XW_BLOCK_LEN);
	m->start_time = get_be64(buf + SS_START_TIME);
	return 0;
}

/*
 * ---- Request-TW-Session (RFC 5357 3.5; RFC 6038 4.2) ---------------------
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      5        |  MBZ  | IPVN  |  Conf-Sender  | Conf-Receiver |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  Number of Schedule Slots                     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      Number of Packets                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Sender Port          |         Receiver Port         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sender Address                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Sender Address (cont.) or MBZ (12 octets)           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Receiver Address                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Receiver Address (cont.) or MBZ (12 octets)         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        SID (16 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Padding Length                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           Start Time                          |
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Timeout, (8 octets)                     |
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Type-P Descriptor                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Octets to be reflected    |  Length of padding to reflect |  RFC 6038,
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  else MBZ
 *   |                       MBZ (4 octets)                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       HMAC (16 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define RTS_IPVN	      1 /* low nibble; high nibble MBZ */
#define RTS_CONF_SENDER	      2
#define RTS_CONF_RECEIVER     3
#define RTS_NUM_SLOTS	      4
#define RTS_NUM_PACKETS	      8
#define RTS_SENDER_PORT	      12
#define RTS_RECEIVER_PORT     14
#define RTS_SENDER_ADDR	      16
#define RTS_RECEIVER_ADDR     32
#define RTS_SID		      48
#define RTS_PADDING_LEN	      64
#define RTS_START_TIME	      68
#define RTS_TIMEOUT	      76
#define RTS_TYPE_P	      84
#define RTS_OCTETS_TO_REFLECT 88
#define RTS_REFLECT_PAD_LEN   90
#define RTS_MBZ		      92
#define RTS_HMAC	      96
_Static_assert(RTS_HMAC == CODEC_REQUEST_TW_SESSION_HMAC_OFF, "request-tw-session layout");
_Static_assert(RTS_SID + XW_SID_LEN == RTS_PADDING_LEN, "request-tw-session layout");
_Static_assert(RTS_TYPE_P + 4 == RTS_OCTETS_TO_REFLECT && RTS_MBZ + 4 == RTS_HMAC,
	       "request-tw-session layout");

static size_t addr_len(uint8_t ipvn)
{
	return ipvn == 6 ? 16 : 4;
}

/* The fixed 112 octets, shared by Request-TW-Session and OWAMP Request-Session. */
static void rs_fixed_encode(const struct codec_request_tw_session *m, uint8_t cmd, uint32_t mode,
			    uint8_t *buf)
{
	memset(buf, 0, XW_REQUEST_TW_SESSION_LEN);
	buf[0] = cmd;
	buf[RTS_IPVN] = m->ipvn & 0x0f;
	buf[RTS_CONF_SENDER] = m->conf_sender;
	buf[RTS_CONF_RECEIVER] = m->conf_receiver;
	put_be32(buf + RTS_NUM_SLOTS, m->num_slots);
	put_be32(buf + RTS_NUM_PACKETS, m->num_packets);
	put_be16(buf + RTS_SENDER_PORT, m->sender_port);
	put_be16(buf + RTS_RECEIVER_PORT, m->receiver_port);
	/* RFC 4656 3.5: with IPv4 the 12 octets after the address are MBZ */
	memcpy(buf + RTS_SENDER_ADDR, m->sender_addr, addr_len(m->ipvn));
	memcpy(buf + RTS_RECEIVER_ADDR, m->receiver_addr, addr_len(m->ipvn));
	memcpy(buf + RTS_SID, m->sid, XW_SID_LEN);
	put_be32(buf + RTS_PADDING_LEN, m->padding_len);
	put_be64(buf + RTS_START_TIME, m->start_time);
	put_be64(buf + RTS_TIMEOUT, m->timeout);
	put_be32(buf + RTS_TYPE_P, m->type_p);
	if (mode & XW_MODE_REFLECT_OCT) {
		put_be16(buf + RTS_OCTETS_TO_REFLECT, m->octets_to_reflect);
		put_be16(buf + RTS_REFLECT_PAD_LEN, m->reflect_pad_len);
	}
}

static void rs_fixed_decode(struct codec_request_tw_session *m, uint32_t mode, const uint8_t *buf)
{
	memset(m, 0, sizeof(*m));
	m->ipvn = buf[RTS_IPVN] & 0x0f; /* the high nibble is MBZ: ignored */
	m->conf_sender = buf[RTS_CONF_SENDER];
	m->conf_receiver = buf[RTS_CONF_RECEIVER];
	m->num_slots = get_be32(buf + RTS_NUM_SLOTS);
	m->num_packets = get_be32(buf + RTS_NUM_PACKETS);
	m->sender_port = get_be16(buf + RTS_SENDER_PORT);
	m->receiver_port = get_be16(buf + RTS_RECEIVER_PORT);
	memcpy(m->sender_addr, buf + RTS_SENDER_ADDR, addr_len(m->ipvn));
	memcpy(m->receiver_addr, buf + RTS_RECEIVER_ADDR, addr_len(m->ipvn));
	memcpy(m->sid, buf + RTS_SID, XW_SID_LEN);
	m->padding_len = get_be32(buf + RTS_PADDING_LEN);
	m->start_time = get_be64(buf + RTS_START_TIME);
	m->timeout = get_be64(buf + RTS_TIMEOUT);
	m->type_p = get_be32(buf + RTS_TYPE_P);
	if (mode & XW_MODE_REFLECT_OCT) {
		m->octets_to_reflect = get_be16(buf + RTS_OCTETS_TO_REFLECT);
		m->reflect_pad_len = get_be16(buf + RTS_REFLECT_PAD_LEN);
	}
}

static int rs_ipvn_ok(const char *what, uint8_t ipvn)
{
	if (ipvn != 4 && ipvn != 6) {
		/* RFC 4656 3.5: "Currently meaningful IPVN values are 4 and 6." */
		pr_debug("codec: %s: IP version %u is neither 4 nor 6", what, ipvn);
		return -EOPNOTSUPP;
	}
	return 0;
}

int codec_request_tw_session_encode(const struct codec_request_tw_session *m, uint32_t mode,
				    uint8_t *buf, size_t cap)
{
	int err = check_cap("request-tw-session", cap, XW_REQUEST_TW_SESSION_LEN);

	if (err)
		return err;
	if (m->ipvn != 4 && m->ipvn != 6) {
		pr_debug("codec: request-tw-session: cannot encode IP version %u", m->ipvn);
		return -EINVAL;
	}
	rs_fixed_encode(m, XW_CMD_REQUEST_TW_SESSION, mode, buf);
	return XW_REQUEST_TW_SESSION_LEN;
}

int codec_request_tw_session_decode(struct codec_request_tw_session *m, uint32_t mode,
				    const uint8_t *buf, size_t len)
{
	int err = check_len("request-tw-session", len, XW_REQUEST_TW_SESSION_LEN);

	if (err)
		return err;
	err = check_cmd("request-tw-session", buf, XW_CMD_REQUEST_TW_SESSION);
	if (err)
		return err;
	rs_fixed_decode(m, mode, buf);
	err = rs_ipvn_ok("request-tw-session", m->ipvn);
	if (err)
		return err;
	if (m->conf_sender || m->conf_receiver) {
		/* RFC 5357 3.5: "MUST interpret any non-zero value as an improperly
		 * formatted command, and MUST respond with the Accept field set to 3" */
		pr_debug("codec: request-tw-session: Conf-Sender %u / Conf-Receiver %u, must be 0",
			 m->conf_sender, m->conf_receiver);
		return -EOPNOTSUPP;
	}
	if (m->type_p & ~CODEC_TYPE_P_DSCP_MASK) {
		/* RFC 5357 3.5: "The only capability of this field is to set the DSCP" */
		pr_debug("codec: request-tw-session: Type-P 0x%08x is not a DSCP", m->type_p);
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * ---- Accept-Session (RFC 4656 3.5; RFC 6038 4.3) --------------------------
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |    Accept     |      MBZ      |            Port               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-|
 *   |                        SID (16 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |       Reflected octets        |         Server octets         |  RFC 6038,
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  else MBZ
 *   |                       MBZ (8 octets)                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       HMAC (16 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define AS_ACCEPT	 0
#define AS_PORT		 2
#define AS_SID		 4
#define AS_REFLECTED	 20
#define AS_SERVER_OCTETS 22
#define AS_MBZ		 24
#define AS_HMAC		 32
_Static_assert(AS_SID + XW_SID_LEN == AS_REFLECTED, "accept-session layout");
_Static_assert(AS_MBZ + 8 == AS_HMAC && AS_HMAC == CODEC_ACCEPT_SESSION_HMAC_OFF,
	       "accept-session layout");

int codec_accept_session_encode(const struct codec_accept_session *m, uint32_t mode, uint8_t *buf,
				size_t cap)
{
	int err = check_cap("accept-session", cap, XW_ACCEPT_SESSION_LEN);

	if (err)
		return err;
	memset(buf, 0, XW_ACCEPT_SESSION_LEN);
	buf[AS_ACCEPT] = m->accept;
	put_be16(buf + AS_PORT, m->port);
	memcpy(buf + AS_SID, m->sid, XW_SID_LEN);
	if (mode & XW_MODE_REFLECT_OCT) {
		put_be16(buf + AS_REFLECTED, m->reflected_octets);
		put_be16(buf + AS_SERVER_OCTETS, m->server_octets);
	}
	return XW_ACCEPT_SESSION_LEN;
}

int codec_accept_session_decode(struct codec_accept_session *m, uint32_t mode, const uint8_t *buf,
				size_t len)
{
	int err = check_len("accept-session", len, XW_ACCEPT_SESSION_LEN);

	if (err)
		return err;
	memset(m, 0, sizeof(*m));
	m->accept = codec_accept_from_wire(buf[AS_ACCEPT]);
	m->port = get_be16(buf + AS_PORT);
	memcpy(m->sid, buf + AS_SID, XW_SID_LEN);
	if (mode & XW_MODE_REFLECT_OCT) {
		m->reflected_octets = get_be16(buf + AS_REFLECTED);
		m->server_octets = get_be16(buf + AS_SERVER_OCTETS);
	}
	return 0;
}

/*
 * ---- Start-Sessions (RFC 4656 3.7) ---------------------------------------
 *
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |      2        |                                               |
 *     +-+-+-+-+-+-+-+-+                                               |
 *     |                        MBZ (15 octets)                        |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                       HMAC (16 octets)                        |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
_Static_assert(CODEC_START_SESSIONS_HMAC_OFF == 16, "start-sessions layout");

int codec_start_sessions_encode(uint8_t *buf, size_t cap)
{
	int err = check_cap("start-sessions", cap, XW_START_SESSIONS_LEN);

	if (err)
		return err;
	memset(buf, 0, XW_START_SESSIONS_LEN);
	buf[0] = XW_CMD_START_SESSIONS;
	return XW_START_SESSIONS_LEN;
}

int codec_start_sessions_decode(const uint8_t *buf, size_t len)
{
	int err = check_len("start-sessions", len, XW_START_SESSIONS_LEN);

	if (err)
		return err;
	return check_cmd("start-sessions", buf, XW_CMD_START_SESSIONS);
}

/*
 * ---- Start-Ack (RFC 4656 3.7) --------------------------------------------
 *
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |     Accept    |                                               |
 *     +-+-+-+-+-+-+-+-+                                               |
 *     |                        MBZ (15 octets)                        |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *     |                       HMAC (16 octets)                        |
 *     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define SA_ACCEPT 0
_Static_assert(CODEC_START_ACK_HMAC_OFF == 16, "start-ack layout");

int codec_start_ack_encode(const struct codec_start_ack *m, uint8_t *buf, size_t cap)
{
	int err = check_cap("start-ack", cap, XW_START_ACK_LEN);

	if (err)
		return err;
	memset(buf, 0, XW_START_ACK_LEN);
	buf[SA_ACCEPT] = m->accept;
	return XW_START_ACK_LEN;
}

int codec_start_ack_decode(struct codec_start_ack *m, const uint8_t *buf, size_t len)
{
	int err = check_len("start-ack", len, XW_START_ACK_LEN);

	if (err)
		return err;
	m->accept = codec_accept_from_wire(buf[SA_ACCEPT]);
	return 0;
}

/*
 * ---- Stop-Sessions, TWAMP form (RFC 5357 3.8) ----------------------------
 *
 *   "The message MUST NOT contain any session description records or skip
 *   ranges": a fixed 32 octets.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      3        |    Accept     |              MBZ              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      Number of Sessions                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        MBZ (8 octets)                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       HMAC (16 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define STOP_ACCEPT 1
#define STOP_NUM    4
#define STOP_MBZ    8
_Static_assert(STOP_MBZ + 8 == CODEC_STOP_SESSIONS_HMAC_OFF, "stop-sessions layout");

int codec_stop_sessions_encode(const struct codec_stop_sessions *m, uint8_t *buf, size_t cap)
{
	int err = check_cap("stop-sessions", cap, XW_STOP_SESSIONS_LEN);

	if (err)
		return err;
	memset(buf, 0, XW_STOP_SESSIONS_LEN);
	buf[0] = XW_CMD_STOP_SESSIONS;
	buf[STOP_ACCEPT] = m->accept;
	put_be32(buf + STOP_NUM, m->num_sessions);
	return XW_STOP_SESSIONS_LEN;
}

int codec_stop_sessions_decode(struct codec_stop_sessions *m, const uint8_t *buf, size_t len)
{
	int err = check_len("stop-sessions", len, XW_STOP_SESSIONS_LEN);

	if (err)
		return err;
	err = check_cmd("stop-sessions", buf, XW_CMD_STOP_SESSIONS);
	if (err)
		return err;
	m->accept = codec_accept_from_wire(buf[STOP_ACCEPT]);
	m->num_sessions = get_be32(buf + STOP_NUM);
	return 0;
}

/*
 * ---- Start-N-Sessions / Stop-N-Sessions (RFC 5938 3.2, 3.4) ---------------
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+B
 *   |    7 or 9     |                                               |
 *   +-+-+-+-+-+-+-+-+                                               +
 *   |                        MBZ (11 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     Number of Sessions                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+B
 *   |                    First SID (16 octets)                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+B
 *   .                 remaining SIDs (16 octets each)               .
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+B
 *   |                       HMAC (16 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+B
 *
 * ---- Start-N-Ack / Stop-N-Ack (RFC 5938 3.3, 3.5) -------------------------
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+B
 *   |   8 or 10     |     Accept    |            MBZ                |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        MBZ (8 octets)                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      Number of Sessions                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+B
 *   |                    First SID, remaining SIDs, HMAC            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+B
 *
 * "Number of Sessions ... MUST be one or greater.  The number of SID
 * fields that follow MUST be equal to the value".
 */
#define N_ACCEPT 1 /* Acks only; MBZ in the commands */
#define N_NUM	 12
#define N_SIDS	 16
_Static_assert(N_SIDS == CODEC_N_HDR_LEN && N_NUM + 4 == N_SIDS, "start-n layout");
_Static_assert(CODEC_N_LEN(1) == 48, "start-n layout");

static int n_count_ok(const char *what, uint32_t n)
{
	if (n == 0) {
		pr_debug("codec: %s: Number of Sessions is 0, must be >= 1", what);
		return -EBADMSG;
	}
	if (n > CODEC_N_SESSIONS_MAX) {
		pr_warn("codec: %s: Number of Sessions %u exceeds our limit %u", what, n,
			CODEC_N_SESSIONS_MAX);
		return -EMSGSIZE;
	}
	return 0;
}

static int n_encode(const char *what, uint8_t cmd, int ack, const struct codec_n_sessions *m,
		    uint8_t *buf, size_t cap)
{
	size_t len;
	int err;

	err = n_count_ok(what, m->num_sessions);
	if (err)
		return err == -EBADMSG ? -EINVAL : err;
	len = CODEC_N_LEN(m->num_sessions);
	err = check_cap(what, cap, len);
	if (err)
		return err;
	memset(buf, 0, len);
	buf[0] = cmd;
	if (ack)
		buf[N_ACCEPT] = m->accept;
	put_be32(buf + N_NUM, m->num_sessions);
	memcpy(buf + N_SIDS, m->sids, (size_t)m->num_sessions * XW_SID_LEN);
	return (int)len;
}

static int n_decode(const char *what, uint8_t cmd, int ack, struct codec_n_sessions *m,
		    const uint8_t *buf, size_t len)
{
	uint32_t n;
	int err;

	if (len < CODEC_N_LEN(1)) {
		pr_debug("codec: %s: length %zu < minimum %zu", what, len, CODEC_N_LEN(1));
		return -EMSGSIZE;
	}
	err = check_cmd(what, buf, cmd);
	if (err)
		return err;
	n = get_be32(buf + N_NUM);
	err = n_count_ok(what, n);
	if (err)
		return err;
	err = check_len(what, len, CODEC_N_LEN(n));
	if (err)
		return err;
	m->accept = ack ? codec_accept_from_wire(buf[N_ACCEPT]) : 0;
	m->num_sessions = n;
	m->sids = buf + N_SIDS;
	return 0;
}

int codec_start_n_sessions_encode(const struct codec_n_sessions *m, uint8_t *buf, size_t cap)
{
	return n_encode("start-n-sessions", XW_CMD_START_N_SESSIONS, 0, m, buf, cap);
}

int codec_start_n_sessions_decode(struct codec_n_sessions *m, const uint8_t *buf, size_t len)
{
	return n_decode("start-n-sessions", XW_CMD_START_N_SESSIONS, 0, m, buf, len);
}

int codec_start_n_ack_encode(const struct codec_n_sessions *m, uint8_t *buf, size_t cap)
{
	return n_encode("start-n-ack", XW_CMD_START_N_ACK, 1, m, buf, cap);
}

int codec_start_n_ack_decode(struct codec_n_sessions *m, const uint8_t *buf, size_t len)
{
	return n_decode("start-n-ack", XW_CMD_START_N_ACK, 1, m, buf, len);
}

int codec_stop_n_sessions_encode(const struct codec_n_sessions *m, uint8_t *buf, size_t cap)
{
	return n_encode("stop-n-sessions", XW_CMD_STOP_N_SESSIONS, 0, m, buf, cap);
}

int codec_stop_n_sessions_decode(struct codec_n_sessions *m, const uint8_t *buf, size_t len)
{
	return n_decode("stop-n-sessions", XW_CMD_STOP_N_SESSIONS, 0, m, buf, len);
}

int codec_stop_n_ack_encode(const struct codec_n_sessions *m, uint8_t *buf, size_t cap)
{
	return n_encode("stop-n-ack", XW_CMD_STOP_N_ACK, 1, m, buf, cap);
}

int codec_stop_n_ack_decode(struct codec_n_sessions *m, const uint8_t *buf, size_t len)
{
	return n_decode("stop-n-ack", XW_CMD_STOP_N_ACK, 1, m, buf, len);
}

/*
 * ---- OWAMP Request-Session (RFC 4656 3.5) --------------------------------
 *
 *   The fixed part is Request-TW-Session's diagram above with command 1
 *   and octets 88..95 MBZ, HMAC at 96; then the slots, then a second HMAC:
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |    Slot Type  |                MBZ (7 octets)                 |  112 + 16 i
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 Slot Parameter (Timestamp)                    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       HMAC (16 octets)                        |  112 + 16 n
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define SLOT_TYPE  0
#define SLOT_PARAM 8
_Static_assert(SLOT_PARAM + 8 == CODEC_OW_SLOT_LEN, "schedule slot layout");
_Static_assert(CODEC_OW_REQUEST_LEN(1) == 144, "request-session layout");

int codec_request_session_encode(const struct codec_request_session *m, uint8_t *buf, size_t cap)
{
	uint32_t n = m->f.num_slots, i;
	size_t len;
	int err;

	if (n == 0 || n > CODEC_OW_SLOTS_MAX || !m->slots) {
		pr_debug("codec: request-session: cannot encode %u schedule slots", n);
		return -EINVAL;
	}
	if (m->f.ipvn != 4 && m->f.ipvn != 6) {
		pr_debug("codec: request-session: cannot encode IP version %u", m->f.ipvn);
		return -EINVAL;
	}
	len = CODEC_OW_REQUEST_LEN(n);
	err = check_cap("request-session", cap, len);
	if (err)
		return err;
	/* mode 0: no RFC 6038 fields in OWAMP, octets 88..95 stay MBZ */
	rs_fixed_encode(&m->f, XW_CMD_REQUEST_SESSION, 0, buf);
	memset(buf + XW_REQUEST_TW_SESSION_LEN, 0, len - XW_REQUEST_TW_SESSION_LEN);
	for (i = 0; i < n; i++) {
		uint8_t *s = buf + XW_REQUEST_TW_SESSION_LEN + (size_t)i * CODEC_OW_SLOT_LEN;

		s[SLOT_TYPE] = m->slots[i].type;
		put_be64(s + SLOT_PARAM, m->slots[i].param);
	}
	return (int)len;
}

int codec_request_session_decode(struct codec_request_session *m, const uint8_t *buf, size_t len)
{
	uint32_t n, i;
	int err;

	if (len < CODEC_OW_REQUEST_LEN(0)) {
		pr_debug("codec: request-session: length %zu < %zu", len, CODEC_OW_REQUEST_LEN(0));
		return -EMSGSIZE;
	}
	err = check_cmd("request-session", buf, XW_CMD_REQUEST_SESSION);
	if (err)
		return err;
	memset(m, 0, sizeof(*m));
	rs_fixed_decode(&m->f, 0, buf);
	n = m->f.num_slots;
	if (n > CODEC_OW_SLOTS_MAX) {
		pr_warn("codec: request-session: %u schedule slots exceed our limit %u", n,
			CODEC_OW_SLOTS_MAX);
		return -EMSGSIZE;
	}
	err = check_len("request-session", len, CODEC_OW_REQUEST_LEN(n));
	if (err)
		return err;
	m->slot_bytes = buf + XW_REQUEST_TW_SESSION_LEN;
	/* RFC 4656 3.5: "MUST interpret any non-zero value as 1" */
	m->f.conf_sender = !!m->f.conf_sender;
	m->f.conf_receiver = !!m->f.conf_receiver;
	if (!m->f.conf_sender && !m->f.conf_receiver) {
		/* RFC 4656 3.5: "At least one of Conf-Sender and Conf-Receiver MUST be 1" */
		pr_debug("codec: request-session: neither Conf-Sender nor Conf-Receiver is set");
		return -EBADMSG;
	}
	if (n == 0) {
		/* RFC 4656 3.5: "followed by one or more schedule slot descriptions" */
		pr_debug("codec: request-session: Number of Schedule Slots is 0");
		return -EBADMSG;
	}
	err = rs_ipvn_ok("request-session", m->f.ipvn);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		uint8_t t = m->slot_bytes[(size_t)i * CODEC_OW_SLOT_LEN + SLOT_TYPE];

		if (t != CODEC_SLOT_EXP && t != CODEC_SLOT_FIXED) {
			/* RFC 4656 3.6: "Two types are supported" */
			pr_debug("codec: request-session: slot %u has unknown type %u", i, t);
			return -EOPNOTSUPP;
		}
	}
	if (m->f.conf_sender && (m->f.type_p & ~CODEC_TYPE_P_DSCP_MASK)) {
		/* RFC 4656 3.5: a sender that cannot set the Type-P "SHOULD reject" */
		pr_debug("codec: request-session: Type-P 0x%08x is not a DSCP", m->f.type_p);
		return -EOPNOTSUPP;
	}
	return 0;
}

int codec_request_session_fixup(uint8_t *buf, size_t len, const uint8_t sid[XW_SID_LEN],
				uint16_t sender_port, uint16_t receiver_port)
{
	if (len < CODEC_OW_REQUEST_LEN(0))
		return -EINVAL;
	put_be16(buf + RTS_SENDER_PORT, sender_port);
	put_be16(buf + RTS_RECEIVER_PORT, receiver_port);
	memcpy(buf + RTS_SID, sid, XW_SID_LEN);
	memset(buf + RTS_HMAC, 0, XW_HMAC_LEN);
	memset(buf + len - XW_HMAC_LEN, 0, XW_HMAC_LEN);
	return 0;
}

void codec_ow_slot_at(const struct codec_request_session *m, uint32_t i, struct codec_ow_slot *out)
{
	const uint8_t *s = m->slot_bytes + (size_t)i * CODEC_OW_SLOT_LEN;

	out->type = s[SLOT_TYPE];
	out->param = get_be64(s + SLOT_PARAM);
}

/*
 * ---- OWAMP Stop-Sessions (RFC 4656 3.8) -----------------------------------
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      3        |    Accept     |              MBZ              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      Number of Sessions                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        MBZ (8 octets)                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   then Number of Sessions records, each padded to a block:
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        SID (16 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           Next Seqno                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     Number of Skip Ranges                     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  First Seqno Skipped, Last Seqno Skipped (8 octets each) ...  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   then the HMAC (16 octets).
 */
#define OWSTOP_REC_SID	 0
#define OWSTOP_REC_NEXT	 16
#define OWSTOP_REC_NSKIP 20
#define OWSTOP_REC_SKIPS 24
_Static_assert(OWSTOP_REC_SKIPS == CODEC_OW_STOP_REC_HDR_LEN, "stop-sessions record layout");
_Static_assert(CODEC_OW_STOP_REC_LEN(0) == 32 && CODEC_OW_STOP_REC_LEN(1) == 32 &&
		       CODEC_OW_STOP_REC_LEN(2) == 48,
	       "stop-sessions record padding");

void codec_ow_skip_at(const uint8_t *skip_bytes, uint32_t i, struct codec_ow_skip *out)
{
	out->first = get_be32(skip_bytes + (size_t)i * CODEC_OW_SKIP_LEN);
	out->last = get_be32(skip_bytes + (size_t)i * CODEC_OW_SKIP_LEN + 4);
}

static int skip_list_check(const struct codec_ow_skip *s, uint32_t i, uint32_t next_seqno,
			   const struct codec_ow_skip *prev)
{
	if (s->first > s->last) {
		pr_warn("codec: skip range %u: first %u > last %u", i, s->first, s->last);
		return -EBADMSG;
	}
	if (next_seqno && s->last >= next_seqno) {
		pr_warn("codec: skip range %u: %u..%u beyond Next Seqno %u", i, s->first, s->last,
			next_seqno);
		return -EBADMSG;
	}
	if (prev && s->first <= prev->last) {
		/* RFC 4656 3.8 "MUST be in order"; 3.9: overlapping or out of order is invalid */
		pr_warn("codec: skip range %u (%u..%u) overlaps or precedes the one before "
			"(%u..%u)",
			i, s->first, s->last, prev->first, prev->last);
		return -EBADMSG;
	}
	return 0;
}

void codec_ow_skip_note(struct codec_ow_skip *s, uint32_t *n, uint32_t max, uint32_t seq)
{
	struct codec_ow_skip *last = *n ? &s[*n - 1] : NULL;

	if (last && (last->last + 1 == seq || *n >= max)) {
		last->last = seq;
		return;
	}
	if (*n < max)
		s[(*n)++] = (struct codec_ow_skip){seq, seq};
}

int codec_ow_skips_check(const uint8_t *skip_bytes, uint32_t n, uint32_t next_seqno)
{
	struct codec_ow_skip prev, cur;
	uint32_t i;
	int err;

	for (i = 0; i < n; i++) {
		codec_ow_skip_at(skip_bytes, i, &cur);
		err = skip_list_check(&cur, i, next_seqno, i ? &prev : NULL);
		if (err)
			return err;
		prev = cur;
	}
	return 0;
}

int codec_ow_stop_sessions_encode(uint8_t accept, const struct codec_ow_stop_rec *recs, uint32_t n,
				  uint8_t *buf, size_t cap)
{
	size_t len = CODEC_OW_STOP_HDR_LEN + XW_HMAC_LEN, off;
	uint32_t i, k;
	int err;

	if (n > CODEC_OW_STOP_SESSIONS_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (recs[i].num_skips > CODEC_OW_SKIPS_MAX)
			return -EINVAL;
		for (k = 0; k < recs[i].num_skips; k++)
			if (skip_list_check(&recs[i].skips[k], k, recs[i].next_seqno,
					    k ? &recs[i].skips[k - 1] : NULL))
				return -EINVAL;
		len += CODEC_OW_STOP_REC_LEN(recs[i].num_skips);
	}
	err = check_cap("stop-sessions", cap, len);
	if (err)
		return err;
	memset(buf, 0, len);
	buf[0] = XW_CMD_STOP_SESSIONS;
	buf[STOP_ACCEPT] = accept;
	put_be32(buf + STOP_NUM, n);
	off = CODEC_OW_STOP_HDR_LEN;
	for (i = 0; i < n; i++) {
		uint8_t *r = buf + off;

		memcpy(r + OWSTOP_REC_SID, recs[i].sid, XW_SID_LEN);
		put_be32(r + OWSTOP_REC_NEXT, recs[i].next_seqno);
		put_be32(r + OWSTOP_REC_NSKIP, recs[i].num_skips);
		for (k = 0; k < recs[i].num_skips; k++) {
			put_be32(r + OWSTOP_REC_SKIPS + k * CODEC_OW_SKIP_LEN,
				 recs[i].skips[k].first);
			put_be32(r + OWSTOP_REC_SKIPS + k * CODEC_OW_SKIP_LEN + 4,
				 recs[i].skips[k].last);
		}
		off += CODEC_OW_STOP_REC_LEN(recs[i].num_skips);
	}
	return (int)len;
}

/*
 * Walks the records of an OWAMP Stop-Sessions in the first @avail octets:
 * returns the whole length when it is known, 0 when more octets are needed.
 */
static int ow_stop_len(const uint8_t *buf, size_t avail)
{
	size_t off = CODEC_OW_STOP_HDR_LEN;
	uint32_t n, i, nskip;

	if (avail < CODEC_OW_STOP_HDR_LEN)
		return 0;
	n = get_be32(buf + STOP_NUM);
	if (n > CODEC_OW_STOP_SESSIONS_MAX) {
		pr_warn("codec: stop-sessions: %u sessions exceed our limit %u", n,
			CODEC_OW_STOP_SESSIONS_MAX);
		return -EMSGSIZE;
	}
	for (i = 0; i < n; i++) {
		if (avail < off + CODEC_OW_STOP_REC_HDR_LEN)
			return 0;
		nskip = get_be32(buf + off + OWSTOP_REC_NSKIP);
		if (nskip > get_be32(buf + off + OWSTOP_REC_NEXT)) {
			/*
			 * RFC 4656 3.8: skip ranges in order, disjoint, of packets
			 * below Next Seqno: at most one per packet.  Said now, from
			 * the record header, before its ranges are waited for.
			 */
			pr_warn("codec: stop-sessions: record %u has %u skip ranges below Next "
				"Seqno %u",
				i, nskip, get_be32(buf + off + OWSTOP_REC_NEXT));
			return -EBADMSG;
		}
		if (nskip > CODEC_OW_SKIPS_MAX) {
			pr_warn("codec: stop-sessions: %u skip ranges exceed our limit %u", nskip,
				CODEC_OW_SKIPS_MAX);
			return -EMSGSIZE;
		}
		off += CODEC_OW_STOP_REC_LEN(nskip);
		if (off > INT32_MAX / 2)
			return -EMSGSIZE;
	}
	return (int)(off + XW_HMAC_LEN);
}

int codec_ow_stop_sessions_decode(struct codec_ow_stop *m, const uint8_t *buf, size_t len)
{
	size_t off = CODEC_OW_STOP_HDR_LEN;
	struct codec_ow_stop_rec rec;
	uint32_t i;
	int want, err;

	if (len < CODEC_OW_STOP_HDR_LEN + XW_HMAC_LEN) {
		pr_debug("codec: stop-sessions: length %zu too short", len);
		return -EMSGSIZE;
	}
	err = check_cmd("stop-sessions", buf, XW_CMD_STOP_SESSIONS);
	if (err)
		return err;
	want = ow_stop_len(buf, len);
	if (want <= 0)
		return want ? want : -EMSGSIZE;
	err = check_len("stop-sessions", len, (size_t)want);
	if (err)
		return err;
	m->accept = codec_accept_from_wire(buf[STOP_ACCEPT]);
	m->num_sessions = get_be32(buf + STOP_NUM);
	m->recs = buf + CODEC_OW_STOP_HDR_LEN;
	m->recs_len = len - CODEC_OW_STOP_HDR_LEN - XW_HMAC_LEN;
	for (i = 0, off = 0; i < m->num_sessions; i++) {
		codec_ow_stop_rec_at(m, &off, &rec);
		err = codec_ow_skips_check(rec.skip_bytes, rec.num_skips, rec.next_seqno);
		if (err)
			return err;
	}
	return 0;
}

void codec_ow_stop_rec_at(const struct codec_ow_stop *m, size_t *off, struct codec_ow_stop_rec *rec)
{
	const uint8_t *r = m->recs + *off;

	memset(rec, 0, sizeof(*rec));
	memcpy(rec->sid, r + OWSTOP_REC_SID, XW_SID_LEN);
	rec->next_seqno = get_be32(r + OWSTOP_REC_NEXT);
	rec->num_skips = get_be32(r + OWSTOP_REC_NSKIP);
	rec->skip_bytes = r + OWSTOP_REC_SKIPS;
	*off += CODEC_OW_STOP_REC_LEN(rec->num_skips);
}

/*
 * ---- Fetch-Session (RFC 4656 3.9) ------------------------------------------
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      4        |                                               |
 *   +-+-+-+-+-+-+-+-+         MBZ (7 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Begin Seq                             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                          End Seq                              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        SID (16 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       HMAC (16 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define FS_BEGIN 8
#define FS_END	 12
#define FS_SID	 16
#define FS_HMAC	 32
_Static_assert(FS_SID + XW_SID_LEN == FS_HMAC && FS_HMAC + XW_HMAC_LEN == CODEC_FETCH_SESSION_LEN,
	       "fetch-session layout");

int codec_fetch_session_encode(const struct codec_fetch_session *m, uint8_t *buf, size_t cap)
{
	int err = check_cap("fetch-session", cap, CODEC_FETCH_SESSION_LEN);

	if (err)
		return err;
	memset(buf, 0, CODEC_FETCH_SESSION_LEN);
	buf[0] = XW_CMD_FETCH_SESSION;
	put_be32(buf + FS_BEGIN, m->begin_seq);
	put_be32(buf + FS_END, m->end_seq);
	memcpy(buf + FS_SID, m->sid, XW_SID_LEN);
	return CODEC_FETCH_SESSION_LEN;
}

int codec_fetch_session_decode(struct codec_fetch_session *m, const uint8_t *buf, size_t len)
{
	int err = check_len("fetch-session", len, CODEC_FETCH_SESSION_LEN);

	if (err)
		return err;
	err = check_cmd("fetch-session", buf, XW_CMD_FETCH_SESSION);
	if (err)
		return err;
	m->begin_seq = get_be32(buf + FS_BEGIN);
	m->end_seq = get_be32(buf + FS_END);
	memcpy(m->sid, buf + FS_SID, XW_SID_LEN);
	if (m->begin_seq > m->end_seq) {
		pr_debug("codec: fetch-session: Begin Seq %u > End Seq %u", m->begin_seq,
			 m->end_seq);
		return -EBADMSG;
	}
	return 0;
}

/*
 * ---- Fetch-Ack (RFC 4656 3.9) ----------------------------------------------
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Accept    | Finished      |          MBZ (2 octets)       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           Next Seqno                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Number of Skip Ranges                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Number of Records                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       HMAC (16 octets)                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define FA_ACCEPT   0
#define FA_FINISHED 1
#define FA_NEXT	    4
#define FA_NSKIP    8
#define FA_NREC	    12
_Static_assert(FA_NREC + 4 + XW_HMAC_LEN == CODEC_FETCH_ACK_LEN, "fetch-ack layout");

int codec_fetch_ack_encode(const struct codec_fetch_ack *m, uint8_t *buf, size_t cap)
{
	int err = check_cap("fetch-ack", cap, CODEC_FETCH_ACK_LEN);

	if (err)
		return err;
	memset(buf, 0, CODEC_FETCH_ACK_LEN);
	buf[FA_ACCEPT] = m->accept;
	if (m->accept) /* RFC 4656 3.9: "MUST specify zero for all remaining fields" */
		return CODEC_FETCH_ACK_LEN;
	buf[FA_FINISHED] = m->finished;
	/* "If Finished is zero, then Next Seqno [and Skip Ranges] MUST be set to zero" */
	if (m->finished) {
		put_be32(buf + FA_NEXT, m->next_seqno);
		put_be32(buf + FA_NSKIP, m->num_skips);
	}
	put_be32(buf + FA_NREC, m->num_records);
	return CODEC_FETCH_ACK_LEN;
}

int codec_fetch_ack_decode(struct codec_fetch_ack *m, const uint8_t *buf, size_t len)
{
	int err = check_len("fetch-ack", len, CODEC_FETCH_ACK_LEN);

	if (err)
		return err;
	memset(m, 0, sizeof(*m));
	m->accept = codec_accept_from_wire(buf[FA_ACCEPT]);
	if (m->accept) /* "The client MUST ignore all remaining fields" */
		return 0;
	/* "Finished is non-zero if the OWAMP-Test session has terminated" */
	m->finished = !!buf[FA_FINISHED];
	m->next_seqno = get_be32(buf + FA_NEXT);
	m->num_skips = get_be32(buf + FA_NSKIP);
	m->num_records = get_be32(buf + FA_NREC);
	if (!m->finished && (m->next_seqno || m->num_skips)) {
		/* "If Finished is zero, then Next Seqno [and Skip Ranges] MUST be set to zero" */
		pr_warn("codec: fetch-ack: session not finished, yet Next Seqno %u and %u skip "
			"ranges (RFC 4656 3.9: MUST be zero)",
			m->next_seqno, m->num_skips);
		return -EBADMSG;
	}
	if (m->num_skips > m->next_seqno) {
		/* ranges in order, disjoint, below Next Seqno: at most one per packet */
		pr_warn("codec: fetch-ack: %u skip ranges cannot fit below Next Seqno %u",
			m->num_skips, m->next_seqno);
		return -EBADMSG;
	}
	if (m->num_skips > CODEC_OW_SKIPS_MAX) {
		pr_warn("codec: fetch-ack: %u skip ranges exceed our limit %u", m->num_skips,
			CODEC_OW_SKIPS_MAX);
		return -EMSGSIZE;
	}
	return 0;
}

/*
 * ---- Packet record of the session data (RFC 4656 3.9) ----------------------
 *
 *     00|                          Seq Number                           |
 *     04|      Send Error Estimate      |    Receive Error Estimate     |
 *     08|                         Send Timestamp                        |
 *     16|                       Receive Timestamp                       |
 *     24|    TTL        |
 */
#define REC_SEQ	    0
#define REC_SEND_EE 4
#define REC_RECV_EE 6
#define REC_SEND_TS 8
#define REC_RECV_TS 16
#define REC_TTL	    24
_Static_assert(REC_TTL + 1 == CODEC_OW_RECORD_LEN, "packet record layout");

void codec_ow_record_encode(const struct codec_ow_record *r, uint8_t out[CODEC_OW_RECORD_LEN])
{
	put_be32(out + REC_SEQ, r->seq);
	put_be16(out + REC_SEND_EE, r->send_errest);
	put_be16(out + REC_RECV_EE, r->recv_errest);
	put_be64(out + REC_SEND_TS, r->send_ts);
	put_be64(out + REC_RECV_TS, r->recv_ts);
	out[REC_TTL] = r->ttl;
}

void codec_ow_record_decode(struct codec_ow_record *r, const uint8_t in[CODEC_OW_RECORD_LEN])
{
	r->seq = get_be32(in + REC_SEQ);
	r->send_errest = get_be16(in + REC_SEND_EE);
	r->recv_errest = get_be16(in + REC_RECV_EE);
	r->send_ts = get_be64(in + REC_SEND_TS);
	r->recv_ts = get_be64(in + REC_RECV_TS);
	r->ttl = in[REC_TTL];
}

int codec_ow_record_lost(const struct codec_ow_record *r)
{
	/* RFC 4656 3.9: "A receive timestamp consisting of all zero bits" */
	return r->recv_ts == 0;
}

int codec_ow_skips_part_encode(const struct codec_ow_skip *s, uint32_t n, uint8_t *buf, size_t cap)
{
	size_t len = CODEC_OW_SKIPS_PART_LEN(n);
	uint32_t i;
	int err = check_cap("fetch skip ranges", cap, len);

	if (err)
		return err;
	memset(buf, 0, len);
	for (i = 0; i < n; i++) {
		put_be32(buf + (size_t)i * CODEC_OW_SKIP_LEN, s[i].first);
		put_be32(buf + (size_t)i * CODEC_OW_SKIP_LEN + 4, s[i].last);
	}
	return (int)len;
}

int codec_ow_records_part_encode(const struct codec_ow_record *r, uint32_t n, uint8_t *buf,
				 size_t cap)
{
	size_t len = CODEC_OW_RECORDS_PART_LEN(n);
	uint32_t i;
	int err;

	if (len > INT32_MAX)
		return -EINVAL;
	err = check_cap("fetch records", cap, len);
	if (err)
		return err;
	memset(buf, 0, len);
	for (i = 0; i < n; i++)
		codec_ow_record_encode(&r[i], buf + (size_t)i * CODEC_OW_RECORD_LEN);
	return (int)len;
}

/* ---- Message lengths ------------------------------------------------------ */

/*
 * OWAMP Request-Session (RFC 4656 3.5): 112 octets ending in an HMAC, then
 * Number of Schedule Slots 16-octet slots and one more HMAC.  TWAMP forbids
 * the command, but a server must still find where it ends to answer it.
 */
int codec_peek_cmd(const uint8_t *buf, size_t avail)
{
	return avail ? buf[0] : -EAGAIN;
}

static int n_len(const uint8_t *buf, size_t avail)
{
	uint32_t n;
	int err;

	if (avail < CODEC_N_HDR_LEN)
		return 0;
	n = get_be32(buf + N_NUM);
	err = n_count_ok("start/stop-n", n);
	if (err)
		return err;
	return (int)CODEC_N_LEN(n);
}

/* OWAMP Request-Session: both parts, from Number of Schedule Slots. */
static int ow_request_len(const uint8_t *buf, size_t avail)
{
	uint32_t slots;

	if (avail < RTS_NUM_SLOTS + 4)
		return 0;
	slots = get_be32(buf + RTS_NUM_SLOTS);
	if (slots > CODEC_OW_SLOTS_MAX) {
		pr_warn("codec: request-session: %u schedule slots exceed our limit", slots);
		return -EMSGSIZE;
	}
	return (int)CODEC_OW_REQUEST_LEN(slots);
}

/* An OWAMP Control-Client's commands (RFC 4656 3.4): 1, 2, 3, 4. */
static int ow_client_len(const uint8_t *buf, size_t avail)
{
	if (!avail)
		return 0;
	switch (buf[0]) {
	case XW_CMD_REQUEST_SESSION:
		return ow_request_len(buf, avail);
	case XW_CMD_START_SESSIONS:
		return XW_START_SESSIONS_LEN;
	case XW_CMD_STOP_SESSIONS:
		return ow_stop_len(buf, avail);
	case XW_CMD_FETCH_SESSION:
		return CODEC_FETCH_SESSION_LEN;
	default:
		pr_debug("codec: unknown OWAMP client command number %u", buf[0]);
		return -EBADMSG;
	}
}

int codec_msg_len(enum codec_msg type, const uint8_t *buf, size_t avail)
{

	switch (type) {
	case CODEC_MSG_GREETING:
		return XW_GREETING_LEN;
	case CODEC_MSG_SETUP_RESPONSE:
		return XW_SETUP_RESPONSE_LEN;
	case CODEC_MSG_SERVER_START:
		return XW_SERVER_START_LEN;
	case CODEC_MSG_REQUEST_TW_SESSION:
		return XW_REQUEST_TW_SESSION_LEN;
	case CODEC_MSG_ACCEPT_SESSION:
		return XW_ACCEPT_SESSION_LEN;
	case CODEC_MSG_START_SESSIONS:
		return XW_START_SESSIONS_LEN;
	case CODEC_MSG_START_ACK:
		return XW_START_ACK_LEN;
	case CODEC_MSG_STOP_SESSIONS:
		return XW_STOP_SESSIONS_LEN;
	case CODEC_MSG_START_N_SESSIONS:
	case CODEC_MSG_START_N_ACK:
	case CODEC_MSG_STOP_N_SESSIONS:
	case CODEC_MSG_STOP_N_ACK:
		return n_len(buf, avail);
	case CODEC_MSG_FETCH_ACK:
		return CODEC_FETCH_ACK_LEN;
	case CODEC_MSG_OW_STOP_SESSIONS:
		return ow_stop_len(buf, avail);
	case CODEC_MSG_CLIENT_COMMAND:
		break;
	case CODEC_MSG_OW_CLIENT_COMMAND:
		return ow_client_len(buf, avail);
	default:
		return -EINVAL;
	}

	if (!avail)
		return 0;
	switch (buf[0]) {
	case XW_CMD_REQUEST_SESSION:
		return ow_request_len(buf, avail);
	case XW_CMD_START_SESSIONS:
		return XW_START_SESSIONS_LEN;
	case XW_CMD_STOP_SESSIONS:
		return XW_STOP_SESSIONS_LEN;
	case XW_CMD_REQUEST_TW_SESSION:
		return XW_REQUEST_TW_SESSION_LEN;
	case XW_CMD_START_N_SESSIONS:
	case XW_CMD_STOP_N_SESSIONS:
		return n_len(buf, avail);
	default:
		pr_debug("codec: unknown client command number %u: its length is unknown", buf[0]);
		return -EBADMSG;
	}
}
