# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# End-to-end test library: each test is a shell function named in TESTS; it
# gets a fresh pair of network namespaces joined by a veth pair and tears them
# down afterwards, whatever happens.  A test reports by returning:
#   0 pass, 1 fail, XW_SKIP (77) cannot run here (counted as a failure by
#   tests/run.sh: a test that does not run proves nothing).
#
# Addresses are from the documentation prefixes (RFC 5737, RFC 3849), inside
# namespaces this library creates; nothing leaves the machine.
#
#   client ns $XW_NS_C  veth xwc0  192.0.2.1/24  2001:db8::1/64  (+ 192.0.2.11 .. .13 spare)
#   server ns $XW_NS_S  veth xws0  192.0.2.2/24  2001:db8::2/64

XW_SKIP=77
XW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
XW_BUILD=${BUILD:-$XW_ROOT/build}
case $XW_BUILD in /*) ;; *) XW_BUILD=$XW_ROOT/$XW_BUILD ;; esac
XWAMPD=$XW_BUILD/xwampd
XWPING=$XW_BUILD/xwping

XW_C4=192.0.2.1
XW_S4=192.0.2.2
XW_C6=2001:db8::1
XW_S6=2001:db8::2

xw_log() { printf '# %s\n' "$*"; }

# --- namespaces --------------------------------------------------------------
xw_ns_up() {
	XW_NS_C=xwc$$-$RANDOM
	XW_NS_S=xws$$-$RANDOM
	XW_TMP=$(mktemp -d /tmp/xw-e2e.XXXXXX)
	ip netns add "$XW_NS_C" || return 1
	ip netns add "$XW_NS_S" || return 1
	ip -n "$XW_NS_C" link set lo up
	ip -n "$XW_NS_S" link set lo up
	xw_veth_up
}

# The veth pair xwc0 (client) - xws0 (server) with the addresses above; also
# used by tests that delete the pair and make it again.
xw_veth_up() {
	ip link add xwc0 netns "$XW_NS_C" type veth peer name xws0 netns "$XW_NS_S" || return 1
	ip -n "$XW_NS_C" addr add $XW_C4/24 dev xwc0
	ip -n "$XW_NS_S" addr add $XW_S4/24 dev xws0
	local a
	for a in 11 12 13; do
		ip -n "$XW_NS_C" addr add 192.0.2.$a/24 dev xwc0
	done
	ip -n "$XW_NS_C" addr add $XW_C6/64 dev xwc0 nodad
	ip -n "$XW_NS_S" addr add $XW_S6/64 dev xws0 nodad
	ip -n "$XW_NS_C" link set xwc0 up
	ip -n "$XW_NS_S" link set xws0 up
	# wait until IPv6 is usable (nodad: immediate) and the link is up
	local i
	for i in $(seq 50); do
		ip netns exec "$XW_NS_C" ping -c1 -W1 -q $XW_S4 >/dev/null 2>&1 && break
		sleep 0.1
	done
}

xw_ns_down() {
	local pid
	for pid in ${XW_PIDS:-}; do
		kill "$pid" 2>/dev/null
	done
	for pid in ${XW_PIDS:-}; do
		wait "$pid" 2>/dev/null
	done
	XW_PIDS=
	[ -n "${XW_NS_C:-}" ] && ip netns pids "$XW_NS_C" 2>/dev/null | xargs -r kill -9 2>/dev/null
	[ -n "${XW_NS_S:-}" ] && ip netns pids "$XW_NS_S" 2>/dev/null | xargs -r kill -9 2>/dev/null
	[ -n "${XW_NS_C:-}" ] && ip netns del "$XW_NS_C" 2>/dev/null
	[ -n "${XW_NS_S:-}" ] && ip netns del "$XW_NS_S" 2>/dev/null
	[ -n "${XW_TMP:-}" ] && rm -rf "$XW_TMP"
	XW_NS_C= XW_NS_S= XW_TMP=
}

in_c() { ip netns exec "$XW_NS_C" "$@"; }
in_s() { ip netns exec "$XW_NS_S" "$@"; }

# The test key file, in the reference implementation's format: KEYID hex(passphrase).
xw_keyfile() {
	local f=$XW_TMP/keys
	printf 'alice %s\n' "$(printf 'correct horse battery' | od -An -tx1 | tr -d ' \n')" >"$f"
	printf 'bob %s\n' "$(printf 'another secret' | od -An -tx1 | tr -d ' \n')" >>"$f"
	chmod 600 "$f"
	echo "$f"
}

# Start xwampd in the server namespace; extra arguments are passed on.
# Waits until it listens on TCP port 862.  Its log is $XW_TMP/xwampd.log.
xw_start_server() {
	# not through in_s: a backgrounded function is a subshell, and $! must be
	# xwampd itself (ip netns exec execs it) so that tests can signal it
	# --config '': not the host's /etc/xwamp/xwampd.conf (an installed xwamp's);
	# a test's own --config comes later and wins
	ip netns exec "$XW_NS_S" "$XWAMPD" --config '' "$@" >"$XW_TMP/xwampd.log" 2>&1 &
	XW_SRV_PID=$!
	XW_PIDS="${XW_PIDS:-} $XW_SRV_PID"
	local i
	for i in $(seq 100); do
		if in_s ss -Hltn 'sport = :862' | grep -q LISTEN; then
			return 0
		fi
		if ! kill -0 "$XW_SRV_PID" 2>/dev/null; then
			xw_log "xwampd exited early:"
			sed 's/^/#   /' "$XW_TMP/xwampd.log"
			return 1
		fi
		sleep 0.05
	done
	xw_log "xwampd did not listen on 862"
	return 1
}

# xw_wait_listen PORT WHAT: wait (5 s at most) until WHAT listens on TCP PORT
# in the server namespace.
xw_wait_listen() {
	local _
	for _ in $(seq 100); do
		in_s ss -Hltn "sport = :$1" | grep -q LISTEN && return 0
		sleep 0.05
	done
	xw_log "$2 does not listen on $1"
	return 1
}

# xw_wait_owamp: the server listens for OWAMP-Control on 861 too
xw_wait_owamp() { xw_wait_listen 861 xwampd; }

# xw_bpffs: a bpffs of the test's own under $XW_TMP ($BPFFS; xwampd's pins in
# $PINS, for --bpf-dir), visible to `ip netns exec` and to bpftool in the root
# namespace; unmounted when the test (a subshell) ends, whatever happens.
xw_bpffs() {
	BPFFS=$XW_TMP/bpf
	PINS=$BPFFS/xwamp
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || return 1
	trap 'umount -l "$BPFFS" 2>/dev/null' EXIT
}

# stat_slot N: slot N (enum xw_stat) of the pinned "stats" map under $PINS, summed over CPUs.
stat_slot() {
	bpftool -j map lookup pinned "$PINS/stats" key "$1" 0 0 0 |
		python3 -c 'import json,sys; print(sum(v["value"] for v in json.load(sys.stdin)["formatted"]["values"]))'
}

# xw_wait_log PATTERN [SECONDS]: wait until xwampd's log has a line matching
# PATTERN (grep BRE), 20 s at most (a loaded machine is slow, never this slow).
xw_wait_log() {
	local deadline=$(($(date +%s) + ${2:-20}))
	until grep -q -- "$1" "$XW_TMP/xwampd.log"; do
		[ "$(date +%s)" -lt $deadline ] || return 1
		sleep 0.02
	done
}

# json_get FILE EXPR: evaluate a Python expression over the parsed JSON (as j).
json_get() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# expect DESCRIPTION COMMAND...: run a check, print it, return its status.
expect() {
	local what=$1
	shift
	if "$@"; then
		return 0
	fi
	xw_log "check failed: $what"
	return 1
}

# --- the strongSwan tunnel of tests/testbed/ipsec-netns.sh ---------------------
# xw_testbed TAG: private names for one script's copy of the testbed (so that it
# never touches another's), a work directory $W with a bpffs mount point
# $BPFFS ($PINS for xwampd's pins), and a cleanup on exit that stops $SRV (if
# set), unmounts, takes the testbed down and removes $W.
xw_testbed() {
	local tag=$1
	TESTBED=${XW_TESTBED:-$XW_ROOT/tests/testbed}
	TB="$TESTBED/ipsec-netns.sh"
	export TB_DIR=/tmp/xw-$tag.$$
	export TB_NS_I=xw$tag-i$$ TB_NS_R=xw$tag-r$$ TB_VETH_I=xw${tag}i$$ TB_VETH_R=xw${tag}r$$
	W=$(mktemp -d /tmp/xw-$tag-w.XXXXXX)
	BPFFS=$W/bpf
	PINS=$BPFFS/xwamp
	SRV=
	trap xw_testbed_cleanup EXIT
}

xw_testbed_cleanup() {
	[ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	umount -l "$BPFFS" 2>/dev/null
	"$TB" down >/dev/null 2>&1
	rm -rf "$W"
}

# --- runner --------------------------------------------------------------------
# Runs every function in TESTS (or those named on the command line).
xw_run() {
	local t rc prefix
	prefix=$(basename "$0" .sh)
	[ "$(id -u)" = 0 ] || {
		for t in "${TESTS[@]}"; do echo "SKIP $prefix/$t: needs root"; done
		return 0
	}
	if [ ! -x "$XWAMPD" ] || [ ! -x "$XWPING" ]; then
		for t in "${TESTS[@]}"; do echo "FAIL $prefix/$t: build/xwampd or build/xwping missing"; done
		return 1
	fi
	local sel=("$@")
	[ ${#sel[@]} -eq 0 ] && sel=("${TESTS[@]}")
	for t in "${sel[@]}"; do
		xw_log "=== $t"
		if ! xw_ns_up; then
			xw_ns_down
			echo "FAIL $prefix/$t: could not create namespaces"
			continue
		fi
		(set +e; "$t")
		rc=$?
		if [ $rc != 0 ] && [ -n "${XW_TMP:-}" ] && [ -f "$XW_TMP/xwampd.log" ]; then
			xw_log "xwampd log:"
			sed 's/^/#   /' "$XW_TMP/xwampd.log" | tail -n 40
		fi
		xw_ns_down
		case $rc in
		0) echo "PASS $prefix/$t" ;;
		"$XW_SKIP") echo "SKIP $prefix/$t" ;;
		*) echo "FAIL $prefix/$t" ;;
		esac
	done
}
