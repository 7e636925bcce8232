// SPDX-License-Identifier: GPL-2.0-only
/*
 * A bare AF_XDP reflector, the baseline of tests/bench_afxdp.sh: one socket
 * on queue 0 of IFNAME with libxdp's default program (everything on the
 * queue is redirected to the socket), copy mode, woken by poll() as
 * xwampd's worker is by epoll; each frame gets its Ethernet and IPv4
 * addresses and UDP ports swapped (checksums stay valid) and is sent back
 * in place, in batches of 64, on the same socket.  No crypto, no parsing
 * beyond that: what AF_XDP itself costs here.
 *
 *	xsk_bare IFNAME      (until SIGTERM/SIGINT; prints the frames reflected)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#define NFRAMES 4096u
#define FSIZE	XSK_UMEM__DEFAULT_FRAME_SIZE
#define RING	1024u
#define BATCH	64u

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

int main(int argc, char **argv)
{
	struct xsk_socket_config sc = {.rx_size = RING, .tx_size = RING, .bind_flags = XDP_COPY};
	struct xsk_umem_config uc = {.fill_size = 2 * RING, .comp_size = RING, .frame_size = FSIZE};
	static uint64_t freel[NFRAMES];
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	unsigned int nfree = 0, i, n, outstanding = 0;
	unsigned long long total = 0;
	uint32_t idx, tidx;
	void *area;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: xsk_bare IFNAME\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	area = mmap(NULL, (size_t)NFRAMES * FSIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return 1;
	rc = xsk_umem__create(&umem, area, (__u64)NFRAMES * FSIZE, &fill, &comp, &uc);
	if (!rc)
		rc = xsk_socket__create(&xsk, argv[1], 0, umem, &rx, &tx, &sc);
	if (rc) {
		fprintf(stderr, "xsk_bare: %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	for (i = 0; i < NFRAMES; i++)
		freel[nfree++] = (uint64_t)i * FSIZE;
	while (!stop) {
		struct pollfd p = {.fd = xsk_socket__fd(xsk), .events = POLLIN};

		/* completions back to the free list, the free list into the fill ring */
		n = xsk_ring_cons__peek(&comp, RING, &idx);
		for (i = 0; i < n; i++)
			freel[nfree++] =
				*xsk_ring_cons__comp_addr(&comp, idx + i) & ~(uint64_t)(FSIZE - 1);
		xsk_ring_cons__release(&comp, n);
		outstanding -= n;
		n = xsk_prod_nb_free(&fill, nfree);
		n = n < nfree ? n : nfree;
		if (n && xsk_ring_prod__reserve(&fill, n, &idx) == n) {
			for (i = 0; i < n; i++)
				*xsk_ring_prod__fill_addr(&fill, idx + i) = freel[--nfree];
			xsk_ring_prod__submit(&fill, n);
		}
		n = xsk_ring_cons__peek(&rx, BATCH, &idx);
		if (!n) {
			if (outstanding)
				sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
			else
				poll(&p, 1, 100);
			continue;
		}
		if (xsk_prod_nb_free(&tx, n) < n || xsk_ring_prod__reserve(&tx, n, &tidx) != n) {
			/* no room: drop the batch */
			for (i = 0; i < n; i++)
				freel[nfree++] = xsk_ring_cons__rx_desc(&rx, idx + i)->addr &
						 ~(uint64_t)(FSIZE - 1);
			xsk_ring_cons__release(&rx, n);
			continue;
		}
		for (i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rx, idx + i);
			struct xdp_desc *t = xsk_ring_prod__tx_desc(&tx, tidx + i);
			uint8_t *f = xsk_umem__get_data(area, d->addr);

			if (d->len >= 42 && f[12] == 0x08 && f[13] == 0x00) {
				unsigned int ihl = (f[14] & 0xf) * 4u;

				swap(f, f + 6, 6);
				swap(f + 26, f + 30, 4);
				if (14 + ihl + 4 <= d->len)
					swap(f + 14 + ihl, f + 14 + ihl + 2, 2);
			}
			t->addr = d->addr;
			t->len = d->len;
			t->options = 0;
		}
		xsk_ring_cons__release(&rx, n);
		xsk_ring_prod__submit(&tx, n);
		outstanding += n;
		total += n;
		/* copy mode: the kernel sends a limited budget per call */
		for (i = 0; i < RING / 32 && outstanding; i++) {
			if (sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 &&
			    errno != ENOBUFS)
				break;
			n = xsk_ring_cons__peek(&comp, RING, &idx);
			for (unsigned int k = 0; k < n; k++)
				freel[nfree++] = *xsk_ring_cons__comp_addr(&comp, idx + k) &
						 ~(uint64_t)(FSIZE - 1);
			xsk_ring_cons__release(&comp, n);
			outstanding -= n;
		}
	}
	printf("xsk_bare: reflected %llu frames\n", total);
	xsk_socket__delete(xsk);
	xsk_umem__delete(umem);
	return 0;
}
