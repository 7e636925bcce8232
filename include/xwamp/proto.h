/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * O/TWAMP protocol constants: ports, mode bits, command numbers, Accept
 * values and message sizes.  Numbers come from the RFCs cited beside them.
 */
#ifndef XWAMP_PROTO_H
#define XWAMP_PROTO_H

#include "xwamp/types.h"

/* RFC 8545: well-known ports. */
#define XW_PORT_OWAMP 861
#define XW_PORT_TWAMP 862

/* Modes field bits (RFC 4656 3.1, RFC 5618, RFC 5938, RFC 6038, RFC 7717). */
enum xw_mode {
	XW_MODE_OPEN = 1,	   /* unauthenticated */
	XW_MODE_AUTH = 2,	   /* authenticated */
	XW_MODE_ENCRYPTED = 4,	   /* encrypted */
	XW_MODE_MIXED = 8,	   /* RFC 5618: encrypted control, open test */
	XW_MODE_INDIV_SESS = 16,   /* RFC 5938: individual session control */
	XW_MODE_REFLECT_OCT = 32,  /* RFC 6038: reflect octets */
	XW_MODE_SYMMETRIC = 64,	   /* RFC 6038: symmetrical size */
	XW_MODE_IKEV2_DERIV = 128, /* RFC 7717: IKEv2-derived shared secret */
};
/* The bits that select a security mode; exactly one is chosen by a client. */
#define XW_MODE_SECURITY_MASK (XW_MODE_OPEN | XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED)

/* TWAMP-Control command numbers (RFC 5357 3.5, RFC 4656 3.4, RFC 5938 3). */
enum xw_cmd {
	XW_CMD_FORBIDDEN = 1, /* OWAMP Request-Session; forbidden in TWAMP */
	XW_CMD_REQUEST_SESSION = 1, /* OWAMP (RFC 4656 3.5) */
	XW_CMD_START_SESSIONS = 2,
	XW_CMD_STOP_SESSIONS = 3,
	XW_CMD_FETCH_SESSION = 4, /* OWAMP only */
	XW_CMD_REQUEST_TW_SESSION = 5,
	XW_CMD_EXPERIMENTATION = 6,
	XW_CMD_START_N_SESSIONS = 7, /* RFC 5938 */
	XW_CMD_START_N_ACK = 8,
	XW_CMD_STOP_N_SESSIONS = 9,
	XW_CMD_STOP_N_ACK = 10,
};

/* Accept values (RFC 4656 3.3; 6 from RFC 7717 5.3). */
enum xw_accept {
	XW_ACCEPT_OK = 0,
	XW_ACCEPT_FAILURE = 1,
	XW_ACCEPT_INTERNAL = 2,
	XW_ACCEPT_NOT_SUPPORTED = 3,
	XW_ACCEPT_PERM_LIMIT = 4,
	XW_ACCEPT_TEMP_LIMIT = 5,
	XW_ACCEPT_NO_IKE_SA = 6, /* RFC 7717 5.3: no IKEv2 SA for the SPIs in the KeyID */
};

/* Sizes of the fixed parts, in octets. */
#define XW_BLOCK_LEN 16
#define XW_HMAC_LEN 16
#define XW_KEYID_LEN 80
#define XW_TOKEN_LEN 64
#define XW_SID_LEN 16
#define XW_GREETING_LEN 64
#define XW_SETUP_RESPONSE_LEN 164
#define XW_SERVER_START_LEN 48
#define XW_REQUEST_TW_SESSION_LEN 112 /* including its HMAC */
#define XW_ACCEPT_SESSION_LEN 48
#define XW_START_SESSIONS_LEN 32
#define XW_START_ACK_LEN 32
#define XW_STOP_SESSIONS_LEN 32

/* TWAMP-Test packet sizes (RFC 5357 4.1.2, 4.2.1). */
#define XW_TEST_SENDER_OPEN_LEN 14
#define XW_TEST_SENDER_AUTH_LEN 48
#define XW_TEST_REFL_OPEN_LEN 41
#define XW_TEST_REFL_AUTH_LEN 112

/* Default timers (RFC 5357 3.1, 4.2). */
#define XW_SERVWAIT_DEFAULT_S 900
#define XW_REFWAIT_DEFAULT_S 900

#endif /* XWAMP_PROTO_H */
