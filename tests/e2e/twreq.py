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
           [--owamp send|recv]

--owamp asks port 861 for OWAMP Request-Sessions (RFC 4656 3.5, one slot)
instead: "send" has the server send to Receiver Address:Receiver Port
(Conf-Sender), "recv" has it receive from Sender Address (Conf-Receiver);
--packets then counts what reaches --receiver's socket (send) or sends
packets from --sender (recv, no answers expected).
"""
import argparse
import os
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


def start_sessions(c, want, sess):
    """Start-Sessions (RFC 4656 3.7) when wanted and any session was accepted."""
    if want and any(acc == 0 for acc, _ in sess):
        c.sendall(bytes([2]) + bytes(31))
        ack = recv_exact(c, 32)
        if ack[0] != 0:
            print("start-ack %d" % ack[0])


def ow_request(ipvn, conf_sender, sender, sport, receiver, rport, npkt):
    """OWAMP Request-Session (RFC 4656 3.5) with one slot of 0.01 s, starting now."""
    m = bytearray(112)
    m[0] = 1
    m[1] = ipvn
    m[2], m[3] = (1, 0) if conf_sender else (0, 1)
    struct.pack_into("!IIHH", m, 4, 1, npkt, sport, rport)
    m[16:32] = raw_addr(sender, ipvn)
    m[32:48] = raw_addr(receiver, ipvn)
    if conf_sender:  # the receiver (we) makes the SID (RFC 4656 3.5)
        m[48:64] = os.urandom(16)
    start = int((time.time() + 2208988800 + 0.3) * (1 << 32))  # NTP, soon
    struct.pack_into("!QQ", m, 68, start, 2 << 32)  # Start Time, Timeout 2 s
    slot = bytes([1]) + bytes(7) + struct.pack("!Q", (1 << 32) // 100) + bytes(16)  # slot, HMAC
    return bytes(m) + slot


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
    ap.add_argument("--owamp", choices=("send", "recv"), help="OWAMP on 861 (see above)")
    a = ap.parse_args()
    port = 861 if a.owamp else PORT

    fam = fam_of(a.server)
    ipvn = 6 if fam == socket.AF_INET6 else 4
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.settimeout(10)
    if a.src:
        c.bind((a.src, 0))
    c.connect((a.server, port))
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
    src = (a.receiver if a.owamp == "send" else a.sender) or a.src or ""
    udp = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        udp.bind((src, a.sport))
    except OSError:
        # a Sender Address no host has (multicast, ...): ask for it anyway
        udp.bind((a.src or "", a.sport))
    sport = udp.getsockname()[1]
    sess = []
    for i in range(a.count):
        if a.owamp == "send":  # we receive: our socket is the Receiver Port
            c.sendall(ow_request(ipvn, True, a.sender, a.sport, a.receiver, sport,
                                 max(a.packets, 1)))
        elif a.owamp:
            c.sendall(ow_request(ipvn, False, a.sender, sport, a.receiver, a.rport,
                                 max(a.packets, 1)))
        else:
            c.sendall(request(ipvn, a.sender, sport, a.receiver, a.rport, 1, a.padding))
        r = recv_exact(c, 48)
        sess.append((r[0], struct.unpack("!H", r[2:4])[0]))
    if a.owamp == "send":
        # what the server sends reaches our socket, started or not (it must not)
        start_sessions(c, a.start, sess)
        udp.settimeout(0.2)
        got, deadline = 0, time.time() + (2 if a.packets else 0)
        while time.time() < deadline:
            try:
                udp.recv(2048)
                got += 1
            except socket.timeout:
                pass
        for i, (acc, p) in enumerate(sess):
            print("session %d: accept %d port %d replies %d sizes -" % (i + 1, acc, p, got))
        sys.stdout.flush()
        time.sleep(a.hold)
        return 0
    start_sessions(c, a.start, sess)
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
