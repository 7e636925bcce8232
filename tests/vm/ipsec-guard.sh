# SPDX-License-Identifier: GPL-2.0-only
#
# No fast path around IPsec (README "IPsec view"): sourced by
# tests/vm/tunnels-xfrm-tc.sh INSIDE the kernel VM, in the same boot, with
# its namespaces and SAs (A policy-based, B route-based with ipsec1, if_id
# 42; variables A B OA OB IA IB K1 W PINS XWAMPD XWPING COUNT, functions
# pass fail refl ok_json).  One PASS/FAIL line per check:
#   guard_spoof        a protected open session (B: --xfrm --xdp xwxv2): its
#                      entry is bound to ipsec1; a cleartext packet with the
#                      session's tuple sent to xwxv2 gets no UDP answer on the
#                      veth (A has an XDP_PASS program, so an XDP_TX answer
#                      would be seen) and the program counted it as passed
#                      (pass-other-device, the entry's passed counter)
#   guard_sa_delete    `ip xfrm state delete` of the inbound SA under the
#                      running session: its entry (and a Light port's) is
#                      removed at once (pinned sessions map), the log says so
#   guard_sa_back      the SA added again: the entries come back on ipsec1
#   guard_spoof_socket the spoofs passed by XDP reached the session's socket
#                      (the inbound policy has an if_id: no match in clear),
#                      which dropped them: not received on ipsec1
#   guard_light_spoof_socket  the same spoofs to the Light port 8621 (route-
#                      based, entry on ipsec1): passed by XDP, dropped by the
#                      port's socket (outside-tunnel), A sees no answer
#   guard_owamp_spoof_socket  the same spoofs (14 octets) to an OWAMP receiver
#                      of the flow: dropped by its socket, never recorded
#   guard_socket_tunnel_only  no XDP at all (pin directory locked): the
#                      socket answers the session's ESP traffic (decrypted on
#                      ipsec1) and drops the spoofs; A sees no answer to them
#   guard_req_light    --require-ipsec with TWAMP Light: a protected port is
#                      reflected on ipsec1 only; an unprotected port gets no
#                      answer and no entry; the inbound policy deleted: the
#                      protected port stops answering and loses its entry; a
#                      wildcard port is refused at start
#   guard_req_owamp    --require-ipsec with an OWAMP session the server
#                      receives across the same policy delete: logged as no
#                      longer recorded, its XDP receiver entry (if any) gone
#   guard_generic      policy-based IPsec with generic XDP on the device that
#                      carries the decrypted packets (xwampd in A, --xdp xwxv1
#                      --xdp-mode generic): the program sees the decrypted
#                      test packets and passes them (no entry), the socket
#                      answers through the policy: only ESP leaves, 0 loss
#   guard_owamp_afxdp  the same server with AF_XDP sockets on xwxv1: an
#                      authenticated OWAMP session it receives over the
#                      policy-based flow is recorded by its socket, never by
#                      AF_XDP (which, like XDP, runs before the inbound
#                      policy; generic XDP sees the decrypted packets):
#                      redirected-afxdp unchanged, every packet recorded
#   guard_twamp_afxdp  the same for an authenticated TWAMP session: its
#                      socket answers through the outbound policy (only ESP
#                      leaves), AF_XDP never (its answers would leave in
#                      clear): redirected-afxdp unchanged, 0 loss

G_LOG=$W/xwampd.log # fail() shows its tail
ROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

g_wait_log() { # pattern [seconds]
	local i
	for i in $(seq $((${2:-10} * 10))); do
		grep -qE "$1" "$G_LOG" && return 0
		sleep 0.1
	done
	return 1
}

g_start() { # ns args...: xwampd in ns, until it listens and its view is ready
	local ns=$1
	shift
	ip netns exec "$ns" "$XWAMPD" "$@" >"$G_LOG" 2>&1 &
	SRV=$!
	for _ in $(seq 200); do
		ip netns exec "$ns" ss -Hltn 'sport = :862' | grep -q LISTEN && break
		sleep 0.05
	done
	g_wait_log "xfrm: view ready"
}

g_stop() {
	kill "$SRV" 2>/dev/null
	wait "$SRV" 2>/dev/null
}

# The pinned session entry of a local port: "state ifindex passed".
g_entry() {
	bpftool -j map lookup pinned "$PINS/sessions" key $(($1 & 255)) $(($1 >> 8)) 0 0 |
		python3 -c 'import json,sys
v = json.load(sys.stdin)["formatted"]["value"]
print(v["state"], v["ifindex"], v["passed"])'
}

# A global XDP counter (the "stats" map, summed over CPUs) by its enum name
# in include/xwamp/bpf_shared.h, e.g. PASS_IFACE for XW_STAT_PASS_IFACE.
g_stat() {
	local k
	k=$(awk '/^enum xw_stat \{/ { on = 1; n = 0; next }
		on && /^};/ { exit }
		on && /^\tXW_STAT_/ { sub(/^\t/, ""); sub(/[ ,=].*/, ""); if ($0 == "XW_STAT_'"$1"'") print n; n++ }' \
		"$ROOT_DIR/include/xwamp/bpf_shared.h")
	bpftool -j map lookup pinned "$PINS/stats" key "$k" 0 0 0 |
		python3 -c 'import json,sys; print(sum(v["value"] for v in json.load(sys.stdin)["formatted"]["values"]))'
}

g_capture() { # ns dev filter pcap: tcpdump until g_capture_end
	ip netns exec "$1" tcpdump -n -U --immediate-mode -Z root -i "$2" -w "$4" "$3" \
		>/dev/null 2>"$W/g-tcpdump.err" &
	G_CAP=$!
	for _ in $(seq 100); do grep -q "listening on" "$W/g-tcpdump.err" && break; sleep 0.1; done
}
g_capture_end() {
	sleep 0.5
	kill -INT "$G_CAP"
	wait "$G_CAP"
}

# n cleartext TWAMP-Test packets IA:sport -> IB:dport from A, sent raw on
# xwxv1 (around A's IPsec policy), with correct checksums.
g_spoof() { # sport dport n [padding octets, default 27]
	local smac dmac
	smac=$(ip -n $A -j link show xwxv1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
	dmac=$(ip -n $B -j link show xwxv2 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
	ip netns exec $A python3 - "$smac" "$dmac" $IA $IB "$1" "$2" "$3" "${4:-27}" <<'PY'
import socket, struct, sys
smac, dmac, src, dst = sys.argv[1:5]
sport, dport, n, padding = (int(x) for x in sys.argv[5:9])
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
sa, da = socket.inet_aton(src), socket.inet_aton(dst)
# sender packet: Sequence Number, Timestamp, Error Estimate (multiplier 1), padding
pay = struct.pack("!IQH", 0xdead0001, 0, 0x0001) + bytes(padding)
ulen = 8 + len(pay)
ck = csum(sa + da + struct.pack("!BBH", 0, 17, ulen) + struct.pack("!HHHH", sport, dport, ulen, 0) + pay) or 0xffff
udp = struct.pack("!HHHH", sport, dport, ulen, ck) + pay
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0x4242, 0, 64, 17, 0, sa, da)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("xwxv1", 0))
for _ in range(n):
    s.send(mac(dmac) + mac(smac) + b"\x08\x00" + ip + udp)
PY
}

IF1=$(ip -n $B -j link show ipsec1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])')

echo "# guard: t=$(date +%s)"
# --- 1. a spoofed cleartext packet of a protected open session ----------------------
ip -n $A link set dev xwxv1 xdpdrv obj "$BUILD/bpf/xdp_pass.bpf.o" sec xdp ||
	fail guard_spoof "cannot attach xdp_pass to xwxv1"
g_start $B -l $IB --xfrm --xdp xwxv2 --bpf-dir "$PINS" --light "port=8621 local=$IB sender=$IA"
# long enough for every check below (TCG is slow); stopped when they are done
ip netns exec $A "$XWPING" -A open -c 3000 -i 0.05 --json $IB >"$W/g1.json" 2>"$W/g1.err" &
PING=$!
if g_wait_log "session [0-9a-f]+ $IB:[0-9]+<-$IA:[0-9]+: started" 20; then
	line=$(grep -oE "session [0-9a-f]+ $IB:[0-9]+<-$IA:[0-9]+: started" "$G_LOG" | head -1)
	PORT=$(echo "$line" | sed -E "s/.*$IB:([0-9]+)<-.*/\1/")
	SPORT=$(echo "$line" | sed -E "s/.*<-$IA:([0-9]+):.*/\1/")
	sleep 0.5 # some real traffic first
	e0=$(g_entry "$PORT")
	s0=$(g_stat PASS_IFACE)
	r0=$(g_stat REFLECTED)
	# an answer to the spoof in clear: the reflector keeps the IP ID (0x4242) and
	# the Sender Sequence Number (UDP payload octet 24); A's decrypted copies of
	# ESP replies are UDP from $IB on xwxv1 too, but not these
	g_capture $A xwxv1 "udp and src host $IB and ip[4:2] = 0x4242 and udp[32:4] = 0xdead0001" \
		"$W/g-spoof.pcap"
	g_spoof "$SPORT" "$PORT" 3
	g_capture_end
	s1=$(g_stat PASS_IFACE)
	r1=$(g_stat REFLECTED)
	e1=$(g_entry "$PORT")
	clear=$(tcpdump -n -r "$W/g-spoof.pcap" 2>/dev/null | wc -l)
	echo "# session $IB:$PORT<-$IA:$SPORT entry (state ifindex passed) $e0 -> $e1, ipsec1 = $IF1;" \
		"pass-other-device $s0 -> $s1, reflected $r0 -> $r1 (tc on ipsec1), cleartext UDP answers $clear"
	if [ "$(echo "$e1" | cut -d' ' -f1-2)" = "2 $IF1" ] && [ $((s1 - s0)) = 3 ] &&
		[ $(($(echo "$e1" | cut -d' ' -f3) - $(echo "$e0" | cut -d' ' -f3))) -ge 3 ] &&
		[ "$clear" = 0 ] && [ "$r1" -gt "$r0" ] &&
		grep -q "path: XDP on ipsec1 only (in-tunnel device" "$G_LOG"; then
		pass guard_spoof
	else
		fail guard_spoof "entry $e1 (want 2 $IF1 ...), pass-other-device +$((s1 - s0)) (want 3), $clear answers"
	fi

	# --- 1b. the same spoof to the Light port 8621 (its entry is on ipsec1 too): the
	# program passes it, the port's socket must not answer it (through ESP or in clear)
	g_capture $A xwxv1 "udp and src host $IB and udp src port 8621" "$W/g-light.pcap"
	g_spoof 40000 8621 3
	g_capture_end
	LCLEAR=$(tcpdump -n -r "$W/g-light.pcap" 2>/dev/null | wc -l)
	echo "# Light port 8621: answers to the spoofs seen by A: $LCLEAR (checked at its closing line)"

	# --- 1c. the same spoof to the OWAMP receiver: the program passes it, the socket
	# must not record it (its real packets come through ipsec1)
	# (an OWAMP session the server receives: open, 14-octet packets, the same flow)
	ip netns exec $A "$XWPING" -O -t -c 3000 -i 0.05 --wait 1 $IB >"$W/g1o.out" 2>"$W/g1o.err" &
	OWPING=$!
	OWRE="owamp .* $IB:[0-9]+ <- $IA:[0-9]+: receive session of 3000 packets accepted, receiver: [A-Za-z]+"
	g_wait_log "$OWRE" 10
	sleep 0.5
	OWLINE=$(grep -oE "$OWRE" "$G_LOG" | head -1)
	OWPORT=$(echo "$OWLINE" | sed -nE "s/.* $IB:([0-9]+) <- .*/\1/p")
	OWSPORT=$(echo "$OWLINE" | sed -nE "s/.* <- $IA:([0-9]+): .*/\1/p")
	[ -n "$OWPORT" ] && g_spoof "$OWSPORT" "$OWPORT" 3 0
	sleep 1
	# the connection dropped: the server ends the session with its counters
	kill -KILL $OWPING 2>/dev/null
	wait $OWPING 2>/dev/null
	g_wait_log "owamp .* $IB:${OWPORT:-x} <- .*: receiver closed" 5
	OWEND=$(grep -E "owamp .* $IB:${OWPORT:-x} <- .*: receiver closed" "$G_LOG")
	echo "$OWEND" | sed 's/^.*xwampd: [a-z]*: /# /'
	# "R received, M recorded, F forged, D dropped; X by XDP": the 3 spoofs dropped,
	# everything else recorded
	ow_ok=$(echo "$OWEND" | sed -nE 's/.*: ([0-9]+) received, ([0-9]+) recorded, 0 forged, ([0-9]+) dropped; .*/\1 \2 \3/p' |
		awk '{ print ($3 == 3 && $1 == $2 + 3 && $2 >= 10) ? 1 : 0 }')
	[ "$ow_ok" = 1 ] && pass guard_owamp_spoof_socket ||
		fail guard_owamp_spoof_socket "port ${OWPORT:-none}: ${OWEND:-no closing line}"

	# --- 2. the inbound SA deleted under the running session ------------------------
	t0=$(date +%s%N)
	ip -n $B xfrm state delete src $OA dst $OB proto esp spi 0x1001
	for reads in $(seq 100); do
		[ "$(g_entry "$PORT" | cut -d' ' -f1)" = 0 ] && break
		sleep 0.02
	done
	ms="$((($(date +%s%N) - t0) / 1000000)) ms, map read $reads time(s)"
	e2=$(g_entry "$PORT")
	l2=$(g_entry 8621)
	echo "# SA 0x1001 deleted: entry $e2 after $ms, light 8621 entry $l2"
	if [ "$(echo "$e2" | cut -d' ' -f1-2)" = "0 0" ] && [ "$(echo "$l2" | cut -d' ' -f1)" = 0 ] &&
		g_wait_log "session .*$IB:$PORT<-.*IPsec changed: test flow not protected: .*in-tunnel device only -> socket only" 2 &&
		g_wait_log "session .*$IB:$PORT<-.*IPsec: XDP entry removed" 2 &&
		g_wait_log "light port 8621: IPsec: XDP entry removed" 2; then
		pass guard_sa_delete
	else
		fail guard_sa_delete "entry $e2, light $l2 after $ms"
	fi

	# --- 3. the SA back: the entries come back, bound to ipsec1 ----------------------
	ip -n $B xfrm state add src $OA dst $OB proto esp spi 0x1001 reqid 1 mode tunnel \
		aead "$ALG" "$K1" 128 if_id 42
	g_wait_log "session .*$IB:$PORT<-.*IPsec changed: .*socket only -> in-tunnel device only" 3
	sleep 0.2
	e3=$(g_entry "$PORT")
	l3=$(g_entry 8621)
	echo "# SA 0x1001 back: entry $e3, light 8621 entry $l3"
	if [ "$(echo "$e3" | cut -d' ' -f1-2)" = "2 $IF1" ] &&
		[ "$(echo "$l3" | cut -d' ' -f1-2)" = "2 $IF1" ]; then
		pass guard_sa_back
	else
		fail guard_sa_back "entry $e3, light $l3 (want 2 $IF1)"
	fi
else
	fail guard_spoof "the session did not start: $(tail -3 "$W/g1.err")"
fi
kill -INT $PING 2>/dev/null
wait $PING
g_stop
# route-based: the spoofs matched no inbound policy (it has an if_id) and
# reached the socket, which drops what did not come through ipsec1
end=$(grep -E "session [0-9a-f]+ $IB:${PORT:-x}<-.*: (stopped|shutdown|control connection closed): " "$G_LOG")
echo "$end" | sed 's/^.*xwampd: [a-z]*: /# /'
# (a genuine packet decrypted on ipsec1 while the entry was away, between the
# SA's return and the entry's, is the socket's to answer: received N,
# reflected N - 3; the three spoofs are the drops)
if echo "$end" | grep -Eq "received [0-9]+, reflected [0-9]+, dropped 3: outside-tunnel=3;"; then
	n=$(echo "$end" | sed -E 's/.*received ([0-9]+), reflected ([0-9]+),.*/\1 \2/')
	[ $(( ${n% *} - ${n#* } )) = 3 ] && pass guard_spoof_socket ||
		fail guard_spoof_socket "the socket answered the spoofs: $end"
else
	fail guard_spoof_socket "the socket answered the spoofs: $end"
fi
lend=$(grep -E "light .*8621.*: closed: " "$G_LOG")
echo "$lend" | sed 's/^.*xwampd: [a-z]*: /# /'
[ "${LCLEAR:-x}" = 0 ] &&
	echo "$lend" | grep -Eq "closed: socket received 3, reflected 0, dropped 3: outside-tunnel=3(;|$)" &&
	pass guard_light_spoof_socket ||
	fail guard_light_spoof_socket "${LCLEAR:-no} answers seen by A; $lend"

# --- 3b. route-based, no XDP at all: the socket answers only what ipsec1 delivered ----
# (the pin directory locked by "another xwampd": xwampd runs without XDP)
mkdir -p "$PINS"
exec 9<"$PINS"
flock -n 9 || fail guard_socket_tunnel_only "cannot lock $PINS"
g_start $B -l $IB --xfrm --bpf-dir "$PINS"
ip netns exec $A "$XWPING" -A open -c 3000 -i 0.05 --json $IB >"$W/g3.json" 2>"$W/g3.err" &
PING=$!
if grep -q "locked by another running xwampd" "$G_LOG" &&
	g_wait_log "session [0-9a-f]+ $IB:[0-9]+<-$IA:[0-9]+: started" 20; then
	line=$(grep -oE "session [0-9a-f]+ $IB:[0-9]+<-$IA:[0-9]+: started" "$G_LOG" | head -1)
	PORT=$(echo "$line" | sed -E "s/.*$IB:([0-9]+)<-.*/\1/")
	SPORT=$(echo "$line" | sed -E "s/.*<-$IA:([0-9]+):.*/\1/")
	sleep 1
	# no answer to the spoofs at all: neither in clear nor decrypted by A
	g_capture $A xwxv1 "udp and src host $IB and udp[32:4] = 0xdead0001" "$W/g-sock.pcap"
	g_spoof "$SPORT" "$PORT" 3
	sleep 1
	g_capture_end
	kill -INT $PING
	wait $PING
	g_stop
	ans=$(tcpdump -n -r "$W/g-sock.pcap" 2>/dev/null | wc -l)
	end=$(grep -E "session [0-9a-f]+ $IB:$PORT<-.*: (stopped|shutdown|control connection closed): " "$G_LOG")
	echo "$end" | sed 's/^.*xwampd: [a-z]*: /# /'
	echo "# answers to the spoofs seen by A: $ans"
	rx=$(echo "$end" | sed -E 's/.*: received ([0-9]+), reflected ([0-9]+), .*/\1 \2/')
	if [ "$ans" = 0 ] && echo "$end" | grep -Eq "dropped 3: outside-tunnel=3(;|$)" &&
		[ "$(echo "$rx" | cut -d' ' -f2)" -ge 10 ] &&
		[ $(($(echo "$rx" | cut -d' ' -f1) - 3)) = "$(echo "$rx" | cut -d' ' -f2)" ]; then
		pass guard_socket_tunnel_only
	else
		fail guard_socket_tunnel_only "$ans answers; $end"
	fi
else
	kill -INT $PING 2>/dev/null
	wait $PING
	g_stop
	fail guard_socket_tunnel_only "no session or XDP not locked out: $(tail -3 "$W/g3.err")"
fi
exec 9<&- # unlocked: XDP again for the next runs
ip -n $A link set dev xwxv1 xdpdrv off

echo "# guard: t=$(date +%s)"
# --- 4. --require-ipsec with TWAMP Light ---------------------------------------------
g_start $B -l $IB --require-ipsec --xdp xwxv2 --bpf-dir "$PINS" \
	--light "port=8620 local=$IB sender=$IA" --light "port=8622 local=$OB sender=$OA"
g_wait_log "light port 8620: path: XDP on" 5
# an OWAMP session the server receives (open mode, protected, route-based) that
# runs across the policy delete below
ip netns exec $A "$XWPING" -O -t -c 3000 -i 0.02 --wait 1 $IB >"$W/g4o.out" 2>"$W/g4o.err" &
OWPING=$!
OWRE="owamp .* $IB:[0-9]+ <- $IA:[0-9]+: receive session of 3000 packets accepted, receiver: [A-Za-z]+"
g_wait_log "$OWRE" 20
OWLINE=$(grep -oE "$OWRE" "$G_LOG" | head -1)
OWPORT=$(echo "$OWLINE" | sed -nE "s/.* $IB:([0-9]+) <- .*/\1/p")
sleep 1 # started
OWE0=$(g_entry "${OWPORT:-0}")
ok=1
why=
ip netns exec $A "$XWPING" --light -c $COUNT -i 0.02 --wait 1 --json $IB:8620 >"$W/g4.json" \
	2>"$W/g4.err" && ok_json "$W/g4.json" || { ok=0; why="protected port: $(tail -2 "$W/g4.err")"; }
e=$(g_entry 8620)
[ "$(echo "$e" | cut -d' ' -f1-2)" = "2 $IF1" ] || { ok=0; why="$why; 8620 entry $e"; }
ip netns exec $A "$XWPING" --light -c 5 -i 0.02 --wait 1 --json $OB:8622 >"$W/g4u.json" 2>/dev/null
got=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); s=s["sessions"][0] if "sessions" in s else s; print(s["packets"]["received"])' "$W/g4u.json" 2>/dev/null)
e=$(g_entry 8622)
echo "# unprotected port 8622: $got answers, entry $e"
[ "$got" = 0 ] && [ "$(echo "$e" | cut -d' ' -f1)" = 0 ] &&
	g_wait_log "light port 8622: dropped a packet from $OA:[0-9]+: not-protected" 2 ||
	{ ok=0; why="$why; unprotected port answered ($got) or has an entry ($e)"; }
# the inbound policy goes: the protected port stops
ip -n $B xfrm policy delete src $IA/32 dst $IB/32 dir in if_id 42
g_wait_log "light port 8620: --require-ipsec and the test flow is not protected by IPsec: not answered" 3 ||
	{ ok=0; why="$why; no stop line after the policy delete"; }
ow=1
owwhy=
g_wait_log "owamp .* $IB:${OWPORT:-x} <- .*: --require-ipsec and the test flow is not protected by IPsec: nothing recorded" 3 ||
	{ ow=0; owwhy="no stop line"; }
OWE1=$(g_entry "${OWPORT:-0}")
echo "# OWAMP receiver port ${OWPORT:-?} (${OWLINE##*: }): entry $OWE0 -> $OWE1 after the policy delete"
case $OWLINE in
*"receiver: XDP")
	[ "$(echo "$OWE0" | cut -d' ' -f1)" != 0 ] && [ "$(echo "$OWE1" | cut -d' ' -f1)" = 0 ] &&
		g_wait_log "owamp .* $IB:$OWPORT <- .*: IPsec: XDP receiver entry removed" 1 ||
		{ ow=0; owwhy="$owwhy; XDP entry $OWE0 -> $OWE1"; }
	;;
esac
kill -INT $OWPING 2>/dev/null
wait $OWPING
[ -n "$OWPORT" ] && [ $ow = 1 ] && pass guard_req_owamp ||
	fail guard_req_owamp "port ${OWPORT:-none}: $owwhy; $(tail -2 "$W/g4o.err")"
e=$(g_entry 8620)
ip netns exec $A "$XWPING" --light -c 5 -i 0.02 --wait 1 --json $IB:8620 >"$W/g4d.json" 2>/dev/null
got=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); s=s["sessions"][0] if "sessions" in s else s; print(s["packets"]["received"])' "$W/g4d.json" 2>/dev/null)
echo "# policy deleted: port 8620 entry $e, $got answers"
[ "$got" = 0 ] && [ "$(echo "$e" | cut -d' ' -f1)" = 0 ] ||
	{ ok=0; why="$why; after the policy delete: $got answers, entry $e"; }
g_stop
ip -n $B xfrm policy add src $IA/32 dst $IB/32 dir in tmpl src $OA dst $OB proto esp reqid 1 \
	mode tunnel if_id 42
# a wildcard port cannot be checked: refused at start
timeout 20 ip netns exec $B "$XWAMPD" -l $IB --require-ipsec --bpf-dir "$PINS" \
	--light "port=8623 sender=*" >"$W/g4w.log" 2>&1
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && grep -q "needs local= and sender= addresses" "$W/g4w.log" ||
	{ ok=0; why="$why; wildcard port: exit $rc, $(tail -1 "$W/g4w.log")"; }
[ $ok = 1 ] && pass guard_req_light || fail guard_req_light "$why"

echo "# guard: t=$(date +%s)"
# --- 5. policy-based IPsec, generic XDP on the device of the decrypted packets ---------
printf 'alice %s\n' "$(printf 'correct horse battery' | od -An -tx1 | tr -d ' \n')" >"$W/keys"
chmod 600 "$W/keys"
g_start $A -l $IA --xfrm --xdp xwxv1 --xdp-mode generic --bpf-dir "$PINS" --keyfile "$W/keys" \
	--modes open,auth
if grep -q "xdp: xwxv1: xdp_xwamp attached (generic" "$G_LOG"; then
	n0=$(g_stat PASS_NO_SESS)
	r0=$(g_stat REFLECTED)
	g_capture $A xwxv1 "udp and src host $IA" "$W/g-gen.pcap"
	ip netns exec $B "$XWPING" -A open -c $COUNT -i 0.02 --json $IA >"$W/g5.json" 2>"$W/g5.err"
	prc=$?
	g_capture_end
	n1=$(g_stat PASS_NO_SESS)
	r1=$(g_stat REFLECTED)
	# 5b. authenticated OWAMP to this server: its socket records, not AF_XDP
	d0=$(g_stat REDIRECTED)
	ip netns exec $B "$XWPING" -O -t -A auth -u alice -k "$W/keys" -c $COUNT -i 0.02 --wait 1 \
		--json $IA >"$W/g5o.json" 2>"$W/g5o.err"
	orc=$?
	d1=$(g_stat REDIRECTED)
	# 5c. authenticated TWAMP: the same rule for the reflector
	g_capture $A xwxv1 "udp and src host $IA" "$W/g-gen5c.pcap"
	ip netns exec $B "$XWPING" -A auth -u alice -k "$W/keys" -c $COUNT -i 0.02 \
		--json $IA >"$W/g5t.json" 2>"$W/g5t.err"
	trc=$?
	g_capture_end
	d2=$(g_stat REDIRECTED)
	clear5c=$(tcpdump -n -r "$W/g-gen5c.pcap" 2>/dev/null | wc -l)
	g_stop
	echo "# authenticated TWAMP over policy-based IPsec: redirected-afxdp $d1 -> $d2, cleartext UDP from $IA: $clear5c"
	if [ $trc = 0 ] && [ "$d2" = "$d1" ] && [ "$clear5c" = 0 ] &&
		python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); s=s["sessions"][0] if "sessions" in s else s; sys.exit(s["packets"]["received"] != int(sys.argv[2]))' "$W/g5t.json" $COUNT &&
		grep -Eq "session .* accepted \(auth, .*path: socket \(IPsec applies to the flow" "$G_LOG"; then
		pass guard_twamp_afxdp
	else
		fail guard_twamp_afxdp "xwping $trc ($(tail -1 "$W/g5t.err")), redirected $d1 -> $d2, $clear5c clear"
	fi
	OWEND=$(grep -E "owamp .* $IA:[0-9]+ <- .*: receiver closed" "$G_LOG" | tail -n 1)
	echo "# authenticated OWAMP over policy-based IPsec: redirected-afxdp $d0 -> $d1; ${OWEND#*xwampd: info: }"
	if [ $orc = 0 ] && [ "$d1" = "$d0" ] &&
		grep -q "afxdp: xwxv1: 1 of 1 receive queues with an AF_XDP socket" "$G_LOG" &&
		grep -Eq "owamp .* $IA:[0-9]+ <- .*: receive session of $COUNT packets accepted, receiver: socket" "$G_LOG" &&
		echo "$OWEND" | grep -q "receiver closed (Stop-Sessions): $COUNT received, $COUNT recorded, 0 forged, 0 dropped; 0 by XDP\$" &&
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["to_server"]; sys.exit(d["received"] != int(sys.argv[2]))' "$W/g5o.json" $COUNT; then
		pass guard_owamp_afxdp
	else
		fail guard_owamp_afxdp "xwping $orc ($(tail -1 "$W/g5o.err")), redirected $d0 -> $d1, ${OWEND:-no closing line}"
	fi
	clear=$(tcpdump -n -r "$W/g-gen.pcap" 2>/dev/null | wc -l)
	echo "# generic XDP on xwxv1: pass-no-session $n0 -> $n1, reflected $r0 -> $r1, cleartext UDP from $IA: $clear"
	if [ $prc = 0 ] && ok_json "$W/g5.json" && [ "$r1" = "$r0" ] && [ $((n1 - n0)) -ge $COUNT ] &&
		[ "$clear" = 0 ] &&
		grep -q "path: socket (IPsec applies to the flow" "$G_LOG" &&
		grep -Eq "session .*: (stopped|shutdown): received $COUNT, reflected $COUNT," "$G_LOG"; then
		pass guard_generic
	else
		fail guard_generic "xwping $prc, reflected $r0 -> $r1, pass-no-session +$((n1 - n0)), $clear clear"
	fi
else
	g_stop
	fail guard_generic "no generic XDP on xwxv1: $(grep xwxv1 "$G_LOG" | tail -2)"
	fail guard_owamp_afxdp "no generic XDP on xwxv1"
	fail guard_twamp_afxdp "no generic XDP on xwxv1"
fi
echo "# guard: t=$(date +%s)"
