#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""An open-mode OWAMP-Control client (RFC 4656 3) for the large-fetch tests.

  owfetch.py fill HOST N
      one session the server receives, of N packets on a fixed slot of 1 us
      that started 100 s ago, started and stopped at once with Next Seqno N:
      the server stores N lost-packet records (RFC 4656 3.8, 3.9) and keeps
      them after this connection; prints "SID hex"
  owfetch.py fetch HOST SID N
      Fetch-Session of that complete session on a new connection, reading
      everything; checks every record byte for byte against what the
      schedule gives (the Receive Error Estimate as in the first record);
      prints "RECORDS n OK seconds" or "BAD why"
  owfetch.py stall HOST SID SECONDS
      the same Fetch-Session, then reads only the Fetch-Ack and nothing
      more for SECONDS; prints "STALLED" when it starts not reading and
      "CLOSED s" when the server closed during that time (else "OPEN")
  owfetch.py slots HOST N...
      on one connection, a Request-Session (the server receives, 10
      packets) of each N schedule slots in turn, then one of 1 slot;
      prints "SLOTS n accept a" for each
  owfetch.py idle HOST SECONDS
      the handshake, then nothing for SECONDS; "CLOSED s" or "OPEN"
  owfetch.py nostop HOST SECONDS
      one session the server receives (5 packets, 0.1 s apart from now,
      Timeout 1 s), started, never stopped nor sent; "CLOSED s" (counted
      from Start-Ack) or "OPEN" after SECONDS
"""
import os
import socket
import struct
import sys
import time

PORT = 861
NTP_OFF = 2208988800
SLOT = (1 << 32) // 1000000  # 1 us in NTP units


def recv_exact(s, n):
    b = bytearray()
    while len(b) < n:
        d = s.recv(min(n - len(b), 1 << 20))
        if not d:
            raise EOFError("closed after %d of %d octets" % (len(b), n))
        b += d
    return bytes(b)


def setup(host):
    c = socket.create_connection((host, PORT), timeout=30)
    g = recv_exact(c, 64)
    if not struct.unpack("!I", g[12:16])[0] & 1:
        raise SystemExit("BAD no open mode")
    c.sendall(struct.pack("!I", 1) + bytes(160))  # Set-Up-Response, Mode 1
    ss = recv_exact(c, 48)
    if ss[15] != 0:
        raise SystemExit("BAD Server-Start accept %d" % ss[15])
    return c


def act_fill(host, n):
    c = setup(host)
    me = c.getsockname()[0]
    m = bytearray(112)
    m[0], m[1], m[3] = 1, 4, 1  # Request-Session, IPv4, Conf-Receiver
    struct.pack_into("!IIHH", m, 4, 1, n, 9, 0)
    m[16:20] = socket.inet_aton(me)
    m[32:36] = socket.inet_aton(host)
    start = int((time.time() + NTP_OFF - 100) * (1 << 32))
    struct.pack_into("!QQ", m, 68, start, 1 << 32)  # Start Time, Timeout 1 s
    c.sendall(bytes(m) + bytes([1]) + bytes(7) + struct.pack("!Q", SLOT) + bytes(16))
    a = recv_exact(c, 48)
    if a[0] != 0:
        raise SystemExit("BAD Accept-Session %d" % a[0])
    sid = a[4:20]
    c.sendall(bytes([2]) + bytes(31))  # Start-Sessions
    if recv_exact(c, 32)[0] != 0:
        raise SystemExit("BAD Start-Ack")
    # Stop-Sessions: our one send session, all N "sent", no skip range
    c.sendall(struct.pack("!BBHI8x", 3, 0, 0, 1) + sid + struct.pack("!II8x", n, 0) + bytes(16))
    st = recv_exact(c, 32)
    if st[0] != 3 or st[1] != 0:
        raise SystemExit("BAD server Stop-Sessions %r" % st[:2])
    c.close()
    # the request as the server will reproduce it tells the start time too
    print("SID %s %d" % (sid.hex(), start))
    return 0


def fetch_cmd(sid):
    return bytes([4]) + bytes(7) + struct.pack("!II", 0, 0xFFFFFFFF) + sid + bytes(16)


def act_fetch(host, sidhex, n):
    sid = bytes.fromhex(sidhex)
    c = setup(host)
    t0 = time.time()
    c.sendall(fetch_cmd(sid))
    ack = recv_exact(c, 32)
    acc, fin = ack[0], ack[1]
    nxt, nskip, nrec = struct.unpack("!III", ack[4:16])
    if acc or not fin or nxt != n or nskip or nrec != n:
        print("BAD Fetch-Ack accept %d finished %d next %d skips %d records %d" %
              (acc, fin, nxt, nskip, nrec))
        return 1
    req = recv_exact(c, 144)
    if req[48:64] != sid:
        print("BAD reproduction names another SID")
        return 1
    start = struct.unpack("!Q", req[68:76])[0]
    recv_exact(c, 16)  # no skip range: the HMAC block
    size = (n * 25 + 15) // 16 * 16 + 16
    data = recv_exact(c, size)
    secs = time.time() - t0
    c.close()
    ree = data[6:8]
    # RFC 4656 3.9 lost-packet record: presumed send time, Send EE 1/64/S=0,
    # the receiver's EE, receive time 0, TTL 255
    want = b"".join(struct.pack("!IH", i, 0x4001) + ree +
                    struct.pack("!QQB", start + (i + 1) * SLOT, 0, 255) for i in range(n))
    want += bytes(size - len(want))
    if data != want:
        k = next(i for i in range(len(want)) if data[i] != want[i])
        print("BAD record %d differs at octet %d" % (k // 25, k % 25))
        return 1
    print("RECORDS %d OK %.2f" % (n, secs))
    return 0


def act_stall(host, sidhex, seconds):
    c = setup(host)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.sendall(fetch_cmd(bytes.fromhex(sidhex)))
    recv_exact(c, 32)
    print("STALLED")
    sys.stdout.flush()
    t0 = time.time()
    time.sleep(seconds)
    c.setblocking(False)
    try:  # drain: did the server close meanwhile?
        while True:
            if not c.recv(1 << 20):
                print("CLOSED %.1f" % (time.time() - t0))
                return 0
    except (BlockingIOError, ConnectionResetError):
        pass
    print("OPEN")
    return 0


def wait_closed(c, seconds):
    """Reads nothing but the end: prints when the server closed, or OPEN."""
    t0 = time.time()
    while time.time() - t0 < seconds:
        c.settimeout(max(0.01, seconds - (time.time() - t0)))
        try:
            if not c.recv(4096):
                print("CLOSED %.1f" % (time.time() - t0))
                return 0
        except socket.timeout:
            break
        except ConnectionResetError:
            print("CLOSED %.1f" % (time.time() - t0))
            return 0
    print("OPEN")
    return 0


def act_slots(host, counts):
    c = setup(host)
    for n in counts + [1]:
        m = bytearray(112)
        m[0], m[1], m[3] = 1, 4, 1  # Request-Session, IPv4, Conf-Receiver
        struct.pack_into("!IIHH", m, 4, n, 10, 9, 0)
        m[16:20] = socket.inet_aton(c.getsockname()[0])
        m[32:36] = socket.inet_aton(host)
        struct.pack_into("!QQ", m, 68, int((time.time() + NTP_OFF + 1) * (1 << 32)), 1 << 32)
        slot = bytes([1]) + bytes(7) + struct.pack("!Q", (1 << 32) // 10)
        c.sendall(bytes(m) + slot * n + bytes(16))
        print("SLOTS %d accept %d" % (n, recv_exact(c, 48)[0]))
        sys.stdout.flush()
    return 0


def act_idle(host, seconds):
    return wait_closed(setup(host), seconds)


def act_nostop(host, seconds):
    c = setup(host)
    m = bytearray(112)
    m[0], m[1], m[3] = 1, 4, 1  # Request-Session, IPv4, Conf-Receiver
    struct.pack_into("!IIHH", m, 4, 1, 5, 9, 0)
    m[16:20] = socket.inet_aton(c.getsockname()[0])
    m[32:36] = socket.inet_aton(host)
    struct.pack_into("!QQ", m, 68, int((time.time() + NTP_OFF) * (1 << 32)), 1 << 32)
    c.sendall(bytes(m) + bytes([1]) + bytes(7) + struct.pack("!Q", (1 << 32) // 10) + bytes(16))
    if recv_exact(c, 48)[0] != 0:
        raise SystemExit("BAD Accept-Session")
    c.sendall(bytes([2]) + bytes(31))
    if recv_exact(c, 32)[0] != 0:
        raise SystemExit("BAD Start-Ack")
    return wait_closed(c, seconds)


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    act, host = argv[1], argv[2]
    if act == "fill":
        return act_fill(host, int(argv[3]))
    if act == "fetch":
        return act_fetch(host, argv[3], int(argv[4]))
    if act == "stall":
        return act_stall(host, argv[3], float(argv[4]))
    if act == "slots":
        return act_slots(host, [int(x) for x in argv[3:]])
    if act == "idle":
        return act_idle(host, float(argv[3]))
    if act == "nostop":
        return act_nostop(host, float(argv[3]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
