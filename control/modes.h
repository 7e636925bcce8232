/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Names of the Modes bits (include/xwamp/proto.h) for command lines and
 * logs, one table for xwampd and xwping.
 */
#ifndef XW_MODES_H
#define XW_MODES_H

#include <stdint.h>

/*
 * Parse a mode list into Modes bits.  Accepted, separated by commas or
 * single spaces, case-insensitive: open (unauthenticated), auth
 * (authenticated), enc (encrypted), mixed, individual (RFC 5938),
 * reflect-octets and symmetric (RFC 6038), all, and RFC 8913's bit names
 * (unauth-test-encrypt-control, individual-session-control,
 * symmetrical-size); a token of the reference client's letters
 * O, A, E, M ("AEMO"); or the whole string as a number 1..255.
 * 0, or -EINVAL for an unknown word or an empty list.
 */
int xw_modes_parse(const char *s, uint32_t *modes);

/* "open", "auth", "enc", "mixed" for one security bit; "?" otherwise. */
const char *xw_mode_name(uint32_t mode);

#endif /* XW_MODES_H */
