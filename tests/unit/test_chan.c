// SPDX-License-Identifier: GPL-2.0-only
/*
 * The security-mode channel (control/chan.h) between a client and a server
 * chan in every mode, without captures (test_interop_control.c does those):
 * sealed messages open on the other side, the CBC stream chains across
 * messages, a message is framed from a partial first block, tampering and
 * replay fail and break the channel, open mode passes bytes through.
 */
#include <errno.h>
#include <string.h>

#include "chan.h"
#include "codec.h"
#include "crypto.h"
#include "log.h"
#include "t.h"

static const struct xw_session_keys KEYS = {
	.aes = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
	.hmac = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa,
		 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5,
		 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf},
};
static const uint8_t CIV[16] = {0xc1, 0xc2, 0xc3};
static const uint8_t SIV[16] = {0x51, 0x52, 0x53};

static void quiet(enum xw_log_level level, const char *line, void *arg)
{
}

struct pair {
	struct chan cli, srv;
};

static int pair_init(struct pair *p, uint32_t mode)
{
	int err = chan_init(&p->cli, CHAN_ROLE_CLIENT, mode, &KEYS, CIV, SIV);

	return err ? err : chan_init(&p->srv, CHAN_ROLE_SERVER, mode, &KEYS, CIV, SIV);
}

static void pair_fini(struct pair *p)
{
	chan_fini(&p->cli);
	chan_fini(&p->srv);
}

/* Server-Start, then Request-TW-Session one way and Accept-Session back. */
static void exchange(uint32_t mode)
{
	uint8_t ss[XW_SERVER_START_LEN], req[XW_REQUEST_TW_SESSION_LEN],
		plain[XW_REQUEST_TW_SESSION_LEN];
	uint8_t acc[XW_ACCEPT_SESSION_LEN];
	struct codec_server_start s = {.accept = 0, .start_time = 0x1122334455667788ULL}, sd;
	struct codec_request_tw_session r = {.ipvn = 4,
					     .sender_port = 5000,
					     .receiver_port = 5001,
					     .padding_len = 27},
					rd;
	struct codec_accept_session a = {.port = 5001, .sid = {9, 9, 9}}, ad;
	struct pair p;
	int secure = mode != XW_MODE_OPEN;

	memcpy(s.server_iv, SIV, 16);
	CHECK_EQ(pair_init(&p, mode), 0);
	CHECK_EQ(chan_is_secure(&p.cli), secure);

	CHECK_EQ(codec_server_start_encode(&s, ss, sizeof(ss)), 48);
	CHECK_EQ(chan_seal_server_start(&p.srv, ss), 0);
	CHECK_MEM(ss + 16, SIV, 16); /* the IV itself travels in clear */
	CHECK_EQ(ss[15], 0);
	CHECK_EQ(ss[32] != 0x11, secure); /* Start-Time encrypted only in secure modes */
	CHECK_EQ(chan_open_server_start(&p.cli, ss), 0);
	CHECK_EQ(codec_server_start_decode(&sd, ss, sizeof(ss)), 0);
	CHECK_EQ(sd.start_time, s.start_time);

	CHECK_EQ(codec_request_tw_session_encode(&r, mode, req, sizeof(req)), 112);
	memcpy(plain, req, sizeof(req));
	CHECK_EQ(chan_seal(&p.cli, req, sizeof(req)), 0);
	if (secure) {
		CHECK(memcmp(req, plain, 96) != 0);
	} else {
		CHECK_MEM(req, plain, sizeof(req)); /* open: pass through, HMAC MBZ */
	}
	CHECK_EQ(chan_next_len(&p.srv, CODEC_MSG_CLIENT_COMMAND, req, sizeof(req)), 112);
	CHECK_EQ(chan_open(&p.srv, req, sizeof(req)), 0);
	CHECK_MEM(req, plain, 96);
	CHECK_EQ(codec_request_tw_session_decode(&rd, mode, req, sizeof(req)), 0);
	CHECK_EQ(rd.padding_len, 27);

	CHECK_EQ(codec_accept_session_encode(&a, mode, acc, sizeof(acc)), 48);
	CHECK_EQ(chan_seal(&p.srv, acc, sizeof(acc)), 0);
	CHECK_EQ(chan_open(&p.cli, acc, sizeof(acc)), 0);
	CHECK_EQ(codec_accept_session_decode(&ad, mode, acc, sizeof(acc)), 0);
	CHECK_EQ(ad.port, 5001);
	CHECK_MEM(ad.sid, a.sid, 16);
	pair_fini(&p);
}

TEST(exchange_open)
{
	exchange(XW_MODE_OPEN);
}

TEST(exchange_auth)
{
	exchange(XW_MODE_AUTH);
}

TEST(exchange_encrypted_with_features)
{
	exchange(XW_MODE_ENCRYPTED | XW_MODE_INDIV_SESS | XW_MODE_REFLECT_OCT);
}

TEST(exchange_mixed)
{
	exchange(XW_MODE_MIXED);
}

/* The same plaintext twice gives different ciphertext: the CBC chain continues.
 */
TEST(cbc_chains_across_messages)
{
	uint8_t m1[32], m2[32];
	struct pair p;

	CHECK_EQ(pair_init(&p, XW_MODE_ENCRYPTED), 0);
	codec_start_sessions_encode(m1, sizeof(m1));
	codec_start_sessions_encode(m2, sizeof(m2));
	CHECK_EQ(chan_seal(&p.cli, m1, 32), 0);
	CHECK_EQ(chan_seal(&p.cli, m2, 32), 0);
	CHECK(memcmp(m1, m2, 32) != 0);
	CHECK_EQ(chan_open(&p.srv, m1, 32), 0);
	CHECK_EQ(chan_open(&p.srv, m2, 32), 0);
	CHECK_EQ(m2[0], XW_CMD_START_SESSIONS);
	pair_fini(&p);
}

/* Start-N-Sessions: the length is in the encrypted first block. */
TEST(next_len_from_partial_encrypted_input)
{
	uint8_t sids[3 * 16] = {1, 2, 3}, m[CODEC_N_LEN(3)];
	struct codec_n_sessions n = {.num_sessions = 3, .sids = sids}, d;
	struct pair p;
	size_t k;

	CHECK_EQ(pair_init(&p, XW_MODE_AUTH | XW_MODE_INDIV_SESS), 0);
	CHECK_EQ(codec_start_n_sessions_encode(&n, m, sizeof(m)), (int)sizeof(m));
	CHECK_EQ(chan_seal(&p.cli, m, sizeof(m)), 0);
	for (k = 0; k < 16; k++)
		CHECK_EQ(chan_next_len(&p.srv, CODEC_MSG_CLIENT_COMMAND, m, k), 0);
	for (k = 16; k <= sizeof(m); k++)
		CHECK_EQ(chan_next_len(&p.srv, CODEC_MSG_CLIENT_COMMAND, m, k), (int)sizeof(m));
	/* peeking twice changed nothing: the message still opens */
	CHECK_EQ(chan_open(&p.srv, m, sizeof(m)), 0);
	CHECK_EQ(codec_start_n_sessions_decode(&d, m, sizeof(m)), 0);
	CHECK_EQ(d.num_sessions, 3);
	CHECK_MEM(d.sids, sids, sizeof(sids));
	/* fixed-length server messages need no octet at all */
	CHECK_EQ(chan_next_len(&p.cli, CODEC_MSG_ACCEPT_SESSION, NULL, 0), 48);
	pair_fini(&p);
}

/*
 * The OWAMP Request-Session has two HMACs (RFC 4656 3.5), each covering
 * what was sent since the previous one (3.2): sealed as two parts, it opens
 * as two parts.  chan_peek_cmd() tells the command without consuming it.
 */
TEST(request_session_opens_in_two_parts)
{
	uint8_t m[XW_REQUEST_TW_SESSION_LEN + 32 + XW_HMAC_LEN] = {XW_CMD_FORBIDDEN, 4};
	uint8_t copy[sizeof(m)];
	const size_t h1 = CODEC_REQUEST_SESSION_HMAC1_END;
	struct pair p;
	int k;

	CHECK_EQ(pair_init(&p, XW_MODE_ENCRYPTED), 0);
	m[7] = 2;
	CHECK_EQ(chan_seal(&p.cli, m, h1), 0);
	CHECK_EQ(chan_seal(&p.cli, m + h1, sizeof(m) - h1), 0);
	memcpy(copy, m, sizeof(m));
	for (k = 0; k < 16; k++)
		CHECK_EQ(chan_peek_cmd(&p.srv, m, (size_t)k), -EAGAIN);
	CHECK_EQ(chan_peek_cmd(&p.srv, m, 16), XW_CMD_FORBIDDEN);
	CHECK_EQ(chan_peek_cmd(&p.srv, m, 16), XW_CMD_FORBIDDEN);
	CHECK_EQ(chan_next_len(&p.srv, CODEC_MSG_CLIENT_COMMAND, m, 16), (int)sizeof(m));
	CHECK_EQ(chan_open(&p.srv, m, h1), 0);
	CHECK_EQ(chan_open(&p.srv, m + h1, sizeof(m) - h1), 0);
	CHECK_EQ(m[0], XW_CMD_FORBIDDEN);
	CHECK_EQ(m[7], 2);
	pair_fini(&p);

	/* as one message, the trailing HMAC does not verify: it covers the slots only */
	CHECK_EQ(pair_init(&p, XW_MODE_ENCRYPTED), 0);
	CHECK_EQ(chan_open(&p.srv, copy, sizeof(copy)), -EACCES);
	pair_fini(&p);

	/* open mode: the first octet as it is */
	CHECK_EQ(pair_init(&p, XW_MODE_OPEN), 0);
	CHECK_EQ(chan_peek_cmd(&p.srv, copy, 0), -EAGAIN);
	copy[0] = XW_CMD_STOP_SESSIONS;
	CHECK_EQ(chan_peek_cmd(&p.srv, copy, 1), XW_CMD_STOP_SESSIONS);
	pair_fini(&p);
}

TEST(tamper_fails_wipes_and_breaks)
{
	uint8_t m[32], z[32] = {0};
	struct pair p;

	xw_log_set_sink(quiet, NULL);
	CHECK_EQ(pair_init(&p, XW_MODE_ENCRYPTED), 0);
	codec_start_sessions_encode(m, sizeof(m));
	CHECK_EQ(chan_seal(&p.cli, m, 32), 0);
	m[20] ^= 0x01; /* in the (encrypted) HMAC */
	CHECK_EQ(chan_open(&p.srv, m, 32), -EACCES);
	CHECK_MEM(m, z, 32); /* nothing left to misuse */
	/* broken for good: even a correct message is refused now */
	codec_start_sessions_encode(m, sizeof(m));
	CHECK_EQ(chan_seal(&p.cli, m, 32), 0);
	CHECK_EQ(chan_open(&p.srv, m, 32), -EPIPE);
	CHECK_EQ(chan_next_len(&p.srv, CODEC_MSG_CLIENT_COMMAND, m, 32), -EPIPE);
	pair_fini(&p);
	xw_log_set_sink(NULL, NULL);
}

/* A message replayed (or reordered) does not verify: the CBC chain and HMAC
 * state moved on. */
TEST(replay_fails)
{
	uint8_t m1[32], copy[32];
	struct pair p;

	xw_log_set_sink(quiet, NULL);
	CHECK_EQ(pair_init(&p, XW_MODE_AUTH), 0);
	codec_start_sessions_encode(m1, sizeof(m1));
	CHECK_EQ(chan_seal(&p.cli, m1, 32), 0);
	memcpy(copy, m1, 32);
	CHECK_EQ(chan_open(&p.srv, m1, 32), 0);
	CHECK_EQ(chan_open(&p.srv, copy, 32), -EACCES);
	pair_fini(&p);
	xw_log_set_sink(NULL, NULL);
}

/* Server-Start coverage: a changed Start-Time block fails the server's next
 * HMAC. */
TEST(server_start_is_covered_by_next_hmac)
{
	uint8_t ss[48], acc[48];
	struct codec_server_start s = {.start_time = 42};
	struct codec_accept_session a = {.port = 1};
	struct pair p;

	xw_log_set_sink(quiet, NULL);
	CHECK_EQ(pair_init(&p, XW_MODE_AUTH), 0);
	codec_server_start_encode(&s, ss, sizeof(ss));
	CHECK_EQ(chan_seal_server_start(&p.srv, ss), 0);
	ss[40] ^= 0x80; /* MBZ after Start-Time, encrypted */
	CHECK_EQ(chan_open_server_start(&p.cli, ss), 0);
	codec_accept_session_encode(&a, XW_MODE_AUTH, acc, sizeof(acc));
	CHECK_EQ(chan_seal(&p.srv, acc, sizeof(acc)), 0);
	CHECK_EQ(chan_open(&p.cli, acc, sizeof(acc)), -EACCES);
	pair_fini(&p);
	xw_log_set_sink(NULL, NULL);
}

/* Accept != 0: Server-Start stays clear (RFC 4656 3.1 "unless Accept is
 * non-zero"). */
TEST(server_start_reject_not_encrypted)
{
	uint8_t ss[48], want[48];
	struct codec_server_start s = {.accept = XW_ACCEPT_FAILURE};
	struct pair p;

	CHECK_EQ(pair_init(&p, XW_MODE_ENCRYPTED), 0);
	codec_server_start_encode(&s, ss, sizeof(ss));
	memcpy(want, ss, sizeof(ss));
	CHECK_EQ(chan_seal_server_start(&p.srv, ss), 0);
	CHECK_MEM(ss, want, 48);
	pair_fini(&p);
}

TEST(open_mode_zeroes_hmac_field_and_ignores_it)
{
	uint8_t m[32];
	struct chan c;

	CHECK_EQ(chan_init(&c, CHAN_ROLE_CLIENT, XW_MODE_OPEN, NULL, NULL, NULL), 0);
	codec_start_sessions_encode(m, sizeof(m));
	memset(m + 16, 0xff, 16);
	CHECK_EQ(chan_seal(&c, m, 32), 0);
	CHECK_EQ(m[16], 0);
	CHECK_EQ(m[31], 0);
	memset(m + 16, 0xff, 16);
	CHECK_EQ(chan_open(&c, m, 32), 0); /* MBZ: ignored */
	chan_fini(&c);
}

TEST(bad_arguments)
{
	uint8_t m[40] = {0};
	struct chan c;

	xw_log_set_sink(quiet, NULL);
	CHECK_EQ(chan_init(&c, CHAN_ROLE_CLIENT, 0, &KEYS, CIV, SIV), -EINVAL);
	CHECK_EQ(chan_init(&c, CHAN_ROLE_CLIENT, XW_MODE_AUTH | XW_MODE_ENCRYPTED, &KEYS, CIV, SIV),
		 -EINVAL);
	CHECK_EQ(chan_init(&c, CHAN_ROLE_CLIENT, XW_MODE_AUTH, NULL, CIV, SIV), -EINVAL);
	CHECK_EQ(chan_init(&c, CHAN_ROLE_CLIENT, XW_MODE_AUTH, &KEYS, CIV, SIV), 0);
	CHECK_EQ(chan_seal(&c, m, 40), -EINVAL); /* not whole blocks */
	CHECK_EQ(chan_seal(&c, m, 8), -EINVAL);
	CHECK_EQ(chan_open(&c, m, 0), -EINVAL);
	chan_fini(&c);
	chan_fini(&c); /* twice is fine: the struct is zeroed */
	xw_log_set_sink(NULL, NULL);
}
