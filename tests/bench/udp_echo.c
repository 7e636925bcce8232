// SPDX-License-Identifier: GPL-2.0-only
/*
 * The baseline reflector of the benchmarks: a minimal UDP echo.  recvmmsg
 * batches of up to 64 datagrams, each sent back unchanged to where it came
 * from with one sendmmsg: no parsing, no timestamps, no crypto, nothing
 * swapped.  Whatever xwampd's reflector costs on top of this is its own.
 *
 *	udp_echo ADDR:PORT        (runs until SIGTERM/SIGINT)
 *
 * Blocking recvmmsg(MSG_WAITFORONE): one system call per batch, no epoll,
 * i.e. the cheapest a userspace reflector on a socket can be.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

#define ECHO_BATCH 64
#define ECHO_BUF   2048

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	static uint8_t data[ECHO_BATCH][ECHO_BUF];
	struct sockaddr_storage from[ECHO_BATCH];
	struct mmsghdr hdr[ECHO_BATCH];
	struct iovec iov[ECHO_BATCH];
	struct sigaction sa;
	struct xw_addr a;
	unsigned long long n_pkts = 0, n_sent = 0;
	int fd, n, i, sent;

	if (argc != 2 || xw_addr_parse(argv[1], 7, false, &a)) {
		fprintf(stderr, "usage: %s ADDR:PORT\n", argv[0]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: recvmmsg returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	fd = socket(xw_addr_family(&a), SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, &a.sa, a.len)) {
		perror("udp_echo: socket/bind");
		return 1;
	}
	while (!stop) {
		for (i = 0; i < ECHO_BATCH; i++) {
			iov[i].iov_base = data[i];
			iov[i].iov_len = ECHO_BUF;
			memset(&hdr[i], 0, sizeof(hdr[i]));
			hdr[i].msg_hdr.msg_name = &from[i];
			hdr[i].msg_hdr.msg_namelen = sizeof(from[i]);
			hdr[i].msg_hdr.msg_iov = &iov[i];
			hdr[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, hdr, ECHO_BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("udp_echo: recvmmsg");
			return 1;
		}
		/* the same headers go back out: same buffers, lengths as received */
		for (i = 0; i < n; i++)
			iov[i].iov_len = hdr[i].msg_len;
		n_pkts += (unsigned int)n;
		sent = sendmmsg(fd, hdr, (unsigned int)n, 0);
		if (sent > 0)
			n_sent += (unsigned int)sent;
	}
	fprintf(stderr, "udp_echo: received %llu, sent %llu\n", n_pkts, n_sent);
	close(fd);
	return 0;
}
