// SPDX-License-Identifier: GPL-2.0-only
/* xwping: placeholder until the client lands. */
#include <stdio.h>

int main(void)
{
	fprintf(stderr, "xwping: not implemented yet\n");
	return 1;
}
