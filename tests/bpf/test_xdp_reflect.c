// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP reflector under BPF_PROG_TEST_RUN (doc/style.md 13), plus the
 * userspace agreement of include/xwamp/reflect.h with control/testpkt.c.
 *
 * Each fixture: a description, the session entry, the input frame (built by
 * tests/bpf/xdp_fixture.h with checksums from scratch, then mutated), the
 * expected verdict and "stats" slot.  For XDP_TX the expected frame is built
 * here field by field (not with reflect.h); the T2/T3 octets are the mask:
 * they are taken from the output after checking T2 == T3 and that they are
 * the clock map's time, then the IPv4 and UDP checksums of the expected
 * frame are computed from scratch, and the whole frame must match.  PASS
 * frames must come back untouched.  Failures print a hex diff.
 *
 * The tc program (tc_xwamp, same object, same maps) runs every table too:
 * the same expected bytes, verdicts TC_ACT_REDIRECT / TC_ACT_OK /
 * TC_ACT_SHOT for XDP_TX / XDP_PASS / XDP_DROP.  A tc test run always
 * starts at an Ethernet header (the kernel runs eth_type_trans() on it), so
 * tc's L3 mode is tested the way an xfrm interface presents decrypted
 * packets: behind a rebuilt 14-octet link header, which is left as it is
 * (bpf_redirect() to the L3 device strips it).  IP at offset 0 (a TUN
 * device) cannot be reached by a tc test run.
 *
 * Needs root (BPF_PROG_TEST_RUN).  Frames shorter than 14 octets cannot be
 * tested: the kernel refuses them for XDP test runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "t.h"
#include "testpkt.h"
#include "xdp_fixture.h"
#include "xwamp.skel.h"
#include "xwamp/ntp.h"
#include "xwamp/reflect.h"

#define UTC_OFF_NS (-37LL * 1000000000LL)
#define ERREST	   0x8132

enum { S_NONE = 0, S_ARMED, S_DISARMED, S_AUTH };

struct fixture {
	const char *desc;
	struct fx_pkt pkt;
	/* session at FX_DPORT */
	int sess;
	uint8_t flags;
	uint16_t reflect_len;
	uint32_t expect_len;
	uint8_t dscp;
	uint16_t sess_sport; /* != 0: the session expects another sender port */
	int sess_family_other;
	/* mutations of the built frame */
	int cut;		 /* > 0: frame cut to this many octets */
	int ip_len_adj;		 /* added to IPv4 total length / IPv6 payload length */
	int udp_len_adj;	 /* added to the UDP length */
	int mult0;		 /* sender Error Estimate Multiplier 0 */
	int frag;		 /* IPv4 MF bit */
	int proto;		 /* != 0: IP protocol / next header */
	int ethertype;		 /* != 0: replaces the (innermost) EtherType */
	int ihl;		 /* != 0: IPv4 IHL */
	enum xw_stat tc_l3_stat; /* != 0: tc in L3 mode counts this instead */
	/* not for this host, or what the kernel would drop (checksums fixed up unless bad_*) */
	const uint8_t *saddr, *daddr; /* != NULL: source / destination address (4 or 16) */
	const uint8_t *mac;	      /* != NULL: Ethernet destination */
	int bad_ipcsum;		      /* IPv4 header checksum off by one */
	int bad_udpcsum;	      /* UDP checksum off by one */
	int udpcsum;		      /* > 0: UDP checksum field set to this, -1: to 0 */
	int frag_off;		      /* IPv4 fragment offset */
	uint8_t opt_type;	      /* != 0: first IPv4 option octet (with .pkt.ipopt) */
	/* expected */
	int verdict;
	enum xw_stat stat;
};

static const char *const stat_names[XW_STAT_MAX] = {
	"REFLECTED",	"PASS_NOT_IP",	 "PASS_NOT_UDP", "PASS_FRAG",  "PASS_TRUNC",  "PASS_BADLEN",
	"PASS_NO_SESS", "PASS_DISARMED", "PASS_TUPLE",	 "PASS_MODE",  "PASS_NOROOM", "DROP_TRUNC",
	"DROP_LEN",	"DROP_MULT0",	 "REDIRECTED",	 "PASS_IFACE", "PASS_IPOPT",  "PASS_IPCSUM",
	"PASS_UDPCSUM", "PASS_SRC",	 "PASS_DST",	 "PASS_MAC",
};

/* Addresses and MACs of frames that are not for this host. */
static const uint8_t a4_bcast[4] = {255, 255, 255, 255};
static const uint8_t a4_subnet_bcast[4] = {192, 0, 2, 255}; /* own_addrs: XW_OWN_BROADCAST */
static const uint8_t a4_mcast[4] = {224, 0, 0, 1};
static const uint8_t a4_other[4] = {192, 0, 2, 99};
static const uint8_t a4_zero[4] = {0, 0, 0, 0};
static const uint8_t a4_loop[4] = {127, 0, 0, 1};
static const uint8_t a4_classe[4] = {240, 0, 0, 1};
static const uint8_t a6_mcast[16] = {0xff, 0x02, [15] = 1};
static const uint8_t a6_loop[16] = {[15] = 1};
static const uint8_t a6_zero[16] = {0};
static const uint8_t a6_mapped[16] = {[10] = 0xff, 0xff, 192, 0, 2, 1};
static const uint8_t a6_6to4_bcast[16] = {0x20, 0x02, 0xff, 0xff, 0xff, 0xff, [15] = 1};
static const uint8_t a6_nat64_mcast[16] = {0, 0x64, 0xff, 0x9b, [12] = 224, 0, 0, 1};
static const uint8_t a6_6to4_host[16] = {0x20, 0x02, 198, 51, 100, 7, [15] = 1};
static const uint8_t a6_other[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x99};
static const uint8_t a6_linklocal[16] = {0xfe, 0x80, [15] = 7};
static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t mac_other[6] = {0x02, 0, 0, 0, 0, 0x99};

#define V4(...)                      \
	{                            \
		.v6 = 0, __VA_ARGS__ \
	}
#define V6(...)                      \
	{                            \
		.v6 = 1, __VA_ARGS__ \
	}
#define SYM  XW_SESS_F_SYMMETRIC
#define REFL XW_SESS_F_REFLECT

static const struct fixture fixtures[] = {
	/* reflected */
	{"ipv4, sender padded 27: same length", V4(.paylen = 41), S_ARMED, .verdict = XDP_TX},
	{"ipv4, no padding: grows to 41", V4(.paylen = 14), S_ARMED, .verdict = XDP_TX},
	{"ipv4, 20 octets + Ethernet trailer: grows", V4(.paylen = 20, .trailer = 6), S_ARMED,
	 .verdict = XDP_TX},
	{"ipv4, 41 octets + Ethernet trailer kept", V4(.paylen = 41, .trailer = 3), S_ARMED,
	 .verdict = XDP_TX},
	{"ipv4, padding moved, even", V4(.paylen = 200), S_ARMED, .verdict = XDP_TX},
	{"ipv4, padding moved, odd", V4(.paylen = 201), S_ARMED, .verdict = XDP_TX},
	{"ipv4, padding moved, 1400", V4(.paylen = 1400), S_ARMED, .verdict = XDP_TX},
	{"ipv4, 42..48 octets (short moves)", V4(.paylen = 45), S_ARMED, .verdict = XDP_TX},
	{"ipv4, expect_len matches", V4(.paylen = 77), S_ARMED, .expect_len = 77,
	 .verdict = XDP_TX},
	{"ipv4, symmetrical size", V4(.paylen = 91, .symmetric = 1), S_ARMED, SYM,
	 .verdict = XDP_TX},
	{"ipv4, symmetrical size, odd", V4(.paylen = 93, .symmetric = 1), S_ARMED, SYM,
	 .verdict = XDP_TX},
	{"ipv4, symmetrical size, minimum 41", V4(.paylen = 41, .symmetric = 1), S_ARMED, SYM,
	 .verdict = XDP_TX},
	{"ipv4, reflect octets 10", V4(.paylen = 51), S_ARMED, REFL, 10, .verdict = XDP_TX},
	{"ipv4, reflect octets 10, grows", V4(.paylen = 24), S_ARMED, REFL, 10, .verdict = XDP_TX},
	{"ipv4, symmetrical + reflect octets", V4(.paylen = 57, .symmetric = 1), S_ARMED,
	 SYM | REFL, 10, .verdict = XDP_TX},
	{"ipv4, padding moved, 3400", V4(.paylen = 3400), S_ARMED, .verdict = XDP_TX},
	{"ipv6, padding moved, 3333", V6(.paylen = 3333), S_ARMED, .verdict = XDP_TX},
	{"ipv4, 802.1Q", V4(.paylen = 41, .nvlan = 1), S_ARMED, .verdict = XDP_TX},
	{"ipv4, QinQ", V4(.paylen = 100, .nvlan = 2), S_ARMED, .verdict = XDP_TX},
	{"ipv4, QinQ, grows", V4(.paylen = 14, .nvlan = 2), S_ARMED, .verdict = XDP_TX},
	{"ipv4, no UDP checksum stays none", V4(.paylen = 41, .no_udp_csum = 1), S_ARMED,
	 .verdict = XDP_TX},
	{"ipv4, DSCP EF, ECN cleared", V4(.paylen = 41, .tos = 0x03), S_ARMED, .dscp = 46,
	 .verdict = XDP_TX},
	{"ipv6", V6(.paylen = 41), S_ARMED, .verdict = XDP_TX},
	{"ipv6, grows", V6(.paylen = 14), S_ARMED, .verdict = XDP_TX},
	{"ipv6, padding moved, odd", V6(.paylen = 333), S_ARMED, .verdict = XDP_TX},
	{"ipv6, symmetrical + reflect octets", V6(.paylen = 99, .symmetric = 1), S_ARMED,
	 SYM | REFL, 16, .verdict = XDP_TX},
	{"ipv6, 802.1Q, DSCP 10, flow label kept", V6(.paylen = 64, .nvlan = 1, .tos = 0xff),
	 S_ARMED, .dscp = 10, .verdict = XDP_TX},
	{"ipv6, QinQ", V6(.paylen = 41, .nvlan = 2), S_ARMED, .verdict = XDP_TX},
	/* not ours: passed untouched */
	{"no session on the port", V4(.paylen = 41), S_NONE, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_NO_SESS},
	{"other port", V4(.paylen = 41, .dport = FX_DPORT + 1), S_ARMED, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_NO_SESS},
	{"disarmed session", V4(.paylen = 41), S_DISARMED, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_DISARMED},
	{"authenticated session (AF_XDP later)", V4(.paylen = 41), S_AUTH, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_MODE},
	{"wrong sender port", V4(.paylen = 41), S_ARMED, .sess_sport = 40001, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_TUPLE},
	{"ipv4 frame, ipv6 session", V4(.paylen = 41), S_ARMED, .sess_family_other = 1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_TUPLE},
	{"ipv6 frame, ipv4 session", V6(.paylen = 41), S_ARMED, .sess_family_other = 1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_TUPLE},
	{"TCP", V4(.paylen = 41), S_ARMED, .proto = 6, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_NOT_UDP},
	{"ipv6 hop-by-hop header", V6(.paylen = 41), S_ARMED, .proto = 0, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_NOT_UDP, .ethertype = 0},
	{"ARP", V4(.paylen = 41), S_ARMED, .ethertype = 0x0806, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_NOT_IP},
	{"three VLAN tags", V4(.paylen = 41, .nvlan = 2), S_ARMED, .ethertype = 0x8100,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_NOT_IP},
	{"ipv4 fragment", V4(.paylen = 41), S_ARMED, .frag = 1, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_FRAG},
	{"ipv4 last fragment (offset, no MF)", V4(.paylen = 41), S_ARMED, .frag_off = 185,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_FRAG},
	/* what the kernel would drop or process itself: passed, counted per reason */
	{"ipv4, options 8 (NOPs)", V4(.paylen = 60, .ipopt = 8), S_ARMED, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_IPOPT},
	{"ipv4, LSRR option", V4(.paylen = 41, .ipopt = 12), S_ARMED, .opt_type = 0x83,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_IPOPT},
	{"ipv4, options 40, would grow", V4(.paylen = 14, .ipopt = 40), S_ARMED,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_IPOPT},
	{"ipv4, bad header checksum", V4(.paylen = 41), S_ARMED, .bad_ipcsum = 1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_IPCSUM},
	{"ipv4, bad UDP checksum", V4(.paylen = 41), S_ARMED, .bad_udpcsum = 1, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_UDPCSUM},
	{"ipv4, bad UDP checksum, padding moved", V4(.paylen = 1001), S_ARMED, .bad_udpcsum = 1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_UDPCSUM},
	{"ipv4, partial checksum (pseudo-header sum only)", V4(.paylen = 41), S_ARMED,
	 .udpcsum = 0x8446, .verdict = XDP_PASS, .stat = XW_STAT_PASS_UDPCSUM},
	{"ipv4, bad UDP checksum, would grow", V4(.paylen = 14), S_ARMED, .bad_udpcsum = 1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_UDPCSUM},
	{"ipv6, bad UDP checksum", V6(.paylen = 41), S_ARMED, .bad_udpcsum = 1, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_UDPCSUM},
	{"ipv6, bad UDP checksum, odd length", V6(.paylen = 333), S_ARMED, .bad_udpcsum = 1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_UDPCSUM},
	{"ipv6, UDP checksum 0 (required, RFC 8200 8.1)", V6(.paylen = 41), S_ARMED, .udpcsum = -1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_UDPCSUM},
	/* not for this host */
	{"Ethernet broadcast", V4(.paylen = 41), S_ARMED, .mac = mac_bcast, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_MAC},
	{"Ethernet multicast", V6(.paylen = 41), S_ARMED, .mac = mac_mcast, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_MAC},
	{"another host's MAC", V4(.paylen = 41), S_ARMED, .mac = mac_other, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_MAC},
	{"local=*: to 255.255.255.255", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_DADDR,
	 .daddr = a4_bcast, .verdict = XDP_PASS, .stat = XW_STAT_PASS_DST},
	{"local=*: to the subnet broadcast", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_DADDR,
	 .daddr = a4_subnet_bcast, .verdict = XDP_PASS, .stat = XW_STAT_PASS_DST},
	{"local=*: to 224.0.0.1", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_DADDR, .daddr = a4_mcast,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_DST},
	{"local=*: to another host", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_DADDR,
	 .daddr = a4_other, .verdict = XDP_PASS, .stat = XW_STAT_PASS_DST},
	{"local=*: to 127.0.0.1 from outside", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_DADDR,
	 .daddr = a4_loop, .verdict = XDP_PASS, .stat = XW_STAT_PASS_DST},
	{"local=*: to this host", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_DADDR,
	 .verdict = XDP_TX},
	{"ipv6 local=*: to ff02::1", V6(.paylen = 41), S_ARMED, XW_SESS_F_ANY_DADDR,
	 .daddr = a6_mcast, .verdict = XDP_PASS, .stat = XW_STAT_PASS_DST},
	{"ipv6 local=*: to ::1 from outside", V6(.paylen = 41), S_ARMED, XW_SESS_F_ANY_DADDR,
	 .daddr = a6_loop, .verdict = XDP_PASS, .stat = XW_STAT_PASS_DST},
	{"ipv6 local=*: to another host", V6(.paylen = 41), S_ARMED, XW_SESS_F_ANY_DADDR,
	 .daddr = a6_other, .verdict = XDP_PASS, .stat = XW_STAT_PASS_DST},
	{"ipv6 local=*: to this host", V6(.paylen = 41), S_ARMED, XW_SESS_F_ANY_DADDR,
	 .verdict = XDP_TX},
	{"sender=*: from 224.0.0.1", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a4_mcast, .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"sender=*: from 255.255.255.255", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a4_bcast, .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"sender=*: from the subnet broadcast", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a4_subnet_bcast, .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"sender=*: from 0.0.0.0", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR, .saddr = a4_zero,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"sender=*: from 127.0.0.1", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a4_loop, .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"sender=*: from 240.0.0.1 (martian)", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a4_classe, .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"sender=*: from this host's own address", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = fx_ip4_ref, .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"sender=*: from another host", V4(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a4_other, .verdict = XDP_TX},
	{"ipv6 sender=*: from ff02::1", V6(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a6_mcast, .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"ipv6 sender=*: from ::", V6(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR, .saddr = a6_zero,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"ipv6 sender=*: from ::1", V6(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a6_loop, .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"ipv6 sender=*: from ::ffff:192.0.2.1", V6(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a6_mapped, .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"ipv6 sender=*: from 6to4 of 255.255.255.255", V6(.paylen = 41), S_ARMED,
	 XW_SESS_F_ANY_SADDR, .saddr = a6_6to4_bcast, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_SRC},
	{"ipv6 sender=*: from NAT64 of 224.0.0.1", V6(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a6_nat64_mcast, .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"ipv6 sender=*: from 6to4 of a unicast host", V6(.paylen = 41), S_ARMED,
	 XW_SESS_F_ANY_SADDR, .saddr = a6_6to4_host, .verdict = XDP_TX},
	{"ipv6 sender=*: from a link-local address", V6(.paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a6_linklocal, .verdict = XDP_TX},
	{"exact session, multicast destination", V4(.paylen = 41), S_ARMED, .daddr = a4_mcast,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_TUPLE},
	{"ipv4 IHL 4", V4(.paylen = 41), S_ARMED, .ihl = 4, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_BADLEN},
	{"ipv4 IHL 15 past the frame", V4(.paylen = 20), S_ARMED, .ihl = 15, .cut = 14 + 40,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_TRUNC},
	{"ipv4 total length > frame", V4(.paylen = 41), S_ARMED, .ip_len_adj = 1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_BADLEN},
	{"ipv4 total length < UDP length", V4(.paylen = 41), S_ARMED, .ip_len_adj = -1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_BADLEN},
	{"ipv4 total length < headers", V4(.paylen = 41), S_ARMED, .ip_len_adj = -50,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_BADLEN},
	{"UDP length > IP payload", V4(.paylen = 41), S_ARMED, .udp_len_adj = 1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_BADLEN},
	{"UDP length 7", V4(.paylen = 41), S_ARMED, .udp_len_adj = -42, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_BADLEN},
	{"ipv6 payload length > frame", V6(.paylen = 41), S_ARMED, .ip_len_adj = 1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_BADLEN},
	{"ipv6 payload length 0 (jumbo)", V6(.paylen = 41), S_ARMED, .ip_len_adj = -49,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_BADLEN},
	{"ipv6 UDP length > payload", V6(.paylen = 41), S_ARMED, .udp_len_adj = 2,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_BADLEN},
	/* armed session, but not a valid TWAMP-Test packet: dropped */
	{"TWAMP shorter than 14", V4(.paylen = 10), S_ARMED, .verdict = XDP_DROP,
	 .stat = XW_STAT_DROP_TRUNC},
	{"symmetrical size, shorter than 41", V4(.paylen = 40, .symmetric = 1), S_ARMED, SYM,
	 .verdict = XDP_DROP, .stat = XW_STAT_DROP_TRUNC},
	{"reflect octets missing", V4(.paylen = 20), S_ARMED, REFL, 10, .verdict = XDP_DROP,
	 .stat = XW_STAT_DROP_TRUNC},
	{"not the session's length", V4(.paylen = 78), S_ARMED, .expect_len = 77,
	 .verdict = XDP_DROP, .stat = XW_STAT_DROP_LEN},
	{"Error Estimate Multiplier 0", V4(.paylen = 41), S_ARMED, .mult0 = 1, .verdict = XDP_DROP,
	 .stat = XW_STAT_DROP_MULT0},
	{"ipv6, Multiplier 0", V6(.paylen = 41), S_ARMED, .mult0 = 1, .verdict = XDP_DROP,
	 .stat = XW_STAT_DROP_MULT0},
};

/* Same as above on a TUN-like device: frames start at the IP header. */
static const struct fixture fixtures_l3[] = {
	{"L3 ipv4", V4(.l3 = 1, .paylen = 41), S_ARMED, .verdict = XDP_TX},
	{"L3 ipv4, grows", V4(.l3 = 1, .paylen = 14), S_ARMED, .verdict = XDP_TX},
	{"L3 ipv4, padding moved", V4(.l3 = 1, .paylen = 99), S_ARMED, .verdict = XDP_TX},
	{"L3 ipv4, options", V4(.l3 = 1, .paylen = 99, .ipopt = 12), S_ARMED, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_IPOPT},
	{"L3 ipv4, bad header checksum", V4(.l3 = 1, .paylen = 41), S_ARMED, .bad_ipcsum = 1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_IPCSUM},
	{"L3 ipv6, bad UDP checksum", V6(.l3 = 1, .paylen = 60), S_ARMED, .bad_udpcsum = 1,
	 .verdict = XDP_PASS, .stat = XW_STAT_PASS_UDPCSUM},
	{"L3 local=*: to 224.0.0.1", V4(.l3 = 1, .paylen = 41), S_ARMED, XW_SESS_F_ANY_DADDR,
	 .daddr = a4_mcast, .verdict = XDP_PASS, .stat = XW_STAT_PASS_DST},
	{"L3 sender=*: from 127.0.0.1", V4(.l3 = 1, .paylen = 41), S_ARMED, XW_SESS_F_ANY_SADDR,
	 .saddr = a4_loop, .verdict = XDP_PASS, .stat = XW_STAT_PASS_SRC},
	{"L3 ipv6, symmetrical", V6(.l3 = 1, .paylen = 60, .symmetric = 1), S_ARMED, SYM,
	 .verdict = XDP_TX},
	{"L3 no session", V6(.l3 = 1, .paylen = 41), S_NONE, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_NO_SESS},
	/* tc takes the version from skb->protocol: a bad version nibble is a bad header */
	{"L3 version 5", V4(.l3 = 1, .paylen = 41), S_ARMED, .ihl = -1, .verdict = XDP_PASS,
	 .stat = XW_STAT_PASS_NOT_IP, .tc_l3_stat = XW_STAT_PASS_BADLEN},
};

/* --- the program ------------------------------------------------------------------ */

struct env {
	struct xwamp *skel;
	int prog, sessions, stats, clock;
	int ncpu;
	int tc, l3; /* running tc_xwamp; XW_CFG_L3 */
};

#define TC_ACT_OK_	 0
#define TC_ACT_SHOT_	 2
#define TC_ACT_REDIRECT_ 7

/* The program with its session table covering ports base..base + n - 1 (n 0: the object's). */
static int env_open_table(struct env *e, int l3, int tc, __u32 base, __u32 n)
{
	struct xw_bpf_clock c = {.utc_offset_ns = UTC_OFF_NS, .errest = ERREST};
	__u32 zero = 0;

	memset(e, 0, sizeof(*e));
	e->skel = xwamp__open();
	if (!e->skel)
		return -errno;
	e->skel->rodata->xw_cfg.flags = l3 ? XW_CFG_L3 : 0;
	e->skel->rodata->xw_cfg.sess_base = base;
	if ((n && bpf_map__set_max_entries(e->skel->maps.sessions, n)) || xwamp__load(e->skel)) {
		xwamp__destroy(e->skel);
		return -EINVAL;
	}
	e->tc = tc;
	e->l3 = l3;
	e->prog = bpf_program__fd(tc ? e->skel->progs.tc_xwamp : e->skel->progs.xdp_xwamp);
	e->sessions = bpf_map__fd(e->skel->maps.sessions);
	e->stats = bpf_map__fd(e->skel->maps.stats);
	e->clock = bpf_map__fd(e->skel->maps.clock);
	e->ncpu = libbpf_num_possible_cpus();
	if (fx_host(bpf_map__fd(e->skel->maps.if_macs), bpf_map__fd(e->skel->maps.own_addrs)) ||
	    fx_own_add(bpf_map__fd(e->skel->maps.own_addrs), 0, a4_subnet_bcast, XW_OWN_BROADCAST))
		return -errno;
	return bpf_map_update_elem(e->clock, &zero, &c, BPF_ANY) ? -errno : 0;
}

static int env_open_hook(struct env *e, int l3, int tc)
{
	return env_open_table(e, l3, tc, 0, 0);
}

static int env_open(struct env *e, int l3)
{
	return env_open_hook(e, l3, 0);
}

static void stats_read(const struct env *e, __u64 *out)
{
	__u64 v[1024];
	__u32 i;
	int c;

	for (i = 0; i < XW_STAT_MAX; i++) {
		out[i] = 0;
		memset(v, 0, sizeof(v));
		if (bpf_map_lookup_elem(e->stats, &i, v))
			continue;
		for (c = 0; c < e->ncpu && c < 1024; c++)
			out[i] += v[c];
	}
}

/* Hex dump of the differing 16-octet lines, got vs want, '^' under each difference. */
static void print_diff(const char *what, const uint8_t *got, size_t glen, const uint8_t *want,
		       size_t wlen)
{
	size_t n = glen > wlen ? glen : wlen, off, i;

	fprintf(stderr, "  %s: got %zu octets, want %zu\n", what, glen, wlen);
	for (off = 0; off < n; off += 16) {
		int differ = 0;

		for (i = off; i < off + 16 && i < n; i++)
			differ |= i >= glen || i >= wlen || got[i] != want[i];
		if (!differ)
			continue;
		fprintf(stderr, "  %04zx got ", off);
		for (i = off; i < off + 16 && i < n; i++)
			fprintf(stderr, i < glen ? "%02x " : "-- ", i < glen ? got[i] : 0);
		fprintf(stderr, "\n       want ");
		for (i = off; i < off + 16 && i < n; i++)
			fprintf(stderr, i < wlen ? "%02x " : "-- ", i < wlen ? want[i] : 0);
		fprintf(stderr, "\n            ");
		for (i = off; i < off + 16 && i < n; i++)
			fprintf(stderr, "%s",
				i >= glen || i >= wlen || got[i] != want[i] ? "^^ " : "   ");
		fprintf(stderr, "\n");
	}
}

/* Build and mutate the input frame of a fixture. */
static size_t fixture_frame(const struct fixture *fx, uint8_t *f, struct fx_off *o)
{
	size_t n = fx_build(&fx->pkt, f, o);
	uint8_t *ip = f + o->l3, *udp = f + o->l4;

	if (fx->mult0)
		f[o->pay + 13] = 0;
	if (fx->mult0 && (!fx->pkt.no_udp_csum || fx->pkt.v6))
		put_be16(udp + 6, fx_udp_csum(fx->pkt.v6, ip, udp, 8 + fx->pkt.paylen));
	if (fx->udp_len_adj)
		put_be16(udp + 4, (uint16_t)(get_be16(udp + 4) + fx->udp_len_adj));
	if (fx->ip_len_adj)
		put_be16(ip + (fx->pkt.v6 ? 4 : 2),
			 (uint16_t)(get_be16(ip + (fx->pkt.v6 ? 4 : 2)) + fx->ip_len_adj));
	if (fx->proto || (fx->pkt.v6 && fx->stat == XW_STAT_PASS_NOT_UDP))
		ip[fx->pkt.v6 ? 6 : 9] = (uint8_t)fx->proto;
	if (fx->frag)
		ip[6] |= 0x20;
	if (fx->ihl > 0)
		ip[0] = (uint8_t)(0x40 | fx->ihl);
	if (fx->ihl < 0)
		ip[0] = 0x55;
	if (fx->ethertype)
		put_be16(f + o->l3 - 2, (uint16_t)fx->ethertype);
	if (fx->frag_off)
		put_be16(ip + 6, (uint16_t)fx->frag_off);
	if (fx->opt_type)
		ip[20] = fx->opt_type;
	if (fx->mac)
		memcpy(f, fx->mac, 6);
	if (fx->saddr)
		memcpy(ip + (fx->pkt.v6 ? 8 : 12), fx->saddr, fx->pkt.v6 ? 16 : 4);
	if (fx->daddr)
		memcpy(ip + (fx->pkt.v6 ? 24 : 16), fx->daddr, fx->pkt.v6 ? 16 : 4);
	if (fx->saddr || fx->daddr)
		put_be16(udp + 6, fx_udp_csum(fx->pkt.v6, ip, udp, 8 + fx->pkt.paylen));
	if (fx->bad_udpcsum)
		put_be16(udp + 6, (uint16_t)(get_be16(udp + 6) + 1));
	if (fx->udpcsum)
		put_be16(udp + 6, fx->udpcsum > 0 ? (uint16_t)fx->udpcsum : 0);
	if (!fx->pkt.v6)
		put_be16(ip + 10,
			 fx_ip4_csum(ip, (size_t)(ip[0] & 0xf) * 4 > 20 &&
							 (ip[0] & 0xf) * 4 <= 20 + fx->pkt.ipopt
						 ? (size_t)(ip[0] & 0xf) * 4
						 : 20));
	if (fx->bad_ipcsum)
		put_be16(ip + 10, (uint16_t)(get_be16(ip + 10) + 1));
	if (fx->cut > 0 && (size_t)fx->cut < n)
		n = (size_t)fx->cut;
	return n;
}

/*
 * The expected reflected frame, built field by field from the input.  T2/T3
 * come from got (the mask); checksums from scratch.
 */
static size_t expect_tx(const struct fixture *fx, const uint8_t *in, const struct fx_off *o,
			const uint8_t *got, __u32 seq, uint8_t *w)
{
	uint32_t len = fx->pkt.paylen, rl = (fx->flags & REFL) ? fx->reflect_len : 0;
	uint32_t out = len > 41 + rl ? len : 41 + rl;
	uint32_t pad_off = fx->pkt.symmetric ? 41 : 14;
	/* the frame grows only if the answer does not fit; a trailer past it stays */
	size_t n = o->pay + out > o->len ? o->pay + out : o->len;
	const uint8_t *s = in + o->pay;
	uint8_t *ip = w + o->l3, *udp = w + o->l4, *p = w + o->pay, tc = (uint8_t)(fx->dscp << 2);

	memset(w, 0, n);
	memcpy(w, in, o->len < n ? o->len : n);
	if (!fx->pkt.l3) {
		memcpy(w, fx_mac_src, 6);
		memcpy(w + 6, fx_mac_dst, 6);
	}
	if (!fx->pkt.v6) {
		memcpy(ip + 12, fx->daddr ? fx->daddr : fx_ip4_ref, 4);
		memcpy(ip + 16, fx->saddr ? fx->saddr : fx_ip4_snd, 4);
		ip[1] = tc;
		ip[8] = 255;
		put_be16(ip + 2, (uint16_t)(o->pay - o->l3 + out));
	} else {
		memcpy(ip + 8, fx->daddr ? fx->daddr : fx_ip6_ref, 16);
		memcpy(ip + 24, fx->saddr ? fx->saddr : fx_ip6_snd, 16);
		ip[0] = (uint8_t)(0x60 | tc >> 4);
		ip[1] = (uint8_t)((tc << 4) | (ip[1] & 0x0f));
		ip[7] = 255;
		put_be16(ip + 4, (uint16_t)(8 + out));
	}
	put_be16(udp, fx->pkt.dport ? fx->pkt.dport : FX_DPORT);
	put_be16(udp + 2, FX_SPORT);
	put_be16(udp + 4, (uint16_t)(8 + out));

	/* RFC 5357 4.2.1 layout; padding: the sender's from pad_off, highest octets dropped */
	memmove(p + 41, s + pad_off, out - 41);
	put_be32(p, seq);
	memcpy(p + 4, got + o->pay + 4, 8); /* T3: mask */
	put_be16(p + 12, ERREST);
	put_be16(p + 14, 0);
	memcpy(p + 16, got + o->pay + 16, 8); /* T2: mask */
	put_be32(p + 24, 7);
	put_be64(p + 28, 0xE123456789ABCDEFULL);
	memcpy(p + 36, s + 12, 2);
	put_be16(p + 38, 0);
	p[40] = FX_TTL;

	if (!fx->pkt.v6)
		put_be16(ip + 10, fx_ip4_csum(ip, (size_t)(ip[0] & 0xf) * 4));
	if (fx->pkt.no_udp_csum && !fx->pkt.v6)
		put_be16(udp + 6, 0);
	else
		put_be16(udp + 6, fx_udp_csum(fx->pkt.v6, ip, udp, 8 + out));
	return n;
}

static int tai_near(__u64 ntp)
{
	struct timespec ts;
	__u64 now, t = xw_ntp_to_ns(ntp);
	long long d;

	clock_gettime(CLOCK_TAI, &ts);
	now = (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec + (__u64)UTC_OFF_NS;
	d = (long long)(now - t);
	return d >= 0 && d < 2000000000LL;
}

/* Run one fixture; returns 0 or prints why and returns -1. */
static int run_fixture(const struct env *e, const struct fixture *fx)
{
	static uint8_t in[4096], out[4096], want[4096];
	__u64 before[XW_STAT_MAX], after[XW_STAT_MAX];
	struct xw_sess s, got_s;
	struct fx_off o;
	__u32 key = FX_DPORT, i;
	size_t inlen, wlen;
	int bad = 0, want_verdict = fx->verdict;
	enum xw_stat want_stat = fx->stat;
	const char *hook = e->tc ? "tc: " : "";
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	memset(&s, 0, sizeof(s));
	if (fx->sess != S_NONE) {
		int v6 = fx->sess_family_other ? !fx->pkt.v6 : fx->pkt.v6;

		fx_session(&s, v6, fx->flags, fx->reflect_len, fx->expect_len, fx->dscp);
		if (fx->sess == S_DISARMED)
			s.state = XW_SESS_DISARMED;
		if (fx->sess == S_AUTH)
			s.mode = XW_SESS_AUTH_REDIRECT;
		if (fx->sess_sport)
			s.sender_port = htons(fx->sess_sport);
	}
	if (bpf_map_update_elem(e->sessions, &key, &s, BPF_ANY)) {
		fprintf(stderr, "  %s%s: session update: %s\n", hook, fx->desc, strerror(errno));
		return -1;
	}
	inlen = fixture_frame(fx, in, &o);
	if (e->tc && e->l3) {
		/* the link header an xfrm interface rebuilds in front of the packet */
		memmove(in + 14, in, inlen);
		memcpy(in, fx_mac_dst, 6);
		memcpy(in + 6, fx_mac_src, 6);
		put_be16(in + 12, fx->pkt.v6 ? 0x86DD : 0x0800);
		inlen += 14;
		o.l3 += 14;
		o.l4 += 14;
		o.pay += 14;
		o.len += 14;
	}
	if (e->tc) {
		want_verdict = fx->verdict == XDP_TX	 ? TC_ACT_REDIRECT_
			       : fx->verdict == XDP_DROP ? TC_ACT_SHOT_
							 : TC_ACT_OK_;
		if (e->l3 && fx->tc_l3_stat)
			want_stat = fx->tc_l3_stat;
	}
	memset(out, 0, sizeof(out));
	opts.data_in = in;
	opts.data_size_in = (__u32)inlen;
	opts.data_out = out;
	opts.data_size_out = sizeof(out);
	opts.repeat = 1;
	stats_read(e, before);
	if (bpf_prog_test_run_opts(e->prog, &opts)) {
		/* skb test runs refuse a cut IP header: not testable for tc */
		if (e->tc && errno == EINVAL && fx->cut > 0 && (__u32)fx->cut < o.l4 + 8)
			return 0;
		fprintf(stderr, "  %s%s: test run: %s\n", hook, fx->desc, strerror(errno));
		return -1;
	}
	stats_read(e, after);

	if ((int)opts.retval != want_verdict) {
		fprintf(stderr, "  %s%s: verdict %u, want %d\n", hook, fx->desc, opts.retval,
			want_verdict);
		bad = 1;
	}
	for (i = 0; i < XW_STAT_MAX; i++) {
		__u64 want_d = i == (fx->verdict == XDP_TX ? XW_STAT_REFLECTED : want_stat);

		if (after[i] - before[i] != want_d) {
			fprintf(stderr, "  %s%s: stats[%s] +%llu, want +%llu\n", hook, fx->desc,
				stat_names[i], (unsigned long long)(after[i] - before[i]),
				(unsigned long long)want_d);
			bad = 1;
		}
	}
	bpf_map_lookup_elem(e->sessions, &key, &got_s);
	if (fx->verdict == XDP_TX) {
		const uint8_t *p = out + o.pay;

		if (got_s.next_seq != 1) {
			fprintf(stderr, "  %s%s: next_seq %llu, want 1\n", hook, fx->desc,
				(unsigned long long)got_s.next_seq);
			bad = 1;
		}
		if (memcmp(p + 4, p + 16, 8) || !tai_near(get_be64(p + 4))) {
			fprintf(stderr, "  %s%s: T2/T3 not the clock map's time\n", hook, fx->desc);
			bad = 1;
		}
		wlen = expect_tx(fx, in, &o, out, 0, want);
		if (opts.data_size_out != wlen || memcmp(out, want, wlen)) {
			fprintf(stderr, "  %s%s: frame differs\n", hook, fx->desc);
			print_diff("frame", out, opts.data_size_out, want, wlen);
			bad = 1;
		}
	} else if (fx->verdict == XDP_PASS) {
		if (opts.data_size_out != inlen || memcmp(out, in, inlen)) {
			fprintf(stderr, "  %s%s: passed frame was modified\n", hook, fx->desc);
			print_diff("frame", out, opts.data_size_out, in, inlen);
			bad = 1;
		}
		if (got_s.next_seq) {
			fprintf(stderr, "  %s%s: sequence number used\n", hook, fx->desc);
			bad = 1;
		}
	} else {
		__u64 d = 0;

		for (i = 0; i < XW_SESS_DROP_MAX; i++)
			d += got_s.drops[i];
		if (got_s.next_seq || d != 1 ||
		    got_s.drops[fx->stat - XW_STAT_DROP_TRUNC + XW_SESS_DROP_TRUNC] != 1) {
			fprintf(stderr, "  %s%s: session counters: next_seq %llu, drops %llu\n",
				hook, fx->desc, (unsigned long long)got_s.next_seq,
				(unsigned long long)d);
			bad = 1;
		}
	}
	if ((fx->sess == S_DISARMED || fx->sess == S_AUTH) && got_s.passed != 1) {
		fprintf(stderr, "  %s%s: session passed counter %llu\n", hook, fx->desc,
			(unsigned long long)got_s.passed);
		bad = 1;
	}
	return bad ? -1 : 0;
}

static int run_table(const struct fixture *t, size_t n, int l3, int tc)
{
	struct env e;
	size_t i;
	int failed = 0, err = env_open_hook(&e, l3, tc);

	if (err) {
		fprintf(stderr, "  cannot load the XDP program (%d): root?\n", err);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (run_fixture(&e, &t[i]))
			failed++;
	xwamp__destroy(e.skel);
	return failed;
}

TEST(xdp_fixtures_l2)
{
	CHECK_EQ(run_table(fixtures, sizeof(fixtures) / sizeof(fixtures[0]), 0, 0), 0);
}

TEST(xdp_fixtures_l3)
{
	CHECK_EQ(run_table(fixtures_l3, sizeof(fixtures_l3) / sizeof(fixtures_l3[0]), 1, 0), 0);
}

/* The tc program: the same tables, the same bytes. */
TEST(tc_fixtures_l2)
{
	CHECK_EQ(run_table(fixtures, sizeof(fixtures) / sizeof(fixtures[0]), 0, 1), 0);
}

TEST(tc_fixtures_l3_rebuilt_link_header)
{
	CHECK_EQ(run_table(fixtures_l3, sizeof(fixtures_l3) / sizeof(fixtures_l3[0]), 1, 1), 0);
}

/*
 * Every cut of a frame from 14 octets to one short of its end: a cut
 * inside a header passes as truncated, a cut inside the UDP payload (IP
 * length now larger than the frame) as bad length.  Never TX, never
 * modified.
 */
TEST(xdp_truncated_everywhere)
{
	static const struct fx_pkt pkts[] = {
		{.paylen = 41},
		{.paylen = 41, .nvlan = 2},
		{.paylen = 41, .ipopt = 12},
		{.v6 = 1, .paylen = 41, .nvlan = 1},
	};
	struct env e;
	size_t i;
	int failed = 0, tc;

	for (tc = 0; tc < 2; tc++) {
		CHECK_EQ(env_open_hook(&e, 0, tc), 0);
		for (i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
			struct fixture fx = {.desc = "cut",
					     .pkt = pkts[i],
					     .sess = S_ARMED,
					     .verdict = XDP_PASS};
			struct fx_off o;
			uint8_t f[256];
			size_t full = fx_build(&pkts[i], f, &o), cut;

			for (cut = 14; cut < full; cut++) {
				char d[64];

				snprintf(d, sizeof(d), "packet %zu cut at %zu", i, cut);
				fx.desc = d;
				fx.cut = (int)cut;
				fx.stat = cut < o.l4 + 8 ? XW_STAT_PASS_TRUNC : XW_STAT_PASS_BADLEN;
				if (run_fixture(&e, &fx))
					failed++;
			}
		}
		xwamp__destroy(e.skel);
	}
	CHECK_EQ(failed, 0);
}

/* Consecutive packets of one session get 0, 1, 2, ... (RFC 5357 4.2.1). */
TEST(xdp_sequence_numbers)
{
	struct fixture fx = {"seq", V4(.paylen = 41), S_ARMED, .verdict = XDP_TX};
	uint8_t in[256], out[256];
	struct xw_sess s;
	struct fx_off o;
	struct env e;
	__u32 key = FX_DPORT, k;
	size_t n;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	CHECK_EQ(env_open(&e, 0), 0);
	fx_session(&s, 0, 0, 0, 0, 0);
	CHECK_EQ(bpf_map_update_elem(e.sessions, &key, &s, BPF_ANY), 0);
	n = fixture_frame(&fx, in, &o);
	for (k = 0; k < 5; k++) {
		opts.data_in = in;
		opts.data_size_in = (__u32)n;
		opts.data_out = out;
		opts.data_size_out = sizeof(out);
		CHECK_EQ(bpf_prog_test_run_opts(e.prog, &opts), 0);
		CHECK_EQ(opts.retval, XDP_TX);
		CHECK_EQ(get_be32(out + o.pay), k);
	}
	CHECK_EQ(bpf_map_lookup_elem(e.sessions, &key, &s), 0);
	CHECK_EQ(s.next_seq, 5);
	xwamp__destroy(e.skel);
}

/* --- reflect.h against control/testpkt.c ---------------------------------------- */

/*
 * Every sender length 0..160 (and a few large ones) x Symmetrical Size x
 * Reflect Octets x expected length x Multiplier 0: same return value, same
 * octets, and a sequence number used only on success.
 */
TEST(reflect_h_agrees_with_testpkt)
{
	static const __u32 lens[] = {1000, 1499, 4000};
	static uint8_t a[5000], b[5000];
	__u32 len, li, variant;
	int cases = 0;

	for (variant = 0; variant < 32; variant++) {
		int sym = variant & 1, mult0 = variant & 8, exp = variant & 16;
		__u16 rl = (variant & 2) ? 10 : (variant & 4) ? 1 : 0;

		for (li = 0; li < 161 + 3; li++) {
			__u64 seq;
			int ra, rb;

			len = li < 161 ? li : lens[li - 161];
			memset(a, 0xa5, sizeof(a));
			fx_sender_payload(a, len, sym);
			if (mult0 && len > 13)
				a[13] = 0;
			memcpy(b, a, sizeof(a));
			fx_reflect_both(a, b, sizeof(a), len, sym, rl, exp ? 77 : 0, &seq, &ra,
					&rb);
			if (ra != rb) {
				t_fail(__FILE__, __LINE__,
				       "len %u variant %u: testpkt %d, reflect.h %d", len, variant,
				       ra, rb);
				return;
			}
			CHECK_EQ(seq, ra > 0 ? 6 : 5);
			if (ra > 0)
				CHECK_MEM(b, a, (size_t)ra);
			cases++;
		}
	}
	CHECK(cases == 32 * 164);
}

/* Room: a buffer that cannot hold the grown answer is refused, untouched. */
TEST(reflect_h_no_room)
{
	uint8_t p[64], q[64];
	__u64 seq = 0;
	struct xw_refl_args args = {.next_seq = &seq, .errest = 0x8001};

	fx_sender_payload(p, 14, 0);
	memcpy(q, p, sizeof(p));
	CHECK_EQ(xw_reflect_open(p, p + 40, 14, &args), XW_REFL_E_NOSPC);
	CHECK_MEM(p, q, sizeof(p));
	CHECK_EQ(seq, 0);
	CHECK_EQ(xw_reflect_open(p, p + 41, 14, &args), 41);
	CHECK_EQ(seq, 1);
	CHECK_EQ(XW_REFL_E_TRUNC, XW_TP_E_TRUNC);
	CHECK_EQ(XW_REFL_E_LEN, XW_TP_E_LEN);
	CHECK_EQ(XW_REFL_E_MULT0, XW_TP_E_MULT0);
	CHECK_EQ(XW_REFL_E_NOSPC, XW_TP_E_NOSPC);
}

/*
 * Every sender length 14..300 (and some up to 1472) x Symmetrical Size x
 * Reflect Octets 0/1/10 x IPv4/IPv6 x Ethernet trailer: the UDP checksum is
 * updated without summing the payload (the moved padding's sum rotated,
 * the discarded tail of 0..27 octets at either parity subtracted); the
 * expected frames' checksums are computed from scratch.
 */
TEST(xdp_checksum_sweep)
{
	static const __u16 rls[] = {0, 1, 10};
	struct env e;
	__u32 len, v;
	int failed = 0, runs = 0, tc;

	for (tc = 0; tc < 2; tc++) {
		CHECK_EQ(env_open_hook(&e, 0, tc), 0);
		for (v = 0; v < 2 * 2 * 3 * 2; v++) {
			int v6 = v & 1, sym = (v >> 1) & 1, trailer = v >= 12 ? 5 : 0;
			__u16 rl = rls[(v >> 2) % 3];

			for (len = 14; len <= 1472; len += len < 300 ? 1 : 97) {
				struct fixture fx = {
					.desc = "sweep",
					.pkt = {.v6 = v6,
						.paylen = len,
						.symmetric = sym,
						.trailer = (uint32_t)trailer},
					.sess = S_ARMED,
					.flags = (uint8_t)((sym ? SYM : 0) | (rl ? REFL : 0)),
					.reflect_len = rl,
					.verdict = XDP_TX};

				if (len < (sym ? 41u : 14u) + rl) {
					fx.verdict = XDP_DROP;
					fx.stat = XW_STAT_DROP_TRUNC;
				}
				runs++;
				if (run_fixture(&e, &fx)) {
					fprintf(stderr,
						"  sweep: v6 %d sym %d rl %u trailer %d len %u\n",
						v6, sym, rl, trailer, len);
					if (++failed > 5)
						break;
				}
			}
		}
		xwamp__destroy(e.skel);
	}
	CHECK_EQ(failed, 0);
	CHECK(runs > 2 * 24 * 287);
}

/*
 * Short probes on tc (the in-tunnel reflector on xfrm interfaces): every
 * sender packet of 14..40 octets, with and without Reflect Octets, IPv4 and
 * IPv6, on Ethernet and behind the link header an xfrm interface rebuilds,
 * grows to the reflector packet in tc_xwamp (bpf_skb_change_tail(): a test
 * run's skb has no tailroom beyond the allocator's slack, like a veth
 * frame, so the helper reallocates).  By the counters: each one REFLECTED,
 * none pass-no-room (run_fixture() checks every stats slot), the bytes as
 * built from scratch.
 */
TEST(tc_short_probes_grow)
{
	__u64 before[XW_STAT_MAX], after[XW_STAT_MAX];
	int failed = 0, runs = 0, n, l3, v;
	struct env e;
	__u32 len;

	for (l3 = 0; l3 < 2; l3++) {
		CHECK_EQ(env_open_hook(&e, l3, 1), 0);
		n = runs;
		stats_read(&e, before);
		for (v = 0; v < 4; v++)
			for (len = 14; len < 41; len++) {
				struct fixture fx = {.desc = "short probe",
						     .pkt = {.l3 = l3, .v6 = v & 1, .paylen = len},
						     .sess = S_ARMED,
						     .verdict = XDP_TX};

				if (v & 2) {
					fx.flags = REFL;
					fx.reflect_len = 1;
					if (len < 15)
						continue;
				}
				runs++;
				if (run_fixture(&e, &fx)) {
					fprintf(stderr, "  tc short: l3 %d v6 %d refl %d len %u\n",
						l3, v & 1, v >> 1, len);
					failed++;
				}
			}
		stats_read(&e, after);
		CHECK_EQ(after[XW_STAT_PASS_NOROOM] - before[XW_STAT_PASS_NOROOM], 0);
		CHECK_EQ(after[XW_STAT_REFLECTED] - before[XW_STAT_REFLECTED], (__u64)(runs - n));
		xwamp__destroy(e.skel);
	}
	CHECK_EQ(failed, 0);
	CHECK_EQ(runs, 2 * (2 * 27 + 2 * 26));
}

/*
 * A session table sized from the limits (xwampd: --port-range) starts at
 * port xw_cfg.sess_base: every port of the range finds its own entry (each
 * holds a session on that port), and a port below the range (which wraps
 * to an index past the end) or past it finds none: passed, never another
 * port's entry.  XDP and tc.
 */
TEST(session_table_offset)
{
	__u64 before[XW_STAT_MAX], after[XW_STAT_MAX];
	const __u32 base = FX_DPORT - 2, n = 4;
	static uint8_t in[256], out[256];
	struct xw_sess s;
	struct fx_off o;
	struct env e;
	__u32 k, tc;
	int p;

	for (tc = 0; tc < 2; tc++) {
		CHECK_EQ(env_open_table(&e, 0, (int)tc, base, n), 0);
		CHECK_EQ(bpf_map__max_entries(e.skel->maps.sessions), n);
		for (k = 0; k < n; k++) {
			fx_session(&s, 0, 0, 0, 0, 0);
			s.refl_port = htons((uint16_t)(base + k));
			CHECK_EQ(bpf_map_update_elem(e.sessions, &k, &s, BPF_ANY), 0);
		}
		for (p = (int)base - 3; p < (int)(base + n + 3); p++) {
			struct fx_pkt pk = {.paylen = 41, .dport = (uint16_t)p};
			int inside = p >= (int)base && p < (int)(base + n);
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_out = out,
				    .data_size_out = sizeof(out), .repeat = 1);

			opts.data_size_in = (__u32)fx_build(&pk, in, &o);
			stats_read(&e, before);
			CHECK_EQ(bpf_prog_test_run_opts(e.prog, &opts), 0);
			stats_read(&e, after);
			if (inside) {
				CHECK_EQ(opts.retval, tc ? TC_ACT_REDIRECT_ : XDP_TX);
				CHECK_EQ(after[XW_STAT_REFLECTED] - before[XW_STAT_REFLECTED], 1);
			} else {
				CHECK_EQ(opts.retval, tc ? TC_ACT_OK_ : XDP_PASS);
				CHECK_EQ(after[XW_STAT_PASS_NO_SESS] - before[XW_STAT_PASS_NO_SESS],
					 1);
				CHECK_MEM(out, in, opts.data_size_in);
			}
		}
		/* each entry answered its own port's frame once */
		for (k = 0; k < n; k++) {
			CHECK_EQ(bpf_map_lookup_elem(e.sessions, &k, &s), 0);
			CHECK_EQ(s.next_seq, 1);
		}
		xwamp__destroy(e.skel);
	}
}

/* xw_refl_ns_to_ntp() is xw_ns_to_ntp() bit for bit, whatever the cache holds. */
TEST(reflect_h_ntp_conversion)
{
	static const __u64 secs[] = {
		0, 1, 1700000000, 1795000000, 2085978495, 4294967295ULL, 9000000000ULL};
	static const __u64 subs[] = {0,		1,	   2,	      232,
				     233,	499999999, 500000000, 999999767,
				     999999768, 999999998, 999999999};
	__u64 x = 88172645463325252ULL, cache;
	size_t i, j;
	int n, bad = 0;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		for (j = 0; j < sizeof(subs) / sizeof(subs[0]); j++) {
			__u64 ns = secs[i] * 1000000000ULL + subs[j];
			__u64 guesses[] = {0, secs[i], secs[i] + 1, secs[i] ? secs[i] - 1 : 7,
					   ~0ULL};
			size_t g;

			for (g = 0; g < 5; g++) {
				cache = guesses[g];
				bad += xw_refl_ns_to_ntp(ns, &cache) != xw_ns_to_ntp(ns);
				bad += cache * 1000000000ULL > ns ||
				       ns - cache * 1000000000ULL >= 1000000000ULL;
			}
		}
	/* every fraction of many seconds, with the cache warm as in the program */
	cache = 0;
	for (n = 0; n < 3000000; n++) {
		__u64 ns;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ns = 1795000000ULL * 1000000000ULL + x % (20 * 1000000000ULL);
		bad += xw_refl_ns_to_ntp(ns, &cache) != xw_ns_to_ntp(ns);
	}
	CHECK_EQ(bad, 0);
}
