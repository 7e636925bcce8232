#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xwampd with its XDP reflector attached to the server's veth (xws0): xwping
# measures through it and the BPF counters prove who answered.
#
# For each session: xwping's results are those of the userspace path (every
# packet back once, sane delays); the BPF session table entry, looked up
# with bpftool in the pinned map while the session runs, is ARMED with the
# client's tuple and a growing next_seq; at the end xwampd's session line
# says the socket reflected 0 and XDP reflected every packet (next_seq =
# count), and the global "stats" map's REFLECTED slot (bpftool, summed over
# CPUs) equals the packets sent.  An authenticated session on the same
# interface is answered by the socket and XDP only passes it.  Generic mode,
# one-session-per-port and crash recovery (kill -9, restart) too.
#
# veth needs two things that real NICs do not (README: XDP): the client end
# gets an XDP_PASS program (build/bpf/xdp_pass.bpf.o) so that XDP_TX'ed
# frames reach its stack, and `ethtool -K xwc0 tx off` so that its packets
# carry complete UDP checksums.  Each test mounts its own bpffs under
# $XW_TMP, visible to `ip netns exec` and to bpftool in the root namespace.
. "$(dirname "$0")/lib.sh"

COUNT=60

xdp_env() {
	xw_bpffs
}

# The client end of the veth: XDP_PASS program and TX checksum offload off.
client_veth_for_native() {
	ip -n "$XW_NS_C" link set dev xwc0 xdpdrv obj "$XW_BUILD/bpf/xdp_pass.bpf.o" sec xdp ||
		return 1
	in_c ethtool -K xwc0 tx off >/dev/null
}

S_REFLECTED=0
S_PASS_MODE=9
S_PASS_NOROOM=10
S_PASS_UDPCSUM=18

# sess_entry PORT: the formatted session table entry of a local port as JSON.
sess_entry() {
	bpftool -j map lookup pinned "$PINS/sessions" key $(($1 & 255)) $(($1 >> 8)) 0 0 |
		python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["formatted"]["value"]))'
}

# srv_port: reflector port of the last accepted session in xwampd's log.
srv_port() {
	sed -n 's/.*session [0-9a-f]* [^ ]*:\([0-9]*\)<-.* accepted .*/\1/p' "$XW_TMP/xwampd.log" |
		tail -n 1
}

# stop_server: SIGTERM, wait; the XDP program must be gone and the pins removed.
stop_server() {
	kill "$XW_SRV_PID" && wait "$XW_SRV_PID"
	expect "xwampd exited 0 on SIGTERM" [ $? = 0 ] || return 1
	expect "no XDP program left on xws0" \
		sh -c "! ip -n '$XW_NS_S' -d link show xws0 | grep -q 'prog/xdp'" || return 1
	expect "pins removed" [ ! -e "$PINS" ]
}

# check_ping FILE MODE: xwping's JSON as with the userspace reflector.
check_ping() {
	python3 - "$1" "$2" "$COUNT" <<'PY'
import json, sys
f, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = json.load(open(f))
s = s["sessions"][0] if "sessions" in s else s
pk, rtt, refl = s["packets"], s["rtt_ms"], s["reflector_ms"]
errs = []
names = {"open": "unauthenticated", "auth": "authenticated", "mixed": "mixed"}
if s["session"]["mode"] != names[mode]: errs.append("mode %r" % s["session"]["mode"])
if not (pk["sent"] == pk["received"] == count): errs.append("sent/received %r" % pk)
if pk["lost"] or pk["duplicates"]: errs.append("lost/dup %r" % pk)
if not (rtt["n"] == count and 0 < rtt["min"] <= rtt["median"] <= rtt["max"] < 1000):
    errs.append("rtt %r" % rtt)
if not (refl["n"] == count and 0 <= refl["min"] <= refl["max"] < 1000):
    errs.append("reflector time %r" % refl)
if not (0 <= s["fwd_ms"]["min"] and 0 <= s["bwd_ms"]["min"]):
    errs.append("one-way %r %r" % (s["fwd_ms"], s["bwd_ms"]))
if errs:
    print("# xwping: " + "; ".join(errs)); sys.exit(1)
PY
}

# session_line PORT: "socket XDP next_seq passed dropped" from xwampd's final line.
session_line() {
	python3 - "$XW_TMP/xwampd.log" "$1" <<'PY'
import re, sys
port = sys.argv[2]
pat = re.compile(r"session \S+ \S+:%s<-\S+: (stopped|shutdown|REFWAIT expired|control connection closed): "
                 r"received (\d+), reflected (\d+), dropped (\d+).*?; XDP: reflected (\d+) "
                 r"\(next_seq (\d+)\), passed (\d+), dropped (\d+)" % port)
m = [pat.search(l) for l in open(sys.argv[1])]
m = [x for x in m if x]
if not m:
    print("none"); sys.exit(0)
g = m[-1].groups()
print(g[2], g[4], g[5], g[6], g[7])
PY
}

# xdp_session MODE ADDR: one session through XDP; asserts on everything above.
#
# The entry is read while the session runs, deterministically: once xwampd
# logged "started" (the entry is armed before that line), xwampd is stopped
# (SIGSTOP) until the entry has been read.  XDP goes on reflecting in the
# kernel, so xwping's session is undisturbed, but a stopped xwampd cannot act
# on Stop-Sessions and disarm the entry (which it then zeroes), however late
# the read comes on a loaded machine.  The 1 s start delay (-z) only widens
# the margin between "started" and the end of the packets for the SIGSTOP.
xdp_session() {
	local mode=$1 addr=$2 kf out port entry line slot0 want
	kf=$3
	out=$XW_TMP/ping-$mode.json
	slot0=$(stat_slot $S_REFLECTED)
	# shellcheck disable=SC2086
	in_c "$XWPING" -A "$mode" -u alice -k "$kf" -c $COUNT -i 0.02 -z 1 ${PING_ARGS:-} --json "$addr" \
		>"$out" 2>"$XW_TMP/ping.err" &
	local ping=$! i
	xw_wait_log "started, path: XDP" ||
		{ wait $ping; xw_log "no started line"; return 1; }
	kill -STOP "$XW_SRV_PID"
	port=$(srv_port)
	# the entry while the session runs: ARMED, the client's tuple, next_seq counting
	for i in $(seq 100); do
		entry=$(sess_entry "$port")
		python3 -c 'import json,sys; e=json.loads(sys.argv[1]); sys.exit(0 if e["state"]==2 and e["next_seq"]>=5 else 1)' "$entry" && break
		sleep 0.05
	done
	kill -CONT "$XW_SRV_PID"
	xw_log "entry of port $port during the session: $entry"
	expect "session entry ARMED, unauthenticated, counting" python3 -c '
import json, sys
e = json.loads(sys.argv[1]); v6 = sys.argv[2].startswith("[")
ok = e["state"] == 2 and e["mode"] == 0 and 5 <= e["next_seq"] <= int(sys.argv[3])
ok = ok and e["family"] == (6 if v6 else 4) and e["passed"] == 0 and e["drops"] == [0, 0, 0, 0]
sys.exit(0 if ok else 1)' "$entry" "$addr" $COUNT || { wait $ping; return 1; }
	if ! wait $ping; then
		xw_log "xwping failed:"
		sed 's/^/#   /' "$XW_TMP/ping.err" "$out"
		return 1
	fi
	check_ping "$out" "$mode" || return 1
	want=$((slot0 + COUNT))
	expect "stats REFLECTED grew by $COUNT ($slot0 -> $(stat_slot $S_REFLECTED))" \
		[ "$(stat_slot $S_REFLECTED)" = $want ] || return 1
	LAST_PORT=$port
}

# After the server stopped: the session's final line in the log.
check_line() {
	local port=$1 want=$2 line
	line=$(session_line "$port")
	xw_log "session on port $port: socket/XDP/next_seq/passed/dropped = $line"
	expect "socket 0, XDP $COUNT, next_seq $COUNT, passed 0, dropped 0" [ "$line" = "$want" ]
}

run_native() {
	local mode=$1 addr=$2 kf
	xdp_env || return 1
	client_veth_for_native || return 1
	kf=$(xw_keyfile)
	xw_start_server --listen "$addr" --keyfile "$kf" --modes open,auth,enc,mixed \
		--xdp xws0 --xdp-mode native --bpf-dir "$PINS" || return 1
	expect "attached in native mode" grep -q 'xws0: xdp_xwamp attached (native mode' \
		"$XW_TMP/xwampd.log" || return 1
	expect "pins present" [ -e "$PINS/sessions" -a -e "$PINS/stats" -a -e "$PINS/clock" \
		-a -e "$PINS/xdp_xwamp" ] || return 1
	xdp_session "$mode" "$addr" "$kf" || return 1
	expect "Accept log line names the XDP path" \
		grep -q "accepted .*path: XDP on xws0 native" "$XW_TMP/xwampd.log" || return 1
	kill -USR1 "$XW_SRV_PID"
	sleep 0.3
	expect "SIGUSR1: global XDP counters" grep -q \
		"xdp: reflector attached on xws0 native, pins $PINS: frames: reflected=$COUNT " \
		"$XW_TMP/xwampd.log" || return 1
	stop_server || return 1
	check_line "$LAST_PORT" "0 $COUNT $COUNT 0 0"
}

native_ipv4_open() { run_native open $XW_S4; }
native_ipv6_open() { run_native open "[$XW_S6]"; }
native_ipv4_mixed() { run_native mixed $XW_S4; }
native_ipv6_mixed() { run_native mixed "[$XW_S6]"; }

# Unpadded 14-octet sender packets (xwping -s 0) get the 41-octet reflector
# packet (RFC 5357 4.2.1): the frame grows in XDP (bpf_xdp_adjust_tail).  On
# a veth whose peer runs an XDP program the frames arrive page-backed with
# room: every one reflected by XDP, none passed for lack of room.
native_small_probes() {
	local n0 kf
	xdp_env || return 1
	client_veth_for_native || return 1
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --keyfile "$kf" --modes open,auth --xdp xws0 \
		--xdp-mode native --bpf-dir "$PINS" || return 1
	n0=$(stat_slot $S_PASS_NOROOM)
	PING_ARGS="-s 0" xdp_session open $XW_S4 "$kf" || return 1
	expect "14-octet sender packets logged" grep -q "accepted (open, 14-octet" \
		"$XW_TMP/xwampd.log" || return 1
	expect "stats PASS_NOROOM did not grow ($n0 -> $(stat_slot $S_PASS_NOROOM))" \
		[ "$(stat_slot $S_PASS_NOROOM)" = "$n0" ] || return 1
	stop_server || return 1
	check_line "$LAST_PORT" "0 $COUNT $COUNT 0 0"
}

# Generic (SKB) mode: the peer needs no XDP program; complete UDP checksums
# (TX offload off), as a real NIC delivers them (generic_partial_checksum:
# what happens otherwise).
generic_ipv4_open() {
	local kf
	xdp_env || return 1
	in_c ethtool -K xwc0 tx off >/dev/null
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --xdp xws0 --xdp-mode generic --bpf-dir "$PINS" ||
		return 1
	expect "attached in generic mode" grep -q 'xws0: xdp_xwamp attached (generic mode' \
		"$XW_TMP/xwampd.log" || return 1
	xdp_session open $XW_S4 "$kf" || return 1
	stop_server || return 1
	check_line "$LAST_PORT" "0 $COUNT $COUNT 0 0"
}

# The sender's TX checksum offload on: veth hands over CHECKSUM_PARTIAL
# packets whose UDP checksum field holds only the pseudo-header sum.  The
# program trusts only a complete checksum, so it passes them
# (pass-bad-udp-checksum) and the kernel, which knows they are partial,
# hands them to the session's socket: every packet answered, by the socket.
generic_partial_checksum() {
	local kf out u0 r0
	xdp_env || return 1
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --xdp xws0 --xdp-mode generic --bpf-dir "$PINS" ||
		return 1
	u0=$(stat_slot $S_PASS_UDPCSUM)
	r0=$(stat_slot $S_REFLECTED)
	out=$XW_TMP/ping-partial.json
	in_c "$XWPING" -A open -c $COUNT -i 0.02 --json $XW_S4 >"$out" 2>"$XW_TMP/ping.err" ||
		{ sed 's/^/#   /' "$XW_TMP/ping.err"; return 1; }
	check_ping "$out" open || return 1
	expect "stats PASS_UDPCSUM grew by $COUNT" \
		[ "$(stat_slot $S_PASS_UDPCSUM)" = $((u0 + COUNT)) ] || return 1
	expect "stats REFLECTED did not grow" [ "$(stat_slot $S_REFLECTED)" = "$r0" ] || return 1
	stop_server || return 1
	check_line "$(srv_port)" "$COUNT 0 $COUNT 0 0"
}

# An authenticated session on the XDP interface without AF_XDP sockets
# (--no-afxdp; with them: test_e2e_afxdp.sh): the socket answers, XDP passes.
auth_passes() {
	local kf out line port mode0
	xdp_env || return 1
	client_veth_for_native || return 1
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --keyfile "$kf" --modes open,auth,enc,mixed \
		--xdp xws0 --bpf-dir "$PINS" --no-afxdp || return 1
	out=$XW_TMP/ping-auth.json
	mode0=$(stat_slot $S_PASS_MODE)
	in_c "$XWPING" -A auth -u alice -k "$kf" -c $COUNT -i 0.005 --json $XW_S4 \
		>"$out" 2>"$XW_TMP/ping.err" || { sed 's/^/#   /' "$XW_TMP/ping.err"; return 1; }
	check_ping "$out" auth || return 1
	port=$(srv_port)
	expect "Accept log line: socket path" \
		grep -q "accepted (auth.*path: socket (authenticated" "$XW_TMP/xwampd.log" || return 1
	expect "stats PASS_MODE grew by $COUNT" \
		[ "$(stat_slot $S_PASS_MODE)" = $((mode0 + COUNT)) ] || return 1
	expect "stats REFLECTED 0" [ "$(stat_slot $S_REFLECTED)" = 0 ] || return 1
	stop_server || return 1
	line=$(session_line "$port")
	xw_log "socket/XDP/next_seq/passed/dropped = $line"
	expect "socket reflected $COUNT, XDP 0, passed $COUNT" [ "$line" = "$COUNT 0 0 $COUNT 0" ]
}

# Two sessions asking for the same reflector port on two addresses: the
# session table is indexed by port, so the second gets another port, and
# both are reflected by XDP.
port_unique() {
	local kf p4 p6
	xdp_env || return 1
	client_veth_for_native || return 1
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --listen "[$XW_S6]" --xdp xws0 --bpf-dir "$PINS" ||
		return 1
	in_c "$XWPING" -A open -c $COUNT -i 0.02 -P 40000-40000 --json $XW_S4 \
		>"$XW_TMP/p4.json" 2>&1 &
	p4=$!
	# the second asks while the first holds port 40000: the first is
	# stopped (SIGSTOP) once started, so it cannot end in between however
	# slowly the second gets going (a fixed sleep raced with that)
	xw_wait_log "started, path: XDP" || { wait $p4; return 1; }
	kill -STOP $p4
	in_c "$XWPING" -A open -c $COUNT -i 0.02 -P 40000-40000 --json "[$XW_S6]" \
		>"$XW_TMP/p6.json" 2>&1 || { kill -CONT $p4; wait $p4; return 1; }
	kill -CONT $p4
	wait $p4 || return 1
	check_ping "$XW_TMP/p4.json" open && check_ping "$XW_TMP/p6.json" open || return 1
	local ports
	ports=$(sed -n 's/.*session [0-9a-f]* [^ ]*:\([0-9]*\)<-.* accepted .*/\1/p' \
		"$XW_TMP/xwampd.log" | sort -u | tr '\n' ' ')
	xw_log "reflector ports: $ports"
	expect "two sessions, two ports, one of them 40000" \
		sh -c "[ \$(echo $ports | wc -w) = 2 ] && echo '$ports' | grep -qw 40000" || return 1
	expect "stats REFLECTED = both sessions" [ "$(stat_slot $S_REFLECTED)" = $((2 * COUNT)) ] ||
		return 1
	stop_server || return 1
	local p
	for p in $ports; do
		check_line "$p" "0 $COUNT $COUNT 0 0" || return 1
	done
}

# Link-local IPv6 (RFC 4291 2.5.6): the request's addresses carry no scope;
# they are the control connection's link.  Without it the reflector could
# not be opened (Accept 2, "Invalid argument").  The socket path, then XDP
# (the own-address check knows the server's fe80 address: REFLECTED grows).
link_local_v6() {
	xdp_env || return 1
	client_veth_for_native || return 1
	ip -n "$XW_NS_C" addr add fe80::c1/64 dev xwc0 nodad
	ip -n "$XW_NS_S" addr add fe80::51/64 dev xws0 nodad
	xw_start_server --listen "[fe80::51%xws0]" --modes open || return 1
	in_c "$XWPING" -A open -c $COUNT -i 0.01 --json "[fe80::51%xwc0]" \
		>"$XW_TMP/sock.json" 2>&1 || { sed 's/^/#   /' "$XW_TMP/sock.json"; return 1; }
	check_ping "$XW_TMP/sock.json" open || return 1
	expect "socket path: the session's reflector was opened" \
		sh -c "! grep -q 'cannot open a reflector' '$XW_TMP/xwampd.log'" || return 1
	kill "$XW_SRV_PID" && wait "$XW_SRV_PID"
	xw_start_server --listen "[fe80::51%xws0]" --modes open --xdp xws0 --bpf-dir "$PINS" ||
		return 1
	in_c "$XWPING" -A open -c $COUNT -i 0.01 --json "[fe80::51%xwc0]" \
		>"$XW_TMP/xdp.json" 2>&1 || { sed 's/^/#   /' "$XW_TMP/xdp.json"; return 1; }
	check_ping "$XW_TMP/xdp.json" open || return 1
	expect "XDP: stats REFLECTED = $COUNT" [ "$(stat_slot $S_REFLECTED)" = $COUNT ] || return 1
	stop_server
}

# kill -9 with XDP attached: the program stays on xws0 and the pins stay;
# the next xwampd removes both and works.
crash_recovery() {
	local kf old new
	xdp_env || return 1
	client_veth_for_native || return 1
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --xdp xws0 --bpf-dir "$PINS" || return 1
	old=$(ip -n "$XW_NS_S" -d link show xws0 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
	kill -9 "$XW_SRV_PID"
	wait "$XW_SRV_PID" 2>/dev/null
	expect "the killed xwampd's program ($old) is still attached" [ -n "$old" ] || return 1
	expect "its pins are still there" [ -e "$PINS/sessions" ] || return 1
	mv "$XW_TMP/xwampd.log" "$XW_TMP/xwampd-1.log"
	xw_start_server --listen $XW_S4 --xdp xws0 --bpf-dir "$PINS" || return 1
	new=$(ip -n "$XW_NS_S" -d link show xws0 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
	xw_log "program id before the crash $old, after the restart $new"
	expect "stale program removed (log)" \
		grep -q "removed a stale xdp_xwamp (id $old" "$XW_TMP/xwampd.log" || return 1
	expect "stale pins removed (log)" grep -q "removed 7 stale pins" "$XW_TMP/xwampd.log" ||
		return 1
	expect "a new program is attached" [ -n "$new" ] || return 1
	expect "and it is not the old one" [ "$new" != "$old" ] || return 1
	xdp_session open $XW_S4 "$kf" || return 1
	stop_server || return 1
	check_line "$LAST_PORT" "0 $COUNT $COUNT 0 0"
}

# Nowhere to attach: logged, and the socket answers (no XDP part in the line).
no_interface() {
	xdp_env || return 1
	xw_start_server --listen $XW_S4 --xdp xwnosuch0 --bpf-dir "$PINS" || return 1
	expect "missing interface logged" \
		grep -q "xdp: xwnosuch0: No such device: attaching when it appears" \
		"$XW_TMP/xwampd.log" || return 1
	in_c "$XWPING" -A open -c $COUNT -i 0.005 --json $XW_S4 >"$XW_TMP/p.json" 2>&1 || return 1
	check_ping "$XW_TMP/p.json" open || return 1
	expect "Accept log line: socket path" grep -q "accepted (open.*path: socket (XDP attached nowhere yet)$" \
		"$XW_TMP/xwampd.log" || return 1
	kill "$XW_SRV_PID" && wait "$XW_SRV_PID" || return 1
	expect "socket reflected $COUNT, XDP none" \
		grep -qE "(shutdown|stopped): received $COUNT, reflected $COUNT, dropped 0; XDP: reflected 0 " \
			"$XW_TMP/xwampd.log"
}

# The interface deleted and made again while xwampd runs (charon re-creates
# its ipsec0 so): xwampd sees the link events, attaches to the new device by
# itself, and XDP reflects the next session there.
recreated() {
	local kf ifx0 ifx1
	xdp_env || return 1
	client_veth_for_native || return 1
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --keyfile "$kf" --modes open --xdp xws0 \
		--xdp-mode native --bpf-dir "$PINS" || return 1
	ifx0=$(ip -n "$XW_NS_S" -o link show xws0 | cut -d: -f1)
	ip -n "$XW_NS_S" link del xws0 || return 1
	for i in $(seq 50); do
		grep -q "xdp: xws0: deleted (ifindex $ifx0)" "$XW_TMP/xwampd.log" && break
		sleep 0.05
	done
	expect "deletion logged" grep -q "xdp: xws0: deleted (ifindex $ifx0): attaching again" \
		"$XW_TMP/xwampd.log" || return 1
	xw_veth_up || return 1
	client_veth_for_native || return 1
	ifx1=$(ip -n "$XW_NS_S" -o link show xws0 | cut -d: -f1)
	for i in $(seq 50); do
		[ "$(grep -c "xdp: xws0: xdp_xwamp attached (native" "$XW_TMP/xwampd.log")" = 2 ] && break
		sleep 0.05
	done
	expect "new device ($ifx0 -> $ifx1) seen and attached natively" \
		grep -q "xdp: xws0: appeared (ifindex $ifx1)" "$XW_TMP/xwampd.log" || return 1
	expect "attached a second time" \
		[ "$(grep -c "xdp: xws0: xdp_xwamp attached (native" "$XW_TMP/xwampd.log")" = 2 ] ||
		return 1
	expect "the kernel shows it on the new xws0" \
		sh -c "ip -n '$XW_NS_S' -d link show xws0 | grep -q 'prog/xdp'" || return 1
	xdp_session open $XW_S4 "$kf" || return 1
	stop_server || return 1
	check_line "$LAST_PORT" "0 $COUNT $COUNT 0 0"
}

# map_info NAME FIELD: a field of bpftool's description of one of xwampd's
# maps, found through the loaded program's map ids (ow_events is not pinned;
# by name bpftool could find another test's).
map_info() {
	local id
	for id in $(bpftool -j prog show pinned "$PINS/xdp_xwamp" |
		python3 -c 'import json,sys; print(*json.load(sys.stdin)["map_ids"])'); do
		bpftool -j map show id "$id" | python3 -c '
import json, sys
m = json.load(sys.stdin)
if m["name"] == sys.argv[1]: print(m[sys.argv[2]])' "$1" "$2"
	done
}

# The maps are sized from the limits before load: the session table covers
# --port-range (20000-20002) and the TWAMP Light port (19990), one entry per
# port a session can have; the OWAMP ring buffer follows --max-sessions-total
# (1000 x 4 records x 40 octets -> 256 KiB); own_addrs is not preallocated.
# A fourth session finds no port of the table left: Accept 5 (RFC 4656 3.3,
# temporary), no entry written for it, and the three others are answered by
# XDP undisturbed.
maps_sized() {
	local out n0 used
	xdp_env || return 1
	client_veth_for_native || return 1
	xw_start_server --listen $XW_S4 --xdp xws0 --xdp-mode native --bpf-dir "$PINS" \
		--port-range 20000-20002 --max-sessions-total 1000 --light "port=19990 sender=*" ||
		return 1
	expect "sizes logged" grep -q "xdp: maps sized from the limits: sessions 13 entries (ports 19990-20002), ow_events 256 KiB" \
		"$XW_TMP/xwampd.log" || return 1
	expect "sessions: 13 entries (bpftool)" \
		[ "$(bpftool -j map show pinned "$PINS/sessions" | python3 -c 'import json,sys; print(json.load(sys.stdin)["max_entries"])')" = 13 ] ||
		return 1
	expect "ow_events: 256 KiB (bpftool)" [ "$(map_info ow_events max_entries)" = 262144 ] ||
		return 1
	expect "own_addrs: BPF_F_NO_PREALLOC (bpftool)" \
		[ $(($(bpftool -j map show pinned "$PINS/own_addrs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["flags"])') & 1)) = 1 ] ||
		return 1
	n0=$(stat_slot $S_REFLECTED)
	out=$XW_TMP/req.out
	in_c python3 "$(dirname "$0")/twreq.py" $XW_S4 --src $XW_C4 --count 4 --start --packets 5 \
		--hold 3 >"$out" &
	local req=$!
	xw_wait_log ":20002<-[^ ]* started" || { wait $req; return 1; }
	# while they run: the entries ARMED are the Light port's (key 0: 19990 - 19990)
	# and the sessions' on 20000-20002 (keys 10-12), nothing else
	used=$(bpftool -j map dump pinned "$PINS/sessions" |
		python3 -c 'import json,sys; print(*[e["formatted"]["key"] for e in json.load(sys.stdin) if e["formatted"]["value"]["state"] == 2])')
	wait $req
	sed 's/^/#   /' "$out"
	expect "entries armed while they ran: keys $used, want 0 10 11 12" [ "$used" = "0 10 11 12" ] ||
		return 1
	expect "three sessions accepted on the range, each answered 5 times (41 octets)" \
		[ "$(grep -cE '^session [123]: accept 0 port 2000[012] replies 5 sizes 41$' "$out")" = 3 ] ||
		return 1
	expect "the fourth refused with Accept 5" grep -q '^session 4: accept 5 ' "$out" ||
		return 1
	expect "refusal logged" grep -q "cannot open a reflector .*: Accept 5" "$XW_TMP/xwampd.log" ||
		return 1
	expect "no session left without its entry" \
		sh -c "! grep -q 'no XDP session entry' '$XW_TMP/xwampd.log'" || return 1
	expect "XDP answered the 15 packets ($n0 -> $(stat_slot $S_REFLECTED))" \
		[ "$(stat_slot $S_REFLECTED)" = $((n0 + 15)) ] || return 1
	stop_server
}

TESTS=(maps_sized link_local_v6 no_interface recreated native_small_probes native_ipv4_open native_ipv6_open native_ipv4_mixed native_ipv6_mixed generic_ipv4_open generic_partial_checksum
	auth_passes port_unique crash_recovery)
xw_run "$@"
