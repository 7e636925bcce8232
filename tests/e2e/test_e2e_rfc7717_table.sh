#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# RFC 7717 with the key table file (no IKE daemon): both ends read the key of
# an IKE SA as "SPIi SPIr KEY [PEER]" lines.  No passphrase anywhere.
# - authenticated and encrypted sessions with Mode | 128 and the SPIs in the
#   KeyID (RFC 7717 5.2), the key from the table (5.1);
# - SPIs the server does not know: Server-Start Accept 6 (5.3), logged with
#   the SPIs and the client;
# - a rekey (the table is replaced, SIGHUP) during a session: the session
#   keeps its keys and completes; the next session uses the new SA, and the
#   old SPIs get Accept 6.
. "$(dirname "$0")/lib.sh"

SPI_I=e33d65fab7818ad9
SPI_R=e58d539a5b542c26
KEY=e13c1305a4f2b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6
NEW_I=0123456789abcdef
NEW_R=fedcba9876543210
NEW_KEY=5a5a5a5a0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c

# table FILE LINE...: a key table readable by its owner only.  The server's
# belongs to the user xwampd runs as after start-up (nobody here: README
# Security), who re-reads it when it changes.
table() {
	local f=$1
	shift
	printf '%s\n' "$@" >"$f.tmp"
	chmod 600 "$f.tmp"
	if [ "${f##*/}" = srv.keys ]; then
		chown nobody "$f.tmp"
		chmod 711 "$XW_TMP"
	fi
	mv "$f.tmp" "$f"
}

start() {
	table "$XW_TMP/srv.keys" "$SPI_I $SPI_R $KEY"
	table "$XW_TMP/cli.keys" "$SPI_I $SPI_R $KEY $XW_S4"
	xw_start_server --listen $XW_S4 --ike-keys "$XW_TMP/srv.keys" --modes auth,enc || return 1
}

# ping MODE COUNT OUT: an IKE-keyed session; JSON to OUT
ping_ike() {
	in_c "$XWPING" --ike --ike-keys "$XW_TMP/cli.keys" -A "$1" -c "$2" -i 0.01 --json $XW_S4 \
		>"$3" 2>"$3.err"
}

check_session() { # JSON COUNT MODE-BITS
	python3 - "$@" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s = j["sessions"][0] if "sessions" in j else j
n, bits = int(sys.argv[2]), int(sys.argv[3])
p = s["packets"]
mb = j.get("mode_bits", s.get("mode_bits"))
errs = []
if (p["sent"], p["received"], p["lost"]) != (n, n, 0):
    errs.append("packets %r" % p)
if mb is None or mb & 0xff != bits:
    errs.append("mode_bits %r, want %d" % (mb, bits))
if errs:
    print("# " + "; ".join(errs))
    sys.exit(1)
PY
}

ike_authenticated_and_encrypted() {
	start || return 1
	ping_ike auth 20 "$XW_TMP/a.json" || { sed 's/^/#   /' "$XW_TMP/a.json.err"; return 1; }
	check_session "$XW_TMP/a.json" 20 130 || return 1
	ping_ike enc 20 "$XW_TMP/e.json" || { sed 's/^/#   /' "$XW_TMP/e.json.err"; return 1; }
	check_session "$XW_TMP/e.json" 20 132 || return 1
	expect "greeting offered IKEv2Derived" grep -Eq 'modes .*\((1[3-9][0-9]|2[0-9][0-9])\)' \
		"$XW_TMP/xwampd.log" || return 1
	# the table belongs to the user xwampd runs as: the recommended setup, no warning
	expect "no warning about the table's owner" \
		sh -c "! grep -q 'IKE key table .*owned by' '$XW_TMP/xwampd.log'"
}

unknown_spis_get_accept_6() {
	start || return 1
	table "$XW_TMP/cli.keys" "$NEW_I $NEW_R $KEY $XW_S4"
	if ping_ike auth 3 "$XW_TMP/x.json"; then
		xw_log "a session with SPIs the server does not know succeeded"
		return 1
	fi
	expect "client reports Accept 6" grep -q 'Accept 6' "$XW_TMP/x.json.err" || return 1
	expect "server logs the SPIs" grep -qi "$NEW_I.*$NEW_R\|$NEW_I $NEW_R" "$XW_TMP/xwampd.log"
}

rekey_during_a_session() {
	start || return 1
	ping_ike enc 150 "$XW_TMP/long.json" &
	local long=$!
	sleep 0.6
	# the IKE SA is rekeyed: new SPIs, new key, old SA gone
	table "$XW_TMP/srv.keys" "$NEW_I $NEW_R $NEW_KEY"
	kill -HUP $XW_SRV_PID
	wait $long || { sed 's/^/#   /' "$XW_TMP/long.json.err"; return 1; }
	check_session "$XW_TMP/long.json" 150 132 || return 1
	# old SPIs: gone
	if ping_ike auth 3 "$XW_TMP/old.json"; then
		xw_log "the old SA still works after the rekey"
		return 1
	fi
	expect "old SPIs get Accept 6" grep -q 'Accept 6' "$XW_TMP/old.json.err" || return 1
	# the next session uses the new SA
	table "$XW_TMP/cli.keys" "$NEW_I $NEW_R $NEW_KEY $XW_S4"
	ping_ike auth 20 "$XW_TMP/new.json" || { sed 's/^/#   /' "$XW_TMP/new.json.err"; return 1; }
	check_session "$XW_TMP/new.json" 20 130
}

TESTS=(ike_authenticated_and_encrypted unknown_spis_get_accept_6 rekey_during_a_session)
xw_run "$@"
