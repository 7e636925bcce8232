// SPDX-License-Identifier: GPL-2.0-only
/* xwampd: placeholder until the control server lands. */
#include <stdio.h>

#include "xwamp/bpf_shared.h"
#include "xwamp.skel.h"

int main(void)
{
	struct xwamp *skel = xwamp__open();

	if (!skel)
		return 1;
	xwamp__destroy(skel);
	fprintf(stderr, "xwampd: not implemented yet\n");
	return 1;
}
