#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xwping's defences against a hostile server or an on-path attacker
# (RFC 5357 6, RFC 4656 3.1): with a key it never falls back to open mode
# unless -A says so, and it refuses a greeting whose PBKDF2 Count is above
# --max-count (default 32768).
. "$(dirname "$0")/lib.sh"
PEER=$(dirname "$0")/badpeer.py
MITM_PORT=8862

# mitm_start MODES: badpeer.py relays one connection from $XW_S4:8862 to
# xwampd on $XW_S4:862, with the greeting's Modes rewritten to MODES.
mitm_start() {
	in_s python3 "$PEER" mitm $XW_S4 $MITM_PORT $XW_S4 "$1" >"$XW_TMP/mitm.out" 2>&1 &
	MITM=$!
	XW_PIDS="$XW_PIDS $MITM"
	xw_wait_listen $MITM_PORT "the relay"
}

mitm_wait() {
	wait $MITM 2>/dev/null
	sed 's/^/#   mitm: /' "$XW_TMP/mitm.out"
}

# An attacker removes auth/enc/mixed from the greeting: xwping with a key
# refuses with a clear message and sends Mode 0; the server never runs an open
# session.  With -A open,auth,enc the same attack gets an open session (the
# user allowed it), which shows the attack is real.
downgrade_refused() {
	local kf
	kf=$(xw_keyfile)
	# The relay runs in the server's namespace, so the server sees the control
	# connection from $XW_S4 while the test packets come from $XW_C4: admit
	# that sender as an operator would for a NAT (RFC 4656 6.2).
	xw_start_server --listen $XW_S4 --keyfile "$kf" --modes open,auth,enc,mixed \
		--allow-sender $XW_C4/32 || return 1
	# no attacker: the strongest mode
	in_c "$XWPING" -u alice -k "$kf" -c 3 -i 0.01 --json $XW_S4 >"$XW_TMP/ok.json" \
		2>"$XW_TMP/ok.err" || { sed 's/^/#   /' "$XW_TMP/ok.err"; return 1; }
	expect "without the attacker: encrypted mode" grep -q 'Mode 0x4 accepted' "$XW_TMP/xwampd.log" || return 1

	mitm_start 0x1 || return 1
	if in_c "$XWPING" -u alice -k "$kf" -c 3 -i 0.01 $XW_S4:$MITM_PORT >"$XW_TMP/dg.out" 2>&1; then
		xw_log "xwping ran with the keyed modes removed from the greeting"
		return 1
	fi
	mitm_wait
	sed 's/^/#   xwping: /' "$XW_TMP/dg.out"
	expect "clear message" grep -q 'refusing to fall back to open mode with a key' "$XW_TMP/dg.out" || return 1
	expect "-A open named as the way out" grep -q -- '-A open allows it' "$XW_TMP/dg.out" || return 1
	expect "Set-Up-Response Mode 0" grep -q '# client Mode 0$' "$XW_TMP/mitm.out" || return 1
	expect "the server saw Mode 0" grep -q 'client chose Mode 0' "$XW_TMP/xwampd.log" || return 1
	expect "no open session" [ "$(grep -c 'Mode 0x1 accepted' "$XW_TMP/xwampd.log")" = 0 ] || return 1

	mitm_start 0x1 || return 1
	in_c "$XWPING" -A open,auth,enc -u alice -k "$kf" -c 3 -i 0.01 --json $XW_S4:$MITM_PORT \
		>"$XW_TMP/open.json" 2>"$XW_TMP/open.err" || { sed 's/^/#   /' "$XW_TMP/open.err"; return 1; }
	mitm_wait
	expect "asked for: the attack gives an open session" grep -q 'Mode 0x1 accepted' "$XW_TMP/xwampd.log" || return 1
	expect "3 replies" [ "$(json_get "$XW_TMP/open.json" '(j["sessions"][0] if "sessions" in j else j)["packets"]["received"]')" = 3 ]
}

# A server whose greeting asks for Count 65536 (> 32768): refused with a key,
# accepted with --max-count 65536; open mode, which does no PBKDF2, is not
# affected.
count_limit() {
	local kf
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --keyfile "$kf" --modes open,auth,enc --count 65536 || return 1
	if in_c "$XWPING" -A auth -u alice -k "$kf" -c 3 -i 0.01 $XW_S4 >"$XW_TMP/c.out" 2>&1; then
		xw_log "xwping accepted Count 65536 with the default maximum"
		return 1
	fi
	sed 's/^/#   xwping: /' "$XW_TMP/c.out"
	expect "clear message" grep -q 'more PBKDF2 iterations (Count) than --max-count 32768' "$XW_TMP/c.out" || return 1
	expect "the server got no Set-Up-Response" [ "$(grep -c 'accepted\|refusing' "$XW_TMP/xwampd.log")" = 0 ] || return 1
	in_c "$XWPING" -A auth -u alice -k "$kf" --max-count 65536 -c 3 -i 0.01 --json $XW_S4 \
		>"$XW_TMP/m.json" 2>"$XW_TMP/m.err" || { sed 's/^/#   /' "$XW_TMP/m.err"; return 1; }
	expect "--max-count 65536: authenticated session" grep -q 'Mode 0x2 accepted' "$XW_TMP/xwampd.log" || return 1
	in_c "$XWPING" -A open -c 3 -i 0.01 --json $XW_S4 >"$XW_TMP/o.json" 2>"$XW_TMP/o.err" ||
		{ sed 's/^/#   /' "$XW_TMP/o.err"; return 1; }
	expect "open mode unaffected" grep -q 'Mode 0x1 accepted' "$XW_TMP/xwampd.log"
}

TESTS=(downgrade_refused count_limit)
xw_run "$@"
