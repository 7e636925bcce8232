// SPDX-License-Identifier: GPL-2.0-only
/*
 * The xfrm netlink parser and view (control/xfrm_view.h) on arbitrary bytes.
 *
 * Input: a 2-octet split point, then netlink bytes.  The bytes before the
 * split are fed as one recv(), then a new generation starts (a resync
 * dump), the rest is fed as a second recv() and what it did not refresh is
 * swept, as xwampd does after NLMSG_DONE.  Each buffer is a heap copy of
 * exactly its length, so that ASan sees any read past a message.
 *
 * Invariants: every event names the SA or policy it is about (a policy
 * expiry may name none: the view need not know the policy), and it can
 * be formatted there and then (a deleted entry must still be readable in
 * its event); every SA in the view is found again by its identity (daddr,
 * SPI, protocol); the protection verdict of flows made from every SA's
 * selector and every policy's selector, both ways, formats within its
 * buffer and gives the path the header promises (never a fast path
 * around IPsec that applies); policies hold at most XFRM_VIEW_MAX_TMPL
 * templates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "xfrm_view.h"
#include "xwamp/proto.h"

static void on_event(void *arg, const struct xfrm_event *ev)
{
	char buf[512];

	switch (ev->type) {
	case XFRM_EV_SA_NEW:
	case XFRM_EV_SA_REPLACED:
	case XFRM_EV_SA_REKEY:
	case XFRM_EV_SA_DELETED:
	case XFRM_EV_SA_EXPIRE_SOFT:
	case XFRM_EV_SA_EXPIRE_HARD:
		FUZZ_ASSERT(ev->sa != NULL);
		xfrm_sa_fmt(ev->sa, buf, sizeof(buf));
		break;
	case XFRM_EV_POL_EXPIRE:
		/* the kernel may announce the expiry of a policy the view never had */
		if (!ev->pol)
			break;
		/* fall through */
	case XFRM_EV_POL_NEW:
	case XFRM_EV_POL_REPLACED:
	case XFRM_EV_POL_DELETED:
		FUZZ_ASSERT(ev->pol != NULL);
		FUZZ_ASSERT(ev->pol->ntmpl <= XFRM_VIEW_MAX_TMPL);
		xfrm_pol_fmt(ev->pol, buf, sizeof(buf));
		break;
	default:
		break;
	}
	FUZZ_ASSERT(strlen(xfrm_event_name(ev->type)) > 0);
}

static void feed(struct xfrm_view *v, const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	FUZZ_ASSERT(copy != NULL);
	memcpy(copy, data, len);
	r = xfrm_view_feed(v, copy, len);
	FUZZ_ASSERT(r >= 0 || r == -ENOMEM);
	free(copy);
}

/* Where an open session may be answered (xfrm_flow_path(), xfrm_view.h), from the verdict. */
static void path_rules(const struct xfrm_verdict *vd, int acc)
{
	bool applies = xfrm_verdict_ipsec_applies(vd);
	enum xfrm_path req;

	FUZZ_ASSERT(!vd->protected_ || applies);
	FUZZ_ASSERT(strlen(xfrm_path_name(xfrm_flow_path(vd, false, false))) > 0);
	if (!applies) {
		FUZZ_ASSERT(xfrm_flow_path(vd, true, false) == XFRM_PATH_ANY);
		FUZZ_ASSERT(xfrm_flow_path(vd, false, true) == XFRM_PATH_NONE);
		return;
	}
	if (vd->protected_) {
		FUZZ_ASSERT(xfrm_flow_path(vd, true, true) == XFRM_PATH_TUNNEL);
		FUZZ_ASSERT(xfrm_flow_path(vd, false, true) == XFRM_PATH_SOCKET);
		return;
	}
	/* IPsec applies, not protected: never a fast path around it */
	FUZZ_ASSERT(xfrm_flow_path(vd, true, false) == XFRM_PATH_SOCKET);
	req = xfrm_flow_path(vd, true, true);
	FUZZ_ASSERT(req == (acc == XW_ACCEPT_TEMP_LIMIT ? XFRM_PATH_SOCKET : XFRM_PATH_NONE));
}

static void check_flow(const struct xfrm_view *v, uint8_t family, const uint8_t *a,
		       const uint8_t *b, uint16_t pa, uint16_t pb, uint8_t proto)
{
	struct xfrm_flow f = {.family = family, .local_port = pa, .peer_port = pb, .proto = proto};
	struct xfrm_verdict vd;
	char buf[160];
	uint32_t if_id;
	int acc;

	memcpy(f.local, a, 16);
	memcpy(f.peer, b, 16);
	xfrm_view_check(v, &f, &vd);
	FUZZ_ASSERT(!vd.protected_ || (vd.out.integrity && vd.in.integrity));
	acc = xfrm_verdict_accept(&vd);
	FUZZ_ASSERT(acc == 0 || acc == 3 || acc == 5);
	FUZZ_ASSERT(vd.protected_ == (acc == 0));
	xfrm_verdict_fmt(&vd, buf, sizeof(buf));
	FUZZ_ASSERT(strlen(buf) < sizeof(buf));
	xfrm_view_flow_if_id(v, &f, &if_id);
	path_rules(&vd, acc);
}

static void check_sel(const struct xfrm_view *v, const struct xfrm_view_sel *s)
{
	uint8_t fam = s->family == AF_INET6 ? AF_INET6 : AF_INET;
	uint8_t proto = s->proto ? s->proto : 17;

	check_flow(v, fam, s->saddr, s->daddr, s->sport, s->dport, proto);
	check_flow(v, fam, s->daddr, s->saddr, s->dport, s->sport, proto);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xfrm_view v;
	char buf[512];
	size_t split;
	uint32_t gen;
	unsigned int i;

	if (size < 2)
		return 0;
	fuzz_reset();
	split = (size_t)(data[0] << 8 | data[1]);
	data += 2;
	size -= 2;
	if (split > size)
		split = size;

	xfrm_view_init(&v, on_event, NULL);
	feed(&v, data, split);
	gen = xfrm_view_new_gen(&v);
	feed(&v, data + split, size - split);
	xfrm_view_sweep_sa(&v, gen);
	xfrm_view_sweep_pol(&v, gen);

	FUZZ_ASSERT(v.nsa <= v.capsa && v.npol <= v.cappol);
	for (i = 0; i < v.nsa; i++) {
		const struct xfrm_view_sa *sa = &v.sa[i], *found;

		found = xfrm_view_find_sa(&v, &sa->daddr, sa->spi, sa->proto);
		FUZZ_ASSERT(found != NULL);
		FUZZ_ASSERT(found->spi == sa->spi && found->proto == sa->proto &&
			    !memcmp(&found->daddr, &sa->daddr, sizeof(sa->daddr)));
		xfrm_sa_fmt(sa, buf, sizeof(buf));
		check_sel(&v, &sa->sel);
	}
	for (i = 0; i < v.npol; i++) {
		FUZZ_ASSERT(v.pol[i].ntmpl <= XFRM_VIEW_MAX_TMPL);
		xfrm_pol_fmt(&v.pol[i], buf, sizeof(buf));
		check_sel(&v, &v.pol[i].sel);
	}
	xfrm_view_fini(&v);
	return 0;
}
