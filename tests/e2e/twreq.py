#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""An unauthenticated TWAMP client that asks for exactly what it is told.

For the session-policy tests: xwping always asks for sane sessions, this
asks for any Sender/Receiver Address and Receiver Port (RFC 5357 3.5),
optionally starts the sessions and sends test packets from --sender (which
must then be an address of this namespace), counting the answers that
arrive there.  One line per session on stdout:

  session 1: accept 0 port 20000 replies 5 sizes 41

and "modes 0" when the server refused the connection (RFC 4656 3.1).

  twreq.py SERVER [--src ADDR] [--sender ADDR] [--sport N] [--receiver ADDR]
           [--rport N] [--count N] [--start] [--packets N] [--hold S]
"""
import argparse
import socket
import struct
import sys
import time

PORT = 862


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise SystemExit("FAIL: connection closed after %d of %d octets" % (len(buf), n))
        buf += chunk
    return buf


def fam_of(a):
    return socket.AF_INET6 if ":" in a else socket.AF_INET


def raw_addr(a, ipvn):
    if not a:
        return bytes(16)
    r = socket.inet_pton(fam_of(a), a)
    return r + bytes(16 - len(r))


def request(ipvn, sender, sport, receiver, rport, timeout_s, padding):
    m = bytearray(112)
    struct.pack_into("!I", m, 64, padding)
    m[0] = 5
    m[1] = ipvn
    struct.pack_into("!HH", m, 12, sport, rport)
    m[16:32] = raw_addr(sender, ipvn)
    m[32:48] = raw_addr(receiver, ipvn)
    struct.pack_into("!Q", m, 76, timeout_s << 32)
    return bytes(m)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("--src")
    ap.add_argument("--sender", default="", help="Sender Address (default 0: the control peer)")
    ap.add_argument("--sport", type=int, default=0, help="Sender Port (default: a free one)")
    ap.add_argument("--receiver", default="", help="Receiver Address (default 0)")
    ap.add_argument("--rport", type=int, default=0, help="Receiver Port")
    ap.add_argument("--count", type=int, default=1, help="sessions to request")
    ap.add_argument("--start", action="store_true", help="Start-Sessions after the requests")
    ap.add_argument("--packets", type=int, default=0,
                    help="test packets to send per session from --sender (or --src)")
    ap.add_argument("--padding", type=int, default=0, help="Padding Length")
    ap.add_argument("--hold", type=float, default=0, help="seconds to keep the connection")
    a = ap.parse_args()

    fam = fam_of(a.server)
    ipvn = 6 if fam == socket.AF_INET6 else 4
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.settimeout(10)
    if a.src:
        c.bind((a.src, 0))
    c.connect((a.server, PORT))
    g = recv_exact(c, 64)
    modes = struct.unpack("!I", g[12:16])[0]
    if not modes & 1:
        print("modes %d" % modes)
        sys.stdout.flush()
        time.sleep(a.hold)
        return 0
    c.sendall(struct.pack("!I", 1) + bytes(160))
    ss = recv_exact(c, 48)
    if ss[15] != 0:
        print("server-start accept %d" % ss[15])
        return 0

    # the test socket: where the answers come back to (Sender Address:Sender Port)
    src = a.sender or a.src or ""
    udp = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        udp.bind((src, a.sport))
    except OSError:
        # a Sender Address no host has (multicast, ...): ask for it anyway
        udp.bind((a.src or "", a.sport))
    sport = udp.getsockname()[1]
    sess = []
    for i in range(a.count):
        c.sendall(request(ipvn, a.sender, sport, a.receiver, a.rport, 1, a.padding))
        r = recv_exact(c, 48)
        sess.append((r[0], struct.unpack("!H", r[2:4])[0]))
    if a.start and any(acc == 0 for acc, _ in sess):
        c.sendall(bytes([2]) + bytes(31))
        ack = recv_exact(c, 32)
        if ack[0] != 0:
            print("start-ack %d" % ack[0])
    udp.settimeout(0.5)
    for i, (acc, port) in enumerate(sess):
        sizes = []
        if a.packets:
            # to the port the server named, or the one asked for if refused
            dst = port if acc == 0 else (a.rport or 9)
            for k in range(a.packets):
                # 14 octets and the padding, Multiplier 1
                pkt = struct.pack("!IQH", k, 0, 1) + bytes(a.padding)
                udp.sendto(pkt, (a.server, dst))
                time.sleep(0.01)
            deadline = time.time() + 1.5
            while time.time() < deadline:
                try:
                    d = udp.recv(2048)
                except socket.timeout:
                    continue
                sizes.append(len(d))
        print("session %d: accept %d port %d replies %d sizes %s" % (
            i + 1, acc, port, len(sizes), ",".join(sorted(set(str(x) for x in sizes))) or "-"))
    sys.stdout.flush()
    time.sleep(a.hold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
