// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "modes.h"
#include "xwamp/proto.h"

static const struct {
	const char *name;
	uint32_t bits;
} names[] = {
	{"open", XW_MODE_OPEN},
	{"unauthenticated", XW_MODE_OPEN},
	{"auth", XW_MODE_AUTH},
	{"authenticated", XW_MODE_AUTH},
	{"enc", XW_MODE_ENCRYPTED},
	{"encrypted", XW_MODE_ENCRYPTED},
	{"mixed", XW_MODE_MIXED},
	{"individual", XW_MODE_INDIV_SESS},	 /* RFC 5938 */
	{"reflect-octets", XW_MODE_REFLECT_OCT}, /* RFC 6038 */
	{"symmetric", XW_MODE_SYMMETRIC},	 /* RFC 6038 */
	/* the bit names of RFC 8913's twamp-modes typedef (section 5.2) */
	{"unauth-test-encrypt-control", XW_MODE_MIXED},
	{"individual-session-control", XW_MODE_INDIV_SESS},
	{"symmetrical-size", XW_MODE_SYMMETRIC},
	{"all",
	 XW_MODE_SECURITY_MASK | XW_MODE_INDIV_SESS | XW_MODE_REFLECT_OCT | XW_MODE_SYMMETRIC},
};

/* "AEMO": the letters twping's -A takes */
static int letters(const char *tok, size_t len, uint32_t *m)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		switch (tok[i]) {
		case 'O':
		case 'o':
			v |= XW_MODE_OPEN;
			break;
		case 'A':
		case 'a':
			v |= XW_MODE_AUTH;
			break;
		case 'E':
		case 'e':
			v |= XW_MODE_ENCRYPTED;
			break;
		case 'M':
		case 'm':
			v |= XW_MODE_MIXED;
			break;
		default:
			return -EINVAL;
		}
	}
	*m |= v;
	return 0;
}

int xw_modes_parse(const char *s, uint32_t *modes)
{
	uint32_t m = 0;
	char *end;
	size_t i;

	if (!s || !*s)
		return -EINVAL;
	if (*s >= '0' && *s <= '9') {
		unsigned long v = strtoul(s, &end, 10);

		if (*end || v < 1 || v > 255)
			return -EINVAL;
		*modes = (uint32_t)v;
		return 0;
	}
	while (*s) {
		/* commas, or the spaces between YANG bits ("unauthenticated encrypted") */
		size_t len = strcspn(s, ", ");

		if (!len)
			return -EINVAL;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && !strncasecmp(s, names[i].name, len))
				break;
		if (i < sizeof(names) / sizeof(names[0]))
			m |= names[i].bits;
		else if (letters(s, len, &m))
			return -EINVAL;
		s += len;
		if ((*s == ',' || *s == ' ') && !*++s)
			return -EINVAL;
	}
	*modes = m;
	return 0;
}

const char *xw_mode_name(uint32_t mode)
{
	switch (mode) {
	case XW_MODE_OPEN:
		return "open";
	case XW_MODE_AUTH:
		return "auth";
	case XW_MODE_ENCRYPTED:
		return "enc";
	case XW_MODE_MIXED:
		return "mixed";
	}
	return "?";
}
