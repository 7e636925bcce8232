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
#   pbkdf2_storm     authenticated setups with a PBKDF2 Count of 2^18
#   keyid_timing     unknown vs known KeyID: the same time to Server-Start
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$0")/badpeer.py
# Bound on the good session's reflector time p99 while the loop is attacked.
# Quiet, it is ~0.05 ms here; a look-up or PBKDF2 inside the loop makes it
# 2000 ms (the charon timeout) or the derivation time.  50 ms leaves room
# for a loaded 2-CPU machine.
P99_MAX_MS=50

# good_start COUNT: an open session of COUNT packets every 10 ms from 192.0.2.1
good_start() {
	GOOD_COUNT=$1
	in_c "$XWPING" -A open -c "$GOOD_COUNT" -i 0.01 --json $XW_S4 \
		>"$XW_TMP/good.json" 2>"$XW_TMP/good.err" &
	GOOD=$!
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

TESTS=(non_reader)
xw_run "$@"
