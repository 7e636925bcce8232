// SPDX-License-Identifier: GPL-2.0-only
/* Mode lists as xwampd --modes and xwping -A take them (control/modes.h). */
#include <errno.h>

#include "t.h"
#include "modes.h"
#include "xwamp/proto.h"

static uint32_t parse(const char *s)
{
	uint32_t m = 0xdeadbeef;

	return xw_modes_parse(s, &m) ? 0xdeadbeef : m;
}

TEST(names_and_synonyms)
{
	CHECK_EQ(parse("open"), XW_MODE_OPEN);
	CHECK_EQ(parse("auth,enc"), XW_MODE_AUTH | XW_MODE_ENCRYPTED);
	CHECK_EQ(parse("Authenticated,ENCRYPTED,unauthenticated,mixed"), XW_MODE_SECURITY_MASK);
	CHECK_EQ(parse("open,individual,reflect-octets,symmetric"),
		 XW_MODE_OPEN | XW_MODE_INDIV_SESS | XW_MODE_REFLECT_OCT | XW_MODE_SYMMETRIC);
	CHECK_EQ(parse("all"), 127);
}

/* RFC 8913 5.2 twamp-modes: the YANG bit names, space-separated as YANG writes bits */
TEST(rfc8913_bit_names)
{
	CHECK_EQ(parse("unauthenticated authenticated encrypted unauth-test-encrypt-control"),
		 XW_MODE_SECURITY_MASK);
	CHECK_EQ(parse("individual-session-control reflect-octets symmetrical-size"),
		 XW_MODE_INDIV_SESS | XW_MODE_REFLECT_OCT | XW_MODE_SYMMETRIC);
	CHECK_EQ(parse("open auth,enc"), XW_MODE_OPEN | XW_MODE_AUTH | XW_MODE_ENCRYPTED);
	CHECK_EQ(parse("open "), 0xdeadbeef);
	CHECK_EQ(parse("open  auth"), 0xdeadbeef);
}

TEST(reference_letters)
{
	CHECK_EQ(parse("AEMO"), XW_MODE_SECURITY_MASK);
	CHECK_EQ(parse("e"), XW_MODE_ENCRYPTED);
	/* a word wins over letters: "am" is not a name, so A + M */
	CHECK_EQ(parse("am"), XW_MODE_AUTH | XW_MODE_MIXED);
}

TEST(numbers)
{
	CHECK_EQ(parse("15"), 15);
	CHECK_EQ(parse("130"), XW_MODE_AUTH | XW_MODE_IKEV2_DERIV);
}

TEST(rejections)
{
	uint32_t m = 7;

	CHECK_EQ(xw_modes_parse("", &m), -EINVAL);
	CHECK_EQ(xw_modes_parse("open,", &m), -EINVAL);
	CHECK_EQ(xw_modes_parse(",open", &m), -EINVAL);
	CHECK_EQ(xw_modes_parse("open,,auth", &m), -EINVAL);
	CHECK_EQ(xw_modes_parse("opne", &m), -EINVAL);
	CHECK_EQ(xw_modes_parse("0", &m), -EINVAL);
	CHECK_EQ(xw_modes_parse("256", &m), -EINVAL);
	CHECK_EQ(xw_modes_parse("12x", &m), -EINVAL);
	CHECK_EQ(m, 7); /* untouched on error */
}

TEST(names_of_security_modes)
{
	CHECK(!strcmp(xw_mode_name(XW_MODE_OPEN), "open"));
	CHECK(!strcmp(xw_mode_name(XW_MODE_ENCRYPTED), "enc"));
	CHECK(!strcmp(xw_mode_name(XW_MODE_AUTH | XW_MODE_ENCRYPTED), "?"));
}
