/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The unauthenticated TWAMP-Test reflect transform (RFC 5357 4.2, 4.2.1;
 * RFC 6038 5.2), in place on the UDP payload, as ONE inline function that
 * the XDP program, a tc program and userspace tests all call
 * (doc/design.md decision 5).  No libc, no division, bounded loops, and
 * every access past the first 41 octets is checked against `end`, so the
 * BPF verifier accepts it as it is.
 *
 * Session-Sender packet (RFC 4656 4.1.2), Session-Reflector packet (RFC
 * 5357 4.2.1), offsets in octets:
 *
 *   sender:     0 seq | 4 timestamp | 12 error estimate | 14 padding
 *               (RFC 6038 5.1.4 Symmetrical Size: 14 MBZ(27) | 41 padding)
 *   reflector:  0 seq | 4 timestamp (T3) | 12 error estimate | 14 MBZ(2)
 *               | 16 receive timestamp (T2) | 24 sender seq
 *               | 28 sender timestamp | 36 sender error estimate | 38 MBZ(2)
 *               | 40 sender TTL | 41 padding
 *
 * Length (RFC 5357 4.2.1, RFC 6038 5.1.3, 5.2.1, 5.2.2): the reflector's
 * packet is max(sender length, 41 + octets to reflect).  A sender that
 * padded at least 27 (+ reflect length) octets gets a packet of its own
 * length back; a shorter one gets the minimum, so the caller must have room
 * for XW_REFL_OUT_LEN() octets (XDP: bpf_xdp_adjust_tail() first).
 *
 * Padding: the sender's padding is re-used with its highest-numbered octets
 * discarded (RFC 5357 4.2.1 SHOULD), so that the RFC 6038 octets to be
 * reflected open the reflector's padding.  Without Symmetrical Size this
 * moves the padding from offset 14 to 41 (a copy of len - 41 octets, done
 * backwards in 32-octet pieces because the ranges overlap); with Symmetrical
 * Size it already sits at 41 and nothing moves.  This is exactly what
 * control/testpkt.c xw_tp_reflect_open() does; tests/bpf/test_xdp_reflect.c
 * checks the two agree byte for byte.
 */
#ifndef XWAMP_REFLECT_H
#define XWAMP_REFLECT_H

#include "xwamp/ntp.h"
#include "xwamp/types.h"
#include "xwamp/wire.h"

/* Sizes (RFC 4656 4.1.2, RFC 5357 4.2.1, RFC 6038 5.1.4). */
#define XW_REFL_SENDER_HDR 14
#define XW_REFL_HDR	   41
#define XW_REFL_SYM_MBZ	   27

/* Session flags (also the session table's, see bpf_shared.h). */
#define XW_REFL_F_SYMMETRIC 0x01 /* RFC 6038 Symmetrical Size */
#define XW_REFL_F_REFLECT   0x02 /* RFC 6038 Reflect Octets: reflect_len is used */

/*
 * Errors: negative errno values, the same numbers that control/testpkt.h
 * uses (the kernel ABI values; vmlinux.h has no errno.h), so that both
 * reflectors can be compared and counted alike.
 */
#define XW_REFL_E_TRUNC (-61) /* -ENODATA: shorter than header (+ octets to reflect) */
#define XW_REFL_E_LEN	(-90) /* -EMSGSIZE: not the session's sender length */
#define XW_REFL_E_MULT0 (-71) /* -EPROTO: Error Estimate Multiplier 0 (RFC 4656 4.1.2) */
#define XW_REFL_E_NOSPC (-28) /* -ENOSPC: no room for the reflector's packet */

/*
 * Bound of the padding move: a move is at most XW_REFL_MAX_MOVE - 1
 * octets, i.e. the reflector packet at most XW_REFL_MAX_MOVE + 40 octets;
 * longer answers are XW_REFL_E_NOSPC (the BPF programs pass the frame and
 * the session's socket answers it, with the same bytes).  An XDP buffer is
 * at most a page, so 4096 bounds the loop the verifier walks (generic XDP
 * and tc with a jumbo MTU see longer frames); userspace may reflect any
 * UDP payload.  A power of two (the move masks with it - 1).  Tests define
 * it before including this header to run the BPF bound in userspace.
 */
#ifndef XW_REFL_MAX_MOVE
#if defined(__bpf__)
#define XW_REFL_MAX_MOVE 4096
#else
#define XW_REFL_MAX_MOVE 65536
#endif
#endif

/*
 * Padding move pieces.  BPF: unaligned 64-bit loads and stores (the JITs of
 * x86 and arm64 allow them on packet data; clang would otherwise split a
 * memcpy of unknown alignment into byte accesses).  Userspace: memcpy,
 * which the compiler turns into the same.
 */
#if defined(__bpf__)
typedef __u64 __attribute__((may_alias)) xw_refl_u64;
typedef __u32 __attribute__((may_alias)) xw_refl_u32;
typedef __u16 __attribute__((may_alias)) xw_refl_u16;
#define XW_REFL_LD8(p)	    (*(const xw_refl_u64 *)(p))
#define XW_REFL_ST8(p, v)   (*(xw_refl_u64 *)(p) = (v))
#define XW_REFL_COPY4(d, s) (*(xw_refl_u32 *)(d) = *(const xw_refl_u32 *)(s))
#define XW_REFL_COPY2(d, s) (*(xw_refl_u16 *)(d) = *(const xw_refl_u16 *)(s))
#else
XW_INLINE __u64 xw_refl_ld8(const void *p)
{
	__u64 v;

	__builtin_memcpy(&v, p, 8);
	return v;
}
#define XW_REFL_LD8(p) xw_refl_ld8(p)
#define XW_REFL_ST8(p, v)                      \
	({                                     \
		__u64 v_ = (v);                \
		__builtin_memcpy((p), &v_, 8); \
	})
#define XW_REFL_COPY4(d, s) __builtin_memcpy((d), (s), 4)
#define XW_REFL_COPY2(d, s) __builtin_memcpy((d), (s), 2)
#endif

/*
 * Big-endian stores of the reflector's fields: on a little-endian BPF
 * target one byte swap and one unaligned store instead of wire.h's octet
 * stores (a third of the rewrite's instructions); elsewhere wire.h.
 */
#if defined(__bpf__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define XW_REFL_PUT32(p, v) (*(xw_refl_u32 *)(p) = __builtin_bswap32(v))
#define XW_REFL_PUT64(p, v) (*(xw_refl_u64 *)(p) = __builtin_bswap64(v))
#else
#define XW_REFL_PUT32(p, v) put_be32((p), (v))
#define XW_REFL_PUT64(p, v) put_be64((p), (v))
#endif

/*
 * The session's next Sequence Number, fetched and incremented atomically
 * (see xw_reflect_open()).  Only bench_xdp's floor programs replace it.
 */
#ifndef XW_REFL_SEQ_NEXT
#define XW_REFL_SEQ_NEXT(p) __sync_fetch_and_add((p), 1)
#endif

/* Hides a value from the optimizer (so that a no-op mask stays). */
#define XW_REFL_OPAQUE(x) __asm__ volatile("" : "+r"(x))

/* Length of the reflector's answer to a sender packet of len octets. */
#define XW_REFL_OUT_LEN(len, reflect_len) \
	((len) > XW_REFL_HDR + (reflect_len) ? (len) : XW_REFL_HDR + (reflect_len))

/*
 * xw_ns_to_ntp() (ntp.h) without its two 64-bit divisions, which cost
 * ~4 ns per packet in the XDP program: the same result, bit for bit.
 * *cache holds the Unix second of an earlier call (0: none; any value is
 * safe, it is only a guess that is checked).  Within that second the
 * fraction is a multiply and shift: m = ceil(2^63 / 1e9) overestimates
 * ns * 2^32 / 1e9 by less than 0.07 for ns < 1e9, so the quotient is the
 * exact floor or one more, and one multiply-compare takes the one away.
 * Products stay below 2^64 (1e9 x m < 9.3e18).  A racing writer on another
 * CPU is harmless: the cache is one aligned 64-bit word and always checked.
 */
#define XW_REFL_NTP_M 9223372037ULL /* ceil(2^63 / 1e9) */

XW_INLINE __u64 xw_refl_ns_to_ntp(__u64 ns, __u64 *cache)
{
	__u64 sec = *cache, d = ns - sec * XW_NSEC_PER_SEC, frac;

	if (d >= XW_NSEC_PER_SEC) {
		sec = ns / XW_NSEC_PER_SEC;
		d = ns - sec * XW_NSEC_PER_SEC;
		*cache = sec;
	}
	frac = (d * XW_REFL_NTP_M) >> 31;
	if (frac * XW_NSEC_PER_SEC > d << 32)
		frac--;
	return ((sec + XW_NTP_UNIX_OFFSET) << 32) | (frac & 0xffffffffULL);
}

/* What the reflector puts in besides the sender's fields. */
struct xw_refl_args {
	__u64 rx_ts;	   /* T2, NTP 64-bit (ntp.h) */
	__u64 tx_ts;	   /* T3, NTP 64-bit */
	__u64 *next_seq;   /* the session's reflector sequence counter (see below) */
	__u32 expect_len;  /* the session's sender packet length; 0: any */
	__u16 errest;	   /* Error Estimate of T2 and T3 (RFC 5357 4.2.1) */
	__u16 reflect_len; /* RFC 6038 Length of padding to reflect */
	__u8 sender_ttl;   /* TTL / Hop Limit of the received IP header */
	__u8 flags;	   /* XW_REFL_F_* */
};

/*
 * Turn the Session-Sender packet at pkt (len octets of UDP payload) into
 * the Session-Reflector packet, in place.  Returns the reflector packet's
 * length or a negative XW_REFL_E_* (then nothing was written and no
 * sequence number used).
 *
 * Memory: the caller proves pkt + 41 <= end before the call (XDP: one
 * bounds check on the cursor), and [pkt, end) must hold
 * XW_REFL_OUT_LEN(len, reflect octets) octets, else XW_REFL_E_NOSPC.  The
 * 41-octet check is repeated here so that the function is safe alone, and
 * each access beyond it is checked against end.
 *
 * Sequence number: *next_seq is fetched and incremented atomically, only
 * once the packet is known good, so numbers are unique per session across
 * CPUs and strictly increasing, without gaps for dropped packets (RFC 5357
 * 4.2.1: start at zero, increment by one per packet sent).  The wire field
 * is its low 32 bits.
 *
 * Checks, in the order of xw_tp_reflect_open(): length >= sender header
 * (+ 27 MBZ with Symmetrical Size) + octets to reflect, else
 * XW_REFL_E_TRUNC; len == expect_len when expect_len != 0, else
 * XW_REFL_E_LEN; sender Error Estimate Multiplier != 0, else
 * XW_REFL_E_MULT0; room, else XW_REFL_E_NOSPC.
 */
XW_INLINE int xw_reflect_open(__u8 *pkt, const void *end, __u32 len, const struct xw_refl_args *a)
{
	__u32 pad_off = XW_REFL_SENDER_HDR;
	__u32 rl = 0, out_len, n;
	__u32 sseq;
	__u64 sts, seq;
	__u16 see;
	int k;

	if ((const void *)(pkt + XW_REFL_HDR) > end)
		return XW_REFL_E_NOSPC;
	if (a->flags & XW_REFL_F_SYMMETRIC)
		pad_off += XW_REFL_SYM_MBZ;
	if (a->flags & XW_REFL_F_REFLECT)
		rl = a->reflect_len;
	if (len < pad_off + rl)
		return XW_REFL_E_TRUNC;
	if (a->expect_len && len != a->expect_len)
		return XW_REFL_E_LEN;
	see = get_be16(pkt + 12);
	if (!(see & 0xff))
		return XW_REFL_E_MULT0;
	out_len = XW_REFL_OUT_LEN(len, rl);
	/*
	 * The move below is n = out_len - 41 octets and works for
	 * n < XW_REFL_MAX_MOVE only (n is masked with MAX_MOVE - 1): a
	 * longer answer goes to the socket reflector.
	 */
	if (out_len >= XW_REFL_MAX_MOVE + XW_REFL_HDR || out_len > (__u32)((const __u8 *)end - pkt))
		return XW_REFL_E_NOSPC;
	sseq = get_be32(pkt);
	sts = get_be64(pkt + 4);

	/*
	 * Move the padding from 14 to 41 (n octets), highest octets first:
	 * a piece's source is never overwritten before it is read, because
	 * every store lands 27 octets above its load and the pieces go down.
	 * 32-octet pieces load all four words before storing (they are longer
	 * than the distance), then the n % 32 lowest octets in pieces of 16,
	 * 8, 4, 2 and 1, straight-line.  n < XW_REFL_MAX_MOVE (checked above:
	 * the mask below must never cut it), and every
	 * destination (the higher address) is checked against end.
	 */
	if (pad_off == XW_REFL_SENDER_HDR) {
		__u32 top, rem;
		__u8 *d;

		/*
		 * The barrier and mask change nothing (n < XW_REFL_MAX_MOVE)
		 * but untie n from out_len for the verifier, which would
		 * otherwise narrow out_len at each loop exit and walk all the
		 * code after the loop once per exit.  rem is computed before
		 * the loop so that nothing the loop changes is used after it:
		 * the verifier then prunes the exits as one state.
		 */
		n = out_len - XW_REFL_HDR;
		XW_REFL_OPAQUE(n);
		n &= XW_REFL_MAX_MOVE - 1;
		rem = n & 31;
		top = n;
		for (k = 0; k < XW_REFL_MAX_MOVE / 32 && top >= rem + 32; k++) {
			__u64 w0, w1, w2, w3;

			top -= 32;
			d = pkt + (top & (XW_REFL_MAX_MOVE - 1));
			if ((const void *)(d + XW_REFL_HDR + 32) > end)
				return XW_REFL_E_NOSPC; /* for the verifier: cannot fail */
			w0 = XW_REFL_LD8(d + XW_REFL_SENDER_HDR);
			w1 = XW_REFL_LD8(d + XW_REFL_SENDER_HDR + 8);
			w2 = XW_REFL_LD8(d + XW_REFL_SENDER_HDR + 16);
			w3 = XW_REFL_LD8(d + XW_REFL_SENDER_HDR + 24);
			XW_REFL_ST8(d + XW_REFL_HDR, w0);
			XW_REFL_ST8(d + XW_REFL_HDR + 8, w1);
			XW_REFL_ST8(d + XW_REFL_HDR + 16, w2);
			XW_REFL_ST8(d + XW_REFL_HDR + 24, w3);
		}
		/*
		 * The lowest rem octets, top piece first.  Each piece is
		 * addressed from one base (source + 14, destination + 41) so
		 * that one bounds check covers both; the masks only tell the
		 * verifier what it cannot infer (at < 32).
		 */
		top = rem;
		if (top & 16) {
			__u64 w0, w1;

			top -= 16;
			d = pkt + (top & 15);
			if ((const void *)(d + XW_REFL_HDR + 16) > end)
				return XW_REFL_E_NOSPC; /* cannot fail */
			w0 = XW_REFL_LD8(d + XW_REFL_SENDER_HDR);
			w1 = XW_REFL_LD8(d + XW_REFL_SENDER_HDR + 8);
			XW_REFL_ST8(d + XW_REFL_HDR, w0);
			XW_REFL_ST8(d + XW_REFL_HDR + 8, w1);
		}
		if (top & 8) {
			top -= 8;
			d = pkt + (top & 7);
			if ((const void *)(d + XW_REFL_HDR + 8) > end)
				return XW_REFL_E_NOSPC; /* cannot fail */
			XW_REFL_ST8(d + XW_REFL_HDR, XW_REFL_LD8(d + XW_REFL_SENDER_HDR));
		}
		if (top & 4) {
			top -= 4;
			d = pkt + (top & 3);
			if ((const void *)(d + XW_REFL_HDR + 4) > end)
				return XW_REFL_E_NOSPC; /* cannot fail */
			XW_REFL_COPY4(d + XW_REFL_HDR, d + XW_REFL_SENDER_HDR);
		}
		if (top & 2) {
			top -= 2;
			d = pkt + (top & 1);
			if ((const void *)(d + XW_REFL_HDR + 2) > end)
				return XW_REFL_E_NOSPC; /* cannot fail */
			XW_REFL_COPY2(d + XW_REFL_HDR, d + XW_REFL_SENDER_HDR);
		}
		if (top & 1) {
			if ((const void *)(pkt + XW_REFL_HDR + 1) > end)
				return XW_REFL_E_NOSPC; /* cannot fail */
			pkt[XW_REFL_HDR] = pkt[XW_REFL_SENDER_HDR];
		}
	}

	seq = XW_REFL_SEQ_NEXT(a->next_seq);
	XW_REFL_PUT32(pkt, (__u32)seq);
	XW_REFL_PUT64(pkt + 4, a->tx_ts);
	/* Error Estimate, MBZ */
	XW_REFL_PUT32(pkt + 12, (__u32)a->errest << 16);
	XW_REFL_PUT64(pkt + 16, a->rx_ts);
	XW_REFL_PUT32(pkt + 24, sseq);
	XW_REFL_PUT64(pkt + 28, sts);
	/* sender Error Estimate, MBZ */
	XW_REFL_PUT32(pkt + 36, (__u32)see << 16);
	pkt[40] = a->sender_ttl;
	return (int)out_len;
}

#endif /* XWAMP_REFLECT_H */
