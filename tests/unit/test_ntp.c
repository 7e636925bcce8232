// SPDX-License-Identifier: GPL-2.0-only
/* The shared time conversions of include/xwamp/ntp.h (RFC 4656 4.1.2, RFC 5905 6). */
#include "t.h"
#include "xwamp/ntp.h"

TEST(unix_epoch_is_ntp_2208988800)
{
	CHECK_EQ(xw_ns_to_ntp(0), 2208988800ULL << 32);
	CHECK_EQ(xw_ntp_to_ns(2208988800ULL << 32), 0);
}

TEST(half_second_is_fraction_2_pow_31)
{
	CHECK_EQ(xw_ns_to_ntp(500000000ULL) & 0xffffffffULL, 0x80000000ULL);
}

TEST(roundtrip_within_one_ns)
{
	__u64 ns;

	for (ns = 1700000000123456789ULL; ns < 1700000001000000000ULL; ns += 7777777)
		CHECK_NEAR((double)(xw_ntp_to_ns(xw_ns_to_ntp(ns)) - ns), 0, 1);
}

TEST(era1_after_2036)
{
	/* 2036-02-07 06:28:16 UTC is NTP second 2^32, i.e. 0 in era 1 */
	__u64 ns = ((1ULL << 32) - 2208988800ULL) * 1000000000ULL + 5;

	CHECK_EQ(xw_ns_to_ntp(ns) >> 32, 0);
	CHECK_NEAR((double)xw_ntp_to_ns(xw_ns_to_ntp(ns)), (double)ns, 1);
}

TEST(errest_never_below_error_and_multiplier_nonzero)
{
	__u64 e;

	/* up to 1000 s: an unsynchronized clock's maxerror is 16 s by default */
	for (e = 0; e < 1000000000000ULL; e = e * 3 + 1) {
		__u16 ee = xw_errest_encode(e, 0);

		CHECK((ee & 0xff) != 0);
		CHECK(xw_errest_to_ns(ee) >= e);
		/* within a factor of 1 + 1/128 + rounding */
		CHECK(xw_errest_to_ns(ee) <= e + e / 64 + 2);
	}
}

TEST(errest_s_bit)
{
	CHECK_EQ(xw_errest_encode(1000, 1) & XW_ERREST_S, XW_ERREST_S);
	CHECK_EQ(xw_errest_encode(1000, 0) & XW_ERREST_S, 0);
	CHECK(xw_errest_synced(0x8001));
	/* perfSONAR's unsynchronized 0x0001: 1 * 2^-32 s, rounds to 0 ns but is valid */
	CHECK(!xw_errest_synced(0x0001));
	CHECK_EQ(xw_errest_to_ns(0x0000), 0);
}

TEST(errest_decodes_every_scale_without_overflow)
{
	/* Scale 27-31 once overflowed: 0x1b8a is 138 * 2^-5 s = 4.3125 s */
	CHECK_EQ(xw_errest_to_ns(0x1b8a), 4312500000ULL);
	CHECK_EQ(xw_errest_to_ns(0x1f01), 500000000ULL);   /* 2^-1 s */
	CHECK_EQ(xw_errest_to_ns(0x2001), 1000000000ULL);  /* 2^0 s */
	CHECK_EQ(xw_errest_to_ns(0x2402), 32000000000ULL); /* 2 * 2^4 s */
	CHECK_EQ(xw_errest_to_ns(0x3fff), ~0ULL);	   /* saturates */
}

TEST(errest_sixteen_seconds_is_not_capped)
{
	__u16 ee = xw_errest_encode(16000000000ULL, 0);

	CHECK(xw_errest_to_ns(ee) >= 16000000000ULL);
	CHECK(xw_errest_to_ns(ee) < 16300000000ULL);
}
