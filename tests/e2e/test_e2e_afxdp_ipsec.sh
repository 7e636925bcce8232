#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Authenticated and encrypted TWAMP sessions inside the testbed's strongSwan
# tunnel (tests/testbed/ipsec-netns.sh: IKEv2, ESP in UDP/4500 done by
# charon's kernel-libipsec, decrypted packets on the TUN device ipsec0),
# answered by xwampd's AF_XDP sockets on ipsec0: xdp_xwamp (generic, frames
# starting at the IP header) redirects them, xwampd verifies, decrypts,
# answers, and the AF_XDP TX hands the reply back to charon, which encrypts
# it.
#
# Asserts: one AF_XDP socket on ipsec0; per session (auth, then enc) every
# packet back with 0 loss and no reply failing xwping's HMAC check; during
# the auth session, forged (bad HMAC), truncated and wrong-length packets
# sent through the tunnel from the Session-Sender's own inner address and
# port get no answer and are counted per reason; the session lines say the
# UDP socket received 0 and AF_XDP answered every real packet; the "stats"
# map's REDIRECTED slot grew by every frame of both sessions; the veth
# between the namespaces carried them only as ESP in UDP/4500 (no cleartext
# TWAMP-Control or -Test).
set -u
. "$(dirname "$0")/lib.sh"

xw_testbed afi
INNER_I=198.51.100.1
INNER_R=198.51.100.2
COUNT=50
S_REDIRECTED=14
PREFIX=test_e2e_afxdp_ipsec

fail() {
	echo "# check failed: $*"
	[ -f "$W/xwampd.log" ] && sed 's/^/#   /' "$W/xwampd.log" | tail -n 30
	echo "FAIL $PREFIX/tunnel_auth_enc"
	exit 1
}

# ping_ok FILE MODE: every packet back, none lost, every reply's HMAC good
ping_ok() {
	python3 - "$1" "$2" "$COUNT" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); n = int(sys.argv[3])
s = s["sessions"][0] if "sessions" in s else s
pk, dr = s["packets"], s["dropped"]
ok = s["session"]["mode"] == {"auth": "authenticated", "enc": "encrypted"}[sys.argv[2]]
ok = ok and pk["sent"] == pk["received"] == n and not pk["lost"] and not any(dr.values())
ok = ok and s["rtt_ms"]["n"] == n and 0 < s["rtt_ms"]["min"] <= s["rtt_ms"]["max"] < 2000
if not ok:
    print("# xwping %s: %r %r %r" % (sys.argv[1], pk, dr, s["rtt_ms"])); sys.exit(1)
PY
}

[ "$(id -u)" = 0 ] || { echo "SKIP $PREFIX/tunnel_auth_enc: needs root"; exit 0; }
[ -x "$TB" ] || { echo "FAIL $PREFIX/tunnel_auth_enc: no $TB (set XW_TESTBED)"; exit 1; }
"$TB" up >"$W/tb.log" 2>&1 || { sed 's/^/#   /' "$W/tb.log"; fail "ipsec-netns.sh up"; }
TUN=$(ip -n "$TB_NS_R" -o link show type tun | awk -F': ' '{print $2; exit}')
[ -n "$TUN" ] || fail "no TUN device in $TB_NS_R"
mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || fail "bpffs"
KF=$W/keys
printf 'alice %s\n' "$(printf 'correct horse battery' | od -An -tx1 | tr -d ' \n')" >"$KF"
chmod 600 "$KF"

ip netns exec "$TB_NS_R" "$XWAMPD" -l "$INNER_R" --keyfile "$KF" --modes open,auth,enc \
	--xdp "$TUN" --bpf-dir "$PINS" >"$W/xwampd.log" 2>&1 &
SRV=$!
for _ in $(seq 100); do
	ip netns exec "$TB_NS_R" ss -Hltn 'sport = :862' | grep -q LISTEN && break
	sleep 0.05
done
grep -q "xdp: $TUN: xdp_xwamp attached (generic mode" "$W/xwampd.log" || fail "not attached"
grep -q "afxdp: $TUN: 1 of 1 receive queues with an AF_XDP socket" "$W/xwampd.log" ||
	fail "no AF_XDP socket on $TUN"

r0=$(stat_slot $S_REDIRECTED)
ip netns exec "$TB_NS_R" tcpdump -n -U --immediate-mode -Z root -i "$TB_VETH_R" \
	-w "$W/veth.pcap" >/dev/null 2>"$W/tcpdump.err" &
CAP=$!
for _ in $(seq 100); do grep -qs "listening on" "$W/tcpdump.err" && break; sleep 0.1; done

# auth, with bad packets injected through the tunnel during the session
ip netns exec "$TB_NS_I" "$XWPING" -A auth -u alice -k "$KF" -c $COUNT -i 0.04 --json \
	"$INNER_R" >"$W/auth.json" 2>"$W/ping.err" &
PING=$!
for _ in $(seq 400); do grep -q "started, path: AF_XDP" "$W/xwampd.log" && break; sleep 0.05; done
# xwping stopped (SIGSTOP) until the bad packets are in: the session cannot
# end before them however slowly the injector starts (as test_e2e_afxdp.sh)
kill -STOP $PING
tuple=$(sed -n 's/.*session [0-9a-f]* [^ ]*:\([0-9]*\)<-[^ ]*:\([0-9]*\) accepted ([a-z]*, \([0-9]*\)-octet.*/\1 \2 \3/p' \
	"$W/xwampd.log" | tail -n 1)
echo "# injecting through the tunnel into (reflector port, sender port, length): $tuple"
# shellcheck disable=SC2086
ip netns exec "$TB_NS_I" python3 - $INNER_I $INNER_R $tuple <<'PY' || { kill -CONT $PING; fail "injection"; }
import os, socket, struct, sys, time
src, dst, rport, sport, plen = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.bind((src, 0))
def send(payload):
    s.sendto(struct.pack("!HHHH", sport, rport, 8 + len(payload), 0) + payload, (dst, 0))
    time.sleep(0.01)
for i in range(7): send(os.urandom(plen))
for i in range(5): send(os.urandom(20))
for i in range(3): send(os.urandom(plen + 16))
PY
kill -CONT $PING
wait $PING || { cat "$W/ping.err"; fail "xwping auth"; }
ping_ok "$W/auth.json" auth || fail "auth session results"
ip netns exec "$TB_NS_I" "$XWPING" -A enc -u alice -k "$KF" -c $COUNT -i 0.01 --json \
	"$INNER_R" >"$W/enc.json" 2>"$W/ping.err" || { cat "$W/ping.err"; fail "xwping enc"; }
ping_ok "$W/enc.json" enc || fail "enc session results"
sleep 0.3
kill -INT "$CAP"
wait "$CAP" 2>/dev/null
r1=$(stat_slot $S_REDIRECTED)
echo "# stats REDIRECTED on $TUN: $r0 -> $r1"
[ $((r1 - r0)) = $((2 * COUNT + 15)) ] || fail "REDIRECTED grew by $((r1 - r0)), want $((2 * COUNT + 15))"
esp=$(tcpdump -n -r "$W/veth.pcap" 'udp port 4500' 2>/dev/null | wc -l)
clear=$(tcpdump -n -r "$W/veth.pcap" 'tcp port 862 or (udp and not port 4500 and not port 500)' \
	2>/dev/null | wc -l)
echo "# veth $TB_VETH_R: $esp ESP-in-UDP/4500 datagrams, $clear cleartext TWAMP"
[ "$esp" -ge $((4 * COUNT)) ] || fail "only $esp ESP datagrams on the veth"
[ "$clear" = 0 ] || fail "$clear cleartext TWAMP packets on the veth"

kill "$SRV" && wait "$SRV"
rc=$?
SRV=
[ $rc = 0 ] || fail "xwampd exit $rc"
grep -Eq "(stopped|shutdown): received 0, reflected 0, dropped 0; .*; AF_XDP: received $((COUNT + 15)), reflected $COUNT, dropped 15: truncated=5 wrong-length=3 bad-hmac=7$" \
	"$W/xwampd.log" || fail "auth session line: socket 0, AF_XDP $COUNT + 15 dropped per reason"
grep -Eq "(stopped|shutdown): received 0, reflected 0, dropped 0; .*; AF_XDP: received $COUNT, reflected $COUNT, dropped 0$" \
	"$W/xwampd.log" || fail "enc session line: socket 0, AF_XDP $COUNT"
echo "PASS $PREFIX/tunnel_auth_enc"
