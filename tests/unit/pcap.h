/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Header-only reader for the reference captures (tests/data/captures): classic
 * pcap (either byte order, microsecond or nanosecond magic), Ethernet link
 * type, IPv4, TCP and UDP.  It gives
 *   - every UDP datagram in capture order (ports, payload, time, TTL, TOS);
 *   - the TCP payload of the control connection (the one to port 861 or 862)
 *     per direction, reassembled in sequence order: retransmitted and
 *     overlapping segments are placed by their sequence number, so a
 *     duplicate costs nothing and a hole is an error;
 *   - the TCP segments carrying payload, with their offset in the stream, so
 *     a test can find where a frame's message starts.
 *
 * All functions are static: include it from one test file, link nothing.
 *
 *   struct xw_pcap cap;
 *   if (xw_pcap_open_capture(&cap, "perfsonar-twamp-open.pcap") == 0) {
 *           ... cap.udp[i], cap.dir[XW_PCAP_C2S].data ...
 *           xw_pcap_close(&cap);
 *   }
 */
#ifndef XW_TESTS_PCAP_H
#define XW_TESTS_PCAP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XW_PCAP_MAX_UDP	 256
#define XW_PCAP_MAX_SEGS 256

enum xw_pcap_dir {
	XW_PCAP_C2S = 0, /* control client -> server (the side that connected) */
	XW_PCAP_S2C = 1,
};

struct xw_pcap_udp {
	uint32_t frame; /* 1-based frame number, as Wireshark counts */
	uint64_t ts_ns; /* capture time, ns since the Unix epoch */
	uint16_t sport, dport;
	uint8_t ttl, tos;
	const uint8_t *data; /* points into the loaded file */
	size_t len;
};

struct xw_pcap_seg {
	uint32_t frame;
	uint8_t dir; /* enum xw_pcap_dir */
	size_t off;  /* offset of the first payload octet in the direction's stream */
	size_t len;  /* payload length (a retransmission repeats an offset) */
	uint64_t ts_ns;
};

struct xw_pcap_stream {
	uint8_t *data; /* reassembled payload (malloc'd; NULL when empty) */
	size_t len;
	uint16_t sport, dport; /* ports of this direction */
};

struct xw_pcap {
	uint8_t *file;
	size_t file_len;
	struct xw_pcap_udp udp[XW_PCAP_MAX_UDP];
	size_t n_udp;
	/* the control connection; has_control is 0 if the capture has none */
	int has_control;
	uint16_t server_port; /* 861 or 862 */
	struct xw_pcap_stream dir[2];
	struct xw_pcap_seg segs[XW_PCAP_MAX_SEGS];
	size_t n_segs;
};

static inline uint16_t xw_pcap_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t xw_pcap_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t xw_pcap_rd32(const uint8_t *p, int swap)
{
	if (swap)
		return xw_pcap_be32(p);
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The captures directory: $XW_CAPTURES, else tests/data/captures (cwd = repo root). */
static inline const char *xw_captures_dir(void)
{
	const char *d = getenv("XW_CAPTURES");

	return d && *d ? d : "tests/data/captures";
}

/* dir/name into buf; -ENAMETOOLONG when it does not fit. */
static inline int xw_capture_path(const char *name, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/%s", xw_captures_dir(), name);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* TCP segment as seen while scanning, before reassembly. */
struct xw_pcap_raw_seg {
	uint32_t frame;
	uint64_t ts_ns;
	uint16_t sport, dport;
	uint32_t seq;
	uint8_t flags;
	const uint8_t *data;
	size_t len;
};

#define XW_PCAP_TCP_FIN 0x01
#define XW_PCAP_TCP_SYN 0x02
#define XW_PCAP_TCP_ACK 0x10

static inline int xw_pcap_raw_cmp(const void *a, const void *b)
{
	const struct xw_pcap_raw_seg *x = a, *y = b;

	/* stable enough: by relative seq (stored in seq), then by frame */
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/*
 * Reassemble one direction: raw[] holds only that direction's segments with
 * seq already made relative to the ISN + 1 (the first payload octet is 0).
 */
static inline int xw_pcap_reassemble(struct xw_pcap *cap, int d, struct xw_pcap_raw_seg *raw,
				     size_t n)
{
	struct xw_pcap_stream *st = &cap->dir[d];
	size_t i, total = 0, next = 0;

	qsort(raw, n, sizeof(*raw), xw_pcap_raw_cmp);
	for (i = 0; i < n; i++)
		if (raw[i].seq + raw[i].len > total)
			total = raw[i].seq + raw[i].len;
	if (!total)
		return 0;
	st->data = malloc(total);
	if (!st->data)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		size_t s = raw[i].seq, e = s + raw[i].len;

		if (s > next) {
			fprintf(stderr, "pcap: hole in TCP stream before frame %u (offset %zu)\n",
				raw[i].frame, next);
			return -EPROTO;
		}
		if (e > next) {
			memcpy(st->data + next, raw[i].data + (next - s), e - next);
			next = e;
		}
	}
	st->len = next;
	return 0;
}

static inline void xw_pcap_close(struct xw_pcap *cap)
{
	free(cap->dir[0].data);
	free(cap->dir[1].data);
	free(cap->file);
	memset(cap, 0, sizeof(*cap));
}

/* Direction of a raw segment of the control connection, -1 for other ones. */
static inline int xw_pcap_dir_of(const struct xw_pcap *cap, uint16_t client_port,
				 const struct xw_pcap_raw_seg *r)
{
	if (r->sport == client_port && r->dport == cap->server_port)
		return XW_PCAP_C2S;
	if (r->sport == cap->server_port && r->dport == client_port)
		return XW_PCAP_S2C;
	return -1;
}

static inline int xw_pcap_parse(struct xw_pcap *cap)
{
	struct xw_pcap_raw_seg raw[XW_PCAP_MAX_SEGS], per[2][XW_PCAP_MAX_SEGS];
	const uint8_t *f = cap->file;
	size_t off = 24, n_raw = 0, n_per[2] = {0, 0}, i;
	uint32_t magic, frame = 0, isn[2] = {0, 0};
	int swap, nsec, have_isn[2] = {0, 0}, err;
	uint16_t client_port = 0;

	if (cap->file_len < 24)
		return -EINVAL;
	magic = xw_pcap_rd32(f, 0);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = 1;
	else
		return -EINVAL;
	nsec = xw_pcap_rd32(f, swap) == 0xa1b23c4d;
	if (xw_pcap_rd32(f + 20, swap) != 1) /* LINKTYPE_ETHERNET */
		return -EPROTONOSUPPORT;

	while (off + 16 <= cap->file_len) {
		uint32_t ts_s = xw_pcap_rd32(f + off, swap), ts_f = xw_pcap_rd32(f + off + 4, swap);
		size_t caplen = xw_pcap_rd32(f + off + 8, swap), ihl, iplen, l4len;
		const uint8_t *fr = f + off + 16, *ip, *l4;
		uint64_t ts = (uint64_t)ts_s * 1000000000u + (nsec ? ts_f : ts_f * 1000ull);

		if (caplen > cap->file_len - off - 16)
			return -EINVAL; /* truncated file */
		off += 16 + caplen;
		frame++;
		if (caplen < 14 + 20 || xw_pcap_be16(fr + 12) != 0x0800)
			continue;
		ip = fr + 14;
		ihl = (size_t)(ip[0] & 0x0f) * 4;
		iplen = xw_pcap_be16(ip + 2);
		if ((ip[0] >> 4) != 4 || ihl < 20 || iplen < ihl || iplen > caplen - 14)
			continue;
		if (xw_pcap_be16(ip + 6) & 0x3fff)
			continue; /* fragments: not in these captures */
		l4 = ip + ihl;
		l4len = iplen - ihl;
		if (ip[9] == 17 && l4len >= 8) {
			struct xw_pcap_udp *u;
			size_t ulen = xw_pcap_be16(l4 + 4);

			if (ulen < 8 || ulen > l4len)
				continue;
			if (cap->n_udp == XW_PCAP_MAX_UDP)
				return -E2BIG;
			u = &cap->udp[cap->n_udp++];
			u->frame = frame;
			u->ts_ns = ts;
			u->sport = xw_pcap_be16(l4);
			u->dport = xw_pcap_be16(l4 + 2);
			u->ttl = ip[8];
			u->tos = ip[1];
			u->data = l4 + 8;
			u->len = ulen - 8;
		} else if (ip[9] == 6 && l4len >= 20) {
			size_t doff = (size_t)(l4[12] >> 4) * 4;
			struct xw_pcap_raw_seg *r;
			uint16_t sp = xw_pcap_be16(l4), dp = xw_pcap_be16(l4 + 2);

			if (doff < 20 || doff > l4len)
				continue;
			if (sp != 861 && sp != 862 && dp != 861 && dp != 862)
				continue;
			if (n_raw == XW_PCAP_MAX_SEGS)
				return -E2BIG;
			r = &raw[n_raw++];
			r->frame = frame;
			r->ts_ns = ts;
			r->sport = sp;
			r->dport = dp;
			r->seq = xw_pcap_be32(l4 + 4);
			r->flags = l4[13];
			r->data = l4 + doff;
			r->len = l4len - doff;
			/* the side that sent the bare SYN is the client */
			if ((r->flags & (XW_PCAP_TCP_SYN | XW_PCAP_TCP_ACK)) == XW_PCAP_TCP_SYN &&
			    !client_port) {
				client_port = sp;
				cap->server_port = dp;
			}
		}
	}
	if (!n_raw)
		return 0;
	if (!client_port) {
		/* no handshake captured: the well-known port tells the server */
		for (i = 0; i < n_raw && !client_port; i++) {
			if (raw[i].dport == 861 || raw[i].dport == 862) {
				client_port = raw[i].sport;
				cap->server_port = raw[i].dport;
			}
		}
	}
	cap->has_control = 1;
	cap->dir[XW_PCAP_C2S].sport = client_port;
	cap->dir[XW_PCAP_C2S].dport = cap->server_port;
	cap->dir[XW_PCAP_S2C].sport = cap->server_port;
	cap->dir[XW_PCAP_S2C].dport = client_port;

	/*
	 * Relative sequence numbers: the ISN + 1 from the SYN; without a SYN,
	 * the lowest sequence number that carries payload.
	 */
	for (i = 0; i < n_raw; i++) {
		int d = xw_pcap_dir_of(cap, client_port, &raw[i]);

		if (d < 0)
			continue; /* another connection: ignored */
		if (raw[i].flags & XW_PCAP_TCP_SYN) {
			isn[d] = raw[i].seq + 1;
			have_isn[d] = 2;
		} else if (raw[i].len && have_isn[d] != 2 &&
			   (!have_isn[d] || (int32_t)(raw[i].seq - isn[d]) < 0)) {
			isn[d] = raw[i].seq;
			have_isn[d] = 1;
		}
	}
	for (i = 0; i < n_raw; i++) {
		int d = xw_pcap_dir_of(cap, client_port, &raw[i]);
		struct xw_pcap_raw_seg *r;

		if (d < 0 || !raw[i].len || (int32_t)(raw[i].seq - isn[d]) < 0)
			continue;
		r = &per[d][n_per[d]++];
		*r = raw[i];
		r->seq = raw[i].seq - isn[d];
		if (cap->n_segs < XW_PCAP_MAX_SEGS) {
			struct xw_pcap_seg *s = &cap->segs[cap->n_segs++];

			s->frame = raw[i].frame;
			s->dir = (uint8_t)d;
			s->off = r->seq;
			s->len = raw[i].len;
			s->ts_ns = raw[i].ts_ns;
		}
	}
	for (i = 0; i < 2; i++) {
		err = xw_pcap_reassemble(cap, (int)i, per[i], n_per[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Load and parse a pcap file; 0 or negative errno (with a line on stderr). */
static inline int xw_pcap_open(struct xw_pcap *cap, const char *path)
{
	FILE *fp;
	long sz;
	int err;

	memset(cap, 0, sizeof(*cap));
	fp = fopen(path, "rb");
	if (!fp) {
		err = -errno;
		fprintf(stderr, "pcap: %s: %s\n", path, strerror(errno));
		return err;
	}
	if (fseek(fp, 0, SEEK_END) || (sz = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET)) {
		fclose(fp);
		return -EIO;
	}
	cap->file_len = (size_t)sz;
	cap->file = malloc(cap->file_len ? cap->file_len : 1);
	if (!cap->file) {
		fclose(fp);
		return -ENOMEM;
	}
	if (fread(cap->file, 1, cap->file_len, fp) != cap->file_len) {
		fclose(fp);
		xw_pcap_close(cap);
		return -EIO;
	}
	fclose(fp);
	err = xw_pcap_parse(cap);
	if (err) {
		fprintf(stderr, "pcap: %s: cannot parse (%d)\n", path, err);
		xw_pcap_close(cap);
	}
	return err;
}

/* xw_pcap_open() of a file in the captures directory. */
static inline int xw_pcap_open_capture(struct xw_pcap *cap, const char *name)
{
	char path[1024];
	int err = xw_capture_path(name, path, sizeof(path));

	if (err) {
		memset(cap, 0, sizeof(*cap));
		return err;
	}
	return xw_pcap_open(cap, path);
}

/* Index in segs[] of the payload segment captured in frame `frame`, or -1. */
static inline int xw_pcap_seg_of_frame(const struct xw_pcap *cap, uint32_t frame)
{
	size_t i;

	for (i = 0; i < cap->n_segs; i++)
		if (cap->segs[i].frame == frame)
			return (int)i;
	return -1;
}

#endif /* XW_TESTS_PCAP_H */
