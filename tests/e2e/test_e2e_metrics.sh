#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Prometheus metrics (--metrics ADDR:PORT) of xwampd and xwping, scraped by a
# real Prometheus server (Debian's prometheus) in the client namespace and
# read back through its HTTP API; and the endpoint under attack: slowloris
# clients and a huge request neither stall the daemon nor stop a scrape.
. "$(dirname "$0")/lib.sh"

PROM=${PROMETHEUS:-prometheus}

# prom_query EXPR: the first value of an instant query, "" when none
prom_query() {
	in_c python3 - "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
q = urllib.parse.quote(sys.argv[1])
try:
    j = json.load(urllib.request.urlopen("http://127.0.0.1:9090/api/v1/query?query=" + q, timeout=3))
    r = j["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception as e:
    print("")
PY
}

# prom_wait EXPR N: wait up to 20 s until EXPR >= N (integers); its last value in V
prom_wait() {
	local i
	for i in $(seq 80); do
		sleep 0.25
		V=$(prom_query "$1")
		[ "${V:-0}" -ge "$2" ] 2>/dev/null && return 0
	done
	return 1
}

# start_prometheus JOB=TARGET...: Prometheus in the client namespace scraping
# each target every second, its API on 127.0.0.1:9090
start_prometheus() {
	local j
	{
		printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n'
		for j in "$@"; do
			printf '  - job_name: %s\n    static_configs: [{targets: ["%s"]}]\n' "${j%%=*}" "${j#*=}"
		done
	} >"$XW_TMP/prom.yml"
	ip netns exec "$XW_NS_C" "$PROM" --config.file="$XW_TMP/prom.yml" \
		--storage.tsdb.path="$XW_TMP/tsdb" --web.listen-address=127.0.0.1:9090 \
		>"$XW_TMP/prom.log" 2>&1 &
	XW_PIDS="$XW_PIDS $!"
}

scraped_by_prometheus() {
	command -v "$PROM" >/dev/null || { xw_log "no prometheus (apt-get install prometheus)"; return $XW_SKIP; }
	xw_start_server --listen $XW_S4 --modes open --metrics $XW_S4:9862 || return 1
	start_prometheus xwampd=$XW_S4:9862 xwping=127.0.0.1:9863
	ip netns exec "$XW_NS_C" "$XWPING" -q -c 120 -i 0.1 --metrics 127.0.0.1:9863 $XW_S4 \
		>"$XW_TMP/ping.out" 2>&1 &
	local ping=$! i v sent refl
	XW_PIDS="$XW_PIDS $ping"
	# both targets up, and the counters moving, within 10 s
	for i in $(seq 40); do
		sleep 0.25
		v=$(prom_query 'sum(up)')
		sent=$(prom_query 'xwping_packets_sent_total{target="192.0.2.2:862"}')
		refl=$(prom_query 'xwampd_socket_packets_reflected_total')
		[ "$v" = 2 ] && [ "${sent:-0}" -ge 20 ] 2>/dev/null && [ "${refl:-0}" -ge 20 ] 2>/dev/null && break
	done
	xw_log "up=$v xwping sent=$sent xwampd reflected=$refl"
	expect "both targets scraped (up == 2)" [ "$v" = 2 ] || { tail -5 "$XW_TMP/prom.log"; return 1; }
	expect "xwping_packets_sent_total >= 20" [ "${sent:-0}" -ge 20 ] || return 1
	expect "xwampd_socket_packets_reflected_total >= 20" [ "${refl:-0}" -ge 20 ] || return 1
	v=$(prom_query 'xwampd_reflector_sessions{mode="open",path="socket"}')
	expect "one open session on the socket path ($v)" [ "$v" = 1 ] || return 1
	v=$(prom_query 'xwping_session_state{state="sending"}')
	expect "xwping is sending ($v)" [ "$v" = 1 ] || return 1
	v=$(prom_query 'histogram_quantile(0.5, xwping_delay_seconds_bucket{direction="round_trip"})')
	xw_log "median round trip from the histogram: $v s"
	expect "a median round trip below 10 ms" python3 -c "import sys; v=float(sys.argv[1]); sys.exit(not 0 < v < 0.01)" "$v" || return 1
	v=$(prom_query 'xwping_delay_seconds_count{direction="forward"}')
	expect "forward delays counted ($v)" [ "${v:-0}" -ge 20 ] || return 1
	v=$(prom_query 'xwping_clock_synchronized')
	expect "clock state exported ($v)" [ -n "$v" ] || return 1
	v=$(prom_query 'xwampd_control_connections')
	expect "one control connection ($v)" [ "$v" = 1 ] || return 1
	kill -INT $ping
	wait $ping
	true
}

# Slowloris and a huge request: the daemon answers TWAMP and a scrape meanwhile,
# the slow connections are evicted or closed at the deadline, the huge one gets 431.
endpoint_attacked() {
	xw_start_server --listen $XW_S4 --modes open --metrics $XW_S4:9862 || return 1
	in_c python3 - <<'PY' || return 1
import socket, time, sys
A = ("192.0.2.2", 9862)
def scrape():
    s = socket.create_connection(A, timeout=3)
    s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    return data
# 30 slowloris clients: one byte each, then nothing
slow = []
for i in range(30):
    s = socket.create_connection(A, timeout=3)
    s.sendall(b"G")
    slow.append(s)
t0 = time.time()
r = scrape()
dt = time.time() - t0
assert r.startswith(b"HTTP/1.0 200 OK"), r[:80]
assert b"xwampd_control_connections" in r
# a scrape that waited for a slow client's slot would take its 5 s deadline
# (XW_HTTPM_DEADLINE_MS); half of that leaves room for a loaded machine
assert dt < 2.5, "scrape took %.2f s behind slowloris" % dt
print("# scrape with 30 slow clients: %.3f s" % dt)
# the oldest were evicted: at most 8 slots, the rest see EOF
closed = 0
for s in slow:
    s.settimeout(0.2)
    try:
        closed += s.recv(10) == b""
    except socket.timeout:
        pass
    except ConnectionResetError:  # closed with its byte unread: a reset
        closed += 1
assert closed >= 30 - 8, "only %d slow connections closed" % closed
# the survivors are closed at the 5 s deadline
t0 = time.time()
for s in slow:
    s.settimeout(8)
    try:
        s.recv(10)
    except (socket.timeout, ConnectionResetError):
        pass
dt = time.time() - t0
assert dt < 7.5, "slow connections lived %.1f s" % dt
# a huge request head: 431, closed, and no memory to speak of
s = socket.create_connection(A, timeout=3)
try:
    s.sendall(b"GET /metrics HTTP/1.0\r\nX-Junk: " + b"a" * 100000)
except (BrokenPipeError, ConnectionResetError):
    pass
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except ConnectionResetError:
    pass
assert data.startswith(b"HTTP/1.0 431"), data[:60]
assert scrape().startswith(b"HTTP/1.0 200 OK")
# other methods and paths
s = socket.create_connection(A, timeout=3)
s.sendall(b"POST /metrics HTTP/1.0\r\n\r\n")
assert s.recv(100).startswith(b"HTTP/1.0 405")
s = socket.create_connection(A, timeout=3)
s.sendall(b"GET /secret HTTP/1.0\r\n\r\n")
assert s.recv(100).startswith(b"HTTP/1.0 404")
PY
	# and TWAMP was served all along
	in_c "$XWPING" -q -c 5 -i 0.02 $XW_S4 >"$XW_TMP/ping.out" 2>&1 || return 1
	expect "TWAMP answered" grep -q '^5 sent, 5 received' "$XW_TMP/ping.out"
}

# Accept codes by message: a refused passphrase is a Server-Start Accept 1,
# a good run a Server-Start and an Accept-Session Accept 0.
accept_codes() {
	local kf wrong=$XW_TMP/wrong
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --keyfile "$kf" --modes open,auth --metrics $XW_S4:9862 || return 1
	printf 'alice %s\n' "$(printf 'wrong' | od -An -tx1 | tr -d ' \n')" >"$wrong"
	chmod 600 "$wrong"
	in_c "$XWPING" -A auth -u alice -k "$wrong" -c 1 $XW_S4 >/dev/null 2>&1 && return 1
	in_c "$XWPING" -q -c 2 -i 0.02 $XW_S4 >/dev/null 2>&1 || return 1
	# OWAMP: one run both ways (its to_server data fetched), and a Fetch-Session
	# for a session that never was
	xw_wait_owamp || return 1
	in_c "$XWPING" -O -q -c 2 -i 0.02 --wait 0.5 --json $XW_S4 >/dev/null 2>&1 || return 1
	in_c "$XWPING" -O -q --fetch 000102030405060708090a0b0c0d0e0f $XW_S4 >/dev/null 2>&1 && return 1
	in_c python3 - <<'PY'
import urllib.request
t = urllib.request.urlopen("http://192.0.2.2:9862/metrics", timeout=3).read().decode()
v = {}
for l in t.splitlines():
    if l.startswith("xwampd_accept_total{"):
        k, n = l.rsplit(" ", 1)
        v[k] = int(n)
def get(msg, meaning):
    return [n for k, n in v.items() if 'message="%s"' % msg in k and 'meaning="%s"' % meaning in k][0]
print("# server_start ok %d failure %d, accept_session ok %d" % (get("server_start", "ok"), get("server_start", "failure"), get("accept_session", "ok")))
def bad(msg):
    return sum(n for k, n in v.items() if 'message="%s"' % msg in k and 'meaning="ok"' not in k)
print("# start_ack ok %d, fetch_ack ok %d refused %d, stop_sessions ok %d" % (get("start_ack", "ok"), get("fetch_ack", "ok"), bad("fetch_ack"), get("stop_sessions", "ok")))
assert get("server_start", "failure") == 1
# the TWAMP run, the OWAMP run, the Fetch-Session connection
assert get("server_start", "ok") == 3
# one TWAMP session, two OWAMP ones (to and from the server)
assert get("accept_session", "ok") == 3
assert get("accept_session", "failure") == 0
# one Start-Sessions per run
assert get("start_ack", "ok") == 2 and bad("start_ack") == 0
# the run's own fetch accepted, the unknown SID refused
assert get("fetch_ack", "ok") == 1 and bad("fetch_ack") == 1
# our Stop-Sessions answering the OWAMP client's (RFC 4656 3.8)
assert get("stop_sessions", "ok") == 1
PY
}

# --xdp: the XDP program's and the AF_XDP sockets' counters (what SIGUSR1
# logs) move with the packets each path answered.
xdp_paths() {
	local kf
	kf=$(xw_keyfile)
	# full checksums from the client (README "veth and checksums"), else XDP passes them
	in_c ethtool -K xwc0 tx off >/dev/null
	xw_start_server --listen $XW_S4 --keyfile "$kf" --modes open,auth --xdp xws0 \
		--bpf-dir /sys/fs/bpf/xwamp-m$$ --metrics $XW_S4:9862 || return 1
	in_c "$XWPING" -q -A open -c 20 -i 0.01 $XW_S4 >/dev/null 2>&1 || return 1
	in_c "$XWPING" -q -A auth -u alice -k "$kf" -c 30 -i 0.01 $XW_S4 >/dev/null 2>&1 || return 1
	in_c python3 - <<'PY'
import urllib.request
t = urllib.request.urlopen("http://192.0.2.2:9862/metrics", timeout=3).read().decode()
v = {}
for l in t.splitlines():
    if l and not l.startswith("#"):
        k, n = l.rsplit(" ", 1)
        v[k] = float(n)
xdp = v.get('xwampd_xdp_frames_total{result="reflected"}', 0)
ax = sum(n for k, n in v.items() if k.startswith("xwampd_afxdp_frames_total") and 'result="tx"' in k)
print("# XDP reflected %d, AF_XDP tx %d, attached %s" % (xdp, ax, v.get("xwampd_xdp_attached")))
assert v.get("xwampd_xdp_attached") == 1
assert xdp >= 20, xdp
assert ax >= 30, ax
PY
}

# --continuous --metrics: the parent serves every target (fleet.h). Two targets,
# one down (nothing listens on its port); Prometheus scrapes while intervals go
# by: the live target's counters only grow across intervals and its histogram
# is cumulative, the dead one says "down" with its failures counted.
continuous_fleet() {
	command -v "$PROM" >/dev/null || { xw_log "no prometheus (apt-get install prometheus)"; return $XW_SKIP; }
	xw_start_server --listen $XW_S4 --modes open || return 1
	start_prometheus xwping=127.0.0.1:9863
	ip netns exec "$XW_NS_C" "$XWPING" --continuous --report-interval 1 -i 0.01 --wait 0.2 \
		--metrics 127.0.0.1:9863 $XW_S4 192.0.2.2:8630 >"$XW_TMP/c.out" 2>"$XW_TMP/c.err" &
	local p=$! i v s1 s2 n1 n2 iv down fails
	XW_PIDS="$XW_PIDS $p"
	# at least 2 intervals of the live target seen by Prometheus within 20 s
	prom_wait 'xwping_intervals_total{target="192.0.2.2"}' 2
	iv=$V
	s1=$(prom_query 'xwping_packets_sent_total{target="192.0.2.2"}')
	n1=$(prom_query 'xwping_delay_seconds_count{target="192.0.2.2",direction="round_trip"}')
	expect "2 intervals scraped ($iv)" [ "${iv:-0}" -ge 2 ] || { tail -5 "$XW_TMP/prom.log" "$XW_TMP/c.err"; return 1; }
	# more intervals (100 packets each), within 15 s
	for i in $(seq 60); do
		sleep 0.25
		s2=$(prom_query 'xwping_packets_sent_total{target="192.0.2.2"}')
		n2=$(prom_query 'xwping_delay_seconds_count{target="192.0.2.2",direction="round_trip"}')
		[ "${s2:-0}" -ge $((s1 + 200)) ] 2>/dev/null && [ "${n2:-0}" -ge $((n1 + 200)) ] 2>/dev/null && break
	done
	xw_log "sent_total $s1 -> $s2, round-trip count $n1 -> $n2"
	expect "sent_total grows across intervals ($s1 -> $s2)" [ "${s2:-0}" -ge $((s1 + 200)) ] || return 1
	expect "histogram cumulative ($n1 -> $n2)" [ "${n2:-0}" -ge $((n1 + 200)) ] || return 1
	# no counter ever went down in what Prometheus stored
	v=$(prom_query 'sum(resets(xwping_packets_sent_total{target="192.0.2.2"}[1m])) + sum(resets(xwping_delay_seconds_count{target="192.0.2.2",direction="round_trip"}[1m]))')
	expect "no counter reset ($v)" [ "$v" = 0 ] || return 1
	v=$(prom_query 'histogram_quantile(0.5, xwping_delay_seconds_bucket{target="192.0.2.2",direction="round_trip"})')
	xw_log "median round trip: $v s"
	expect "a median round trip below 10 ms" python3 -c "import sys; v=float(sys.argv[1]); sys.exit(not 0 < v < 0.01)" "$v" || return 1
	v=$(prom_query 'xwping_target_up{target="192.0.2.2"}')
	expect "live target up ($v)" [ "$v" = 1 ] || return 1
	down=$(prom_query 'xwping_session_state{target="192.0.2.2:8630",state="down"}')
	fails=$(prom_query 'xwping_failures_total{target="192.0.2.2:8630"}')
	v=$(prom_query 'xwping_target_up{target="192.0.2.2:8630"}')
	xw_log "dead target: down=$down failures=$fails up=$v"
	expect "dead target shows down" [ "$down" = 1 ] || return 1
	expect "dead target's failures counted ($fails)" [ "${fails:-0}" -ge 2 ] || return 1
	expect "dead target not up ($v)" [ "$v" = 0 ] || return 1
	v=$(prom_query 'xwping_packets_sent_total{target="192.0.2.2:8630"}')
	expect "dead target sent nothing ($v)" [ "$v" = 0 ] || return 1
	v=$(prom_query 'xwping_clock_synchronized{target="192.0.2.2"}')
	expect "clock state exported ($v)" [ -n "$v" ] || return 1
	# the JSON lines still come, and SIGTERM ends the lot
	kill -TERM $p
	wait $p
	v=$?
	expect "SIGTERM: 143 ($v)" [ $v = 143 ] || return 1
	expect "JSON lines of both targets" grep -q '"target":"192.0.2.2:8630"' "$XW_TMP/c.out" || return 1
	grep -q '"target":"192.0.2.2",.*"sessions"' "$XW_TMP/c.out"
}

# -O --continuous --metrics: OWAMP's fleet, per target and direction
# (direction="forward": to the server, "backward": from it) under the same
# names, scraped by Prometheus: both directions' counters grow with no reset,
# nothing is lost on the veth, one-way delay histograms per direction (no
# round trip), the refusing target shows down.
continuous_owamp_fleet() {
	command -v "$PROM" >/dev/null || { xw_log "no prometheus (apt-get install prometheus)"; return $XW_SKIP; }
	xw_start_server --listen $XW_S4 --modes open || return 1
	xw_wait_owamp || return 1
	start_prometheus xwping=127.0.0.1:9864
	ip netns exec "$XW_NS_C" "$XWPING" -O --continuous --report-interval 1 -i 0.01 --wait 0.2 \
		--metrics 127.0.0.1:9864 $XW_S4 192.0.2.2:8631 >"$XW_TMP/o.out" 2>"$XW_TMP/o.err" &
	local p=$! i v d iv s1 s2
	XW_PIDS="$XW_PIDS $p"
	prom_wait 'xwping_intervals_total{target="192.0.2.2"}' 2
	iv=$V
	expect "2 OWAMP intervals scraped ($iv)" [ "${iv:-0}" -ge 2 ] || { tail -5 "$XW_TMP/prom.log" "$XW_TMP/o.err"; return 1; }
	for d in forward backward; do
		s1=$(prom_query "xwping_packets_sent_total{target=\"192.0.2.2\",direction=\"$d\"}")
		prom_wait "xwping_packets_sent_total{target=\"192.0.2.2\",direction=\"$d\"}" $((s1 + 200))
		s2=$V
		xw_log "$d: sent_total $s1 -> $s2"
		expect "$d: sent_total grows across intervals ($s1 -> $s2)" [ "${s2:-0}" -ge $((s1 + 200)) ] || return 1
		v=$(prom_query "xwping_packets_lost_total{target=\"192.0.2.2\",direction=\"$d\"}")
		expect "$d: nothing lost on the veth ($v)" [ "$v" = 0 ] || return 1
		v=$(prom_query "xwping_delay_seconds_count{target=\"192.0.2.2\",direction=\"$d\"}")
		expect "$d: one delay sample per packet received ($v)" [ "${v:-0}" -ge 200 ] || return 1
		v=$(prom_query "histogram_quantile(0.5, xwping_delay_seconds_bucket{target=\"192.0.2.2\",direction=\"$d\"})")
		xw_log "$d: median one-way delay $v s"
		expect "$d: a median one-way delay below 10 ms ($v)" python3 -c "import sys; v=float(sys.argv[1]); sys.exit(not 0 <= v < 0.01)" "$v" || return 1
		v=$(prom_query "xwping_clock_synchronized{target=\"192.0.2.2\",direction=\"$d\"}")
		expect "$d: clock state exported ($v)" [ -n "$v" ] || return 1
	done
	in_c curl -s 127.0.0.1:9864/metrics | grep -E '^xwping_(packets_sent_total|delay_seconds_count)\{target="192.0.2.2"' | sed 's/^/#   /'
	v=$(prom_query 'sum(resets(xwping_packets_sent_total{target="192.0.2.2"}[1m])) + sum(resets(xwping_delay_seconds_count{target="192.0.2.2"}[1m]))')
	expect "no counter reset ($v)" [ "$v" = 0 ] || return 1
	v=$(prom_query 'count(xwping_delay_seconds_count{direction="round_trip"})')
	expect "no round-trip series for OWAMP ($v)" [ -z "$v" ] || return 1
	v=$(prom_query 'xwping_session_state{target="192.0.2.2:8631",state="down"}')
	expect "dead target shows down ($v)" [ "$v" = 1 ] || return 1
	v=$(prom_query 'xwping_packets_sent_total{target="192.0.2.2:8631",direction="forward"}')
	expect "dead target sent nothing ($v)" [ "$v" = 0 ] || return 1
	kill -TERM $p
	wait $p
	v=$?
	expect "SIGTERM: 143 ($v)" [ $v = 143 ] || return 1
	grep -q '"target":"192.0.2.2",.*"protocol":"owamp"' "$XW_TMP/o.out" || return 1
	# a one-shot -O has no endpoint: said, not ignored
	in_c "$XWPING" -O --metrics 127.0.0.1:9865 -c 2 $XW_S4 >/dev/null 2>"$XW_TMP/m1.err"
	v=$?
	expect "-O --metrics without --continuous: usage error ($v)" [ $v = 2 ] || return 1
	expect "and why" grep -q 'with --continuous only' "$XW_TMP/m1.err"
}

TESTS=(scraped_by_prometheus endpoint_attacked accept_codes xdp_paths continuous_fleet continuous_owamp_fleet)
xw_run "$@"
