#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Bad input against xwampd while a good session runs: each misbehaving client
# gets the protocol-correct reaction (RFC 4656 3.1 Server-Start Accept != 0,
# connection closed), a log line names it, and the concurrent good session
# (authenticated, from another address) completes with 0 loss.
. "$(dirname "$0")/lib.sh"

PEER=$(dirname "$0")/badpeer.py
GOOD_COUNT=200

# Starts the server and a 2-second authenticated session from 192.0.2.1.
start_with_good_session() {
	KF=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --keyfile "$KF" --modes open,auth,enc \
		--max-conns-per-client 4 --setup-timeout 2 "$@" || return 1
	in_c "$XWPING" -A auth -u alice -k "$KF" -c $GOOD_COUNT -i 0.01 --json $XW_S4 \
		>"$XW_TMP/good.json" 2>"$XW_TMP/good.err" &
	GOOD=$!
	sleep 0.3
}

good_session_completed() {
	if ! wait $GOOD; then
		xw_log "good session failed:"
		sed 's/^/#   /' "$XW_TMP/good.err"
		return 1
	fi
	python3 - "$XW_TMP/good.json" $GOOD_COUNT <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["sessions"][0] if "sessions" in j else j
st = s["packets"]
n = int(sys.argv[2])
if st["sent"] != n or st["received"] != n or st["lost"] != 0:
    print("# good session: sent %r received %r lost %r" % (st["sent"], st["received"], st["lost"]))
    sys.exit(1)
PY
}

# server_logged REGEX: xwampd wrote a line matching REGEX
server_logged() {
	grep -Eiq "$1" "$XW_TMP/xwampd.log" || {
		xw_log "no xwampd log line matching /$1/"
		return 1
	}
}

wrong_passphrase() {
	start_with_good_session || return 1
	local kf2=$XW_TMP/wrong
	printf 'alice %s\n' "$(printf 'wrong horse battery' | od -An -tx1 | tr -d ' \n')" >"$kf2"
	chmod 600 "$kf2"
	if in_c "$XWPING" -A auth -u alice -k "$kf2" -c 3 $XW_S4 >"$XW_TMP/bad.out" 2>&1; then
		xw_log "xwping with a wrong passphrase succeeded"
		return 1
	fi
	expect "client names the refusal" grep -qi 'accept' "$XW_TMP/bad.out" || return 1
	server_logged "192\.0\.2\.1.*(token|passphrase|key)" || return 1
	good_session_completed
}

unknown_keyid() {
	start_with_good_session || return 1
	local kf2=$XW_TMP/mallory
	printf 'mallory %s\n' "$(printf 'whatever' | od -An -tx1 | tr -d ' \n')" >"$kf2"
	chmod 600 "$kf2"
	if in_c "$XWPING" -A auth -u mallory -k "$kf2" -c 3 $XW_S4 >"$XW_TMP/bad.out" 2>&1; then
		xw_log "xwping with an unknown KeyID succeeded"
		return 1
	fi
	server_logged "mallory" || return 1
	good_session_completed
}

garbage_on_control_port() {
	start_with_good_session || return 1
	in_c python3 "$PEER" garbage $XW_S4 192.0.2.11 || return 1
	in_c python3 "$PEER" badmode $XW_S4 192.0.2.11 || return 1
	server_logged "192\.0\.2\.11" || return 1
	good_session_completed
}

stalled_client() {
	start_with_good_session || return 1
	in_c python3 "$PEER" stall $XW_S4 2 192.0.2.12 || return 1
	server_logged "192\.0\.2\.12.*(timeout|timed out|stall|Set-Up-Response within)" || return 1
	good_session_completed
}

connection_flood() {
	start_with_good_session || return 1
	in_c python3 "$PEER" flood $XW_S4 20 4 192.0.2.13 || return 1
	server_logged "192\.0\.2\.13.*(limit|too many)" || return 1
	good_session_completed
}

TESTS=(wrong_passphrase unknown_keyid garbage_on_control_port stalled_client connection_flood)
xw_run "$@"
