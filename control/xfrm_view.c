// SPDX-License-Identifier: GPL-2.0-only
/*
 * xfrm netlink parser and the view of the kernel's SAD/SPD (see xfrm.h).
 *
 * Message layouts (include/uapi/linux/xfrm.h; native byte order except
 * where the kernel says __be, i.e. SPIs and ports):
 *
 *   XFRM_MSG_NEWSA / UPDSA     struct xfrm_usersa_info   + attributes
 *   XFRM_MSG_DELSA             struct xfrm_usersa_id     + XFRMA_SA (usersa_info) + attributes
 *   XFRM_MSG_EXPIRE            struct xfrm_user_expire   (usersa_info + hard) + attributes
 *   XFRM_MSG_FLUSHSA           struct xfrm_usersa_flush  (proto)
 *   XFRM_MSG_NEWPOLICY / UPD   struct xfrm_userpolicy_info + XFRMA_TMPL, ...
 *   XFRM_MSG_DELPOLICY         struct xfrm_userpolicy_id + XFRMA_POLICY (userpolicy_info) + ...
 *   XFRM_MSG_POLEXPIRE         struct xfrm_user_polexpire
 *   XFRM_MSG_FLUSHPOLICY       (nothing, or XFRMA_POLICY_TYPE)
 *
 * Each struct is memcpy'd out of the buffer after checking that it fits:
 * netlink buffers give no alignment guarantee we want to rely on.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#include "crypto.h"
#include "log.h"
#include "xfrm_view.h"
#include "xwamp/proto.h"

/* --- small helpers ------------------------------------------------------------ */

static size_t fam_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

void xfrm_view_addr_from(struct xfrm_view_addr *out, uint8_t family, const void *a)
{
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->a, a, fam_len(family));
}

bool xfrm_view_addr_eq(const struct xfrm_view_addr *x, const struct xfrm_view_addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, fam_len(x->family));
}

static bool raw_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* First plen bits of a and b equal. */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned int plen, unsigned int max)
{
	unsigned int bytes, bits;

	if (plen > max)
		plen = max;
	bytes = plen / 8;
	bits = plen % 8;
	if (memcmp(a, b, bytes))
		return false;
	if (bits) {
		uint8_t m = (uint8_t)(0xff << (8 - bits));

		if ((a[bytes] ^ b[bytes]) & m)
			return false;
	}
	return true;
}

static void sel_from(struct xfrm_view_sel *out, const struct xfrm_selector *s)
{
	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)s->family;
	memcpy(out->daddr, &s->daddr, 16);
	memcpy(out->saddr, &s->saddr, 16);
	out->prefixlen_d = s->prefixlen_d;
	out->prefixlen_s = s->prefixlen_s;
	out->dport = ntohs(s->dport);
	out->dport_mask = ntohs(s->dport_mask);
	out->sport = ntohs(s->sport);
	out->sport_mask = ntohs(s->sport_mask);
	out->proto = s->proto;
	out->ifindex = s->ifindex;
}

static bool sel_eq(const struct xfrm_view_sel *a, const struct xfrm_view_sel *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* --- view storage ------------------------------------------------------------- */

void xfrm_view_init(struct xfrm_view *v, xfrm_event_fn fn, void *arg)
{
	memset(v, 0, sizeof(*v));
	v->ev_fn = fn;
	v->ev_arg = arg;
	v->gen = 1;
}

void xfrm_view_fini(struct xfrm_view *v)
{
	free(v->sa);
	free(v->pol);
	memset(v, 0, sizeof(*v));
}

uint32_t xfrm_view_new_gen(struct xfrm_view *v)
{
	return ++v->gen;
}

static void emit(struct xfrm_view *v, struct xfrm_event *ev)
{
	if (v->ev_fn)
		v->ev_fn(v->ev_arg, ev);
}

static struct xfrm_view_sa *sa_find(const struct xfrm_view *v, const struct xfrm_view_addr *daddr,
				    uint32_t spi, uint8_t proto)
{
	unsigned int i;

	for (i = 0; i < v->nsa; i++)
		if (v->sa[i].spi == spi && v->sa[i].proto == proto &&
		    xfrm_view_addr_eq(&v->sa[i].daddr, daddr))
			return &v->sa[i];
	return NULL;
}

const struct xfrm_view_sa *xfrm_view_find_sa(const struct xfrm_view *v,
					     const struct xfrm_view_addr *daddr, uint32_t spi,
					     uint8_t proto)
{
	return sa_find(v, daddr, spi, proto);
}

static void sa_remove(struct xfrm_view *v, unsigned int i, uint32_t seq)
{
	struct xfrm_view_sa old = v->sa[i];
	struct xfrm_event ev = {.type = XFRM_EV_SA_DELETED, .sa = &old, .seq = seq};

	v->sa[i] = v->sa[--v->nsa];
	emit(v, &ev);
}

/* Policies are identified by (dir, index) in the kernel, and by (dir, selector, mark, if_id). */
static int pol_find(const struct xfrm_view *v, uint8_t dir, uint32_t index,
		    const struct xfrm_view_sel *sel)
{
	unsigned int i;

	for (i = 0; i < v->npol; i++) {
		const struct xfrm_view_pol *p = &v->pol[i];

		if (p->dir != dir)
			continue;
		if (index ? p->index == index : (sel && sel_eq(&p->sel, sel)))
			return (int)i;
	}
	return -1;
}

static void pol_remove(struct xfrm_view *v, unsigned int i, uint32_t seq)
{
	struct xfrm_view_pol old = v->pol[i];
	struct xfrm_event ev = {.type = XFRM_EV_POL_DELETED, .pol = &old, .seq = seq};

	v->pol[i] = v->pol[--v->npol];
	emit(v, &ev);
}

unsigned int xfrm_view_sweep_sa(struct xfrm_view *v, uint32_t gen)
{
	unsigned int i = 0, n = 0;

	while (i < v->nsa) {
		if (v->sa[i].gen != gen) {
			sa_remove(v, i, 0);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

unsigned int xfrm_view_sweep_pol(struct xfrm_view *v, uint32_t gen)
{
	unsigned int i = 0, n = 0;

	while (i < v->npol) {
		if (v->pol[i].gen != gen) {
			pol_remove(v, i, 0);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

static int grow(void **arr, unsigned int *cap, unsigned int n, size_t elem)
{
	unsigned int ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > 1u << 20)
		return -ENOMEM; /* a bound on what a (buggy) kernel feed can make us hold */
	p = realloc(*arr, (size_t)ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* --- attributes ----------------------------------------------------------------- */

struct attrs {
	const struct nlattr *a[XFRMA_MAX + 1]; /* last of each type wins */
};

/*
 * Walks the attributes in p[0..len): each header and payload must fit,
 * and the netlink alignment padding may only be cut at the very end.
 * Returns 0, or -EBADMSG with *what set.
 */
static int attrs_parse(struct attrs *at, const uint8_t *p, size_t len, const char **what)
{
	size_t off = 0;

	memset(at, 0, sizeof(*at));
	while (off < len) {
		struct nlattr h;
		unsigned int type;

		if (len - off < NLA_HDRLEN) {
			*what = "truncated attribute header";
			return -EBADMSG;
		}
		memcpy(&h, p + off, sizeof(h));
		if (h.nla_len < NLA_HDRLEN || h.nla_len > len - off) {
			*what = "attribute length out of bounds";
			return -EBADMSG;
		}
		type = h.nla_type & NLA_TYPE_MASK;
		if (type <= XFRMA_MAX)
			at->a[type] = (const struct nlattr *)(const void *)(p + off);
		off += NLA_ALIGN(h.nla_len);
	}
	return 0;
}

static size_t attr_len(const struct nlattr *a)
{
	struct nlattr h;

	memcpy(&h, a, sizeof(h));
	return h.nla_len - NLA_HDRLEN;
}

static const uint8_t *attr_data(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

/*
 * Key material: the bytes after the fixed part of every algorithm
 * attribute.  Wiped in the caller's buffer whatever their announced
 * length, so a lying alg_key_len cannot leave key bytes behind.
 */
static void attrs_wipe_keys(uint8_t *p, size_t len)
{
	size_t off = 0;

	while (len - off >= NLA_HDRLEN) {
		struct nlattr h;
		size_t fixed = 0, plen;

		memcpy(&h, p + off, sizeof(h));
		if (h.nla_len < NLA_HDRLEN || h.nla_len > len - off)
			break;
		plen = h.nla_len - NLA_HDRLEN;
		switch (h.nla_type & NLA_TYPE_MASK) {
		case XFRMA_ALG_AUTH:
		case XFRMA_ALG_CRYPT:
		case XFRMA_ALG_COMP:
			fixed = sizeof(struct xfrm_algo);
			break;
		case XFRMA_ALG_AEAD:
			fixed = sizeof(struct xfrm_algo_aead);
			break;
		case XFRMA_ALG_AUTH_TRUNC:
			fixed = sizeof(struct xfrm_algo_auth);
			break;
		default:
			fixed = SIZE_MAX;
			break;
		}
		if (fixed != SIZE_MAX) {
			/* a too-short attribute: everything in it may be key */
			if (plen < fixed)
				fixed = 0;
			xw_wipe(p + off + NLA_HDRLEN + fixed, plen - fixed);
		}
		off += NLA_ALIGN(h.nla_len);
		if (off > len)
			break;
	}
}

/*
 * struct xfrm_algo / _auth / _aead: name, key length in bits, and for the
 * two others a second u32 (truncation / ICV bits).  The announced key
 * must fit in the attribute.
 */
static int alg_parse(struct xfrm_view_alg *out, const struct nlattr *a, size_t fixed,
		     bool has_second, const char **what)
{
	const uint8_t *d = attr_data(a);
	size_t len = attr_len(a);
	uint32_t key_bits, second = 0;

	if (len < fixed) {
		*what = "algorithm attribute shorter than its header";
		return -EBADMSG;
	}
	memcpy(&key_bits, d + XFRM_VIEW_ALG_NAME, 4);
	if (has_second)
		memcpy(&second, d + XFRM_VIEW_ALG_NAME + 4, 4);
	if (((size_t)key_bits + 7) / 8 > len - fixed) {
		*what = "algorithm key longer than its attribute";
		return -EBADMSG;
	}
	if (!memchr(d, '\0', XFRM_VIEW_ALG_NAME)) {
		*what = "algorithm name not terminated";
		return -EBADMSG;
	}
	memcpy(out->name, d, XFRM_VIEW_ALG_NAME);
	out->key_bits = key_bits;
	out->icv_bits = second;
	return 0;
}

static int u32_attr(const struct nlattr *a, uint32_t *out, const char **what)
{
	if (attr_len(a) < 4) {
		*what = "short u32 attribute";
		return -EBADMSG;
	}
	memcpy(out, attr_data(a), 4);
	return 0;
}

static int mark_attr(const struct nlattr *a, uint32_t *v, uint32_t *m, const char **what)
{
	struct xfrm_mark mk;

	if (attr_len(a) < sizeof(mk)) {
		*what = "short XFRMA_MARK";
		return -EBADMSG;
	}
	memcpy(&mk, attr_data(a), sizeof(mk));
	*v = mk.v;
	*m = mk.m;
	return 0;
}

static bool family_ok(unsigned int f)
{
	return f == AF_INET || f == AF_INET6;
}

/* --- SAs ------------------------------------------------------------------------ */

static int sa_build(struct xfrm_view_sa *sa, const struct xfrm_usersa_info *info,
		    const struct attrs *at, const char **what)
{
	int rc;

	if (!family_ok(info->family)) {
		*what = "SA family is not IPv4/IPv6";
		return -EBADMSG;
	}
	if (info->sel.family && !family_ok(info->sel.family)) {
		*what = "SA selector family is not IPv4/IPv6";
		return -EBADMSG;
	}
	memset(sa, 0, sizeof(*sa));
	xfrm_view_addr_from(&sa->daddr, info->family, &info->id.daddr);
	xfrm_view_addr_from(&sa->saddr, info->family, &info->saddr);
	sa->spi = ntohl(info->id.spi);
	sa->proto = info->id.proto;
	sa->mode = info->mode;
	sa->reqid = info->reqid;
	sel_from(&sa->sel, &info->sel);
	sa->soft_byte_limit = info->lft.soft_byte_limit;
	sa->hard_byte_limit = info->lft.hard_byte_limit;
	sa->soft_add_expires_s = info->lft.soft_add_expires_seconds;
	sa->hard_add_expires_s = info->lft.hard_add_expires_seconds;
	sa->add_time = info->curlft.add_time;
	sa->bytes = info->curlft.bytes;
	sa->packets = info->curlft.packets;
	if (!at)
		return 0;
	if (at->a[XFRMA_ALG_CRYPT] && (rc = alg_parse(&sa->crypt, at->a[XFRMA_ALG_CRYPT],
						      sizeof(struct xfrm_algo), false, what)))
		return rc;
	if (at->a[XFRMA_ALG_COMP] && (rc = alg_parse(&sa->comp, at->a[XFRMA_ALG_COMP],
						     sizeof(struct xfrm_algo), false, what)))
		return rc;
	/* the kernel sends AUTH_TRUNC and, for compatibility, AUTH too: TRUNC has more */
	if (at->a[XFRMA_ALG_AUTH_TRUNC]) {
		rc = alg_parse(&sa->auth, at->a[XFRMA_ALG_AUTH_TRUNC],
			       sizeof(struct xfrm_algo_auth), true, what);
		if (rc)
			return rc;
	} else if (at->a[XFRMA_ALG_AUTH]) {
		rc = alg_parse(&sa->auth, at->a[XFRMA_ALG_AUTH], sizeof(struct xfrm_algo), false,
			       what);
		if (rc)
			return rc;
	}
	if (at->a[XFRMA_ALG_AEAD] && (rc = alg_parse(&sa->aead, at->a[XFRMA_ALG_AEAD],
						     sizeof(struct xfrm_algo_aead), true, what)))
		return rc;
	if (at->a[XFRMA_ENCAP]) {
		struct xfrm_encap_tmpl e;

		if (attr_len(at->a[XFRMA_ENCAP]) < sizeof(e)) {
			*what = "short XFRMA_ENCAP";
			return -EBADMSG;
		}
		memcpy(&e, attr_data(at->a[XFRMA_ENCAP]), sizeof(e));
		sa->flags |= XFRM_SA_HAS_ENCAP;
		sa->encap_type = e.encap_type;
		sa->encap_sport = ntohs(e.encap_sport);
		sa->encap_dport = ntohs(e.encap_dport);
	}
	if (at->a[XFRMA_IF_ID]) {
		if ((rc = u32_attr(at->a[XFRMA_IF_ID], &sa->if_id, what)))
			return rc;
		sa->flags |= XFRM_SA_HAS_IF_ID;
	}
	if (at->a[XFRMA_MARK] &&
	    (rc = mark_attr(at->a[XFRMA_MARK], &sa->mark_v, &sa->mark_m, what)))
		return rc;
	return 0;
}

/* Same traffic and ends, another SPI: the newer one replaces the older (a rekey). */
static bool sa_same_slot(const struct xfrm_view_sa *a, const struct xfrm_view_sa *b)
{
	return a->proto == b->proto && a->mode == b->mode && a->reqid == b->reqid &&
	       xfrm_view_addr_eq(&a->daddr, &b->daddr) && xfrm_view_addr_eq(&a->saddr, &b->saddr) &&
	       sel_eq(&a->sel, &b->sel) && a->if_id == b->if_id && a->mark_v == b->mark_v &&
	       a->mark_m == b->mark_m && a->spi != b->spi;
}

static int sa_apply_new(struct xfrm_view *v, const struct xfrm_view_sa *sa, uint32_t seq)
{
	struct xfrm_event ev = {.seq = seq};
	struct xfrm_view_sa *cur = sa_find(v, &sa->daddr, sa->spi, sa->proto);
	unsigned int i;
	int rc;

	if (cur) {
		uint32_t keep = cur->flags & (XFRM_SA_SOFT_EXPIRED | XFRM_SA_HARD_EXPIRED);

		*cur = *sa;
		cur->flags |= keep;
		cur->gen = v->gen;
		ev.type = XFRM_EV_SA_REPLACED;
		ev.sa = cur;
		emit(v, &ev);
		return 0;
	}
	rc = grow((void **)&v->sa, &v->capsa, v->nsa, sizeof(*v->sa));
	if (rc)
		return rc;
	cur = &v->sa[v->nsa++];
	*cur = *sa;
	cur->gen = v->gen;
	ev.type = XFRM_EV_SA_NEW;
	ev.sa = cur;
	for (i = 0; i + 1 < v->nsa; i++) {
		if (sa_same_slot(&v->sa[i], cur)) {
			ev.type = XFRM_EV_SA_REKEY;
			ev.old_spi = v->sa[i].spi;
			break;
		}
	}
	emit(v, &ev);
	return 0;
}

/* --- policies ------------------------------------------------------------------- */

static int pol_build(struct xfrm_view_pol *p, const struct xfrm_userpolicy_info *info,
		     const struct attrs *at, const char **what)
{
	int rc;

	if (info->sel.family && !family_ok(info->sel.family)) {
		*what = "policy selector family is not IPv4/IPv6";
		return -EBADMSG;
	}
	memset(p, 0, sizeof(*p));
	sel_from(&p->sel, &info->sel);
	p->dir = info->dir;
	p->action = info->action;
	p->index = info->index;
	p->priority = info->priority;
	p->type = XFRM_POLICY_TYPE_MAIN;
	if (!at)
		return 0;
	if (at->a[XFRMA_TMPL]) {
		const uint8_t *d = attr_data(at->a[XFRMA_TMPL]);
		size_t len = attr_len(at->a[XFRMA_TMPL]), n, i;

		if (len % sizeof(struct xfrm_user_tmpl)) {
			*what = "XFRMA_TMPL is not a whole number of templates";
			return -EBADMSG;
		}
		n = len / sizeof(struct xfrm_user_tmpl);
		if (n > XFRM_VIEW_MAX_TMPL) {
			*what = "more templates than XFRM_MAX_DEPTH";
			return -EBADMSG;
		}
		for (i = 0; i < n; i++) {
			struct xfrm_user_tmpl t;
			struct xfrm_view_tmpl *vt = &p->tmpl[i];
			uint8_t fam;

			memcpy(&t, d + i * sizeof(t), sizeof(t));
			/* a template's family is that of its (outer) addresses */
			fam = (uint8_t)(t.family ? t.family : info->sel.family);
			if (!family_ok(fam)) {
				*what = "template family is not IPv4/IPv6";
				return -EBADMSG;
			}
			xfrm_view_addr_from(&vt->daddr, fam, &t.id.daddr);
			xfrm_view_addr_from(&vt->saddr, fam, &t.saddr);
			vt->spi = ntohl(t.id.spi);
			vt->proto = t.id.proto;
			vt->mode = t.mode;
			vt->optional = t.optional;
			vt->reqid = t.reqid;
		}
		p->ntmpl = (unsigned int)n;
	}
	if (at->a[XFRMA_POLICY_TYPE]) {
		struct xfrm_userpolicy_type ty;

		if (attr_len(at->a[XFRMA_POLICY_TYPE]) < sizeof(ty)) {
			*what = "short XFRMA_POLICY_TYPE";
			return -EBADMSG;
		}
		memcpy(&ty, attr_data(at->a[XFRMA_POLICY_TYPE]), sizeof(ty));
		p->type = ty.type;
	}
	if (at->a[XFRMA_IF_ID]) {
		if ((rc = u32_attr(at->a[XFRMA_IF_ID], &p->if_id, what)))
			return rc;
		p->has_if_id = true;
	}
	if (at->a[XFRMA_MARK] && (rc = mark_attr(at->a[XFRMA_MARK], &p->mark_v, &p->mark_m, what)))
		return rc;
	return 0;
}

static int pol_apply_new(struct xfrm_view *v, const struct xfrm_view_pol *p, uint32_t seq)
{
	struct xfrm_event ev = {.seq = seq};
	int i = pol_find(v, p->dir, p->index, NULL);
	int rc;

	if (i >= 0) {
		v->pol[i] = *p;
		v->pol[i].gen = v->gen;
		ev.type = XFRM_EV_POL_REPLACED;
		ev.pol = &v->pol[i];
		emit(v, &ev);
		return 0;
	}
	rc = grow((void **)&v->pol, &v->cappol, v->npol, sizeof(*v->pol));
	if (rc)
		return rc;
	v->pol[v->npol] = *p;
	v->pol[v->npol].gen = v->gen;
	ev.type = XFRM_EV_POL_NEW;
	ev.pol = &v->pol[v->npol++];
	emit(v, &ev);
	return 0;
}

/* --- one message ---------------------------------------------------------------- */

static const char *msg_name(uint16_t type)
{
	switch (type) {
	case XFRM_MSG_NEWSA:
		return "NEWSA";
	case XFRM_MSG_UPDSA:
		return "UPDSA";
	case XFRM_MSG_DELSA:
		return "DELSA";
	case XFRM_MSG_EXPIRE:
		return "EXPIRE";
	case XFRM_MSG_FLUSHSA:
		return "FLUSHSA";
	case XFRM_MSG_NEWPOLICY:
		return "NEWPOLICY";
	case XFRM_MSG_UPDPOLICY:
		return "UPDPOLICY";
	case XFRM_MSG_DELPOLICY:
		return "DELPOLICY";
	case XFRM_MSG_POLEXPIRE:
		return "POLEXPIRE";
	case XFRM_MSG_FLUSHPOLICY:
		return "FLUSHPOLICY";
	case NLMSG_ERROR:
		return "NLMSG_ERROR";
	case NLMSG_DONE:
		return "NLMSG_DONE";
	default:
		return "other";
	}
}

/*
 * Every xfrm message body is a fixed struct, then (NLMSG_ALIGNed) netlink
 * attributes.  Copy the struct out of the buffer (it need not be aligned)
 * and, when at is given, parse what follows it.  -EBADMSG when the body is
 * shorter than the struct; *what then names the struct.
 */
static int body_split(const uint8_t *body, size_t blen, void *fixed, size_t flen, const char *name,
		      struct attrs *at, const char **what)
{
	size_t off = NLMSG_ALIGN(flen);

	if (blen < flen) {
		*what = name;
		return -EBADMSG;
	}
	memcpy(fixed, body, flen);
	if (!at)
		return 0;
	if (off > blen)
		off = blen;
	return attrs_parse(at, body + off, blen - off, what);
}

/*
 * Parses one message (body = payload after the nlmsghdr).  Returns 0,
 * -EBADMSG (with *what) or -ENOMEM.  The view changes only when the whole
 * message parsed.
 */
static int msg_apply(struct xfrm_view *v, uint16_t type, uint32_t seq, const uint8_t *body,
		     size_t blen, const char **what)
{
	struct xfrm_event ev = {.seq = seq};
	struct attrs at;
	int rc;

	switch (type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA: {
		struct xfrm_usersa_info info;
		struct xfrm_view_sa sa;

		rc = body_split(body, blen, &info, sizeof(info), "shorter than xfrm_usersa_info",
				&at, what);
		if (rc)
			return rc;
		rc = sa_build(&sa, &info, &at, what);
		if (rc)
			return rc;
		return sa_apply_new(v, &sa, seq);
	}
	case XFRM_MSG_DELSA: {
		struct xfrm_usersa_id id;
		struct xfrm_view_addr daddr;
		struct xfrm_view_sa *cur;

		rc = body_split(body, blen, &id, sizeof(id), "shorter than xfrm_usersa_id", &at,
				what);
		if (rc)
			return rc;
		if (!family_ok(id.family)) {
			*what = "SA id family is not IPv4/IPv6";
			return -EBADMSG;
		}
		xfrm_view_addr_from(&daddr, (uint8_t)id.family, &id.daddr);
		cur = sa_find(v, &daddr, ntohl(id.spi), id.proto);
		if (!cur) {
			v->n_ignored++; /* deleted before we saw it */
			return 0;
		}
		sa_remove(v, (unsigned int)(cur - v->sa), seq);
		return 0;
	}
	case XFRM_MSG_EXPIRE: {
		struct xfrm_user_expire ue;
		struct xfrm_view_sa sa, *cur;

		rc = body_split(body, blen, &ue, sizeof(ue), "shorter than xfrm_user_expire", &at,
				what);
		if (rc)
			return rc;
		rc = sa_build(&sa, &ue.state, &at, what);
		if (rc)
			return rc;
		cur = sa_find(v, &sa.daddr, sa.spi, sa.proto);
		if (cur) {
			cur->flags |= ue.hard ? XFRM_SA_HARD_EXPIRED : XFRM_SA_SOFT_EXPIRED;
			cur->bytes = sa.bytes;
			cur->packets = sa.packets;
		} else {
			/* not in the view (yet): report what the message says */
			sa.flags |= ue.hard ? XFRM_SA_HARD_EXPIRED : XFRM_SA_SOFT_EXPIRED;
		}
		ev.type = ue.hard ? XFRM_EV_SA_EXPIRE_HARD : XFRM_EV_SA_EXPIRE_SOFT;
		ev.sa = cur ? cur : &sa;
		emit(v, &ev);
		/* a hard expire is the kernel deleting the SA (no XFRM_MSG_DELSA follows) */
		if (ue.hard && cur)
			v->sa[cur - v->sa] = v->sa[--v->nsa];
		return 0;
	}
	case XFRM_MSG_FLUSHSA: {
		struct xfrm_usersa_flush f;
		unsigned int i = 0, n = 0;

		rc = body_split(body, blen, &f, sizeof(f), "shorter than xfrm_usersa_flush", NULL,
				what);
		if (rc)
			return rc;
		/* proto 0 is IPSEC_PROTO_ANY: every SA */
		while (i < v->nsa) {
			if (!f.proto || v->sa[i].proto == f.proto) {
				v->sa[i] = v->sa[--v->nsa];
				n++;
			} else {
				i++;
			}
		}
		ev.type = XFRM_EV_SA_FLUSH;
		ev.count = n;
		emit(v, &ev);
		return 0;
	}
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY: {
		struct xfrm_userpolicy_info info;
		struct xfrm_view_pol p;

		rc = body_split(body, blen, &info, sizeof(info),
				"shorter than xfrm_userpolicy_info", &at, what);
		if (rc)
			return rc;
		rc = pol_build(&p, &info, &at, what);
		if (rc)
			return rc;
		return pol_apply_new(v, &p, seq);
	}
	case XFRM_MSG_DELPOLICY: {
		struct xfrm_userpolicy_id id;
		struct xfrm_view_sel sel;
		int i;

		rc = body_split(body, blen, &id, sizeof(id), "shorter than xfrm_userpolicy_id", &at,
				what);
		if (rc)
			return rc;
		sel_from(&sel, &id.sel);
		/* the notification carries the full policy: its index identifies it */
		if (at.a[XFRMA_POLICY] && !id.index) {
			struct xfrm_userpolicy_info info;

			if (attr_len(at.a[XFRMA_POLICY]) < sizeof(info)) {
				*what = "short XFRMA_POLICY";
				return -EBADMSG;
			}
			memcpy(&info, attr_data(at.a[XFRMA_POLICY]), sizeof(info));
			id.index = info.index;
		}
		i = pol_find(v, id.dir, id.index, &sel);
		if (i < 0) {
			v->n_ignored++;
			return 0;
		}
		pol_remove(v, (unsigned int)i, seq);
		return 0;
	}
	case XFRM_MSG_POLEXPIRE: {
		struct xfrm_user_polexpire pe;
		int i;

		rc = body_split(body, blen, &pe, sizeof(pe), "shorter than xfrm_user_polexpire",
				NULL, what);
		if (rc)
			return rc;
		i = pol_find(v, pe.pol.dir, pe.pol.index, NULL);
		ev.type = XFRM_EV_POL_EXPIRE;
		ev.pol = i >= 0 ? &v->pol[i] : NULL;
		ev.count = pe.hard;
		emit(v, &ev);
		return 0;
	}
	case XFRM_MSG_FLUSHPOLICY: {
		unsigned int n = v->npol;

		v->npol = 0;
		ev.type = XFRM_EV_POL_FLUSH;
		ev.count = n;
		emit(v, &ev);
		return 0;
	}
	case NLMSG_DONE:
		ev.type = XFRM_EV_DUMP_DONE;
		emit(v, &ev);
		return 0;
	case NLMSG_ERROR: {
		struct nlmsgerr e;

		if (blen < sizeof(e.error)) {
			*what = "short NLMSG_ERROR";
			return -EBADMSG;
		}
		memcpy(&e.error, body, sizeof(e.error));
		ev.type = XFRM_EV_NL_ERROR;
		ev.err = e.error;
		emit(v, &ev);
		return 0;
	}
	default:
		/* ACQUIRE, NEWAE, MAPPING, REPORT...: not part of the view */
		v->n_ignored++;
		return 0;
	}
}

int xfrm_view_feed(struct xfrm_view *v, uint8_t *buf, size_t len)
{
	size_t off = 0;
	int bad = 0, nomem = 0;

	while (off < len) {
		struct nlmsghdr h;
		const char *what = NULL;
		uint8_t *body;
		size_t blen;
		int rc;

		if (len - off < NLMSG_HDRLEN) {
			pr_warn("xfrm netlink: %zu trailing octets, shorter than a message header: "
				"dropped",
				len - off);
			xw_wipe(buf + off, len - off);
			v->n_rejected++;
			bad++;
			break;
		}
		memcpy(&h, buf + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - off) {
			pr_warn("xfrm netlink: message type %u (%s) seq %u claims %u octets, %zu "
				"left: "
				"dropped with the rest of the buffer",
				h.nlmsg_type, msg_name(h.nlmsg_type), h.nlmsg_seq, h.nlmsg_len,
				len - off);
			/* without a trustworthy length nothing after it can be framed */
			xw_wipe(buf + off, len - off);
			v->n_rejected++;
			bad++;
			break;
		}
		v->n_msgs++;
		body = buf + off + NLMSG_HDRLEN;
		blen = h.nlmsg_len - NLMSG_HDRLEN;
		rc = msg_apply(v, h.nlmsg_type, h.nlmsg_seq, body, blen, &what);
		if (rc == -EBADMSG) {
			pr_warn("xfrm netlink: %s seq %u (%u octets) rejected: %s",
				msg_name(h.nlmsg_type), h.nlmsg_seq, h.nlmsg_len, what);
			/* whatever it held, nothing of it stays in memory */
			xw_wipe(body, blen);
			v->n_rejected++;
			bad++;
		} else {
			if (rc == -ENOMEM) {
				pr_err("xfrm netlink: %s seq %u: out of memory: view incomplete",
				       msg_name(h.nlmsg_type), h.nlmsg_seq);
				nomem = 1;
			}
			/* SA messages carry keys after the fixed part (DELSA too) */
			switch (h.nlmsg_type) {
			case XFRM_MSG_NEWSA:
			case XFRM_MSG_UPDSA:
				if (blen >= NLMSG_ALIGN(sizeof(struct xfrm_usersa_info)))
					attrs_wipe_keys(
						body + NLMSG_ALIGN(sizeof(struct xfrm_usersa_info)),
						blen - NLMSG_ALIGN(
							       sizeof(struct xfrm_usersa_info)));
				break;
			case XFRM_MSG_DELSA:
				if (blen >= NLMSG_ALIGN(sizeof(struct xfrm_usersa_id)))
					attrs_wipe_keys(
						body + NLMSG_ALIGN(sizeof(struct xfrm_usersa_id)),
						blen - NLMSG_ALIGN(sizeof(struct xfrm_usersa_id)));
				break;
			case XFRM_MSG_EXPIRE:
				if (blen >= NLMSG_ALIGN(sizeof(struct xfrm_user_expire)))
					attrs_wipe_keys(
						body + NLMSG_ALIGN(sizeof(struct xfrm_user_expire)),
						blen - NLMSG_ALIGN(
							       sizeof(struct xfrm_user_expire)));
				break;
			default:
				break;
			}
		}
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	if (nomem)
		return -ENOMEM;
	return bad;
}

/* --- flow checks ---------------------------------------------------------------- */

static bool sel_match(const struct xfrm_view_sel *s, uint8_t family, const uint8_t *src,
		      const uint8_t *dst, uint16_t sport, uint16_t dport, uint8_t proto)
{
	unsigned int max = family == AF_INET6 ? 128 : 32;

	if (s->family && s->family != family)
		return false;
	if (!prefix_eq(s->daddr, dst, s->prefixlen_d, max) ||
	    !prefix_eq(s->saddr, src, s->prefixlen_s, max))
		return false;
	if (s->proto && s->proto != proto)
		return false;
	if ((s->dport ^ dport) & s->dport_mask)
		return false;
	if ((s->sport ^ sport) & s->sport_mask)
		return false;
	/* an interface-bound selector: xwampd cannot tell the egress device here */
	return true;
}

static bool sa_integrity(const struct xfrm_view_sa *sa)
{
	if (sa->proto == IPPROTO_AH)
		return true;
	if (sa->proto != IPPROTO_ESP)
		return false;
	if (sa->aead.name[0])
		return true;
	/* RFC 4303 3.2: ESP without integrity; "digest_null" is the kernel's NULL auth */
	return sa->auth.name[0] && strcmp(sa->auth.name, "digest_null") != 0;
}

static const struct xfrm_view_sa *tmpl_sa(const struct xfrm_view *v, const struct xfrm_view_pol *p,
					  const struct xfrm_view_tmpl *t, uint8_t family,
					  const uint8_t *flow_src, const uint8_t *flow_dst)
{
	const struct xfrm_view_sa *best = NULL;
	struct xfrm_view_addr dst = t->daddr, src = t->saddr;
	unsigned int i;

	/* transport templates often leave the addresses out: the packet's are used */
	if (raw_zero(dst.a, 16)) {
		dst.family = family;
		memcpy(dst.a, flow_dst, fam_len(family));
	}
	if (raw_zero(src.a, 16) && t->mode == XFRM_MODE_TRANSPORT) {
		src.family = family;
		memcpy(src.a, flow_src, fam_len(family));
	}
	for (i = 0; i < v->nsa; i++) {
		const struct xfrm_view_sa *sa = &v->sa[i];

		if (sa->proto != t->proto || sa->mode != t->mode)
			continue;
		if (t->reqid && sa->reqid != t->reqid)
			continue;
		if (t->spi && sa->spi != t->spi)
			continue;
		if (!xfrm_view_addr_eq(&sa->daddr, &dst))
			continue;
		if (!raw_zero(src.a, 16) && !xfrm_view_addr_eq(&sa->saddr, &src))
			continue;
		if (sa->if_id != (p->has_if_id ? p->if_id : 0))
			continue;
		if (sa->flags & XFRM_SA_HARD_EXPIRED)
			continue;
		/* an SA's own selector, when set, must admit the packet too */
		if (sa->sel.family && !sel_match(&sa->sel, family, flow_src, flow_dst, 0, 0, 0) &&
		    sa->mode == XFRM_MODE_TRANSPORT)
			continue;
		/* rekeying: prefer a non-soft-expired, then the newest */
		if (!best ||
		    ((best->flags & XFRM_SA_SOFT_EXPIRED) && !(sa->flags & XFRM_SA_SOFT_EXPIRED)) ||
		    (!!(best->flags & XFRM_SA_SOFT_EXPIRED) ==
			     !!(sa->flags & XFRM_SA_SOFT_EXPIRED) &&
		     sa->add_time > best->add_time))
			best = sa;
	}
	return best;
}

static void check_dir(const struct xfrm_view *v, uint8_t dir, uint8_t family, const uint8_t *src,
		      const uint8_t *dst, uint16_t sport, uint16_t dport, uint8_t proto,
		      struct xfrm_dir_verdict *out)
{
	const struct xfrm_view_pol *best = NULL;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < v->npol; i++) {
		const struct xfrm_view_pol *p = &v->pol[i];

		if (p->dir != dir || p->type != XFRM_POLICY_TYPE_MAIN)
			continue;
		/* xwampd's packets carry mark 0 */
		if (p->mark_v & p->mark_m)
			continue;
		if (!sel_match(&p->sel, family, src, dst, sport, dport, proto))
			continue;
		if (!best || p->priority < best->priority)
			best = p;
	}
	out->pol = best;
	if (!best) {
		out->why = "no policy";
		return;
	}
	if (best->action != XFRM_POLICY_ALLOW) {
		out->why = "policy blocks";
		return;
	}
	if (!best->ntmpl) {
		out->why = "bypass policy (no template)";
		return;
	}
	out->covered = true;
	out->installed = true;
	for (i = 0; i < best->ntmpl; i++) {
		const struct xfrm_view_tmpl *t = &best->tmpl[i];
		const struct xfrm_view_sa *sa = tmpl_sa(v, best, t, family, src, dst);

		if (!sa) {
			if (!t->optional)
				out->installed = false;
			continue;
		}
		if (!out->sa && (sa->proto == IPPROTO_ESP || sa->proto == IPPROTO_AH))
			out->sa = sa;
		if (sa_integrity(sa))
			out->integrity = true;
	}
	if (!out->installed) {
		out->integrity = false;
		out->why = "no SA installed for the policy's template";
	} else if (!out->integrity) {
		out->why = "ESP without integrity (encryption only)";
	}
}

bool xfrm_view_check(const struct xfrm_view *v, const struct xfrm_flow *f, struct xfrm_verdict *out)
{
	check_dir(v, XFRM_POLICY_OUT, f->family, f->local, f->peer, f->local_port, f->peer_port,
		  f->proto, &out->out);
	check_dir(v, XFRM_POLICY_IN, f->family, f->peer, f->local, f->peer_port, f->local_port,
		  f->proto, &out->in);
	out->protected_ = out->out.integrity && out->in.integrity;
	return out->protected_;
}

int xfrm_view_flow_pair(const struct xfrm_view *v, const struct xfrm_flow *f,
			struct xfrm_verdict *vd)
{
	xfrm_view_check(v, f, vd);
	if (!vd->out.installed || !vd->in.installed || !vd->out.sa || !vd->in.sa ||
	    vd->out.sa->proto != vd->in.sa->proto)
		return -ENOENT;
	return 0;
}

int xfrm_verdict_accept(const struct xfrm_verdict *vd)
{
	bool missing_sa, weak;

	if (vd->protected_)
		return XW_ACCEPT_OK;
	missing_sa = vd->out.covered && vd->in.covered && (!vd->out.installed || !vd->in.installed);
	weak = (vd->out.installed && !vd->out.integrity) || (vd->in.installed && !vd->in.integrity);
	return missing_sa && !weak ? XW_ACCEPT_TEMP_LIMIT : XW_ACCEPT_NOT_SUPPORTED;
}

static bool dir_ipsec_applies(const struct xfrm_dir_verdict *d)
{
	return d->covered || (d->pol && d->pol->action != XFRM_POLICY_ALLOW);
}

bool xfrm_verdict_ipsec_applies(const struct xfrm_verdict *vd)
{
	return dir_ipsec_applies(&vd->out) || dir_ipsec_applies(&vd->in);
}

enum xfrm_path xfrm_flow_path(const struct xfrm_verdict *vd, bool tunnel_dev, bool require)
{
	if (vd->protected_)
		return tunnel_dev ? XFRM_PATH_TUNNEL : XFRM_PATH_SOCKET;
	if (require)
		return xfrm_verdict_accept(vd) == XW_ACCEPT_TEMP_LIMIT ? XFRM_PATH_SOCKET
								       : XFRM_PATH_NONE;
	return xfrm_verdict_ipsec_applies(vd) ? XFRM_PATH_SOCKET : XFRM_PATH_ANY;
}

const char *xfrm_path_name(enum xfrm_path p)
{
	switch (p) {
	case XFRM_PATH_ANY:
		return "any device";
	case XFRM_PATH_TUNNEL:
		return "in-tunnel device only";
	case XFRM_PATH_SOCKET:
		return "socket only";
	case XFRM_PATH_NONE:
		return "not answered";
	}
	return "?";
}

int xfrm_view_flow_if_id(const struct xfrm_view *v, const struct xfrm_flow *f, uint32_t *if_id)
{
	struct xfrm_verdict vd;

	xfrm_view_check(v, f, &vd);
	/* the reflector receives on the device inbound packets are decapsulated to */
	if (vd.in.installed && vd.in.pol && vd.in.pol->has_if_id && vd.in.pol->if_id) {
		*if_id = vd.in.pol->if_id;
		return 0;
	}
	if (vd.in.sa && (vd.in.sa->flags & XFRM_SA_HAS_IF_ID) && vd.in.sa->if_id) {
		*if_id = vd.in.sa->if_id;
		return 0;
	}
	return -ENOENT;
}

/* --- formatting ------------------------------------------------------------------- */

const char *xfrm_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ESP:
		return "ESP";
	case IPPROTO_AH:
		return "AH";
	case IPPROTO_COMP:
		return "COMP";
	default:
		return "?";
	}
}

const char *xfrm_mode_name(uint8_t mode)
{
	switch (mode) {
	case XFRM_MODE_TRANSPORT:
		return "transport";
	case XFRM_MODE_TUNNEL:
		return "tunnel";
	case XFRM_MODE_ROUTEOPTIMIZATION:
		return "ro";
	case XFRM_MODE_IN_TRIGGER:
		return "in_trigger";
	case XFRM_MODE_BEET:
		return "beet";
	default:
		return "?";
	}
}

const char *xfrm_event_name(enum xfrm_event_type t)
{
	static const char *const n[] = {
		[XFRM_EV_SA_NEW] = "SA new",
		[XFRM_EV_SA_REPLACED] = "SA replaced",
		[XFRM_EV_SA_REKEY] = "SA rekey",
		[XFRM_EV_SA_DELETED] = "SA deleted",
		[XFRM_EV_SA_EXPIRE_SOFT] = "SA soft expire",
		[XFRM_EV_SA_EXPIRE_HARD] = "SA hard expire",
		[XFRM_EV_SA_FLUSH] = "SA flush",
		[XFRM_EV_POL_NEW] = "policy new",
		[XFRM_EV_POL_REPLACED] = "policy replaced",
		[XFRM_EV_POL_DELETED] = "policy deleted",
		[XFRM_EV_POL_EXPIRE] = "policy expire",
		[XFRM_EV_POL_FLUSH] = "policy flush",
		[XFRM_EV_DUMP_DONE] = "dump done",
		[XFRM_EV_NL_ERROR] = "netlink error",
	};

	if ((unsigned int)t < sizeof(n) / sizeof(n[0]) && n[t])
		return n[t];
	return "?";
}

static const char *addr_str(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static size_t sel_fmt(const struct xfrm_view_sel *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int n;

	if (!s->family)
		return (size_t)snprintf(buf, len, "sel any");
	n = snprintf(buf, len, "src %s/%u dst %s/%u", addr_str(s->family, s->saddr, a, sizeof(a)),
		     s->prefixlen_s, addr_str(s->family, s->daddr, b, sizeof(b)), s->prefixlen_d);
	if (n < 0 || (size_t)n >= len)
		return len;
	if (s->proto)
		n += snprintf(buf + n, len - (size_t)n, " proto %u", s->proto);
	if ((size_t)n < len && s->sport_mask)
		n += snprintf(buf + n, len - (size_t)n, " sport %u", s->sport);
	if ((size_t)n < len && s->dport_mask)
		n += snprintf(buf + n, len - (size_t)n, " dport %u", s->dport);
	return (size_t)n;
}

static size_t alg_fmt(const struct xfrm_view_sa *sa, char *buf, size_t len)
{
	int n = 0;

	if (sa->aead.name[0])
		n = snprintf(buf, len, " aead %s key %u icv %u", sa->aead.name, sa->aead.key_bits,
			     sa->aead.icv_bits);
	if ((size_t)n < len && sa->crypt.name[0])
		n += snprintf(buf + n, len - (size_t)n, " enc %s key %u", sa->crypt.name,
			      sa->crypt.key_bits);
	if ((size_t)n < len && sa->auth.name[0])
		n += snprintf(buf + n, len - (size_t)n, " auth %s key %u trunc %u", sa->auth.name,
			      sa->auth.key_bits, sa->auth.icv_bits);
	if ((size_t)n < len && sa->comp.name[0])
		n += snprintf(buf + n, len - (size_t)n, " comp %s", sa->comp.name);
	return (size_t)n;
}

const char *xfrm_sa_fmt(const struct xfrm_view_sa *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t n;

	n = (size_t)snprintf(buf, len, "src %s dst %s proto %s spi 0x%08x reqid %u mode %s",
			     addr_str(sa->saddr.family, sa->saddr.a, a, sizeof(a)),
			     addr_str(sa->daddr.family, sa->daddr.a, b, sizeof(b)),
			     xfrm_proto_name(sa->proto), sa->spi, sa->reqid,
			     xfrm_mode_name(sa->mode));
	if (n < len)
		n += alg_fmt(sa, buf + n, len - n);
	if (n < len && (sa->flags & XFRM_SA_HAS_ENCAP))
		n += (size_t)snprintf(buf + n, len - n, " encap %u %u->%u", sa->encap_type,
				      sa->encap_sport, sa->encap_dport);
	if (n < len && (sa->flags & XFRM_SA_HAS_IF_ID))
		n += (size_t)snprintf(buf + n, len - n, " if_id 0x%x", sa->if_id);
	if (n < len && sa->mark_m)
		n += (size_t)snprintf(buf + n, len - n, " mark 0x%x/0x%x", sa->mark_v, sa->mark_m);
	if (n < len && sa->sel.family) {
		n += (size_t)snprintf(buf + n, len - n, " ");
		if (n < len)
			n += sel_fmt(&sa->sel, buf + n, len - n);
	}
	if (n < len && (sa->flags & (XFRM_SA_SOFT_EXPIRED | XFRM_SA_HARD_EXPIRED)))
		snprintf(buf + n, len - n, " expired(%s)",
			 sa->flags & XFRM_SA_HARD_EXPIRED ? "hard" : "soft");
	return buf;
}

const char *xfrm_pol_fmt(const struct xfrm_view_pol *p, char *buf, size_t len)
{
	static const char *const dirs[] = {"in", "out", "fwd"};
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t n;
	unsigned int i;

	n = sel_fmt(&p->sel, buf, len);
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, " dir %s priority %u index %u action %s",
				      p->dir < 3 ? dirs[p->dir] : "?", p->priority, p->index,
				      p->action == XFRM_POLICY_ALLOW ? "allow" : "block");
	if (n < len && p->has_if_id)
		n += (size_t)snprintf(buf + n, len - n, " if_id 0x%x", p->if_id);
	if (n < len && p->mark_m)
		n += (size_t)snprintf(buf + n, len - n, " mark 0x%x/0x%x", p->mark_v, p->mark_m);
	for (i = 0; i < p->ntmpl && n < len; i++) {
		const struct xfrm_view_tmpl *t = &p->tmpl[i];

		n += (size_t)snprintf(buf + n, len - n,
				      " tmpl src %s dst %s proto %s reqid %u mode %s%s",
				      addr_str(t->saddr.family, t->saddr.a, a, sizeof(a)),
				      addr_str(t->daddr.family, t->daddr.a, b, sizeof(b)),
				      xfrm_proto_name(t->proto), t->reqid, xfrm_mode_name(t->mode),
				      t->optional ? " optional" : "");
	}
	return buf;
}

static size_t dir_fmt(const char *name, const struct xfrm_dir_verdict *d, char *buf, size_t len)
{
	const struct xfrm_view_sa *sa = d->sa;
	size_t n;

	if (!sa)
		return (size_t)snprintf(buf, len, "%s: %s", name, d->why ? d->why : "?");
	n = (size_t)snprintf(buf, len, "%s %s %s spi 0x%08x", name, xfrm_proto_name(sa->proto),
			     xfrm_mode_name(sa->mode), sa->spi);
	if (n < len)
		n += alg_fmt(sa, buf + n, len - n);
	if (n < len && (sa->flags & XFRM_SA_HAS_IF_ID))
		n += (size_t)snprintf(buf + n, len - n, " if_id 0x%x", sa->if_id);
	if (n < len && !d->integrity)
		n += (size_t)snprintf(buf + n, len - n, " (%s)", d->why ? d->why : "?");
	return n;
}

const char *xfrm_verdict_fmt(const struct xfrm_verdict *vd, char *buf, size_t len)
{
	size_t n;

	n = (size_t)snprintf(buf, len, "%s: ", vd->protected_ ? "protected" : "not protected");
	if (n < len)
		n += dir_fmt("out", &vd->out, buf + n, len - n);
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, ", ");
	if (n < len)
		dir_fmt("in", &vd->in, buf + n, len - n);
	return buf;
}
