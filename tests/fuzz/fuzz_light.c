// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TWAMP Light configuration parser (control/light.h) on arbitrary text.
 *
 * Invariants: every session that loads is within the documented limits
 * (ports ordered, at most XW_LIGHT_MAX_PORTS in all, reflect even and <=
 * 4096, length <= 65507, DSCP <= 63); parsing the same text again into
 * the loaded configuration fails (every port is then used twice) and leaves
 * it unchanged; formatting a session never overruns, whatever the buffer.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "light.h"

static struct xw_light_cfg cfg, copy;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[512], fmt[256];
	unsigned int i, ports = 0;
	size_t n;
	int err;

	fuzz_reset();
	memset(&cfg, 0, sizeof(cfg));
	err = xw_light_parse((const char *)data, size, "fuzz", &cfg);
	if (err) {
		FUZZ_ASSERT(err == -EINVAL || err == -E2BIG);
		FUZZ_ASSERT(cfg.nsess == 0 && cfg.nports == 0);
	}
	FUZZ_ASSERT(cfg.nsess <= XW_LIGHT_MAX_SESS && cfg.nports <= XW_LIGHT_MAX_PORTS);
	for (i = 0; i < cfg.nsess; i++) {
		const struct xw_light_sess *s = &cfg.sess[i];

		FUZZ_ASSERT(s->port_lo >= 1 && s->port_lo <= s->port_hi);
		FUZZ_ASSERT(s->reflect_len <= XW_LIGHT_MAX_REFLECT && !(s->reflect_len & 1));
		FUZZ_ASSERT(s->length <= XW_LIGHT_MAX_LENGTH);
		FUZZ_ASSERT(s->dscp <= 63);
		FUZZ_ASSERT(s->family == XW_LIGHT_ANY || s->family == XW_LIGHT_INET ||
			    s->family == XW_LIGHT_INET6);
		ports += (unsigned int)(s->port_hi - s->port_lo) + 1;
		xw_light_fmt(s, fmt, sizeof(fmt));
		FUZZ_ASSERT(strlen(fmt) < sizeof(fmt));
		xw_light_fmt(s, fmt, 7);
		FUZZ_ASSERT(strlen(fmt) < 7);
	}
	FUZZ_ASSERT(ports == cfg.nports);

	if (cfg.nsess) {
		memcpy(&copy, &cfg, sizeof(cfg));
		FUZZ_ASSERT(xw_light_parse((const char *)data, size, "fuzz", &cfg) != 0);
		FUZZ_ASSERT(!memcmp(&copy, &cfg, sizeof(cfg)));
	}

	/* the first line alone, as `xwampd --light` gets it */
	for (n = 0; n < size && n < sizeof(line) - 1 && data[n] != '\n' && data[n]; n++)
		line[n] = (char)data[n];
	line[n] = '\0';
	{
		struct xw_light_sess s;

		err = xw_light_parse_line(line, "arg", 1, &s);
		FUZZ_ASSERT(err == 0 || err == 1 || err == -EINVAL);
	}
	return 0;
}
