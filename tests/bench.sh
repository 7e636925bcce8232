#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xwamp benchmarks (make bench, after make all).  Prints figures; exits 0
# unless something broke.  Every figure is a ratio against a baseline
# measured in the same run, interleaved round by round (B S1 B S2 ... B),
# because the machines are shared and drift 20-50% within minutes:
# absolute numbers are printed beside the ratios for scale only.
#
#   1. packets/s of xwampd's userspace reflector (open, auth, enc sessions)
#      vs a minimal UDP echo (tests/bench/udp_echo.c)
#   2. TWAMP-Control exchanges/s (open, auth/enc with PBKDF2 count 1024 and
#      2048) vs TCP connect + 64-octet read + close (tests/bench/tcp_greet.c)
#   3. round trip with one packet in flight through xwampd vs udp_echo;
#      3b. the same one packet every BENCH_PING_GAP_US (default 10000: a paced
#      client such as xwping -i 0.01), vs udp_echo --stamp (its reflector time
#      T3 - T2 taken as xwampd takes it), BENCH_GAP_PINGS per target per round
#   4. per-packet crypto cost of test packets vs memcpy (crypto_cost)
#   5. the XDP reflector (section "xdp"):
#      a. cost per packet under BPF_PROG_TEST_RUN vs a MAC-swap XDP_TX
#         program and vs MAC swap + one clock read (build/bench/bench_xdp;
#         also prints the verifier's processed instructions and JIT size);
#         the last line is the OWAMP receiver: records/s into the ring buffer,
#         against the same two baselines, every record consumed)
#      b. reflected packets/s over the veth, native XDP, vs the MAC-swap
#         program on the same veth; generator: BPF_PROG_RUN live frames on
#         the client veth (build/bench/bench_veth)
#      c. round trip with one packet in flight, XDP reflector vs udp_echo
#         (the userspace path; section 1/3 relate udp_echo to xwampd)
#   5d. the OWAMP socket receiver (section "owrecv", build/bench/owrecv):
#      records/s stored by xwampd's socket-path receive session (open mode,
#      14-octet packets over the veth, counted from Fetch-Session), against
#      a plain recvmmsg() loop on the same veth, interleaved round by round,
#      and against the XDP receiver's records/s from bench_xdp in this run
#   6. the AF_XDP reflector and the AF_XDP OWAMP receiver (section "afxdp",
#      tests/bench_afxdp.sh)
#   7. thousands of sessions at 10 packets/s each per path and mode, against
#      udp_echo under the same load (section "scale", tests/bench_scale.sh)
#
# Two network namespaces joined by a veth pair, documentation addresses
# (RFC 5737 192.0.2.0/24) only; everything is removed on exit.
#   client ns  veth xbc0  192.0.2.1/24     (twload)
#   server ns  veth xbs0  192.0.2.2/24     (xwampd, udp_echo, tcp_greet)
#
# Environment: BENCH_ROUNDS (default 5), BENCH_SECS (s per phase, default 1),
# BENCH_QUICK=1 (1 round, 0.5 s: a smoke run), BENCH_OW_COUNT (owrecv packets per round,
# default 200000), BENCH_OW_NOXDP=1 (owrecv without the XDP figure when section xdp is skipped), BENCH_ONLY="data setup crypto xdp owrecv afxdp scale"
# (a subset), BENCH_HOLD=1 (keep the namespaces and servers until Enter).
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
B=$BUILD/bench
XWAMPD=$BUILD/xwampd
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-1}
PINGS=${BENCH_PINGS:-2000}
GAP_US=${BENCH_PING_GAP_US:-10000}
GAP_PINGS=${BENCH_GAP_PINGS:-300}
XDP_REPEAT=1000000
XDP_FRAMES=2000000
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	ROUNDS=1 SECS=0.5 PINGS=500 XDP_REPEAT=200000 XDP_FRAMES=500000 GAP_PINGS=100
fi
C4=192.0.2.1
S4=192.0.2.2

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for p in "$XWAMPD" "$B/twload" "$B/udp_echo" "$B/tcp_greet" "$B/crypto_cost" "$B/bench_xdp" \
	"$B/bench_veth" "$B/owrecv"; do
	[ -x "$p" ] || die "$p missing: run make all first"
done

NS_C=xbc$$
NS_S=xbs$$
TMP=$(mktemp -d /tmp/xw-bench.XXXXXX)
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

in_c() { ip netns exec "$NS_C" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

ip netns add "$NS_C" || die "ip netns add failed"
ip netns add "$NS_S" || die "ip netns add failed"
ip link add xbc0 netns "$NS_C" type veth peer name xbs0 netns "$NS_S" || die "veth failed"
ip -n "$NS_C" link set lo up
ip -n "$NS_S" link set lo up
ip -n "$NS_C" addr add $C4/24 dev xbc0
ip -n "$NS_S" addr add $S4/24 dev xbs0
ip -n "$NS_C" link set xbc0 up
ip -n "$NS_S" link set xbs0 up
# many short TCP connections from one address: wide port range, TIME_WAIT reuse
# (per-namespace settings: the host is not touched)
in_c sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
in_c sysctl -qw net.ipv4.tcp_tw_reuse=1
in_s sysctl -qw net.core.somaxconn=4096
for i in $(seq 50); do
	in_c ping -c1 -W1 -q $S4 >/dev/null 2>&1 && break
	sleep 0.1
done

# the test key file: KeyID alice, passphrase "correct horse battery" in hex
KEYS=$TMP/keys
printf 'alice %s\n' "$(printf 'correct horse battery' | od -An -tx1 | tr -d ' \n')" >"$KEYS"
chmod 600 "$KEYS"

# start NAME CMD...: run in the server namespace, remember the pid
start() {
	local name=$1
	shift
	# not through in_s: $! must be the program itself (ip netns exec execs it)
	ip netns exec "$NS_S" "$@" >"$TMP/$name.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$name=$!"
}
wait_port() { # PROTO PORT
	local i
	for i in $(seq 100); do
		if [ "$1" = tcp ]; then
			in_s ss -Hltn "sport = :$2" | grep -q LISTEN && return 0
		else
			in_s ss -Hlun "sport = :$2" | grep -q . && return 0
		fi
		sleep 0.05
	done
	die "nothing listens on $1 port $2 (log: $(cat "$TMP"/*.log 2>/dev/null | tail -5))"
}

# -q: warnings only, so that logging is not what is measured; no connection limits
XWOPTS=(-q -k "$KEYS" --max-conns 0 --max-conns-per-client 0)
start xw "$XWAMPD" "${XWOPTS[@]}" -l $S4:862 --count 2048
start xw1024 "$XWAMPD" "${XWOPTS[@]}" -l $S4:863 --count 1024 --no-owamp
start echo "$B/udp_echo" $S4:7
start echo_ts "$B/udp_echo" --stamp $S4:8
start greet "$B/tcp_greet" $S4:7862
wait_port tcp 862
wait_port tcp 863
wait_port tcp 7862
wait_port udp 7
wait_port udp 8

# ip netns exec gives the pid of the exec'd program itself (no fork)
echo "xwamp benchmarks: $(nproc) CPUs, kernel $(uname -r), $ROUNDS rounds x $SECS s per phase"
echo "all figures: median over rounds of (subject / baseline measured right before and after it), (min..max)"
rc=0
t0=$(date +%s)
want() { case " ${BENCH_ONLY:-data setup crypto xdp owrecv afxdp scale} " in *" $1 "*) return 0 ;; esac; return 1; }
if want data; then
	in_c "$B/twload" data --xw $S4:862 --echo $S4:7 --local $C4 --rounds "$ROUNDS" \
		--secs "$SECS" --pings "$PINGS" --window 64 --xw-pid "$PID_xw" \
		--echo-pid "$PID_echo" --echo-ts $S4:8 --gap "$GAP_US" --gap-pings "$GAP_PINGS" ||
		rc=1
fi
if want setup; then
	in_c "$B/twload" setup --xw $S4:862 --xw1024 $S4:863 --greet $S4:7862 --local $C4 \
		--rounds "$ROUNDS" --secs "$SECS" --conns 8 --xw-pid "$PID_xw" \
		--xw1024-pid "$PID_xw1024" --greet-pid "$PID_greet" || rc=1
fi
if want crypto; then
	"$B/crypto_cost" --rounds "$ROUNDS" || rc=1
fi
if want xdp; then
	echo
	echo "== XDP reflector cost per packet, BPF_PROG_TEST_RUN, best of 7 rounds (bench_xdp)"
	echo "   ratio: / MAC-swap XDP_TX program; /clock: / MAC swap + one bpf_ktime_get_tai_ns()"
	BENCH_XDP_ROUNDS=$((ROUNDS > 7 ? ROUNDS : 7)) "$B/bench_xdp" "$XDP_REPEAT" | tee "$TMP/bench_xdp.txt" |
		sed 's/^/   /' || rc=1
	# a veth peer needs TX checksum offload off to accept XDP_TX'd answers to
	# its own sockets (doc/testbed.md section 5); put back after
	in_c ethtool -K xbc0 tx off >/dev/null 2>&1 || echo "bench: ethtool -K xbc0 tx off failed"
	"$B/bench_veth" "$NS_C" "$NS_S" xbc0 xbs0 --rounds "$ROUNDS" --frames "$XDP_FRAMES" \
		--pings "$PINGS" --echo $S4:7 || rc=1
	in_c ethtool -K xbc0 tx on >/dev/null 2>&1
fi
if want owrecv; then
	echo
	echo "== OWAMP receivers: records stored per second (owrecv; the XDP figure from bench_xdp)"
	start sink "$B/owrecv" sink $S4:9
	wait_port udp 9
	if [ ! -s "$TMP/bench_xdp.txt" ] && [ -z "${BENCH_OW_NOXDP:-}" ]; then
		BENCH_XDP_ROUNDS=7 "$B/bench_xdp" "$XDP_REPEAT" >"$TMP/bench_xdp.txt" 2>&1 || rc=1
	fi
	in_c "$B/owrecv" run --ow $S4:861 --sink $S4:9 --local $C4 --rounds "$ROUNDS" \
		--count "${BENCH_OW_COUNT:-200000}" >"$TMP/owrecv.txt" || rc=1
	grep -v '^owrecv_records_per_s' "$TMP/owrecv.txt" | sed 's/^/   /'
	sock=$(awk '/^owrecv_records_per_s/ {print $2}' "$TMP/owrecv.txt")
	xdp=$(sed -n 's/.*OWAMP receiver.*(\([0-9.]*\) M records\/s.*/\1/p' "$TMP/bench_xdp.txt" 2>/dev/null)
	if [ -n "$sock" ] && [ -n "$xdp" ]; then
		awk -v s="$sock" -v x="$xdp" 'BEGIN { printf "   OWAMP socket receiver / XDP receiver (BPF_PROG_TEST_RUN, one CPU): %.3fx (%.0f vs %.0f records/s)\n", s / (x * 1e6), s, x * 1e6 }'
	fi
fi
if want afxdp; then
	# its own namespaces: xwampd's AF_XDP path against its socket path
	echo
	tests/bench_afxdp.sh || rc=1
fi
if want scale; then
	# its own namespaces: thousands of sessions per path and mode (tests/bench_scale.sh)
	echo
	tests/bench_scale.sh || rc=1
fi
echo
echo "bench: $(($(date +%s) - t0)) s"
if [ "${BENCH_HOLD:-0}" = 1 ]; then
	echo "bench: namespaces $NS_C $NS_S kept; press Enter to clean up"
	read -r _
fi
for f in "$TMP"/xw*.log; do
	if grep -q . "$f"; then
		echo "bench: $(basename "$f"):"
		sed 's/^/  | /' "$f" | tail -n 10
	fi
done
[ $rc = 0 ] || echo "bench: something failed (see above)"
exit $rc
