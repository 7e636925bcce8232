/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The parameters of one TWAMP test session as the Request-TW-Session
 * command carries them (RFC 5357 3.5, RFC 4656 3.5, RFC 6038 4.2), in host
 * order.  Shared by the client state machine (cli.h, which builds requests
 * from it) and the server state machine (srv.h, which hands the decoded
 * request to the daemon), so that the daemon and xwping never see the
 * codec's wire structures.
 */
#ifndef XW_TWSESS_H
#define XW_TWSESS_H

#include <stdint.h>

#include "xwamp/proto.h"

struct twsess_params {
	uint8_t ipvn; /* 4 or 6 */
	/*
	 * Conf-Sender / Conf-Receiver, Number of Schedule Slots, Number of
	 * Packets: all MUST be 0 in TWAMP (RFC 5357 3.5).  A client leaves them
	 * zero; the server refuses Conf-* != 0 with Accept 3 (as the RFC says)
	 * and ignores non-zero slots/packets (the RFC gives no reaction).
	 */
	uint8_t conf_sender;
	uint8_t conf_receiver;
	uint32_t num_slots;
	uint32_t num_packets;
	uint16_t sender_port;	/* Session-Sender's UDP port (sends and receives) */
	uint16_t receiver_port; /* requested reflector port */
	/*
	 * IPv4: the address in the first 4 octets, the other 12 zero.  All zero
	 * means "use the control connection's addresses" (RFC 5357 3.5).
	 */
	uint8_t sender_addr[16];
	uint8_t receiver_addr[16];
	uint32_t padding_len; /* octets of padding in each Session-Sender packet */
	uint64_t start_time;  /* NTP timestamp (RFC 4656 3.5) */
	uint64_t timeout;     /* NTP-format interval; TWAMP: wait after Stop (RFC 5357 3.5) */
	uint32_t type_p;      /* Type-P Descriptor: 00 + DSCP in the top octet (RFC 4656 3.5) */
	/* RFC 6038 4.2, meaningful only when XW_MODE_REFLECT_OCT is in use. */
	uint16_t octets_to_reflect;
	uint16_t pad_to_reflect; /* Length of padding to reflect */
};

/* DSCP <-> Type-P Descriptor (RFC 4656 3.5: first two bits 00, then six bits of DSCP). */
static inline uint32_t twsess_typep_from_dscp(uint8_t dscp)
{
	return (uint32_t)(dscp & 0x3f) << 24;
}

/*
 * Returns the DSCP, or -1 when the descriptor is not of the DSCP kind (01: a
 * PHB ID).  The octets after the DSCP are unassigned and ignored.
 */
static inline int twsess_typep_dscp(uint32_t type_p)
{
	if (type_p >> 30)
		return -1;
	return (int)((type_p >> 24) & 0x3f);
}

#endif /* XW_TWSESS_H */
