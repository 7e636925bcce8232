// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwping's option table for the shared parser (loader/lib/opts.h).  Each
 * row names an option, where it goes in struct xwping_cfg (cfg.h) and its
 * help line; the parser and the usage text both come from it.  Cross-option
 * rules live in validate(), run once after parsing.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xwamp/proto.h"
#include "cfg.h"
#include "ikesock.h"
#include "modes.h"
#include "opts.h" /* loader/lib: the shared table parser */

const struct xwping_cfg xwping_defaults = {
	.family = AF_UNSPEC,
	.modes = XW_MODE_OPEN | XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED,
	.count = 100,
	.max_count = 32768, /* RFC 5357 6: the default maximum Count */
	.interval = 0.1,    /* the reference's default: exponential, mean 0.1 s */
	.schedule = XW_SCHED_POISSON,
	.padding = XWPING_PAD_AUTO,
	.dscp = 0,
	.reflect_octets = -1,
	.sessions = 1,
	.wait = 2.0, /* the reference's session timeout */
	.ctl_timeout = 30.0,
	.start_delay = 0.0,
	.live = -1,
	.bucket_width = 0.0001, /* the reference's default */
	.report_interval = 60,
};

/* Custom parsers: the shared table parser has no doubles or "was given" flags. */
static int parse_double(const char *arg, double min, double max, double *out)
{
	char *end;
	double v;

	if (!arg || !*arg)
		return -EINVAL;
	errno = 0;
	v = strtod(arg, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_interval(void *c, const char *arg)
{
	struct xwping_cfg *cfg = c;

	cfg->interval_given = true;
	return parse_double(arg, 0, 3600, &cfg->interval);
}

static int parse_wait(void *c, const char *arg)
{
	return parse_double(arg, 0, 3600, &((struct xwping_cfg *)c)->wait);
}

static int parse_timeout(void *c, const char *arg)
{
	return parse_double(arg, 0.001, 3600, &((struct xwping_cfg *)c)->ctl_timeout);
}

static int parse_start_delay(void *c, const char *arg)
{
	return parse_double(arg, 0, 3600, &((struct xwping_cfg *)c)->start_delay);
}

static int parse_report_interval(void *c, const char *arg)
{
	return parse_double(arg, 1, 86400, &((struct xwping_cfg *)c)->report_interval);
}

static int parse_bucket(void *c, const char *arg)
{
	struct xwping_cfg *cfg = c;

	return parse_double(arg, 1e-9, 1, &cfg->bucket_width);
}

static int parse_reflect(void *c, const char *arg)
{
	unsigned long v;

	if (xw_parse_uint(arg, 0, 65535, &v))
		return -EINVAL;
	((struct xwping_cfg *)c)->reflect_octets = (int)v;
	return 0;
}

static int parse_dscp(void *c, const char *arg)
{
	unsigned long v;

	if (xw_parse_uint(arg, 0, 63, &v))
		return -EINVAL;
	((struct xwping_cfg *)c)->dscp = (int)v;
	return 0;
}

static int parse_modes(void *c, const char *arg);

static int parse_live(void *c, const char *arg)
{
	((struct xwping_cfg *)c)->live = 1;
	return 0;
}

static int parse_no_live(void *c, const char *arg)
{
	((struct xwping_cfg *)c)->live = 0;
	return 0;
}
static int parse_family4(void *c, const char *arg);
static int parse_family6(void *c, const char *arg);
static int parse_schedule(void *c, const char *arg);
static int parse_padding(void *c, const char *arg);
static int parse_ports(void *c, const char *arg);
static int parse_seed(void *c, const char *arg);

#define CFG struct xwping_cfg

static const struct xw_opt opt_table[] = {
	XW_OPT_CB("mode", 'A', parse_modes, "MODES",
		  "allowed modes: open,auth,enc,mixed or letters OAEM; default: the strongest "
		  "offered (enc > auth > mixed > open), open only without a key (-u/-k or an "
		  "IKE key); give open here to allow falling back to it"),
	XW_OPT_U("max-count", 0, CFG, max_count, "N", 1024, 1u << 31,
		 "largest PBKDF2 Count accepted in the server's greeting (RFC 5357 6; default "
		 "32768)"),
	XW_OPT_F("keyid", 'u', XW_OPT_STR, CFG, keyid, "KEYID",
		 "KeyID (user name) for auth, enc and mixed modes"),
	XW_OPT_F("keyfile", 'k', XW_OPT_STR, CFG, keyfile, "FILE",
		 "key file: lines \"KEYID hexsecret\" (the reference's pfs format)"),
	XW_OPT_F("ike", 0, XW_OPT_FLAG, CFG, ike, NULL,
		 "use IKEv2-derived keys (RFC 7717) of the IKE SA with the server; warn when "
		 "falling back"),
	XW_OPT_F("ike-keys", 0, XW_OPT_STR, CFG, ike_keys, "FILE",
		 "RFC 7717 key table: lines \"SPIi SPIr KEY [PEER]\" (README: RFC 7717)"),
	XW_OPT_F("ike-socket", 0, XW_OPT_STR, CFG, ike_socket, "PATH",
		 "RFC 7717 keys from the charon plugin's socket (default " XW_IKESOCK_PATH
		 ", used when it is there)"),
	XW_OPT_F("sa-profile", 0, XW_OPT_STR, CFG, sa_profile, "VARIANT",
		 "EXPERIMENTAL, not RFC 7717: keys from the IPsec SA with the server, read from "
		 "the kernel SAD (CAP_NET_ADMIN): keymat, alt1 or alt2 (the 2013 draft's 4.1, "
		 "4.2.1, 4.2.2); the server must be started with the same (README: IPsec SA "
		 "profile)"),
	XW_OPT_F("sa-socket", 0, XW_OPT_STR, CFG, sa_socket, "PATH",
		 "--sa-profile: our SA pair with the server and its keys (Child SA keys, "
		 "SKEYSEED) from the charon plugin's socket instead of the kernel SAD "
		 "(kernel-libipsec)"),
	XW_OPT_F("sa-root", 0, XW_OPT_STR, CFG, sa_root_name, "ROOT",
		 "--sa-profile keymat/alt1: ipsec (KEYMAT of the Child SA pair, default) or ike "
		 "(SKEYSEED of its IKE SA; needs --sa-socket); as the server's"),
	XW_OPT_CB("ipv4", '4', parse_family4, NULL, "IPv4 only"),
	XW_OPT_CB("ipv6", '6', parse_family6, NULL, "IPv6 only"),
	XW_OPT_U("count", 'c', CFG, count, "N", 1, 10000000,
		 "test packets per session (default 100)"),
	XW_OPT_CB("interval", 'i', parse_interval, "S",
		  "seconds between packets: fixed (implies --schedule periodic), or the mean "
		  "with --schedule poisson (default 0.1)"),
	XW_OPT_CB("schedule", 0, parse_schedule, "KIND",
		  "poisson (exponential gaps, RFC 4656 3.6/5; default) or periodic"),
	XW_OPT_CB("seed", 0, parse_seed, "N", "seed of the Poisson schedule (default: random)"),
	XW_OPT_CB("padding", 's', parse_padding, "BYTES",
		  "Packet Padding (RFC 5357 4.1.2); default: same size both ways (27 open/mixed, "
		  "64 auth/enc)"),
	XW_OPT_CB("dscp", 'D', parse_dscp, "N",
		  "DSCP 0..63 of test packets, asked for in the Type-P Descriptor"),
	XW_OPT_F("symmetric", 0, XW_OPT_FLAG, CFG, symmetric, NULL,
		 "RFC 6038 Symmetrical Size, when the server offers it"),
	XW_OPT_CB("reflect-octets", 0, parse_reflect, "N",
		  "RFC 6038 Reflect Octets: N octets of padding reflected, when offered"),
	XW_OPT_U("sessions", 0, CFG, sessions, "N", 1, 64,
		 "test sessions, each on its own UDP port (default 1)"),
	XW_OPT_F("start-n", 0, XW_OPT_FLAG, CFG, start_n, NULL,
		 "use RFC 5938 Start-N-Sessions when the server offers it"),
	XW_OPT_F("light", 0, XW_OPT_FLAG, CFG, light, NULL,
		 "TWAMP Light (RFC 5357 Appendix I): no control connection, send the test "
		 "packets to HOST[:PORT] (UDP, default 862) of a statically configured reflector "
		 "(unauthenticated; --symmetric, --reflect-octets as configured there)"),
	XW_OPT_CB("wait", 'L', parse_wait, "S",
		  "wait for late replies after the last packet; also the session Timeout "
		  "(default 2)"),
	XW_OPT_CB("timeout", 0, parse_timeout, "S",
		  "wait at most this long for each server answer (default 30)"),
	XW_OPT_CB("start-delay", 'z', parse_start_delay, "S",
		  "delay from Start-Ack to the first packet (default 0)"),
	XW_OPT_CB("ports", 'P', parse_ports, "LO-HI",
		  "local UDP test ports (default: the kernel picks)"),
	XW_OPT_F("source", 'S', XW_OPT_STR, CFG, source, "ADDR",
		 "our address for the control connection and the test packets (numeric; "
		 "default: the kernel's choice for the route)"),
	XW_OPT_F("owamp", 'O', XW_OPT_FLAG, CFG, owamp, NULL,
		 "OWAMP (RFC 4656): one-way sessions with the server, port 861 unless given"),
	XW_OPT_F("to", 't', XW_OPT_FLAG, CFG, ow_to, NULL,
		 "OWAMP: only the session to the server (default: both directions)"),
	XW_OPT_F("from", 'f', XW_OPT_FLAG, CFG, ow_from, NULL,
		 "OWAMP: only the session from the server (default: both directions)"),
	XW_OPT_F("fetch", 0, XW_OPT_STR, CFG, ow_fetch, "SID",
		 "OWAMP: only fetch the data of a session the server received earlier (the SID "
		 "xwping printed, 32 hex digits), from this new connection"),
	XW_OPT_F("owamp-ikev2", 0, XW_OPT_FLAG, CFG, ow_ikev2, NULL,
		 "OWAMP: use an IKEv2-derived key (RFC 7717) when the server offers it; a "
		 "private arrangement for OWAMP (RFC 7717 3), off by default"),
	XW_OPT_F("json", 0, XW_OPT_FLAG, CFG, json, NULL, "results as JSON"),
	XW_OPT_F("per-packet", 0, XW_OPT_FLAG, CFG, per_packet, NULL,
		 "also one record per packet (text lines, or \"per_packet\" in --json)"),
	XW_OPT_F("raw", 'R', XW_OPT_FLAG, CFG, raw, NULL,
		 "one line per packet as twping -R prints it (16 fields: SSEQ STIME SS SERR "
		 "SRTIME SRS SRERR STTL RSEQ RSTIME RSS RSERR RTIME RS RERR RTTL), as the replies "
		 "arrive, lost packets at the end; with --json: --per-packet"),
	XW_OPT_F("machine", 'M', XW_OPT_FLAG, CFG, machine, NULL,
		 "the summary as twping -M prints it (SUMMARY 3.00 keys, <BUCKETS>), for "
		 "tools that parse the reference's output"),
	XW_OPT_CB("bucket-width", 'b', parse_bucket, "S",
		  "-M histogram bucket width in seconds (default 0.0001)"),
	XW_OPT_F("metrics", 0, XW_OPT_STR, CFG, metrics, "ADDR:PORT",
		 "serve Prometheus metrics of the run (with --continuous: of every target) on "
		 "http://ADDR:PORT/metrics (whoever reaches "
		 "the address reads them)"),
	XW_OPT_F("svg", 0, XW_OPT_STR, CFG, svg, "FILE",
		 "also draw the run into FILE as SVG, a panel per session (-O: per direction): "
		 "delay over time with the losses marked, and the delay distribution"),
	XW_OPT_F("continuous", 0, XW_OPT_FLAG, CFG, continuous, NULL,
		 "measure every target until stopped, like powstream: a session per "
		 "--report-interval, one JSON line each, back-off while a target is unreachable"),
	XW_OPT_CB("report-interval", 0, parse_report_interval, "S",
		  "--continuous: seconds of packets summarised per line (default 60)"),
	XW_OPT_F("targets", 0, XW_OPT_STR, CFG, targets, "FILE",
		 "--continuous: more targets, one HOST[:PORT] per line ('#' comments)"),
	XW_OPT_F("verbose", 'v', XW_OPT_COUNT, CFG, verbose, NULL, "more log (twice: debug)"),
	XW_OPT_F("quiet", 'q', XW_OPT_FLAG, CFG, quiet, NULL,
		 "only the final report on stdout, errors only on stderr"),
	XW_OPT_CB("live", 0, parse_live, NULL,
		  "a line per reply as it arrives (one per second above 10 packets/s), like "
		  "ping; the default on a terminal"),
	XW_OPT_CB("no-live", 0, parse_no_live, NULL, "no line per reply, even on a terminal"),
	XW_OPT_LAST,
};

/* "enc,auth" or the reference's letters "AEMO" (any order): security modes only. */
static int parse_modes(void *c, const char *arg)
{
	struct xwping_cfg *cfg = c;
	uint32_t m;

	if (xw_modes_parse(arg, &m) || !m || (m & ~XW_MODE_SECURITY_MASK)) {
		fprintf(stderr,
			"xwping: -A %s: the modes are open, auth, enc and mixed (a comma "
			"list, e.g. -A auth,enc) or the reference's letters O, A, E, M\n",
			arg);
		return -ECANCELED; /* said here: the parser adds nothing */
	}
	cfg->modes = m;
	cfg->modes_given = true;
	return 0;
}

static int parse_family4(void *c, const char *arg)
{
	struct xwping_cfg *cfg = c;
	cfg->family = AF_INET;
	return 0;
}

static int parse_family6(void *c, const char *arg)
{
	struct xwping_cfg *cfg = c;
	cfg->family = AF_INET6;
	return 0;
}

static int parse_schedule(void *c, const char *arg)
{
	struct xwping_cfg *cfg = c;
	if (!strcasecmp(arg, "poisson") || !strcasecmp(arg, "exponential"))
		cfg->schedule = XW_SCHED_POISSON;
	else if (!strcasecmp(arg, "periodic") || !strcasecmp(arg, "fixed"))
		cfg->schedule = XW_SCHED_PERIODIC;
	else
		return -EINVAL;
	cfg->schedule_given = true;
	return 0;
}

static int parse_ulong(const char *arg, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!*arg || *arg == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_padding(void *c, const char *arg)
{
	struct xwping_cfg *cfg = c;
	unsigned long long v;

	/* a UDP payload is at most 65507 octets over IPv4 */
	if (parse_ulong(arg, 65000, &v))
		return -EINVAL;
	cfg->padding = (int)v;
	return 0;
}

static int parse_seed(void *c, const char *arg)
{
	struct xwping_cfg *cfg = c;
	unsigned long long v;

	if (parse_ulong(arg, ~0ULL, &v))
		return -EINVAL;
	cfg->seed = v;
	return 0;
}

static int parse_ports(void *c, const char *arg)
{
	struct xwping_cfg *cfg = c;
	unsigned long long lo, hi;
	char buf[32], *dash;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	dash = strchr(buf, '-');
	if (!dash)
		return -EINVAL;
	*dash = 0;
	if (parse_ulong(buf, 65535, &lo) || parse_ulong(dash + 1, 65535, &hi) || !lo || lo > hi)
		return -EINVAL;
	cfg->port_lo = (uint16_t)lo;
	cfg->port_hi = (uint16_t)hi;
	cfg->port_range = arg;
	return 0;
}

void xwping_usage(FILE *f)
{
	fprintf(f,
		"xwping: TWAMP (RFC 5357) Control-Client and Session-Sender.  Measures\n"
		"round-trip and one-way delays, delay variation, loss, duplicates and\n"
		"reordering against a TWAMP server (port %d unless given; IPv6 as "
		"[addr]:port).\n\n",
		XW_PORT_TWAMP);
	xw_opts_usage(f, "xwping", "HOST[:PORT]", opt_table);
	fprintf(f, "\nExit status: 0 when the measurement completed; 1 when the server refused\n"
		   "(its Accept code is printed) or the connection failed; 2 on bad usage;\n"
		   "130 (143) when interrupted by SIGINT (SIGTERM): the report of what was\n"
		   "measured until then is printed, marked as interrupted.\n");
}

/* Cross-option rules, once, after every option is in. */
static int validate(struct xwping_cfg *cfg)
{
	const unsigned int keyed = XW_MODE_AUTH | XW_MODE_ENCRYPTED | XW_MODE_MIXED;

	if (!cfg->schedule_given)
		cfg->schedule = cfg->interval_given ? XW_SCHED_PERIODIC : XW_SCHED_POISSON;
	if (cfg->schedule == XW_SCHED_POISSON && cfg->interval <= 0) {
		fprintf(stderr, "xwping: a Poisson schedule needs a mean interval > 0\n");
		return -EINVAL;
	}
	if (!!cfg->keyid != !!cfg->keyfile) {
		fprintf(stderr, "xwping: -u KEYID and -k FILE go together\n");
		return -EINVAL;
	}
	if (cfg->keyid && strlen(cfg->keyid) > XW_KEYID_LEN) {
		fprintf(stderr, "xwping: KeyID longer than %d octets (RFC 4656 3.1)\n",
			XW_KEYID_LEN);
		return -EINVAL;
	}
	/*
	 * RFC 7717: with an IKE key the keyed modes need no -u/-k.  The
	 * passphrase modes below are the fallback (RFC 7717 5.2).
	 */
	/*
	 * Key sources: --ike-keys, --ike-socket, else the charon plugin's
	 * socket at its default path when it is there and ours to use (so
	 * that RFC 7717 works without options where the plugin runs).
	 */
	if (cfg->sa_profile) {
		const char *why = "";

		cfg->sa_variant = xw_sa_variant_by_name(cfg->sa_profile);
		if (!cfg->sa_variant || cfg->light || cfg->ow_ikev2 || cfg->ike || cfg->ike_keys ||
		    cfg->ike_socket || cfg->keyid || cfg->continuous) {
			fprintf(stderr,
				"xwping: --sa-profile takes keymat, alt1 or alt2, and goes with "
				"neither --light, --owamp-ikev2, --continuous, -u/-k nor the --ike "
				"options\n");
			return -EINVAL;
		}
		if (xw_sa_root_opt(cfg->sa_root_name, cfg->sa_variant, cfg->sa_socket,
				   &cfg->sa_root, &why)) {
			fprintf(stderr, "xwping: %s\n", why);
			return -EINVAL;
		}
		/* the SA's keys serve every keyed mode; nothing falls back to RFC 7717 */
	} else if (cfg->sa_socket || cfg->sa_root_name) {
		fprintf(stderr, "xwping: --sa-socket and --sa-root go with --sa-profile\n");
		return -EINVAL;
	}
	if (!cfg->sa_profile && !cfg->light && !cfg->ike_keys && !cfg->ike_socket &&
	    (cfg->ike || !access(XW_IKESOCK_PATH, R_OK | W_OK)))
		cfg->ike_socket = XW_IKESOCK_PATH;
	cfg->ike_modes = cfg->ike_keys || cfg->ike_socket ? cfg->modes & keyed : 0;
	if (!cfg->keyid && !cfg->sa_profile) {
		if (cfg->modes_given && !(cfg->modes & XW_MODE_OPEN) && !cfg->ike_modes) {
			fprintf(stderr, "xwping: mode %s needs -u KEYID and -k FILE\n",
				(cfg->modes & XW_MODE_ENCRYPTED) ? "enc"
				: (cfg->modes & XW_MODE_AUTH)	 ? "auth"
								 : "mixed");
			return -EINVAL;
		}
		/* like the reference: without a key, fall back to open */
		cfg->modes &= ~keyed;
	}
	if (cfg->light && (cfg->keyid || cfg->ike || cfg->ike_keys || cfg->start_n ||
			   (cfg->modes_given && !(cfg->modes & XW_MODE_OPEN)))) {
		/* keys of authenticated TWAMP Light would be agreed out of band: not done */
		fprintf(stderr, "xwping: --light is unauthenticated only: no -u/-k, --ike, "
				"--start-n or keyed -A modes\n");
		return -EINVAL;
	}
	/* like ping: a line per reply on a terminal, the summary only elsewhere */
	if (cfg->live < 0)
		cfg->live = isatty(STDOUT_FILENO) == 1;
	if (cfg->targets && !cfg->continuous) {
		fprintf(stderr, "xwping: --targets goes with --continuous\n");
		return -EINVAL;
	}
	if (cfg->continuous) {
		if (cfg->machine || cfg->raw || cfg->light || cfg->ow_fetch || cfg->svg) {
			/* --svg: one picture per run; an interval's would overwrite the last */
			fprintf(stderr,
				"xwping: --continuous writes JSON lines of sessions: no -M, "
				"-R, --light, --fetch or --svg with it (yet)\n");
			return -EINVAL;
		}
		cfg->json = true;
		cfg->count = (unsigned int)(cfg->report_interval / cfg->interval);
		if (!cfg->count)
			cfg->count = 1;
	}
	if (cfg->source) {
		/* owping/twping -S: numeric, so that it never waits for a resolver */
		if (xw_addr_parse(cfg->source, 0, false, &cfg->source_addr) ||
		    xw_addr_port(&cfg->source_addr)) {
			fprintf(stderr, "xwping: -S %s: not a numeric IPv4 or IPv6 address\n",
				cfg->source);
			return -EINVAL;
		}
		if (cfg->family != AF_UNSPEC && cfg->family != xw_addr_family(&cfg->source_addr)) {
			fprintf(stderr, "xwping: -S %s is not of the family of -%c\n", cfg->source,
				cfg->family == AF_INET ? '4' : '6');
			return -EINVAL;
		}
		/* the server's address of the same family as ours */
		cfg->family = xw_addr_family(&cfg->source_addr);
		cfg->has_source = true;
	}
	if (cfg->owamp && cfg->metrics && !cfg->continuous) {
		fprintf(stderr, "xwping: -O serves --metrics with --continuous only (per target "
				"and direction, summed over the intervals)\n");
		return -EINVAL;
	}
	/* --json -R: what -R meant before it took the reference's meaning */
	if (cfg->json && cfg->raw) {
		cfg->raw = false;
		cfg->per_packet = true;
	}
	if (cfg->json && cfg->machine) {
		fprintf(stderr,
			"xwping: -M and --json are two formats of one summary: choose one\n");
		return -EINVAL;
	}
	/* the machine formats: nothing else on stdout */
	if (cfg->quiet || cfg->json || cfg->machine || cfg->raw)
		cfg->live = 0;
	cfg->header = !cfg->quiet && !cfg->json && !cfg->machine && !cfg->raw;
	if (cfg->ow_fetch && (!cfg->owamp || strlen(cfg->ow_fetch) != 2 * XW_SID_LEN ||
			      strspn(cfg->ow_fetch, "0123456789abcdefABCDEF") != 2 * XW_SID_LEN)) {
		fprintf(stderr, "xwping: --fetch needs -O and a SID of 32 hex digits\n");
		return -EINVAL;
	}
	if ((cfg->ow_to || cfg->ow_from) && !cfg->owamp) {
		fprintf(stderr, "xwping: -t and -f are OWAMP's: add -O\n");
		return -EINVAL;
	}
	if (cfg->owamp && (cfg->light || cfg->start_n || cfg->symmetric ||
			   cfg->reflect_octets >= 0 || cfg->sessions > 1)) {
		fprintf(stderr, "xwping: -O: no --light, --start-n, --symmetric, "
				"--reflect-octets or --sessions (TWAMP's)\n");
		return -EINVAL;
	}
	if (cfg->reflect_octets > 0 && cfg->padding != XWPING_PAD_AUTO &&
	    cfg->padding <= cfg->reflect_octets) {
		/* RFC 6038 4.2: Padding Length SHALL be > Length of padding to reflect */
		fprintf(stderr,
			"xwping: --reflect-octets %d needs more padding than that (RFC "
			"6038 4.2)\n",
			cfg->reflect_octets);
		return -EINVAL;
	}
	return 0;
}

int xwping_opts_parse(int argc, char **argv, struct xwping_cfg *cfg)
{
	int i, first, rc;

	/* --help here rather than in the shared parser, for the synopsis and the text above */
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			xwping_usage(stdout);
			return 1;
		}
	}
	*cfg = xwping_defaults;
	rc = xw_opts_parse(opt_table, argc, argv, cfg, &first);
	if (rc == XW_OPTS_HELP)
		return 1;
	if (rc)
		return -EINVAL;
	if (cfg->continuous && first < argc) {
		/* several targets: the first, and the rest */
		cfg->extra = argv + first + 1;
		cfg->nextra = (unsigned int)(argc - first - 1);
		argc = first + 1;
	}
	if (first != argc - 1 && !(cfg->continuous && cfg->targets && first >= argc)) {
		fprintf(stderr, "xwping: %s (try --help)\n",
			first >= argc ? "which server? give HOST[:PORT]"
				      : "only one server (several with --continuous)");
		return -EINVAL;
	}
	cfg->server = first < argc ? argv[first] : NULL;
	return validate(cfg);
}
