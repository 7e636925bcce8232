/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hex text to octets and back, for the key file, the RFC 7717 key table and the
 * charon plugin's answers: one decoder, so they accept exactly the same
 * digits.
 */
#ifndef XW_HEX_H
#define XW_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Value of one hex digit, either case; -1 for anything else. */
int xw_hexval(char c);

/*
 * len hex digits at s (no separators) into len / 2 octets at out, at most
 * max.  The octet count, or -EINVAL for an empty field, an odd number of
 * digits, more than max octets or a non-hex digit (out may then be partly
 * written: the caller wipes it if it holds secrets).
 */
int xw_unhex(const char *s, size_t len, uint8_t *out, size_t max);

/* n octets as 2n lower-case hex digits and a NUL at out (2n + 1 octets): the key file's form. */
void xw_hex(const uint8_t *in, size_t n, char *out);

#endif /* XW_HEX_H */
