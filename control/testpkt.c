// SPDX-License-Identifier: GPL-2.0-only
/* TWAMP-Test packets (RFC 5357 4): stub while the implementation is written. */
#include "testpkt.h"

int xw_tp_mode_of(__u32 modes)
{
	if (modes & XW_MODE_ENCRYPTED)
		return XW_TP_ENC;
	if (modes & XW_MODE_AUTH)
		return XW_TP_AUTH;
	if (modes & (XW_MODE_OPEN | XW_MODE_MIXED))
		return XW_TP_OPEN;
	return -EINVAL;
}
