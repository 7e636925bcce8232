#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xwampd's XDP reflector on two interfaces at once, with its counters per
# interface (README "XDP reflector", Counters): the program counts every
# frame in the global "stats" map and in its ingress interface's row of
# "if_stats" (slot ifindex % 256, XW_STAT_MAX counters a row).
#
#   client ns  xwc0 192.0.2.1      <->  server ns  xws0 192.0.2.2      (lib.sh)
#              xwc1 198.51.100.1   <->             xws1 198.51.100.2
#
# two_interfaces: sessions on both at once with different packet counts;
# each interface's row (bpftool, summed over CPUs), the SIGUSR1 line of each
# interface and the metrics endpoint's xwampd_xdp_interface_frames_total
# say exactly that interface's packets reflected, and the totals ("stats",
# xwampd_xdp_frames_total) are the sums of the rows, every reason alike.
# pass_counted_there: UDP datagrams to a port without a session on xws1 only
# grow xws1's pass-no-session, never xws0's.  row_reused: a row is zeroed
# when a device takes it with a new ifindex.
. "$(dirname "$0")/lib.sh"

S_REFLECTED=0
S_PASS_NO_SESS=6
NSLOTS=256 # XW_IF_SLOTS; NSTAT (XW_STAT_MAX) from the map's size: nstat()

# second_veth [IFINDEX]: xwc1 - xws1 (with that ifindex in the server ns), up.
second_veth() {
	# made in the server ns, where the index applies, then the client end moved
	ip -n "$XW_NS_S" link add xws1 ${1:+index $1} type veth peer name xwc1 &&
		ip -n "$XW_NS_S" link set xwc1 netns "$XW_NS_C" || return 1
	ip -n "$XW_NS_C" addr add 198.51.100.1/24 dev xwc1 &&
		ip -n "$XW_NS_S" addr add 198.51.100.2/24 dev xws1 &&
		ip -n "$XW_NS_C" link set xwc1 up && ip -n "$XW_NS_S" link set xws1 up
}

# send_nosess N: N UDP datagrams from the client to xws1's address, a port without a session.
send_nosess() {
	in_c python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"x" * 41, ("198.51.100.2", 33999))
PY
	sleep 0.3
}

# Both client ends: XDP_PASS (XDP_TX'ed frames reach their stack) and complete UDP checksums.
# IFINDEX: xws1's, as second_veth.
two_veths() {
	second_veth "${1:-}" || return 1
	local c
	for c in xwc0 xwc1; do
		ip -n "$XW_NS_C" link set dev $c xdpdrv obj "$XW_BUILD/bpf/xdp_pass.bpf.o" sec xdp ||
			return 1
		in_c ethtool -K $c tx off >/dev/null
	done
}

ifindex_of() {
	ip -n "$XW_NS_S" -j link show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])'
}

# map_sum MAP KEY: the per-CPU values of a pinned map's __u32 key, summed.
map_sum() {
	local k=$2
	bpftool -j map lookup pinned "$PINS/$1" key $((k & 255)) $((k >> 8 & 255)) 0 0 |
		python3 -c 'import json,sys; print(sum(v["value"] for v in json.load(sys.stdin)["formatted"]["values"]))'
}

nstat() {
	NSTAT=$(bpftool -j map show pinned "$PINS/if_stats" |
		python3 -c "import json,sys; print(json.load(sys.stdin)['max_entries'] // $NSLOTS)")
}

# if_slot IFINDEX REASON: that interface's counter of that reason.
if_slot() {
	map_sum if_stats $((($1 % NSLOTS) * NSTAT + $2))
}

# rows_sum_to_stats IFX0 IFX1: for every reason, stats = row 0 + row 1 (the
# program is attached to those two only).  Read twice the same: no frame
# arrived in between (neighbour discovery may).
rows_sum_to_stats() {
	local try r a b t bad
	for try in 1 2 3 4 5; do
		bad=
		for r in $(seq 0 $((NSTAT - 1))); do
			a=$(if_slot "$1" $r) b=$(if_slot "$2" $r) t=$(map_sum stats $r)
			[ $((a + b)) = "$t" ] || bad="$bad reason $r: $a + $b != $t;"
		done
		[ -z "$bad" ] && return 0
		sleep 0.3
	done
	xw_log "rows do not sum to stats:$bad"
	return 1
}

two_interfaces() {
	local n0=70 n1=45 ifx0 ifx1 p0 p1 m
	xw_bpffs || return 1
	two_veths || return 1
	xw_start_server --modes open --xdp xws0 --xdp xws1 --xdp-mode native --bpf-dir "$PINS" \
		--metrics $XW_S4:9862 || return 1
	xw_wait_log "xdp: xws1: xdp_xwamp attached" || return 1
	ifx0=$(ifindex_of xws0) ifx1=$(ifindex_of xws1)
	nstat
	xw_log "xws0 ifindex $ifx0 (row $((ifx0 % NSLOTS))), xws1 ifindex $ifx1 (row $((ifx1 % NSLOTS)))"
	expect "the two interfaces have rows of their own" [ $((ifx0 % NSLOTS)) != $((ifx1 % NSLOTS)) ] ||
		return 1
	in_c "$XWPING" -A open -c $n0 -i 0.01 --json $XW_S4 >"$XW_TMP/p0.json" 2>&1 &
	p0=$!
	in_c "$XWPING" -A open -c $n1 -i 0.015 --json 198.51.100.2 >"$XW_TMP/p1.json" 2>&1 &
	p1=$!
	wait $p0 && wait $p1 || { sed 's/^/#   /' "$XW_TMP/p0.json" "$XW_TMP/p1.json"; return 1; }
	expect "both sessions ran at once through XDP" \
		[ "$(grep -c 'started, path: XDP on' "$XW_TMP/xwampd.log")" = 2 ] || return 1
	expect "every packet back" python3 -c '
import json, sys
for f, n in ((sys.argv[1], int(sys.argv[2])), (sys.argv[3], int(sys.argv[4]))):
    p = json.load(open(f))["sessions"][0]["packets"]
    assert p["sent"] == p["received"] == n, (f, p)' \
		"$XW_TMP/p0.json" $n0 "$XW_TMP/p1.json" $n1 || return 1
	# BPF: each row has its interface's packets reflected, the total the sum
	local r0 r1 t
	r0=$(if_slot "$ifx0" $S_REFLECTED) r1=$(if_slot "$ifx1" $S_REFLECTED) t=$(map_sum stats $S_REFLECTED)
	xw_log "reflected: xws0 $r0, xws1 $r1, stats $t"
	expect "xws0's row: reflected $n0" [ "$r0" = $n0 ] || return 1
	expect "xws1's row: reflected $n1" [ "$r1" = $n1 ] || return 1
	expect "stats REFLECTED = $((n0 + n1))" [ "$t" = $((n0 + n1)) ] || return 1
	rows_sum_to_stats "$ifx0" "$ifx1" || return 1
	# SIGUSR1: a line per interface, name and ifindex
	kill -USR1 "$XW_SRV_PID"
	xw_wait_log "xdp: xws1 (ifindex $ifx1): frames: reflected=$n1\b" || {
		grep 'xdp: ' "$XW_TMP/xwampd.log" | tail -n 4 | sed 's/^/#   /'
		xw_log "no SIGUSR1 line for xws1"
		return 1
	}
	expect "SIGUSR1 line of xws0" grep -q "xdp: xws0 (ifindex $ifx0): frames: reflected=$n0\b" \
		"$XW_TMP/xwampd.log" || return 1
	# metrics: per interface with an interface label, the totals the sums, every reason
	in_c python3 - $n0 $n1 <<'PY' || return 1
import sys, urllib.request
n0, n1 = int(sys.argv[1]), int(sys.argv[2])
t = urllib.request.urlopen("http://192.0.2.2:9862/metrics", timeout=3).read().decode()
tot, per = {}, {}
for l in t.splitlines():
    if l.startswith("xwampd_xdp_frames_total{"):
        k, n = l.rsplit(" ", 1)
        tot[k.split('result="')[1].rstrip('"}')] = int(n)
    elif l.startswith("xwampd_xdp_interface_frames_total{"):
        k, n = l.rsplit(" ", 1)
        i = k.split('interface="')[1].split('"')[0]
        per.setdefault(i, {})[k.split('result="')[1].rstrip('"}')] = int(n)
print("# metrics reflected: total %s, xws0 %s, xws1 %s" % (tot.get("reflected"),
      per.get("xws0", {}).get("reflected"), per.get("xws1", {}).get("reflected")))
errs = []
if sorted(per) != ["xws0", "xws1"]: errs.append("interfaces %r" % sorted(per))
elif per["xws0"]["reflected"] != n0 or per["xws1"]["reflected"] != n1: errs.append("per interface")
elif tot["reflected"] != n0 + n1: errs.append("total")
else:
    for r in tot:
        if tot[r] < per["xws0"][r] + per["xws1"][r]: errs.append("%s: rows above the total" % r)
if errs:
    print("# metrics: " + "; ".join(errs)); sys.exit(1)
PY
}

# Datagrams to a port without a session, through xws1 only: xws1's
# pass-no-session grows by exactly that many, xws0's not at all.
pass_counted_there() {
	local n=9 ifx0 ifx1 a0 b0 a1 b1
	xw_bpffs || return 1
	two_veths || return 1
	xw_start_server --modes open --xdp xws0 --xdp xws1 --xdp-mode native --bpf-dir "$PINS" ||
		return 1
	xw_wait_log "xdp: xws1: xdp_xwamp attached" || return 1
	ifx0=$(ifindex_of xws0) ifx1=$(ifindex_of xws1)
	nstat
	a0=$(if_slot "$ifx0" $S_PASS_NO_SESS) a1=$(if_slot "$ifx1" $S_PASS_NO_SESS)
	send_nosess $n || return 1
	b0=$(if_slot "$ifx0" $S_PASS_NO_SESS) b1=$(if_slot "$ifx1" $S_PASS_NO_SESS)
	xw_log "pass-no-session: xws0 $a0 -> $b0, xws1 $a1 -> $b1"
	expect "xws1's pass-no-session grew by $n" [ $((b1 - a1)) = $n ] || return 1
	expect "xws0's pass-no-session did not grow" [ "$b0" = "$a0" ] || return 1
	rows_sum_to_stats "$ifx0" "$ifx1"
}

# A row that counted a deleted device starts from zero for the next one:
# xws1 with ifindex 10 counts 9 datagrams, is deleted and made again with
# ifindex 266 (the same row, 266 % 256); its row then says the new device's
# 4, the SIGUSR1 line names ifindex 266, and "stats" keeps all 13.
row_reused() {
	local r t
	xw_bpffs || return 1
	two_veths 10 || return 1
	xw_start_server --modes open --xdp xws0 --xdp xws1 --xdp-mode native --bpf-dir "$PINS" ||
		return 1
	xw_wait_log "xdp: xws1: xdp_xwamp attached" || return 1
	nstat
	send_nosess 9 || return 1
	expect "row 10: pass-no-session 9" [ "$(if_slot 10 $S_PASS_NO_SESS)" = 9 ] || return 1
	ip -n "$XW_NS_S" link del xws1 || return 1
	xw_wait_log "xdp: xws1: deleted" || { xw_log "no deletion logged"; return 1; }
	second_veth 266 || return 1
	xw_wait_log "appeared (ifindex 266)" || { xw_log "no appearance logged"; return 1; }
	for r in $(seq 100); do
		[ "$(grep -c 'xdp: xws1: xdp_xwamp attached' "$XW_TMP/xwampd.log")" = 2 ] && break
		sleep 0.05
	done
	send_nosess 4 || return 1
	r=$(if_slot 266 $S_PASS_NO_SESS) t=$(map_sum stats $S_PASS_NO_SESS)
	xw_log "after the re-creation: row 10 pass-no-session $r, stats $t"
	expect "row 10 counts the new device's 4 only" [ "$r" = 4 ] || return 1
	expect "stats pass-no-session 13" [ "$t" = 13 ] || return 1
	kill -USR1 "$XW_SRV_PID"
	xw_wait_log "xdp: xws1 (ifindex 266): frames: .*pass-no-session=4\b" ||
		{ xw_log "no SIGUSR1 line for xws1 with ifindex 266"; return 1; }
}

TESTS=(two_interfaces pass_counted_there row_reused)
xw_run "$@"
