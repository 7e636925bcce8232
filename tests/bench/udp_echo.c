// SPDX-License-Identifier: GPL-2.0-only
/*
 * The baseline reflector of the benchmarks: a minimal UDP echo.  recvmmsg
 * batches of up to 64 datagrams, each sent back unchanged to where it came
 * from with one sendmmsg: no parsing, no crypto, nothing swapped.
 * Whatever xwampd's reflector costs on top of this is its own.
 *
 *	udp_echo [--stamp] [--ports N] ADDR:PORT   (runs until SIGTERM/SIGINT)
 *
 * Blocking recvmmsg(MSG_WAITFORONE): one system call per batch, no epoll,
 * i.e. the cheapest a userspace reflector on a socket can be.
 *
 * --stamp: the floor of a reflector's own time.  The kernel's receive
 * timestamp (SO_TIMESTAMPNS, T2) and the clock read right before sendmmsg
 * (T3) are written where a TWAMP reflector puts them in an unauthenticated
 * reply (RFC 5357 4.2.1: T3 at octet 4, T2 at octet 16), the sender's
 * Sequence Number (octets 0-3) left as it came, so that twload reports
 * T3 - T2 for the echo as it does for xwampd.
 * --ports N: N sockets on PORT..PORT+N-1 in one epoll loop, each read with
 * recvmmsg and answered with sendmmsg when epoll says it is readable: the
 * floor of a reflector with one socket per session.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "net.h"
#include "xwamp/wire.h"

#define ECHO_BATCH 64
#define ECHO_BUF   2048
#define ECHO_CTL   64 /* one struct timespec in a cmsg */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct echo {
	bool stamp;
	bool send_each; /* one sendmsg per datagram */
	uint8_t data[ECHO_BATCH][ECHO_BUF];
	uint8_t ctl[ECHO_BATCH][ECHO_CTL];
	struct sockaddr_storage from[ECHO_BATCH];
	struct mmsghdr hdr[ECHO_BATCH];
	struct iovec iov[ECHO_BATCH];
	unsigned long long n_pkts, n_sent;
};

static void echo_prepare(struct echo *e)
{
	int i;

	for (i = 0; i < ECHO_BATCH; i++) {
		e->iov[i].iov_base = e->data[i];
		e->iov[i].iov_len = ECHO_BUF;
		memset(&e->hdr[i], 0, sizeof(e->hdr[i]));
		e->hdr[i].msg_hdr.msg_name = &e->from[i];
		e->hdr[i].msg_hdr.msg_namelen = sizeof(e->from[i]);
		e->hdr[i].msg_hdr.msg_iov = &e->iov[i];
		e->hdr[i].msg_hdr.msg_iovlen = 1;
		if (e->stamp) {
			e->hdr[i].msg_hdr.msg_control = e->ctl[i];
			e->hdr[i].msg_hdr.msg_controllen = ECHO_CTL;
		}
	}
}

/* T2 from the kernel's timestamp of each datagram, one T3 for the batch. */
static void echo_stamp(struct echo *e, int n)
{
	uint64_t t3 = xw_clock_now_ntp();
	int i;

	for (i = 0; i < n; i++) {
		struct msghdr *mh = &e->hdr[i].msg_hdr;
		struct cmsghdr *c;

		for (c = CMSG_FIRSTHDR(mh); c && e->hdr[i].msg_len >= 24; c = CMSG_NXTHDR(mh, c)) {
			struct timespec ts;

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
				continue;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			put_be64(e->data[i] + 16, xw_timespec_to_ntp(&ts));
			put_be64(e->data[i] + 4, t3);
		}
		/* the control buffer goes back out with the reply otherwise */
		mh->msg_control = NULL;
		mh->msg_controllen = 0;
	}
}

/* Answer what one recvmmsg returned (n > 0). */
static void echo_send(struct echo *e, int fd, int n)
{
	int i, sent;

	for (i = 0; i < n; i++)
		e->iov[i].iov_len = e->hdr[i].msg_len;
	if (e->stamp)
		echo_stamp(e, n);
	e->n_pkts += (unsigned int)n;
	if (e->send_each) {
		for (i = 0; i < n; i++)
			if (sendmsg(fd, &e->hdr[i].msg_hdr, 0) > 0)
				e->n_sent++;
		return;
	}
	sent = sendmmsg(fd, e->hdr, (unsigned int)n, 0);
	if (sent > 0)
		e->n_sent += (unsigned int)sent;
}

/*
 * The receive buffer xwampd would give (refl.c): 64 MiB in all, shared by
 * the sockets, at least 64 KiB each; so that under the same stalls the echo
 * loses what xwampd would, not more for want of buffer.
 */
static int echo_socket(const struct xw_addr *a, bool stamp, unsigned int nports)
{
	int fd = socket(xw_addr_family(a), SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;
	int rb = (int)((64u << 20) / nports);

	if (rb < (64 << 10))
		rb = 64 << 10;
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb));
	if (fd < 0 || bind(fd, &a->sa, a->len) ||
	    (stamp && setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)))) {
		perror("udp_echo: socket/bind");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	static struct echo e;
	struct sigaction sa;
	struct xw_addr a;
	unsigned int nports = 1, i;
	int fd, n, ep = -1, argi = 1;

	for (; argi < argc - 1; argi++) {
		if (!strcmp(argv[argi], "--stamp"))
			e.stamp = true;
		else if (!strcmp(argv[argi], "--send-each"))
			e.send_each = true;
		else if (!strcmp(argv[argi], "--ports") && argi + 1 < argc - 1)
			nports = (unsigned int)strtoul(argv[++argi], NULL, 10);
		else
			break;
	}
	if (argi != argc - 1 || xw_addr_parse(argv[argi], 7, false, &a) || !nports ||
	    xw_addr_port(&a) + nports - 1 > 65535) {
		fprintf(stderr, "usage: %s [--stamp] [--ports N] ADDR:PORT\n", argv[0]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: recvmmsg returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = echo_socket(&a, e.stamp, nports);
	if (nports > 1) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
			perror("udp_echo: epoll");
			return 1;
		}
		for (i = 1; i < nports; i++) {
			struct xw_addr b = a;

			xw_addr_set_port(&b, (uint16_t)(xw_addr_port(&a) + i));
			ev.data.fd = echo_socket(&b, e.stamp, nports);
			if (epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev)) {
				perror("udp_echo: epoll");
				return 1;
			}
		}
	}
	while (!stop) {
		struct epoll_event evs[64];
		int k, nev;

		if (ep < 0) {
			echo_prepare(&e);
			n = recvmmsg(fd, e.hdr, ECHO_BATCH, MSG_WAITFORONE, NULL);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				perror("udp_echo: recvmmsg");
				return 1;
			}
			/* the same headers go back out: same buffers, lengths as received */
			echo_send(&e, fd, n);
			continue;
		}
		nev = epoll_wait(ep, evs, 64, -1);
		for (k = 0; k < nev; k++) {
			echo_prepare(&e);
			n = recvmmsg(evs[k].data.fd, e.hdr, ECHO_BATCH, MSG_DONTWAIT, NULL);
			if (n > 0)
				echo_send(&e, evs[k].data.fd, n);
		}
	}
	fprintf(stderr, "udp_echo: received %llu, sent %llu\n", e.n_pkts, e.n_sent);
	close(fd);
	return 0;
}
