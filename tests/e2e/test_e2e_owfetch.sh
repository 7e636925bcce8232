#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# OWAMP-Control robustness end to end.  Fetch-Session of a large stored
# session (RFC 4656 3.9): a session of a million packets, started and
# stopped with all of them "sent" and none received, leaves a million
# lost-packet records in xwampd's store (25 MB of session data).  Fetched on
# another connection, every record arrives byte-exact, and xwampd's RSS
# grows by far less than the answer (it streams the records as the client
# reads them; answering in one buffer cost the data twice over).  A client
# that asks for it and then reads nothing does not grow xwampd either, and
# another client is served meanwhile.  Then the timers (an idle connection,
# one that never sends Stop-Sessions) and the schedule slot bound.
. "$(dirname "$0")/lib.sh"

N=1000000
OWF=$(dirname "$0")/owfetch.py

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$XW_SRV_PID/status"; }

# fill: the stored session; sets SID
fill() {
	xw_start_server --listen "$XW_S4" --owamp-max-records 2000000 || return 1
	xw_wait_owamp || return 1
	in_c python3 "$OWF" fill $XW_S4 $N >"$XW_TMP/fill.out" 2>&1 || {
		sed 's/^/#   /' "$XW_TMP/fill.out"
		return 1
	}
	SID=$(awk '/^SID/ {print $2}' "$XW_TMP/fill.out")
	expect "a SID ($(cat "$XW_TMP/fill.out"))" [ -n "$SID" ]
}

# max_rss_while PID: the largest RSS of xwampd (kB) while PID runs
max_rss_while() {
	local max=0 r
	while kill -0 "$1" 2>/dev/null; do
		r=$(rss_kb)
		[ "${r:-0}" -gt $max ] && max=$r
		sleep 0.02
	done
	echo $max
}

fetch_million_byte_exact_bounded_rss() {
	local before peak pid
	fill || return 1
	before=$(rss_kb)
	in_c python3 "$OWF" fetch $XW_S4 "$SID" $N >"$XW_TMP/fetch.out" 2>&1 &
	pid=$!
	peak=$(max_rss_while $pid)
	wait $pid
	xw_log "$(cat "$XW_TMP/fetch.out"); xwampd RSS $before kB before, $peak kB at most during the fetch"
	expect "all $N records byte-exact" grep -q "^RECORDS $N OK" "$XW_TMP/fetch.out" || return 1
	# the answer is 25 MB: whole, it cost more than that (it cost 57 MB)
	expect "RSS grew by less than 8 MB during the fetch ($((peak - before)) kB)" \
		[ $((peak - before)) -lt 8192 ]
}

nonreader_does_not_grow_and_others_are_served() {
	local before after pid
	fill || return 1
	before=$(rss_kb)
	in_c python3 "$OWF" stall $XW_S4 "$SID" 6 >"$XW_TMP/stall.out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do grep -q STALLED "$XW_TMP/stall.out" && break; sleep 0.05; done
	expect "the fetch started" grep -q STALLED "$XW_TMP/stall.out" || return 1
	sleep 1
	# another client meanwhile: a whole one-way test, both directions
	in_c timeout 20 "$XWPING" -O -c 5 -i 0.01 --wait 1 $XW_S4 >"$XW_TMP/ping.out" 2>&1
	expect "another client is served during the stalled fetch" [ $? = 0 ] || {
		sed 's/^/#   /' "$XW_TMP/ping.out"
		return 1
	}
	after=$(rss_kb)
	wait $pid
	xw_log "stalled client: $(tr '\n' ' ' <"$XW_TMP/stall.out"); RSS $before kB -> $after kB"
	expect "RSS grew by less than 8 MB with a client not reading ($((after - before)) kB)" \
		[ $((after - before)) -lt 8192 ]
}

# RFC 4656 3: a control message not received some minutes after it is
# expected SHOULD drop the connection.  An OWAMP connection idle after the
# handshake is closed by SERVWAIT; one whose sessions are complete (3.8:
# Timeout after the last scheduled packet, here 0.5 + 1 s) but that never
# sends Stop-Sessions is closed REFWAIT after that; a client testing
# meanwhile is served to the end.
idle_control_closed_others_served() {
	local pi pn idle nostop
	xw_start_server --listen "$XW_S4" --servwait 2 --refwait 2 || return 1
	xw_wait_owamp || return 1
	in_c python3 "$OWF" idle $XW_S4 20 >"$XW_TMP/idle.out" 2>&1 &
	pi=$!
	in_c python3 "$OWF" nostop $XW_S4 20 >"$XW_TMP/nostop.out" 2>&1 &
	pn=$!
	in_c timeout 30 "$XWPING" -O -c 60 -i 0.1 --wait 1 $XW_S4 >"$XW_TMP/ping.out" 2>&1
	expect "a client testing for 6 s meanwhile is served" [ $? = 0 ] || {
		sed 's/^/#   /' "$XW_TMP/ping.out"
		return 1
	}
	wait $pi $pn
	idle=$(awk '/^CLOSED/ {print int($2 * 10)}' "$XW_TMP/idle.out")
	nostop=$(awk '/^CLOSED/ {print int($2 * 10)}' "$XW_TMP/nostop.out")
	xw_log "idle: $(cat "$XW_TMP/idle.out"); never stopped: $(cat "$XW_TMP/nostop.out")"
	expect "the idle connection closed after SERVWAIT 2 s (${idle:-open} ds)" \
		[ -n "$idle" ] && [ "$idle" -ge 15 ] && [ "$idle" -le 120 ] || return 1
	expect "the unstopped one closed REFWAIT 2 s after its sessions were complete (${nostop:-open} ds)" \
		[ -n "$nostop" ] && [ "$nostop" -ge 30 ] && [ "$nostop" -le 150 ] || return 1
	expect "xwampd says why" grep -q "no Stop-Sessions 2 s after the sessions were complete" \
		"$XW_TMP/xwampd.log" || return 1
	grep -q "nothing received for 2 s (SERVWAIT)" "$XW_TMP/xwampd.log"
}

# --owamp-max-slots (RFC 4656 3.5 sets no bound on Number of Schedule
# Slots): at and below it accepted, above it Accept 4 (3.3: permanent
# resource limitation), even 200000 slots (3.2 MB) read through, and the
# connection goes on: a 1-slot request after them is accepted.
slots_bound() {
	local want
	xw_start_server --listen "$XW_S4" --owamp-max-slots 2000 || return 1
	xw_wait_owamp || return 1
	in_c python3 "$OWF" slots $XW_S4 1999 2000 2001 200000 >"$XW_TMP/slots.out" 2>&1
	want="SLOTS 1999 accept 0|SLOTS 2000 accept 0|SLOTS 2001 accept 4|SLOTS 200000 accept 4|SLOTS 1 accept 0|"
	expect "accepted up to 2000 slots, Accept 4 beyond, connection kept ($(tr '\n' '|' <"$XW_TMP/slots.out"))" \
		[ "$(tr '\n' '|' <"$XW_TMP/slots.out")" = "$want" ] || return 1
	expect "xwampd says why" grep -q "2001 schedule slots, more than --owamp-max-slots 2000" \
		"$XW_TMP/xwampd.log"
}

TESTS=(fetch_million_byte_exact_bounded_rss nonreader_does_not_grow_and_others_are_served
	idle_control_closed_others_served slots_bound)
xw_run "$@"
