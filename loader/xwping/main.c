// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwping: the TWAMP client (RFC 5357 Control-Client and Session-Sender).
 *
 * Usage: xwping [OPTIONS] HOST[:PORT]      (xwping --help lists every option)
 *
 *   xwping 192.0.2.2                       100 packets, Poisson, mean 0.1 s, port 862,
 *                                          open mode (no key given)
 *   xwping -c 50 -i 0.01 [2001:db8::2]:8620
 *                                          50 packets, one every 10 ms, over IPv6
 *   xwping -u alice -k keys.pfs host       strongest mode the server offers:
 *                                          encrypted > authenticated > mixed > open
 *   xwping -A auth -u alice -k keys.pfs host
 *                                          authenticated only (-A open|auth|enc|mixed,
 *                                          a comma list, or the reference's letters OAEM)
 *   xwping --sessions 3 --start-n --dscp 46 --symmetric --reflect-octets 8 host
 *                                          three sessions on one connection, started with
 *                                          RFC 5938 Start-N-Sessions if offered, EF DSCP,
 *                                          RFC 6038 options if offered
 *   xwping --json -R host | python3 -m json.tool
 *                                          JSON with per-packet records
 *
 * The key file holds lines "KEYID hexsecret" (the reference's pfs format,
 * the secret being the passphrase in hex, '#' comments; control/keyfile.h).
 *
 * Flow: connect, read the Server Greeting, choose the mode (RFC 4656 3.1),
 * Request-TW-Session per session (RFC 5357 3.5; each session its own UDP
 * port), Start-Sessions (or Start-N-Sessions, RFC 5938), send on the
 * schedule (control/schedule.h), wait --wait seconds for the last replies (less when
 * every reply is in), Stop-Sessions (RFC 5357 3.8), print the statistics
 * (control/stats.h, control/report.h).  Ctrl-C stops early and still reports.
 *
 * Exit status: 0 when the measurement completed; 1 when the connection
 * failed or the server refused (the Accept code and its meaning are
 * printed); 2 on bad usage or an unusable key file; 128 + the signal
 * (130 SIGINT, 143 SIGTERM) when interrupted, after the report of what was
 * measured until then (none when no test packet had gone out).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xwamp/proto.h"
#include "crypto.h"
#include "cli.h"
#include "ikekeys.h"
#include "ikesrc.h"
#include "sadsrc.h"
#include "keyfile.h"
#include "log.h"
#include "modes.h"
#include "report.h"
#include "stats.h"
#include "svg.h"
#include "cfg.h"
#include "fleet.h"
#include "owclient.h"
#include "client.h"

#define EXIT_USAGE 2

/*
 * "host", "host:port", "[v6]:port" or a bare IPv6 address, names resolved
 * within the family of -4 / -6.  A local helper because xw_addr_parse()
 * (loader/lib/net.h) resolves names without a family choice.  0, or
 * -errno after one message that names the cause.
 */
static int resolve_server(const char *str, int family, uint16_t dport, struct xw_addr *out)
{
	struct addrinfo hints = {0}, *res = NULL;
	char host[256], port[8];
	const char *p = NULL, *colon, *arg = str;
	size_t hlen;
	int rc;

	if (str[0] == '[') {
		const char *close = strchr(str, ']');

		if (!close || (close[1] && close[1] != ':')) {
			fprintf(stderr,
				"xwping: '%s': an IPv6 address with a port is [ADDR]:PORT\n", arg);
			return -EINVAL;
		}
		hlen = (size_t)(close - str - 1);
		str++;
		if (close[1] == ':')
			p = close + 2;
	} else {
		colon = strchr(str, ':');
		/* one colon: host:port; more: a bare IPv6 address */
		if (colon && !strchr(colon + 1, ':')) {
			hlen = (size_t)(colon - str);
			p = colon + 1;
		} else {
			hlen = strlen(str);
		}
	}
	if (!hlen || hlen >= sizeof(host)) {
		fprintf(stderr, "xwping: '%s': %s host name\n", arg, hlen ? "too long a" : "no");
		return -EINVAL;
	}
	memcpy(host, str, hlen);
	host[hlen] = 0;
	if (p) {
		unsigned long v;
		char *end;

		v = strtoul(p, &end, 10);
		if (!*p || *end || !v || v > 65535) {
			fprintf(stderr, "xwping: '%s': port '%s' is not a number in 1..65535\n",
				arg, p);
			return -EINVAL;
		}
		snprintf(port, sizeof(port), "%lu", v);
	} else {
		snprintf(port, sizeof(port), "%u", dport);
	}
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		/* AI_ADDRCONFIG hides ::1 when only loopback has IPv6: try without */
		hints.ai_flags = AI_NUMERICSERV;
		rc = getaddrinfo(host, port, &hints, &res);
	}
	if (rc && family != AF_UNSPEC) {
		/* is it the family?  then say so rather than blame name resolution */
		char other[XW_ADDRSTRLEN] = "";

		hints.ai_family = AF_UNSPEC;
		if (!getaddrinfo(host, port, &hints, &res)) {
			struct xw_addr a = {0};

			memcpy(&a.ss, res->ai_addr, res->ai_addrlen);
			a.len = res->ai_addrlen;
			xw_addr_fmt(&a, false, other, sizeof(other));
			freeaddrinfo(res);
			fprintf(stderr, "xwping: %s has no %s address (%s), only %s: drop %s\n",
				host, family == AF_INET6 ? "IPv6" : "IPv4",
				family == AF_INET6 ? "-6" : "-4", other,
				family == AF_INET6 ? "-6" : "-4");
			return -ENOENT;
		}
	}
	if (rc) {
		fprintf(stderr, "xwping: cannot resolve '%s': %s\n", host, gai_strerror(rc));
		return -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
	out->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static const char *mode_long_name(uint32_t mode)
{
	switch (mode & XW_MODE_SECURITY_MASK) {
	case XW_MODE_OPEN:
		return "unauthenticated";
	case XW_MODE_AUTH:
		return "authenticated";
	case XW_MODE_ENCRYPTED:
		return "encrypted";
	case XW_MODE_MIXED:
		return "mixed";
	}
	return NULL;
}

static void json_drops(FILE *f, const struct xwping_sess_result *r)
{
	int d;

	fprintf(f, "\"send_errors\":%u,\"dropped\":{", r->send_errors);
	for (d = 0; d < XWPING_DROP_MAX; d++)
		fprintf(f, "%s\"%s\":%u", d ? "," : "", xwping_drop_name((enum xwping_drop)d),
			r->drops[d]);
	fprintf(f, "},\"reflect_mismatch\":%u,", r->reflect_mismatch);
}

static void text_drops(FILE *f, const struct xwping_sess_result *r)
{
	bool any = r->send_errors || r->reflect_mismatch;
	int d;

	for (d = 0; d < XWPING_DROP_MAX; d++)
		any |= r->drops[d] != 0;
	if (!any)
		return;
	fprintf(f, "not counted:");
	if (r->send_errors)
		fprintf(f, " %u send-errors", r->send_errors);
	for (d = 0; d < XWPING_DROP_MAX; d++)
		if (r->drops[d])
			fprintf(f, " %u %s", r->drops[d], xwping_drop_name((enum xwping_drop)d));
	if (r->reflect_mismatch)
		fprintf(f, " %u reflect-octets-mismatch", r->reflect_mismatch);
	fprintf(f, "\n");
}

/* No reply at all: say what usually causes it, on stderr (one line per cause). */
static void no_reply_hint(const struct xwping_cfg *cfg, const struct xwping_sess_result *r)
{
	char rfl[XW_ADDRSTRLEN];

	if (!r->sent || r->received)
		return;
	xw_addr_fmt(&r->remote, true, rfl, sizeof(rfl));
	if (r->port_unreachable)
		fprintf(stderr,
			"xwping: no reply from %s: its host answered ICMP port unreachable %u "
			"times: %s\n",
			rfl, r->port_unreachable,
			cfg->light
				? "no TWAMP Light reflector listens on that port (xwampd --light "
				  "'port=...' configures one)"
				: "the reflector's session socket is gone");
	else if (cfg->light)
		fprintf(stderr,
			"xwping: no reply from %s: is a TWAMP Light reflector configured there "
			"(RFC 5357 Appendix I; xwampd --light 'port=...')? A firewall may also "
			"drop "
			"the UDP packets\n",
			rfl);
	else
		fprintf(stderr,
			"xwping: no reply from %s although the server accepted the session: a "
			"firewall or NAT between the hosts may drop UDP to that port\n",
			rfl);
}

/* twping -M for session r (control/report.h), -R's lost packets; 0 or -errno. */
static int print_reference(const struct xwping_cfg *cfg, const struct xwping_result *res,
			   const struct xwping_sess_result *r, const char *sid)
{
	char from[XW_ADDRSTRLEN], to[XW_ADDRSTRLEN];
	struct xw_machine_meta m = {
		.sid = sid,
		.from_host = xw_addr_fmt(&r->local, false, from, sizeof(from)),
		.from_addr = from,
		.from_port = xw_addr_port(&r->local),
		.to_host = xw_addr_fmt(&r->remote, false, to, sizeof(to)),
		.to_addr = to,
		.to_port = xw_addr_port(&r->remote),
		.dscp = cfg->dscp,
		/* the reference prints its Timeout as the raw 32.32 fixed-point number */
		.loss_timeout = (__u64)(cfg->wait * 4294967296.0),
		.padding = r->tp.padding_len,
		.npackets = cfg->count,
		.bucket_width = cfg->bucket_width,
		.finished = !res->interrupted,
	};
	int rc = 0;

	if (cfg->raw)
		rc = xw_report_raw_lost(stdout, r->st);
	if (!rc && cfg->machine)
		rc = xw_report_machine(stdout, &m, r->st);
	return rc;
}

/* --svg: every session's picture, one panel each (control/svg.h); 0, or -errno after a message. */
static int write_svg(const struct xwping_cfg *cfg, const struct xwping_result *res)
{
	char snd[XW_ADDRSTRLEN], rfl[XW_ADDRSTRLEN], srv[XW_ADDRSTRLEN], title[256];
	struct xw_svg_part *parts;
	char(*labels)[160];
	unsigned int i;
	int rc;

	if (!cfg->svg || !res->nsess)
		return 0;
	parts = calloc(res->nsess, sizeof(*parts));
	labels = calloc(res->nsess, sizeof(*labels));
	if (!parts || !labels) {
		free(parts);
		free(labels);
		return -ENOMEM;
	}
	snprintf(title, sizeof(title), "xwping %s (%s)%s",
		 xw_addr_fmt(&res->server, true, srv, sizeof(srv)),
		 mode_long_name(res->mode) ? mode_long_name(res->mode) : "?",
		 res->interrupted ? ", interrupted" : "");
	for (i = 0; i < res->nsess; i++) {
		snprintf(labels[i], sizeof(labels[i]), "session %u: %s -> %s", i,
			 xw_addr_fmt(&res->sess[i].local, true, snd, sizeof(snd)),
			 xw_addr_fmt(&res->sess[i].remote, true, rfl, sizeof(rfl)));
		parts[i] = (struct xw_svg_part){.s = res->sess[i].st, .label = labels[i]};
	}
	rc = xwping_svg_write(cfg->svg, title, parts, res->nsess);
	free(parts);
	free(labels);
	return rc;
}

/* Compute and print every session; 0, or -errno when statistics fail. */
static int print_results(const struct xwping_cfg *cfg, const struct xwping_result *res)
{
	char srv[XW_ADDRSTRLEN], snd[XW_ADDRSTRLEN], rfl[XW_ADDRSTRLEN], sid[2 * XW_SID_LEN + 1];
	unsigned int i;
	int rc = 0, k;

	if (cfg->continuous)
		/* one line per interval: which target, when (Unix seconds of the first packet) */
		printf("{\"target\":\"%s\",\"unix_time\":%.3f,\"end_unix_time\":%.3f,", cfg->server,
		       (double)res->start_ns / 1e9, (double)res->end_ns / 1e9);
	if (cfg->json)
		printf("%s\"mode\":\"%s\",\"mode_bits\":%u,\"server_modes\":%u,\"server\":\"%s\","
		       "\"interrupted\":%s,\"sessions\":[",
		       cfg->continuous ? "" : "{", xw_mode_name(res->mode & XW_MODE_SECURITY_MASK),
		       res->mode, res->server_modes,
		       xw_addr_fmt(&res->server, true, srv, sizeof(srv)),
		       res->interrupted ? "true" : "false");
	else if (res->interrupted && !cfg->machine && !cfg->raw)
		xwping_interrupted_line(stdout, res->signo,
					res->end_ns > res->start_ns
						? (double)(res->end_ns - res->start_ns) / 1e9
						: 0);
	for (i = 0; i < res->nsess; i++) {
		const struct xwping_sess_result *r = &res->sess[i];
		struct xw_report_meta meta = {
			.proto = "TWAMP",
			.mode = mode_long_name(res->mode),
			.sender = xw_addr_fmt(&r->local, true, snd, sizeof(snd)),
			.reflector = xw_addr_fmt(&r->remote, true, rfl, sizeof(rfl)),
		};
		struct xw_stats_result st;

		rc = xw_stats_compute(r->st, NULL, &st);
		if (rc) {
			pr_err("session %u: statistics: %s", i, strerror(-rc));
			break;
		}
		for (k = 0; k < XW_SID_LEN; k++)
			snprintf(sid + 2 * k, 3, "%02x", r->sid[k]);
		if (cfg->machine || cfg->raw) {
			rc = print_reference(cfg, res, r, sid);
			if (rc)
				break;
			no_reply_hint(cfg, r);
		} else if (cfg->json) {
			printf("%s{\"index\":%u,\"sid\":\"%s\",\"sender_octets\":%zu,",
			       i ? "," : "", i, sid, r->sender_len);
			json_drops(stdout, r);
			xw_report_json_members(stdout, &meta, &st, NULL);
			if (cfg->per_packet) {
				printf(",\"per_packet\":");
				xw_report_packets_json(stdout, r->st);
			}
			printf("}");
		} else {
			if (cfg->per_packet)
				xw_report_packets_text(stdout, r->st);
			xw_report_text(stdout, &meta, &st, NULL);
			text_drops(stdout, r);
			fflush(stdout);
			no_reply_hint(cfg, r);
			if (i + 1 < res->nsess)
				printf("\n");
		}
	}
	if (cfg->json)
		printf("]}\n");
	if (fflush(stdout))
		return -EIO;
	return rc;
}

/*
 * The key sources of the command line, in order: the passphrase key file
 * (-k), the RFC 7717 key table (--ike-keys), the charon plugin's socket.
 * 0, or -errno after a message.
 */
static int open_sources(const struct xwping_cfg *cfg, struct xw_keysrcs *l)
{
	struct xw_ike_source ike;
	struct xw_keysrc src;
	int rc;

	memset(l, 0, sizeof(*l));
	if (cfg->keyid) {
		rc = xw_keysrc_keyfile(cfg->keyfile, &src);
		if (!rc)
			rc = xw_keysrcs_add(l, &src);
		if (rc) {
			/* bad lines were logged with file:line */
			fprintf(stderr, "xwping: cannot use key file %s: %s\n", cfg->keyfile,
				strerror(-rc));
			return rc;
		}
	}
	if (cfg->sa_variant) {
		/* the kernel SAD (CAP_NET_ADMIN), or instead the charon plugin (--sa-socket) */
		rc = cfg->sa_socket ? xw_ikesrc_sa_source(cfg->sa_socket, &src)
				    : xw_sadsrc_source(&src);
		if (!rc)
			xw_keysrcs_add(l, &src);
		return 0;
	}
	if (!cfg->ike_modes)
		return 0;
	if (cfg->ike_keys) {
		rc = xw_ike_table_source(cfg->ike_keys, &ike);
		if (!rc)
			rc = xw_keysrc_ike(&ike, &src);
		if (!rc)
			rc = xw_keysrcs_add(l, &src);
		if (rc)
			fprintf(stderr, "xwping: cannot use IKE key table %s: %s\n", cfg->ike_keys,
				strerror(-rc));
	}
	if (cfg->ike_socket && !xw_ikesrc_source(cfg->ike_socket, &ike) &&
	    !xw_keysrc_ike(&ike, &src))
		xw_keysrcs_add(l, &src);
	return 0;
}

/* The shared secret of cfg->keyid; 0, or -errno after a message. */
static int load_secret(const struct xwping_cfg *cfg, const struct xw_keysrcs *l, struct xw_key *key)
{
	uint8_t keyid[XW_KEYID_LEN];
	struct xw_keyreq req = {.cls = XW_KEYCLASS_PASSPHRASE, .keyid = keyid};
	int rc;

	key->len = 0;
	if (!cfg->keyid)
		return 0;
	rc = xw_keyid_pad(cfg->keyid, keyid);
	if (rc) {
		fprintf(stderr, "xwping: KeyID '%s' is empty or longer than %d octets\n",
			cfg->keyid, XW_KEYID_LEN);
		return rc;
	}
	rc = xw_keysrcs_client(l, &req, key);
	if (rc == -ENOENT)
		fprintf(stderr, "xwping: KeyID '%s' is not in %s\n", cfg->keyid, cfg->keyfile);
	else if (rc)
		fprintf(stderr, "xwping: KeyID '%s': %s\n", cfg->keyid, strerror(-rc));
	return rc;
}

/*
 * RFC 7717 5.1: the key of the IKE SA with the server, from the key sources
 * (client side: by the server's address).  1 with *key set, 0 when none.
 * No IKE SA: xwping does not initiate one (it has neither the IKE daemon's
 * configuration nor its privileges); it logs and goes on with the RFC
 * 4656/5357/5618 modes, the RFC's second alternative (README: RFC 7717).
 */
static int find_ike_key(const struct xwping_cfg *cfg, const struct xw_keysrcs *l,
			const struct xw_addr *server, struct xw_key *key)
{
	struct xw_keyreq req = {
		.cls = XW_KEYCLASS_IKE, .peer = &server->sa, .peer_len = server->len};
	uint8_t spi_i[XW_IKE_SPI_LEN], spi_r[XW_IKE_SPI_LEN];
	char a[XW_ADDRSTRLEN], spis[XW_IKE_SPIS_STRLEN];
	int rc;

	if (!cfg->ike_modes)
		return 0;
	xw_addr_fmt(server, false, a, sizeof(a));
	rc = xw_keysrcs_client(l, &req, key);
	if (rc) {
		xw_log(cfg->ike ? XW_LOG_WARN : XW_LOG_INFO,
		       "%s %s%s%s (RFC 7717 5.1): not initiating one, using the passphrase or "
		       "open modes",
		       rc == -ENOENT ? "no IKE SA with" : "no IKE key for", a,
		       rc == -ENOENT ? "" : ": ", rc == -ENOENT ? "" : strerror(-rc));
		return 0;
	}
	xw_ike_keyid_get(key->keyid, spi_i, spi_r);
	pr_info("IKE SA with %s: SPIi %.16s SPIr %.16s", a,
		xw_ike_spis_str(spi_i, spi_r, spis, sizeof(spis)), spis + 17);
	return 1;
}

/* ---- --continuous: the role powstream plays for OWAMP ------------------- */

#define BACKOFF_MAX_S 60

/* One JSON line saying why target has no interval, and when it is tried again. */
static void continuous_error(const char *target, int err, unsigned int retry_s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("{\"target\":\"%s\",\"unix_time\":%.3f,\"error\":\"%s\",\"retry_in_s\":%u}\n",
	       target, (double)ts.tv_sec + ts.tv_nsec / 1e9, strerror(err), retry_s);
	fflush(stdout);
}

/* Sleep s seconds unless SIGINT/SIGTERM comes (blocked: it waits here); its number or 0. */
static int backoff_sleep(unsigned int s)
{
	struct timespec ts = {.tv_sec = s};
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sig = sigtimedwait(&set, NULL, &ts);
	return sig > 0 ? sig : 0;
}

/*
 * Measure one target until a signal: a session of cfg->count packets per
 * interval, a JSON line each (the same statistics as a one-shot --json),
 * everything freed between intervals so that memory stays flat however
 * long it runs.  A failure (no route, refused, server restarting) gives an
 * error line and a retry after 1, 2, 4 ... 60 s.  With --metrics each
 * interval's counts (or the failure) go to the parent over mfd as target
 * idx (fleet.h).  Returns the exit status.
 */
static int monitor_target(struct xwping_cfg *cfg, const uint8_t *secret, size_t secret_len, int mfd,
			  unsigned int idx)
{
	struct xwping_tally tally;
	unsigned int backoff = 1;
	struct xwping_result res;
	struct xw_addr server;
	int rc, sig;

	for (;;) {
		rc = resolve_server(cfg->server, cfg->family,
				    cfg->owamp ? XW_PORT_OWAMP : XW_PORT_TWAMP, &server);
		if (!rc && cfg->owamp) {
			struct xwping_ow_result ow;

			/* one OWAMP session per interval, its line printed by owclient.c */
			xwping_fleet_report(mfd, idx, XWPING_FLEET_MEASURING, NULL);
			rc = xwping_owamp_run(cfg, &server, secret, secret_len, NULL, &ow);
			fflush(stdout);
			if (!rc)
				xwping_fleet_report_ow(mfd, idx, ow.tally, ow.on);
			/* a signal ends the interval at once (owclient.c), or came in between */
			sig = ow.signo ? ow.signo : backoff_sleep(0);
			if (sig)
				return 128 + sig;
			if (!rc) {
				backoff = 1;
				continue;
			}
		} else if (!rc) {
			xwping_fleet_report(mfd, idx, XWPING_FLEET_MEASURING, NULL);
			rc = xwping_run(cfg, &server, secret, secret_len, NULL, &res);
			if (rc == 0 || (res.nsess && res.start_ns)) {
				if (print_results(cfg, &res) && !rc)
					rc = -EIO;
				memset(&tally, 0, sizeof(tally));
				xwping_tally_result(&res, &tally);
				xwping_fleet_report(mfd, idx, XWPING_FLEET_MEASURING, &tally);
			}
			sig = res.interrupted ? (res.signo ? res.signo : SIGINT) : 0;
			xwping_result_free(&res);
			if (sig)
				return 128 + sig;
			if (!rc) {
				backoff = 1;
				continue;
			}
		}
		continuous_error(cfg->server, rc < 0 ? -rc : EIO, backoff);
		xwping_fleet_report(mfd, idx, XWPING_FLEET_DOWN, NULL);
		sig = backoff_sleep(backoff);
		if (sig)
			return 128 + sig;
		backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
	}
}

/* Targets from the command line and --targets; NULL after a message. */
static char **continuous_targets(const struct xwping_cfg *cfg, unsigned int *n)
{
	char **t = NULL, line[300], *p, *e;
	unsigned int cap = 0, k;
	FILE *f = NULL;

	*n = 0;
	cap = 1 + cfg->nextra + 64;
	t = calloc(cap, sizeof(*t));
	if (!t)
		return NULL;
	if (cfg->server)
		t[(*n)++] = (char *)cfg->server;
	for (k = 0; k < cfg->nextra; k++)
		t[(*n)++] = cfg->extra[k];
	if (cfg->targets) {
		f = fopen(cfg->targets, "r");
		if (!f) {
			fprintf(stderr, "xwping: --targets %s: %s\n", cfg->targets,
				strerror(errno));
			free(t);
			return NULL;
		}
		while (fgets(line, sizeof(line), f)) {
			for (p = line; *p == ' ' || *p == '\t'; p++)
				;
			e = p + strcspn(p, " \t\r\n#");
			*e = 0;
			if (!*p)
				continue;
			if (*n == cap) {
				fprintf(stderr, "xwping: --targets %s: more than %u targets\n",
					cfg->targets, cap);
				break;
			}
			t[(*n)++] = strdup(p);
		}
		fclose(f);
	}
	if (!*n) {
		fprintf(stderr, "xwping: --continuous: no target\n");
		free(t);
		return NULL;
	}
	return t;
}

/*
 * Several targets: a process each (each its own loop and sessions, one
 * unreachable target never delays another), their lines on our stdout.
 * SIGINT/SIGTERM are passed on; the status is the first child's failure.
 * With --metrics the parent serves every target's metrics (fleet.h), from
 * what each child reports per interval.
 */
static int run_continuous(struct xwping_cfg *cfg, const uint8_t *secret, size_t secret_len)
{
	static char obuf[1 << 16];
	unsigned int n, i, alive = 0;
	pid_t *pids;
	char **t;
	sigset_t set;
	int status, ret = 0, sig, mp[2] = {-1, -1};

	t = continuous_targets(cfg, &n);
	if (!t)
		return EXIT_USAGE;
	/* a whole line per write(): lines of several targets do not mix */
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (n == 1 && !cfg->metrics) {
		cfg->server = t[0];
		return monitor_target(cfg, secret, secret_len, -1, 0);
	}
	if (cfg->metrics && pipe2(mp, O_CLOEXEC)) {
		fprintf(stderr, "xwping: pipe: %s\n", strerror(errno));
		return 1;
	}
	pids = calloc(n, sizeof(*pids));
	if (!pids)
		return 1;
	for (i = 0; i < n; i++) {
		fflush(stdout);
		pids[i] = fork();
		if (pids[i] == 0) {
			if (mp[0] >= 0)
				close(mp[0]);
			cfg->metrics = NULL; /* the parent's endpoint */
			cfg->server = t[i];
			_exit(monitor_target(cfg, secret, secret_len, mp[1], i));
		}
		if (pids[i] > 0)
			alive++;
		else
			fprintf(stderr, "xwping: %s: fork: %s\n", t[i], strerror(errno));
	}
	if (cfg->metrics) {
		close(mp[1]);
		ret = xwping_fleet_serve(
			cfg->metrics, t, pids, n, mp[0],
			!cfg->owamp ? 0
				    : (cfg->ow_to || !cfg->ow_from ? XWPING_FLEET_FWD : 0) |
					      (cfg->ow_from || !cfg->ow_to ? XWPING_FLEET_BWD : 0));
		close(mp[0]);
		free(pids);
		return ret;
	}
	while (alive) {
		sig = sigwaitinfo(&set, NULL);
		if (sig == SIGINT || sig == SIGTERM) {
			for (i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], sig);
			continue;
		}
		for (;;) {
			pid_t p = waitpid(-1, &status, WNOHANG);

			if (p <= 0)
				break;
			for (i = 0; i < n; i++)
				if (pids[i] == p) {
					pids[i] = 0;
					alive--;
					if (!ret && WIFEXITED(status))
						ret = WEXITSTATUS(status);
				}
		}
	}
	free(pids);
	return ret;
}

/*
 * IPsec SA profile: our SA pair with the server from the kernel SAD (the SA
 * to it, the SA from it).  0, or -errno after a message: without the pair
 * there is nothing to speak (no fall-back: the option asked for it).
 */
static int find_sa(const struct xwping_cfg *cfg, const struct xw_keysrcs *l,
		   const struct xw_addr *server, struct xw_sa_pair *sa)
{
	struct xw_keyreq req = {
		.cls = XW_KEYCLASS_SA, .peer = &server->sa, .peer_len = server->len};
	char a[XW_ADDRSTRLEN];
	struct xw_key key;
	int rc;

	if (cfg->has_source) { /* -S: the SPD's selectors see it (else the route's source) */
		req.local = &cfg->source_addr.sa;
		req.local_len = cfg->source_addr.len;
	}
	xw_addr_fmt(server, false, a, sizeof(a));
	rc = xw_keysrcs_client(l, &req, &key);
	if (!rc)
		rc = xw_sa_pair_from_secret(key.secret, key.len, sa);
	xw_key_wipe(&key);
	if (rc) {
		fprintf(stderr, "xwping: --sa-profile %s: no IPsec SA pair with %s in %s: %s\n",
			xw_sa_variant_name(cfg->sa_variant), a,
			cfg->sa_socket ? "charon (--sa-socket)" : "the kernel SAD",
			rc == -ENOENT ? "an SA to it and one from it are needed" : strerror(-rc));
		return rc;
	}
	pr_info("IPsec SA profile %s with %s: protocol %u SPIi 0x%08x SPIr 0x%08x",
		xw_sa_variant_name(cfg->sa_variant), a, sa->c2s.proto, sa->c2s.spi, sa->s2c.spi);
	return 0;
}

int main(int argc, char **argv)
{
	struct xwping_cfg cfg;
	struct xwping_result res;
	struct xw_addr server;
	struct xw_keysrcs srcs;
	struct xw_key pass, ike;
	struct xw_sa_pair sa;
	int rc, have_ike;

	rc = xwping_opts_parse(argc, argv, &cfg);
	if (rc)
		return rc > 0 ? 0 : EXIT_USAGE;

	xw_log_set_ident("xwping");
	if (cfg.quiet)
		xw_log_set_level(XW_LOG_ERR);
	else
		xw_log_set_level(cfg.verbose >= 2 ? XW_LOG_DEBUG
				 : cfg.verbose	  ? XW_LOG_INFO
						  : XW_LOG_WARN);

	if (cfg.continuous) {
		/* the passphrase, once for every target (RFC 7717 keys: one-shot runs only) */
		if (open_sources(&cfg, &srcs))
			return EXIT_USAGE;
		rc = load_secret(&cfg, &srcs, &pass);
		xw_keysrcs_free(&srcs);
		if (rc)
			return EXIT_USAGE;
		rc = run_continuous(&cfg, pass.len ? pass.secret : NULL, pass.len);
		xw_key_wipe(&pass);
		return rc;
	}
	if (resolve_server(cfg.server, cfg.family, cfg.owamp ? XW_PORT_OWAMP : XW_PORT_TWAMP,
			   &server))
		return EXIT_USAGE;
	if (open_sources(&cfg, &srcs))
		return EXIT_USAGE;
	rc = load_secret(&cfg, &srcs, &pass);
	if (!rc && cfg.sa_variant) {
		rc = find_sa(&cfg, &srcs, &server, &sa);
		xw_keysrcs_free(&srcs);
		if (rc)
			return 1;
		cfg.sa_pair = &sa;
		if (cfg.owamp) {
			struct xwping_ow_result ow;

			/* the handshake is OWAMP's too (RFC 4656 3.1): the same profile */
			memset(&ow, 0, sizeof(ow));
			rc = xwping_owamp_run(&cfg, &server, NULL, 0, NULL, &ow);
			xw_sa_pair_wipe(&sa);
			return ow.signo ? 128 + ow.signo : rc ? 1 : 0;
		}
		rc = xwping_run(&cfg, &server, NULL, 0, NULL, &res);
		xw_sa_pair_wipe(&sa);
		goto report;
	}
	/* RFC 7717 3: for OWAMP the IKEv2-derived key is a private arrangement: on request */
	have_ike =
		rc || (cfg.owamp && !cfg.ow_ikev2) ? 0 : find_ike_key(&cfg, &srcs, &server, &ike);
	xw_keysrcs_free(&srcs); /* wipes: only the copies in pass and ike remain */
	if (rc)
		return EXIT_USAGE;
	if (cfg.owamp) {
		struct xwping_ow_result ow;

		rc = xwping_owamp_run(&cfg, &server, pass.len ? pass.secret : NULL, pass.len,
				      have_ike ? &ike : NULL, &ow);
		xw_key_wipe(&pass);
		xw_key_wipe(&ike);
		/* like a shell: 128 + the signal, as the TWAMP client */
		return ow.signo ? 128 + ow.signo : rc ? 1 : 0;
	}
	if (!have_ike && !pass.len && !(cfg.modes & XW_MODE_OPEN) && cfg.ike_modes) {
		fprintf(stderr,
			"xwping: no IKE key for %s and no passphrase (-u, -k) for the keyed "
			"modes\n",
			cfg.server);
		xw_key_wipe(&pass);
		return 1;
	}

	rc = xwping_run(&cfg, &server, pass.len ? pass.secret : NULL, pass.len,
			have_ike ? &ike : NULL, &res);
	xw_key_wipe(&pass);
	xw_key_wipe(&ike);
report:
	if (rc == 0 || (res.nsess && res.start_ns)) {
		/* a run cut short after packets went out still reports what it saw */
		if (print_results(&cfg, &res) && !rc)
			rc = -EIO;
		if (write_svg(&cfg, &res) && !rc)
			rc = -EIO;
	}
	xwping_result_free(&res);
	/* like a shell: 128 + the signal, so that a script tells an interrupted run apart */
	if (res.interrupted)
		return 128 + (res.signo ? res.signo : SIGINT);
	return rc ? 1 : 0;
}
