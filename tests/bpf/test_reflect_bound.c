// SPDX-License-Identifier: GPL-2.0-only
/*
 * include/xwamp/reflect.h with the bound the BPF programs see
 * (XW_REFL_MAX_MOVE 4096), run in userspace against control/testpkt.c for
 * every sender length around and beyond that bound: the answer is the
 * userspace reflector's byte for byte, or XW_REFL_E_NOSPC with nothing
 * written and no sequence number used (the program then passes the frame
 * and the session's socket answers).  BPF_PROG_TEST_RUN cannot feed such
 * frames (the kernel caps test frames at a page), but generic XDP and tc
 * on a jumbo-MTU device do.  The move used to be masked with 4095 while
 * 4096 octets were allowed: a 4137-octet sender packet was answered with
 * its padding unmoved.
 */
#define XW_REFL_MAX_MOVE 4096

#include <stdio.h>
#include <string.h>

#include "t.h"
#include "xdp_fixture.h"

TEST(reflect_h_bpf_bound_agrees_or_refuses)
{
	static uint8_t a[9100], b[9100], orig[9100];
	__u32 len, variant;
	int agreed = 0, refused = 0, bad = 0;

	for (variant = 0; variant < 4; variant++) {
		int sym = variant & 1;
		__u16 rl = (variant & 2) ? 10 : 0;

		for (len = 4000; len <= 9000; len += len < 4300 ? 1 : 97) {
			__u64 seq;
			int ra, rb;

			memset(a, 0xa5, sizeof(a));
			fx_sender_payload(a, len, sym);
			memcpy(b, a, sizeof(a));
			memcpy(orig, a, sizeof(a));
			fx_reflect_both(a, b, sizeof(a), len, sym, rl, 0, &seq, &ra, &rb);
			if (rb == XW_REFL_E_NOSPC) {
				/* refused: untouched, no number used, and only past the bound */
				if (memcmp(b, orig, sizeof(b)) || seq != 5 ||
				    XW_REFL_OUT_LEN(len, (__u32)rl) <
					    (__u32)XW_REFL_MAX_MOVE + XW_REFL_HDR) {
					fprintf(stderr, "  len %u variant %u: refused wrongly\n",
						len, variant);
					bad++;
				}
				refused++;
				continue;
			}
			if (ra != rb || ra <= 0 || memcmp(a, b, (size_t)ra) || seq != 6) {
				fprintf(stderr, "  len %u variant %u: testpkt %d, reflect.h %d%s\n",
					len, variant, ra, rb,
					ra == rb && ra > 0 ? ": octets differ" : "");
				bad++;
				continue;
			}
			agreed++;
		}
	}
	CHECK_EQ(bad, 0);
	/* both outcomes happened: the bound is inside the swept range */
	CHECK(agreed > 4 * 100);
	CHECK(refused > 4 * 50);
}

/* The length of the issue: 4137 octets, the first one the old mask cut to a move of 0. */
TEST(reflect_h_bpf_bound_4137)
{
	static uint8_t b[5000];
	__u64 seq = 0;
	struct xw_refl_args args = {.next_seq = &seq, .errest = 0x8001};

	fx_sender_payload(b, 4137, 0);
	CHECK_EQ(xw_reflect_open(b, b + sizeof(b), 4137, &args), XW_REFL_E_NOSPC);
	CHECK_EQ(seq, 0);
	fx_sender_payload(b, 4136, 0);
	CHECK_EQ(xw_reflect_open(b, b + sizeof(b), 4136, &args), 4136);
	/* the padding moved: sender octet 14 is now at 41 */
	CHECK_EQ(b[41], (uint8_t)(14 * 7 + 3));
	CHECK_EQ(seq, 1);
}
