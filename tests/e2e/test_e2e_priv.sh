#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xwampd's privileges after start-up (README: Security), read from
# /proc/PID/status while it serves sessions: the uid and gid it runs as
# (nobody here: no xwamp user on the test machines), and exactly the
# documented capabilities in the effective, permitted and bounding sets
# (ambient and inheritable empty, no_new_privs set):
#   no XDP, no xfrm, no low --port-range   none
#   --xdp                                  CAP_NET_ADMIN (12)
#   --xdp with auth/enc modes (AF_XDP)     + CAP_NET_RAW (13), and CAP_IPC_LOCK (14)
#                                          unless RLIMIT_MEMLOCK is unlimited
#   --xfrm                                 CAP_NET_ADMIN
#   --port-range below 1024                CAP_NET_BIND_SERVICE (10)
# and it still completes open and authenticated sessions, through XDP with
# --xdp (session table entry, XDP counters), attaches to a re-created
# interface and detaches at exit.  Started as a non-root user with ambient
# capabilities (a service manager's way), it keeps only the needed ones.
# SIGHUP re-reads the key file as the user (one it owns; one it cannot read
# keeps the old keys).  Attacks: a symbolic or hard link at the pid file path, a key file readable by
# others (xwampd and xwping refuse both), --user root keeps root only when
# asked.
. "$(dirname "$0")/lib.sh"

COUNT=50
CAP_NET_BIND_SERVICE=$((1 << 10))
CAP_NET_ADMIN=$((1 << 12))
CAP_NET_RAW=$((1 << 13))
CAP_IPC_LOCK=$((1 << 14))

# status_field PID NAME: a field of /proc/PID/status.
status_field() { sed -n "s/^$2:\t//p" "/proc/$1/status"; }

# expect_creds PID UID CAPS: all four uids and gids are UID's, CapEff = CapPrm
# = CapBnd = CAPS (a number), CapInh = CapAmb = 0, NoNewPrivs 1.
expect_creds() {
	local pid=$1 uid=$2 caps=$3 gid f v want
	gid=$(id -g "$uid")
	expect "Uid $uid" [ "$(status_field "$pid" Uid)" = "$uid	$uid	$uid	$uid" ] || {
		xw_log "Uid: $(status_field "$pid" Uid)"
		return 1
	}
	expect "Gid $gid" [ "$(status_field "$pid" Gid)" = "$gid	$gid	$gid	$gid" ] || return 1
	for f in CapEff CapPrm CapBnd CapInh CapAmb; do
		v=$(status_field "$pid" $f)
		want=$caps
		case $f in CapInh | CapAmb) want=0 ;; esac
		xw_log "$f $v"
		expect "$f = $(printf '%016x' "$want")" [ $((16#$v)) = "$want" ] || return 1
	done
	expect "NoNewPrivs 1" [ "$(status_field "$pid" NoNewPrivs)" = 1 ] || return 1
	# capabilities, the bounding set and no_new_privs are per thread: every thread
	local t n=0
	for t in /proc/"$pid"/task/*; do
		n=$((n + 1))
		expect "thread ${t##*/}: same Uid, Cap*, NoNewPrivs as the process" [ \
			"$(grep -E '^(Uid|Gid|Cap|NoNewPrivs)' "$t/status")" = \
			"$(grep -E '^(Uid|Gid|Cap|NoNewPrivs)' "/proc/$pid/status")" ] || return 1
	done
	xw_log "$n threads checked"
}

# ping_ok MODE [ADDR]: one xwping session with no loss.
ping_ok() {
	local mode=$1 addr=${2:-$XW_S4} out=$XW_TMP/ping-$1.json key=()
	[ "$mode" = open ] || key=(-u alice -k "$KF")
	if ! in_c "$XWPING" -A "$mode" "${key[@]}" -c $COUNT -i 0.01 --json "$addr" \
		>"$out" 2>"$XW_TMP/ping.err"; then
		xw_log "xwping -A $mode failed:"
		sed 's/^/#   /' "$XW_TMP/ping.err"
		return 1
	fi
	expect "$mode: $COUNT sent, $COUNT received" python3 - "$out" $COUNT <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s = s["sessions"][0] if "sessions" in s else s
pk = s["packets"]
n = int(sys.argv[2])
sys.exit(0 if pk["sent"] == pk["received"] == n and not pk["lost"] else 1)
PY
}

# start: xw_start_server, then wait for "ready" (logged after the drop).
start() {
	xw_start_server "$@" || return 1
	wait_ready
}

wait_ready() {
	local i
	for i in $(seq 100); do
		grep -q "xwampd: info: ready:" "$XW_TMP/xwampd.log" && return 0
		sleep 0.05
	done
	xw_log "xwampd never said ready"
	return 1
}

stop_ok() {
	kill "$XW_SRV_PID" && wait "$XW_SRV_PID"
	expect "xwampd exited 0 on SIGTERM" [ $? = 0 ]
}

# Default: nobody, no capability at all; open and authenticated sessions.
socket_path() {
	KF=$(xw_keyfile)
	(umask 077 && echo "servwait 900" >"$XW_TMP/xwampd.conf")
	start --listen $XW_S4 --keyfile "$KF" --modes open,auth --port-range 9000-9999 \
		--pidfile "$XW_TMP/xwampd.pid" --config "$XW_TMP/xwampd.conf" || return 1
	expect "log: user and capabilities" grep -q \
		"privileges: running as user nobody (uid 65534, gid 65534), capabilities kept: none" \
		"$XW_TMP/xwampd.log" || return 1
	expect_creds "$XW_SRV_PID" 65534 0 || return 1
	expect "pid file has the pid" [ "$(cat "$XW_TMP/xwampd.pid")" = "$XW_SRV_PID" ] || return 1
	ping_ok open || return 1
	ping_ok auth || return 1
	# the key file is root's 0600: the warning tells what SIGHUP will do
	expect "log: key file not readable after the drop" grep -q \
		"privileges: $KF is not readable by uid 65534" "$XW_TMP/xwampd.log" || return 1
	expect "log: configuration file not readable after the drop" grep -q \
		"privileges: $XW_TMP/xwampd.conf is not readable by uid 65534" "$XW_TMP/xwampd.log" ||
		return 1
	stop_ok || return 1
	# /tmp/xw-e2e.* is root's 0700: not removable as nobody, emptied instead
	expect "pid file emptied at exit" [ -f "$XW_TMP/xwampd.pid" -a ! -s "$XW_TMP/xwampd.pid" ]
}

# --port-range below 1024: CAP_NET_BIND_SERVICE, and the session's port is bound after the drop.
low_ports() {
	KF=$(xw_keyfile)
	start --listen $XW_S4 --modes open --port-range 900-999 --allow-low-ports || return 1
	expect_creds "$XW_SRV_PID" 65534 $CAP_NET_BIND_SERVICE || return 1
	ping_ok open || return 1
	expect "session bound a port below 1024" \
		grep -qE "session [0-9a-f]+ 192.0.2.2:9[0-9][0-9]<-.* accepted" "$XW_TMP/xwampd.log"
}

# --user root: nothing dropped, and the log says so.
user_root() {
	start --listen $XW_S4 --modes open --user root || return 1
	expect "log: kept root" grep -q "privileges: running as root with every capability" \
		"$XW_TMP/xwampd.log" || return 1
	expect "Uid 0" [ "$(status_field "$XW_SRV_PID" Uid)" = "0	0	0	0" ] || return 1
	expect "CapEff all" [ $((16#$(status_field "$XW_SRV_PID" CapEff))) = \
		$((16#$(awk '$1 == "CapEff:" { print $2 }' /proc/self/status))) ]
}

# Started as nobody with ambient capabilities (systemd AmbientCapabilities=):
# no user change, only what --xfrm uses is kept.
ambient() {
	local caps=+net_admin,+net_bind_service,+net_raw
	ip netns exec "$XW_NS_S" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=$caps --ambient-caps=$caps "$XWAMPD" --listen $XW_S4 --modes open --xfrm \
		>"$XW_TMP/xwampd.log" 2>&1 &
	XW_SRV_PID=$!
	XW_PIDS="$XW_SRV_PID"
	wait_ready || return 1
	expect "log: started as nobody, kept cap_net_admin" grep -q \
		"privileges: started as user nobody (uid 65534): capabilities kept: cap_net_admin$" \
		"$XW_TMP/xwampd.log" || return 1
	# the bounding set needs CAP_SETPCAP to change: the service manager's job
	local eff prm amb
	eff=$(status_field "$XW_SRV_PID" CapEff)
	prm=$(status_field "$XW_SRV_PID" CapPrm)
	amb=$(status_field "$XW_SRV_PID" CapAmb)
	xw_log "CapEff $eff CapPrm $prm CapAmb $amb"
	expect "CapEff = CapPrm = CAP_NET_ADMIN, no ambient" \
		[ $((16#$eff)) = $CAP_NET_ADMIN -a $((16#$prm)) = $CAP_NET_ADMIN -a $((16#$amb)) = 0 ] ||
		return 1
	ping_ok open || return 1
	stop_ok
}

# With XDP and authenticated mode: CAP_NET_ADMIN, and CAP_NET_RAW and
# CAP_IPC_LOCK for the AF_XDP socket of an interface attached later; XDP
# reflects (entry armed, counters); a re-created interface is attached again
# and its authenticated session answered by AF_XDP; detached and unpinned at exit.
xdp() {
	local BPFFS=$XW_TMP/bpf PINS sid line i want
	PINS=$BPFFS/xwamp
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || return 1
	trap "umount -l '$BPFFS' 2>/dev/null" EXIT # BPFFS is local: expanded now
	KF=$(xw_keyfile)
	start --listen $XW_S4 --keyfile "$KF" --modes open,auth --port-range 9000-9999 \
		--xdp xws0 --xdp-mode generic --bpf-dir "$PINS" || return 1
	# RLIMIT_MEMLOCK is finite here (ulimit -l): the UMEM needs CAP_IPC_LOCK
	want=$((CAP_NET_ADMIN | CAP_NET_RAW))
	[ "$(ulimit -l)" = unlimited ] || want=$((want | CAP_IPC_LOCK))
	expect_creds "$XW_SRV_PID" 65534 $want || return 1
	# the interface deleted and made again after the drop
	ip -n "$XW_NS_S" link del xws0 || return 1
	xw_veth_up || return 1
	# complete UDP checksums: XDP passes partial ones to the socket (README: veth)
	in_c ethtool -K xwc0 tx off >/dev/null
	for i in $(seq 60); do
		[ "$(grep -c "xdp: xws0: xdp_xwamp attached (generic" "$XW_TMP/xwampd.log")" = 2 ] &&
			break
		sleep 0.05
	done
	expect "re-created xws0 attached as nobody" \
		[ "$(grep -c "xdp: xws0: xdp_xwamp attached (generic" "$XW_TMP/xwampd.log")" = 2 ] ||
		return 1
	ping_ok open || return 1
	# by its SID: the next session may get the same reflector port (9000),
	# and which final line comes last depends on timing
	sid=$(sed -n 's/.*session \([0-9a-f]*\) [^ ]*<-.* accepted (open.*/\1/p' \
		"$XW_TMP/xwampd.log" | tail -n 1)
	ping_ok auth || return 1
	stop_ok || return 1
	expect "the re-created xws0's authenticated session answered by AF_XDP only" grep -qE \
		"session .*(stopped|shutdown): received 0, reflected 0, .*AF_XDP: received $COUNT, reflected $COUNT, dropped 0" \
		"$XW_TMP/xwampd.log" || return 1
	line=$(grep -E "session $sid \S+: (stopped|shutdown).*XDP: reflected" \
		"$XW_TMP/xwampd.log" | tail -n 1)
	xw_log "open session: $line"
	expect "XDP reflected the open session" \
		grep -qE "received 0, reflected 0, dropped 0; XDP: reflected $COUNT \(next_seq $COUNT\)" \
		<<<"$line" || return 1
	expect "no XDP program left on xws0" \
		sh -c "! ip -n '$XW_NS_S' -d link show xws0 | grep -q 'prog/xdp'" || return 1
	expect "pins removed" [ ! -e "$PINS" ]
}

# The same as a service manager would start it: nobody with ambient
# capabilities for loading (CAP_BPF, CAP_PERFMON), attaching and AF_XDP; after
# start-up only CAP_NET_ADMIN is left, and a re-created interface still gets
# the program (loaded before the drop).
ambient_xdp() {
	local BPFFS=$XW_TMP/bpf PINS i line port
	local caps=+net_admin,+bpf,+perfmon,+net_raw,+net_bind_service,+ipc_lock
	PINS=$BPFFS/xwamp
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || return 1
	trap "umount -l '$BPFFS' 2>/dev/null" EXIT # BPFFS is local: expanded now
	chmod 711 "$XW_TMP"
	ip netns exec "$XW_NS_S" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=$caps --ambient-caps=$caps "$XWAMPD" --listen $XW_S4 --modes open \
		--port-range 9000-9999 --xdp xws0 --xdp-mode generic --bpf-dir "$PINS" \
		>"$XW_TMP/xwampd.log" 2>&1 &
	XW_SRV_PID=$!
	XW_PIDS="$XW_SRV_PID"
	wait_ready || return 1
	expect "log: started as nobody, kept cap_net_admin" grep -q \
		"privileges: started as user nobody (uid 65534): capabilities kept: cap_net_admin$" \
		"$XW_TMP/xwampd.log" || return 1
	expect "CapEff = CapPrm = CAP_NET_ADMIN" [ $((16#$(status_field "$XW_SRV_PID" CapEff))) = \
		$CAP_NET_ADMIN -a $((16#$(status_field "$XW_SRV_PID" CapPrm))) = $CAP_NET_ADMIN ] ||
		return 1
	ip -n "$XW_NS_S" link del xws0 || return 1
	xw_veth_up || return 1
	# complete UDP checksums: XDP passes partial ones to the socket (README: veth)
	in_c ethtool -K xwc0 tx off >/dev/null
	for i in $(seq 60); do
		[ "$(grep -c "xdp: xws0: xdp_xwamp attached (generic" "$XW_TMP/xwampd.log")" = 2 ] &&
			break
		sleep 0.05
	done
	expect "re-created xws0 attached with CAP_NET_ADMIN only" \
		[ "$(grep -c "xdp: xws0: xdp_xwamp attached (generic" "$XW_TMP/xwampd.log")" = 2 ] ||
		return 1
	ping_ok open || return 1
	port=$(sed -n 's/.*session [0-9a-f]* [^ ]*:\([0-9]*\)<-.* accepted (open.*/\1/p' \
		"$XW_TMP/xwampd.log" | tail -n 1)
	stop_ok || return 1
	line=$(grep -E "session \S+ \S+:$port<-.*(stopped|shutdown).*XDP: reflected" \
		"$XW_TMP/xwampd.log" | tail -n 1)
	expect "XDP reflected the session" \
		grep -qE "received 0, reflected 0, dropped 0; XDP: reflected $COUNT \(next_seq $COUNT\)" \
		<<<"$line" || return 1
	expect "no XDP program left on xws0" \
		sh -c "! ip -n '$XW_NS_S' -d link show xws0 | grep -q 'prog/xdp'"
}

# A symbolic link at the pid file path: refused, nothing written through it.
pidfile_symlink() {
	echo precious >"$XW_TMP/target"
	ln -s "$XW_TMP/target" "$XW_TMP/xwampd.pid"
	if in_s "$XWAMPD" --listen $XW_S4 --pidfile "$XW_TMP/xwampd.pid" >"$XW_TMP/x.log" 2>&1; then
		xw_log "xwampd started"
		return 1
	fi
	sed 's/^/#   /' "$XW_TMP/x.log"
	expect "error names the link" grep -q \
		"pid file $XW_TMP/xwampd.pid: is a symbolic link: refusing" "$XW_TMP/x.log" || return 1
	expect "target untouched" [ "$(cat "$XW_TMP/target")" = precious ] || return 1
	# a hard link to another file is refused too
	rm "$XW_TMP/xwampd.pid"
	ln "$XW_TMP/target" "$XW_TMP/xwampd.pid"
	if in_s "$XWAMPD" --listen $XW_S4 --pidfile "$XW_TMP/xwampd.pid" >"$XW_TMP/x.log" 2>&1; then
		xw_log "xwampd started"
		return 1
	fi
	expect "hard link refused" grep -q "2 links): refusing it" "$XW_TMP/x.log" || return 1
	expect "target untouched" [ "$(cat "$XW_TMP/target")" = precious ]
}

# A key file others may read: xwampd and xwping refuse it, naming file and mode.
keyfile_mode() {
	KF=$(xw_keyfile)
	chmod 644 "$KF"
	if in_s "$XWAMPD" --listen $XW_S4 --keyfile "$KF" >"$XW_TMP/x.log" 2>&1; then
		xw_log "xwampd started"
		return 1
	fi
	sed 's/^/#   /' "$XW_TMP/x.log"
	expect "xwampd: file, mode, refusing" grep -q \
		"key file $KF: mode 0644 lets group or others read or change shared secrets; refusing it" \
		"$XW_TMP/x.log" || return 1
	expect "xwampd did not listen" sh -c "! ip netns exec '$XW_NS_S' ss -Hltn | grep -q ':862 '" ||
		return 1
	chmod 600 "$KF"
	start --listen $XW_S4 --keyfile "$KF" --modes open,auth || return 1
	chmod 640 "$KF"
	if in_c "$XWPING" -A auth -u alice -k "$KF" -c 3 $XW_S4 >"$XW_TMP/p.log" 2>&1; then
		xw_log "xwping ran"
		return 1
	fi
	expect "xwping: file, mode, refusing" grep -q \
		"key file $KF: mode 0640 lets group or others read or change shared secrets; refusing it" \
		"$XW_TMP/p.log" || return 1
	expect "no control connection was made" sh -c "! grep -q 'control #1' '$XW_TMP/xwampd.log'"
}

# SIGHUP after the drop re-reads the key file as the user: one it owns loads
# (a new KeyID works), one it cannot read keeps the old keys (logged).
sighup_reload() {
	KF=$(xw_keyfile)
	chown nobody "$KF"
	chmod 711 "$XW_TMP"
	start --listen $XW_S4 --keyfile "$KF" --modes open,auth || return 1
	expect "no readability warning for a file the user owns" \
		sh -c "! grep -q 'not readable by uid' '$XW_TMP/xwampd.log'" || return 1
	printf 'carol %s\n' "$(printf 'correct horse battery' | od -An -tx1 | tr -d ' \n')" >>"$KF"
	kill -HUP "$XW_SRV_PID"
	local i
	for i in $(seq 60); do
		grep -q "key file $KF: reloaded, 3 KeyIDs" "$XW_TMP/xwampd.log" && break
		sleep 0.05
	done
	expect "reloaded as nobody: 3 KeyIDs" grep -q "key file $KF: reloaded, 3 KeyIDs" "$XW_TMP/xwampd.log" ||
		return 1
	in_c "$XWPING" -A auth -u carol -k "$KF" -c 5 -i 0.01 $XW_S4 >"$XW_TMP/p.log" 2>&1 || {
		sed 's/^/#   /' "$XW_TMP/p.log"
		return 1
	}
	# now root's again: the reload fails, the keys stay
	chown root "$KF"
	kill -HUP "$XW_SRV_PID"
	for i in $(seq 60); do
		grep -q "key file $KF: cannot open: Permission denied" "$XW_TMP/xwampd.log" && break
		sleep 0.05
	done
	expect "reload refused: logged" grep -q "key file $KF: cannot open: Permission denied" \
		"$XW_TMP/xwampd.log" || return 1
	in_c "$XWPING" -A auth -u carol -k "$KF" -c 5 -i 0.01 $XW_S4 >"$XW_TMP/p.log" 2>&1 || {
		sed 's/^/#   /' "$XW_TMP/p.log"
		return 1
	}
}

TESTS=(socket_path low_ports sighup_reload user_root ambient ambient_xdp xdp pidfile_symlink keyfile_mode)
xw_run "$@"
