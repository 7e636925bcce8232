/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xwping's command line: one table of options that fills one typed config
 * struct, starting from const defaults, validated once (doc/style.md 8).  After
 * xwping_opts_parse() succeeds the config is only ever passed as const.
 */
#ifndef XWPING_CFG_H
#define XWPING_CFG_H

#include <stdbool.h>

#include "saprof.h"
#include <stdint.h>
#include <stdio.h>

#include "net.h"
#include "schedule.h"

/* -1 for padding: "as many octets as make both directions the same size" */
#define XWPING_PAD_AUTO (-1)

struct xwping_cfg {
	const char *server;	/* host[:port] (positional) */
	int family;		/* AF_UNSPEC, or AF_INET / AF_INET6 for -4 / -6 */
	unsigned int modes;	/* allowed security modes, XW_MODE_* bits (-A) */
	bool modes_given;	/* -A was on the command line */
	const char *keyid;	/* -u: KeyID (at most 80 octets, RFC 4656 3.1) */
	const char *keyfile;	/* -k: "KEYID hexsecret" lines (control/keyfile.h) */
	bool ike;		/* --ike: IKEv2-derived keys (RFC 7717) wanted, say when not used */
	const char *ike_keys;	/* --ike-keys: RFC 7717 key table (control/ikekeys.h) */
	const char *ike_socket; /* --ike-socket, or the charon plugin's default (validate()) */
	unsigned int ike_modes; /* security modes allowed with an IKE key (validate()) */
	/* --sa-profile: the EXPERIMENTAL IPsec SA profile's variant (control/saprof.h) */
	const char *sa_profile;
	enum xw_sa_variant sa_variant;
	const char *sa_socket;	  /* --sa-socket: the pair from the charon plugin, not the SAD */
	const char *sa_root_name; /* --sa-root */
	enum xw_sa_root sa_root;
	const struct xw_sa_pair *sa_pair; /* our SA pair with the server (main.c, from the SAD) */
	unsigned int count;		  /* -c: packets per session */
	unsigned int max_count; /* --max-count: largest greeting PBKDF2 Count (RFC 5357 6) */
	double interval;	/* -i: periodic gap, or the Poisson mean (s) */
	bool interval_given;	/* -i was given: the schedule defaults to periodic */
	enum xw_sched_kind schedule;
	bool schedule_given;
	int padding;		/* -s: Packet Padding octets, or XWPING_PAD_AUTO */
	int dscp;		/* --dscp: 0..63, Type-P Descriptor and IP_TOS */
	bool symmetric;		/* --symmetric: RFC 6038 symmetrical size */
	int reflect_octets;	/* --reflect-octets: RFC 6038 padding to reflect, -1 off */
	unsigned int sessions;	/* --sessions: test sessions on this connection */
	bool start_n;		/* --start-n: RFC 5938 Start-N-Sessions when offered */
	bool light;		/* --light: TWAMP Light, no control connection (RFC 5357 App. I) */
	double wait;		/* --wait: seconds to wait for the last replies */
	double ctl_timeout;	/* --timeout: seconds to wait for a server answer */
	double start_delay;	/* --start-delay: seconds from Start-Ack to packet 0 */
	const char *port_range; /* -P LO-HI: local test ports; NULL: the kernel picks */
	uint16_t port_lo, port_hi;
	uint64_t seed;	     /* --seed: Poisson stream (0: random) */
	bool json;	     /* --json */
	bool per_packet;     /* --per-packet (and --json -R) */
	bool raw;	     /* -R: the reference's raw per-packet lines (twping -R) */
	bool machine;	     /* -M: the reference's machine-readable summary (twping -M) */
	double bucket_width; /* -b: -M histogram bucket, seconds */
	int verbose;	     /* -v (repeatable) */
	bool quiet;	     /* -q */
	int live;	     /* --live / --no-live; -1: on when stdout is a terminal (validate()) */
	bool header;	     /* the "connecting" and "mode ... accepted" lines (validate()) */
	const char *metrics; /* --metrics ADDR:PORT: Prometheus endpoint (loader/lib/httpm.h) */
	bool owamp;	     /* -O / --owamp: OWAMP (RFC 4656) instead of TWAMP, port 861 */
	bool ow_to;	     /* -t: OWAMP to the server only */
	bool ow_from;	     /* -f: OWAMP from the server only */
	const char *ow_fetch; /* --fetch SID: OWAMP data of an earlier session (RFC 4656 3.9) */
	bool ow_ikev2;	      /* --owamp-ikev2: RFC 7717 keys for OWAMP too (RFC 7717 3) */
	const char *svg;      /* --svg FILE: a picture of the run */
	const char *source;   /* -S ADDR: our address (control connection, test packets) */
	struct xw_addr source_addr; /* -S parsed (validate()) */
	bool has_source;
	bool continuous;	/* --continuous: measure the targets until stopped */
	double report_interval; /* --report-interval: seconds of packets per JSON line */
	const char *targets;	/* --targets FILE: one HOST[:PORT] per line */
	char **extra;		/* --continuous: the servers after the first on the command line */
	unsigned int nextra;
};

extern const struct xwping_cfg xwping_defaults;

/*
 * Fill *cfg from argv (starting from xwping_defaults) and validate.
 * Returns 0 to go on, 1 when the program should exit successfully (--help,
 * --version: already printed), or -EINVAL with an error already printed.
 */
int xwping_opts_parse(int argc, char **argv, struct xwping_cfg *cfg);
void xwping_usage(FILE *f);

#endif /* XWPING_CFG_H */
