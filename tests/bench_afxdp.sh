#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmark of the AF_XDP reflector for authenticated/encrypted sessions
# (after make all; root).  Reflection rates over veth, generator: a
# BPF_PROG_RUN live-frames program on the client veth (tests/bpf/
# bench_afxdp.c), replies counted and dropped there by XDP.  Real xwampd
# sessions set up by xwping, each fed one of its own sender frames again and
# again (a TWAMP reflector answers a repeated packet; its HMAC stays valid):
#
#   1. xwampd's AF_XDP path / xwampd's socket path, same mode (auth, enc),
#      interleaved B S B S ...: a second xwampd without --xdp on the same
#      server namespace holds the socket-path sessions;
#   2. the AF_XDP path / a bare AF_XDP swap-and-send reflector (tests/bench/
#      xsk_bare.c, libxdp's default program, copy mode), measured after
#      xwampd left the interface (not interleaved: they cannot share it);
#   3. the AF_XDP path / the MAC-swap XDP_TX program (tests/bpf/bench_veth.c),
#      measured before xwampd started and after it stopped (mean of both);
#   4. the crypto alone per packet (build/bench/crypto_cost: the reflector's
#      HMAC check + decrypt + build + encrypt + HMAC per mode, vs a memcpy);
#   5. the OWAMP receivers, same mode (auth, enc): records stored per second
#      by xwampd's AF_XDP receiver and by its socket receiver (the second
#      xwampd), each fed its own session's sender frame like the reflectors
#      (a repeated packet is stored as a duplicate record, RFC 4656 3.9),
#      counted from xwampd's SIGUSR1 line of the session, interleaved with
#      the AF_XDP TWAMP reflector of section 1 as the baseline (replies/s);
#      BENCH_OW_FRAMES per phase (default FRAMES; the store reserves 32
#      octets for every frame of every round, touched only as records come).
#
# Namespaces xfc$$/xfs$$, veth xfc0 192.0.2.1 / xfs0 192.0.2.2 (RFC 5737),
# removed on exit.  BENCH_ROUNDS (default 5), BENCH_FRAMES (default 1000000),
# BENCH_QUICK=1 (1 round, 300000 frames).
set -u
cd "$(dirname "$0")/.." || exit 2
B=${BUILD:-build}
ROUNDS=${BENCH_ROUNDS:-5}
FRAMES=${BENCH_FRAMES:-1000000}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	ROUNDS=1 FRAMES=300000
fi
OW_FRAMES=${BENCH_OW_FRAMES:-$FRAMES}
# records one OWAMP session may take: every phase's frames plus its own packets
OW_RECS=$((ROUNDS * OW_FRAMES + OW_FRAMES))
NS_C=xfc$$
NS_S=xfs$$
TMP=$(mktemp -d /tmp/xw-bench-afxdp.XXXXXX)
PIDS=

NAME=bench_afxdp
. tests/bench_ns.sh

[ "$(id -u)" = 0 ] || die "needs root"
for p in "$B/xwampd" "$B/xwping" "$B/bench/bench_afxdp" "$B/bench/crypto_cost" \
	"$B/bench/bench_veth" "$B/bench/xsk_bare"; do
	[ -x "$p" ] || die "$p missing: run make all first"
done

# complete UDP checksums in the frames that will be replayed (the socket
# path checks them); neighbours for good (ARP is dropped while counting)
bench_veth_pair xfc0 xfs0

KF=$TMP/keys
printf 'alice %s\n' "$(printf 'correct horse battery' | od -An -tx1 | tr -d ' \n')" >"$KF"
chmod 600 "$KF"
mkdir -p "$TMP/bpf" && mount -t bpf bpf "$TMP/bpf" || die "bpffs"

# mpps FILE NAME: the median Mpps of NAME in a bench output
mpps() {
	sed -n "s/^ *$2, Mpps (for scale) *\([0-9.]*\).*/\1/p" "$1" | head -n 1
}

echo "xwamp AF_XDP benchmark: $(nproc) CPUs, kernel $(uname -r), $ROUNDS rounds, $FRAMES frames per phase"
rc=0
# 3a. XDP_TX baseline before xwampd
"$B/bench/bench_veth" $NS_C $NS_S xfc0 xfs0 --rounds "$ROUNDS" --frames "$FRAMES" \
	>"$TMP/veth1.out" 2>&1 || { cat "$TMP/veth1.out"; die "bench_veth"; }
ip netns exec $NS_C ethtool -K xfc0 tx off >/dev/null

# A: XDP + AF_XDP on xfs0; S: socket path only, another control port
OWOPT=(--owamp-max-records $((OW_RECS * 2)) --owamp-max-total $((OW_RECS * 4)) --owamp-keep 1)
ip netns exec $NS_S "$B/xwampd" --listen 192.0.2.2:862 --keyfile "$KF" --modes open,auth,enc \
	--xdp xfs0 --xdp-mode native --bpf-dir "$TMP/bpf/xwamp" "${OWOPT[@]}" >"$TMP/a.log" 2>&1 &
PID_A=$!
ip netns exec $NS_S "$B/xwampd" --listen 192.0.2.2:863 --keyfile "$KF" --modes open,auth,enc \
	--owamp-listen 192.0.2.2:864 "${OWOPT[@]}" >"$TMP/s.log" 2>&1 &
PID_S=$!
PIDS="$PID_A $PID_S"
for i in $(seq 100); do
	[ "$(ip netns exec $NS_S ss -Hltn 'sport = :862 or sport = :863 or sport = :861 or sport = :864' |
		grep -c LISTEN)" = 4 ] &&
		break
	sleep 0.05
done
grep -q "afxdp: xfs0: 1 of 1 receive queues" "$TMP/a.log" || {
	cat "$TMP/a.log"
	die "xwampd: no AF_XDP socket"
}

# session NAME MODE CTLPORT LOG: a long xwping session; prints NAME:reflector port
session() {
	local n0 port i
	n0=$(grep -c "started, path" "$4")
	ip netns exec $NS_C "$B/xwping" -A "$2" -u alice -k "$KF" -c 1000000 -i 0.5 \
		"192.0.2.2:$3" >/dev/null 2>&1 &
	PIDS="$PIDS $!"
	for i in $(seq 100); do
		[ "$(grep -c "started, path" "$4")" -gt "$n0" ] && break
		sleep 0.05
	done
	port=$(sed -n 's/.*session [0-9a-f]* [^ ]*:\([0-9]*\)<-.* accepted .*/\1/p' "$4" | tail -n 1)
	[ -n "$port" ] || die "session $1: no port"
	echo "$1:$port"
}
S_AAUTH=$(session afxdp-auth auth 862 "$TMP/a.log")
S_AENC=$(session afxdp-enc enc 862 "$TMP/a.log")
S_SAUTH=$(session socket-auth auth 863 "$TMP/s.log")
S_SENC=$(session socket-enc enc 863 "$TMP/s.log")
mkdir -p "$TMP/frames"

# 1. AF_XDP vs socket, per mode
for m in auth enc; do
	eval "base=\$S_S${m^^} subj=\$S_A${m^^}"
	# shellcheck disable=SC2154
	"$B/bench/bench_afxdp" $NS_C xfc0 --base "$base" --subj "$subj" --rounds "$ROUNDS" \
		--frames "$FRAMES" --dir "$TMP/frames" >"$TMP/$m.out" 2>&1 || rc=1
	cat "$TMP/$m.out"
done
kill -USR1 $PID_A
sleep 0.3
echo "   xwampd after these runs:"
grep -E "afxdp: xfs0 queue|xdp: xdp_xwamp attached on" "$TMP/a.log" | tail -n 2 | sed 's/^/     /'

# 5. OWAMP receivers: AF_XDP (A, 861) and socket (S, 864) vs the AF_XDP TWAMP reflector
# owsession NAME MODE CTLPORT LOG PID: a long xwping -O -t session; its line in
# $TMP/ow.tab, NAME:receiver port in OWSUB, xwping's pid in OWPING
owsession() {
	local n0 port i
	n0=$(grep -c "receive session of" "$4")
	ip netns exec $NS_C "$B/xwping" -O -t -A "$2" -u alice -k "$KF" -c "$OW_RECS" -i 0.5 \
		--schedule periodic "192.0.2.2:$3" >/dev/null 2>"$TMP/$1.err" &
	OWPING=$!
	PIDS="$PIDS $OWPING"
	for i in $(seq 200); do
		[ "$(grep -c "receive session of" "$4")" -gt "$n0" ] && break
		sleep 0.05
	done
	port=$(sed -n 's/.*owamp .*:\([0-9]*\) <- .*: receive session of.*/\1/p' "$4" | tail -n 1)
	[ -n "$port" ] || die "OWAMP session $1: no port"
	echo "$1 $5 $4 $port" >>"$TMP/ow.tab"
	OWSUB=$1:$port
}
# owcount NAME: the records session NAME stored so far (its SIGUSR1 status line)
cat >"$TMP/owcount" <<'SH'
#!/bin/bash
read -r _ pid log port < <(grep "^$1 " "$(dirname "$0")/ow.tab")
[ -n "$port" ] || exit 1
pat=":$port <- .*: receiver: rx "
n=$(grep -c -- "$pat" "$log")
kill -USR1 "$pid" || exit 1
for _ in $(seq 500); do
	[ "$(grep -c -- "$pat" "$log")" -gt "$n" ] && break
	sleep 0.01
done
grep -- "$pat" "$log" | tail -n 1 | sed -n 's/.*: receiver: rx [0-9]* recorded \([0-9]*\) .*/\1/p'
SH
chmod +x "$TMP/owcount"
for m in auth enc; do
	owsession "ow-afxdp-$m" $m 861 "$TMP/a.log" $PID_A
	OA=$OWSUB PA=$OWPING
	owsession "ow-socket-$m" $m 864 "$TMP/s.log" $PID_S
	OS=$OWSUB PS=$OWPING
	grep -q "${OA#*:} <- .*receiver: AF_XDP on xfs0" "$TMP/a.log" || die "ow-afxdp-$m: not on AF_XDP"
	eval "base=\$S_A${m^^}"
	# shellcheck disable=SC2154
	"$B/bench/bench_afxdp" $NS_C xfc0 --base "$base" --ow "$OA" --ow "$OS" \
		--ow-count "$TMP/owcount" --rounds "$ROUNDS" --frames "$OW_FRAMES" \
		--dir "$TMP/frames" >"$TMP/ow-$m.out" 2>&1 || rc=1
	cat "$TMP/ow-$m.out"
	echo "   xwampd's receivers after these runs (AF_XDP, socket):"
	grep -h ":${OA#*:} <- .*: receiver: rx" "$TMP/a.log" | tail -n 1 | sed 's/^/     /'
	grep -h ":${OS#*:} <- .*: receiver: rx" "$TMP/s.log" | tail -n 1 | sed 's/^/     /'
	# the sessions end (their records are freed after --owamp-keep)
	kill "$PA" "$PS" 2>/dev/null
done

# 2. the bare AF_XDP reflector, once xwampd A left the interface
kill $PID_A
wait $PID_A 2>/dev/null
ip netns exec $NS_S "$B/bench/xsk_bare" xfs0 >"$TMP/bare.log" 2>&1 &
PID_B=$!
PIDS="$PIDS $PID_B"
sleep 0.5
cp "$TMP/frames/afxdp-auth.frame" "$TMP/frames/bare.frame"
"$B/bench/bench_afxdp" $NS_C xfc0 --base bare:1 --rounds "$ROUNDS" --frames "$FRAMES" \
	--dir "$TMP/frames" >"$TMP/bare.out" 2>&1 || rc=1
kill $PID_B
wait $PID_B 2>/dev/null

# 3b. XDP_TX baseline after
"$B/bench/bench_veth" $NS_C $NS_S xfc0 xfs0 --rounds "$ROUNDS" --frames "$FRAMES" \
	>"$TMP/veth2.out" 2>&1 || { cat "$TMP/veth2.out"; die "bench_veth"; }

python3 - "$(mpps "$TMP/ow-auth.out" ow-afxdp-auth)" "$(mpps "$TMP/ow-enc.out" ow-afxdp-enc)" \
	"$(mpps "$TMP/ow-auth.out" ow-socket-auth)" "$(mpps "$TMP/ow-enc.out" ow-socket-enc)" \
	"$(mpps "$TMP/veth1.out" "MAC-swap XDP_TX baseline")" \
	"$(mpps "$TMP/veth2.out" "MAC-swap XDP_TX baseline")" <<'PY' || rc=1
import sys
oa, oe, sa, se, x1, x2 = (float(v) for v in sys.argv[1:])
xdptx = (x1 + x2) / 2
print("\n== OWAMP receivers (medians, M records/s): AF_XDP auth %.3f, enc %.3f; socket auth %.3f, enc %.3f"
      % (oa, oe, sa, se))
print("   OWAMP AF_XDP auth / socket receiver    %6.3f" % (oa / sa))
print("   OWAMP AF_XDP enc  / socket receiver    %6.3f" % (oe / se))
print("   OWAMP AF_XDP auth / MAC-swap XDP_TX    %6.3f" % (oa / xdptx))
print("   OWAMP AF_XDP enc  / MAC-swap XDP_TX    %6.3f" % (oe / xdptx))
print("   against the AF_XDP TWAMP reflector: the interleaved ratios above")
PY
python3 - "$(mpps "$TMP/auth.out" afxdp-auth)" "$(mpps "$TMP/enc.out" afxdp-enc)" \
	"$(mpps "$TMP/auth.out" socket-auth)" "$(mpps "$TMP/enc.out" socket-enc)" \
	"$(mpps "$TMP/bare.out" bare)" "$(mpps "$TMP/veth1.out" "MAC-swap XDP_TX baseline")" \
	"$(mpps "$TMP/veth2.out" "MAC-swap XDP_TX baseline")" <<'PY' || rc=1
import sys
a_auth, a_enc, s_auth, s_enc, bare, x1, x2 = (float(v) for v in sys.argv[1:])
xdptx = (x1 + x2) / 2
print("\n== summary (medians, Mpps): AF_XDP auth %.3f, enc %.3f; socket auth %.3f, enc %.3f;"
      " bare AF_XDP %.3f; MAC-swap XDP_TX %.3f (before %.3f, after %.3f)"
      % (a_auth, a_enc, s_auth, s_enc, bare, xdptx, x1, x2))
print("   AF_XDP auth / bare AF_XDP reflector   %6.3f  (target >= 0.5)" % (a_auth / bare))
print("   AF_XDP enc  / bare AF_XDP reflector   %6.3f" % (a_enc / bare))
print("   AF_XDP auth / MAC-swap XDP_TX         %6.3f" % (a_auth / xdptx))
print("   AF_XDP enc  / MAC-swap XDP_TX         %6.3f" % (a_enc / xdptx))
print("   ratios to the socket path: see the interleaved figures above (target >= 3)")
PY
echo
echo "== crypto alone, per packet (crypto_cost)"
"$B/bench/crypto_cost" --rounds "$ROUNDS" | sed 's/^/   /' || rc=1
exit $rc
