#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# OWAMP (RFC 4656) end to end: xwampd in one namespace listens on 861 beside
# TWAMP's 862, xwping -O in the other measures one way in both directions
# (and -t / -f alone) in every mode over IPv4 and IPv6: the server receives
# one session (socket receiver, its records fetched after Stop-Sessions) and
# sends the other (on the RFC 4656 5 schedule).  Asserts on xwping's JSON
# (every packet counted once per direction, one clock so delays >= 0, TTL
# 255 over one link) and on xwampd's counters (recorded = received, 0
# forged).  Then the limits: a session too big for the store gets Accept 4,
# and forged authenticated packets sent at the receiver are counted and
# never recorded.
. "$(dirname "$0")/lib.sh"

COUNT=40

# check_dir FILE DIR: one direction of xwping -O --json
check_dir() {
	python3 - "$1" "$2" "$COUNT" <<'PY' || return 1
import json, sys
f, d, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = json.load(open(f))[d]
errs = []
def want(cond, what):
    if not cond:
        errs.append(what)
want(s["sent"] == count, "sent %r" % s["sent"])
want(s["received"] == count, "received %r" % s["received"])
want(s["lost"] == 0 and s["duplicates"] == 0, "lost %r dup %r" % (s["lost"], s["duplicates"]))
want(s["forged"] == 0, "forged %r" % s["forged"])
dl = s["delay_ms"]
want(0 <= dl["min"] <= dl["median"] <= dl["max"] < 1000, "delay %r" % dl)
want(s["ttl"] == {"min": 255, "max": 255} and s["hops"]["max"] == 0, "ttl %r" % s["ttl"])
if errs:
    print("# %s: %s" % (d, "; ".join(errs)))
    sys.exit(1)
PY
}

# run_mode MODE ADDR [DIRECTION-OPTION]: one measurement, both or one direction
run_mode() {
	local mode=$1 addr=$2 dir=${3:-} kf out
	kf=$(xw_keyfile)
	xw_start_server --listen "$addr" --keyfile "$kf" --modes open,auth,enc || return 1
	xw_wait_owamp || return 1
	out=$XW_TMP/ow-$mode.json
	# shellcheck disable=SC2086 # $dir is one option or none
	if ! in_c "$XWPING" -O $dir -A "$mode" -u alice -k "$kf" -c "$COUNT" -i 0.005 --wait 1 \
		--json "$addr" >"$out" 2>"$XW_TMP/ping.err"; then
		xw_log "xwping -O failed:"
		sed 's/^/#   /' "$XW_TMP/ping.err" "$out"
		return 1
	fi
	kill "$XW_SRV_PID" && wait "$XW_SRV_PID" 2>/dev/null
	if [ "$dir" != -f ]; then
		check_dir "$out" to_server || return 1
		# the socket receiver recorded every packet, verified none forged
		expect "server receiver counters" \
			grep -q "receiver closed (Stop-Sessions): $COUNT received, $COUNT recorded, 0 forged, 0 dropped" \
			"$XW_TMP/xwampd.log" || return 1
	else
		expect "no to_server with -f" python3 -c 'import json,sys; sys.exit("to_server" in json.load(open(sys.argv[1])))' "$out" || return 1
	fi
	if [ "$dir" != -t ]; then
		check_dir "$out" from_server || return 1
		expect "server sender sent all, skipped none" \
			grep -q "sender closed (Stop-Sessions): $COUNT sent, 0 skipped, Next Seqno $COUNT" \
			"$XW_TMP/xwampd.log" || return 1
	fi
}

for m in open auth enc; do
	eval "ipv4_$m() { run_mode $m $XW_S4; }"
	eval "ipv6_$m() { run_mode $m '[$XW_S6]'; }"
done
ipv4_to_only() { run_mode enc "$XW_S4" -t; }
ipv6_from_only() { run_mode auth "[$XW_S6]" -f; }

# Accept 4 when the store cannot hold the session (--owamp-max-records)
store_limit() {
	xw_start_server --listen "$XW_S4" --owamp-max-records 40 || return 1
	xw_wait_owamp || return 1
	if in_c "$XWPING" -O -t -c "$COUNT" -i 0.005 --wait 1 "$XW_S4" >"$XW_TMP/out" 2>"$XW_TMP/err"; then
		xw_log "a session beyond the store's bound was accepted"
		return 1
	fi
	expect "xwping reports Accept 4" grep -q "Accept 4" "$XW_TMP/err" || return 1
	expect "xwampd says why" grep -q "cannot store the session" "$XW_TMP/xwampd.log" || return 1
	# a session that fits still works on the same server
	in_c "$XWPING" -O -t -c 20 -i 0.005 --wait 1 --json "$XW_S4" >"$XW_TMP/ok.json" ||
		{ xw_log "a fitting session failed"; return 1; }
	expect "fitting session complete" test "$(json_get "$XW_TMP/ok.json" 'j["to_server"]["received"]')" = 20
}

# The data outlives the connection that made it (RFC 4656 3.8): a new
# connection fetches it after the session ended, the same records; after
# --owamp-keep it is gone (Fetch-Ack 1).
fetch_later() {
	local sid a b
	xw_start_server --listen "$XW_S4" --owamp-keep 3 || return 1
	xw_wait_owamp || return 1
	in_c "$XWPING" -O -t -c "$COUNT" -i 0.005 --wait 1 --json "$XW_S4" >"$XW_TMP/a.json" \
		2>"$XW_TMP/err" || { sed 's/^/#   /' "$XW_TMP/err"; return 1; }
	sid=$(json_get "$XW_TMP/a.json" 'j["to_server"]["sid"]')
	in_c "$XWPING" -O --fetch "$sid" --json "$XW_S4" >"$XW_TMP/b.json" 2>"$XW_TMP/err" ||
		{ xw_log "fetch on a new connection failed"; sed 's/^/#   /' "$XW_TMP/err"; return 1; }
	check_dir "$XW_TMP/b.json" to_server || return 1
	a=$(json_get "$XW_TMP/a.json" 'j["to_server"]["delay_ms"]')
	b=$(json_get "$XW_TMP/b.json" 'j["to_server"]["delay_ms"]')
	expect "the same records from the second connection ($a / $b)" [ "$a" = "$b" ] || return 1
	sleep 4 # --owamp-keep 3 (expired by the timer, or before a fetch)
	if in_c "$XWPING" -O --fetch "$sid" "$XW_S4" >/dev/null 2>"$XW_TMP/err"; then
		xw_log "data fetched after --owamp-keep"
		return 1
	fi
	expect "Fetch-Ack 1 after --owamp-keep" grep -q "Fetch-Ack Accept 1" "$XW_TMP/err" || return 1
	# an unknown SID: Fetch-Ack 1 as well
	in_c "$XWPING" -O --fetch 00000000000000000000000000000001 "$XW_S4" >/dev/null 2>"$XW_TMP/err"
	expect "unknown SID: Fetch-Ack 1" grep -q "Fetch-Ack Accept 1" "$XW_TMP/err"
}

# --no-owamp: nothing on 861; the TWAMP side is unchanged
no_owamp() {
	xw_start_server --listen "$XW_S4" --no-owamp || return 1
	sleep 0.3
	if in_s ss -Hltn 'sport = :861' | grep -q LISTEN; then
		xw_log "xwampd listens on 861 with --no-owamp"
		return 1
	fi
	in_c "$XWPING" -c 5 -i 0.01 --wait 1 "$XW_S4" >/dev/null 2>"$XW_TMP/err" ||
		{ xw_log "TWAMP failed with --no-owamp"; sed 's/^/#   /' "$XW_TMP/err"; return 1; }
}

# Forged authenticated packets at the receiver: counted, never recorded.
forged_not_recorded() {
	local kf port
	kf=$(xw_keyfile)
	xw_start_server --listen "$XW_S4" --keyfile "$kf" --modes auth || return 1
	xw_wait_owamp || return 1
	in_c "$XWPING" -O -t -A auth -u alice -k "$kf" -c 100 -i 0.02 --wait 1 --json "$XW_S4" \
		>"$XW_TMP/f.json" 2>"$XW_TMP/err" &
	local ping=$!
	for _ in $(seq 100); do
		port=$(sed -n 's/.*owamp .* 192\.0\.2\.2:\([0-9]*\) <- 192\.0\.2\.1:\([0-9]*\): receive session.*/\1 \2/p' \
			"$XW_TMP/xwampd.log" | head -n1)
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { xw_log "no receive session in the log"; return 1; }
	# 48-octet packets with a wrong HMAC, from the sender's own address and port
	# (a raw socket, so that the 5-tuple is the real sender's)
	# shellcheck disable=SC2086 # two words: the receiver's and the sender's port
	in_c python3 - $port <<'PY' || { xw_log "could not inject"; return 1; }
import socket, struct, sys
dport, sport = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
for i in range(5):
    payload = bytes([0x42]) * 48
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    s.sendto(udp, ("192.0.2.2", 0))
PY
	wait $ping || { xw_log "xwping failed"; sed 's/^/#   /' "$XW_TMP/err"; return 1; }
	kill "$XW_SRV_PID" && wait "$XW_SRV_PID" 2>/dev/null
	expect "5 forged, 100 recorded" \
		grep -q "receiver closed (Stop-Sessions): 105 received, 100 recorded, 5 forged, 0 dropped" \
		"$XW_TMP/xwampd.log" || return 1
	expect "the fetched data has the 100 real packets only" \
		test "$(json_get "$XW_TMP/f.json" 'j["to_server"]["received"]')" = 100
}

# --- the XDP receiver ----------------------------------------------------------
# With --xdp, an open-mode session the server receives is recorded by the XDP
# program (ring buffer, frame dropped): proven by the program's counter
# (stats slot owamp-recorded) and by xwampd's "N by XDP".  The client end
# sends with complete UDP checksums (tx offload off), as test_e2e_xdp.sh.
S_OW_RECORDED=22

xdp_receiver() {
	local addr=$1 kf out n
	BPFFS=$XW_TMP/bpf
	PINS=$BPFFS/xwamp
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || return 1
	trap 'umount -l "$BPFFS" 2>/dev/null' EXIT
	in_c ethtool -K xwc0 tx off >/dev/null
	kf=$(xw_keyfile)
	xw_start_server --listen "$addr" --keyfile "$kf" --modes open,auth,enc --xdp xws0 \
		--xdp-mode native --bpf-dir "$PINS" || return 1
	xw_wait_owamp || return 1
	out=$XW_TMP/xdp.json
	# open: XDP; then encrypted: verified on the socket (the record must be decrypted)
	in_c "$XWPING" -O -A open -c "$COUNT" -i 0.005 --wait 1 --json "$addr" >"$out" \
		2>"$XW_TMP/err" || { sed 's/^/#   /' "$XW_TMP/err"; return 1; }
	check_dir "$out" to_server || return 1
	check_dir "$out" from_server || return 1
	n=$(stat_slot $S_OW_RECORDED)
	expect "XDP recorded all $COUNT (owamp-recorded $n)" [ "$n" = "$COUNT" ] || return 1
	expect "the session said it was XDP's" grep -q "receive session of $COUNT packets accepted, receiver: XDP" \
		"$XW_TMP/xwampd.log" || return 1
	expect "receiver counters: all by XDP" \
		grep -q "receiver closed (Stop-Sessions): $COUNT received, $COUNT recorded, 0 forged, 0 dropped; $COUNT by XDP" \
		"$XW_TMP/xwampd.log" || return 1
	in_c "$XWPING" -O -t -A enc -u alice -k "$kf" -c "$COUNT" -i 0.005 --wait 1 --json "$addr" \
		>"$out" 2>"$XW_TMP/err" || { sed 's/^/#   /' "$XW_TMP/err"; return 1; }
	check_dir "$out" to_server || return 1
	expect "encrypted: socket receiver, XDP counter unchanged" [ "$(stat_slot $S_OW_RECORDED)" = "$COUNT" ]
}
xdp_ipv4() { xdp_receiver "$XW_S4"; }

# ike_tables: one IKE SA's key in the server's and the client's key tables
ike_tables() {
	local i=e33d65fab7818ad9 r=e58d539a5b542c26
	local k=e13c1305a4f2b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6
	printf '%s %s %s\n' $i $r $k >"$XW_TMP/srv.keys"
	printf '%s %s %s %s\n' $i $r $k "$XW_S4" >"$XW_TMP/cli.keys"
	chmod 600 "$XW_TMP/srv.keys" "$XW_TMP/cli.keys"
}

# RFC 7717 on OWAMP: only with the explicit option on both ends (RFC 7717 3:
# a private arrangement for OWAMP), the same key table as TWAMP's.
rfc7717_owamp() {
	ike_tables
	xw_start_server --listen "$XW_S4" --ike-keys "$XW_TMP/srv.keys" --modes auth,enc \
		--owamp-ikev2 || return 1
	xw_wait_owamp || return 1
	in_c "$XWPING" -O --owamp-ikev2 --ike-keys "$XW_TMP/cli.keys" -A enc -c "$COUNT" -i 0.005 \
		--wait 1 --json "$XW_S4" >"$XW_TMP/ike.json" 2>"$XW_TMP/err" ||
		{ sed 's/^/#   /' "$XW_TMP/err"; return 1; }
	check_dir "$XW_TMP/ike.json" to_server || return 1
	check_dir "$XW_TMP/ike.json" from_server || return 1
	expect "encrypted with the IKEv2-derived bit (Mode 0x84) on 861" \
		grep -q "connected to $XW_S4:861" "$XW_TMP/xwampd.log" &&
		grep -q "Mode 0x84 accepted" "$XW_TMP/xwampd.log" || return 1
	# without the option on the client: no key at all, so no session
	if in_c "$XWPING" -O --ike-keys "$XW_TMP/cli.keys" -A enc -c 5 "$XW_S4" >/dev/null \
		2>"$XW_TMP/err2"; then
		xw_log "xwping -O used the IKE key without --owamp-ikev2"
		return 1
	fi
}

# The server without --owamp-ikev2 does not offer the bit on 861 (its TWAMP side does)
rfc7717_owamp_off_by_default() {
	ike_tables
	xw_start_server --listen "$XW_S4" --ike-keys "$XW_TMP/srv.keys" --modes auth,enc || return 1
	xw_wait_owamp || return 1
	if in_c "$XWPING" -O --owamp-ikev2 --ike-keys "$XW_TMP/cli.keys" -A enc -c 5 "$XW_S4" \
		>/dev/null 2>"$XW_TMP/err"; then
		xw_log "an OWAMP session with an IKE key the server did not offer"
		return 1
	fi
	expect "xwping says the bit is not offered" \
		grep -q "does not offer IKEv2-derived keys on OWAMP" "$XW_TMP/err"
}
xdp_ipv6() { xdp_receiver "[$XW_S6]"; }

TESTS=(ipv4_open ipv4_auth ipv4_enc ipv6_open ipv6_auth ipv6_enc ipv4_to_only ipv6_from_only
	store_limit fetch_later no_owamp forged_not_recorded xdp_ipv4 xdp_ipv6 rfc7717_owamp
	rfc7717_owamp_off_by_default)
xw_run "$@"
