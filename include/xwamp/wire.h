/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Big-endian loads and stores on byte buffers.  memcpy-based, so they are
 * safe on any alignment and do not type-pun; the compiler turns them into
 * single loads and stores.  Usable from BPF and userspace.
 */
#ifndef XWAMP_WIRE_H
#define XWAMP_WIRE_H

#include "xwamp/types.h"

XW_INLINE __u16 get_be16(const void *p)
{
	const __u8 *b = p;

	return (__u16)((__u16)b[0] << 8 | b[1]);
}

XW_INLINE __u32 get_be32(const void *p)
{
	const __u8 *b = p;

	return (__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];
}

XW_INLINE __u64 get_be64(const void *p)
{
	const __u8 *b = p;

	return (__u64)get_be32(b) << 32 | get_be32(b + 4);
}

XW_INLINE void put_be16(void *p, __u16 v)
{
	__u8 *b = p;

	b[0] = v >> 8;
	b[1] = v;
}

XW_INLINE void put_be32(void *p, __u32 v)
{
	__u8 *b = p;

	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

XW_INLINE void put_be64(void *p, __u64 v)
{
	__u8 *b = p;

	put_be32(b, v >> 32);
	put_be32(b + 4, (__u32)v);
}

#endif /* XWAMP_WIRE_H */
