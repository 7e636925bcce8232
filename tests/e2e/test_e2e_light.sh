#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# TWAMP Light (RFC 5357 Appendix I): xwampd with static reflector sessions
# (--light, no TWAMP-Control involved) and xwping --light against them.
#
#   socket_path  port range 8620-8629, any sender: xwping --light to two
#                ports of the range, IPv4 and IPv6 (one wildcard session, both
#                families): every packet back, sane RTTs; a session that
#                only accepts 192.0.2.11 answers nothing from 192.0.2.1 and
#                counts wrong-source; RFC 6038 symmetric + reflect octets;
#                xwampd's final per-session lines count exactly what was sent.
#   xdp_path     the same range with XDP on xws0: every packet answered by
#                XDP (the global REFLECTED slot grows by the packets sent, the
#                port's table entry is ARMED with the wildcard flags and
#                family 0, the socket reflected 0), a restricted sender's
#                packets passed (pass-other-tuple) and dropped by the socket.
. "$(dirname "$0")/lib.sh"

COUNT=40
F_ANY=$((0x10 | 0x20 | 0x40)) # XW_SESS_F_ANY_SADDR | _ANY_SPORT | _ANY_DADDR

# ping_ok FILE N: xwping's JSON says N sent, N received, none lost, RTTs sane.
ping_ok() {
	python3 - "$1" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); n = int(sys.argv[2])
s = s["sessions"][0] if "sessions" in s else s
pk, rtt = s["packets"], s["rtt_ms"]
errs = []
if s["session"]["mode"] != "unauthenticated": errs.append("mode %r" % s["session"]["mode"])
if not (pk["sent"] == pk["received"] == n) or pk["lost"] or pk["duplicates"]:
    errs.append("packets %r" % pk)
if not (rtt["n"] == n and 0 < rtt["min"] <= rtt["max"] < 1000): errs.append("rtt %r" % rtt)
if errs:
    print("# xwping %s: " % sys.argv[1].split("/")[-1] + "; ".join(errs)); sys.exit(1)
PY
}

# ping_lost FILE N: N sent, none received.
ping_lost() {
	python3 - "$1" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); n = int(sys.argv[2])
s = s["sessions"][0] if "sessions" in s else s
pk = s["packets"]
if not (pk["sent"] == n and pk["received"] == 0):
    print("# xwping: %r" % pk); sys.exit(1)
PY
}

# light_line PORTSPEC: "received reflected dropped [xdp]" of xwampd's final line for the session.
light_line() {
	python3 - "$XW_TMP/xwampd.log" "$1" <<'PY'
import re, sys
pat = re.compile(r"light port=%s .*: closed: socket received (\d+), reflected (\d+), dropped (\d+)"
                 r"(?::[^;]*)?(?:; XDP: reflected (\d+))?" % re.escape(sys.argv[2]))
m = [pat.search(l) for l in open(sys.argv[1])]
m = [x for x in m if x]
print(" ".join(g for g in m[-1].groups() if g is not None) if m else "none")
PY
}

stop_server() {
	kill "$XW_SRV_PID" && wait "$XW_SRV_PID"
	expect "xwampd exited 0 on SIGTERM" [ $? = 0 ]
}

lping() { # OUT ARGS...: xwping --light from the client namespace
	local out=$1
	shift
	# no control connection resolves IPv6 neighbours first (the first
	# replies would wait ~1 s for neighbour discovery): a ping does
	in_c ping -6 -c1 -W1 -q $XW_S6 >/dev/null 2>&1
	in_c "$XWPING" --light -c $COUNT -i 0.01 --wait 1 --json "$@" >"$out" 2>>"$XW_TMP/ping.err"
}

socket_path() {
	xw_start_server --light 'port=8620-8629 sender=*' \
		--light 'port=8700 sender=192.0.2.1' --light 'port=8701 sender=192.0.2.11' \
		--light 'port=8702 symmetric reflect=4 dscp=46' || return 1
	grep -q "light port=8620-8629 .*reflecting .*path: socket" "$XW_TMP/xwampd.log" ||
		{ xw_log "no start line"; return 1; }
	lping "$XW_TMP/p1.json" $XW_S4:8625 && ping_ok "$XW_TMP/p1.json" $COUNT || return 1
	lping "$XW_TMP/p2.json" "[$XW_S6]:8621" && ping_ok "$XW_TMP/p2.json" $COUNT || return 1
	lping "$XW_TMP/p3.json" $XW_S4:8700 && ping_ok "$XW_TMP/p3.json" $COUNT || return 1
	lping "$XW_TMP/p4.json" $XW_S4:8701
	ping_lost "$XW_TMP/p4.json" $COUNT || return 1
	lping "$XW_TMP/p5.json" --symmetric --reflect-octets 4 $XW_S4:8702 &&
		ping_ok "$XW_TMP/p5.json" $COUNT || return 1
	expect "RFC 6038 octets reflected" python3 -c '
import json, sys
s = json.load(open(sys.argv[1])); s = s["sessions"][0] if "sessions" in s else s
sys.exit(0 if "reflect_mismatch" not in json.dumps(s) or s.get("reflect_mismatch", 0) == 0 else 1)' \
		"$XW_TMP/p5.json" || return 1
	stop_server || return 1
	local l
	l=$(light_line 8620-8629)
	xw_log "8620-8629 received/reflected/dropped: $l"
	expect "range: $((2 * COUNT)) received and reflected" [ "$l" = "$((2 * COUNT)) $((2 * COUNT)) 0" ] || return 1
	l=$(light_line 8701)
	expect "restricted sender: all dropped ($l)" [ "$l" = "$COUNT 0 $COUNT" ] || return 1
	grep -q "light port=8701 .*dropped $COUNT: wrong-source=$COUNT" "$XW_TMP/xwampd.log" || return 1
	l=$(light_line 8702)
	expect "symmetric: $COUNT reflected ($l)" [ "$l" = "$COUNT $COUNT 0" ]
}

xdp_path() {
	local BPFFS=$XW_TMP/bpf PINS s0 s1 entry l
	PINS=$BPFFS/xwamp
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || return 1
	trap 'umount -l "$BPFFS" 2>/dev/null' EXIT
	# veth: XDP_PASS on the client end for XDP_TX'ed frames, full UDP checksums (README: XDP)
	ip -n "$XW_NS_C" link set dev xwc0 xdpdrv obj "$XW_BUILD/bpf/xdp_pass.bpf.o" sec xdp || return 1
	in_c ethtool -K xwc0 tx off >/dev/null
	xw_start_server --xdp xws0 --bpf-dir "$PINS" --light 'port=8620-8629' \
		--light 'port=8701 sender=192.0.2.11' || return 1
	grep -q "light port=8620-8629 .*reflecting .*path: XDP on xws0" "$XW_TMP/xwampd.log" ||
		{ xw_log "not on XDP"; return 1; }
	entry=$(bpftool -j map lookup pinned "$PINS/sessions" key $((8627 & 255)) $((8627 >> 8)) 0 0 |
		python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["formatted"]["value"]))')
	xw_log "entry of port 8627: $entry"
	expect "entry ARMED, wildcards, family 0" python3 -c '
import json, sys
e = json.loads(sys.argv[1])
sys.exit(0 if e["state"] == 2 and e["flags"] == int(sys.argv[2]) and e["family"] == 0 else 1)' \
		"$entry" $F_ANY || return 1
	s0=$(bpftool -j map lookup pinned "$PINS/stats" key 0 0 0 0 |
		python3 -c 'import json,sys; print(sum(v["value"] for v in json.load(sys.stdin)["formatted"]["values"]))')
	lping "$XW_TMP/p1.json" $XW_S4:8627 && ping_ok "$XW_TMP/p1.json" $COUNT || return 1
	lping "$XW_TMP/p2.json" "[$XW_S6]:8620" && ping_ok "$XW_TMP/p2.json" $COUNT || return 1
	lping "$XW_TMP/p3.json" $XW_S4:8701
	ping_lost "$XW_TMP/p3.json" $COUNT || return 1
	s1=$(bpftool -j map lookup pinned "$PINS/stats" key 0 0 0 0 |
		python3 -c 'import json,sys; print(sum(v["value"] for v in json.load(sys.stdin)["formatted"]["values"]))')
	expect "stats REFLECTED grew by $((2 * COUNT)) ($s0 -> $s1)" [ $((s1 - s0)) = $((2 * COUNT)) ] ||
		return 1
	stop_server || return 1
	l=$(light_line 8620-8629)
	xw_log "8620-8629 socket received/reflected/dropped, XDP reflected: $l"
	expect "socket 0, XDP $((2 * COUNT))" [ "$l" = "0 0 0 $((2 * COUNT))" ] || return 1
	l=$(light_line 8701)
	expect "restricted sender: passed by XDP, dropped by the socket ($l)" [ "$l" = "$COUNT 0 $COUNT 0" ] ||
		return 1
	umount -l "$BPFFS"
}

TESTS=(socket_path xdp_path)
xw_run "$@"
