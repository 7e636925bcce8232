// SPDX-License-Identifier: GPL-2.0-only
/*
 * TWAMP Light configuration (control/light.h): every field, defaults,
 * ranges, comments, bad lines rejected with NAME:LINE in the log line and
 * the configuration left as it was, limits, duplicate ports, the file loader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "light.h"
#include "log.h"
#include "t.h"

static struct xw_light_cfg cfg;

static int parse(const char *text)
{
	return xw_light_parse(text, strlen(text), "light.conf", &cfg);
}

/* text must be rejected with a log line starting "light.conf:LINE: " and containing what */
static int rejected(const char *text, unsigned int line, const char *what)
{
	char prefix[32];

	memset(&cfg, 0, sizeof(cfg));
	t_log_capture();
	if (parse(text) != -EINVAL)
		return 0;
	snprintf(prefix, sizeof(prefix), "light.conf:%u: ", line);
	return t_log_count(XW_LOG_ERR) == 1 && !strncmp(t_log_last(), prefix, strlen(prefix)) &&
	       strstr(t_log_last(), what) && cfg.nsess == 0 && cfg.nports == 0;
}

TEST(defaults_port_only)
{
	const struct xw_light_sess *s = &cfg.sess[0];

	memset(&cfg, 0, sizeof(cfg));
	t_log_capture();
	CHECK_EQ(parse("port=862\n"), 0);
	CHECK_EQ(cfg.nsess, 1);
	CHECK_EQ(cfg.nports, 1);
	CHECK_EQ(s->port_lo, 862);
	CHECK_EQ(s->port_hi, 862);
	CHECK_EQ(s->family, XW_LIGHT_ANY);
	CHECK(s->local_any);
	CHECK(s->sender_any);
	CHECK_EQ(s->sender_port, 0);
	CHECK_EQ(s->length, 0);
	CHECK_EQ(s->reflect_len, 0);
	CHECK(!s->symmetric);
	CHECK_EQ(s->dscp, 0);
	CHECK_EQ(s->line, 1);
	CHECK_EQ(t_log_count(XW_LOG_ERR), 0);
}

TEST(every_field_ipv4)
{
	static const uint8_t local[16] = {198, 51, 100, 2}, sender[16] = {192, 0, 2, 1};
	const struct xw_light_sess *s = &cfg.sess[0];

	memset(&cfg, 0, sizeof(cfg));
	t_log_capture();
	CHECK_EQ(parse("  port=8620-8629\tlocal=198.51.100.2 sender=192.0.2.1 sender-port=4000 "
		       "length=200 symmetric reflect=8 dscp=46 mode=open  # comment\r\n"),
		 0);
	CHECK_EQ(cfg.nsess, 1);
	CHECK_EQ(cfg.nports, 10);
	CHECK_EQ(s->port_lo, 8620);
	CHECK_EQ(s->port_hi, 8629);
	CHECK_EQ(s->family, XW_LIGHT_INET);
	CHECK(!s->local_any);
	CHECK(!s->sender_any);
	CHECK_MEM(s->local, local, 16);
	CHECK_MEM(s->sender, sender, 16);
	CHECK_EQ(s->sender_port, 4000);
	CHECK_EQ(s->length, 200);
	CHECK(s->symmetric);
	CHECK_EQ(s->reflect_len, 8);
	CHECK_EQ(s->dscp, 46);
}

TEST(ipv6_brackets_wildcards_order)
{
	uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8};
	const struct xw_light_sess *s;

	want[15] = 2;
	memset(&cfg, 0, sizeof(cfg));
	t_log_capture();
	CHECK_EQ(parse("# a comment line\n"
		       "\n"
		       "sender=* local=[2001:db8::2] port=5000 sender-port=*\n"
		       "port=6000 sender=2001:db8::1 mode=unauthenticated\n"),
		 0);
	CHECK_EQ(cfg.nsess, 2);
	s = &cfg.sess[0];
	CHECK_EQ(s->line, 3);
	CHECK_EQ(s->family, XW_LIGHT_INET6);
	CHECK(!s->local_any);
	CHECK(s->sender_any);
	CHECK_MEM(s->local, want, 16);
	CHECK_EQ(s->sender_port, 0);
	s = &cfg.sess[1];
	CHECK_EQ(s->line, 4);
	CHECK_EQ(s->family, XW_LIGHT_INET6);
	CHECK(s->local_any);
	CHECK(!s->sender_any);
	want[15] = 1;
	CHECK_MEM(s->sender, want, 16);
}

TEST(parse_line_blank_and_comment)
{
	struct xw_light_sess s;

	t_log_capture();
	CHECK_EQ(xw_light_parse_line("   # nothing", "x", 1, &s), 0);
	CHECK_EQ(xw_light_parse_line("", "x", 1, &s), 0);
	CHECK_EQ(xw_light_parse_line("port=1", "--light", 2, &s), 1);
	CHECK_EQ(s.port_lo, 1);
	CHECK_EQ(xw_light_parse_line("port=0", "--light", 3, &s), -EINVAL);
	CHECK(!strncmp(t_log_last(), "--light:3: ", 11));
}

TEST(bad_lines_rejected_with_file_line)
{
	/* the bad line is the second, after a good one: nothing is kept */
	CHECK(rejected("port=1\nport=70000\n", 2, "port"));
	CHECK(rejected("port=1\nport=0\n", 2, "port"));
	CHECK(rejected("port=1\nport=9-5\n", 2, "backwards"));
	CHECK(rejected("port=1\nport=x\n", 2, "port"));
	CHECK(rejected("port=1\nport=1-2000\n", 2, "at most"));
	CHECK(rejected("port=1\nport=\n", 2, "needs a value"));
	CHECK(rejected("port=1\nport\n", 2, "needs a value"));
	CHECK(rejected("port=1\nlocal=192.0.2\n port=2", 2, "local"));
	CHECK(rejected("port=1\nport=2 sender=bad\n", 2, "sender"));
	CHECK(rejected("port=1\nport=2 local=192.0.2.1 sender=2001:db8::1\n", 2, "famil"));
	CHECK(rejected("port=1\nport=2 sender-port=0\n", 2, "sender-port"));
	CHECK(rejected("port=1\nport=2 length=70000\n", 2, "length"));
	CHECK(rejected("port=1\nport=2 length=20 reflect=8\n", 2, "shorter"));
	CHECK(rejected("port=1\nport=2 length=40 symmetric\n", 2, "symmetric"));
	CHECK(rejected("port=1\nport=2 reflect=7\n", 2, "even"));
	CHECK(rejected("port=1\nport=2 reflect=5000\n", 2, "even"));
	CHECK(rejected("port=1\nport=2 dscp=64\n", 2, "dscp"));
	CHECK(rejected("port=1\nport=2 symmetric=yes\n", 2, "no value"));
	CHECK(rejected("port=1\nport=2 mode=auth\n", 2, "Appendix I"));
	CHECK(rejected("port=1\nport=2 mode=encrypted\n", 2, "not supported"));
	CHECK(rejected("port=1\nport=2 mode=fast\n", 2, "mode"));
	CHECK(rejected("port=1\nport=2 colour=blue\n", 2, "unknown word 'colour'"));
	CHECK(rejected("port=1\nport=2 port=3\n", 2, "twice"));
	CHECK(rejected("port=1\nsender=192.0.2.1\n", 2, "no port"));
	CHECK(rejected("port=1-10\n\nport=10\n", 3, "already used (line 1)"));
}

/*
 * Addresses no host answers for or from (include/xwamp/hostaddr.h): a
 * configuration naming one is refused, so that no path (XDP, tc, socket)
 * could answer a broadcast or multicast sender or destination.
 */
TEST(non_unicast_addresses_rejected)
{
	static const char *const bad[] = {
		"port=2 sender=255.255.255.255",
		"port=2 sender=224.0.0.5",
		"port=2 local=224.0.0.1",
		"port=2 sender=0.0.0.0",
		"port=2 local=0.0.0.0",
		"port=2 sender=240.1.2.3",
		"port=2 sender=ff02::1",
		"port=2 local=ff05::2",
		"port=2 sender=::",
		"port=2 sender=::ffff:192.0.2.1",
	};
	char text[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "port=1\n%s\n", bad[i]);
		CHECK(rejected(text, 2, "not a host's unicast address"));
	}
	/* loopback is a host's (over lo), and so are other unicast addresses */
	memset(&cfg, 0, sizeof(cfg));
	CHECK_EQ(parse("port=1 local=127.0.0.1 sender=127.0.0.2\nport=2 local=::1\n"
		       "port=3 sender=fe80::1 local=2001:db8::2\n"),
		 0);
}

TEST(limits)
{
	char *text = malloc(XW_LIGHT_MAX_SESS * 16 + 64);
	size_t off = 0;
	unsigned int i;

	CHECK(text);
	/* exactly the port budget: accepted */
	memset(&cfg, 0, sizeof(cfg));
	t_log_capture();
	CHECK_EQ(parse("port=1000-1999\nport=3000-3023\n"), 0);
	CHECK_EQ(cfg.nports, XW_LIGHT_MAX_PORTS);
	/* one more port: rejected, cfg unchanged */
	CHECK_EQ(parse("port=5000\n"), -E2BIG);
	CHECK_EQ(cfg.nsess, 2);
	CHECK_EQ(cfg.nports, XW_LIGHT_MAX_PORTS);
	CHECK(!strncmp(t_log_last(), "light.conf:1: ", 14));
	/* sessions: one line too many */
	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i <= XW_LIGHT_MAX_SESS; i++)
		off += (size_t)sprintf(text + off, "port=%u\n", 10000 + i);
	CHECK_EQ(parse(text), -E2BIG);
	CHECK_EQ(cfg.nsess, 0);
	free(text);
}

TEST(several_calls_accumulate_and_check_overlap)
{
	memset(&cfg, 0, sizeof(cfg));
	t_log_capture();
	CHECK_EQ(xw_light_parse("port=862", 8, "--light", &cfg), 0);
	CHECK_EQ(xw_light_parse("port=8620-8625 symmetric", 24, "--light", &cfg), 0);
	CHECK_EQ(cfg.nsess, 2);
	CHECK_EQ(cfg.nports, 7);
	CHECK_EQ(xw_light_parse("port=8625", 9, "--light", &cfg), -EINVAL);
	CHECK_EQ(cfg.nsess, 2);
}

TEST(load_file_and_format)
{
	char path[] = "/tmp/test_light.XXXXXX", buf[256];
	const char *text = "port=8620-8621 sender=192.0.2.1 reflect=4 dscp=10\n";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	memset(&cfg, 0, sizeof(cfg));
	t_log_capture();
	CHECK_EQ(xw_light_load(path, &cfg), 0);
	unlink(path);
	CHECK_EQ(cfg.nsess, 1);
	xw_light_fmt(&cfg.sess[0], buf, sizeof(buf));
	CHECK(!strcmp(buf, "port=8620-8621 local=* sender=192.0.2.1 sender-port=* length=0 "
			   "reflect=4 dscp=10"));
	CHECK_EQ(xw_light_load(path, &cfg), -ENOENT);
	CHECK(strstr(t_log_last(), path) != NULL);
}
