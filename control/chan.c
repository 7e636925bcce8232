// SPDX-License-Identifier: GPL-2.0-only
/*
 * Security-mode channel of a TWAMP/OWAMP-Control connection.  Contract in
 * chan.h.
 *
 * HMAC coverage, as the RFC words it (RFC 4656 3.2: "everything sent in a
 * given direction between the previous HMAC ... and up to the beginning of
 * the new HMAC") and as perfSONAR 5.2.3 does it (tests/unit/
 * test_interop_control.c checks every message of the reference captures):
 *  - the server's first HMAC (in its first Accept-Session) covers the
 *    Start-Time+MBZ block of Server-Start, in plaintext, then the message:
 *    RFC 5357 3.2 "also covers the Server-Start message and includes the
 *    Start-Time field".  The clear part of Server-Start (MBZ, Accept,
 *    Server-IV) is NOT covered, nor is the Greeting: coverage starts where
 *    encryption starts;
 *  - the client's first HMAC (in its first command) covers that command
 *    only: the Set-Up-Response, sent before encryption is set up, is not
 *    covered.
 * So an HMAC covers exactly the plaintext of the encrypted stream of its
 * direction since the previous HMAC, which is how this file keeps it: every
 * block that goes through the CBC stream is fed to that direction's HMAC.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "log.h"

static const char *role_name(const struct chan *c)
{
	return c->role == CHAN_ROLE_SERVER ? "server" : "client";
}

static int usable(const struct chan *c)
{
	if (c->broken) {
		pr_debug("chan %s: used after a failure", role_name(c));
		return -EPIPE;
	}
	return 0;
}

int chan_is_secure(const struct chan *c)
{
	return c->secure;
}

void chan_fini(struct chan *c)
{
	xw_aes_free(c->aes);
	xw_hmac_free(c->hmac_tx);
	xw_hmac_free(c->hmac_rx);
	xw_wipe(c, sizeof(*c));
}

int chan_init(struct chan *c, enum chan_role role, uint32_t mode,
	      const struct xw_session_keys *keys, const uint8_t client_iv[XW_BLOCK_LEN],
	      const uint8_t server_iv[XW_BLOCK_LEN])
{
	uint32_t sec = mode & XW_MODE_SECURITY_MASK;

	memset(c, 0, sizeof(*c));
	c->role = role;
	c->mode = mode;
	if (role != CHAN_ROLE_CLIENT && role != CHAN_ROLE_SERVER) {
		pr_err("chan: bad role %d", role);
		return -EINVAL;
	}
	if (!sec || (sec & (sec - 1))) {
		pr_err("chan %s: Mode 0x%x does not select exactly one security mode", role_name(c),
		       mode);
		return -EINVAL;
	}
	if (sec == XW_MODE_OPEN)
		return 0;

	/* RFC 4656 3.4: authenticated and encrypted are identical for control;
	 * RFC 5618 3.1: mixed mode's control is the encrypted one. */
	if (!keys || !client_iv || !server_iv) {
		pr_err("chan %s: Mode 0x%x needs session keys and both IVs", role_name(c), mode);
		return -EINVAL;
	}
	c->secure = 1;
	c->aes = xw_aes_new(keys->aes);
	c->hmac_tx = xw_hmac_new(keys->hmac, sizeof(keys->hmac));
	c->hmac_rx = xw_hmac_new(keys->hmac, sizeof(keys->hmac));
	if (!c->aes || !c->hmac_tx || !c->hmac_rx) {
		pr_err("chan %s: cannot set up AES/HMAC contexts", role_name(c));
		chan_fini(c);
		return -ENOMEM;
	}
	/* Each side encrypts what it sends with its own IV (RFC 4656 3.4). */
	memcpy(c->iv_tx, role == CHAN_ROLE_SERVER ? server_iv : client_iv, XW_BLOCK_LEN);
	memcpy(c->iv_rx, role == CHAN_ROLE_SERVER ? client_iv : server_iv, XW_BLOCK_LEN);
	return 0;
}

static void fail(struct chan *c)
{
	c->broken = 1;
}

int chan_seal_server_start(struct chan *c, uint8_t buf[XW_SERVER_START_LEN])
{
	uint8_t *blk = buf + CODEC_SERVER_START_ENC_OFF;
	int err = usable(c);

	if (err)
		return err;
	/* RFC 4656 3.1: Start-Time is encrypted "unless Accept is non-zero" */
	if (!c->secure || buf[CODEC_SERVER_START_IV_OFF - 1] != XW_ACCEPT_OK)
		return 0;
	/* Not terminated by an HMAC: covered by the next one (RFC 5357 3.2). */
	err = xw_hmac_update(c->hmac_tx, blk, XW_BLOCK_LEN);
	if (!err)
		err = xw_aes_cbc_encrypt(c->aes, c->iv_tx, blk, blk, XW_BLOCK_LEN);
	if (err) {
		pr_err("chan server: cannot seal Server-Start: %d", err);
		fail(c);
	}
	return err;
}

int chan_open_server_start(struct chan *c, uint8_t buf[XW_SERVER_START_LEN])
{
	uint8_t *blk = buf + CODEC_SERVER_START_ENC_OFF;
	int err = usable(c);

	if (err)
		return err;
	if (!c->secure || buf[CODEC_SERVER_START_IV_OFF - 1] != XW_ACCEPT_OK)
		return 0;
	err = xw_aes_cbc_decrypt(c->aes, c->iv_rx, blk, blk, XW_BLOCK_LEN);
	if (!err)
		err = xw_hmac_update(c->hmac_rx, blk, XW_BLOCK_LEN);
	if (err) {
		pr_err("chan client: cannot open Server-Start: %d", err);
		fail(c);
	}
	return err;
}

static int check_msg_len(const struct chan *c, const char *what, size_t len)
{
	if (len < XW_HMAC_LEN || len % XW_BLOCK_LEN) {
		pr_err("chan %s: %s of %zu octets: not whole blocks ending in an HMAC",
		       role_name(c), what, len);
		return -EINVAL;
	}
	return 0;
}

int chan_seal(struct chan *c, uint8_t *buf, size_t len)
{
	size_t body = len - XW_HMAC_LEN;
	int err = usable(c);

	if (err)
		return err;
	err = check_msg_len(c, "seal", len);
	if (err)
		return err;
	if (!c->secure) {
		/* RFC 4656 3.2: in open mode HMAC fields are MBZ */
		memset(buf + body, 0, XW_HMAC_LEN);
		return 0;
	}
	/* RFC 4656 3.2: "authentication happens before encryption" */
	err = xw_hmac_update(c->hmac_tx, buf, body);
	if (!err)
		err = xw_hmac_final(c->hmac_tx, buf + body);
	if (!err)
		err = xw_aes_cbc_encrypt(c->aes, c->iv_tx, buf, buf, len);
	if (err) {
		pr_err("chan %s: cannot seal a %zu-octet message: %d", role_name(c), len, err);
		fail(c);
	}
	return err;
}

/*
 * Whole blocks of a long message that goes on (chan_seal_more(),
 * chan_open_more()): through the HMAC and the CBC chain of one direction,
 * the HMAC not finished.  RFC 4656 3.2: the HMAC is of the plaintext.
 */
static int more_blocks(struct chan *c, uint8_t *buf, size_t len, int tx)
{
	int err = usable(c);

	if (err)
		return err;
	if (!len || len % XW_BLOCK_LEN) {
		pr_err("chan %s: %zu octets: not whole blocks", role_name(c), len);
		return -EINVAL;
	}
	if (!c->secure)
		return 0;
	if (tx) {
		err = xw_hmac_update(c->hmac_tx, buf, len);
		if (!err)
			err = xw_aes_cbc_encrypt(c->aes, c->iv_tx, buf, buf, len);
	} else {
		err = xw_aes_cbc_decrypt(c->aes, c->iv_rx, buf, buf, len);
		if (!err)
			err = xw_hmac_update(c->hmac_rx, buf, len);
	}
	if (err) {
		pr_err("chan %s: cannot %s %zu octets: %d", role_name(c), tx ? "seal" : "open", len,
		       err);
		if (!tx)
			xw_wipe(buf, len);
		fail(c);
	}
	return err;
}

int chan_seal_more(struct chan *c, uint8_t *buf, size_t len)
{
	return more_blocks(c, buf, len, 1);
}

int chan_open(struct chan *c, uint8_t *buf, size_t len)
{
	size_t body = len - XW_HMAC_LEN;
	int err = usable(c);
	int ok;

	if (err)
		return err;
	err = check_msg_len(c, "open", len);
	if (err)
		return err;
	if (!c->secure)
		return 0; /* the HMAC field is MBZ: ignored */

	/* RFC 4656 3.2: "first one decrypts, then one checks the HMAC, then
	 * one proceeds to use the data" */
	err = xw_aes_cbc_decrypt(c->aes, c->iv_rx, buf, buf, len);
	if (!err)
		err = xw_hmac_update(c->hmac_rx, buf, body);
	if (err) {
		pr_err("chan %s: cannot open a %zu-octet message: %d", role_name(c), len, err);
		goto bad;
	}
	ok = xw_hmac_verify(c->hmac_rx, buf + body);
	if (ok < 0) {
		err = ok;
		pr_err("chan %s: HMAC computation failed: %d", role_name(c), err);
		goto bad;
	}
	if (!ok) {
		pr_warn("chan %s: HMAC mismatch on a %zu-octet control message (first octet %u)",
			role_name(c), len, buf[0]);
		err = -EACCES;
		goto bad;
	}
	return 0;
bad:
	/* nothing may use unauthenticated data */
	xw_wipe(buf, len);
	fail(c);
	return err;
}

int chan_open_more(struct chan *c, uint8_t *buf, size_t len)
{
	return more_blocks(c, buf, len, 0);
}

/* Decrypts a copy of the next incoming block into pt; the stream state stays as is. */
static int peek_block(const struct chan *c, const uint8_t *buf, uint8_t pt[XW_BLOCK_LEN])
{
	uint8_t iv[XW_BLOCK_LEN];
	int ret;

	memcpy(iv, c->iv_rx, sizeof(iv));
	ret = xw_aes_cbc_decrypt(c->aes, iv, buf, pt, XW_BLOCK_LEN);
	xw_wipe(iv, sizeof(iv));
	return ret;
}

/*
 * Messages whose length is spread over more than their first block (an
 * OWAMP Stop-Sessions: each record's Number of Skip Ranges): decrypt a copy
 * of every whole block received so far, at most CHAN_PEEK_MAX octets.
 */
#define CHAN_PEEK_MAX (1u << 20)

static int peek_deep(const struct chan *c, enum codec_msg type, const uint8_t *buf, size_t avail)
{
	size_t n = avail - avail % XW_BLOCK_LEN;
	uint8_t iv[XW_BLOCK_LEN], *pt;
	int ret;

	if (n > CHAN_PEEK_MAX) {
		pr_warn("chan %s: a control message longer than %u octets", role_name(c),
			CHAN_PEEK_MAX);
		return -EMSGSIZE;
	}
	pt = malloc(n);
	if (!pt)
		return -ENOMEM;
	memcpy(iv, c->iv_rx, sizeof(iv));
	ret = xw_aes_cbc_decrypt(c->aes, iv, buf, pt, n);
	if (!ret)
		ret = codec_msg_len(type, pt, n);
	xw_wipe(iv, sizeof(iv));
	xw_wipe(pt, n);
	free(pt);
	return ret;
}

int chan_next_len(const struct chan *c, enum codec_msg type, const uint8_t *buf, size_t avail)
{
	uint8_t pt[XW_BLOCK_LEN];
	int ret;

	ret = usable(c);
	if (ret)
		return ret;
	if (!c->secure)
		return codec_msg_len(type, buf, avail);
	/* fixed lengths need no look at the bytes */
	ret = codec_msg_len(type, buf, 0);
	if (ret)
		return ret;
	if (avail < XW_BLOCK_LEN)
		return 0;
	ret = peek_block(c, buf, pt);
	if (!ret)
		ret = codec_msg_len(type, pt, XW_BLOCK_LEN);
	xw_wipe(pt, sizeof(pt));
	if (ret == 0 && avail >= 2 * XW_BLOCK_LEN)
		ret = peek_deep(c, type, buf, avail);
	return ret;
}

int chan_peek_cmd(const struct chan *c, const uint8_t *buf, size_t avail)
{
	uint8_t pt[XW_BLOCK_LEN];
	int ret = usable(c);

	if (ret)
		return ret;
	if (!c->secure)
		return codec_peek_cmd(buf, avail);
	if (avail < XW_BLOCK_LEN)
		return -EAGAIN;
	ret = peek_block(c, buf, pt);
	if (!ret)
		ret = codec_peek_cmd(pt, XW_BLOCK_LEN);
	xw_wipe(pt, sizeof(pt));
	return ret;
}
