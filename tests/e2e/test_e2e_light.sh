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
#   own_addresses local=* is this host's addresses: the pinned own_addrs map
#                follows an address added and removed at run time (and XDP
#                answers it meanwhile); nothing answers a datagram to the
#                subnet broadcast (XDP pass-not-our-mac, socket
#                not-our-address) or from a multicast source (XDP
#                pass-bad-source, the kernel drops it).
#   jumbo        generic XDP, MTU 9000: a 4136-octet sender packet answered
#                by XDP, a 4137-octet one passed and answered by the socket,
#                the RFC 6038 octets right in both.
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
	s0=$(stat_slot 0)
	lping "$XW_TMP/p1.json" $XW_S4:8627 && ping_ok "$XW_TMP/p1.json" $COUNT || return 1
	lping "$XW_TMP/p2.json" "[$XW_S6]:8620" && ping_ok "$XW_TMP/p2.json" $COUNT || return 1
	lping "$XW_TMP/p3.json" $XW_S4:8701
	ping_lost "$XW_TMP/p3.json" $COUNT || return 1
	s1=$(stat_slot 0)
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

# own KEY...: the own_addrs entry of an IPv4 address ("kind ifindex"), or "none".
own4() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	bpftool -j map lookup pinned "$PINS/own_addrs" key 0 0 0 0 0 0 0 0 0 0 255 255 $a $b $c $d \
		2>/dev/null | python3 -c '
import json, sys
try:
    v = json.load(sys.stdin)["formatted"]["value"]; print(v["kind"], v["ifindex"])
except Exception:
    print("none")'
}

S_REFLECTED=0
S_PASS_NOROOM=10
S_PASS_SRC=19
S_PASS_MAC=21

# wait_own ADDR WANT: until own4 ADDR prints WANT (5 s).
wait_own() {
	local i
	for i in $(seq 50); do
		[ "$(own4 "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	xw_log "own_addrs[$1] = $(own4 "$1"), want $2"
	return 1
}

# send_raw ARGS: python3 inline, in the client namespace: TWAMP-Test packets that
# no reflector may answer; prints how many replies came back.
send_odd() {
	in_c python3 - "$@" <<'PY'
import socket, struct, sys, time
what, n = sys.argv[1], int(sys.argv[2])
pkt = struct.pack("!IQH", 1, 0, 0x8001) + bytes(27)   # 41 octets, Multiplier 1
if what == "broadcast":       # to the subnet's broadcast address, port 8620
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.bind(("0.0.0.0", 0))
    s.settimeout(0.2)
    got = 0
    for i in range(n):
        s.sendto(pkt, ("192.0.2.255", 8620))
        try:
            s.recvfrom(2048); got += 1
        except socket.timeout:
            pass
    print(got)
else:                          # "mcastsrc": from 224.0.0.5, raw Ethernet to the server's MAC
    dmac = bytes.fromhex(sys.argv[3].replace(":", ""))
    r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    r.bind(("xwc0", 0))
    smac = r.getsockname()[4]
    src, dst = socket.inet_aton("224.0.0.5"), socket.inet_aton("192.0.2.2")
    udp = struct.pack("!HHHH", 40000, 8620, 8 + len(pkt), 0) + pkt
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, src, dst)
    c = sum(struct.unpack("!10H", ip)); c = (c & 0xffff) + (c >> 16); c = (c & 0xffff) + (c >> 16)
    ip = ip[:10] + struct.pack("!H", ~c & 0xffff) + ip[12:]
    ps = src + dst + struct.pack("!BBH", 0, 17, len(udp)) + udp + (b"\0" if len(udp) % 2 else b"")
    c = sum(struct.unpack("!%dH" % (len(ps) // 2), ps))
    while c >> 16: c = (c & 0xffff) + (c >> 16)
    udp = udp[:6] + struct.pack("!H", (~c & 0xffff) or 0xffff) + udp[8:]
    for i in range(n):
        r.send(dmac + smac + b"\x08\x00" + ip + udp)
    print(0)
PY
}

# local=* means this host's addresses, as rtnetlink says now: the own_addrs
# map follows an address added and removed at run time (XDP answers it
# while it is there), has the subnet broadcast as broadcast; a datagram to
# the broadcast address is answered by nobody (XDP passes it: not our MAC;
# the socket drops it: not-our-address), nor is one from a multicast source
# (XDP: pass-bad-source; the kernel drops it as martian).
own_addresses() {
	local BPFFS=$XW_TMP/bpf PINS l r0 m0 s0 got smac
	PINS=$BPFFS/xwamp
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || return 1
	trap 'umount -l "$BPFFS" 2>/dev/null' EXIT
	ip -n "$XW_NS_C" link set dev xwc0 xdpdrv obj "$XW_BUILD/bpf/xdp_pass.bpf.o" sec xdp || return 1
	in_c ethtool -K xwc0 tx off >/dev/null
	xw_start_server --xdp xws0 --bpf-dir "$PINS" --light 'port=8620' || return 1
	expect "192.0.2.2 is ours (unicast)" wait_own 192.0.2.2 "1 $(in_s cat /sys/class/net/xws0/ifindex)" ||
		return 1
	expect "192.0.2.255 is our broadcast" wait_own 192.0.2.255 "2 $(in_s cat /sys/class/net/xws0/ifindex)" ||
		return 1
	expect "192.0.2.50 not yet" [ "$(own4 192.0.2.50)" = none ] || return 1
	in_s ip addr add 192.0.2.50/24 dev xws0 || return 1
	expect "192.0.2.50 added at run time" wait_own 192.0.2.50 "1 $(in_s cat /sys/class/net/xws0/ifindex)" ||
		return 1
	grep -q "own addresses: added 192.0.2.50" "$XW_TMP/xwampd.log" || { xw_log "no log line"; return 1; }
	r0=$(stat_slot $S_REFLECTED)
	lping "$XW_TMP/p1.json" 192.0.2.50:8620 && ping_ok "$XW_TMP/p1.json" $COUNT || return 1
	expect "XDP answered for the new address" [ "$(stat_slot $S_REFLECTED)" = $((r0 + COUNT)) ] || return 1
	in_s ip addr del 192.0.2.50/24 dev xws0 || return 1
	expect "192.0.2.50 removed at run time" wait_own 192.0.2.50 none || return 1
	expect "192.0.2.2 still there" [ "$(own4 192.0.2.2)" != none ] || return 1
	# to the broadcast address: not our MAC for XDP, not our address for the socket
	m0=$(stat_slot $S_PASS_MAC)
	got=$(send_odd broadcast 10)
	expect "no reply to the broadcast address ($got)" [ "$got" = 0 ] || return 1
	expect "XDP passed them as not our MAC" [ "$(stat_slot $S_PASS_MAC)" = $((m0 + 10)) ] || return 1
	# from a multicast source
	s0=$(stat_slot $S_PASS_SRC)
	smac=$(in_s cat /sys/class/net/xws0/address)
	send_odd mcastsrc 10 "$smac" >/dev/null || return 1
	sleep 0.3
	expect "XDP passed the multicast source (pass-bad-source)" \
		[ "$(stat_slot $S_PASS_SRC)" = $((s0 + 10)) ] || return 1
	stop_server || return 1
	grep -q "light port=8620 .*not-our-address=10" "$XW_TMP/xwampd.log" ||
		{ xw_log "socket: no not-our-address=10"; grep "light port=8620" "$XW_TMP/xwampd.log" | sed 's/^/#   /'; return 1; }
	umount -l "$BPFFS"
}

# reflect_ok FILE: xwping saw its RFC 6038 octets in every reply.
reflect_ok() {
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1])); s = s["sessions"][0] if "sessions" in s else s
if s.get("reflect_mismatch", -1) != 0:
    print("# reflect_mismatch %r" % s.get("reflect_mismatch")); sys.exit(1)' "$1"
}

# Jumbo frames through generic XDP (MTU 9000): the program moves padding of
# at most 4095 octets.  A 4136-octet sender packet (the longest answer it
# makes) is answered by XDP, a 4137-octet one passed (pass-no-room) and
# answered by the socket; in both the RFC 6038 octets come back where the
# sender expects them (the old mask answered 4137 with the padding unmoved).
jumbo() {
	local BPFFS=$XW_TMP/bpf PINS r0 n0
	PINS=$BPFFS/xwamp
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || return 1
	trap 'umount -l "$BPFFS" 2>/dev/null' EXIT
	ip -n "$XW_NS_C" link set dev xwc0 mtu 9000 || return 1
	ip -n "$XW_NS_S" link set dev xws0 mtu 9000 || return 1
	in_c ethtool -K xwc0 tx off >/dev/null
	xw_start_server --xdp xws0 --xdp-mode generic --bpf-dir "$PINS" \
		--light 'port=8630 reflect=8' || return 1
	r0=$(stat_slot $S_REFLECTED)
	n0=$(stat_slot $S_PASS_NOROOM)
	lping "$XW_TMP/j1.json" --reflect-octets 8 -s 4122 $XW_S4:8630 &&
		ping_ok "$XW_TMP/j1.json" $COUNT && reflect_ok "$XW_TMP/j1.json" || return 1
	expect "4136 octets: answered by XDP" [ "$(stat_slot $S_REFLECTED)" = $((r0 + COUNT)) ] ||
		return 1
	lping "$XW_TMP/j2.json" --reflect-octets 8 -s 4123 $XW_S4:8630 &&
		ping_ok "$XW_TMP/j2.json" $COUNT && reflect_ok "$XW_TMP/j2.json" || return 1
	expect "4137 octets: passed (pass-no-room)" \
		[ "$(stat_slot $S_PASS_NOROOM)" = $((n0 + COUNT)) ] || return 1
	expect "4137 octets: not answered by XDP" \
		[ "$(stat_slot $S_REFLECTED)" = $((r0 + COUNT)) ] || return 1
	stop_server || return 1
	expect "the socket answered the 4137-octet packets" \
		[ "$(light_line 8630)" = "$COUNT $COUNT 0 $COUNT" ] || return 1
	umount -l "$BPFFS"
}

TESTS=(socket_path xdp_path own_addresses jumbo)
xw_run "$@"
