#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The socket path's steering (README "Scale", loader/xwampd/steer.h): an
# sk_lookup program gives every session's datagrams to one shared socket
# per address family.  Asserts that the sessions are answered through it
# (IPv4 and IPv6, SIGUSR1 counts), that --no-sk-lookup reads each session's
# own socket and answers alike, and that steering widens nothing: a
# datagram for a session's port on another address of the host is refused
# by the kernel (ICMP port unreachable), one for the shared socket's own
# port is dropped and counted, neither is answered.
. "$(dirname "$0")/lib.sh"

COUNT=40

# ping_ok ADDR: one open session of $COUNT packets, all answered
ping_ok() {
	local out=$XW_TMP/ping.json
	in_c "$XWPING" -A open -c $COUNT -i 0.005 --json "$1" >"$out" 2>"$XW_TMP/ping.err" || {
		sed 's/^/#   /' "$XW_TMP/ping.err"
		return 1
	}
	expect "$1: $COUNT answered" \
		[ "$(json_get "$out" '(j["sessions"][0] if "sessions" in j else j)["packets"]["received"]')" = $COUNT ]
}

# status_line: SIGUSR1's line about the socket path
status_line() {
	local n
	n=$(grep -c 'socket path: ' "$XW_TMP/xwampd.log")
	kill -USR1 "$XW_SRV_PID"
	for _ in $(seq 100); do
		[ "$(grep -c 'socket path: ' "$XW_TMP/xwampd.log")" -gt "$n" ] && break
		sleep 0.05
	done
	grep 'socket path: ' "$XW_TMP/xwampd.log" | tail -n 1
}

# steered N: the last status line says N datagrams were read from the shared sockets
steered() {
	status_line | sed -n 's/.*sk_lookup: \([0-9]*\) datagrams read.*/\1/p'
}

both_families() {
	xw_start_server --listen $XW_S4 --listen "[$XW_S6]" --modes open --metrics $XW_S4:9862 ||
		return 1
	ping_ok $XW_S4 || return 1
	expect "IPv4: $COUNT datagrams through the shared socket" [ "$(steered)" -eq $COUNT ] ||
		return 1
	ping_ok "[$XW_S6]" || return 1
	expect "IPv6 too" [ "$(steered)" -eq $((2 * COUNT)) ] || return 1
	xw_log "$(status_line)"
	local m
	m=$(in_c python3 -c 'import urllib.request; print(urllib.request.urlopen("http://192.0.2.2:9862/metrics", timeout=3).read().decode())' |
		grep -E '^xwampd_socket_packets_(steered|no_session)_total ')
	xw_log "metrics: $(echo $m)"
	expect "the metrics say so" grep -q "^xwampd_socket_packets_steered_total $((2 * COUNT))$" <<<"$m" ||
		return 1
	expect "none of no session" grep -q "^xwampd_socket_packets_no_session_total 0$" <<<"$m"
}

# --no-sk-lookup: each session's own socket, the same answers
own_sockets() {
	xw_start_server --listen $XW_S4 --modes open --no-sk-lookup || return 1
	ping_ok $XW_S4 || return 1
	expect "no shared socket" grep -q "socket path: each session's datagrams read from its own" \
		<(status_line) || return 1
	expect "the session's own socket answered" \
		xw_wait_log "stopped: received $COUNT, reflected $COUNT, dropped 0"
}

# A session's port on another address of the host: the kernel's answer
# (no socket there), not the session's.
other_address() {
	ip -n "$XW_NS_S" addr add 192.0.2.3/24 dev xws0
	xw_start_server --listen $XW_S4 --modes open || return 1
	in_c "$XWPING" -A open -c 100 -i 0.05 $XW_S4 >/dev/null 2>&1 &
	local p=$! port res
	xw_wait_log 'started, path' || return 1
	port=$(sed -n 's/.* 192\.0\.2\.2:\([0-9]*\)<-.*started, path.*/\1/p' "$XW_TMP/xwampd.log")
	res=$(in_c python3 - "$port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.11", 0))
s.connect(("192.0.2.3", int(sys.argv[1])))
s.settimeout(1)
try:
    s.send(bytes(41))
    s.recv(2048)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("silence")
PY
)
	wait $p
	xw_log "datagram to 192.0.2.3:$port (the session is on 192.0.2.2:$port): $res"
	expect "ICMP port unreachable, as without steering" [ "$res" = refused ] || return 1
	expect "never reached the session" \
		xw_wait_log "stopped: received 100, reflected 100, dropped 0" || return 1
	expect "nor the shared socket" grep -q 'sk_lookup: 100 datagrams read from the shared sockets, 0 of no' <(status_line)
}

# The shared socket's own port (bound to the wildcard): no session's, dropped.
shared_port() {
	xw_start_server --listen $XW_S4 --modes open || return 1
	local port res
	port=$(in_s ss -Huanp 'src 0.0.0.0' | grep xwampd | sed -n 's/.*0\.0\.0\.0:\([0-9]*\) .*/\1/p' |
		head -n 1)
	expect "a shared IPv4 socket" [ -n "$port" ] || return 1
	res=$(in_c python3 - "$port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.11", 0))
s.settimeout(1)
s.sendto(bytes(41), ("192.0.2.2", int(sys.argv[1])))
try:
    s.recv(2048)
    print("answered")
except OSError:
    print("silence")
PY
)
	xw_log "datagram to the shared socket's port $port: $res"
	expect "not answered" [ "$res" = silence ] || return 1
	expect "dropped and logged" xw_wait_log "dropped a datagram from 192.0.2.11:[0-9]* to port $port: no session there" || return 1
	expect "counted" grep -q 'sk_lookup: 1 datagrams read from the shared sockets, 1 of no session' <(status_line)
}

TESTS=(both_families own_sockets other_address shared_port)
xw_run "$@"
