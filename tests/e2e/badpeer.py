#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Misbehaving TWAMP-Control clients for the end-to-end tests.

Each action connects to the server, misbehaves in one way and checks the
server's reaction; exit status 0 when the reaction was the right one, 1 with a
message on stdout otherwise.

  badpeer.py garbage HOST [SRC]        random bytes instead of Set-Up-Response
  badpeer.py stall HOST SECONDS [SRC]  half a Set-Up-Response, then silence
  badpeer.py flood HOST N LIMIT [SRC]  N connections held open at once
  badpeer.py badmode HOST [SRC]        a Mode the server did not offer
  badpeer.py nonreader HOST SECONDS [SRC]
                                       open mode, then refused Request-TW-Sessions
                                       sent for SECONDS without reading any answer;
                                       prints "SENT octets" and "CLOSED seconds" when
                                       the server closed during a further 40 s of not
                                       reading ("CLOSED -1": not closed)
  badpeer.py setups HOST N MODE KEYID[,KEYID...] [SRC]
                                       N Set-Up-Responses one after the other (MODE
                                       decimal, KEYID text, or "spi:" + 32 hex digits
                                       for RFC 7717 SPIs; several are taken in turn)
                                       with a random Token; prints "SETUP accept
                                       seconds KEYID" per try (time from the
                                       Set-Up-Response to the Server-Start)

A client that goes on sending after Stop-Sessions (open mode):

  badpeer.py after_stop HOST TIMEOUT DELAY...
      one session with Timeout TIMEOUT s, a test packet before Stop-Sessions
      and one DELAY s after it, for each DELAY; prints "# delay D: reply" or
      "# delay D: none" (RFC 5357 3.8: reflected within Timeout, not after)

And one on-path attacker, for testing clients:

  badpeer.py mitm LADDR LPORT HOST MODES
      accepts one connection on LADDR:LPORT, relays it to HOST:862 and back,
      rewriting the Modes of the Server Greeting (not authenticated, RFC 4656
      3.1) to MODES; prints the Mode of the client's Set-Up-Response
      ("# client Mode N") or "# client sent no Set-Up-Response"; exit 0
"""
import os
import select
import socket
import struct
import sys
import time

PORT = 862


def connect(host, src=None, timeout=5.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect((host, PORT))
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def closed_by_peer(s, within):
    """True when the server closes (EOF or reset) within `within` seconds."""
    s.settimeout(within)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def greeting(s):
    g = recv_exact(s, 64)
    if len(g) != 64:
        raise SystemExit("FAIL: no 64-octet Server Greeting (got %d octets)" % len(g))
    return struct.unpack("!I", g[12:16])[0]


def act_garbage(host, src=None):
    s = connect(host, src)
    greeting(s)
    s.sendall(os.urandom(164))
    # random Mode: either not offered (server closes) or a security mode with a
    # token that cannot decrypt (Server-Start with Accept != 0, then close).
    data = b""
    s.settimeout(5)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            data += d
    except (ConnectionResetError, socket.timeout):
        pass
    if len(data) >= 48 and data[15] == 0:
        print("FAIL: server accepted a random Set-Up-Response")
        return 1
    if not closed_by_peer(s, 1):
        print("FAIL: server kept the connection open after garbage")
        return 1
    return 0


def act_stall(host, seconds, src=None):
    seconds = float(seconds)
    s = connect(host, src)
    greeting(s)
    s.sendall(struct.pack("!I", 1) + b"\0" * 16)  # 20 of 164 octets
    t0 = time.monotonic()
    if not closed_by_peer(s, seconds + 5):
        print("FAIL: server did not close a stalled connection within %.0f s" % (seconds + 5))
        return 1
    dt = time.monotonic() - t0
    if dt < seconds * 0.5:
        print("FAIL: server closed after %.2f s, before its timeout of %.0f s" % (dt, seconds))
        return 1
    print("# stalled connection closed after %.2f s" % dt)
    return 0


def act_flood(host, n, limit, src=None):
    n, limit = int(n), int(limit)
    socks, greeted, refused = [], 0, 0
    for _ in range(n):
        try:
            s = connect(host, src, timeout=2)
        except OSError:
            continue
        socks.append(s)
    time.sleep(0.5)
    for s in socks:
        s.settimeout(1)
        try:
            g = recv_exact(s, 64)
        except (socket.timeout, ConnectionResetError):
            g = b""
        # over the limit: Modes 0 (RFC 4656 3.1, "does not wish to
        # communicate") or no greeting at all; both are refusals
        if len(g) == 64 and struct.unpack("!I", g[12:16])[0] != 0:
            greeted += 1
        else:
            refused += 1
    for s in socks:
        s.close()
    print("# %d connections, %d greeted, %d refused, limit %d" % (len(socks), greeted, refused, limit))
    if greeted != limit:
        print("FAIL: %d connections got a greeting, the limit is %d" % (greeted, limit))
        return 1
    return 0


def act_badmode(host, src=None):
    s = connect(host, src)
    modes = greeting(s)
    bad = 0
    for bit in (1, 2, 4, 8):
        if not modes & bit:
            bad = bit
            break
    if not bad:
        print("# server offers every mode; nothing to test")
        return 0
    s.sendall(struct.pack("!I", bad) + b"\0" * 160)
    data = b""
    try:
        data = recv_exact(s, 48)
    except (ConnectionResetError, socket.timeout):
        pass
    if len(data) >= 48 and data[15] == 0:
        print("FAIL: server accepted mode %d it did not offer" % bad)
        return 1
    if not closed_by_peer(s, 5):
        print("FAIL: server kept the connection open")
        return 1
    return 0


def test_packet(seq):
    """Open-mode Session-Sender packet: seq, timestamp, Error Estimate
    (S=1, Multiplier 1), 27 octets of padding (RFC 5357 4.1.2)."""
    return struct.pack("!IQH", seq, 0, 0x8001) + b"\0" * 27


def answered(u, seq, within):
    u.settimeout(within)
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            d = u.recv(2048)
        except socket.timeout:
            return False
        except ConnectionRefusedError:
            continue  # ICMP port unreachable: the session's socket is gone
        # reflector packet: Sender Sequence Number at octet 24 (RFC 5357 4.2.1)
        if len(d) >= 28 and struct.unpack("!I", d[24:28])[0] == seq:
            return True
    return False


def act_after_stop(host, timeout, *delays):
    timeout = float(timeout)
    s = connect(host)
    greeting(s)
    s.sendall(struct.pack("!I", 1) + b"\0" * 160)
    ss = recv_exact(s, 48)
    if len(ss) != 48 or ss[15] != 0:
        print("FAIL: no Server-Start with Accept 0")
        return 1
    fam = s.family
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((s.getsockname()[0], 0))
    lport = u.getsockname()[1]
    ab = socket.inet_pton(fam, s.getsockname()[0]).ljust(16, b"\0")
    rb = socket.inet_pton(fam, s.getpeername()[0]).ljust(16, b"\0")
    ntp_timeout = int(timeout * 2**32)
    req = struct.pack("!BBBBIIHH", 5, 6 if fam == socket.AF_INET6 else 4, 0, 0, 0, 0, lport, lport)
    req += ab + rb + b"\0" * 16 + struct.pack("!IQQI", 27, 0, ntp_timeout, 0) + b"\0" * 8 + b"\0" * 16
    s.sendall(req)
    acc = recv_exact(s, 48)
    if len(acc) != 48 or acc[0] != 0:
        print("FAIL: session refused: %r" % acc[:1])
        return 1
    port = struct.unpack("!H", acc[2:4])[0]
    u.connect((s.getpeername()[0], port))
    s.sendall(bytes([2]) + b"\0" * 31)
    ack = recv_exact(s, 32)
    if len(ack) != 32 or ack[0] != 0:
        print("FAIL: Start-Ack %r" % ack[:1])
        return 1
    u.send(test_packet(0))
    if not answered(u, 0, 2.0):
        print("FAIL: no answer while the session runs")
        return 1
    s.sendall(bytes([3, 0, 0, 0]) + struct.pack("!I", 1) + b"\0" * 24)
    t_stop = time.monotonic()
    for i, d in enumerate(delays, 1):
        wait = t_stop + float(d) - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        u.send(test_packet(i))
        print("# delay %s: %s" % (d, "reply" if answered(u, i, 0.5) else "none"))
    s.close()
    return 0


def act_mitm(laddr, lport, host, modes):
    fam = socket.AF_INET6 if ":" in laddr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((laddr, int(lport)))
    ls.listen(1)
    ls.settimeout(30)
    c, _ = ls.accept()
    s = connect(host)
    g = recv_exact(s, 64)
    if len(g) != 64:
        print("FAIL: no greeting from the server")
        return 1
    old = struct.unpack("!I", g[12:16])[0]
    c.sendall(g[:12] + struct.pack("!I", int(modes, 0)) + g[16:])
    print("# greeting Modes 0x%x rewritten to 0x%x" % (old, int(modes, 0)))
    first, done = b"", False
    c.settimeout(None)
    s.settimeout(None)
    while not done:
        r, _, _ = select.select([c, s], [], [], 30)
        if not r:
            break
        for a in r:
            b = s if a is c else c
            try:
                d = a.recv(65536)
            except OSError:
                d = b""
            if not d:
                done = True
                break
            if a is c and len(first) < 4:
                first += d[: 4 - len(first)]
            b.sendall(d)
    if len(first) == 4:
        print("# client Mode %d" % struct.unpack("!I", first)[0])
    else:
        print("# client sent no Set-Up-Response")
    return 0


def open_mode_setup(host, src=None):
    """A connection past Server-Start in unauthenticated mode (Mode 1)."""
    s = connect(host, src)
    greeting(s)
    s.sendall(struct.pack("!I", 1) + b"\0" * 160)
    ss = recv_exact(s, 48)
    if len(ss) != 48 or ss[15] != 0:
        raise SystemExit("FAIL: no Server-Start with Accept 0 in open mode")
    return s


def act_nonreader(host, seconds, src=None):
    seconds = float(seconds)
    s = open_mode_setup(host, src)
    # Request-TW-Session (RFC 5357 3.5) with Conf-Sender 1: each one is
    # refused with Accept 3 and the connection goes on
    req = bytearray(112)
    req[0], req[1], req[2] = 5, 4, 1
    burst = bytes(req) * 64
    s.setblocking(False)
    sent = 0
    t_end = time.monotonic() + seconds
    while time.monotonic() < t_end:
        _, w, _ = select.select([], [s], [], 0.1)
        if not w:
            continue
        try:
            sent += s.send(burst)
        except BlockingIOError:
            pass
        except OSError as e:
            print("# send: %s" % e)
            break
    print("# sent %d octets (%d requests) in %.0f s without reading" % (sent, sent // 112, seconds))
    print("SENT %d" % sent)
    sys.stdout.flush()
    # keep not reading: the server gives up on us (shutdown or reset seen by poll)
    t0 = time.monotonic()
    closed = -1
    p = select.poll()
    p.register(s, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    while time.monotonic() - t0 < 40:
        ev = p.poll(200)
        if ev and ev[0][1] & (select.POLLRDHUP | select.POLLHUP | select.POLLERR):
            closed = time.monotonic() - t0
            break
    print("CLOSED %.1f" % closed)
    return 0


def setup_keyid(keyid):
    if keyid.startswith("spi:"):
        return bytes.fromhex(keyid[4:]).ljust(80, b"\0")
    return keyid.encode().ljust(80, b"\0")


def act_setups(host, n, mode, keyids, src=None):
    n, mode = int(n), int(mode)
    kids = [(k, setup_keyid(k)) for k in keyids.split(",")]
    for i in range(n):
        name, kid = kids[i % len(kids)]
        s = connect(host, src, timeout=30)
        greeting(s)
        msg = struct.pack("!I", mode) + kid + os.urandom(64) + os.urandom(16)
        t0 = time.monotonic()
        s.sendall(msg)
        ss = recv_exact(s, 48)
        dt = time.monotonic() - t0
        s.close()
        if len(ss) != 48:
            print("FAIL: no Server-Start (%d octets)" % len(ss))
            return 1
        print("SETUP %d %.6f %s" % (ss[15], dt, name))
    return 0


def main(argv):
    acts = {
        "garbage": act_garbage,
        "stall": act_stall,
        "flood": act_flood,
        "badmode": act_badmode,
        "mitm": act_mitm,
        "after_stop": act_after_stop,
        "nonreader": act_nonreader,
        "setups": act_setups,
    }
    if len(argv) < 3 or argv[1] not in acts:
        print(__doc__)
        return 2
    return acts[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
