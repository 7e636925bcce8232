// SPDX-License-Identifier: GPL-2.0-only
/* The one hex decoder of key files, key tables and plugin answers (control/hex.h). */
#include <errno.h>

#include "t.h"
#include "hex.h"

TEST(digits_either_case)
{
	uint8_t out[4];

	CHECK_EQ(xw_unhex("00fFa9C1", 8, out, sizeof(out)), 4);
	CHECK_MEM(out, "\x00\xff\xa9\xc1", 4);
	CHECK_EQ(xw_hexval('g'), -1);
	CHECK_EQ(xw_hexval('F'), 15);
}

TEST(rejections)
{
	uint8_t out[2];

	CHECK_EQ(xw_unhex("", 0, out, sizeof(out)), -EINVAL);	    /* empty */
	CHECK_EQ(xw_unhex("abc", 3, out, sizeof(out)), -EINVAL);    /* odd */
	CHECK_EQ(xw_unhex("a0b1c2", 6, out, sizeof(out)), -EINVAL); /* longer than max */
	CHECK_EQ(xw_unhex("a0 1", 4, out, sizeof(out)), -EINVAL);   /* not a digit */
	CHECK_EQ(xw_unhex("0x12", 4, out, sizeof(out)), -EINVAL);   /* no prefix either */
	CHECK_EQ(xw_unhex("a0b1", 4, out, sizeof(out)), 2);	    /* exactly max */
}

/* the encoder writes what the decoder reads back (the key file's lower case) */
TEST(encode_round_trip)
{
	const uint8_t in[] = {0x00, 0xff, 0xa9, 0xc1, 0x10};
	char text[2 * sizeof(in) + 1];
	uint8_t back[sizeof(in)];

	memset(text, 'x', sizeof(text));
	xw_hex(in, sizeof(in), text);
	CHECK(!strcmp(text, "00ffa9c110"));
	CHECK_EQ(xw_unhex(text, strlen(text), back, sizeof(back)), (int)sizeof(in));
	CHECK_MEM(back, in, sizeof(in));
	xw_hex(in, 0, text);
	CHECK_EQ(text[0], '\0');
}
