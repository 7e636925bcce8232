/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fixed-width types for headers shared by the BPF programs and userspace.
 * BPF objects get them from vmlinux.h (never mixed with the linux/ uapi headers),
 * userspace from <linux/types.h>.
 */
#ifndef XWAMP_TYPES_H
#define XWAMP_TYPES_H

#if defined(__bpf__)
#include "vmlinux.h"
#ifndef XW_INLINE
#define XW_INLINE static __attribute__((always_inline)) inline
#endif
#else
#include <linux/types.h>
#include <stddef.h>
#ifndef XW_INLINE
#define XW_INLINE static inline
#endif
#endif

#endif /* XWAMP_TYPES_H */
