// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwampd: the TWAMP server (RFC 5357): TWAMP-Control server and userspace
 * Session-Reflector in one process and one epoll loop (no fork per session,
 * no SIGALRM).  With --xdp IFNAME the XDP program reflects the test packets
 * of unauthenticated sessions on that interface (xdp.c); each session's UDP
 * socket (refl.c) answers whatever does not pass through it.
 *
 * Run (always in the foreground, logs to stderr):
 *
 *   build/xwampd                                   # [::]:862 and 0.0.0.0:862, open mode
 *   build/xwampd --listen 127.0.0.1:8620 -v        # loopback smoke test
 *   build/xwampd --listen 127.0.0.1:8620 --keyfile keys.pfs --modes open,auth,enc,mixed \
 *                --port-range 9000-9999 --servwait 60 --refwait 60 --pidfile /run/xwampd.pid
 *
 * Smoke test by hand (the Server Greeting is 64 octets: Modes at offset 12,
 * Count at 48):
 *
 *   build/xwampd --listen 127.0.0.1:8620 -v &
 *   python3 -c 'import socket; s=socket.create_connection(("127.0.0.1",8620)); \
 *               print(s.recv(64).hex())'
 *   kill -USR1 %1     # status: connections and per-session counters
 *   kill %1           # SIGTERM: every session stopped, every connection closed
 *
 * Configuration: the file (--config, default XWD_CONFIG_DEFAULT; one "name
 * value" line per long option, RFC 8913 YANG names as aliases), then the
 * command line over it; --check-config prints the effective one.
 *
 * Signals: SIGINT/SIGTERM clean shutdown, SIGUSR1 status lines, SIGHUP
 * reloads the configuration file (what can change at run time: reload_cfg()),
 * the key file and the RFC 7717 key sources.  Each
 * refused or failed connection, each session and each dropped test packet
 * (rate-limited) gets a log line naming the peer.  Options: --help.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ikesrc.h"
#include "sadsrc.h"
#include "httpm.h"
#include "keys.h"
#include "keywork.h"
#include "log.h"
#include "modes.h"
#include "notify.h"
#include "opts.h"
#include "priv.h"
#include "xwamp/bpf_shared.h"
#include "xwamp/ntp.h"
#include "xfrm.h"
#include "owsess.h"
#include "xwampd.h"

#define XWD_DEFAULT_SETUP_TIMEOUT_S	 30
#define XWD_DEFAULT_MAX_CONNS		 256
#define XWD_DEFAULT_MAX_CONNS_PER_CLIENT 16
#define XWD_DEFAULT_MAX_SESSIONS	 16
/*
 * Reflector sessions of all connections together.  Each holds a socket, so
 * with the 256 control connections this stays under the usual 1024-file
 * soft limit; far more than a measurement host serves at once.
 */
#define XWD_DEFAULT_MAX_SESSIONS_TOTAL	 512
/*
 * From Accept-Session to Start-Sessions / Start-N-Sessions.  A client sends
 * Start right after its last Accept-Session: even 16 requests over a
 * 1-second satellite round trip take ~17 s.  60 s leaves room for that and
 * for a slow key derivation, and bounds how long a client that never starts
 * holds reflector ports (SERVWAIT alone would allow 900 s, renewed by every
 * byte it sends).
 */
#define XWD_DEFAULT_START_TIMEOUT_S	 60
/* RFC 4656 3.1: Count >= 1024, a power of 2, "SHOULD be increased as more
 * computing power becomes common"; perfSONAR uses 2048. */
#define XWD_DEFAULT_COUNT		 2048
/*
 * RFC 5357 3.5/3.8 let the client choose Timeout, the time a session goes on
 * reflecting after Stop-Sessions, with no upper bound; each such session
 * holds its socket and buffers until then, also after its connection ended.
 * The reference client asks for 2 s.
 */
#define XWD_DEFAULT_MAX_TIMEOUT		 60

#ifndef XWD_CONFIG_DEFAULT
#define XWD_CONFIG_DEFAULT "/etc/xwamp/xwampd.conf"
#endif

/* --- options --------------------------------------------------------------- */

static int opt_owamp_listen(void *cfgp, const char *arg)
{
	struct xwd_cfg *cfg = cfgp;

	if (cfg->now_listen >= XWD_MAX_LISTEN)
		return -E2BIG;
	return xw_addr_parse(arg, XW_PORT_OWAMP, false, &cfg->ow_listen[cfg->now_listen++]);
}

static int opt_listen(void *cfgp, const char *arg)
{
	struct xwd_cfg *cfg = cfgp;

	if (cfg->nlisten >= XWD_MAX_LISTEN)
		return -E2BIG;
	return xw_addr_parse(arg, XW_PORT_TWAMP, false, &cfg->listen[cfg->nlisten++]);
}

/* "open,auth,enc,mixed,individual,reflect-octets,symmetric", letters or a number. */
static int opt_modes(void *cfgp, const char *arg)
{
	struct xwd_cfg *cfg = cfgp;
	uint32_t m;

	if (xw_modes_parse(arg, &m) || m > 127) {
		fprintf(stderr,
			"bad mode list '%s' (open, auth, enc, mixed, individual, "
			"reflect-octets, symmetric, all, or a number up to 127)\n",
			arg);
		return -EINVAL;
	}
	if (!(m & XW_MODE_SECURITY_MASK)) {
		fprintf(stderr, "--modes needs at least one of open, auth, enc, mixed\n");
		return -EINVAL;
	}
	cfg->modes = m;
	cfg->modes_set = true;
	return 0;
}

/*
 * The PBKDF2 Count (RFC 4656 3.1: a power of 2, at least 1024), or its
 * exponent 10..31 as RFC 8913's count leaf gives it (15 = 32768): no
 * Count is below 1024, so the two never overlap.
 */
static int opt_count(void *cfgp, const char *arg)
{
	struct xwd_cfg *cfg = cfgp;
	unsigned long v;

	if (xw_parse_uint(arg, 10, 1ul << 30, &v) || (v > 31 && v < 1024))
		return -EINVAL;
	if (v <= 31)
		v = 1ul << v;
	if (v & (v - 1)) {
		fprintf(stderr, "count %lu is not a power of 2 (RFC 4656 3.1)\n", v);
		return -EINVAL;
	}
	cfg->count = (unsigned int)v;
	return 0;
}

static int opt_port_range(void *cfgp, const char *arg)
{
	struct xwd_cfg *cfg = cfgp;
	unsigned long lo, hi;
	char buf[32], *dash;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	dash = strchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	if (xw_parse_uint(buf, 1, 65535, &lo) || xw_parse_uint(dash + 1, 1, 65535, &hi) || lo > hi)
		return -EINVAL;
	cfg->port_lo = (uint16_t)lo;
	cfg->port_hi = (uint16_t)hi;
	return 0;
}

static int opt_allow_sender(void *cfgp, const char *arg)
{
	struct xwd_cfg *cfg = cfgp;

	if (cfg->nallow >= XWD_MAX_ALLOW) {
		fprintf(stderr, "at most %d --allow-sender prefixes\n", XWD_MAX_ALLOW);
		return -E2BIG;
	}
	if (pol_prefix_parse(arg, &cfg->allow_sender[cfg->nallow])) {
		fprintf(stderr,
			"bad prefix '%s' (ADDR or ADDR/LEN with the host bits zero, e.g. "
			"198.51.100.0/24 or 2001:db8:1::/48)\n",
			arg);
		return -EINVAL;
	}
	cfg->nallow++;
	return 0;
}

static int opt_xdp(void *cfgp, const char *arg)
{
	return xwd_xdp_opt_if(&((struct xwd_cfg *)cfgp)->xdp, arg);
}

static int opt_light(void *cfgp, const char *arg)
{
	return xw_light_parse(arg, strlen(arg), "--light", &((struct xwd_cfg *)cfgp)->light);
}

static int opt_light_file(void *cfgp, const char *arg)
{
	return xw_light_load(arg, &((struct xwd_cfg *)cfgp)->light);
}

static int opt_xdp_mode(void *cfgp, const char *arg)
{
	return xwd_xdp_opt_mode(&((struct xwd_cfg *)cfgp)->xdp, arg);
}

#define CFG struct xwd_cfg
static const struct xw_opt xwd_opts[] = {
	XW_OPT_CB("listen", 'l', opt_listen, "ADDR[:PORT]",
		  "TWAMP-Control address, repeatable (default [::]:862 and 0.0.0.0:862)"),
	XW_OPT_CB("owamp-listen", 0, opt_owamp_listen, "ADDR[:PORT]",
		  "listen for OWAMP-Control here (repeatable; default: the --listen addresses "
		  "on port 861)"),
	XW_OPT_F("no-owamp", 0, XW_OPT_FLAG, CFG, no_owamp, NULL, "TWAMP only: no OWAMP listener"),
	XW_OPT_F("no-twamp", 0, XW_OPT_FLAG, CFG, no_twamp, NULL, "OWAMP only: no TWAMP listener"),
	XW_OPT_U("owamp-max-records", 0, CFG, ow_max_records, "N", 1, 100000000,
		 "OWAMP: records one stored session may hold (Number of Packets + duplicates; "
		 "Accept 4 beyond; default 1000000)"),
	XW_OPT_U("owamp-max-total", 0, CFG, ow_max_total, "N", 1, 1000000000,
		 "OWAMP: records stored over all sessions (Accept 4 beyond; default 4000000)"),
	XW_OPT_U("owamp-max-slots", 0, CFG, ow_max_slots, "N", 1, CODEC_OW_SLOTS_MAX,
		 "OWAMP: schedule slots a Request-Session may have (Accept 4 beyond; default "
		 "4096)"),
	XW_OPT_U("owamp-keep", 0, CFG, ow_keep, "S", 0, 604800,
		 "OWAMP: seconds a session's data stays fetchable after it ended (default 300)"),
	XW_OPT_F("owamp-ikev2", 0, XW_OPT_FLAG, CFG, ow_ikev2, NULL,
		 "OWAMP: offer RFC 7717's IKEv2-derived key bit too (a private arrangement for "
		 "OWAMP, RFC 7717 3; off by default)"),
	XW_OPT_F("keyfile", 'k', XW_OPT_STR, CFG, keyfile, "FILE",
		 "KeyID -> passphrase file for auth/enc/mixed modes"),
	XW_OPT_F("ike-keys", 0, XW_OPT_STR, CFG, ike_keys, "FILE",
		 "RFC 7717 key table (lines \"SPIi SPIr KEY\", README: RFC 7717): offer "
		 "IKEv2-derived keys"),
	XW_OPT_F("sa-profile", 0, XW_OPT_STR, CFG, sa_profile, "VARIANT",
		 "EXPERIMENTAL, not RFC 7717, never on by default: keys from the IPsec SA that "
		 "protects each client, read from the kernel SAD (needs CAP_NET_ADMIN and the "
		 "IPsec view) or charon (--sa-socket): keymat, alt1 or alt2 (README: IPsec SA "
		 "profile); clients must use the same"),
	XW_OPT_F("sa-socket", 0, XW_OPT_STR, CFG, sa_socket, "PATH",
		 "--sa-profile: the SA pairs and their keys (Child SA keys, SKEYSEED) from "
		 "strongSwan's charon through xwamp's plugin socket instead of the kernel SAD "
		 "(kernel-libipsec; README: IPsec SA profile)"),
	XW_OPT_F("sa-root", 0, XW_OPT_STR, CFG, sa_root_name, "ROOT",
		 "--sa-profile keymat/alt1: the root of the keys: ipsec (KEYMAT of the Child SA "
		 "pair, default) or ike (SKEYSEED of its IKE SA; needs --sa-socket); clients "
		 "must use the same"),
	XW_OPT_F("ike-socket", 0, XW_OPT_STR, CFG, ike_socket, "PATH",
		 "RFC 7717 keys from strongSwan's charon through xwamp's plugin socket (README: "
		 "strongSwan plugin; e.g. " XW_IKESOCK_PATH "): offer IKEv2-derived keys"),
	XW_OPT_CB(
		"modes", 'm', opt_modes, "LIST",
		"modes to offer: open,auth,enc,mixed,individual,reflect-octets,symmetric,all or a "
		"number (default: all with --keyfile, else open,individual,reflect-octets,"
		"symmetric)"),
	XW_OPT_CB("port-range", 'P', opt_port_range, "LO-HI",
		  "reflector UDP ports: the requested one if inside and free, else the next free "
		  "one (default: the requested port if >= 1024 and free on this host, else one the "
		  "kernel picks)"),
	XW_OPT_F("allow-low-ports", 0, XW_OPT_FLAG, CFG, allow_low_ports, NULL,
		 "allow reflector ports below 1024 (never by default)"),
	XW_OPT_CB("allow-sender", 0, opt_allow_sender, "PREFIX",
		  "also accept sessions whose Sender Address is in PREFIX (e.g. a sender behind "
		  "a NAT or a separate measurement host), repeatable; by default only the control "
		  "connection's peer (RFC 4656 6.2)"),
	XW_OPT_U("max-sessions-total", 0, CFG, max_sessions_total, "N", 0, 1000000,
		 "reflector sessions of all connections (default 512; 0 unlimited; Accept 5 "
		 "beyond)"),
	XW_OPT_U("start-timeout", 0, CFG, start_timeout, "S", 1, 86400,
		 "end a session accepted but not started within S s (default 60)"),
	XW_OPT_U("servwait", 0, CFG, servwait, "S", 0, 86400,
		 "close idle control connections after S s (RFC 5357 3.1; default 900; 0 off)"),
	XW_OPT_U("refwait", 0, CFG, refwait, "S", 0, 86400,
		 "stop a started session with no test packet for S s (RFC 5357 4.2); OWAMP: close "
		 "a connection with no Stop-Sessions S s after its sessions are complete (RFC 4656 "
		 "3, 3.8); default 900"),
	XW_OPT_U("max-timeout", 0, CFG, max_timeout, "S", 0, 86400,
		 "reflect at most S s after Stop-Sessions, whatever Timeout a session asked for "
		 "(RFC 5357 3.8; default 60)"),
	XW_OPT_U("setup-timeout", 0, CFG, setup_timeout, "S", 1, 3600,
		 "close connections without Set-Up-Response after S s (default 30)"),
	XW_OPT_U("max-conns", 0, CFG, max_conns, "N", 0, 1000000,
		 "control connections in total (default 256; 0 unlimited)"),
	XW_OPT_U("max-conns-per-client", 0, CFG, max_conns_per_client, "N", 0, 1000000,
		 "control connections per client address (default 16; 0 unlimited)"),
	XW_OPT_U("max-sessions", 0, CFG, max_sessions, "N", 0, 1000000,
		 "test sessions per control connection (default 16; 0 unlimited)"),
	XW_OPT_CB("count", 0, opt_count, "N",
		  "PBKDF2 Count in the Server Greeting, power of 2 >= 1024, or its exponent 10..30 "
		  "as RFC 8913 gives it (default 2048)"),
	XW_OPT_CB(
		"xdp", 0, opt_xdp, "IFNAME",
		"reflect unauthenticated test packets in XDP on IFNAME, repeatable (README: XDP)"),
	XW_OPT_CB("light", 0, opt_light, "SPEC",
		  "TWAMP Light reflector (RFC 5357 Appendix I), repeatable: 'port=P[-Q] "
		  "[local=ADDR|*] [sender=ADDR|*] [sender-port=P|*] [length=N] [symmetric] "
		  "[reflect=N] [dscp=N]' (README: TWAMP Light)"),
	XW_OPT_CB("light-file", 0, opt_light_file, "FILE",
		  "TWAMP Light sessions, one SPEC per line"),
	XW_OPT_CB("xdp-mode", 0, opt_xdp_mode, "MODE",
		  "auto (native, else generic; default), native or generic"),
	XW_OPT_F("bpf-dir", 0, XW_OPT_STR, CFG, xdp.pin_dir, "DIR",
		 "pin the BPF maps and program here (default " XWD_XDP_DEFAULT_DIR ")"),
	XW_OPT_F("no-afxdp", 0, XW_OPT_FLAG, CFG, no_afxdp, NULL,
		 "no AF_XDP sockets on the --xdp interfaces: authenticated and encrypted sessions "
		 "are answered by their UDP sockets (README: AF_XDP)"),
	XW_OPT_F("no-sk-lookup", 0, XW_OPT_FLAG, CFG, no_sk_lookup, NULL,
		 "read each session's datagrams from its own socket, without the sk_lookup program "
		 "that steers every session's to one socket per address family (README: Scale)"),
	XW_OPT_F("xfrm", 0, XW_OPT_FLAG, CFG, xfrm, NULL,
		 "follow the kernel's IPsec SAs and policies (xfrm netlink): log SA rekey, expiry, "
		 "deletion, and for each session whether IPsec protects its test flow; implied by "
		 "--xdp (README: IPsec)"),
	XW_OPT_F(
		"require-ipsec", 0, XW_OPT_FLAG, CFG, require_ipsec, NULL,
		"accept open and mixed mode sessions only when IPsec with integrity protects their "
		"test flow (else Accept 3; 5 while the SA is missing); implies --xfrm"),
	XW_OPT_F(
		"xfrm-dump", 0, XW_OPT_FLAG, CFG, xfrm_dump, NULL,
		"print the kernel's SAs (without keys) and policies as xwampd sees them, and exit"),
	XW_OPT_F("verbose", 'v', XW_OPT_COUNT, CFG, verbose, NULL, "debug messages"),
	XW_OPT_F("quiet", 'q', XW_OPT_FLAG, CFG, quiet, NULL, "warnings and errors only"),
	XW_OPT_F("foreground", 'f', XW_OPT_FLAG, CFG, foreground, NULL,
		 "accepted for compatibility: xwampd always runs in the foreground"),
	XW_OPT_F("metrics", 0, XW_OPT_STR, CFG, metrics, "ADDR:PORT",
		 "serve Prometheus metrics on http://ADDR:PORT/metrics (off by default; whoever "
		 "reaches the address reads the counters: bind a management address)"),
	XW_OPT_F("pidfile", 'p', XW_OPT_STR, CFG, pidfile, "FILE",
		 "write the process id to FILE (a symbolic link there is refused)"),
	XW_OPT_F("user", 0, XW_OPT_STR, CFG, user, "NAME",
		 "after start-up run as NAME with only the capabilities still needed (default: "
		 "user " XWD_USER_DEFAULT " if it exists, else " XWD_USER_FALLBACK
		 "; root keeps root; README: Security)"),
	XW_OPT_F("config", 'c', XW_OPT_STR, CFG, config, "FILE",
		 "configuration file: one \"name value\" line per long option, the command line "
		 "overrides it (default " XWD_CONFIG_DEFAULT ", if it exists; README: "
		 "Configuration)"),
	XW_OPT_F("check-config", 0, XW_OPT_FLAG, CFG, check_config, NULL,
		 "check the configuration file and the command line, print the effective "
		 "configuration and exit (0 valid, 2 not)"),
	XW_OPT_LAST,
};
#undef CFG

/* RFC 8913's YANG leaves (twamp/server, twamp/session-reflector) where they differ. */
static const struct xw_opt_alias xwd_aliases[] = {
	{"server-modes", "modes"},
	{NULL, NULL},
};

static const char *const xwd_cmdline_only[] = {"check-config", "xfrm-dump", NULL};

static const struct xw_opts_conf xwd_conf = {
	.tbl = xwd_opts,
	.aliases = xwd_aliases,
	.file_opt = "config",
	.default_file = XWD_CONFIG_DEFAULT,
	.cmdline_only = xwd_cmdline_only,
};

/*
 * What SIGHUP changes in a running xwampd: the values read per connection
 * or per session.  Every other option (listeners, interfaces, key sources,
 * modes, the user...) needs a restart, and a reload says so; an option added
 * to the table later needs a restart until it is listed here.
 */
#define RELOADABLE(name, field)                                                             \
	{                                                                                   \
		name, offsetof(struct xwd_cfg, field), sizeof(((struct xwd_cfg *)0)->field) \
	}
static const struct {
	const char *name;
	size_t off, size;
} xwd_reloadable[] = {
	RELOADABLE("servwait", servwait),
	RELOADABLE("refwait", refwait),
	RELOADABLE("max-timeout", max_timeout),
	RELOADABLE("setup-timeout", setup_timeout),
	RELOADABLE("max-conns", max_conns),
	RELOADABLE("max-conns-per-client", max_conns_per_client),
	RELOADABLE("max-sessions", max_sessions),
	RELOADABLE("max-sessions-total", max_sessions_total),
	RELOADABLE("start-timeout", start_timeout),
	RELOADABLE("count", count),
	RELOADABLE("verbose", verbose),
	RELOADABLE("quiet", quiet),
};
#undef RELOADABLE

/* The running configuration, for SIGHUP: the command line stays over the file. */
static struct {
	int argc;
	char **argv;
	struct xwd_cfg *cfg;	/* main()'s */
	struct xw_opts_src src; /* owns the strings cfg points to: kept to the end */
} live;

static int cfg_parse(struct xwd_cfg *cfg, int argc, char **argv, struct xw_opts_src *src)
{
	int rc, first;

	memset(cfg, 0, sizeof(*cfg));
	cfg->servwait = XW_SERVWAIT_DEFAULT_S;
	cfg->refwait = XW_REFWAIT_DEFAULT_S;
	cfg->max_timeout = XWD_DEFAULT_MAX_TIMEOUT;
	cfg->setup_timeout = XWD_DEFAULT_SETUP_TIMEOUT_S;
	cfg->max_conns = XWD_DEFAULT_MAX_CONNS;
	cfg->max_conns_per_client = XWD_DEFAULT_MAX_CONNS_PER_CLIENT;
	cfg->max_sessions = XWD_DEFAULT_MAX_SESSIONS;
	cfg->max_sessions_total = XWD_DEFAULT_MAX_SESSIONS_TOTAL;
	cfg->start_timeout = XWD_DEFAULT_START_TIMEOUT_S;
	cfg->count = XWD_DEFAULT_COUNT;
	cfg->ow_max_records = 1000000;
	cfg->ow_max_slots = SRV_OW_SLOTS_DEFAULT;
	cfg->ow_max_total = 4000000;
	cfg->ow_keep = 300;

	rc = xw_opts_load(&xwd_conf, argc, argv, cfg, src, &first);
	if (rc)
		return rc;
	if (first < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (try --help)\n", argv[0],
			argv[first]);
		return -EINVAL;
	}
	if (cfg->port_lo && cfg->port_lo < 1024 && !cfg->allow_low_ports) {
		fprintf(stderr,
			"%s: --port-range %u-%u includes privileged ports (< 1024): add "
			"--allow-low-ports if that is meant\n",
			argv[0], cfg->port_lo, cfg->port_hi);
		return -EINVAL;
	}
	if (cfg->sa_profile) {
		const char *why = "";

		cfg->sa_variant = xw_sa_variant_by_name(cfg->sa_profile);
		if (!cfg->sa_variant || cfg->keyfile || cfg->ike_keys || cfg->ike_socket) {
			fprintf(stderr,
				"%s: --sa-profile takes keymat, alt1 or alt2, and goes with "
				"neither "
				"--keyfile nor --ike-keys/--ike-socket\n",
				argv[0]);
			return -EINVAL;
		}
		if (xw_sa_root_opt(cfg->sa_root_name, cfg->sa_variant, cfg->sa_socket,
				   &cfg->sa_root, &why)) {
			fprintf(stderr, "%s: %s\n", argv[0], why);
			return -EINVAL;
		}
		/* the greeting names the SA pair the view shows (with --sa-socket: charon's) */
		if (!cfg->sa_socket)
			cfg->xfrm = true;
	} else if (cfg->sa_socket || cfg->sa_root_name) {
		fprintf(stderr, "%s: --sa-socket and --sa-root go with --sa-profile\n", argv[0]);
		return -EINVAL;
	}
	if (!cfg->modes_set) {
		cfg->modes =
			XW_MODE_OPEN | XW_MODE_INDIV_SESS | XW_MODE_REFLECT_OCT | XW_MODE_SYMMETRIC;
		if (cfg->sa_profile)
			cfg->modes &= ~(uint32_t)XW_MODE_OPEN;
		if (cfg->keyfile || cfg->ike_keys || cfg->ike_socket || cfg->sa_profile)
			cfg->modes |= XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED;
	}
	if ((cfg->modes & (XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED)) && !cfg->keyfile &&
	    !cfg->ike_keys && !cfg->ike_socket && !cfg->sa_profile) {
		fprintf(stderr,
			"%s: authenticated, encrypted and mixed modes need --keyfile or "
			"--ike-keys or --ike-socket\n",
			argv[0]);
		return -EINVAL;
	}
	if ((cfg->ike_keys || cfg->ike_socket) &&
	    !(cfg->modes & (XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED))) {
		/* RFC 7717 5.1: the derived key serves the keyed modes only */
		fprintf(stderr, "%s: --ike-keys/--ike-socket need auth, enc or mixed in --modes\n",
			argv[0]);
		return -EINVAL;
	}
	if (cfg->require_ipsec)
		cfg->xfrm = true;
	/*
	 * Safe by default: XDP must know which flows IPsec applies to, so --xdp
	 * follows the IPsec view too (README "IPsec view"); without xfrm
	 * netlink it goes on as before, with a warning.
	 */
	cfg->xfrm_by_xdp = !cfg->xfrm && cfg->xdp.nifs;
	if (cfg->xfrm_by_xdp)
		cfg->xfrm = true;
	if (cfg->no_owamp && cfg->no_twamp) {
		fprintf(stderr, "%s: --no-owamp and --no-twamp leave nothing to serve\n", argv[0]);
		return -EINVAL;
	}
	if (!cfg->nlisten) {
		xw_addr_any(&cfg->listen[0], AF_INET6, XW_PORT_TWAMP);
		xw_addr_any(&cfg->listen[1], AF_INET, XW_PORT_TWAMP);
		cfg->nlisten = 2;
	}
	if (!cfg->now_listen) {
		/* the TWAMP addresses, on OWAMP's port (RFC 8545) */
		unsigned int i;

		for (i = 0; i < cfg->nlisten; i++) {
			cfg->ow_listen[i] = cfg->listen[i];
			xw_addr_set_port(&cfg->ow_listen[i], XW_PORT_OWAMP);
		}
		cfg->now_listen = cfg->nlisten;
		cfg->ow_listen_default = true;
	}
	return 0;
}

static void log_level_set(const struct xwd_cfg *cfg)
{
	if (cfg->quiet)
		xw_log_set_level(XW_LOG_WARN);
	else if (cfg->verbose)
		xw_log_set_level(XW_LOG_DEBUG);
	else
		xw_log_set_level(XW_LOG_INFO);
}

/*
 * SIGHUP: read the file again (the command line still over it) into a new
 * configuration.  Any error: nothing changes.  Else each value that differs
 * from the running one is applied when it can be (xwd_reloadable: new
 * connections and sessions see it) or logged as needing a restart.
 */
static void reload_cfg(void)
{
	struct xw_opts_src ns = {0};
	struct xwd_cfg nc;
	char was[512], now[512];
	unsigned int i, k, napplied = 0, nrestart = 0;
	const char *file = live.src.file ? live.src.file : xwd_conf.default_file;

	if (cfg_parse(&nc, live.argc, live.argv, &ns)) {
		pr_err("configuration %s: not reloaded (error above): the running configuration "
		       "stays in force",
		       ns.file ? ns.file : file);
		xw_opts_src_free(&ns);
		return;
	}
	for (i = 0; xwd_opts[i].type != XW_OPT_END; i++) {
		const struct xw_opt *o = &xwd_opts[i];

		if (!strcmp(o->name, "config") || !strcmp(o->name, "check-config"))
			continue;
		xw_opts_value(xwd_opts, i, live.cfg, &live.src, was, sizeof(was));
		xw_opts_value(xwd_opts, i, &nc, &ns, now, sizeof(now));
		for (k = 0; k < sizeof(xwd_reloadable) / sizeof(xwd_reloadable[0]); k++)
			if (!strcmp(xwd_reloadable[k].name, o->name))
				break;
		if (k < sizeof(xwd_reloadable) / sizeof(xwd_reloadable[0])) {
			char *dst = (char *)live.cfg + xwd_reloadable[k].off;
			const char *val = (const char *)&nc + xwd_reloadable[k].off;

			if (!memcmp(dst, val, xwd_reloadable[k].size))
				continue;
			memcpy(dst, val, xwd_reloadable[k].size);
			pr_info("configuration: %s %s%s (applied)", o->name,
				now[0] ? "" : "default ",
				now[0] ? now : (o->type == XW_OPT_UINT ? "" : "value"));
			napplied++;
			continue;
		}
		if (!strcmp(was, now))
			continue;
		pr_warn("configuration: %s changed from '%s' to '%s': needs a restart, the running "
			"value stays",
			o->name, was, now);
		nrestart++;
	}
	log_level_set(live.cfg);
	pr_info("configuration %s reloaded: %u change(s) applied, %u need a restart",
		ns.file ? ns.file : "(none)", napplied, nrestart);
	xw_opts_src_free(&ns);
}

/* --- signals, pid file ----------------------------------------------------- */

static void sig_event(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct xwd *d = io->arg;
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGINT:
		case SIGTERM:
			pr_info("signal %u: shutting down", si.ssi_signo);
			d->shutting_down = true;
			xw_notify("STOPPING=1");
			xw_loop_stop(l);
			break;
		case SIGHUP:
			/* configuration, key file and RFC 7717 key sources; live
			 * connections keep their keys and limits */
			pr_info("signal %u: reloading the configuration and the keys",
				si.ssi_signo);
			xw_notify("RELOADING=1");
			reload_cfg();
			if (d->keywork)
				xwd_keywork_reload(d->keywork); /* the worker owns the keys */
			else
				xwd_keys_reload(d->keys);
			xw_notify("READY=1");
			break;
		case SIGUSR1:
			xwd_conn_status(d);
			xwd_refl_status(d);
			xwd_ows_status(d);
			xwd_xdp_status(d->xdp);
			xwd_light_status(d->light);
			xwd_xsk_status(d->xsk);
			xwd_xfrm_status(d->xfrm);
			break;
		default:
			break;
		}
	}
}

/* The xfrm view changed: every unauthenticated flow's path again (README "IPsec view"). */
static void ipsec_changed(void *arg)
{
	struct xwd *d = arg;

	xwd_refl_ipsec_changed(d);
	xwd_light_ipsec_changed(d->light);
	xwd_ows_ipsec_changed(d);
}

static int signals_setup(struct xwd *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	return xw_loop_add(&d->loop, &d->sig_io, d->sigfd, EPOLLIN, sig_event, d);
}

/*
 * The pid file, opened without following a symbolic link in its last
 * component (O_NOFOLLOW: a link planted there would make root write through
 * it), and only when it is a regular file of ours with a single name (not a
 * hard link to someone else's file).  An existing one (a crashed xwampd's,
 * or emptied at our last exit) is reused.  The fd stays open so that the
 * file can be emptied at exit when, privileges dropped, it cannot be
 * removed.  fd or -errno after a log line.
 */
static int pidfile_write(const char *path)
{
	struct stat st;
	char buf[32];
	int fd, n, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP)
			pr_err("pid file %s: is a symbolic link: refusing to write through it",
			       path);
		else
			pr_err("pid file %s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		pr_err("pid file %s: %s", path, strerror(-rc));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid()) {
		pr_err("pid file %s: not a regular file of ours with one name (mode %04o, uid %u, "
		       "%u links): refusing it",
		       path, (unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid,
		       (unsigned int)st.st_nlink);
		rc = -EPERM;
		goto fail;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || write(fd, buf, (size_t)n) != n) {
		rc = errno ? -errno : -EIO;
		pr_err("pid file %s: %s", path, strerror(-rc));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return rc;
}

/* At exit: remove it, or empty it when the directory is not ours (any more). */
static void pidfile_remove(const char *path, int fd)
{
	if (fd < 0)
		return;
	if (unlink(path)) {
		int e = errno;

		if (ftruncate(fd, 0))
			pr_warn("pid file %s: cannot remove (%s) nor empty it", path, strerror(e));
		else
			pr_info("pid file %s: emptied, not removed (%s)", path, strerror(e));
	}
	close(fd);
}

/*
 * After start-up: the unprivileged user (priv.h), keeping only what the
 * run-time code paths use.  The pin directory becomes the user's so that
 * pins can still be added (an instance loaded later) and removed at exit.
 */
static int privileges_plan(const struct xwd_cfg *cfg, struct xwd_priv_user *u)
{
	int rc;

	memset(u, 0, sizeof(*u));
	if (geteuid() == 0)
		return xwd_priv_resolve(cfg->user, u);
	if (!cfg->user)
		return 0;
	rc = xwd_priv_resolve(cfg->user, u);
	if (!rc && u->uid != getuid()) {
		pr_err("--user %s: only root can change user (running as uid %u)", cfg->user,
		       (unsigned int)getuid());
		rc = -EPERM;
	}
	u->keep_root = false;
	return rc;
}

/* An interface attached at run time: AF_XDP sockets on it too (xsk.h). */
static void xsk_reattach(void *arg)
{
	struct xwd *d = arg;
	int rc = xwd_xsk_restart(d);

	if (rc)
		pr_warn("afxdp: reopening the sockets: %s: authenticated sessions use their UDP "
			"sockets",
			strerror(-rc));
}

/* The BPF maps written at run time still writable (priv.h: CAP_BPF before 6.5). */
static int bpf_probe(void *arg)
{
	struct xwd *d = arg;
	int rc = d->xdp ? xwd_xdp_probe(d->xdp) : 0;

	return rc ?: d->steer ? xwd_steer_probe(d->steer) : 0;
}

static int privileges_drop(struct xwd *d, const struct xwd_priv_user *u)
{
	const struct xwd_cfg *cfg = d->cfg;
	struct xwd_priv_need need = {
		.xdp = d->xdp != NULL,
		.xfrm = d->xfrm != NULL,
		.afxdp = d->xdp && xwd_xsk_wanted(cfg),
		/* --allow-low-ports alone: requested ports below 1024 */
		.port_lo = cfg->allow_low_ports && !cfg->port_lo ? 1 : cfg->port_lo,
	};
	const char *files[3] = {cfg->keyfile, cfg->ike_keys, live.src.file};
	struct rlimit ml;
	unsigned int i;
	int rc, fd;

	need.afxdp_lock = getrlimit(RLIMIT_MEMLOCK, &ml) || ml.rlim_cur != RLIM_INFINITY;
	/* every BPF program loaded while we may; the pin directory becomes the user's */
	if (d->xdp && !u->keep_root)
		xwd_xdp_give(d->xdp, geteuid() == 0 ? u->uid : geteuid(),
			     geteuid() == 0 ? u->gid : getegid());
	rc = xwd_priv_drop_probe(u, xwd_priv_caps(&need), d->xdp || d->steer ? 1ull << CAP_BPF : 0,
				 bpf_probe, d);
	if (rc || u->keep_root)
		return rc;
	/* SIGHUP and the IKE table's change check re-read these as this user */
	for (i = 0; i < 3; i++) {
		if (!files[i])
			continue;
		fd = open(files[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			pr_warn("privileges: %s is not readable by uid %u (%s): a reload (SIGHUP, "
				"change) will keep what was read at start; chown it to that user",
				files[i], (unsigned int)getuid(), strerror(errno));
		else
			close(fd);
	}
	return 0;
}

/*
 * Every control connection and every reflector session holds a descriptor:
 * with the limits at their defaults (256 + 512) the usual soft limit of 1024
 * suffices, larger ones need more.  Raise the soft limit towards the hard
 * one (no privilege needed), and say so when even that is short: then
 * accept() and session set-up fail before --max-conns and
 * --max-sessions-total refuse cleanly.
 */
static void fd_limit_check(const struct xwd_cfg *cfg)
{
	const rlim_t spare = 64; /* listeners, epoll, signalfd, BPF maps, AF_XDP, netlink */
	rlim_t need = (rlim_t)cfg->max_conns + cfg->max_sessions_total + spare;
	struct rlimit rl;

	if (!cfg->max_conns || !cfg->max_sessions_total || getrlimit(RLIMIT_NOFILE, &rl) ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > rl.rlim_cur) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur =
			rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
		if (!setrlimit(RLIMIT_NOFILE, &rl))
			pr_info("limits: open files soft limit raised from %llu to %llu",
				(unsigned long long)was, (unsigned long long)rl.rlim_cur);
		else if (getrlimit(RLIMIT_NOFILE, &rl))
			return;
	}
	if (rl.rlim_cur < need)
		pr_warn("limits: --max-conns %u and --max-sessions-total %u need about %llu open "
			"files, the limit is %llu (ulimit -n): lower them or raise it",
			cfg->max_conns, cfg->max_sessions_total, (unsigned long long)need,
			(unsigned long long)rl.rlim_cur);
}

/* --- listeners ------------------------------------------------------------- */

static int listeners_open_proto(struct xwd *d, enum srv_proto proto)
{
	const struct xwd_cfg *cfg = d->cfg;
	bool ow = proto == SRV_PROTO_OWAMP;
	const struct xw_addr *addrs = ow ? cfg->ow_listen : cfg->listen;
	unsigned int i, n = ow ? cfg->now_listen : cfg->nlisten;
	char a[XW_ADDRSTRLEN];
	int fd, rc;

	for (i = 0; i < n; i++) {
		struct xwd_listener *ls = &d->lst[d->nlst];

		if (d->nlst >= 2 * XWD_MAX_LISTEN)
			return -E2BIG;
		xw_addr_fmt(&addrs[i], true, a, sizeof(a));
		fd = xw_tcp_listen(&addrs[i], 128);
		if (fd < 0) {
			/* the default [::] on a host without IPv6 is not an error */
			if (fd == -EAFNOSUPPORT && n > 1) {
				pr_warn("listen %s: %s: skipped", a, strerror(-fd));
				continue;
			}
			/*
			 * OWAMP on by default: its port taken by another server, or
			 * privileged when we are not, is only a warning
			 */
			if (ow && cfg->ow_listen_default &&
			    (fd == -EADDRINUSE || fd == -EACCES || fd == -EPERM)) {
				pr_warn("listen %s: %s: no OWAMP there (--owamp-listen, "
					"--no-owamp)",
					a, strerror(-fd));
				continue;
			}
			if ((fd == -EACCES || fd == -EPERM) && xw_addr_port(&addrs[i]) < 1024)
				pr_err("listen %s: %s: a port below 1024 needs root or the "
				       "CAP_NET_BIND_SERVICE capability (start xwampd as root, or "
				       "give it that capability, or --listen ADDR:PORT with a port "
				       ">= 1024)",
				       a, strerror(-fd));
			else
				pr_err("listen %s: %s", a, strerror(-fd));
			return fd;
		}
		ls->proto = proto;
		ls->d = d;
		ls->fd = fd;
		xw_sock_local(fd, &ls->addr);
		xw_timer_init(&ls->resume, xwd_listener_resume, ls);
		rc = xw_loop_add(&d->loop, &ls->io, fd, EPOLLIN, xwd_listener_event, ls);
		if (rc) {
			close(fd);
			return rc;
		}
		d->nlst++;
		pr_info("listening for %s-Control on %s", ow ? "OWAMP" : "TWAMP",
			xw_addr_fmt(&ls->addr, true, a, sizeof(a)));
	}
	return 0;
}

static int listeners_open(struct xwd *d)
{
	int rc = 0;

	if (!d->cfg->no_twamp)
		rc = listeners_open_proto(d, SRV_PROTO_TWAMP);
	if (!rc && !d->cfg->no_owamp)
		rc = listeners_open_proto(d, SRV_PROTO_OWAMP);
	if (rc)
		return rc;
	return d->nlst ? 0 : -EADDRNOTAVAIL;
}

/* OWAMP session data past its keeping time (--owamp-keep) is freed. */
static void owstore_timer(struct xw_loop *l, struct xw_timer *t)
{
	struct xwd *d = t->arg;

	ow_store_expire(d->owstore, xw_clock_now_ns());
	xw_timer_arm(l, t, 10 * XW_NS_PER_SEC);
}

static void listeners_close(struct xwd *d)
{
	unsigned int i;

	for (i = 0; i < d->nlst; i++) {
		xw_timer_cancel(&d->loop, &d->lst[i].resume);
		xw_loop_del(&d->loop, &d->lst[i].io);
		close(d->lst[i].fd);
	}
	d->nlst = 0;
}

/* --- main ------------------------------------------------------------------ */

/* --check-config: the effective configuration, and the key file it names loads. */
static int check_config(const struct xwd_cfg *cfg)
{
	struct xwd_keys *k;
	int err = 0;

	if (cfg->keyfile) {
		k = xwd_keys_load(cfg->keyfile, &err);
		if (!k)
			return 2;
		xwd_keys_free(k);
	}
	xw_opts_dump(stdout, &xwd_conf, cfg, &live.src);
	return 0;
}

/*
 * The BPF maps' sizes from the limits (xdp.h): with --port-range the session
 * table covers the range and the TWAMP Light ports (one entry per port a
 * session can have: 104 octets each), without it every port.
 */
static void xdp_sizes(struct xwd_cfg *cfg)
{
	unsigned int lo = cfg->port_lo, hi = cfg->port_hi, k;

	for (k = 0; cfg->port_lo && k < cfg->light.nsess; k++) {
		if (cfg->light.sess[k].port_lo < lo)
			lo = cfg->light.sess[k].port_lo;
		if (cfg->light.sess[k].port_hi > hi)
			hi = cfg->light.sess[k].port_hi;
	}
	cfg->xdp.sess_lo = (uint16_t)lo;
	cfg->xdp.sess_hi = (uint16_t)hi;
	cfg->xdp.max_sessions = cfg->max_sessions_total;
}

int main(int argc, char **argv)
{
	struct xwd_cfg cfg;
	struct xwd d;
	struct xwd_priv_user user;
	char modes[96], pfx[64], ports[32];
	unsigned int i;
	int rc, err = 0, pid_fd = -1;

	xw_log_set_ident("xwampd");
	rc = cfg_parse(&cfg, argc, argv, &live.src);
	if (rc == XW_OPTS_HELP)
		return 0;
	if (rc)
		return 2;
	live.argc = argc;
	live.argv = argv;
	live.cfg = &cfg;
	log_level_set(&cfg);
	if (cfg.check_config)
		return check_config(&cfg);

	if (cfg.xfrm_dump)
		return xwd_xfrm_dump_main() ? 1 : 0;

	memset(&d, 0, sizeof(d));
	d.cfg = &cfg;
	d.sigfd = -1;
	rc = xw_loop_init(&d.loop);
	if (rc) {
		pr_err("epoll: %s", strerror(-rc));
		return 1;
	}
	rc = privileges_plan(&cfg, &user); /* who we become decides how XDP attaches */
	if (rc)
		goto out;
	/* the key table's owner is judged by who re-reads it after the drop */
	if (geteuid() == 0)
		xw_ike_table_run_as(user.keep_root ? 0 : user.uid);
	xw_clock_init(&d.clock);
	d.start_ntp = xw_clock_now_ntp();

	if (cfg.keyfile || cfg.ike_keys || cfg.ike_socket || cfg.sa_profile) {
		d.keys = xwd_keys_load(cfg.keyfile, &err);
		if (!d.keys) {
			rc = err;
			goto out;
		}
	}
	if (cfg.ike_keys) {
		struct xw_ike_source ike;
		struct xw_keysrc src;

		rc = xw_ike_table_source(cfg.ike_keys, &ike);
		if (!rc)
			rc = xw_keysrc_ike(&ike, &src);
		if (!rc)
			rc = xwd_keys_add(d.keys, &src);
		if (rc)
			goto out;
	}
	if (cfg.ike_socket) {
		struct xw_ike_source ike;
		struct xw_keysrc src;

		/* nothing connects yet: charon may start (or restart) later */
		rc = xw_ikesrc_source(cfg.ike_socket, &ike);
		if (!rc)
			rc = xw_keysrc_ike(&ike, &src);
		if (!rc)
			rc = xwd_keys_add(d.keys, &src);
		if (rc)
			goto out;
	}
	if (cfg.sa_profile) {
		struct xw_keysrc src;

		/*
		 * The kernel SAD, or instead the charon plugin (kernel-libipsec: no
		 * keys in the kernel): read in the key worker, one look-up per
		 * Set-Up-Response (and with charon one per connection for the greeting)
		 */
		rc = cfg.sa_socket ? xw_ikesrc_sa_source(cfg.sa_socket, &src)
				   : xw_sadsrc_source(&src);
		if (!rc)
			rc = xwd_keys_add(d.keys, &src);
		if (rc)
			goto out;
		pr_warn("IPsec SA profile %s, root %s, keys from %s (EXPERIMENTAL, the 2013 draft, "
			"not RFC 7717): every client must speak it",
			xw_sa_variant_name(cfg.sa_variant), xw_sa_root_name(cfg.sa_root),
			cfg.sa_socket ? cfg.sa_socket : "the kernel SAD");
	}
	/* RFC 7717 5.2: IKEv2Derived in the greeting when a key source can answer */
	if (xwd_keys_have(d.keys, XW_KEYCLASS_IKE))
		cfg.modes |= XW_MODE_IKEV2_DERIV;
	rc = signals_setup(&d);
	if (rc) {
		pr_err("signals: %s", strerror(-rc));
		goto out;
	}
	if (cfg.xfrm) {
		d.xfrm = xwd_xfrm_open(&d.loop, false, &err);
		if (!d.xfrm && cfg.xfrm_by_xdp) {
			pr_warn("xfrm: no IPsec view (%s): XDP cannot tell the test flows IPsec "
				"protects and answers open sessions on every --xdp device",
				strerror(-err));
			cfg.xfrm = false;
		} else if (!d.xfrm) {
			rc = err;
			goto out;
		}
		if (d.xfrm)
			xwd_xfrm_on_change(d.xfrm, ipsec_changed, &d);
	}
	/*
	 * This host's addresses, for Light's local=* and the programs' checks.
	 * Not fatal: without them no wildcard local address is answered by XDP
	 * (the sockets still answer what the kernel gives them).
	 */
	if (xwd_own_open(&d.loop, &d.own))
		pr_warn("own addresses unknown: XDP answers no TWAMP Light local=* session");
	/* never fatal: where XDP cannot attach, sessions use their sockets */
	xdp_sizes(&cfg);
	cfg.xdp.in_tunnel = cfg.xfrm; /* the xfrm view picks in-tunnel devices (refl.c) */
	cfg.xdp.alone = !user.keep_root;
	rc = xwd_xdp_open(&cfg.xdp, &d.loop, &d.xdp);
	if (rc) {
		pr_err("xdp: %s", strerror(-rc));
		goto out;
	}
	if (d.xdp)
		xwd_own_set_map(d.own, xwd_xdp_own_addrs_fd(d.xdp));
	xwd_xdp_ow_handler(d.xdp, xwd_ows_xdp_event, &d); /* OWAMP receivers in XDP */
	/* never fatal either: without AF_XDP, authenticated sessions use their sockets */
	rc = xwd_xsk_start(&d);
	if (rc) {
		pr_err("afxdp: %s", strerror(-rc));
		goto out;
	}
	xwd_xdp_attach_handler(d.xdp, xsk_reattach, &d);
	/* never fatal: without it every session's socket is read on its own */
	if (!cfg.no_sk_lookup && !cfg.no_twamp) {
		rc = xwd_steer_open(xwd_refl_shared_rcvbuf(&cfg), &d.steer);
		rc = rc ?: xwd_refl_steer_start(&d);
		if (rc) {
			pr_err("socket path: %s", strerror(-rc));
			goto out;
		}
	}
	rc = xwd_light_open(&d, &cfg.light, &d.light);
	if (rc)
		goto out;
	{
		const struct ow_store_cfg oc = {
			.max_records = cfg.ow_max_records,
			.max_total = cfg.ow_max_total,
			.max_sessions = cfg.max_sessions_total ? cfg.max_sessions_total : 65536,
			.keep_ns = xwd_s_to_ns(cfg.ow_keep),
		};

		d.owstore = ow_store_new(&oc);
		if (!d.owstore) {
			rc = -ENOMEM;
			goto out;
		}
		xw_timer_init(&d.owstore_timer, owstore_timer, &d);
		xw_timer_arm(&d.loop, &d.owstore_timer, 10 * XW_NS_PER_SEC);
	}
	rc = listeners_open(&d);
	if (rc)
		goto out;
	if (cfg.metrics) {
		rc = xw_httpm_open(&d.loop, cfg.metrics, xwd_metrics_render, &d, &d.metrics);
		if (rc)
			goto out;
	}
	if (cfg.pidfile) {
		pid_fd = pidfile_write(cfg.pidfile);
		if (pid_fd < 0) {
			rc = pid_fd;
			goto out;
		}
	}
	fd_limit_check(&cfg);
	rc = privileges_drop(&d, &user);
	if (rc)
		goto out;
	/*
	 * After signals_setup(): the worker thread must not take the loop's
	 * signals.  After the drop: capabilities, the bounding set and
	 * no_new_privs are per thread, so a thread started before would keep
	 * what the main thread gave up.
	 */
	if (cfg.modes & (XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED)) {
		rc = xwd_keywork_start(&d.loop, d.keys, &d.keywork);
		if (rc) {
			pr_err("key worker: %s", strerror(-rc));
			goto out;
		}
	}
	snprintf(modes, sizeof(modes), "%s%s%s%s%s%s%s%s", cfg.modes & XW_MODE_OPEN ? " open" : "",
		 cfg.modes & XW_MODE_AUTH ? " auth" : "",
		 cfg.modes & XW_MODE_ENCRYPTED ? " enc" : "",
		 cfg.modes & XW_MODE_MIXED ? " mixed" : "",
		 cfg.modes & XW_MODE_INDIV_SESS ? " individual" : "",
		 cfg.modes & XW_MODE_REFLECT_OCT ? " reflect-octets" : "",
		 cfg.modes & XW_MODE_SYMMETRIC ? " symmetric" : "",
		 cfg.modes & XW_MODE_IKEV2_DERIV ? " ikev2-derived" : "");
	for (i = 0; i < cfg.nallow; i++)
		pr_info("policy: Sender Addresses in %s accepted besides the control peer "
			"(--allow-sender)",
			pol_prefix_fmt(&cfg.allow_sender[i], pfx, sizeof(pfx)));
	if (cfg.port_lo)
		snprintf(ports, sizeof(ports), "%u-%u", cfg.port_lo, cfg.port_hi);
	else
		snprintf(ports, sizeof(ports), "requested or ephemeral");
	pr_info("ready: modes%s (%u), SERVWAIT %u s, REFWAIT %u s, Timeout at most %u s, "
		"setup timeout %u s, start timeout %u s, max %u connections (%u per client), %u "
		"sessions per connection, %u in total, reflector ports %s%s, PBKDF2 Count %u",
		modes, cfg.modes, cfg.servwait, cfg.refwait, cfg.max_timeout, cfg.setup_timeout,
		cfg.start_timeout, cfg.max_conns, cfg.max_conns_per_client, cfg.max_sessions,
		cfg.max_sessions_total, ports, cfg.allow_low_ports ? " (< 1024 allowed)" : "",
		cfg.count);

	/* Type=notify: started only now, listeners bound and XDP attached */
	rc = xw_notify("READY=1\nSTATUS=serving TWAMP-Control");
	if (rc)
		pr_warn("service manager readiness ($NOTIFY_SOCKET): %s", strerror(-rc));

	rc = xw_loop_run(&d.loop);
	if (rc)
		pr_err("epoll_wait: %s", strerror(-rc));

	/* shutdown: no new connections, every session stopped, every connection closed */
	d.shutting_down = true;
	listeners_close(&d);
	xwd_conn_close_all(&d);
	xwd_refl_free_all(&d);
	xwd_ows_free_all(&d);
	pr_info("stopped");
out:
	pidfile_remove(cfg.pidfile, pid_fd);
	xw_httpm_close(d.metrics);
	d.metrics = NULL;
	listeners_close(&d);
	xwd_xsk_close(d.xsk);
	xwd_light_close(d.light);
	d.light = NULL;
	xwd_reg_free(&d.reg); /* every session is gone */
	xwd_own_set_map(d.own, -1);
	xwd_xdp_close(d.xdp); /* after the sessions: they clear their table entries */
	xwd_steer_close(d.steer);
	xwd_own_close(d.own);
	/* after the connections: they cancel their jobs */
	xwd_keywork_stop(d.keywork);
	xwd_keys_free(d.keys);
	xwd_xfrm_close(d.xfrm);
	if (d.sigfd >= 0) {
		xw_loop_del(&d.loop, &d.sig_io);
		close(d.sigfd);
	}
	xw_timer_cancel(&d.loop, &d.owstore_timer);
	ow_store_free(d.owstore);
	xw_loop_fini(&d.loop);
	return rc ? 1 : 0;
}
