// SPDX-License-Identifier: GPL-2.0-only
/*
 * The baseline server of the session set-up benchmark: accept a TCP
 * connection, write 64 octets (the size of a Server Greeting, RFC 4656
 * 3.1), close.  No state machine, no crypto, no timers: the cost of the
 * kernel's TCP handshake and teardown plus one epoll loop, which xwampd's
 * control exchange pays too.
 *
 *	tcp_greet ADDR:PORT       (runs until SIGTERM/SIGINT)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	uint8_t greeting[64];
	unsigned long long n_conns = 0;
	struct epoll_event ev;
	struct sigaction sa;
	struct xw_addr a, peer;
	int lfd, ep, fd, n;
	ssize_t k;

	if (argc != 2 || xw_addr_parse(argv[1], 862, false, &a)) {
		fprintf(stderr, "usage: %s ADDR:PORT\n", argv[0]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	memset(greeting, 0, sizeof(greeting));
	greeting[15] = 1; /* Modes: open, so that it looks like a greeting */

	lfd = xw_tcp_listen(&a, 1024);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (lfd < 0 || ep < 0) {
		fprintf(stderr, "tcp_greet: listen: %s\n", strerror(lfd < 0 ? -lfd : errno));
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!stop) {
		n = epoll_wait(ep, &ev, 1, -1);
		if (n <= 0)
			continue;
		for (;;) {
			fd = xw_tcp_accept(lfd, &peer);
			if (fd < 0)
				break;
			k = send(fd, greeting, sizeof(greeting), MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)k;
			close(fd);
			n_conns++;
		}
	}
	fprintf(stderr, "tcp_greet: %llu connections\n", n_conns);
	close(lfd);
	return 0;
}
