// SPDX-License-Identifier: GPL-2.0-only
/* --continuous --metrics: the parent's endpoint over the targets' processes (fleet.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fleet.h"
#include "httpm.h"
#include "log.h"
#include "loop.h"

_Static_assert(sizeof(struct xwping_fleet_msg) <= PIPE_BUF, "one atomic write per message");

static const char *const state_names[XWPING_FLEET_NSTATES] = {
	[XWPING_FLEET_MEASURING] = "measuring",
	[XWPING_FLEET_DOWN] = "down",
	[XWPING_FLEET_STOPPED] = "stopped",
};

static void send_msg(int fd, const struct xwping_fleet_msg *msg)
{
	struct xwping_fleet_msg m = *msg;
	ssize_t w;

	do
		w = write(fd, &m, sizeof(m));
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)sizeof(m))
		pr_warn("metrics report to the parent: %s",
			w < 0 ? strerror(errno) : "short write");
}

void xwping_fleet_report(int fd, unsigned int target, enum xwping_fleet_state st,
			 const struct xwping_tally *t)
{
	struct xwping_fleet_msg m = {.target = target, .state = st, .done = t != NULL};

	if (fd < 0)
		return;
	if (t)
		m.tally[0] = *t;
	send_msg(fd, &m);
}

void xwping_fleet_report_ow(int fd, unsigned int target, const struct xwping_tally t[2],
			    const bool on[2])
{
	struct xwping_fleet_msg m = {.target = target, .state = XWPING_FLEET_MEASURING, .done = 1};

	if (fd < 0)
		return;
	m.dirs = (on[0] ? XWPING_FLEET_FWD : 0) | (on[1] ? XWPING_FLEET_BWD : 0);
	m.tally[0] = t[0];
	m.tally[1] = t[1];
	send_msg(fd, &m);
}

struct fleet_target {
	char label[320]; /* target="...", escaped */
	enum xwping_fleet_state state;
	bool up; /* the last interval completed */
	uint64_t intervals, failures;
	struct xwping_tally sum;   /* counters and histograms since the start (TWAMP) */
	struct xwping_tally ow[2]; /* OWAMP: the same per direction (to, from the server) */
};

struct fleet {
	struct xw_loop loop;
	struct fleet_target *tg;
	unsigned int n, alive;
	pid_t *pids;
	unsigned int ow_dirs; /* 0: TWAMP; OWAMP: XWPING_FLEET_FWD | _BWD measured */
	int rfd, sfd, ret;
	struct xw_io rio, sio;
	struct xw_httpm *http;
};

/* target="T" with '"', '\' and control characters made '_' (text format 0.0.4 label value) */
static void make_label(char *out, size_t len, const char *t)
{
	size_t o = (size_t)snprintf(out, len, "target=\"");
	for (; *t && o + 2 < len; t++)
		out[o++] = (*t == '"' || *t == '\\' || (unsigned char)*t < 0x20) ? '_' : *t;
	out[o++] = '"';
	out[o] = 0;
}

static void tally_add(struct xwping_tally *s, const struct xwping_tally *t)
{
	int k, b;

	s->sent += t->sent;
	s->received += t->received;
	s->lost += t->lost;
	s->dups += t->dups;
	s->reordered += t->reordered;
	for (k = 0; k < 3; k++) {
		for (b = 0; b <= XWPING_NBUCKETS; b++)
			s->hist[k][b] += t->hist[k][b];
		s->hsum[k] += t->hsum[k];
	}
	if (t->received) { /* gauges: the last interval that had an answer */
		s->synced = t->synced;
		s->err_bound = t->err_bound;
	}
}

static void on_msgs(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct fleet *f = io->arg;
	struct xwping_fleet_msg m;
	ssize_t r;

	(void)l;
	(void)events;
	for (;;) {
		r = read(f->rfd, &m, sizeof(m));
		if (r != (ssize_t)sizeof(m)) {
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
				xw_loop_del(&f->loop, &f->rio); /* every child gone */
			else if (r > 0)
				pr_warn("metrics: a short message (%zd octets) from a target", r);
			return;
		}
		if (m.target >= f->n || m.state >= XWPING_FLEET_NSTATES) {
			pr_warn("metrics: a message for target %u state %u ignored", m.target,
				m.state);
			continue;
		}
		f->tg[m.target].state = m.state;
		if (m.state == XWPING_FLEET_DOWN) {
			f->tg[m.target].up = false;
			f->tg[m.target].failures++;
		}
		if (m.done) {
			f->tg[m.target].up = true;
			f->tg[m.target].intervals++;
			if (!m.dirs)
				tally_add(&f->tg[m.target].sum, &m.tally[0]);
			if (m.dirs & XWPING_FLEET_FWD)
				tally_add(&f->tg[m.target].ow[0], &m.tally[0]);
			if (m.dirs & XWPING_FLEET_BWD)
				tally_add(&f->tg[m.target].ow[1], &m.tally[1]);
		}
	}
}

static void on_signal(struct xw_loop *l, struct xw_io *io, uint32_t events)
{
	struct fleet *f = io->arg;
	struct signalfd_siginfo si;
	unsigned int i;
	int status;
	pid_t p;

	(void)events;
	while (read(f->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
			for (i = 0; i < f->n; i++)
				if (f->pids[i] > 0)
					kill(f->pids[i], (int)si.ssi_signo);
		}
	}
	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < f->n; i++) {
			if (f->pids[i] != p)
				continue;
			f->pids[i] = 0;
			f->alive--;
			f->tg[i].state = XWPING_FLEET_STOPPED;
			f->tg[i].up = false;
			if (!f->ret && WIFEXITED(status))
				f->ret = WEXITSTATUS(status);
		}
	}
	if (!f->alive)
		xw_loop_stop(l);
}

/* What the per-packet metrics are labelled with: a target, or a target's OWAMP direction. */
struct fleet_row {
	char label[360]; /* target="..."[,direction="..."] */
	const char *tlabel, *dir;
	const struct xwping_tally *t;
};

static unsigned int make_rows(const struct fleet *f, struct fleet_row *rows)
{
	static const char *const dir[2] = {"forward", "backward"};
	unsigned int i, d, n = 0;

	for (i = 0; i < f->n; i++) {
		if (!f->ow_dirs) {
			rows[n] = (struct fleet_row){.tlabel = f->tg[i].label, .t = &f->tg[i].sum};
			snprintf(rows[n++].label, sizeof(rows[0].label), "%s", f->tg[i].label);
			continue;
		}
		for (d = 0; d < 2; d++) {
			if (!(f->ow_dirs & (1u << d)))
				continue;
			rows[n] = (struct fleet_row){
				.tlabel = f->tg[i].label, .dir = dir[d], .t = &f->tg[i].ow[d]};
			snprintf(rows[n++].label, sizeof(rows[0].label), "%s,direction=\"%s\"",
				 f->tg[i].label, dir[d]);
		}
	}
	return n;
}

static void render(void *arg, FILE *out)
{
	struct fleet *f = arg;
	const struct fleet_target *t;
	const struct xwping_tally *c;
	struct fleet_row *rows = calloc(2 * (size_t)f->n, sizeof(*rows));
	unsigned int i, s, r, nrows;

	if (!rows)
		return;
	nrows = make_rows(f, rows);

	xw_prom_help(out, "xwping_session_state", "gauge",
		     "1 for the state the target is in (measuring: a session runs; down: the "
		     "last attempt failed, retrying; stopped: its process ended)");
	for (i = 0; i < f->n; i++)
		for (s = 0; s < XWPING_FLEET_NSTATES; s++)
			fprintf(out, "xwping_session_state{%s,state=\"%s\"} %d\n", f->tg[i].label,
				state_names[s], f->tg[i].state == s);
#define PER_TARGET(name, type, help, fmt, expr)                              \
	do {                                                                 \
		xw_prom_help(out, name, type, help);                         \
		for (i = 0; i < f->n; i++) {                                 \
			t = &f->tg[i];                                       \
			fprintf(out, name "{%s} " fmt "\n", t->label, expr); \
		}                                                            \
	} while (0)
	PER_TARGET("xwping_target_up", "gauge", "1 when the target's last interval completed", "%d",
		   t->up);
	PER_TARGET("xwping_intervals_total", "counter", "intervals measured", "%llu",
		   (unsigned long long)t->intervals);
	PER_TARGET("xwping_failures_total", "counter",
		   "attempts that failed (no route, refused, no answer to the control "
		   "connection)",
		   "%llu", (unsigned long long)t->failures);
#undef PER_TARGET
	/* per target (TWAMP), per target and direction (OWAMP: one-way packets) */
#define PER_ROW(name, type, help, fmt, expr)                                      \
	do {                                                                      \
		xw_prom_help(out, name, type, help);                              \
		for (r = 0; r < nrows; r++) {                                     \
			c = rows[r].t;                                            \
			fprintf(out, name "{%s} " fmt "\n", rows[r].label, expr); \
		}                                                                 \
	} while (0)
	PER_ROW("xwping_packets_sent_total", "counter", "test packets sent", "%llu",
		(unsigned long long)c->sent);
	PER_ROW("xwping_packets_received_total", "counter",
		"test packets answered (first copies; OWAMP: received)", "%llu",
		(unsigned long long)c->received);
	PER_ROW("xwping_packets_lost_total", "counter",
		"test packets unanswered (OWAMP: not received) at the end of their interval",
		"%llu", (unsigned long long)c->lost);
	PER_ROW("xwping_packets_duplicated_total", "counter", "extra copies of answers", "%llu",
		(unsigned long long)c->dups);
	PER_ROW("xwping_packets_reordered_total", "counter", "answers out of order (RFC 4737 3.3)",
		"%llu", (unsigned long long)c->reordered);
	PER_ROW("xwping_clock_synchronized", "gauge",
		"1 when both clocks of the last answer said synchronized (Error Estimate S "
		"bit)",
		"%d", c->synced);
	PER_ROW("xwping_clock_error_bound_seconds", "gauge",
		"one-way error bound of the last answer (both Error Estimates)", "%g",
		c->err_bound);
#undef PER_ROW
	xw_prom_help(out, "xwping_delay_seconds", "histogram", XWPING_HIST_HELP);
	for (r = 0; r < nrows; r++)
		if (rows[r].dir) /* the one-way delay of that direction */
			xwping_prom_hist_dir(out, rows[r].tlabel, rows[r].t, 1, rows[r].dir);
		else
			xwping_prom_hist(out, rows[r].tlabel, rows[r].t);
	free(rows);
}

int xwping_fleet_serve(const char *addr, char *const *t, pid_t *pids, unsigned int n, int rfd,
		       unsigned int ow_dirs)
{
	struct fleet f = {.n = n, .pids = pids, .rfd = rfd, .sfd = -1, .ow_dirs = ow_dirs};
	unsigned int i;
	sigset_t set;
	int rc;

	f.tg = calloc(n, sizeof(*f.tg));
	for (i = 0; i < n; i++) {
		if (pids[i] > 0)
			f.alive++;
		if (f.tg) {
			make_label(f.tg[i].label, sizeof(f.tg[i].label), t[i]);
			f.tg[i].state = pids[i] > 0 ? XWPING_FLEET_MEASURING : XWPING_FLEET_STOPPED;
		}
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	fcntl(rfd, F_SETFL, fcntl(rfd, F_GETFL) | O_NONBLOCK);
	rc = !f.tg ? -ENOMEM : xw_loop_init(&f.loop);
	if (!rc) {
		f.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
		rc = f.sfd < 0 ? -errno
			       : xw_loop_add(&f.loop, &f.sio, f.sfd, EPOLLIN, on_signal, &f);
		if (!rc)
			rc = xw_loop_add(&f.loop, &f.rio, rfd, EPOLLIN, on_msgs, &f);
		if (!rc)
			rc = xw_httpm_open(&f.loop, addr, render, &f, &f.http);
		if (!rc && f.alive) {
			/* a child may have ended before the signalfd existed */
			on_signal(&f.loop, &f.sio, 0);
			if (f.alive)
				rc = xw_loop_run(&f.loop);
		}
		xw_httpm_close(f.http);
		if (f.rio.added)
			xw_loop_del(&f.loop, &f.rio);
		if (f.sio.added)
			xw_loop_del(&f.loop, &f.sio);
		if (f.sfd >= 0)
			close(f.sfd);
		xw_loop_fini(&f.loop);
	}
	if (rc) {
		f.ret = 1;
		for (i = 0; i < n; i++)
			if (pids[i] > 0)
				kill(pids[i], SIGTERM);
		for (i = 0; i < n; i++)
			if (pids[i] > 0)
				waitpid(pids[i], NULL, 0);
	}
	free(f.tg);
	return f.ret;
}
