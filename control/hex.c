// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>

#include "hex.h"

int xw_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int xw_unhex(const char *s, size_t len, uint8_t *out, size_t max)
{
	size_t i;

	if (!len || (len & 1) || len / 2 > max)
		return -EINVAL;
	for (i = 0; i < len; i += 2) {
		int hi = xw_hexval(s[i]), lo = xw_hexval(s[i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(len / 2);
}

void xw_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digit[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digit[in[i] >> 4];
		out[2 * i + 1] = digit[in[i] & 15];
	}
	out[2 * n] = '\0';
}
