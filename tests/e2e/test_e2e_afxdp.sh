#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Authenticated and encrypted sessions answered by xwampd's AF_XDP sockets
# (loader/xwampd/xsk.c): xdp_xwamp (native, on the server's veth xws0)
# redirects their frames into the XSKMAP, xwampd checks the HMAC, decrypts,
# builds, encrypts and MACs the reply and sends it from userspace, without
# the kernel's UDP socket in between.
#
# What proves it, per session:
#   - xwping (which counts a reply only after xw_tp_parse_reflector() checked
#     its HMAC, and counts a failing one as "bad-hmac"): every packet back,
#     0 lost, 0 bad-hmac, sane delays;
#   - xwampd's final session line: the UDP socket received and reflected 0,
#     AF_XDP received and reflected every packet;
#   - the global "stats" map: REDIRECTED grew by exactly the frames sent,
#     PASS_MODE (frames handed to the socket) did not grow.
# Forged (bad HMAC), wrong-length and truncated packets sent during a session
# from the Session-Sender's own address and port (a raw socket, so that they
# match the session's 5-tuple and reach AF_XDP) get no answer and are counted
# per reason, and the session still completes with 0 loss.  Without XDP
# (nothing to attach to) the same sessions are answered by the socket, and
# the log says which path each session takes.
#
# veth set-up as test_e2e_xdp.sh: XDP_PASS program and TX checksum offload
# off on the client end.
. "$(dirname "$0")/lib.sh"

COUNT=100
S_PASS_MODE=9
S_REDIRECTED=14

afxdp_env() {
	BPFFS=$XW_TMP/bpf
	PINS=$BPFFS/xwamp
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || return 1
	trap 'umount -l "$BPFFS" 2>/dev/null' EXIT
	ip -n "$XW_NS_C" link set dev xwc0 xdpdrv obj "$XW_BUILD/bpf/xdp_pass.bpf.o" sec xdp ||
		return 1
	in_c ethtool -K xwc0 tx off >/dev/null
}

stat_slot() {
	bpftool -j map lookup pinned "$PINS/stats" key "$1" 0 0 0 |
		python3 -c 'import json,sys; j=json.load(sys.stdin); print(sum(v["value"] for v in j["formatted"]["values"]))'
}

# accepted_tuple: "refl_port sender_port length" of the last accepted session.
accepted_tuple() {
	sed -n 's/.*session [0-9a-f]* [^ ]*:\([0-9]*\)<-[^ ]*:\([0-9]*\) accepted ([a-z]*, \([0-9]*\)-octet.*/\1 \2 \3/p' \
		"$XW_TMP/xwampd.log" | tail -n 1
}

# afxdp_line PORT: "socket_rx socket_refl afxdp_rx afxdp_refl afxdp_dropped drops..."
afxdp_line() {
	python3 - "$XW_TMP/xwampd.log" "$1" <<'PY'
import re, sys
pat = re.compile(r"session \S+ \S+:%s<-\S+: (?:stopped|shutdown|REFWAIT expired|control connection closed): "
                 r"received (\d+), reflected (\d+), .*; AF_XDP: received (\d+), reflected (\d+), "
                 r"dropped (\d+):?(.*)$" % sys.argv[2])
m = [pat.search(l) for l in open(sys.argv[1])]
m = [x for x in m if x]
if not m:
    print("none"); sys.exit(0)
g = m[-1].groups()
print(" ".join(g[:5] + tuple(sorted(g[5].split()))))
PY
}

# check_ping FILE MODE: all back, none lost, every reply's HMAC good.
check_ping() {
	python3 - "$1" "$2" "$COUNT" <<'PY'
import json, sys
f, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = json.load(open(f))
s = s["sessions"][0] if "sessions" in s else s
pk, rtt, refl, dr = s["packets"], s["rtt_ms"], s["reflector_ms"], s["dropped"]
errs = []
names = {"auth": "authenticated", "enc": "encrypted"}
if s["session"]["mode"] != names[mode]: errs.append("mode %r" % s["session"]["mode"])
if not (pk["sent"] == pk["received"] == count): errs.append("sent/received %r" % pk)
if pk["lost"] or pk["duplicates"]: errs.append("lost/dup %r" % pk)
if any(dr.values()): errs.append("replies dropped by the client %r" % dr)
if not (rtt["n"] == count and 0 < rtt["min"] <= rtt["median"] <= rtt["max"] < 1000):
    errs.append("rtt %r" % rtt)
if not (refl["n"] == count and 0 <= refl["min"] <= refl["max"] < 1000):
    errs.append("reflector time %r" % refl)
if errs:
    print("# xwping: " + "; ".join(errs)); sys.exit(1)
PY
}

# inject SRC DST RPORT SPORT LEN: bad packets from the Session-Sender's own
# address and port (raw socket): 7 of the session's length with a wrong HMAC
# (random octets: forged or replayed garbage), 5 truncated (20 octets), 3 of
# another length (LEN + 16).
inject() {
	in_c python3 - "$@" <<'PY'
import os, socket, struct, sys, time
src, dst, rport, sport, plen = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.bind((src, 0))
def send(payload):
    # UDP checksum 0: none (RFC 768, IPv4)
    s.sendto(struct.pack("!HHHH", sport, rport, 8 + len(payload), 0) + payload, (dst, 0))
    time.sleep(0.01)
for i in range(7): send(os.urandom(plen))
for i in range(5): send(os.urandom(20))
for i in range(3): send(os.urandom(plen + 16))
PY
}

# afxdp_session MODE ADDR [inject]: one session through AF_XDP, asserted as above.
afxdp_session() {
	local mode=$1 addr=$2 bad=${3:-} kf out ping tuple i port want red0 pass0 line n
	kf=$KF
	out=$XW_TMP/ping-$mode.json
	red0=$(stat_slot $S_REDIRECTED)
	pass0=$(stat_slot $S_PASS_MODE)
	in_c "$XWPING" -A "$mode" -u alice -k "$kf" -c $COUNT -i 0.02 --json "$addr" \
		>"$out" 2>"$XW_TMP/ping.err" &
	ping=$!
	n=0
	if [ -n "$bad" ]; then
		for i in $(seq 100); do
			grep -q "started, path: AF_XDP" "$XW_TMP/xwampd.log" && break
			sleep 0.05
		done
		tuple=$(accepted_tuple)
		xw_log "injecting into the session (reflector port, sender port, length): $tuple"
		# shellcheck disable=SC2086
		inject $XW_C4 $XW_S4 $tuple || { wait $ping; return 1; }
		n=15
	fi
	if ! wait $ping; then
		xw_log "xwping failed:"
		sed 's/^/#   /' "$XW_TMP/ping.err" "$out"
		return 1
	fi
	check_ping "$out" "$mode" || return 1
	port=$(accepted_tuple | cut -d' ' -f1)
	want=$((red0 + COUNT + n))
	expect "stats REDIRECTED grew by $((COUNT + n)) ($red0 -> $(stat_slot $S_REDIRECTED))" \
		[ "$(stat_slot $S_REDIRECTED)" = $want ] || return 1
	expect "stats PASS_MODE did not grow" [ "$(stat_slot $S_PASS_MODE)" = "$pass0" ] || return 1
	LAST_PORT=$port
	LAST_N=$n
}

# After the server stopped: socket 0/0, AF_XDP count/count, drops as injected.
check_line() {
	local line want=$2
	line=$(afxdp_line "$1")
	xw_log "session on port $1: socket rx/refl, AF_XDP rx/refl/dropped, reasons = $line"
	expect "session line: $want" [ "$line" = "$want" ]
}

run_afxdp() {
	local mode=$1 addr=$2 bad=${3:-}
	afxdp_env || return 1
	KF=$(xw_keyfile)
	xw_start_server --listen "$addr" --keyfile "$KF" --modes open,auth,enc \
		--xdp xws0 --xdp-mode native --bpf-dir "$PINS" || return 1
	expect "AF_XDP socket on xws0 (copy mode on veth)" grep -q \
		"afxdp: xws0: 1 of 1 receive queues with an AF_XDP socket (0 zero-copy)" \
		"$XW_TMP/xwampd.log" || return 1
	afxdp_session "$mode" "$addr" "$bad" || return 1
	expect "Accept and Start log lines name the AF_XDP path" grep -q \
		"started, path: AF_XDP on xws0 1/1 queue copy" "$XW_TMP/xwampd.log" || return 1
	kill -USR1 "$XW_SRV_PID"
	sleep 0.3
	expect "SIGUSR1: the socket's counters" grep -q \
		"afxdp: xws0 queue 0 (copy): rx $((COUNT + LAST_N)), tx $COUNT, tx-ring-full 0" \
		"$XW_TMP/xwampd.log" || return 1
	kill "$XW_SRV_PID" && wait "$XW_SRV_PID" || return 1
	if [ -n "$bad" ]; then
		check_line "$LAST_PORT" \
			"0 0 $((COUNT + 15)) $COUNT 15 bad-hmac=7 truncated=5 wrong-length=3"
	else
		check_line "$LAST_PORT" "0 0 $COUNT $COUNT 0"
	fi
}

auth_ipv4() { run_afxdp auth $XW_S4; }
enc_ipv4() { run_afxdp enc $XW_S4; }
auth_ipv6() { run_afxdp auth "[$XW_S6]"; }
auth_ipv4_bad_packets() { run_afxdp auth $XW_S4 bad; }
enc_ipv4_bad_packets() { run_afxdp enc $XW_S4 bad; }

# No XDP possible: the same sessions on the socket path, logged as such.
fallback_socket() {
	local mode
	BPFFS=$XW_TMP/bpf
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || return 1
	trap 'umount -l "$BPFFS" 2>/dev/null' EXIT
	KF=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --keyfile "$KF" --modes open,auth,enc \
		--xdp xwnosuch0 --bpf-dir "$BPFFS/xwamp" || return 1
	for mode in auth enc; do
		in_c "$XWPING" -A $mode -u alice -k "$KF" -c $COUNT -i 0.005 --json $XW_S4 \
			>"$XW_TMP/p-$mode.json" 2>&1 || return 1
		check_ping "$XW_TMP/p-$mode.json" $mode || return 1
	done
	expect "both sessions logged on the socket path" \
		[ "$(grep -c 'accepted (\(auth\|encrypted\).*path: socket (XDP attached nowhere yet)$' "$XW_TMP/xwampd.log")" = 2 ] ||
		return 1
	kill "$XW_SRV_PID" && wait "$XW_SRV_PID" || return 1
	expect "the socket reflected every packet of both" [ "$(grep -cE \
		"(shutdown|stopped): received $COUNT, reflected $COUNT, dropped 0; XDP: reflected 0 " \
		"$XW_TMP/xwampd.log")" = 2 ]
}

TESTS=(auth_ipv4 enc_ipv4 auth_ipv6 auth_ipv4_bad_packets enc_ipv4_bad_packets fallback_socket)
xw_run "$@"
