// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TWAMP-Control codec (control/codec.h) on arbitrary bytes.
 *
 * Input: one selector octet, then the message.  The selector's low nibble
 * picks the decoder (TWAMP-Control, then the OWAMP-Control messages of RFC
 * 4656 3.5-3.9), bit 0x80 the Reflect Octets mode (RFC 6038 fields).
 * Every message that decodes is encoded again and decoded a second time:
 * the two structs (zeroed first, padding included) must be equal (a field the decoder accepts, the encoder
 * must be able to write back), the encoder must return the RFC length, and
 * codec_msg_len() must agree with that length from the first 16 octets
 * (OWAMP Stop-Sessions: from the whole message).  Records of the OWAMP
 * messages are read back only inside the message (ASan: the input is a
 * buffer of exactly its size), and a packet record's 25 octets
 * round-trip exactly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "fuzz.h"

#define BUF_MAX (CODEC_N_MAX_LEN + 64)

static uint8_t out[BUF_MAX];

/* codec_msg_len() of a whole message of type t and length len must say len. */
static void len_agrees(enum codec_msg t, const uint8_t *msg, size_t len)
{
	int n = codec_msg_len(t, msg, len < 16 ? len : 16);

	FUZZ_ASSERT(n == (int)len);
}

static void n_round_trip(int (*dec)(struct codec_n_sessions *, const uint8_t *, size_t),
			 int (*enc)(const struct codec_n_sessions *, uint8_t *, size_t),
			 enum codec_msg t, const uint8_t *msg, size_t len)
{
	struct codec_n_sessions a = {0}, b = {0};
	int n;

	if (dec(&a, msg, len))
		return;
	FUZZ_ASSERT(a.num_sessions >= 1 && a.num_sessions <= CODEC_N_SESSIONS_MAX);
	FUZZ_ASSERT(CODEC_N_LEN(a.num_sessions) == len);
	/* the SIDs point into the message */
	FUZZ_ASSERT(a.sids >= msg && a.sids + a.num_sessions * XW_SID_LEN <= msg + len);
	len_agrees(t, msg, len);
	n = enc(&a, out, sizeof(out));
	FUZZ_ASSERT(n == (int)len);
	FUZZ_ASSERT(dec(&b, out, (size_t)n) == 0);
	FUZZ_ASSERT(a.accept == b.accept && a.num_sessions == b.num_sessions);
	FUZZ_ASSERT(!memcmp(a.sids, b.sids, (size_t)a.num_sessions * XW_SID_LEN));
	/* too small a buffer is refused, never overrun */
	FUZZ_ASSERT(enc(&a, out, len - 1) == -ENOSPC);
}

/* OWAMP Request-Session (RFC 4656 3.5): both parts, slots read back, round trip. */
static void ow_request(const uint8_t *msg, size_t len)
{
	struct codec_request_session a, b;
	struct codec_ow_slot *slots, sl;
	uint8_t *buf;
	uint32_t i;
	int n;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (codec_request_session_decode(&a, msg, len))
		return;
	FUZZ_ASSERT(a.f.num_slots >= 1 && len == CODEC_OW_REQUEST_LEN(a.f.num_slots));
	FUZZ_ASSERT(a.slot_bytes >= msg &&
		    a.slot_bytes + a.f.num_slots * CODEC_OW_SLOT_LEN <= msg + len - XW_HMAC_LEN);
	len_agrees(CODEC_MSG_OW_CLIENT_COMMAND, msg, len);
	slots = calloc(a.f.num_slots, sizeof(*slots));
	buf = malloc(len);
	FUZZ_ASSERT(slots && buf);
	for (i = 0; i < a.f.num_slots; i++)
		codec_ow_slot_at(&a, i, &slots[i]);
	a.slots = slots;
	n = codec_request_session_encode(&a, buf, len);
	FUZZ_ASSERT(n == (int)len);
	FUZZ_ASSERT(codec_request_session_encode(&a, buf, len - 1) == -ENOSPC);
	FUZZ_ASSERT(codec_request_session_decode(&b, buf, len) == 0);
	FUZZ_ASSERT(!memcmp(&a.f, &b.f, sizeof(a.f)));
	for (i = 0; i < b.f.num_slots; i++) {
		codec_ow_slot_at(&b, i, &sl);
		FUZZ_ASSERT(sl.type == slots[i].type && sl.param == slots[i].param);
	}
	free(slots);
	free(buf);
}

/* OWAMP Stop-Sessions (RFC 4656 3.8): every record and skip range inside the message. */
static void ow_stop(const uint8_t *msg, size_t len)
{
	struct codec_ow_stop m;
	struct codec_ow_stop_rec rec;
	struct codec_ow_skip sk, prev = {0};
	size_t off = 0;
	uint32_t i, j;

	if (codec_ow_stop_sessions_decode(&m, msg, len))
		return;
	FUZZ_ASSERT(codec_msg_len(CODEC_MSG_OW_STOP_SESSIONS, msg, len) == (int)len);
	FUZZ_ASSERT(m.recs >= msg && m.recs + m.recs_len <= msg + len);
	for (i = 0; i < m.num_sessions; i++) {
		codec_ow_stop_rec_at(&m, &off, &rec);
		FUZZ_ASSERT(off <= m.recs_len);
		FUZZ_ASSERT(codec_ow_skips_check(rec.skip_bytes, rec.num_skips, rec.next_seqno) ==
			    0);
		for (j = 0; j < rec.num_skips; j++) {
			codec_ow_skip_at(rec.skip_bytes, j, &sk);
			/* RFC 4656 3.8: in order, not overlapping, below Next Seqno (0: no bound) */
			FUZZ_ASSERT(sk.first <= sk.last);
			FUZZ_ASSERT(!rec.next_seqno || sk.last < rec.next_seqno);
			FUZZ_ASSERT(j == 0 || sk.first > prev.last);
			prev = sk;
		}
	}
	FUZZ_ASSERT(off == m.recs_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t mode;
	const uint8_t *msg;
	size_t len;
	int n, err;

	if (size < 1)
		return 0;
	fuzz_reset();
	mode = data[0] & 0x80 ? XW_MODE_REFLECT_OCT : 0;
	msg = data + 1;
	len = size - 1;

	/* every length rule on every prefix length the server may see */
	for (n = CODEC_MSG_GREETING; n <= CODEC_MSG_FETCH_ACK; n++) {
		size_t avail;

		for (avail = 0; avail <= (len < 16 ? len : 16); avail++) {
			int l = codec_msg_len((enum codec_msg)n, msg, avail);

			FUZZ_ASSERT(l >= 0 || l == -EBADMSG || l == -EMSGSIZE);
			/* 16 octets are always enough to decide, but for OWAMP messages */
			FUZZ_ASSERT(avail < 16 || l != 0 || n > CODEC_MSG_CLIENT_COMMAND);
			FUZZ_ASSERT(l <= 0 || l >= 16);
		}
	}

	switch (data[0] & 0x0f) {
	case 0: {
		struct codec_greeting a, b;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (codec_greeting_decode(&a, msg, len))
			break;
		FUZZ_ASSERT(len == XW_GREETING_LEN);
		n = codec_greeting_encode(&a, out, sizeof(out));
		FUZZ_ASSERT(n == XW_GREETING_LEN);
		FUZZ_ASSERT(codec_greeting_decode(&b, out, (size_t)n) == 0);
		FUZZ_ASSERT(!memcmp(&a, &b, sizeof(a)));
		break;
	}
	case 1: {
		struct codec_setup_response a, b;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (codec_setup_response_decode(&a, msg, len))
			break;
		n = codec_setup_response_encode(&a, out, sizeof(out));
		FUZZ_ASSERT(n == XW_SETUP_RESPONSE_LEN);
		FUZZ_ASSERT(codec_setup_response_decode(&b, out, (size_t)n) == 0);
		FUZZ_ASSERT(!memcmp(&a, &b, sizeof(a)));
		/* at most one security bit (RFC 4656 3.1, RFC 5618 3.1) */
		FUZZ_ASSERT(__builtin_popcount(a.mode & XW_MODE_SECURITY_MASK) <= 1);
		break;
	}
	case 2: {
		struct codec_server_start a, b;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (codec_server_start_decode(&a, msg, len))
			break;
		n = codec_server_start_encode(&a, out, sizeof(out));
		FUZZ_ASSERT(n == XW_SERVER_START_LEN);
		FUZZ_ASSERT(codec_server_start_decode(&b, out, (size_t)n) == 0);
		FUZZ_ASSERT(!memcmp(&a, &b, sizeof(a)));
		break;
	}
	case 3: {
		struct codec_request_tw_session a, b;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		err = codec_request_tw_session_decode(&a, mode, msg, len);
		FUZZ_ASSERT(err == 0 || err == -EMSGSIZE || err == -EBADMSG || err == -EOPNOTSUPP);
		if (err)
			break;
		len_agrees(CODEC_MSG_CLIENT_COMMAND, msg, len);
		n = codec_request_tw_session_encode(&a, mode, out, sizeof(out));
		FUZZ_ASSERT(n == XW_REQUEST_TW_SESSION_LEN);
		FUZZ_ASSERT(codec_request_tw_session_decode(&b, mode, out, (size_t)n) == 0);
		FUZZ_ASSERT(!memcmp(&a, &b, sizeof(a)));
		break;
	}
	case 4: {
		struct codec_accept_session a, b;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (codec_accept_session_decode(&a, mode, msg, len))
			break;
		FUZZ_ASSERT(a.accept <= XW_ACCEPT_NO_IKE_SA);
		n = codec_accept_session_encode(&a, mode, out, sizeof(out));
		FUZZ_ASSERT(n == XW_ACCEPT_SESSION_LEN);
		FUZZ_ASSERT(codec_accept_session_decode(&b, mode, out, (size_t)n) == 0);
		FUZZ_ASSERT(!memcmp(&a, &b, sizeof(a)));
		break;
	}
	case 5:
		if (codec_start_sessions_decode(msg, len))
			break;
		len_agrees(CODEC_MSG_CLIENT_COMMAND, msg, len);
		n = codec_start_sessions_encode(out, sizeof(out));
		FUZZ_ASSERT(n == XW_START_SESSIONS_LEN);
		FUZZ_ASSERT(codec_start_sessions_decode(out, (size_t)n) == 0);
		break;
	case 6: {
		struct codec_start_ack a, b;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (codec_start_ack_decode(&a, msg, len))
			break;
		n = codec_start_ack_encode(&a, out, sizeof(out));
		FUZZ_ASSERT(n == XW_START_ACK_LEN);
		FUZZ_ASSERT(codec_start_ack_decode(&b, out, (size_t)n) == 0);
		FUZZ_ASSERT(a.accept == b.accept);
		break;
	}
	case 7: {
		struct codec_stop_sessions a, b;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (codec_stop_sessions_decode(&a, msg, len))
			break;
		len_agrees(CODEC_MSG_CLIENT_COMMAND, msg, len);
		n = codec_stop_sessions_encode(&a, out, sizeof(out));
		FUZZ_ASSERT(n == XW_STOP_SESSIONS_LEN);
		FUZZ_ASSERT(codec_stop_sessions_decode(&b, out, (size_t)n) == 0);
		FUZZ_ASSERT(a.accept == b.accept && a.num_sessions == b.num_sessions);
		break;
	}
	case 8:
		n_round_trip(codec_start_n_sessions_decode, codec_start_n_sessions_encode,
			     CODEC_MSG_CLIENT_COMMAND, msg, len);
		break;
	case 9:
		n_round_trip(codec_start_n_ack_decode, codec_start_n_ack_encode,
			     CODEC_MSG_START_N_ACK, msg, len);
		break;
	case 10:
		n_round_trip(codec_stop_n_sessions_decode, codec_stop_n_sessions_encode,
			     CODEC_MSG_CLIENT_COMMAND, msg, len);
		break;
	case 11:
		n_round_trip(codec_stop_n_ack_decode, codec_stop_n_ack_encode, CODEC_MSG_STOP_N_ACK,
			     msg, len);
		break;
	case 12:
		ow_request(msg, len);
		break;
	case 13:
		ow_stop(msg, len);
		break;
	case 14: {
		struct codec_fetch_session a, b;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (codec_fetch_session_decode(&a, msg, len))
			break;
		len_agrees(CODEC_MSG_OW_CLIENT_COMMAND, msg, len);
		n = codec_fetch_session_encode(&a, out, sizeof(out));
		FUZZ_ASSERT(n == CODEC_FETCH_SESSION_LEN);
		FUZZ_ASSERT(codec_fetch_session_decode(&b, out, (size_t)n) == 0);
		FUZZ_ASSERT(!memcmp(&a, &b, sizeof(a)));
		break;
	}
	case 15: {
		struct codec_fetch_ack a, b;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (codec_fetch_ack_decode(&a, msg, len))
			break;
		len_agrees(CODEC_MSG_FETCH_ACK, msg, len);
		/* RFC 4656 3.9: with Accept != 0 every other field reads as 0 */
		FUZZ_ASSERT(a.accept == 0 ||
			    (!a.finished && !a.next_seqno && !a.num_skips && !a.num_records));
		n = codec_fetch_ack_encode(&a, out, sizeof(out));
		FUZZ_ASSERT(n == CODEC_FETCH_ACK_LEN);
		FUZZ_ASSERT(codec_fetch_ack_decode(&b, out, (size_t)n) == 0);
		/*
		 * "If Finished is zero, then Next Seqno [and Skip Ranges] MUST be
		 * set to zero": the encoder writes zeros, the decoder reports what
		 * was sent.
		 */
		if (!a.finished) {
			FUZZ_ASSERT(!b.next_seqno && !b.num_skips);
			a.next_seqno = 0;
			a.num_skips = 0;
		}
		FUZZ_ASSERT(!memcmp(&a, &b, sizeof(a)));
		break;
	}
	}
	if (len >= CODEC_OW_RECORD_LEN) {
		struct codec_ow_record r;
		uint8_t rec[CODEC_OW_RECORD_LEN];

		codec_ow_record_decode(&r, msg);
		codec_ow_record_encode(&r, rec);
		FUZZ_ASSERT(!memcmp(rec, msg, sizeof(rec)));
	}
	return 0;
}
