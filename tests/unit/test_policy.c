// SPDX-License-Identifier: GPL-2.0-only
/*
 * Session acceptance policy (control/policy.h): each case attacks one rule
 * of RFC 4656 6.2 and expects the refusal (Accept 1) with a reason naming
 * the address, or the acceptance that the rule leaves.
 */
#include <errno.h>
#include <string.h>

#include "t.h"
#include "policy.h"
#include "xwamp/proto.h"

static struct pol_addr A(const char *s) {
	struct pol_prefix p;

	memset(&p, 0, sizeof(p));
	if (pol_prefix_parse(s, &p))
		p.addr.ipvn = 0; /* makes every check that uses it fail */
	return p.addr;
}

/* The host of the tests: 192.0.2.2/24 and 2001:db8::2/64 on one interface. */
static enum pol_host
host(void *arg, const struct pol_addr *a)
{
	struct pol_addr own4 = A("192.0.2.2"), own6 = A("2001:db8::2"), bc = A("192.0.2.255");

	(void)arg;
	if (pol_addr_equal(a, &own4) || pol_addr_equal(a, &own6))
		return POL_HOST_OWN;
	if (pol_addr_equal(a, &bc))
		return POL_HOST_BCAST;
	return POL_HOST_OTHER;
}

static struct pol_req req4(const char *sender, const char *receiver)
{
	struct pol_req r = {.sender = A(sender),
			    .receiver = A(receiver),
			    .ctl_peer = A("192.0.2.1"),
			    .ctl_local = A("192.0.2.2")};
	return r;
}

static char why[256];

static int check(const struct pol_cfg *cfg, const struct pol_req *r)
{
	return pol_session(cfg, r, host, NULL, NULL, why, sizeof(why));
}

TEST(sender_is_the_peer)
{
	struct pol_req r = req4("192.0.2.1", "192.0.2.2");

	CHECK_EQ(check(NULL, &r), XW_ACCEPT_OK);
	CHECK_EQ(why[0], 0);
}

/* The amplification: packets "from" a victim answered to the victim. */
TEST(spoofed_sender_declined)
{
	struct pol_req r = req4("192.0.2.9", "192.0.2.2");

	CHECK_EQ(check(NULL, &r), XW_ACCEPT_FAILURE);
	CHECK(strstr(why, "192.0.2.9 is not the control connection's peer 192.0.2.1"));
	/* loopback: 127.0.0.1 asking for 127.0.0.2 */
	r.ctl_peer = r.ctl_local = r.receiver = A("127.0.0.1");
	r.sender = A("127.0.0.2");
	CHECK_EQ(check(NULL, &r), XW_ACCEPT_FAILURE);
	r.sender = A("127.0.0.1");
	CHECK_EQ(check(NULL, &r), XW_ACCEPT_OK);
}

TEST(allowed_prefix_accepted)
{
	struct pol_prefix allow[2];
	struct pol_cfg cfg = {.allow_sender = allow, .nallow = 2};
	struct pol_req r = req4("198.51.100.77", "192.0.2.2");
	int idx = 7;

	CHECK_EQ(pol_prefix_parse("2001:db8:1::/48", &allow[0]), 0);
	CHECK_EQ(pol_prefix_parse("198.51.100.64/26", &allow[1]), 0);
	CHECK_EQ(pol_session(&cfg, &r, host, NULL, &idx, why, sizeof(why)), XW_ACCEPT_OK);
	CHECK_EQ(idx, 1);
	/* just outside */
	r.sender = A("198.51.100.63");
	CHECK_EQ(pol_session(&cfg, &r, host, NULL, &idx, why, sizeof(why)), XW_ACCEPT_FAILURE);
	CHECK_EQ(idx, -1);
	/* the peer itself needs no prefix */
	r.sender = A("192.0.2.1");
	CHECK_EQ(pol_session(&cfg, &r, host, NULL, &idx, why, sizeof(why)), XW_ACCEPT_OK);
	CHECK_EQ(idx, -1);
}

/* Nothing that no single host owns, even inside an allowed prefix. */
TEST(martian_senders_never)
{
	static const char *const bad[] = {
		"0.0.0.0",	   "0.1.2.3",	"224.0.0.1", "239.255.255.250",
		"255.255.255.255", "240.0.0.1", "127.0.0.1", "192.0.2.255",
	};
	struct pol_prefix all;
	struct pol_cfg cfg = {.allow_sender = &all, .nallow = 1};
	struct pol_req r;
	unsigned int i;

	CHECK_EQ(pol_prefix_parse("0.0.0.0/0", &all), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = req4(bad[i], "192.0.2.2");
		CHECK(r.sender.ipvn == 4);
		if (check(&cfg, &r) != XW_ACCEPT_FAILURE) {
			t_fail(__FILE__, __LINE__, "sender %s accepted", bad[i]);
			return;
		}
		CHECK(strstr(why, bad[i]));
	}
	r = req4("198.51.100.1", "192.0.2.2");
	CHECK_EQ(check(&cfg, &r), XW_ACCEPT_OK);
}

TEST(martian_senders_v6)
{
	static const char *const bad[] = {
		"::", "::1", "ff02::1", "ff0e::101", "::ffff:192.0.2.9", "::192.0.2.9",
		/* 6to4 and NAT64 of IPv4 broadcast, multicast, loopback, unspecified */
		"2002:ffff:ffff::1", "2002:e000:1::1", "64:ff9b::7f00:1", "64:ff9b::"};
	struct pol_prefix all;
	struct pol_cfg cfg = {.allow_sender = &all, .nallow = 1};
	struct pol_req r = {.receiver = A("2001:db8::2"),
			    .ctl_peer = A("2001:db8::1"),
			    .ctl_local = A("2001:db8::2")};
	unsigned int i;

	CHECK_EQ(pol_prefix_parse("::/0", &all), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.sender = A(bad[i]);
		CHECK(r.sender.ipvn == 6);
		if (check(&cfg, &r) != XW_ACCEPT_FAILURE) {
			t_fail(__FILE__, __LINE__, "sender %s accepted", bad[i]);
			return;
		}
	}
	r.sender = A("::ffff:192.0.2.9");
	CHECK_EQ(pol_addr_kind(&r.sender), POL_KIND_RESERVED);
	/* the same prefixes around a unicast IPv4 address are hosts */
	r.sender = A("2002:c000:201::1");
	CHECK_EQ(pol_addr_kind(&r.sender), POL_KIND_UNICAST);
	r.sender = A("64:ff9b::c000:201");
	CHECK_EQ(pol_addr_kind(&r.sender), POL_KIND_UNICAST);
	r.sender = A("64:ff9b:0:0:1::7f00:1"); /* not the /96 prefix: no IPv4 inside */
	CHECK_EQ(pol_addr_kind(&r.sender), POL_KIND_UNICAST);
	r.sender = A("2001:db8::1");
	CHECK_EQ(check(NULL, &r), XW_ACCEPT_OK);
	r.sender = A("2001:db8::3");
	CHECK_EQ(check(NULL, &r), XW_ACCEPT_FAILURE);
}

TEST(receiver_must_be_ours)
{
	struct pol_req r = req4("192.0.2.1", "192.0.2.77");

	CHECK_EQ(check(NULL, &r), XW_ACCEPT_FAILURE);
	CHECK(strstr(why, "Receiver Address 192.0.2.77 is not an address of this host"));
	/* a broadcast address is not ours to receive on either */
	r.receiver = A("192.0.2.255");
	CHECK_EQ(check(NULL, &r), XW_ACCEPT_FAILURE);
	r.receiver = A("224.0.0.1");
	CHECK_EQ(check(NULL, &r), XW_ACCEPT_FAILURE);
	/* the control connection's local address is ours even if no interface lists it */
	r.receiver = r.ctl_local = A("127.0.0.2");
	CHECK_EQ(check(NULL, &r), XW_ACCEPT_OK);
	/* with no facts, only that one */
	r.receiver = A("192.0.2.2");
	CHECK_EQ(pol_session(NULL, &r, NULL, NULL, NULL, why, sizeof(why)), XW_ACCEPT_FAILURE);
}

TEST(same_client_v4_exact_v6_slash64)
{
	struct pol_addr a = A("2001:db8:0:1::1"), b = A("2001:db8:0:1:ffff:ffff:ffff:fffe"),
			c = A("2001:db8:0:2::1"), d = A("192.0.2.1"), e = A("192.0.2.11");

	CHECK(pol_same_client(&a, &b));
	CHECK(!pol_same_client(&a, &c));
	CHECK(!pol_same_client(&d, &e));
	CHECK(pol_same_client(&d, &d));
	CHECK(!pol_same_client(&a, &d));
}

TEST(prefix_parse)
{
	struct pol_prefix p;
	char buf[64];

	CHECK_EQ(pol_prefix_parse("192.0.2.0/24", &p), 0);
	CHECK_EQ(p.len, 24);
	CHECK(!strcmp(pol_prefix_fmt(&p, buf, sizeof(buf)), "192.0.2.0/24"));
	CHECK_EQ(pol_prefix_parse("2001:db8::7", &p), 0);
	CHECK_EQ(p.len, 128);
	CHECK(!strcmp(pol_prefix_fmt(&p, buf, sizeof(buf)), "2001:db8::7/128"));
	CHECK_EQ(pol_prefix_parse("198.51.100.64/26", &p), 0);
	/* host bits set, lengths out of range, junk */
	CHECK_EQ(pol_prefix_parse("192.0.2.1/24", &p), -EINVAL);
	CHECK_EQ(pol_prefix_parse("192.0.2.0/33", &p), -EINVAL);
	CHECK_EQ(pol_prefix_parse("2001:db8::/129", &p), -EINVAL);
	CHECK_EQ(pol_prefix_parse("192.0.2.0/", &p), -EINVAL);
	CHECK_EQ(pol_prefix_parse("192.0.2.0/-1", &p), -EINVAL);
	CHECK_EQ(pol_prefix_parse("192.0.2.0/24x", &p), -EINVAL);
	CHECK_EQ(pol_prefix_parse("example.org", &p), -EINVAL);
	CHECK_EQ(pol_prefix_parse("", &p), -EINVAL);
}
