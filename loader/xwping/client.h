/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwping's I/O side: one epoll loop that drives the sans-I/O Control-Client
 * (control/cli.h) over TCP and runs the Session-Senders of the test
 * sessions (control/testpkt.h) over UDP, with kernel receive timestamps.
 *
 * What comes out is a control/stats.h recorder per session, fed as the
 * packets go and come: T1 (sender transmit, the time written in the
 * packet), T2/T3 (reflector receive/transmit), T4 (kernel receive time),
 * Error Estimates and TTLs, plus counters of what could not be used.
 * main.c computes and prints the statistics (control/report.h).
 */
#ifndef XWPING_CLIENT_H
#define XWPING_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "cfg.h"
#include "cli.h"
#include "keysrc.h"
#include "net.h"
#include "stats.h"
#include "testpkt.h"

/* Why a received datagram was not counted. */
enum xwping_drop {
	XWPING_DROP_TRUNC = 0, /* testpkt: shorter than the header */
	XWPING_DROP_LEN,       /* testpkt: wrong length */
	XWPING_DROP_HMAC,      /* testpkt: HMAC mismatch */
	XWPING_DROP_MULT0,     /* testpkt: Error Estimate Multiplier 0 */
	XWPING_DROP_OTHER,     /* testpkt: anything else */
	XWPING_DROP_UNKNOWN,   /* answers a sequence number we never sent */
	XWPING_DROP_T1,	       /* copied T1 is not the one we sent: not our packet */
	XWPING_DROP_NOTS,      /* the kernel gave no receive timestamp */
	XWPING_DROP_OVERSIZE,  /* longer than any reply we can take */
	XWPING_DROP_MAX,
};
const char *xwping_drop_name(enum xwping_drop d);

struct xwping_sess_result {
	int index;		 /* 0-based */
	struct xw_addr local;	 /* our test address and port */
	struct xw_addr remote;	 /* the reflector's */
	uint8_t sid[XW_SID_LEN]; /* as the server made it */
	struct xw_tp_cfg tp;	 /* mode, padding, RFC 6038 */
	size_t sender_len;	 /* octets per Session-Sender packet (UDP payload) */
	uint32_t count;		 /* packets scheduled (cfg->count) */
	uint32_t sent;		 /* handed to the kernel */
	uint32_t send_errors;	 /* not handed to the kernel (buffer full, ICMP error) */
	uint32_t received;	 /* distinct packets with a valid reply */
	uint32_t drops[XWPING_DROP_MAX];
	uint32_t reflect_mismatch;   /* RFC 6038: reflected octets differ */
	uint32_t port_unreachable;   /* ICMP port unreachable from the reflector's host */
	uint64_t *t1;		     /* [count]: NTP T1 written in packet seq; 0 = not sent */
	uint8_t *answered;	     /* [count]: a reply was seen */
	struct xw_stats_session *st; /* every sent packet and every reply, in order */
};

struct xwping_result {
	uint32_t mode;	       /* chosen Mode (security + feature bits); 0 before Server-Start */
	uint32_t server_modes; /* the greeting's Modes */
	struct xw_addr server;
	unsigned int nsess;
	struct xwping_sess_result *sess; /* [nsess] */
	bool interrupted;		 /* stopped early by SIGINT/SIGTERM */
	int signo;			 /* which, when interrupted */
	bool completed;			 /* sessions ran and Stop-Sessions was sent */
	uint64_t start_ns, end_ns;	 /* wall clock of the first / last test packet */
};

/*
 * Run the whole measurement against server.  secret (NULL in open-only
 * runs) is the shared secret of cfg->keyid.  ike (NULL: none) is the RFC
 * 7717 key of the IKE SA with the server: used when the server offers
 * IKEv2Derived, with cfg->ike_modes.  Returns 0 when the sessions
 * ran and were stopped, or a negative errno with the reason already logged
 * (refused by the server: -ECONNREFUSED, with the Accept code in the log).
 * *res is filled in either case as far as the run got; free it with
 * xwping_result_free().
 */
int xwping_run(const struct xwping_cfg *cfg, const struct xw_addr *server, const uint8_t *secret,
	       size_t secret_len, const struct xw_key *ike, struct xwping_result *res);
void xwping_result_free(struct xwping_result *res);

/*
 * The Control-Client machine for cfg (modes, --max-count, key, RFC 7717
 * key, features) speaking proto.  *no_open: open mode was removed because
 * a key is in use (no silent fallback, README).  NULL on bad config.
 */
struct cli *xwping_make_cli(const struct xwping_cfg *cfg, const uint8_t *secret, size_t secret_len,
			    const struct xw_key *ike, enum cli_proto proto, bool *no_open);

/* --metrics: delay histogram buckets (bounds in client.c), + the +Inf bucket */
#define XWPING_NBUCKETS 14
#define XWPING_HIST_HELP                                                                        \
	"delay of each answered packet (round trip without the reflector's time; one-way ones " \
	"need synchronized clocks)"

/* What the Prometheus metrics count, of one session or summed over runs. */
struct xwping_tally {
	uint64_t sent, received, lost, dups, reordered;
	/* first copies by direction (round trip, forward, backward) */
	uint64_t hist[3][XWPING_NBUCKETS + 1];
	double hsum[3];
	bool synced;	  /* the last reply's clocks (Error Estimate S bits) */
	double err_bound; /* its one-way error bound, seconds */
};

/* Add a finished run's packets and arrivals to *t. */
void xwping_tally_result(const struct xwping_result *res, struct xwping_tally *t);
/*
 * Add one session's counts and arrivals to *t: sent and received as the
 * caller counts them, the delays of every arrival of st.  An OWAMP
 * direction's session (xw_stats_from_owamp(): T2 = T3 = T4) puts its
 * one-way delay into hist[0] and hist[1] alike.
 */
void xwping_tally_session(const struct xw_stats_session *st, uint64_t sent, uint64_t received,
			  struct xwping_tally *t);
/* xwping_delay_seconds_{bucket,sum,count} lines of t, labels "k=\"v\",...". */
void xwping_prom_hist(FILE *f, const char *labels, const struct xwping_tally *t);
/* The same for t's histogram k only, labelled direction="dir". */
void xwping_prom_hist_dir(FILE *f, const char *labels, const struct xwping_tally *t, int k,
			  const char *dir);

/* The error line for Server-Start Accept 1 (a key the server refused), TWAMP and OWAMP. */
void xwping_say_key_refused(const struct xwping_cfg *cfg, const char *srv, uint32_t modes);

struct xw_svg_part;
/* --svg: the panels into the file at path (control/svg.h); 0, or -errno after a message. */
int xwping_svg_write(const char *path, const char *title, const struct xw_svg_part *parts,
		     size_t n);

/* The line that marks a report as cut short by signo after seconds (TWAMP and OWAMP). */
void xwping_interrupted_line(FILE *f, int signo, double seconds);

/* --live once a second (TWAMP and OWAMP): packets and delays (ns) since the last line. */
struct xwping_live {
	uint32_t sent, recv;
	double min, max, sum;
};
/* One delay, of a packet received. */
void xwping_live_add(struct xwping_live *l, double ns);
/* ", WHAT min/avg/max = A/B/C ms" when anything came since the last line; then start anew. */
void xwping_live_put(struct xwping_live *l, const char *what);

/* Text of an Accept value (RFC 4656 3.3, RFC 7717 5.3). */
const char *xwping_accept_str(unsigned int accept);

#endif /* XWPING_CLIENT_H */
