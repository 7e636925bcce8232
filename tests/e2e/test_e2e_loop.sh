#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Nothing a remote client does may stall xwampd's event loop or grow its
# memory without bound, while another client's session runs (open mode,
# from 192.0.2.1): it must lose nothing and its reflector time (T3 - T2,
# RFC 5357 4.2.1: the time a test packet waited in xwampd) stays low.
#
#   non_reader       refused Request-TW-Sessions sent without reading a byte:
#                    xwampd stops reading that connection (peak RSS bounded),
#                    its warnings are rate-limited, it closes it in the end
#   key_source_stall a charon plugin socket that accepts and never answers
#                    (2 s timeout per look-up) while RFC 7717 setups arrive
#   pbkdf2_storm     authenticated setups with a PBKDF2 Count of 2^19
#   keyid_timing     unknown vs known KeyID: the same time to Server-Start
#   rcvbuf_budget    reflector sockets' receive buffers shrink with --max-sessions-total
#   memory_per_session  RSS per session and per idle connection, as documented
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$0")/badpeer.py
# Bound on the good session's reflector time p99 while the loop is attacked.
# Quiet, it is ~0.05 ms here; with the look-up or PBKDF2 inside the loop it
# was 4000 ms (charon timeouts) and 690 ms (Count 2^18).  250 ms leaves room
# for a 2-CPU machine shared with other test runs (load 11: 52 ms seen).
P99_MAX_MS=250

# good_start COUNT: an open session of COUNT packets every 10 ms from 192.0.2.1
good_start() {
	GOOD_COUNT=$1
	in_c "$XWPING" -A open --max-count 1073741824 -c "$GOOD_COUNT" -i 0.01 --json $XW_S4 \
		>"$XW_TMP/good.json" 2>"$XW_TMP/good.err" &
	GOOD=$!
}

# good_running: the good session has started (xwampd's log), so that what
# follows happens while it measures; a fixed sleep was not always enough
# on a loaded machine.
good_running() {
	xw_wait_log "started, path" || { xw_log "the good session did not start"; return 1; }
}

# good_check: the good session lost nothing and its reflector time p99 < P99_MAX_MS
good_check() {
	if ! wait $GOOD; then
		xw_log "good session failed:"
		sed 's/^/#   /' "$XW_TMP/good.err"
		return 1
	fi
	python3 - "$XW_TMP/good.json" "$GOOD_COUNT" "$P99_MAX_MS" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["sessions"][0] if "sessions" in j else j
st = s["packets"]
n, bound = int(sys.argv[2]), float(sys.argv[3])
refl = s["reflector_ms"]
print("# good session: sent %r received %r lost %r, reflector time median %.3f p99 %.3f max %.3f ms"
      % (st["sent"], st["received"], st["lost"], refl["median"], refl["p99"], refl["max"]))
if st["sent"] != n or st["received"] != n or st["lost"] != 0:
    sys.exit(1)
if refl["p99"] >= bound:
    print("# reflector time p99 %.3f ms >= %.0f ms: the loop stalled" % (refl["p99"], bound))
    sys.exit(1)
PY
}

status_kb() { awk -v k="$1:" '$1 == k {print $2}' /proc/$XW_SRV_PID/status; }

# Peak RSS growth bound while a client sends without reading (KiB).
NONREADER_RSS_KB=4096

non_reader() {
	xw_start_server --listen $XW_S4 --modes open || return 1
	sleep 0.3
	local rss0 hwm sent closed lines supp
	rss0=$(status_kb VmRSS)
	good_start 600
	in_c python3 "$PEER" nonreader $XW_S4 6 192.0.2.11 >"$XW_TMP/nr.out" || {
		cat "$XW_TMP/nr.out"
		return 1
	}
	grep '^#' "$XW_TMP/nr.out"
	hwm=$(status_kb VmHWM)
	sent=$(awk '$1 == "SENT" {print $2}' "$XW_TMP/nr.out")
	closed=$(awk '$1 == "CLOSED" {print $2}' "$XW_TMP/nr.out")
	lines=$(grep -c '192\.0\.2\.11' "$XW_TMP/xwampd.log")
	supp=$(grep '192\.0\.2\.11.*similar messages suppressed' "$XW_TMP/xwampd.log" |
		awk '{s += $(NF - 3)} END {print s + 0}')
	xw_log "RSS before $rss0 KiB, peak $hwm KiB; $sent octets sent ($((sent / 112)) requests);" \
		"$lines log lines about the client, $supp suppressed; closed after $closed s"
	good_check || return 1
	expect "peak RSS grew by less than $NONREADER_RSS_KB KiB" \
		[ $((hwm - rss0)) -lt $NONREADER_RSS_KB ] || return 1
	# TCP buffers on both ends take a few MiB; without the bound it is all we can send
	expect "the client could not push more than 32 MiB" [ "$sent" -lt 33554432 ] || return 1
	expect "xwampd stopped reading" grep -q '192\.0\.2\.11.*does not read our answers' \
		"$XW_TMP/xwampd.log" || return 1
	# 10 lines a second and a count, over ~6 s of flood (+ the setup lines)
	expect "log lines rate-limited ($lines lines)" [ "$lines" -lt 120 ] || return 1
	expect "suppressed lines counted" [ "$supp" -gt 0 ] || return 1
	# closed 30 s after its last progress; the client stopped sending ~6 s before
	expect "a client that never reads is closed (after $closed s)" \
		python3 -c "import sys; c = float(sys.argv[1]); sys.exit(not 0 <= c <= 38)" "$closed" || return 1
	grep -q '192\.0\.2\.11.*read none of our answers' "$XW_TMP/xwampd.log"
}

# setups_check FILE N ACCEPT MIN_S: N "SETUP" lines, each with Accept ACCEPT and
# at least MIN_S seconds to the Server-Start (the slow key step did happen)
setups_check() {
	python3 - "$@" <<'PY'
import sys
f, n, acc, mins = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
rows = [l.split() for l in open(f) if l.startswith("SETUP ")]
ts = sorted(float(r[2]) for r in rows)
print("# %s: %d setups, Accept %s, %.3f..%.3f s" % (f.split("/")[-1], len(rows),
      sorted(set(r[1] for r in rows)), ts[0] if ts else -1, ts[-1] if ts else -1))
ok = len(rows) == n and all(int(r[1]) == acc for r in rows) and all(t >= mins for t in ts)
sys.exit(0 if ok else 1)
PY
}

# A charon plugin socket (README: strongSwan plugin) that accepts every
# connection and never answers: each RFC 7717 look-up waits for xwampd's
# 2 s timeout (XW_IKESRC_TIMEOUT_MS).
stalling_charon() {
	# in the server's namespace, so that xw_ns_down ends it with the test
	in_s python3 - "$1" <<'PY' &
import os, pwd, socket, sys, time
path = sys.argv[1]
ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ls.bind(path)
# xwampd runs as nobody after its start: the socket is that user's, as the
# plugin's charon.plugins.xwamp.user makes it
os.chown(path, pwd.getpwnam("nobody").pw_uid, -1)
os.chmod(path, 0o600)
ls.listen(64)
held = []
while True:
    c, _ = ls.accept()
    held.append(c)  # read nothing, answer nothing
PY
	local i
	for i in $(seq 50); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

key_source_stall() {
	local sock=$XW_TMP/run/charon.sock spis=spi:0123456789abcdeffedcba9876543210
	chmod 711 "$XW_TMP"
	mkdir -m 700 "$XW_TMP/run" && chown nobody "$XW_TMP/run"
	stalling_charon "$sock" || return 1
	xw_start_server --listen $XW_S4 --modes open,auth --ike-socket "$sock" || return 1
	good_start 600
	good_running || return 1
	# two clients, two RFC 7717 setups each (Mode 130): ~4 s of stalled look-ups
	in_c python3 "$PEER" setups $XW_S4 2 130 $spis 192.0.2.11 >"$XW_TMP/s1.out" &
	local a=$!
	in_c python3 "$PEER" setups $XW_S4 2 130 $spis 192.0.2.12 >"$XW_TMP/s2.out" || return 1
	wait $a || return 1
	good_check || return 1
	# the look-up failed (no answer): Server-Start Accept 2 after the 2 s timeout
	setups_check "$XW_TMP/s1.out" 2 2 1.5 || return 1
	setups_check "$XW_TMP/s2.out" 2 2 1.5 || return 1
	expect "xwampd logged the stalled source" \
		grep -q 'charon key socket.*no answer' "$XW_TMP/xwampd.log"
}

pbkdf2_storm() {
	KF=$(xw_keyfile)
	# Count 2^19: one derivation takes about half a second here
	xw_start_server --listen $XW_S4 --modes open,auth --keyfile "$KF" --count 524288 || return 1
	good_start 600
	good_running || return 1
	local a b
	# three clients, five authenticated setups each with a random Token: Accept 1
	in_c python3 "$PEER" setups $XW_S4 5 2 alice 192.0.2.11 >"$XW_TMP/p1.out" &
	a=$!
	in_c python3 "$PEER" setups $XW_S4 5 2 alice 192.0.2.12 >"$XW_TMP/p2.out" &
	b=$!
	in_c python3 "$PEER" setups $XW_S4 5 2 alice 192.0.2.13 >"$XW_TMP/p3.out" || return 1
	wait $a || return 1
	wait $b || return 1
	good_check || return 1
	setups_check "$XW_TMP/p1.out" 5 1 0.01 || return 1
	setups_check "$XW_TMP/p2.out" 5 1 0.01 || return 1
	setups_check "$XW_TMP/p3.out" 5 1 0.01
}

# Unknown and known KeyIDs (with a wrong Token: Accept 1 both) take the same
# time to the Server-Start: medians of 12 tries each, taken in turn, within a
# factor of 2 (an unknown KeyID without a derivation answers ~100 times sooner).
keyid_timing() {
	KF=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --modes auth --keyfile "$KF" --count 65536 || return 1
	in_c python3 "$PEER" setups $XW_S4 24 2 alice,mallory >"$XW_TMP/t.out" || return 1
	python3 - "$XW_TMP/t.out" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.startswith("SETUP ")]
by = {}
for r in rows:
    if int(r[1]) != 1:
        print("# %s got Accept %s, not 1" % (r[3], r[1]))
        sys.exit(1)
    by.setdefault(r[3], []).append(float(r[2]))
k, u = statistics.median(by["alice"]), statistics.median(by["mallory"])
print("# median time to Server-Start: known KeyID %.2f ms, unknown %.2f ms, ratio %.2f"
      % (k * 1e3, u * 1e3, u / k))
if k < 0.003:
    print("# a known KeyID took under 3 ms: Count 65536 should take longer")
    sys.exit(1)
sys.exit(0 if 0.5 <= u / k <= 2.0 else 1)
PY
}

# rcvbuf_of N: the receive buffer (ss's rb, twice SO_RCVBUF) of the reflector
# socket of a running session, with --max-sessions-total N
rcvbuf_of() {
	xw_start_server --listen $XW_S4 --modes open --max-sessions-total "$1" || return 1
	in_c "$XWPING" -A open -c 150 -i 0.01 $XW_S4 >/dev/null 2>&1 &
	local p=$! i rb= shared
	for i in $(seq 40); do
		# the session's socket, bound to the address (the shared sockets of
		# the sk_lookup steering are bound to the wildcard)
		rb=$(in_s ss -Huamn src $XW_S4 | grep -o 'rb[0-9]*' | head -1)
		[ -n "$rb" ] && break
		sleep 0.05
	done
	shared=$(in_s ss -Huamn src 0.0.0.0 | grep -o 'rb[0-9]*' | head -1)
	wait $p
	kill "$XW_SRV_PID" 2>/dev/null
	wait "$XW_SRV_PID" 2>/dev/null
	echo "${rb#rb} ${shared#rb}"
}

# The sessions share a 64 MiB budget of receive buffers: 1 MiB each up to 64
# sessions, 128 KiB each for the default 512, so that thousands of sessions
# cannot pin GiBs of kernel memory.  The shared socket of the sk_lookup
# steering, where the sessions' datagrams wait, holds what they could hold
# together (16 x 1 MiB, 512 x 128 KiB); the kernel reports twice the value.
rcvbuf_budget() {
	local big small
	big=($(rcvbuf_of 16))
	small=($(rcvbuf_of 512))
	xw_log "receive buffer of a session's socket and of the shared one: ${big[*]}" \
		"(16 sessions), ${small[*]} (512 sessions)"
	expect "1 MiB with 16 sessions at most" [ "${big[0]:-0}" -ge $((2 * 1048576)) ] || return 1
	expect "128 KiB with 512" [ "${small[0]:-0}" -eq $((2 * 131072)) ] || return 1
	expect "shared: 16 MiB with 16" [ "${big[1]:-0}" -eq $((2 * 16 * 1048576)) ] || return 1
	expect "shared: 64 MiB with 512" [ "${small[1]:-0}" -eq $((2 * 64 * 1048576)) ]
}

# Memory per session and per connection, as documented in the README (RSS
# growth of xwampd; measured 53..70 KiB per session with 41-octet packets,
# 17 KiB per idle connection, mostly the 16 KiB buffer for the largest
# Start-N-Sessions).  Bounds: 128 KiB and 34 KiB.
memory_per_session() {
	xw_start_server --listen $XW_S4 --modes open --max-sessions 64 --max-conns-per-client 200 ||
		return 1
	sleep 0.3
	local r0 r1 r2 r3 n p1 p2 pc
	r0=$(status_kb VmRSS)
	in_c "$XWPING" -A open --sessions 32 -c 500 -i 0.01 $XW_S4 >/dev/null 2>&1 &
	p1=$!
	in_c "$XWPING" -A open --sessions 32 -c 500 -i 0.01 $XW_S4 >/dev/null 2>&1 &
	p2=$!
	# all 64 started (waited for: a fixed 4 s was not always enough to set up
	# 64 sessions), then the RSS 3 s into the last one's 5 s, as before
	local _
	for _ in $(seq 400); do
		[ "$(grep -c 'started, path' "$XW_TMP/xwampd.log")" -ge 64 ] && break
		sleep 0.05
	done
	sleep 3
	r1=$(status_kb VmRSS)
	n=$(grep -c 'started, path' "$XW_TMP/xwampd.log")
	wait $p1 $p2
	sleep 0.5
	r2=$(status_kb VmRSS)
	in_c python3 - <<'PY' &
import socket, time
held = []
for i in range(100):
    s = socket.create_connection(("192.0.2.2", 862))
    s.recv(64)
    held.append(s)
time.sleep(3)
PY
	pc=$!
	sleep 2
	r3=$(status_kb VmRSS)
	wait $pc
	xw_log "$n sessions: RSS $r0 -> $r1 KiB, $(((r1 - r0) / (n > 0 ? n : 1))) KiB each;" \
		"100 idle connections: $r2 -> $r3 KiB, $(((r3 - r2) * 1024 / 100)) octets each"
	expect "64 sessions ran" [ "$n" -eq 64 ] || return 1
	expect "under 128 KiB per session" [ $((r1 - r0)) -lt $((64 * 128)) ] || return 1
	expect "under 34 KiB per idle connection" [ $((r3 - r2)) -lt $((100 * 34)) ]
}

TESTS=(non_reader key_source_stall pbkdf2_storm keyid_timing rcvbuf_budget memory_per_session)
xw_run "$@"
