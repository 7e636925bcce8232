// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keys of the kernel SAD for the IPsec SA profile (contract in sasad.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include "crypto.h"
#include "log.h"
#include "sasad.h"

/* Copy one algorithm's key (key_bits long, after fixed octets of header) out of an attribute. */
static int alg_key(const struct nlattr *a, size_t fixed, size_t bits_off, uint8_t *key,
		   size_t *key_len)
{
	size_t plen = a->nla_len - NLA_HDRLEN, n;
	const uint8_t *p = (const uint8_t *)a + NLA_HDRLEN;
	uint32_t bits;

	if (plen < fixed)
		return -EBADMSG;
	memcpy(&bits, p + bits_off, sizeof(bits));
	n = (bits + 7) / 8;
	if (n > plen - fixed || n > XW_SA_KEY_MAX)
		return -EBADMSG;
	memcpy(key, p + fixed, n);
	*key_len = n;
	return 0;
}

static bool key_attr(unsigned int type)
{
	return type == XFRMA_ALG_AUTH || type == XFRMA_ALG_CRYPT || type == XFRMA_ALG_AEAD ||
	       type == XFRMA_ALG_AUTH_TRUNC;
}

/* One XFRM_MSG_NEWSA body into *sa (keys included); wipes the keys in body. */
static int sa_parse(uint8_t *body, size_t blen, struct xw_sad_sa *sa)
{
	const struct xfrm_usersa_info *info = (const void *)body;
	size_t off = NLMSG_ALIGN(sizeof(*info));
	int rc = 0;

	if (blen < sizeof(*info))
		return -EBADMSG;
	memset(sa, 0, sizeof(*sa));
	xfrm_view_addr_from(&sa->src, info->family, &info->saddr);
	xfrm_view_addr_from(&sa->dst, info->family, &info->id.daddr);
	sa->add_time = info->curlft.add_time;
	sa->k.proto = info->id.proto;
	sa->k.spi = ntohl(info->id.spi);
	while (off + NLA_HDRLEN <= blen) {
		struct nlattr *a = (struct nlattr *)(body + off);
		size_t alen = a->nla_len;

		if (alen < NLA_HDRLEN || off + alen > blen) {
			rc = -EBADMSG;
			break;
		}
		switch (a->nla_type & NLA_TYPE_MASK) {
		case XFRMA_ALG_CRYPT: /* struct xfrm_algo: name[64], alg_key_len, key */
			if (!rc)
				rc = alg_key(a, sizeof(struct xfrm_algo), 64, sa->k.enc,
					     &sa->k.enc_len);
			break;
		case XFRMA_ALG_AEAD: /* struct xfrm_algo_aead: name, key_len, icv_len, key */
			if (!rc)
				rc = alg_key(a, sizeof(struct xfrm_algo_aead), 64, sa->k.enc,
					     &sa->k.enc_len);
			sa->k.aead = true;
			break;
		case XFRMA_ALG_AUTH_TRUNC: /* struct xfrm_algo_auth: name, key_len, trunc_len, key */
			if (!rc)
				rc = alg_key(a, sizeof(struct xfrm_algo_auth), 64, sa->k.integ,
					     &sa->k.integ_len);
			break;
		case XFRMA_ALG_AUTH:
			/* the kernel sends AUTH_TRUNC too when it has both: the same key */
			if (!rc && !sa->k.integ_len)
				rc = alg_key(a, sizeof(struct xfrm_algo), 64, sa->k.integ,
					     &sa->k.integ_len);
			break;
		default:
			break;
		}
		/* the message's own copy of the key goes now, read or not */
		if (key_attr(a->nla_type & NLA_TYPE_MASK))
			xw_wipe((uint8_t *)a + NLA_HDRLEN, alen - NLA_HDRLEN);
		off += NLA_ALIGN(alen);
	}
	if (rc)
		xw_wipe(sa, sizeof(*sa));
	return rc;
}

/* Keep sa in *slot when it is the first, or newer than the one there. */
static void keep(struct xw_sad_sa *slot, bool *have, const struct xw_sad_sa *sa)
{
	if (*have && slot->add_time > sa->add_time)
		return;
	*slot = *sa;
	*have = true;
}

/* A wanted SA: its SPI, and its destination when the look-up names one. */
static bool wanted(const struct xw_sad_sa *sa, uint32_t spi, const struct xfrm_view_addr *dst)
{
	return sa->k.spi == spi && (!dst->family || xfrm_view_addr_eq(&sa->dst, dst));
}

static void consider(struct xw_sad_find *f, const struct xw_sad_sa *sa)
{
	if (sa->k.proto != IPPROTO_ESP && sa->k.proto != IPPROTO_AH)
		return;
	if (sa->k.proto != f->proto)
		return;
	if (wanted(sa, f->spi_i, &f->dst_i))
		keep(&f->c2s, &f->have_c2s, sa);
	else if (wanted(sa, f->spi_r, &f->dst_r))
		keep(&f->s2c, &f->have_s2c, sa);
}

int xw_sad_feed(struct xw_sad_find *f, uint8_t *buf, size_t len)
{
	struct xw_sad_sa sa;
	size_t off = 0;
	int done = 0;

	while (off + NLMSG_HDRLEN <= len) {
		struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
		size_t mlen = h->nlmsg_len;

		if (mlen < NLMSG_HDRLEN || off + mlen > len) {
			pr_warn("xfrm SAD: a message of %zu octets at %zu of %zu: dropping the "
				"rest",
				mlen, off, len);
			xw_wipe(buf + off, len - off);
			f->bad++;
			return -EBADMSG;
		}
		if (h->nlmsg_type == NLMSG_DONE) {
			done = 1;
		} else if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (mlen >= NLMSG_HDRLEN + sizeof(*e) && e->error)
				return e->error;
		} else if (h->nlmsg_type == XFRM_MSG_NEWSA) {
			if (sa_parse(NLMSG_DATA(h), mlen - NLMSG_HDRLEN, &sa)) {
				pr_warn("xfrm SAD: a malformed SA message, skipped");
				xw_wipe(NLMSG_DATA(h), mlen - NLMSG_HDRLEN);
				f->bad++;
			} else {
				consider(f, &sa);
			}
			xw_wipe(&sa, sizeof(sa));
		}
		off += NLMSG_ALIGN(mlen);
	}
	return done;
}

int xw_sad_pair(const struct xw_sad_find *f, struct xw_sa_pair *p)
{
	/* all of it: the kernel has no SKEYSEED (saprof.h), none may be left from before */
	memset(p, 0, sizeof(*p));
	if (!f->have_c2s || !f->have_s2c)
		return -ENOENT;
	/* the two SAs of one pair face each other */
	if (!xfrm_view_addr_eq(&f->c2s.src, &f->s2c.dst) ||
	    !xfrm_view_addr_eq(&f->c2s.dst, &f->s2c.src))
		return -ENOENT;
	p->c2s = f->c2s.k;
	p->s2c = f->s2c.k;
	return 0;
}

void xw_sad_find_wipe(struct xw_sad_find *f)
{
	xw_wipe(f, sizeof(*f));
}

/* Log the policy of a direction whose template has no SA. */
static void log_missing(const char *dir, const struct xfrm_dir_verdict *d)
{
	char pol[512];

	if (d->pol && d->covered && !d->installed)
		pr_warn("IPsec SA profile: %s policy without its SA: %s", dir,
			xfrm_pol_fmt(d->pol, pol, sizeof(pol)));
}

int xw_sad_find_flow(struct xw_sad_find *f, const struct xfrm_view *v, const struct xfrm_flow *fl)
{
	struct xfrm_verdict vd;
	char a[64], b[64], line[768];

	memset(f, 0, sizeof(*f));
	if (xfrm_view_flow_pair(v, fl, &vd)) {
		inet_ntop(fl->family, fl->local, a, sizeof(a));
		inet_ntop(fl->family, fl->peer, b, sizeof(b));
		pr_warn("IPsec SA profile: no SA pair protects the control connection %s port %u "
			"-> "
			"%s port %u (protocol %u): looked for the SPD policy of each direction and "
			"the "
			"SA of its template (transport or tunnel mode)",
			a, fl->local_port, b, fl->peer_port, fl->proto);
		pr_warn("IPsec SA profile: the SPD says: %s",
			xfrm_verdict_fmt(&vd, line, sizeof(line)));
		log_missing("out", &vd.out);
		log_missing("in", &vd.in);
		return -ENOENT;
	}
	f->proto = vd.out.sa->proto;
	f->spi_i = vd.out.sa->spi;
	f->dst_i = vd.out.sa->daddr;
	f->spi_r = vd.in.sa->spi;
	f->dst_r = vd.in.sa->daddr;
	return 0;
}
