#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Which sessions xwampd accepts (RFC 4656 6.2, RFC 5357 6), attacked over
# the veth pair: a Sender Address that is not the control peer is declined
# (Accept 1) and nothing is ever sent to it, an --allow-sender prefix admits
# one, martian senders and foreign Receiver Addresses are declined,
# privileged and used ports are never given out (the next free port of the
# range instead), sessions never started expire, the total session limit
# holds across connections, and IPv6 clients count per /64.  The OWAMP server
# on 861 follows the same rules in both directions (owamp_*).
#
# The "victim" of a spoofed Sender Address is 192.0.2.11, a spare address of
# the client namespace, so that its socket can prove what reached it.
. "$(dirname "$0")/lib.sh"

REQ=$(dirname "$0")/twreq.py
N=${N:-5}

req() { in_c python3 "$REQ" "$@"; }

# server_logged REGEX: xwampd wrote a line matching REGEX
server_logged() {
	grep -Eq -e "$1" "$XW_TMP/xwampd.log" || {
		xw_log "no xwampd log line matching /$1/"
		return 1
	}
}

# has OUTPUT REGEX: a line of twreq.py's output matches
has() {
	grep -Eq "$2" <<<"$1" || {
		xw_log "expected /$2/ in:"
		sed 's/^/#   /' <<<"$1"
		return 1
	}
}

spoofed_sender_declined() {
	xw_start_server --listen $XW_S4 --allow-sender 192.0.2.12/32 || return 1
	server_logged "policy: Sender Addresses in 192\.0\.2\.12/32 accepted" || return 1
	local out
	# the attack: 192.0.2.1 asks for answers to 192.0.2.11, then "192.0.2.11" sends
	out=$(req $XW_S4 --src $XW_C4 --sender 192.0.2.11 --rport 40001 --start --packets $N)
	has "$out" "session 1: accept 1 port 0 replies 0 sizes -" || return 1
	server_logged "declined: Sender Address 192\.0\.2\.11 is not the control connection's peer 192\.0\.2\.1.*Accept 1" ||
		return 1
	# the same measurement finds the answers when they are due: the allowed prefix
	out=$(req $XW_S4 --src $XW_C4 --sender 192.0.2.12 --start --packets $N)
	has "$out" "session 1: accept 0 port [0-9]+ replies $N sizes 41" || return 1
	server_logged "Sender Address 192\.0\.2\.12 admitted by --allow-sender 192\.0\.2\.12/32" ||
		return 1
	# and the control peer itself, as zero or spelled out
	out=$(req $XW_S4 --src $XW_C4 --start --packets $N)
	has "$out" "session 1: accept 0 port [0-9]+ replies $N sizes 41" || return 1
	out=$(req $XW_S4 --src $XW_C4 --sender $XW_C4 --start --packets $N)
	has "$out" "session 1: accept 0 port [0-9]+ replies $N sizes 41" || return 1
}

# Same attack with the XDP reflector: no session entry, XDP answers nothing.
spoofed_sender_declined_xdp() {
	local bpf=$XW_TMP/bpf out
	mkdir -p "$bpf" && mount -t bpf bpf "$bpf" || return 1
	# XDP_TX on a veth needs an XDP program on the peer; checksums complete
	ip -n "$XW_NS_C" link set dev xwc0 xdpdrv obj "$XW_BUILD/bpf/xdp_pass.bpf.o" sec xdp ||
		return 1
	in_c ethtool -K xwc0 tx off >/dev/null
	xw_start_server --listen $XW_S4 --xdp xws0 --xdp-mode native --bpf-dir "$bpf/xwamp" || {
		umount "$bpf"
		return 1
	}
	out=$(req $XW_S4 --src $XW_C4 --sender 192.0.2.11 --rport 40001 --start --packets $N)
	local rc=0
	has "$out" "session 1: accept 1 port 0 replies 0" || rc=1
	# positive control: a legitimate session on the same path is answered by XDP
	out=$(req $XW_S4 --src $XW_C4 --start --packets $N --padding ${PAD:-27})
	has "$out" "session 1: accept 0 port [0-9]+ replies $N sizes 41" || rc=1
	server_logged "path: XDP on xws0" || rc=1
	kill "$XW_SRV_PID"
	wait "$XW_SRV_PID" 2>/dev/null
	# every answer came from XDP, and the declined session had no entry to answer from
	server_logged "control connection closed: received 0, .*XDP: reflected $N " || rc=1
	umount "$bpf"
	return $rc
}

martian_senders_declined() {
	# even with every address allowed
	xw_start_server --listen $XW_S4 --allow-sender 0.0.0.0/0 || return 1
	local a out
	for a in 224.0.0.1 255.255.255.255 192.0.2.255 0.0.0.1 127.0.0.1 240.0.0.1; do
		out=$(req $XW_S4 --src $XW_C4 --sender $a --sport 40000 --rport 40001)
		has "$out" "session 1: accept 1 port 0" || return 1
		server_logged "declined: Sender Address ${a//./\\.} is" || return 1
	done
	server_logged "192\.0\.2\.255 is the broadcast address of a subnet" || return 1
}

receiver_not_ours_declined() {
	xw_start_server --listen $XW_S4 || return 1
	local out
	out=$(req $XW_S4 --src $XW_C4 --receiver 192.0.2.77)
	has "$out" "session 1: accept 1 port 0" || return 1
	server_logged "declined: Receiver Address 192\.0\.2\.77 is not an address of this host" ||
		return 1
	out=$(req $XW_S4 --src $XW_C4 --receiver $XW_C4)
	has "$out" "session 1: accept 1 port 0" || return 1
	out=$(req $XW_S4 --src $XW_C4 --receiver $XW_S4 --start --packets $N)
	has "$out" "session 1: accept 0 port [0-9]+ replies $N" || return 1
}

# The Receiver Address check reads xwampd's rtnetlink view of its addresses
# (ownaddr.h), as the XDP programs and TWAMP Light do: an IPv6 address still
# in DAD (tentative: it receives nothing) is not ours although the interface
# lists it (getifaddrs() would say it is), and an address added a moment ago
# is ours at once.
receiver_tentative_declined() {
	xw_start_server --listen "[$XW_S6]" || return 1
	local out
	# DAD of 100 probes, 1 s apart: tentative for the whole test
	in_s sysctl -qw net.ipv6.conf.xws0.dad_transmits=100 || return 1
	ip -n "$XW_NS_S" addr add 2001:db8::77/64 dev xws0 || return 1
	expect "2001:db8::77 tentative on xws0" \
		sh -c "ip -n '$XW_NS_S' -6 addr show dev xws0 | grep -q '2001:db8::77/64 .*tentative'" ||
		return 1
	out=$(req $XW_S6 --src $XW_C6 --receiver 2001:db8::77)
	has "$out" "session 1: accept 1 port 0" || return 1
	server_logged "declined: Receiver Address 2001:db8::77 is not an address of this host" ||
		return 1
	ip -n "$XW_NS_S" addr add 2001:db8::78/64 dev xws0 nodad || return 1
	out=$(req $XW_S6 --src $XW_C6 --receiver 2001:db8::78)
	has "$out" "session 1: accept 0 port [0-9]+" || return 1
}

# A UDP socket on PORT in the server namespace for S seconds (a "host service").
occupy() {
	in_s python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",int(sys.argv[1]))); time.sleep(float(sys.argv[2]))' "$1" "$2" &
	XW_PIDS="$XW_PIDS $!"
	local _
	for _ in $(seq 50); do
		in_s ss -Hlun "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# port_of FILE N: the Port of session N in a twreq.py output file
port_of() { sed -n "s/^session $2: accept 0 port \([0-9]*\) .*/\1/p" "$1"; }

ports_in_range() {
	occupy 20001 30 || return 1
	xw_start_server --listen $XW_S4 --port-range 20000-20009 || return 1
	server_logged "reflector ports 20000-20009" || return 1
	# IKE's port: the first free port of the range instead, and it is answered there
	req $XW_S4 --src $XW_C4 --rport 500 --start --packets $N --hold 6 >"$XW_TMP/a" &
	local a=$!
	# each next request once the one before holds its port (log), not after a sleep
	xw_wait_log "requested reflector port 500 not available .*: port 20000" || return 1
	# a port a host socket has: the next free one (20002), and it is answered there
	req $XW_S4 --src $XW_C4 --rport 20001 --start --packets $N --hold 4 >"$XW_TMP/b" &
	local b=$!
	xw_wait_log "requested reflector port 20001 not available .*: port 20002" || return 1
	# A's port: past 20001 (host socket) and 20002 (session B): 20003
	req $XW_S4 --src $XW_C4 --rport 20000 >"$XW_TMP/c"
	wait $a $b
	cat "$XW_TMP/a" "$XW_TMP/b" "$XW_TMP/c" | sed 's/^/# /'
	expect "port 500 -> 20000" [ "$(port_of "$XW_TMP/a" 1)" = 20000 ] || return 1
	grep -q "replies $N sizes 41" "$XW_TMP/a" || return 1
	expect "used port 20001 -> 20002" [ "$(port_of "$XW_TMP/b" 1)" = 20002 ] || return 1
	grep -q "replies $N sizes 41" "$XW_TMP/b" || return 1
	expect "taken 20000 -> 20003" [ "$(port_of "$XW_TMP/c" 1)" = 20003 ] || return 1
	server_logged "requested reflector port 500 not available .*: port 20000" || return 1
	server_logged "requested reflector port 20001 not available .*: port 20002" || return 1
}

ports_default() {
	occupy 4500 30 || return 1
	xw_start_server --listen $XW_S4 || return 1
	local out p
	for p in 500 53 4500; do
		out=$(req $XW_S4 --src $XW_C4 --rport $p --start --packets $N)
		has "$out" "session 1: accept 0 port [0-9]+ replies $N sizes 41" || return 1
		got=$(sed -n 's/^session 1: accept 0 port \([0-9]*\) .*/\1/p' <<<"$out")
		expect "port $p -> $got: not $p, not privileged" [ "$got" != "$p" ] &&
			[ "$got" -ge 1024 ] || return 1
	done
	# a free unprivileged port is given as asked
	out=$(req $XW_S4 --src $XW_C4 --rport 20005)
	has "$out" "session 1: accept 0 port 20005 " || return 1
	# privileged ports only when explicitly allowed
	"$XWAMPD" --port-range 500-600 --listen 127.0.0.1:1 >"$XW_TMP/bad.log" 2>&1
	expect "a privileged range is refused" [ $? = 2 ] || return 1
	grep -q "allow-low-ports" "$XW_TMP/bad.log" || return 1
}

# Explicitly allowed: a privileged port is given as asked (after the drop of
# privileges too), still never one a host socket has.
ports_low_allowed() {
	occupy 501 30 || return 1
	xw_start_server --listen $XW_S4 --allow-low-ports || return 1
	server_logged "reflector ports requested or ephemeral \(< 1024 allowed\)" || return 1
	local out
	out=$(req $XW_S4 --src $XW_C4 --rport 500 --start --packets $N)
	has "$out" "session 1: accept 0 port 500 replies $N sizes 41" || return 1
	out=$(req $XW_S4 --src $XW_C4 --rport 501)
	has "$out" "session 1: accept 0 port [0-9]+ " || return 1
	case $out in *"port 501 "*)
		xw_log "port 501 of a host socket given out"
		return 1
		;;
	esac
}

unstarted_session_expires() {
	xw_start_server --listen $XW_S4 --start-timeout 2 --port-range 20000-20009 || return 1
	req $XW_S4 --src $XW_C4 --rport 20000 --hold 5 >"$XW_TMP/a" &
	local a=$!
	sleep 1
	expect "port 20000 held while accepted" in_s sh -c "ss -Hlun 'sport = :20000' | grep -q ." ||
		return 1
	local _
	for _ in $(seq 60); do
		grep -q "not started within 2 s" "$XW_TMP/xwampd.log" && break
		sleep 0.1
	done
	server_logged "session .*192\.0\.2\.2:20000<-192\.0\.2\.1:[0-9]+: accepted but not started within 2 s \(--start-timeout\): ending it" ||
		return 1
	server_logged "192\.0\.2\.2:20000<-.*: not started in time: received 0" || return 1
	expect "port 20000 free again, connection still up" \
		in_s sh -c "! ss -Hlun 'sport = :20000' | grep -q . && ss -Htn 'sport = :862' | grep -q ESTAB" ||
		return 1
	wait $a
	grep -q "session 1: accept 0 port 20000" "$XW_TMP/a" || return 1
}

global_session_limit() {
	xw_start_server --listen $XW_S4 --max-sessions-total 3 || return 1
	server_logged "16 sessions per connection, 3 in total" || return 1
	req $XW_S4 --src $XW_C4 --count 2 --hold 4 >"$XW_TMP/a" &
	local a=$!
	# both of its sessions accepted before the other client asks
	local out _
	for _ in $(seq 100); do
		[ "$(grep -c " accepted (" "$XW_TMP/xwampd.log")" -ge 2 ] && break
		sleep 0.05
	done
	# another client, well under its own per-connection limit
	out=$(req $XW_S4 --src 192.0.2.11 --count 2)
	has "$out" "session 1: accept 0 " || return 1
	has "$out" "session 2: accept 5 port 0" || return 1
	server_logged "3 reflector sessions on this server \(--max-sessions-total\): Accept 5" || return 1
	wait $a
	grep -q "session 2: accept 0 " "$XW_TMP/a" || return 1
	# the sessions of the closed connections are gone: room again
	out=$(req $XW_S4 --src 192.0.2.12 --count 3)
	has "$out" "session 3: accept 0 " || return 1
}

# OWAMP on 861 (RFC 4656 6.2 is OWAMP's own rule): the server neither sends
# to nor receives from an address other than the control peer.  Sending is
# the worst case: a Conf-Sender session towards a victim would be a stream
# of packets to it that one 112-octet request sets off.

owamp_spoofed_ends_declined() {
	xw_start_server --listen $XW_S4 || return 1
	xw_wait_owamp || return 1
	local out
	# the server to send to 192.0.2.11 (whose socket listens): declined, nothing arrives
	out=$(req $XW_S4 --owamp send --src $XW_C4 --receiver 192.0.2.11 --start --packets $N)
	has "$out" "session 1: accept 1 port [0-9]+ replies 0 " || return 1
	server_logged "Request-Session declined: .*192\.0\.2\.11 is not the control connection's peer 192\.0\.2\.1.*Accept 1" ||
		return 1
	out=$(req $XW_S4 --owamp send --src $XW_C4 --receiver 224.0.0.1 --start)
	has "$out" "session 1: accept 1 " || return 1
	# to receive from it
	out=$(req $XW_S4 --owamp recv --src $XW_C4 --sender 192.0.2.11)
	has "$out" "session 1: accept 1 " || return 1
	# a Receiver Address of another host for what the server receives
	out=$(req $XW_S4 --owamp recv --src $XW_C4 --receiver 192.0.2.99)
	has "$out" "session 1: accept 1 " || return 1
	# the control peer itself gets the packets it asked for
	out=$(req $XW_S4 --owamp send --src $XW_C4 --start --packets $N)
	has "$out" "session 1: accept 0 port [0-9]+ replies $N " || return 1
}

# An OWAMP session accepted but never started ends after --start-timeout
# (both directions), logged; the connection stays.
owamp_unstarted_expires() {
	xw_start_server --listen $XW_S4 --start-timeout 2 --port-range 20000-20009 || return 1
	xw_wait_owamp || return 1
	req $XW_S4 --owamp recv --src $XW_C4 --hold 5 >"$XW_TMP/a" &
	local a=$!
	req $XW_S4 --owamp send --src $XW_C4 --hold 5 >"$XW_TMP/b" &
	local b=$!
	local _ n=0
	for _ in $(seq 30); do
		n=$(in_s ss -Huan 'sport >= :20000 and sport <= :20009' | wc -l)
		[ "$n" = 2 ] && break
		sleep 0.1
	done
	[ "$n" = 2 ] || { xw_log "$n test sockets of 2 while accepted"; in_s ss -Huan; return 1; }
	for _ in $(seq 60); do
		[ "$(grep -c "not started within 2 s" "$XW_TMP/xwampd.log")" -ge 2 ] && break
		sleep 0.1
	done
	server_logged "owamp .*192\.0\.2\.2:200[0-9]+ <- 192\.0\.2\.1:[0-9]+: accepted but not started within 2 s \(--start-timeout\): ending it" ||
		return 1
	server_logged "owamp .*192\.0\.2\.2:200[0-9]+ -> 192\.0\.2\.1:[0-9]+: accepted but not started within 2 s \(--start-timeout\): ending it" ||
		return 1
	server_logged "owamp .*: receiver closed \(not started in time\): 0 received" || return 1
	server_logged "owamp .*: sender closed \(not started in time\): 0 sent" || return 1
	expect "ports free again, connections still up" \
		in_s sh -c "! ss -Huan 'sport >= :20000 and sport <= :20009' | grep -q . && [ \$(ss -Htn 'sport = :861' | grep -c ESTAB) = 2 ]" ||
		return 1
	wait $a $b
	grep -q "session 1: accept 0 port 200" "$XW_TMP/a" && grep -q "session 1: accept 0 port 200" "$XW_TMP/b"
}

# --max-sessions-total counts OWAMP sessions with TWAMP's.
owamp_total_limit() {
	xw_start_server --listen $XW_S4 --max-sessions-total 2 || return 1
	xw_wait_owamp || return 1
	req $XW_S4 --src $XW_C4 --count 2 --hold 4 >"$XW_TMP/a" &
	local a=$!
	# both of its sessions accepted before the other client asks
	local out _
	for _ in $(seq 100); do
		[ "$(grep -c " accepted (" "$XW_TMP/xwampd.log")" -ge 2 ] && break
		sleep 0.05
	done
	out=$(req $XW_S4 --owamp recv --src 192.0.2.11)
	has "$out" "session 1: accept 5 " || return 1
	server_logged "Request-Session: 2 test sessions on this server \(--max-sessions-total\): Accept 5" ||
		return 1
	wait $a
	grep -q "session 2: accept 0 " "$XW_TMP/a" || return 1
	out=$(req $XW_S4 --owamp recv --src 192.0.2.11)
	has "$out" "session 1: accept 0 "
}

# --require-ipsec holds on 861 too: with no IPsec policy in the namespace an
# unauthenticated OWAMP session is declined in both directions (Accept 3,
# as TWAMP's on 862), logged.
owamp_require_ipsec() {
	xw_start_server --listen $XW_S4 --require-ipsec || return 1
	xw_wait_owamp || return 1
	local out
	out=$(req $XW_S4 --src $XW_C4)
	has "$out" "session 1: accept 3 " || return 1
	out=$(req $XW_S4 --owamp recv --src $XW_C4)
	has "$out" "session 1: accept 3 " || return 1
	out=$(req $XW_S4 --owamp send --src $XW_C4 --start --packets $N)
	has "$out" "session 1: accept 3 port [0-9]+ replies 0 " || return 1
	server_logged "OWAMP session 192\.0\.2\.2:0 <- 192\.0\.2\.1:[0-9]+: .*not protected" || return 1
	server_logged "OWAMP session 192\.0\.2\.2:0 -> 192\.0\.2\.1:[0-9]+: .*not protected"
}

# The descriptors the limits need (256 + 512 + spare): the soft limit is
# raised to the hard one, and a hard limit short of them is reported.
fd_limits() {
	(ulimit -Sn 300 && ulimit -Hn 400 && xw_start_server --listen $XW_S4) || return 1
	server_logged "open files soft limit raised from 300 to 400" || return 1
	server_logged "--max-conns 256 and --max-sessions-total 512 need about 832 open files, the limit is 400" ||
		return 1
	# started in a subshell: stop it through its namespace
	ip netns pids "$XW_NS_S" | xargs -r kill
	local _
	for _ in $(seq 50); do
		in_s ss -Hltn 'sport = :862' | grep -q LISTEN || break
		sleep 0.1
	done
	(ulimit -Sn 300 && ulimit -Hn 4096 && xw_start_server --listen $XW_S4) || return 1
	server_logged "open files soft limit raised from 300 to 832" || return 1
	! grep -q "need about" "$XW_TMP/xwampd.log"
}

# IPv6 clients count per /64: two connections from 2001:db8::1 and ::11 fill a
# limit of 2, ::12 is refused; another /64 and IPv4 addresses count apart.
per_client_ipv6_slash64() {
	in_c ip addr add 2001:db8::11/64 dev xwc0 nodad
	in_c ip addr add 2001:db8::12/64 dev xwc0 nodad
	in_c ip addr add 2001:db8:0:1::1/64 dev xwc0 nodad
	in_s ip route add 2001:db8:0:1::/64 via $XW_C6
	xw_start_server --listen "[$XW_S6]" --listen $XW_S4 --max-conns-per-client 2 || return 1
	req $XW_S6 --src $XW_C6 --hold 4 >"$XW_TMP/a" &
	local pids=$!
	req $XW_S6 --src 2001:db8::11 --hold 4 >"$XW_TMP/b" &
	pids="$pids $!"
	# both connected (log) before the third tries
	xw_wait_log "\[2001:db8::1\]:[0-9]*: connected to" || return 1
	xw_wait_log "\[2001:db8::11\]:[0-9]*: connected to" || return 1
	local out
	out=$(req $XW_S6 --src 2001:db8::12)
	has "$out" "^modes 0" || return 1
	server_logged "\[2001:db8::12\]:[0-9]+: refused: too many control connections from this client" ||
		return 1
	out=$(req $XW_S6 --src 2001:db8:0:1::1)
	has "$out" "session 1: accept 0 " || return 1
	# IPv4: each address is a client of its own
	req $XW_S4 --src 192.0.2.11 --hold 3 >"$XW_TMP/c" &
	pids="$pids $!"
	req $XW_S4 --src 192.0.2.12 --hold 3 >"$XW_TMP/d" &
	pids="$pids $!"
	xw_wait_log " 192\.0\.2\.11:[0-9]*: connected to" || return 1
	xw_wait_log " 192\.0\.2\.12:[0-9]*: connected to" || return 1
	out=$(req $XW_S4 --src 192.0.2.13)
	has "$out" "session 1: accept 0 " || return 1
	wait $pids
	grep -q "session 1: accept 0" "$XW_TMP/a" && grep -q "session 1: accept 0" "$XW_TMP/b" &&
		grep -q "session 1: accept 0" "$XW_TMP/c"
}

TESTS=(spoofed_sender_declined spoofed_sender_declined_xdp martian_senders_declined
	receiver_not_ours_declined receiver_tentative_declined ports_in_range ports_default ports_low_allowed
	unstarted_session_expires
	global_session_limit per_client_ipv6_slash64 fd_limits
	owamp_spoofed_ends_declined owamp_unstarted_expires owamp_total_limit
	owamp_require_ipsec)
xw_run "$@"
