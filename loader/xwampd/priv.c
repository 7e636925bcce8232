// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dropping root after start-up (priv.h).  Raw capget/capset: the three
 * 32-bit words of _LINUX_CAPABILITY_VERSION_3 are all we need, so no libcap.
 *
 * As root: bounding set reduced to caps, PR_SET_KEEPCAPS, the user's groups,
 * gid and uid (real, effective, saved), then permitted = effective = caps,
 * inheritable and ambient empty, PR_SET_NO_NEW_PRIVS.  Not root (a service
 * manager started us as the user with AmbientCapabilities=): the same minus
 * the identity change; the bounding set only if CAP_SETPCAP allows it.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

#define CAP_BIT(c) (1ull << (c))

static const struct {
	int cap;
	const char *name;
} cap_names[] = {
	{CAP_NET_BIND_SERVICE, "cap_net_bind_service"},
	{CAP_NET_ADMIN, "cap_net_admin"},
	{CAP_NET_RAW, "cap_net_raw"},
	{CAP_IPC_LOCK, "cap_ipc_lock"},
	{CAP_BPF, "cap_bpf"},
	{CAP_PERFMON, "cap_perfmon"},
	{CAP_SYS_ADMIN, "cap_sys_admin"},
	{CAP_DAC_OVERRIDE, "cap_dac_override"},
	{CAP_SETUID, "cap_setuid"},
	{CAP_SETGID, "cap_setgid"},
	{CAP_SETPCAP, "cap_setpcap"},
};

const char *xwd_priv_caps_fmt(uint64_t caps, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int c, k;

	buf[0] = '\0';
	for (c = 0; c < 64 && off < len; c++) {
		const char *n = NULL;

		if (!(caps & CAP_BIT(c)))
			continue;
		for (k = 0; k < sizeof(cap_names) / sizeof(cap_names[0]); k++)
			if (cap_names[k].cap == (int)c)
				n = cap_names[k].name;
		off += n ? (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "", n)
			 : (size_t)snprintf(buf + off, len - off, "%scap_%u", off ? "," : "", c);
	}
	if (!caps)
		snprintf(buf, len, "none");
	return buf;
}

uint64_t xwd_priv_caps(const struct xwd_priv_need *n)
{
	uint64_t caps = 0;

	if (n->xdp)
		caps |= CAP_BIT(CAP_NET_ADMIN);
	if (n->xfrm)
		caps |= CAP_BIT(CAP_NET_ADMIN);
	/*
	 * AF_XDP for an interface attached after the drop: socket(AF_XDP)
	 * checks CAP_NET_RAW (net/xdp/xsk.c xsk_create); each UMEM (32 MiB)
	 * is charged to the user's locked memory against RLIMIT_MEMLOCK
	 * unless CAP_IPC_LOCK (net/xdp/xdp_umem.c): kept when the limit is
	 * not unlimited (the unit sets LimitMEMLOCK=infinity).
	 */
	if (n->afxdp)
		caps |= CAP_BIT(CAP_NET_RAW);
	if (n->afxdp && n->afxdp_lock)
		caps |= CAP_BIT(CAP_IPC_LOCK);
	if (n->port_lo && n->port_lo < 1024)
		caps |= CAP_BIT(CAP_NET_BIND_SERVICE);
	return caps;
}

static int lookup(const char *user, struct xwd_priv_user *u)
{
	struct passwd *pw;
	unsigned long v;
	char *end;

	errno = 0;
	pw = getpwnam(user);
	if (!pw && user[0] >= '0' && user[0] <= '9') {
		errno = 0;
		v = strtoul(user, &end, 10);
		if (!*end && v < (uid_t)-1)
			pw = getpwuid((uid_t)v);
	}
	if (!pw)
		return errno ? -errno : -ENOENT;
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->keep_root = pw->pw_uid == 0;
	return 0;
}

int xwd_priv_resolve(const char *user, struct xwd_priv_user *u)
{
	int rc;

	memset(u, 0, sizeof(*u));
	if (user) {
		rc = lookup(user, u);
		if (rc)
			pr_err("--user %s: no such user: %s", user,
			       rc == -ENOENT ? "not in the user database" : strerror(-rc));
		return rc;
	}
	rc = lookup(XWD_USER_DEFAULT, u);
	if (rc)
		rc = lookup(XWD_USER_FALLBACK, u);
	if (rc)
		pr_err("neither user %s nor %s exists: give --user (or --user root to keep root)",
		       XWD_USER_DEFAULT, XWD_USER_FALLBACK);
	return rc;
}

static int caps_get(uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

static int caps_set(uint64_t caps)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)caps;
	d[1].effective = d[1].permitted = (uint32_t)(caps >> 32);
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

static unsigned int cap_last(void)
{
	unsigned int last = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");

	if (f) {
		if (fscanf(f, "%u", &last) != 1 || last > 63)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

/* Drop every capability not in caps from the bounding set (needs CAP_SETPCAP). */
static int bounding_reduce(uint64_t caps)
{
	unsigned int c, last = cap_last();

	for (c = 0; c <= last; c++)
		if (!(caps & CAP_BIT(c)) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) > 0 &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0))
			return -errno;
	return 0;
}

static int become(const struct xwd_priv_user *u)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -errno;
	if (initgroups(u->name, u->gid) && setgroups(0, NULL))
		return -errno;
	if (setresgid(u->gid, u->gid, u->gid) || setresuid(u->uid, u->uid, u->uid))
		return -errno;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
		return -errno;
	/* paranoia: root must be out of reach now */
	if (u->uid && (!setuid(0) || !seteuid(0)))
		return -EPERM;
	return 0;
}

int xwd_priv_drop(const struct xwd_priv_user *u, uint64_t caps)
{
	return xwd_priv_drop_probe(u, caps, 0, NULL, NULL);
}

/*
 * Whether probe(arg) fails without some of maybe: run with only keep in the
 * effective set (the permitted set unchanged, so everything is restored
 * after).  Capability checks look at the effective set, for root too.
 */
static bool probe_needs(uint64_t eff, uint64_t prm, uint64_t keep, int (*probe)(void *arg),
			void *arg)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	bool needs;

	memset(d, 0, sizeof(d));
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	d[0].effective = (uint32_t)keep;
	d[1].effective = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &h, d))
		return true;
	needs = probe(arg) == -EPERM;
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	(void)syscall(SYS_capset, &h, d);
	return needs;
}

int xwd_priv_drop_probe(const struct xwd_priv_user *u, uint64_t caps, uint64_t maybe,
			int (*probe)(void *arg), void *arg)
{
	char have_s[256], keep_s[256], miss_s[256];
	uint64_t eff, prm, had, keep;
	bool root = geteuid() == 0;
	const char *step;
	int rc;

	rc = caps_get(&eff, &prm);
	if (rc) {
		pr_err("privileges: capget: %s", strerror(-rc));
		return rc;
	}
	if (root && u->keep_root) {
		pr_warn("privileges: running as root with every capability (--user root)");
		return 0;
	}
	had = prm;
	keep = caps & prm;
	if (maybe & prm && probe && probe_needs(eff, prm, keep, probe, arg)) {
		pr_info("privileges: this kernel needs %s for what xwampd does at run time",
			xwd_priv_caps_fmt(maybe & prm, miss_s, sizeof(miss_s)));
		keep |= maybe & prm;
		caps |= maybe & prm;
	}
	step = "bounding set";
	if (eff & CAP_BIT(CAP_SETPCAP)) {
		rc = bounding_reduce(keep);
		if (rc)
			goto fail;
	}
	if (root) {
		step = "changing user";
		rc = become(u);
		if (rc)
			goto fail;
	}
	step = "capset";
	rc = caps_set(keep);
	if (rc)
		goto fail;
	step = "ambient set";
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		rc = -errno;
		goto fail;
	}
	step = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		rc = -errno;
		goto fail;
	}
	rc = caps_get(&eff, &prm);
	if (rc || eff != keep || prm != keep) {
		step = "checking the result";
		rc = rc ?: -EPERM;
		goto fail;
	}
	xwd_priv_caps_fmt(keep, keep_s, sizeof(keep_s));
	if (root) {
		pr_info("privileges: running as user %s (uid %u, gid %u), capabilities kept: %s",
			u->name, (unsigned int)u->uid, (unsigned int)u->gid, keep_s);
	} else {
		struct passwd *pw = getpwuid(getuid());

		pr_info("privileges: started as user %s (uid %u): capabilities kept: %s",
			pw ? pw->pw_name : "?", (unsigned int)getuid(), keep_s);
	}
	if (caps & ~keep)
		pr_warn("privileges: missing %s (started with %s): what needs it will fail "
			"(README: Security)",
			xwd_priv_caps_fmt(caps & ~keep, miss_s, sizeof(miss_s)),
			xwd_priv_caps_fmt(had, have_s, sizeof(have_s)));
	return 0;
fail:
	pr_err("privileges: %s: %s: not running with more privileges than needed, stopping", step,
	       strerror(-rc));
	return rc;
}
