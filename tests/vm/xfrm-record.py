#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Records real xfrm netlink messages for tests/unit/test_xfrm.c.

Needs a kernel with ESP (run it in the Debian kernel VM):

    tests/testbed/kernel-vm.sh -w /tmp/xwrec \\
        python3 tests/vm/xfrm-record.py /tmp/xwrec/xfrm_fixtures.h
    cp /tmp/xwrec/xfrm_fixtures.h tests/unit/

In a fresh network namespace (unshare -n) it installs SAs and policies with
`ip xfrm` (fixed, recognisable fake keys: the unit test checks that the
parser wipes them), records the raw replies of an XFRM_MSG_GETSA and an
XFRM_MSG_GETPOLICY dump, then records the multicast events
(XFRMNLGRP_SA, _POLICY, _EXPIRE) of a rekey, an update, a delete, a soft
and a hard expire, a policy delete and a flush, each labelled with the
command that caused it.  Output: a C header of hex strings (test data).

Scenario (outer 192.0.2.0/24 and 2001:db8::/32, inner 198.51.100.0/24 and
203.0.113.0/24, documentation prefixes; nothing is sent anywhere):
  A  ESP tunnel 192.0.2.1 <-> 192.0.2.2, rfc4106(gcm(aes)) 160-bit key,
     ICV 128, reqid 1, if_id 42, SPIs 0x1001 (out) / 0x1002 (in);
     policies 198.51.100.1/32 <-> 198.51.100.2/32 with if_id 42
  B  ESP transport 192.0.2.1 <-> 192.0.2.3, cbc(aes) only (no integrity),
     reqid 2, SPIs 0x2001/0x2002; policies for UDP between them
  C  ESP tunnel 192.0.2.1 <-> 192.0.2.4 in UDP (espinudp 4500), cbc(aes) +
     hmac(sha256) truncated to 128, reqid 3, SPIs 0x3001/0x3002; policies
     198.51.100.0/24 <-> 203.0.113.0/24 for UDP destination port 8620 only
  D  AH transport 192.0.2.1 <-> 192.0.2.5, hmac(sha1) 96, reqid 4,
     SPIs 0x4001/0x4002, policies any protocol between them
  E  ESP tunnel IPv6 2001:db8::1 <-> 2001:db8::2, rfc4106(gcm(aes)),
     reqid 5, SPIs 0x5001/0x5002, policies 2001:db8:1::/64 <-> 2001:db8:2::/64
  M  a policy with mark 7/0xff and priority 1 over A's selector (does not
     apply to unmarked packets)
"""
import os
import socket
import struct
import subprocess
import sys
import time

NETLINK_XFRM = 6
XFRM_MSG_GETSA = 0x12
XFRM_MSG_GETPOLICY = 0x15
NLM_F_REQUEST = 1
NLM_F_DUMP = 0x300
GRP_EXPIRE, GRP_SA, GRP_POLICY = 2, 3, 4
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1


def key(byte, nbytes):
    # recognisable fake key material: the unit test looks for it after parsing
    return "0x" + ("%02x" % byte) * nbytes


def ip(*args):
    cmd = ["ip"] + [str(a) for a in args]
    subprocess.run(cmd, check=True)


def setup():
    ip("link", "set", "lo", "up")
    gcm = "rfc4106(gcm(aes))"
    # A: tunnel, AEAD, if_id 42
    for spi, s, d, k in ((0x1001, "192.0.2.1", "192.0.2.2", 0xa1), (0x1002, "192.0.2.2", "192.0.2.1", 0xa2)):
        ip("xfrm", "state", "add", "src", s, "dst", d, "proto", "esp", "spi", spi, "reqid", 1,
           "mode", "tunnel", "aead", gcm, key(k, 20), 128, "if_id", 42)
    ip("xfrm", "policy", "add", "src", "198.51.100.1/32", "dst", "198.51.100.2/32", "dir", "out",
       "tmpl", "src", "192.0.2.1", "dst", "192.0.2.2", "proto", "esp", "reqid", 1, "mode", "tunnel",
       "if_id", 42)
    ip("xfrm", "policy", "add", "src", "198.51.100.2/32", "dst", "198.51.100.1/32", "dir", "in",
       "tmpl", "src", "192.0.2.2", "dst", "192.0.2.1", "proto", "esp", "reqid", 1, "mode", "tunnel",
       "if_id", 42)
    # B: transport, encryption only
    for spi, s, d, k in ((0x2001, "192.0.2.1", "192.0.2.3", 0xb1), (0x2002, "192.0.2.3", "192.0.2.1", 0xb2)):
        ip("xfrm", "state", "add", "src", s, "dst", d, "proto", "esp", "spi", spi, "reqid", 2,
           "mode", "transport", "enc", "cbc(aes)", key(k, 16))
    ip("xfrm", "policy", "add", "src", "192.0.2.1/32", "dst", "192.0.2.3/32", "proto", "udp", "dir", "out",
       "tmpl", "proto", "esp", "reqid", 2, "mode", "transport")
    ip("xfrm", "policy", "add", "src", "192.0.2.3/32", "dst", "192.0.2.1/32", "proto", "udp", "dir", "in",
       "tmpl", "proto", "esp", "reqid", 2, "mode", "transport")
    # C: tunnel in UDP, cbc(aes) + hmac(sha256)/128, ports
    for spi, s, d, k, sp, dp in ((0x3001, "192.0.2.1", "192.0.2.4", 0xc1, 4500, 4501),
                                 (0x3002, "192.0.2.4", "192.0.2.1", 0xc2, 4501, 4500)):
        ip("xfrm", "state", "add", "src", s, "dst", d, "proto", "esp", "spi", spi, "reqid", 3,
           "mode", "tunnel", "enc", "cbc(aes)", key(k, 32), "auth-trunc", "hmac(sha256)",
           key(k + 8, 32), 128, "encap", "espinudp", sp, dp, "0.0.0.0")
    ip("xfrm", "policy", "add", "src", "198.51.100.0/24", "dst", "203.0.113.0/24", "proto", "udp",
       "dport", 8620, "dir", "out", "priority", 100,
       "tmpl", "src", "192.0.2.1", "dst", "192.0.2.4", "proto", "esp", "reqid", 3, "mode", "tunnel")
    ip("xfrm", "policy", "add", "src", "203.0.113.0/24", "dst", "198.51.100.0/24", "proto", "udp",
       "sport", 8620, "dir", "in", "priority", 100,
       "tmpl", "src", "192.0.2.4", "dst", "192.0.2.1", "proto", "esp", "reqid", 3, "mode", "tunnel")
    # D: AH transport
    for spi, s, d, k in ((0x4001, "192.0.2.1", "192.0.2.5", 0xd1), (0x4002, "192.0.2.5", "192.0.2.1", 0xd2)):
        ip("xfrm", "state", "add", "src", s, "dst", d, "proto", "ah", "spi", spi, "reqid", 4,
           "mode", "transport", "auth-trunc", "hmac(sha1)", key(k, 20), 96)
    ip("xfrm", "policy", "add", "src", "192.0.2.1/32", "dst", "192.0.2.5/32", "dir", "out",
       "tmpl", "proto", "ah", "reqid", 4, "mode", "transport")
    ip("xfrm", "policy", "add", "src", "192.0.2.5/32", "dst", "192.0.2.1/32", "dir", "in",
       "tmpl", "proto", "ah", "reqid", 4, "mode", "transport")
    # E: IPv6 tunnel
    for spi, s, d, k in ((0x5001, "2001:db8::1", "2001:db8::2", 0xe1), (0x5002, "2001:db8::2", "2001:db8::1", 0xe2)):
        ip("xfrm", "state", "add", "src", s, "dst", d, "proto", "esp", "spi", spi, "reqid", 5,
           "mode", "tunnel", "aead", gcm, key(k, 36), 128)
    ip("xfrm", "policy", "add", "src", "2001:db8:1::/64", "dst", "2001:db8:2::/64", "dir", "out",
       "tmpl", "src", "2001:db8::1", "dst", "2001:db8::2", "proto", "esp", "reqid", 5, "mode", "tunnel")
    ip("xfrm", "policy", "add", "src", "2001:db8:2::/64", "dst", "2001:db8:1::/64", "dir", "in",
       "tmpl", "src", "2001:db8::2", "dst", "2001:db8::1", "proto", "esp", "reqid", 5, "mode", "tunnel")
    # M: marked policy, higher precedence than A's, action block
    ip("xfrm", "policy", "add", "src", "198.51.100.1/32", "dst", "198.51.100.2/32", "dir", "out",
       "priority", 1, "mark", 7, "mask", "0xff", "action", "block")


def nl_socket(groups=()):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_XFRM)
    s.bind((0, 0))
    for g in groups:
        s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g)
    return s


def dump(msg_type, seq):
    s = nl_socket()
    hdr = struct.pack("=IHHII", 16, msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
    s.send(hdr)
    out = b""
    while True:
        b = s.recv(1 << 16)
        out += b
        # stop at NLMSG_DONE (type 3) in this chunk
        off, done = 0, False
        while off + 16 <= len(b):
            ln, ty = struct.unpack_from("=IH", b, off)
            if ty == 3:
                done = True
            off += (ln + 3) & ~3
        if done:
            return out


def drain(s, timeout=0.5):
    s.settimeout(timeout)
    got = []
    while True:
        try:
            got.append(s.recv(1 << 16))
        except socket.timeout:
            return got


def c_hex(b):
    h = b.hex()
    return "\n".join('\t"%s"' % h[i:i + 64] for i in range(0, len(h), 64))


def main():
    if os.environ.get("XW_REC_NETNS") != "1":
        os.environ["XW_REC_NETNS"] = "1"
        os.execvp("unshare", ["unshare", "-n", sys.executable] + sys.argv)
    out_path = sys.argv[1]
    setup()
    sa_dump = dump(XFRM_MSG_GETSA, 1)
    pol_dump = dump(XFRM_MSG_GETPOLICY, 2)
    mon = nl_socket((GRP_SA, GRP_POLICY, GRP_EXPIRE))
    events = []

    def step(label, *cmd):
        ip(*cmd)
        for b in drain(mon):
            events.append((label, b))

    gcm = "rfc4106(gcm(aes))"
    # rekey of A's outbound SA: new SPI 0x1011 added, then the old one deleted
    step("rekey_add", "xfrm", "state", "add", "src", "192.0.2.1", "dst", "192.0.2.2", "proto", "esp",
         "spi", 0x1011, "reqid", 1, "mode", "tunnel", "aead", gcm, key(0xa3, 20), 128, "if_id", 42)
    step("rekey_del", "xfrm", "state", "delete", "src", "192.0.2.1", "dst", "192.0.2.2", "proto", "esp",
         "spi", 0x1001)
    # in-place replacement of A's inbound SA (XFRM_MSG_UPDSA)
    step("update", "xfrm", "state", "update", "src", "192.0.2.2", "dst", "192.0.2.1", "proto", "esp",
         "spi", 0x1002, "reqid", 1, "mode", "tunnel", "aead", gcm, key(0xa4, 20), 128, "if_id", 42)
    # an SA with short lifetimes: soft expire after 1 s, hard after 2 s
    step("expiring_add", "xfrm", "state", "add", "src", "192.0.2.1", "dst", "192.0.2.6", "proto", "esp",
         "spi", 0x6001, "reqid", 6, "mode", "tunnel", "aead", gcm, key(0xf1, 20), 128,
         "limit", "time-soft", 1, "limit", "time-hard", 2)
    time.sleep(3.5)
    for b in drain(mon):
        events.append(("expire", b))
    step("pol_del", "xfrm", "policy", "delete", "src", "192.0.2.5/32", "dst", "192.0.2.1/32", "dir", "in")
    step("flush_sa", "xfrm", "state", "flush")
    with open(out_path, "w") as f:
        f.write("/* SPDX-License-Identifier: GPL-2.0-only */\n")
        f.write("/*\n * Recorded xfrm netlink messages (test data, not generated at build time):\n")
        f.write(" * tests/vm/xfrm-record.py in Debian's kernel %s under qemu.\n" % os.uname().release)
        f.write(" * Keys are fake, byte-repeated: 0xa1.., 0xa2.., ... (see the script).\n */\n")
        f.write("#ifndef XFRM_FIXTURES_H\n#define XFRM_FIXTURES_H\n\n")
        f.write("/* XFRM_MSG_GETSA dump, every reply chunk up to NLMSG_DONE */\n")
        f.write("static const char fx_sa_dump[] =\n%s;\n\n" % c_hex(sa_dump))
        f.write("/* XFRM_MSG_GETPOLICY dump */\n")
        f.write("static const char fx_pol_dump[] =\n%s;\n\n" % c_hex(pol_dump))
        f.write("/* multicast events, one recv() each, with the step that caused them */\n")
        f.write("static const struct fx_event {\n\tconst char *step;\n\tconst char *hex;\n} fx_events[] = {\n")
        for label, b in events:
            f.write('\t{ "%s",\n%s },\n' % (label, c_hex(b).replace("\n", "\n\t")))
        f.write("};\n\n#endif /* XFRM_FIXTURES_H */\n")
    print("recorded: SA dump %d octets, policy dump %d octets, %d events: %s" %
          (len(sa_dump), len(pol_dump), len(events), " ".join(l for l, _ in events)))


if __name__ == "__main__":
    main()
