// SPDX-License-Identifier: GPL-2.0-only
/* Session acceptance policy (policy.h): RFC 4656 6.2 as RFC 5357 6 applies it to TWAMP. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "xwamp/hostaddr.h"
#include "xwamp/proto.h"

static unsigned int addr_bits(const struct pol_addr *a)
{
	return a->ipvn == 4 ? 32 : 128;
}

/* The first bits of a and b are equal. */
static bool bits_equal(const uint8_t *a, const uint8_t *b, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return !((a[full] ^ b[full]) & mask);
}

bool pol_addr_equal(const struct pol_addr *a, const struct pol_addr *b)
{
	return a->ipvn == b->ipvn && !memcmp(a->a, b->a, a->ipvn == 4 ? 4 : 16);
}

bool pol_prefix_match(const struct pol_prefix *p, const struct pol_addr *a)
{
	return p->addr.ipvn == a->ipvn && bits_equal(p->addr.a, a->a, p->len);
}

bool pol_same_client(const struct pol_addr *a, const struct pol_addr *b)
{
	if (a->ipvn != b->ipvn)
		return false;
	return bits_equal(a->a, b->a, a->ipvn == 4 ? 32 : 64);
}

/* The one classification of include/xwamp/hostaddr.h, which the BPF programs use too. */
_Static_assert((int)POL_KIND_UNICAST == XW_ADDR_UNICAST && (int)POL_KIND_UNSPEC == XW_ADDR_UNSPEC &&
		       (int)POL_KIND_LOOPBACK == XW_ADDR_LOOPBACK &&
		       (int)POL_KIND_MULTICAST == XW_ADDR_MULTICAST &&
		       (int)POL_KIND_BROADCAST == XW_ADDR_BROADCAST &&
		       (int)POL_KIND_RESERVED == XW_ADDR_RESERVED,
	       "pol_kind is xw_addr_kind");

enum pol_kind pol_addr_kind(const struct pol_addr *a)
{
	return (enum pol_kind)(a->ipvn == 4 ? xw_addr_kind4(a->a) : xw_addr_kind6(a->a));
}

const char *pol_kind_name(enum pol_kind k)
{
	static const char *const names[POL_KIND_MAX] = {
		"unicast",   "unspecified", "loopback",
		"multicast", "broadcast",   "reserved or IPv4-mapped",
	};

	return (unsigned int)k < POL_KIND_MAX ? names[k] : "?";
}

const char *pol_addr_fmt(const struct pol_addr *a, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (!inet_ntop(a->ipvn == 4 ? AF_INET : AF_INET6, a->a, s, sizeof(s)))
		snprintf(s, sizeof(s), "?");
	snprintf(buf, len, "%s", s);
	return buf;
}

const char *pol_prefix_fmt(const struct pol_prefix *p, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", pol_addr_fmt(&p->addr, s, sizeof(s)), p->len);
	return buf;
}

int pol_prefix_parse(const char *s, struct pol_prefix *out)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long len;
	unsigned int bits;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, out->addr.a) == 1)
		out->addr.ipvn = 4;
	else if (inet_pton(AF_INET6, buf, out->addr.a) == 1)
		out->addr.ipvn = 6;
	else
		return -EINVAL;
	bits = addr_bits(&out->addr);
	len = bits;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || *end || len > bits)
			return -EINVAL;
	}
	out->len = (uint8_t)len;
	/* host bits must be zero: compare with the address cut to its prefix */
	{
		struct pol_addr cut;
		unsigned int i;

		memset(&cut, 0, sizeof(cut));
		cut.ipvn = out->addr.ipvn;
		for (i = 0; i < len / 8; i++)
			cut.a[i] = out->addr.a[i];
		if (len % 8)
			cut.a[len / 8] = (uint8_t)(out->addr.a[len / 8] & (0xff << (8 - len % 8)));
		if (!pol_addr_equal(&cut, &out->addr))
			return -EINVAL;
	}
	return 0;
}

int pol_session(const struct pol_cfg *cfg, const struct pol_req *rq, pol_host_fn host,
		void *host_arg, int *allowed, char *why, size_t whylen)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	enum pol_kind k;
	unsigned int i;

	if (allowed)
		*allowed = -1;
	why[0] = '\0';
	/*
	 * Receiver Address: where we receive.  The control connection's own
	 * local address is ours by definition (a client may reach us on an
	 * address no interface lists, such as 127.0.0.2); anything else must
	 * be assigned to an interface of this host.
	 */
	if (!pol_addr_equal(&rq->receiver, &rq->ctl_local) &&
	    (!host || host(host_arg, &rq->receiver) != POL_HOST_OWN)) {
		snprintf(why, whylen, "Receiver Address %s is not an address of this host",
			 pol_addr_fmt(&rq->receiver, a, sizeof(a)));
		return XW_ACCEPT_FAILURE;
	}
	/* Sender Address: where our answers go */
	k = pol_addr_kind(&rq->sender);
	if (k != POL_KIND_UNICAST &&
	    !(k == POL_KIND_LOOPBACK && pol_addr_equal(&rq->sender, &rq->ctl_peer))) {
		snprintf(why, whylen, "Sender Address %s is %s",
			 pol_addr_fmt(&rq->sender, a, sizeof(a)), pol_kind_name(k));
		return XW_ACCEPT_FAILURE;
	}
	if (host && host(host_arg, &rq->sender) == POL_HOST_BCAST) {
		snprintf(why, whylen,
			 "Sender Address %s is the broadcast address of a subnet "
			 "of this host",
			 pol_addr_fmt(&rq->sender, a, sizeof(a)));
		return XW_ACCEPT_FAILURE;
	}
	if (pol_addr_equal(&rq->sender, &rq->ctl_peer))
		return XW_ACCEPT_OK;
	for (i = 0; cfg && i < cfg->nallow; i++) {
		if (pol_prefix_match(&cfg->allow_sender[i], &rq->sender)) {
			if (allowed)
				*allowed = (int)i;
			return XW_ACCEPT_OK;
		}
	}
	snprintf(why, whylen,
		 "Sender Address %s is not the control connection's peer %s (RFC 4656 6.2; "
		 "--allow-sender admits other senders)",
		 pol_addr_fmt(&rq->sender, a, sizeof(a)),
		 pol_addr_fmt(&rq->ctl_peer, b, sizeof(b)));
	return XW_ACCEPT_FAILURE;
}
