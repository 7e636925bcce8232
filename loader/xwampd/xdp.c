// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwampd's XDP side (xdp.h): load, pin, attach, keep the clock map fresh,
 * write the session table, read the counters.
 *
 * Start-up, in this order, each step logged:
 *   1. a bpf filesystem under the pin directory (mounted on /sys/fs/bpf when
 *      missing: every `ip netns exec` gets a fresh /sys without one);
 *   2. flock() on the pin directory: held by a live xwampd -> no XDP here;
 *      free but pins present -> an xwampd died there: remove the pins;
 *   3. per interface: an xdp_xwamp program already attached is a killed
 *      xwampd's -> detach it (a foreign program is left alone);
 *   4. the maps, created once from the object with no program loaded;
 *      "sessions" made mmap()able (so that arming is a one-octet store and
 *      the sequence counter can be shared with the socket path);
 *   5. clock map written, maps pinned, clock timer armed, and a watch on
 *      rtnetlink's link group, so that a configured interface that appears
 *      later, or is deleted and made again (charon re-creates ipsec0), gets
 *      the program when it (re)appears;
 *   6. per interface present: the hook it needs (hook_choose()) and the
 *      program instance for that hook, loaded at its first use over the same
 *      maps: xdp_xwamp for link-layer frames, xdp_xwamp_l3 (XW_CFG_L3) for
 *      TUN devices, tc_xwamp (XW_CFG_L3) for xfrm interfaces.  XDP goes
 *      through libxdp: it tries its dispatcher and, where the kernel
 *      refuses it (this one does), attaches the program directly; native
 *      first, generic when allowed and native fails.  So one xwampd serves
 *      Ethernet, TUN and xfrm interfaces at once.
 *
 * Interfaces can also be added while running (xwd_xdp_ensure()): the
 * in-tunnel device that the xfrm view finds for a session (refl.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/timex.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/magic.h>
#include <xdp/libxdp.h>

#include "clock.h"
#include "httpm.h"
#include "log.h"
#include "xdp.h"
#include "xwamp/ntp.h"
#include "xwamp.skel.h"

#define XDP_PROG_NAME "xdp_xwamp"
#define RTNL_BUF      16384

/* Which hook a device gets (hook_choose()). */
enum xdp_hook {
	HOOK_XDP,    /* link-layer device: native XDP, generic fallback */
	HOOK_XDP_L3, /* no link-layer header (TUN): generic XDP, XW_CFG_L3 */
	HOOK_TC_L3,  /* xfrm interface: tc ingress + bpf_redirect (XDP_TX breaks there) */
};

/*
 * Program instances, one per hook, each a skeleton of its own (the rodata
 * differs) over the maps of x->maps.  The hook's value is its index.
 */
#define INST_MAX 3
static const char *const inst_names[INST_MAX] = {XDP_PROG_NAME, "xdp_xwamp_l3", "tc_xwamp"};

struct xdp_inst {
	struct xwamp *skel;	  /* NULL: not needed yet */
	struct xdp_program *prog; /* XDP instances: libxdp's handle of xdp_xwamp */
	bool pinned;
};

struct xwd_xdp_if {
	char name[IF_NAMESIZE];
	int ifindex; /* 0: not present */
	enum xdp_hook hook;
	bool tc;		   /* tc_xwamp attached at clsact ingress (HOOK_TC_L3) */
	bool tc_hook_made;	   /* we created the clsact qdisc: remove it at the end */
	enum xdp_attach_mode mode; /* XDP_MODE_UNSPEC: not attached */
	bool direct;		   /* attached alone, not in libxdp's dispatcher */
	enum xwd_xdp_mode want;	   /* --xdp-mode (generic for TUN whatever it says) */
};

struct xwd_xdp {
	struct xwamp *maps; /* the maps only: no program loaded from it */
	struct xdp_inst inst[INST_MAX];
	struct xw_loop *loop;
	enum xwd_xdp_mode mode; /* --xdp-mode */
	struct xwd_xdp_if ifs[XWD_XDP_MAX_IFS];
	unsigned int nifs;
	char where[XWD_XDP_MAX_IFS * (IF_NAMESIZE + 12)];
	/* rtnetlink link events: configured interfaces coming and going */
	struct xw_io rtnl;
	int rtnl_fd;
	/* the sessions map, mmap()ed: entry i is the session on local port sess_base + i */
	struct xw_sess *sess;
	size_t sess_sz;
	unsigned int sess_base, sess_n;
	int stats_fd, clock_fd, if_stats_fd;
	/* the ifindex each "if_stats" row counts for (0: none yet); stats_row() */
	int row_owner[XW_IF_SLOTS];
	/* pins */
	char dir[PATH_MAX - 32];
	int dir_fd;    /* holds the flock; -1: no pins */
	int parent_fd; /* the pin directory's parent, to remove it at exit */
	bool pinned;
	bool alone; /* cfg->alone: libxdp told to skip its dispatcher */
	/* clock */
	struct xw_timer clock_timer;
	long res_ns;
	long tai; /* last TAI-UTC seen, to log changes */
	bool clock_ok;
	/* OWAMP receiver records (ow_events ring buffer) */
	struct ring_buffer *ow_rb;
	struct xw_io ow_io;
	xwd_xdp_ow_fn ow_fn;
	void *ow_arg;
	void (*attach_fn)(void *arg); /* an interface attached at run time */
	void *attach_arg;
};

/* The maps first (pins_create() pins NPIN_MAPS of them), then the programs. */
#define NPIN_MAPS 6
static const char *const pin_names[] = {"sessions",    "stats",	       "clock",
					"own_addrs",   "if_macs",      "if_stats",
					XDP_PROG_NAME, "xdp_xwamp_l3", "tc_xwamp"};

/* --- options ------------------------------------------------------------- */

int xwd_xdp_opt_if(struct xwd_xdp_cfg *c, const char *arg)
{
	unsigned int i;

	if (!*arg || strlen(arg) >= IF_NAMESIZE) {
		fprintf(stderr, "--xdp: bad interface name '%s'\n", arg);
		return -EINVAL;
	}
	for (i = 0; i < c->nifs; i++)
		if (!strcmp(c->ifs[i], arg))
			return 0;
	if (c->nifs >= XWD_XDP_MAX_IFS) {
		fprintf(stderr, "--xdp: at most %d interfaces\n", XWD_XDP_MAX_IFS);
		return -EINVAL;
	}
	c->ifs[c->nifs++] = arg;
	return 0;
}

int xwd_xdp_opt_mode(struct xwd_xdp_cfg *c, const char *arg)
{
	if (!strcmp(arg, "auto"))
		c->mode = XWD_XDP_AUTO;
	else if (!strcmp(arg, "native"))
		c->mode = XWD_XDP_NATIVE;
	else if (!strcmp(arg, "generic"))
		c->mode = XWD_XDP_GENERIC;
	else {
		fprintf(stderr, "--xdp-mode: '%s' is not auto, native or generic\n", arg);
		return -EINVAL;
	}
	return 0;
}

/* --- libbpf / libxdp messages, one level lower (doc/style.md 7) ---------------- */

static void lib_log(enum xw_log_level lvl, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	/* the libraries start their lines with "libbpf: " / "libxdp: " themselves */
	if (n)
		xw_log(lvl, "%s", buf);
}

/*
 * While libxdp tries its dispatcher (xdp_program__attach()), its expected
 * failures (loading xdp-dispatcher.o and the xdp_pass probe where the
 * kernel or our privileges do not allow them) are not news: our own line
 * says how the program was attached.  The callbacks take no argument, so
 * this one flag says when.
 */
static bool lib_probing;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	lib_log(level == LIBBPF_WARN && !lib_probing ? XW_LOG_INFO : XW_LOG_DEBUG, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBXDP_DEBUG)
		return 0;
	lib_log(level == LIBXDP_WARN && !lib_probing ? XW_LOG_INFO : XW_LOG_DEBUG, fmt, ap);
	return 0;
}

/* --- pins ---------------------------------------------------------------- */

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/*
 * Make sure the pin directory's parent is a bpf filesystem.  /sys/fs/bpf is
 * mounted when it is not one (as libxdp's LIBXDP_BPFFS_AUTOMOUNT would):
 * inside `ip netns exec` that mount lives in xwampd's own mount namespace.
 */
static int bpffs_ready(const char *dir)
{
	char parent[PATH_MAX];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';
	if (on_bpffs(parent))
		return 0;
	if (strcmp(parent, "/sys/fs/bpf"))
		return -ENOTSUP;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	pr_info("xdp: mounted a bpf filesystem on /sys/fs/bpf (this mount namespace)");
	return 0;
}

/*
 * Pin directory: created, locked, emptied of a dead xwampd's pins.
 * Returns 0, -EBUSY when a live xwampd holds it, or another -errno (then
 * xwampd runs without pins).
 */
static int pins_prepare(struct xwd_xdp *x)
{
	char path[PATH_MAX];
	unsigned int i, stale = 0;
	int fd, rc;

	rc = bpffs_ready(x->dir);
	if (rc)
		return rc;
	if (mkdir(x->dir, 0700) && errno != EEXIST)
		return -errno;
	fd = open(x->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return rc;
	}
	x->dir_fd = fd;
	snprintf(path, sizeof(path), "%s/..", x->dir);
	x->parent_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++)
		if (!unlinkat(fd, pin_names[i], 0))
			stale++;
	if (stale)
		pr_warn("xdp: removed %u stale pins from %s (an xwampd that did not exit "
			"cleanly)",
			stale, x->dir);
	return 0;
}

/*
 * Through the directory fds, not the path: after start-up xwampd may run as
 * a user that owns the pin directory (xwd_xdp_give()) but cannot search the
 * bpffs root above it.  The directory itself goes when its parent lets us
 * (a bpffs root is sticky and world-writable unless mounted with a mode).
 */
static void pins_remove(struct xwd_xdp *x)
{
	const char *base = strrchr(x->dir, '/');
	unsigned int i;

	if (x->dir_fd < 0)
		return;
	if (x->pinned) {
		for (i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++)
			unlinkat(x->dir_fd, pin_names[i], 0);
		if (x->parent_fd < 0 || !base || unlinkat(x->parent_fd, base + 1, AT_REMOVEDIR))
			pr_info("xdp: pins removed, the empty directory %s stays (%s)", x->dir,
				strerror(x->parent_fd < 0 ? EBADF : errno));
	}
	if (x->parent_fd >= 0)
		close(x->parent_fd);
	x->parent_fd = -1;
	close(x->dir_fd); /* releases the lock */
	x->dir_fd = -1;
}

static void pins_create(struct xwd_xdp *x)
{
	struct bpf_map *maps[NPIN_MAPS] = {x->maps->maps.sessions, x->maps->maps.stats,
					   x->maps->maps.clock,	   x->maps->maps.own_addrs,
					   x->maps->maps.if_macs,  x->maps->maps.if_stats};
	char path[PATH_MAX];
	unsigned int i;
	int rc = 0;

	if (x->dir_fd < 0)
		return;
	x->pinned = true;
	for (i = 0; i < NPIN_MAPS && !rc; i++) {
		snprintf(path, sizeof(path), "%s/%s", x->dir, pin_names[i]);
		rc = bpf_map__pin(maps[i], path);
	}
	if (rc)
		pr_warn("xdp: pinning %s: %s (bpftool can still find the maps by name)", path,
			strerror(-rc));
	else
		pr_info("xdp: maps pinned in %s (sessions, stats, clock, own_addrs, if_macs, "
			"if_stats)",
			x->dir);
}

/* The program of instance k, pinned under its instance name once loaded. */
static void pin_prog(struct xwd_xdp *x, unsigned int k, int fd)
{
	char path[PATH_MAX];

	if (x->dir_fd < 0 || x->inst[k].pinned || fd < 0)
		return;
	/* by the directory fd: the bpffs root above may be closed to us (pins_remove) */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", x->dir_fd, inst_names[k]);
	if (bpf_obj_pin(fd, path))
		pr_warn("xdp: pinning %s/%s: %s", x->dir, inst_names[k], strerror(errno));
	else
		pr_info("xdp: program pinned as %s/%s", x->dir, inst_names[k]);
	x->inst[k].pinned = true;
}

/* --- clock ----------------------------------------------------------------- */

/*
 * The program stamps bpf_ktime_get_tai_ns() + utc_offset_ns.  CLOCK_TAI is
 * CLOCK_REALTIME plus the kernel's TAI offset (adjtimex tai, set by the NTP
 * daemon; 0 when nobody set it), so the offset is -tai seconds and XDP and
 * socket timestamps come from the same clock.  Errest as in clock.c.
 */
static void clock_refresh(struct xwd_xdp *x)
{
	struct xw_bpf_clock c = {};
	struct timex tx = {};
	__u32 zero = 0;
	int st;

	st = adjtimex(&tx);
	c.utc_offset_ns = st < 0 ? 0 : -(__s64)tx.tai * (__s64)XW_NS_PER_SEC;
	c.errest = xw_clock_errest_from_timex(st, st < 0 ? NULL : &tx, x->res_ns);
	if (bpf_map_update_elem(x->clock_fd, &zero, &c, BPF_ANY)) {
		if (x->clock_ok)
			pr_err("xdp: clock map update: %s", strerror(errno));
		x->clock_ok = false;
		return;
	}
	if (!x->clock_ok || (st >= 0 && tx.tai != x->tai))
		pr_info("xdp: clock map: TAI-UTC %ld s (utc_offset_ns %lld), Error Estimate 0x%04x "
			"(%s)",
			st < 0 ? 0L : (long)tx.tai, (long long)c.utc_offset_ns, c.errest,
			xw_errest_synced(c.errest) ? "synchronized" : "unsynchronized");
	x->clock_ok = true;
	if (st >= 0)
		x->tai = tx.tai;
}

static void clock_timer(struct xw_loop *l, struct xw_timer *t)
{
	struct xwd_xdp *x = t->arg;

	clock_refresh(x);
	xw_timer_arm(l, t, XW_NS_PER_SEC);
}

/* --- attach / detach --------------------------------------------------------- */

static const char *mode_name(enum xdp_attach_mode m)
{
	return m == XDP_MODE_NATIVE ? "native"
	       : m == XDP_MODE_SKB  ? "generic"
	       : m == XDP_MODE_HW   ? "offload"
				    : "none";
}

/*
 * A program named xdp_xwamp on one of our interfaces is a killed xwampd's
 * (two xwampd cannot share an interface anyway: one XDP program per
 * interface here).  Remove it; leave anything else alone.
 */
static void remove_stale_prog(const struct xwd_xdp_if *i)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(i->ifindex);
	struct xdp_program *p;
	int rc;

	if (!mp || libxdp_get_error(mp))
		return;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), XDP_PROG_NAME)) {
			unsigned int id = xdp_program__id(p);

			rc = xdp_multiprog__detach(mp);
			if (rc)
				pr_err("xdp: %s: cannot remove the stale %s (id %u): %s", i->name,
				       XDP_PROG_NAME, id, strerror(-rc));
			else
				pr_warn("xdp: %s: removed a stale %s (id %u, %s) left by an xwampd "
					"that did not exit cleanly",
					i->name, XDP_PROG_NAME, id,
					mode_name(xdp_multiprog__attach_mode(mp)));
		}
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			if (strcmp(xdp_program__name(p), XDP_PROG_NAME))
				continue;
			rc = xdp_program__detach(p, i->ifindex, xdp_multiprog__attach_mode(mp), 0);
			pr_warn("xdp: %s: stale %s (id %u) in the dispatcher: %s", i->name,
				XDP_PROG_NAME, xdp_program__id(p), rc ? strerror(-rc) : "removed");
		}
	}
	xdp_multiprog__close(mp);
}

/* Describe what is in the way when an attach failed with EBUSY/EEXIST. */
static void explain_busy(const struct xwd_xdp_if *i)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(i->ifindex);
	struct xdp_program *p;

	if (!mp || libxdp_get_error(mp))
		return;
	p = xdp_multiprog__main_prog(mp);
	if (p && xdp_multiprog__is_legacy(mp))
		pr_warn("xdp: %s: another XDP program is attached (%s, id %u, %s) without "
			"libxdp's dispatcher: not replacing it",
			i->name, xdp_program__name(p), xdp_program__id(p),
			mode_name(xdp_multiprog__attach_mode(mp)));
	xdp_multiprog__close(mp);
}

static __u32 mode_flags(enum xdp_attach_mode m)
{
	return m == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE
	       : m == XDP_MODE_SKB  ? XDP_FLAGS_SKB_MODE
				    : 0;
}

/*
 * Whether libxdp attached our program alone (else: in its multi-program
 * dispatcher): the device's program id in that mode is ours.  rtnetlink
 * only, no capability: libxdp's own query opens programs by id, which
 * needs CAP_SYS_ADMIN, gone once xwampd runs unprivileged (priv.h).
 */
static bool attached_directly(const struct xwd_xdp_if *i, const struct xdp_inst *in)
{
	__u32 id = 0;

	return !bpf_xdp_query_id(i->ifindex, (int)mode_flags(i->mode), &id) &&
	       id == xdp_program__id(in->prog);
}

/*
 * The hook for a device, by what its frames look like (testbed README 3, 4):
 *  - an xfrm interface (link kind "xfrm"): generic XDP sees a rebuilt Ethernet
 *    header there and XDP_TX sends it into the SA with that header; a tc
 *    ingress program redirecting to the same device reflects correctly;
 *  - no link-layer header (ARPHRD_NONE, or point-to-point without
 *    Ethernet: a TUN device such as strongSwan kernel-libipsec's ipsec0):
 *    XDP in generic mode only (the tun driver has native XDP for TAP only),
 *    frames start at the IP header, XDP_TX hands the reply back to the
 *    tunnel's reader;
 *  - anything else: native XDP, generic when native fails.
 */
/*
 * The rtnetlink link kind of a device ("xfrm", "veth", "tun", ...) into
 * kind; "" when it has none or the query fails.  sysfs has no portable
 * equivalent (DEVTYPE=xfrm appears in uevent only on newer kernels).
 */
static void link_kind(int ifindex, char *kind, size_t len)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = {.nlmsg_len = sizeof(req),
		       .nlmsg_type = RTM_GETLINK,
		       .nlmsg_flags = NLM_F_REQUEST},
		.ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex},
	};
	char buf[8192];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct rtattr *a, *b;
	int fd, n, rem, rem2;

	kind[0] = '\0';
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return;
	n = send(fd, &req, sizeof(req), 0) == (ssize_t)sizeof(req)
		    ? (int)recv(fd, buf, sizeof(buf), 0)
		    : -1;
	close(fd);
	if (n < (int)NLMSG_LENGTH(sizeof(struct ifinfomsg)) || !NLMSG_OK(nh, (unsigned int)n) ||
	    nh->nlmsg_type != RTM_NEWLINK)
		return;
	rem = (int)IFLA_PAYLOAD(nh);
	for (a = IFLA_RTA(NLMSG_DATA(nh)); RTA_OK(a, rem); a = RTA_NEXT(a, rem)) {
		if (a->rta_type != IFLA_LINKINFO)
			continue;
		rem2 = (int)RTA_PAYLOAD(a);
		for (b = RTA_DATA(a); RTA_OK(b, rem2); b = RTA_NEXT(b, rem2))
			if (b->rta_type == IFLA_INFO_KIND)
				snprintf(kind, len, "%.*s", (int)RTA_PAYLOAD(b),
					 (char *)RTA_DATA(b));
	}
}

static enum xdp_hook hook_choose(const char *ifname, int ifindex, const char **why)
{
	char kind[32];
	struct ifreq ifr;
	bool xfrm;
	int fd, type = -1, flags = 0;

	link_kind(ifindex, kind, sizeof(kind));
	xfrm = !strcmp(kind, "xfrm");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		if (!ioctl(fd, SIOCGIFHWADDR, &ifr))
			type = ifr.ifr_hwaddr.sa_family;
		if (!ioctl(fd, SIOCGIFFLAGS, &ifr))
			flags = ifr.ifr_flags;
		close(fd);
	}
	if (xfrm) {
		*why = "xfrm interface: tc ingress program (XDP_TX breaks packets there)";
		return HOOK_TC_L3;
	}
	if (type == ARPHRD_NONE || ((flags & IFF_POINTOPOINT) && type != ARPHRD_ETHER)) {
		*why = "no link-layer header (TUN): generic XDP, frames start at the IP header";
		return HOOK_XDP_L3;
	}
	*why = "link-layer device: XDP, native else generic";
	return HOOK_XDP;
}

/*
 * The program instance for hook k, opened over x->maps' maps and, for tc,
 * loaded (libxdp loads the XDP ones at their first attach, as a dispatcher
 * extension where it can).  NULL after a log line.
 */
static struct xdp_inst *inst_get(struct xwd_xdp *x, enum xdp_hook k, bool load)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, po, .prog_name = XDP_PROG_NAME);
	struct xdp_inst *in = &x->inst[k];
	struct xwamp *sk;
	int rc;

	if (in->skel)
		return in;
	sk = xwamp__open();
	if (!sk) {
		pr_err("xdp: opening the BPF skeleton for %s: %s", inst_names[k], strerror(errno));
		return NULL;
	}
	sk->rodata->xw_cfg.flags = k == HOOK_XDP ? 0 : XW_CFG_L3;
	sk->rodata->xw_cfg.sess_base = x->sess_base;
	rc = bpf_map__reuse_fd(sk->maps.sessions, bpf_map__fd(x->maps->maps.sessions));
	rc = rc ?: bpf_map__reuse_fd(sk->maps.stats, bpf_map__fd(x->maps->maps.stats));
	rc = rc ?: bpf_map__reuse_fd(sk->maps.if_stats, bpf_map__fd(x->maps->maps.if_stats));
	rc = rc ?: bpf_map__reuse_fd(sk->maps.clock, bpf_map__fd(x->maps->maps.clock));
	rc = rc ?: bpf_map__reuse_fd(sk->maps.xsks, bpf_map__fd(x->maps->maps.xsks));
	rc = rc ?: bpf_map__reuse_fd(sk->maps.xsk_ifs, bpf_map__fd(x->maps->maps.xsk_ifs));
	rc = rc ?: bpf_map__reuse_fd(sk->maps.own_addrs, bpf_map__fd(x->maps->maps.own_addrs));
	rc = rc ?: bpf_map__reuse_fd(sk->maps.if_macs, bpf_map__fd(x->maps->maps.if_macs));
	rc = rc ?: bpf_map__reuse_fd(sk->maps.ow_events, bpf_map__fd(x->maps->maps.ow_events));
	/* only the program this hook runs is verified and loaded */
	rc = rc
		     ?: bpf_program__set_autoload(
				k == HOOK_TC_L3 ? sk->progs.xdp_xwamp : sk->progs.tc_xwamp, false);
	if (rc)
		goto fail;
	if (k == HOOK_TC_L3 || load)
		rc = bpf_object__load(sk->obj);
	if (!rc && k != HOOK_TC_L3) {
		po.obj = sk->obj;
		in->prog = xdp_program__create(&po);
		rc = libxdp_get_error(in->prog);
		if (rc)
			in->prog = NULL;
	}
	if (rc)
		goto fail;
	in->skel = sk;
	return in;
fail:
	pr_err("xdp: setting up %s: %s", inst_names[k], strerror(-rc));
	xwamp__destroy(sk);
	return NULL;
}

static int attach_one(struct xwd_xdp_if *i, struct xdp_inst *in)
{
	enum xdp_attach_mode try[2];
	unsigned int n = 0, k;
	int rc = -EINVAL;

	if (i->want != XWD_XDP_GENERIC)
		try[n++] = XDP_MODE_NATIVE;
	if (i->want != XWD_XDP_NATIVE)
		try[n++] = XDP_MODE_SKB;
	for (k = 0; k < n; k++) {
		lib_probing = true;
		rc = xdp_program__attach(in->prog, i->ifindex, try[k], 0);
		lib_probing = false;
		if (!rc) {
			i->mode = try[k];
			return 0;
		}
		pr_info("xdp: %s: %s attach failed: %s%s", i->name, mode_name(try[k]),
			strerror(-rc), k + 1 < n ? ", trying generic" : "");
	}
	if (rc == -EBUSY || rc == -EEXIST)
		explain_busy(i);
	return rc;
}

/*
 * tc_xwamp at the clsact ingress of an xfrm interface: it reflects with
 * bpf_redirect() to the same device, which strips the rebuilt link header
 * and sends the reply into the interface's SA (testbed README 4).
 */
static int tc_attach(struct xwd_xdp_if *i, struct xdp_inst *in)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = i->ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);
	int rc;

	opts.prog_fd = bpf_program__fd(in->skel->progs.tc_xwamp);
	if (opts.prog_fd < 0)
		return opts.prog_fd;
	rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST)
		return rc;
	i->tc_hook_made = !rc;
	rc = bpf_tc_attach(&hook, &opts);
	if (rc) {
		if (i->tc_hook_made)
			bpf_tc_hook_destroy(&hook);
		i->tc_hook_made = false;
		return rc;
	}
	i->tc = true;
	return 0;
}

static void tc_detach(struct xwd_xdp_if *i)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = i->ifindex,
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = 1);
	int rc;

	rc = bpf_tc_detach(&hook, &opts);
	if (i->tc_hook_made) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	if (rc)
		pr_warn("xdp: %s: tc detach: %s", i->name, strerror(-rc));
	else
		pr_info("xdp: %s: tc program detached", i->name);
	i->tc = i->tc_hook_made = false;
}

static bool if_attached(const struct xwd_xdp_if *i)
{
	return i->tc || i->mode != XDP_MODE_UNSPEC;
}

/* x->where: "xws0 native, ipsec1 tc", the interfaces attached now. */
static void where_update(struct xwd_xdp *x)
{
	size_t off = 0;
	unsigned int k;

	x->where[0] = '\0';
	for (k = 0; k < x->nifs; k++) {
		const struct xwd_xdp_if *i = &x->ifs[k];

		if (!if_attached(i) || off >= sizeof(x->where))
			continue;
		off += (size_t)snprintf(x->where + off, sizeof(x->where) - off, "%s%s %s",
					off ? ", " : "", i->name,
					i->tc ? "tc" : mode_name(i->mode));
	}
}

/* The attached interface that holds i's "if_stats" row before i, or NULL. */
static const struct xwd_xdp_if *row_holder(const struct xwd_xdp *x, const struct xwd_xdp_if *i)
{
	unsigned int k;

	for (k = 0; k < x->nifs && &x->ifs[k] != i; k++)
		if (x->ifs[k].ifindex && if_attached(&x->ifs[k]) &&
		    x->ifs[k].ifindex % XW_IF_SLOTS == i->ifindex % XW_IF_SLOTS)
			return &x->ifs[k];
	return NULL;
}

/*
 * The interface's row of "if_stats" (bpf_shared.h), before it is attached:
 * a row that counted another ifindex (a deleted device, or this one
 * re-created) starts again from zero, so that the row counts this device
 * only.  A row another attached interface holds is left alone: both count
 * there, which the log says, and the row is reported under the first.
 */
static void stats_row(struct xwd_xdp *x, const struct xwd_xdp_if *i)
{
	unsigned int slot = (unsigned int)i->ifindex % XW_IF_SLOTS, k;
	int ncpu = libbpf_num_possible_cpus();
	const struct xwd_xdp_if *h = row_holder(x, i);
	__u64 *zero;
	__u32 key;

	if (h) {
		pr_warn("xdp: %s: counter row %u is %s's (ifindex %d): %s's frames are counted "
			"with %s's",
			i->name, slot, h->name, h->ifindex, i->name, h->name);
		return;
	}
	if (x->row_owner[slot] == i->ifindex || ncpu <= 0)
		return;
	zero = calloc((size_t)ncpu, sizeof(*zero));
	if (!zero)
		return;
	for (k = 0; k < XW_STAT_MAX; k++) {
		key = slot * XW_STAT_MAX + k;
		if (bpf_map_update_elem(x->if_stats_fd, &key, zero, BPF_ANY)) {
			pr_warn("xdp: %s: zeroing its counters: %s", i->name, strerror(errno));
			break;
		}
	}
	free(zero);
	x->row_owner[slot] = i->ifindex;
}

/*
 * The interface's unicast MAC into "if_macs" (bpf_shared.h), so that the
 * program answers only frames sent to it: at attach, and again when the
 * device changes (link events).  A slot held by another attached
 * interface is not taken over: the log says so and this interface's
 * frames go to the sockets (PASS_MAC).
 */
static void mac_set(struct xwd_xdp *x, const struct xwd_xdp_if *i)
{
	struct xw_if_mac m = {.ifindex = (__u32)i->ifindex}, old;
	__u32 slot = (__u32)i->ifindex % XW_IF_MACS_MAX;
	struct ifreq ifr;
	unsigned int k;
	int fd, fdm = bpf_map__fd(x->maps->maps.if_macs);

	if (i->hook != HOOK_XDP)
		return; /* no link-layer header: nothing to check */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->name);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		/* ENODEV: the device is going away (its deletion follows) */
		if (errno != ENODEV)
			pr_warn("xdp: %s: its MAC address: %s: frames to it go to the sockets",
				i->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	memcpy(m.mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!bpf_map_lookup_elem(fdm, &slot, &old) && old.ifindex &&
	    old.ifindex != (__u32)i->ifindex) {
		for (k = 0; k < x->nifs; k++)
			if (&x->ifs[k] != i && x->ifs[k].ifindex == (int)old.ifindex) {
				pr_warn("xdp: %s: MAC slot %u is %s's (ifindex %u): frames to %s "
					"go to the sockets",
					i->name, slot, x->ifs[k].name, old.ifindex, i->name);
				return;
			}
	}
	if (bpf_map_update_elem(fdm, &slot, &m, BPF_ANY))
		pr_warn("xdp: %s: if_macs: %s: frames to it go to the sockets", i->name,
			strerror(errno));
	else
		pr_debug("xdp: %s: answering frames to %02x:%02x:%02x:%02x:%02x:%02x", i->name,
			 m.mac[0], m.mac[1], m.mac[2], m.mac[3], m.mac[4], m.mac[5]);
}

/*
 * Attach the program the interface needs, if it is present (i->ifindex
 * set by the caller).  0, or -errno after a log line (its sessions then
 * use the socket path).
 */
static int if_attach(struct xwd_xdp *x, struct xwd_xdp_if *i)
{
	struct xdp_inst *in;
	const char *why;
	int rc;

	i->hook = hook_choose(i->name, i->ifindex, &why);
	pr_info("xdp: %s: %s", i->name, why);
	stats_row(x, i);
	remove_stale_prog(i);
	in = inst_get(x, i->hook, false);
	if (!in)
		return -EINVAL;
	if (i->hook == HOOK_TC_L3) {
		rc = tc_attach(i, in);
		if (rc) {
			pr_warn("xdp: %s: cannot attach the tc program: %s: its sessions use the "
				"socket path",
				i->name, strerror(-rc));
			return rc;
		}
		pin_prog(x, i->hook, bpf_program__fd(in->skel->progs.tc_xwamp));
		pr_info("xdp: %s: tc_xwamp attached (clsact ingress, replies by bpf_redirect to "
			"%s)",
			i->name, i->name);
	} else {
		if (i->hook == HOOK_XDP_L3)
			i->want = XWD_XDP_GENERIC;
		mac_set(x, i);
		rc = attach_one(i, in);
		if (rc) {
			pr_warn("xdp: %s: cannot attach: %s: its sessions use the socket path",
				i->name, strerror(-rc));
			return rc;
		}
		i->direct = attached_directly(i, in);
		pin_prog(x, i->hook, xdp_program__fd(in->prog));
		pr_info("xdp: %s: %s attached (%s mode, %s, program id %u, %s)", i->name,
			XDP_PROG_NAME, mode_name(i->mode),
			i->hook == HOOK_XDP_L3 ? "frames from the IP header" : "Ethernet frames",
			xdp_program__id(in->prog),
			!i->direct ? "in libxdp's dispatcher"
			: x->alone ? "directly: xwampd drops root, libxdp's dispatcher would need "
				     "CAP_SYS_ADMIN at run time (--user root shares the interface)"
				   : "directly: libxdp's dispatcher is not available "
				     "here, no other XDP program can share the interface");
	}
	where_update(x);
	return 0;
}

/* The interface is (now) device index: forget any old attachment, attach. */
static int if_reattach(struct xwd_xdp *x, struct xwd_xdp_if *i, int index)
{
	int rc;

	i->ifindex = index;
	i->mode = XDP_MODE_UNSPEC;
	i->tc = i->tc_hook_made = false;
	rc = if_attach(x, i);
	if (rc)
		where_update(x);
	else if (x->attach_fn)
		x->attach_fn(x->attach_arg);
	return rc;
}

static void if_detach(struct xwd_xdp *x, struct xwd_xdp_if *i)
{
	int rc;

	if (i->tc)
		tc_detach(i);
	if (i->mode != XDP_MODE_UNSPEC) {
		DECLARE_LIBBPF_OPTS(bpf_xdp_attach_opts, o,
				    .old_prog_fd = xdp_program__fd(x->inst[i->hook].prog));

		/*
		 * Alone: detach it ourselves, only if it is still ours (REPLACE
		 * with old_prog_fd), needing CAP_NET_ADMIN only; libxdp's detach
		 * would first open the device's program by id (CAP_SYS_ADMIN).
		 */
		if (i->direct)
			rc = bpf_xdp_detach(i->ifindex, mode_flags(i->mode), &o);
		else
			rc = xdp_program__detach(x->inst[i->hook].prog, i->ifindex, i->mode, 0);
		if (rc)
			pr_warn("xdp: %s: detach: %s", i->name, strerror(-rc));
		else
			pr_info("xdp: %s: detached", i->name);
		i->mode = XDP_MODE_UNSPEC;
	}
}

static void detach_all(struct xwd_xdp *x)
{
	unsigned int k;

	for (k = 0; k < x->nifs; k++)
		if (x->ifs[k].ifindex)
			if_detach(x, &x->ifs[k]);
	where_update(x);
}

/* --- interfaces coming and going (rtnetlink) ------------------------------------ */

/* The index and name of an RTM_NEWLINK / RTM_DELLINK message; 0 if it has none. */
static int link_msg(struct nlmsghdr *nh, char name[IF_NAMESIZE])
{
	struct ifinfomsg *ifi = NLMSG_DATA(nh);
	struct rtattr *a;
	int rem;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	rem = (int)IFLA_PAYLOAD(nh);
	for (a = IFLA_RTA(ifi); RTA_OK(a, rem); a = RTA_NEXT(a, rem))
		if (a->rta_type == IFLA_IFNAME && RTA_PAYLOAD(a) >= 1 &&
		    RTA_PAYLOAD(a) <= IF_NAMESIZE) {
			memcpy(name, RTA_DATA(a), RTA_PAYLOAD(a));
			name[RTA_PAYLOAD(a) - 1] = '\0';
			return ifi->ifi_index;
		}
	return 0;
}

/*
 * One link event for a configured interface.  New (or a new index: the
 * device was deleted and made again, as charon does with ipsec0): attach.
 * Deleted: the kernel took the program away with the device; forget the
 * attachment and wait for it to come back.
 */
static void link_event(struct xwd_xdp *x, int type, int index, const char *name)
{
	struct xwd_xdp_if *i = NULL;
	unsigned int k;

	for (k = 0; k < x->nifs && !i; k++)
		if (!strcmp(x->ifs[k].name, name))
			i = &x->ifs[k];
	if (!i)
		return;
	if (type == RTM_DELLINK) {
		if (i->ifindex != index)
			return;
		pr_warn("xdp: %s: deleted (ifindex %d): attaching again when it comes back",
			i->name, index);
		i->ifindex = 0;
		i->mode = XDP_MODE_UNSPEC;
		i->tc = i->tc_hook_made = false;
		where_update(x);
		return;
	}
	if (i->ifindex == index) {
		/* a change of flags, addresses, ... of the device we are on: its MAC? */
		if (if_attached(i))
			mac_set(x, i);
		return;
	}
	if (i->ifindex)
		pr_warn("xdp: %s: now ifindex %d (was %d): the old device is gone", i->name, index,
			i->ifindex);
	else
		pr_info("xdp: %s: appeared (ifindex %d)", i->name, index);
	if_reattach(x, i, index);
}

static void rtnl_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xwd_xdp *x = io->arg;
	char buf[RTNL_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	char name[IF_NAMESIZE];
	struct nlmsghdr *nh;
	ssize_t n;
	int index;

	(void)l;
	(void)events;
	for (;;) {
		n = recv(x->rtnl_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == ENOBUFS)
				pr_warn("xdp: rtnetlink: link events lost (ENOBUFS): a re-created "
					"interface may be missed until the next event");
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (unsigned int)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK)
				continue;
			index = link_msg(nh, name);
			if (index > 0)
				link_event(x, nh->nlmsg_type, index, name);
		}
	}
}

/* Subscribe to link events (before looking the interfaces up: none is missed). */
static void rtnl_open(struct xwd_xdp *x)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK};
	int fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    xw_loop_add(x->loop, &x->rtnl, fd, EPOLLIN, rtnl_event, x)) {
		pr_warn("xdp: rtnetlink link events: %s: an interface that appears later will "
			"not be attached",
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	x->rtnl_fd = fd;
}

/* --- open / close ------------------------------------------------------------ */

static void xdp_free(struct xwd_xdp *x)
{
	unsigned int k;

	if (x->loop) {
		xw_timer_cancel(x->loop, &x->clock_timer);
		xw_loop_del(x->loop, &x->rtnl);
		xw_loop_del(x->loop, &x->ow_io);
	}
	ring_buffer__free(x->ow_rb);
	if (x->rtnl_fd >= 0)
		close(x->rtnl_fd);
	detach_all(x);
	if (x->sess)
		munmap(x->sess, x->sess_sz);
	pins_remove(x);
	for (k = 0; k < INST_MAX; k++) {
		xdp_program__close(x->inst[k].prog);
		xwamp__destroy(x->inst[k].skel);
	}
	xwamp__destroy(x->maps);
	free(x);
}

/* --- OWAMP receiver records ---------------------------------------------------- */

static int ow_event(void *ctx, void *data, size_t len)
{
	struct xwd_xdp *x = ctx;

	if (len >= sizeof(struct xw_ow_event) && x->ow_fn)
		x->ow_fn(x->ow_arg, data);
	return 0;
}

static void ow_events_ready(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xwd_xdp *x = io->arg;

	ring_buffer__consume(x->ow_rb);
}

/* The consumer of ow_events, on the loop; without it OWAMP sessions stay on sockets. */
static void ow_events_open(struct xwd_xdp *x)
{
	int rc;

	x->ow_rb = ring_buffer__new(bpf_map__fd(x->maps->maps.ow_events), ow_event, x, NULL);
	if (!x->ow_rb) {
		pr_warn("xdp: OWAMP ring buffer: %s: OWAMP receivers use their sockets",
			strerror(errno));
		return;
	}
	rc = xw_loop_add(x->loop, &x->ow_io, ring_buffer__epoll_fd(x->ow_rb), EPOLLIN,
			 ow_events_ready, x);
	if (rc) {
		pr_warn("xdp: OWAMP ring buffer: epoll: %s", strerror(-rc));
		ring_buffer__free(x->ow_rb);
		x->ow_rb = NULL;
	}
}

bool xwd_xdp_ow_ready(const struct xwd_xdp *x)
{
	return x && x->ow_rb && x->where[0];
}

void xwd_xdp_attach_handler(struct xwd_xdp *x, void (*fn)(void *arg), void *arg)
{
	if (!x)
		return;
	x->attach_fn = fn;
	x->attach_arg = arg;
}

void xwd_xdp_ow_handler(struct xwd_xdp *x, xwd_xdp_ow_fn fn, void *arg)
{
	if (!x)
		return;
	x->ow_fn = fn;
	x->ow_arg = arg;
}

void xwd_xdp_ow_drain(struct xwd_xdp *x)
{
	if (x && x->ow_rb)
		ring_buffer__consume(x->ow_rb);
}

/*
 * The OWAMP ring buffer's size for max_sessions (0: no limit, the object's
 * 1 MiB): XW_OW_EVENTS_PER_SESS records of each session in flight, a power of two
 * (the kernel's rule for ring buffers) within XW_OW_EVENTS_MIN..MAX.
 */
static __u32 ow_events_bytes(unsigned int max_sessions)
{
	__u64 want = max_sessions ? (__u64)max_sessions * XW_OW_EVENTS_PER_SESS *
					    (sizeof(struct xw_ow_event) + 8)
				  : XW_OW_EVENTS_BYTES;
	__u32 b = XW_OW_EVENTS_MIN;

	while (b < want && b < XW_OW_EVENTS_MAX)
		b <<= 1;
	return b;
}

/*
 * The maps, created from the object with none of its programs loaded and
 * sized from the limits (bpf_shared.h): the session table covers the ports
 * a session can have, the OWAMP ring buffer the sessions' records in
 * flight; own_addrs is allocated as addresses come.
 */
static int maps_create(struct xwd_xdp *x, const struct xwd_xdp_cfg *c)
{
	struct bpf_map *own;
	int rc;

	x->sess_base = c->sess_hi ? c->sess_lo : 0;
	x->sess_n = c->sess_hi ? (unsigned int)c->sess_hi - c->sess_lo + 1 : XW_SESS_MAX_ENTRIES;
	x->maps = xwamp__open();
	if (!x->maps)
		return -errno;
	own = x->maps->maps.own_addrs;
	rc = bpf_program__set_autoload(x->maps->progs.xdp_xwamp, false);
	rc = rc ?: bpf_program__set_autoload(x->maps->progs.tc_xwamp, false);
	/* mmap()able: arm/disarm are single-octet stores, counters plain loads */
	rc = rc
		     ?: bpf_map__set_map_flags(x->maps->maps.sessions,
					       bpf_map__map_flags(x->maps->maps.sessions) |
						       BPF_F_MMAPABLE);
	rc = rc ?: bpf_map__set_max_entries(x->maps->maps.sessions, x->sess_n);
	rc = rc
		     ?: bpf_map__set_max_entries(x->maps->maps.ow_events,
						 ow_events_bytes(c->max_sessions));
	rc = rc ?: bpf_map__set_map_flags(own, bpf_map__map_flags(own) | BPF_F_NO_PREALLOC);
	rc = rc ?: xwamp__load(x->maps);
	if (!rc)
		pr_info("xdp: maps sized from the limits: sessions %u entries (ports %u-%u), "
			"ow_events %u KiB, own_addrs up to %u (not preallocated)",
			x->sess_n, x->sess_base, x->sess_base + x->sess_n - 1,
			bpf_map__max_entries(x->maps->maps.ow_events) >> 10, XW_OWN_MAX);
	return rc;
}

/* The mmap()ed entry of a local port, NULL when the table does not cover it. */
static struct xw_sess *sess_entry(const struct xwd_xdp *x, uint16_t port)
{
	unsigned int k = (unsigned int)port - x->sess_base;

	return port >= x->sess_base && k < x->sess_n ? &x->sess[k] : NULL;
}

/* Add an interface to the list: its slot, or NULL when the list is full. */
static struct xwd_xdp_if *if_add(struct xwd_xdp *x, const char *name)
{
	struct xwd_xdp_if *i;
	unsigned int k;

	for (k = 0; k < x->nifs; k++)
		if (!strcmp(x->ifs[k].name, name))
			return &x->ifs[k];
	if (x->nifs >= XWD_XDP_MAX_IFS)
		return NULL;
	i = &x->ifs[x->nifs++];
	snprintf(i->name, sizeof(i->name), "%s", name);
	i->want = x->mode;
	return i;
}

int xwd_xdp_open(const struct xwd_xdp_cfg *c, struct xw_loop *loop, struct xwd_xdp **out)
{
	struct timespec res;
	struct xwd_xdp *x;
	unsigned int k;
	int rc;

	*out = NULL;
	if (!c->nifs && !c->in_tunnel) {
		pr_info("xdp: no --xdp interface: every session uses its UDP socket");
		return 0;
	}
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->dir_fd = x->parent_fd = -1;
	x->stats_fd = x->clock_fd = x->rtnl_fd = x->if_stats_fd = -1;
	x->mode = c->mode;
	x->alone = c->alone;
	if (c->alone) /* read by libxdp at each attach */
		setenv("LIBXDP_SKIP_DISPATCHER", "1", 1);
	snprintf(x->dir, sizeof(x->dir), "%s", c->pin_dir ? c->pin_dir : XWD_XDP_DEFAULT_DIR);
	xw_timer_init(&x->clock_timer, clock_timer, x);
	x->res_ns = clock_getres(CLOCK_REALTIME, &res) ? 1 : res.tv_nsec;

	rc = pins_prepare(x);
	if (rc == -EBUSY) {
		pr_err("xdp: %s is locked by another running xwampd: not attaching XDP "
		       "(sessions use their UDP sockets)",
		       x->dir);
		goto fail;
	}
	if (rc)
		pr_warn("xdp: no pins in %s: %s (XDP works; bpftool finds the maps by name)",
			x->dir, strerror(-rc));
	rc = maps_create(x, c);
	if (rc) {
		pr_err("xdp: creating the BPF maps: %s", strerror(-rc));
		goto fail;
	}
	x->stats_fd = bpf_map__fd(x->maps->maps.stats);
	x->if_stats_fd = bpf_map__fd(x->maps->maps.if_stats);
	x->clock_fd = bpf_map__fd(x->maps->maps.clock);
	x->sess_sz = (size_t)x->sess_n * sizeof(struct xw_sess);
	x->sess = mmap(NULL, x->sess_sz, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(x->maps->maps.sessions), 0);
	if (x->sess == MAP_FAILED) {
		x->sess = NULL;
		rc = -errno;
		pr_err("xdp: mmap of the sessions map: %s", strerror(-rc));
		goto fail;
	}
	clock_refresh(x);
	x->loop = loop;
	xw_timer_arm(loop, &x->clock_timer, XW_NS_PER_SEC);
	ow_events_open(x);
	pins_create(x);
	rtnl_open(x);

	for (k = 0; k < c->nifs; k++) {
		struct xwd_xdp_if *i = if_add(x, c->ifs[k]);

		i->ifindex = (int)if_nametoindex(i->name);
		if (!i->ifindex) {
			pr_warn("xdp: %s: %s: attaching when it appears (its sessions use the "
				"socket path until then)",
				i->name, strerror(errno));
			continue;
		}
		if_attach(x, i);
	}
	if (c->nifs && !x->where[0])
		pr_warn("xdp: attached nowhere yet: sessions use their UDP sockets");
	*out = x;
	return 0;

fail:
	xdp_free(x);
	return 0;
}

int xwd_xdp_ensure(struct xwd_xdp *x, const char *ifname, const char *who)
{
	struct xwd_xdp_if *i;
	int index;

	if (!x)
		return -ENODEV;
	index = (int)if_nametoindex(ifname);
	if (!index)
		return -errno;
	i = if_add(x, ifname);
	if (!i) {
		pr_warn("%s: no XDP on %s: already %d interfaces", who, ifname, XWD_XDP_MAX_IFS);
		return -ENOSPC;
	}
	if (i->ifindex == index && if_attached(i))
		return 0;
	pr_info("%s: attaching the reflector to %s", who, ifname);
	return if_reattach(x, i, index);
}

void xwd_xdp_close(struct xwd_xdp *x)
{
	if (x)
		xdp_free(x);
}

const char *xwd_xdp_where(const struct xwd_xdp *x)
{
	return x ? x->where : "";
}

static int addr_raw(struct xw_addr a, __u8 raw[16])
{
	xw_addr_unmap(&a);
	memset(raw, 0, 16);
	if (xw_addr_family(&a) == AF_INET) {
		memcpy(raw, &a.in.sin_addr, 4);
		return XW_SESS_INET;
	}
	memcpy(raw, &a.in6.sin6_addr, 16);
	return XW_SESS_INET6;
}

int xwd_xdp_sess_add(struct xwd_xdp *x, const struct xwd_xdp_sess_cfg *sc)
{
	uint16_t port = xw_addr_port(sc->local);
	struct xw_sess v = {}, *e;
	int fl, fp;

	if (!x)
		return -ENODEV;
	e = sess_entry(x, port);
	if (!e)
		return -ERANGE;
	if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != XW_SESS_FREE)
		return -EBUSY;
	fl = addr_raw(*sc->local, v.refl_addr);
	fp = addr_raw(*sc->peer, v.sender_addr);
	if (fl != fp)
		return -EINVAL;
	v.mode = (__u8)sc->mode;
	v.flags = sc->flags;
	v.family = (__u8)fl;
	/* TWAMP Light with both addresses wildcards: either family (bpf_shared.h) */
	if ((sc->flags & (XW_SESS_F_ANY_SADDR | XW_SESS_F_ANY_DADDR)) ==
	    (XW_SESS_F_ANY_SADDR | XW_SESS_F_ANY_DADDR))
		v.family = 0;
	v.dscp = sc->dscp;
	v.reflect_len = sc->reflect_len;
	v.sender_port = htons(xw_addr_port(sc->peer));
	v.refl_port = htons(port);
	v.expect_len = sc->expect_len;
	v.ifindex = (__u32)sc->ifindex;
	v.next_seq = sc->first_seq;
	/* everything but the state first: the program ignores a FREE entry */
	memcpy((__u8 *)e + 1, (const __u8 *)&v + 1, sizeof(v) - 1);
	__atomic_store_n(&e->state, (__u8)XW_SESS_DISARMED, __ATOMIC_RELEASE);
	return 0;
}

void xwd_xdp_sess_arm(struct xwd_xdp *x, uint16_t port, bool armed)
{
	struct xw_sess *e = x ? sess_entry(x, port) : NULL;

	if (e && e->state != XW_SESS_FREE)
		__atomic_store_n(&e->state, (__u8)(armed ? XW_SESS_ARMED : XW_SESS_DISARMED),
				 __ATOMIC_RELEASE);
}

void xwd_xdp_sess_del(struct xwd_xdp *x, uint16_t port)
{
	struct xw_sess *e = x ? sess_entry(x, port) : NULL;

	if (!e)
		return;
	__atomic_store_n(&e->state, (__u8)XW_SESS_FREE, __ATOMIC_RELEASE);
	memset((__u8 *)e + 1, 0, sizeof(*e) - 1);
}

void xwd_xdp_sess_stats(const struct xwd_xdp *x, uint16_t port, struct xwd_xdp_sess_stats *st)
{
	const struct xw_sess *e;
	int k;

	memset(st, 0, sizeof(*st));
	e = x ? sess_entry(x, port) : NULL;
	if (!e)
		return;
	st->next_seq = __atomic_load_n(&e->next_seq, __ATOMIC_RELAXED);
	st->passed = __atomic_load_n(&e->passed, __ATOMIC_RELAXED);
	for (k = 0; k < XW_SESS_DROP_MAX; k++) {
		st->drops[k] = __atomic_load_n(&e->drops[k], __ATOMIC_RELAXED);
		st->dropped += st->drops[k];
	}
}

uint32_t xwd_xdp_sess_next_seq(struct xwd_xdp *x, uint16_t port)
{
	struct xw_sess *e = sess_entry(x, port);

	/* only sessions with an entry (xwd_xdp_sess_add() 0) take their numbers here */
	return e ? (uint32_t)__atomic_fetch_add(&e->next_seq, 1, __ATOMIC_RELAXED) : 0;
}

/* --- for the AF_XDP sockets (xsk.c) ------------------------------------------------ */

int xwd_xdp_attached(const struct xwd_xdp *x, unsigned int k, const char **name, int *ifindex,
		     bool *generic)
{
	unsigned int i, n = 0;

	for (i = 0; x && i < x->nifs; i++) {
		if (x->ifs[i].mode == XDP_MODE_UNSPEC || n++ != k)
			continue;
		*name = x->ifs[i].name;
		*ifindex = x->ifs[i].ifindex;
		*generic = x->ifs[i].mode == XDP_MODE_SKB;
		return 0;
	}
	return -ENOENT;
}

int xwd_xdp_xsks_fd(const struct xwd_xdp *x)
{
	return x ? bpf_map__fd(x->maps->maps.xsks) : -ENODEV;
}

int xwd_xdp_own_addrs_fd(const struct xwd_xdp *x)
{
	return x ? bpf_map__fd(x->maps->maps.own_addrs) : -ENODEV;
}

int xwd_xdp_xsk_ifs_fd(const struct xwd_xdp *x)
{
	return x ? bpf_map__fd(x->maps->maps.xsk_ifs) : -ENODEV;
}

/* --- global counters ----------------------------------------------------------- */

static const char *const stat_names[XW_STAT_MAX] = {
	[XW_STAT_REFLECTED] = "reflected",
	[XW_STAT_PASS_NOT_IP] = "pass-not-ip",
	[XW_STAT_PASS_NOT_UDP] = "pass-not-udp",
	[XW_STAT_PASS_FRAG] = "pass-fragment",
	[XW_STAT_PASS_TRUNC] = "pass-truncated",
	[XW_STAT_PASS_BADLEN] = "pass-bad-length",
	[XW_STAT_PASS_NO_SESS] = "pass-no-session",
	[XW_STAT_PASS_DISARMED] = "pass-disarmed",
	[XW_STAT_PASS_TUPLE] = "pass-other-tuple",
	[XW_STAT_PASS_MODE] = "pass-mode",
	[XW_STAT_PASS_NOROOM] = "pass-no-room",
	[XW_STAT_DROP_TRUNC] = "drop-truncated",
	[XW_STAT_DROP_LEN] = "drop-length",
	[XW_STAT_DROP_MULT0] = "drop-multiplier-0",
	[XW_STAT_REDIRECTED] = "redirected-afxdp",
	[XW_STAT_PASS_IFACE] = "pass-other-device",
	[XW_STAT_PASS_IPOPT] = "pass-ip-options",
	[XW_STAT_PASS_IPCSUM] = "pass-bad-ip-checksum",
	[XW_STAT_PASS_UDPCSUM] = "pass-bad-udp-checksum",
	[XW_STAT_PASS_SRC] = "pass-bad-source",
	[XW_STAT_PASS_DST] = "pass-not-our-address",
	[XW_STAT_PASS_MAC] = "pass-not-our-mac",
	[XW_STAT_OW_RECORDED] = "owamp-recorded",
	[XW_STAT_OW_FULL] = "pass-owamp-ring-full",
	[XW_STAT_OW_LEN] = "drop-owamp-length",
};

const char *xwd_xdp_stat_name(enum xw_stat s)
{
	return (unsigned int)s < XW_STAT_MAX && stat_names[s] ? stat_names[s] : "?";
}

/* XW_STAT_MAX per-CPU counters from key base of map fd, summed over CPUs. */
static int stats_read(int fd, __u32 base, uint64_t out[XW_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus(), c;
	__u64 *v;
	__u32 k, key;

	memset(out, 0, sizeof(uint64_t) * XW_STAT_MAX);
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (k = 0; k < XW_STAT_MAX; k++) {
		key = base + k;
		if (bpf_map_lookup_elem(fd, &key, v)) {
			int rc = -errno;

			free(v);
			return rc;
		}
		for (c = 0; c < ncpu; c++)
			out[k] += v[c];
	}
	free(v);
	return 0;
}

int xwd_xdp_stats(const struct xwd_xdp *x, uint64_t out[XW_STAT_MAX])
{
	if (!x) {
		memset(out, 0, sizeof(uint64_t) * XW_STAT_MAX);
		return -ENODEV;
	}
	return stats_read(x->stats_fd, 0, out);
}

/*
 * The k-th attached interface with a counter row of its own (one sharing
 * a row with an earlier one is skipped: row_holder()): 0 with its name,
 * ifindex and counters, -ENOENT past the last, another -errno.
 */
static int if_stats_get(const struct xwd_xdp *x, unsigned int k, const struct xwd_xdp_if **out,
			uint64_t st[XW_STAT_MAX])
{
	unsigned int j, n = 0;

	for (j = 0; j < x->nifs; j++) {
		const struct xwd_xdp_if *i = &x->ifs[j];

		if (!i->ifindex || !if_attached(i) || row_holder(x, i) || n++ != k)
			continue;
		*out = i;
		return stats_read(x->if_stats_fd,
				  (__u32)((unsigned int)i->ifindex % XW_IF_SLOTS) * XW_STAT_MAX,
				  st);
	}
	return -ENOENT;
}

/* " reflected=N pass-...=N": the counters that are not 0 (reflected always). */
static void stats_fmt(const uint64_t st[XW_STAT_MAX], char *buf, size_t len)
{
	size_t off = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < XW_STAT_MAX && off < len; k++)
		if (st[k] || k == XW_STAT_REFLECTED)
			off += (size_t)snprintf(buf + off, len - off, " %s=%llu", stat_names[k],
						(unsigned long long)st[k]);
}

void xwd_xdp_status(const struct xwd_xdp *x)
{
	const struct xwd_xdp_if *i;
	uint64_t st[XW_STAT_MAX];
	char buf[768];
	unsigned int k;
	int rc;

	if (!x)
		return;
	rc = xwd_xdp_stats(x, st);
	if (rc) {
		pr_warn("xdp: reading the stats map: %s", strerror(-rc));
		return;
	}
	stats_fmt(st, buf, sizeof(buf));
	pr_info("xdp: reflector attached on %s, pins %s: frames:%s",
		x->where[0] ? x->where : "no interface", x->pinned ? x->dir : "none", buf);
	for (k = 0; (rc = if_stats_get(x, k, &i, st)) != -ENOENT; k++) {
		if (rc) {
			pr_warn("xdp: reading the if_stats map: %s", strerror(-rc));
			return;
		}
		stats_fmt(st, buf, sizeof(buf));
		pr_info("xdp: %s (ifindex %d): frames:%s", i->name, i->ifindex, buf);
	}
}

void xwd_xdp_give(struct xwd_xdp *x, uid_t uid, gid_t gid)
{
	unsigned int k;

	if (!x)
		return;
	/*
	 * Every instance loaded now, while we may (CAP_BPF, and CAP_PERFMON for
	 * the verifier's pointer rules): an interface that appears later, or
	 * the in-tunnel device of a session, only needs an attach
	 * (CAP_NET_ADMIN; alone: xwd_xdp_cfg.alone).  Pinned at that first
	 * use, as before (pin_prog() works through the directory fd).
	 */
	for (k = 0; k < INST_MAX; k++)
		if (!x->inst[k].skel)
			(void)inst_get(x, (enum xdp_hook)k, true);
	if (x->dir_fd >= 0 && fchown(x->dir_fd, uid, gid))
		pr_warn("xdp: %s: chown to uid %u: %s: pins stay at exit", x->dir,
			(unsigned int)uid, strerror(errno));
}

int xwd_xdp_probe(void *arg)
{
	struct xwd_xdp *x = arg;
	struct xw_bpf_clock c;
	__u32 zero = 0;

	return bpf_map_lookup_elem(x->clock_fd, &zero, &c) ? -errno : 0;
}

/* Prometheus (--metrics): the XDP program's frame counters (the stats map). */
void xwd_xdp_metrics(const struct xwd_xdp *x, FILE *f)
{
	const struct xwd_xdp_if *i;
	uint64_t st[XW_STAT_MAX];
	unsigned int n;
	int k;

	xw_prom_help(f, "xwampd_xdp_attached", "gauge", "1 when the XDP reflector is attached");
	fprintf(f, "xwampd_xdp_attached %d\n", x ? 1 : 0);
	if (!x || xwd_xdp_stats(x, st))
		return;
	xw_prom_help(f, "xwampd_xdp_frames_total", "counter",
		     "frames the XDP program saw, by what it did (the SIGUSR1 counters)");
	for (k = 0; k < XW_STAT_MAX; k++)
		if (stat_names[k])
			fprintf(f, "xwampd_xdp_frames_total{result=\"%s\"} %llu\n", stat_names[k],
				(unsigned long long)st[k]);
	xw_prom_help(
		f, "xwampd_xdp_interface_frames_total", "counter",
		"the same per interface the program is attached to (since it got its ifindex)");
	for (n = 0; !if_stats_get(x, n, &i, st); n++)
		for (k = 0; k < XW_STAT_MAX; k++)
			fprintf(f,
				"xwampd_xdp_interface_frames_total{interface=\"%s\",result=\"%s\"} "
				"%llu\n",
				i->name, stat_names[k], (unsigned long long)st[k]);
}
