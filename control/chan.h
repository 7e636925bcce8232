/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The security-mode channel of one TWAMP/OWAMP-Control connection
 * (RFC 4656 3.2, 3.4; RFC 5357 3.2; RFC 5618 3.1).
 *
 * In authenticated, encrypted and mixed modes (identical for control) each
 * direction is one AES-128-CBC stream under the AES Session-key, chained
 * from the sender's IV (Client-IV, Server-IV) across messages, and each
 * HMAC (HMAC-SHA1/16 under the HMAC Session-key, computed on plaintext,
 * then encrypted with the rest) covers everything sent in that direction
 * since the previous HMAC.  In open mode the channel passes bytes through
 * and the HMAC fields are MBZ.
 *
 * No I/O: the caller owns the buffers.  Bytes arrive in any pieces; the
 * caller keeps them, asks chan_next_len() how long the next message is
 * (it decrypts a copy of the first block for that, without consuming it),
 * and calls chan_open() only on a complete message.  chan_seal() and
 * chan_open() work in place on whole messages (multiples of 16 octets
 * whose last 16 octets are the HMAC field: every TWAMP-Control message
 * after Server-Start).
 *
 * After any failure of chan_open() (HMAC mismatch) or a crypto error the
 * CBC chain and the HMAC coverage are out of step with the peer: the
 * channel refuses all further use (-EPIPE) and the connection must close.
 *
 * Order of calls for one connection:
 *   server: decode Set-Up-Response, decrypt token -> keys, choose Server-IV,
 *           chan_init(SERVER, mode, keys, client_iv, server_iv),
 *           encode Server-Start, chan_seal_server_start(), send;
 *           then chan_open() each command, chan_seal() each reply.
 *   client: send Set-Up-Response (clear), receive 48 octets of Server-Start,
 *           codec_server_start_decode() for Accept and Server-IV; if
 *           Accept == 0: chan_init(CLIENT, ...), chan_open_server_start()
 *           (decrypts Start-Time in place), decode again for Start-Time;
 *           then chan_seal() each command, chan_open() each reply.
 */
#ifndef XW_CHAN_H
#define XW_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "crypto.h"
#include "xwamp/proto.h"

enum chan_role {
	CHAN_ROLE_CLIENT = 1, /* Control-Client: sends with Client-IV */
	CHAN_ROLE_SERVER,     /* Server: sends with Server-IV */
};

/* Fields are private to chan.c; the struct is public so it can be embedded. */
struct chan {
	enum chan_role role;
	uint32_t mode; /* the Set-Up-Response Mode */
	int secure;    /* control is A/E/M: AES-CBC + HMAC */
	int broken;    /* a failure happened: refuse further use */
	struct xw_aes *aes;
	struct xw_hmac *hmac_tx; /* accumulates what we send since our last HMAC */
	struct xw_hmac *hmac_rx; /* accumulates what we receive since the peer's last HMAC */
	uint8_t iv_tx[XW_BLOCK_LEN];
	uint8_t iv_rx[XW_BLOCK_LEN];
};

/*
 * Set up the channel for @mode (only its security bits matter: open, or
 * one of auth/encrypted/mixed).  In open mode keys and IVs may be NULL.
 * Copies what it needs (the caller wipes its keys).  0, -EINVAL (no or
 * several security bits, missing keys), -ENOMEM.
 */
int chan_init(struct chan *c, enum chan_role role, uint32_t mode,
	      const struct xw_session_keys *keys, const uint8_t client_iv[XW_BLOCK_LEN],
	      const uint8_t server_iv[XW_BLOCK_LEN]);
/* Frees and wipes everything; the struct can be chan_init()ed again.  Safe on a zeroed struct. */
void chan_fini(struct chan *c);
/* 1 when control is authenticated+encrypted (modes 2, 4, 8), 0 in open mode. */
int chan_is_secure(const struct chan *c);

/*
 * Server-Start (48 octets, encoded by codec_server_start_encode()).  In
 * A/E/M modes with Accept 0 only its Start-Time+MBZ block (octets 32..47)
 * is encrypted, as the first block of the server's CBC stream (RFC 4656
 * 3.1, 3.4: "Encryption starts with the block immediately following the
 * block containing the IV"); it has no HMAC, so it is covered by the HMAC
 * of the server's next message (RFC 5357 3.2).  With Accept != 0 or in
 * open mode, nothing changes.
 */
int chan_seal_server_start(struct chan *c, uint8_t buf[XW_SERVER_START_LEN]);
int chan_open_server_start(struct chan *c, uint8_t buf[XW_SERVER_START_LEN]);

/*
 * Outgoing message, in place: plaintext in, wire bytes out.  @len is a
 * multiple of 16, >= 16; the last 16 octets are the HMAC field (16 alone is
 * an HMAC covering nothing new, as OWAMP Fetch-Ack parts can be).  Secure
 * modes: HMAC over (anything pending in this direction) + buf[0..len-16),
 * written into the field, then the whole buffer is CBC-encrypted.  Open
 * mode: the HMAC field is zeroed (MBZ).  0 or negative errno.
 */
int chan_seal(struct chan *c, uint8_t *buf, size_t len);

/*
 * The first whole blocks of a long outgoing message, in place: added to the
 * HMAC and encrypted; the chan_seal() of the rest (ending in the HMAC
 * field) writes the HMAC that covers them too.  Lets a sender produce a
 * message of any length in bounded steps (OWAMP Fetch-Session records).
 * @len: whole blocks.  Open mode: nothing to do.  0 or negative errno.
 */
int chan_seal_more(struct chan *c, uint8_t *buf, size_t len);

/*
 * Incoming complete message, in place: wire bytes in, plaintext out.
 * Secure modes: CBC-decrypt, then check the trailing HMAC in constant time;
 * on mismatch the buffer is wiped, the channel is broken and -EACCES is
 * returned (pr_warn says so).  Open mode: nothing to do (HMAC field is MBZ,
 * ignored).  0 or negative errno (-EINVAL for a bad length).
 */
int chan_open(struct chan *c, uint8_t *buf, size_t len);

/*
 * The first whole blocks of a long incoming message, before the rest has
 * arrived, in place: decrypted and added to the HMAC the message's own
 * HMAC field will be checked against (chan_open() of the rest, whose last
 * 16 octets are that field, checks it).  Lets a receiver read the length of
 * a message from its plaintext as it arrives (an OWAMP Stop-Sessions), or
 * stream through one it will not keep (schedule slots beyond its bound),
 * without holding or re-decrypting it.  Nothing of it may be acted upon
 * before that chan_open() succeeded (RFC 4656 3.2).  @len: whole blocks.
 * Open mode: nothing to do.  0 or negative errno (the channel breaks).
 */
int chan_open_more(struct chan *c, uint8_t *buf, size_t len);

/*
 * How many octets the next incoming message of @type needs, given the
 * @avail octets received so far at @buf (still ciphertext in secure
 * modes; not modified).  Returns the length (> 0), 0 when more octets are
 * needed to tell, or a negative errno from codec_msg_len().  Use
 * CODEC_MSG_CLIENT_COMMAND on the server to read any client command; the
 * command number is then the first octet after chan_open().
 */
int chan_next_len(const struct chan *c, enum codec_msg type, const uint8_t *buf, size_t avail);
/*
 * The first plaintext octet of the next incoming message (a client's
 * command number) from its first @avail octets at @buf, without consuming
 * anything.  -EAGAIN when fewer than one block (secure modes) or no octet
 * (open mode) is there; other negative errno on failure.
 */
int chan_peek_cmd(const struct chan *c, const uint8_t *buf, size_t avail);

#endif /* XW_CHAN_H */
