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
	in_c "$XWPING" -O -t -A auth -u alice -k "$kf" -c 250 -i 0.02 --wait 1 --json "$XW_S4" \
		>"$XW_TMP/f.json" 2>"$XW_TMP/err" &
	local ping=$!
	for _ in $(seq 100); do
		port=$(sed -n 's/.*owamp .* 192\.0\.2\.2:\([0-9]*\) <- 192\.0\.2\.1:\([0-9]*\): receive session.*/\1 \2/p' \
			"$XW_TMP/xwampd.log" | head -n1)
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { xw_log "no receive session in the log"; return 1; }
	# 48-octet packets with a wrong HMAC, from the sender's own address and port,
	# within the 5 s session (python may be slow to start on a loaded machine)
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
	expect "5 forged, 250 recorded" \
		grep -q "receiver closed (Stop-Sessions): 255 received, 250 recorded, 5 forged, 0 dropped" \
		"$XW_TMP/xwampd.log" || return 1
	expect "the fetched data has the 250 real packets only" \
		test "$(json_get "$XW_TMP/f.json" 'j["to_server"]["received"]')" = 250
}

# --- the XDP receiver ----------------------------------------------------------
# With --xdp, an open-mode session the server receives is recorded by the XDP
# program (ring buffer, frame dropped): proven by the program's counter
# (stats slot owamp-recorded) and by xwampd's "N by XDP".  The client end
# sends with complete UDP checksums (tx offload off), as test_e2e_xdp.sh.
S_OW_RECORDED=22
S_REDIRECTED=14
S_NO_SESS=6

# xdp_setup: a bpffs for the pins ($PINS), complete UDP checksums from the client
xdp_setup() {
	BPFFS=$XW_TMP/bpf
	PINS=$BPFFS/xwamp
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS" || return 1
	trap 'umount -l "$BPFFS" 2>/dev/null' EXIT
	in_c ethtool -K xwc0 tx off >/dev/null
}

xdp_receiver() {
	local addr=$1 kf out n
	xdp_setup || return 1
	kf=$(xw_keyfile)
	xw_start_server --listen "$addr" --keyfile "$kf" --modes open,auth,enc --xdp xws0 \
		--xdp-mode native --bpf-dir "$PINS" || return 1
	xw_wait_owamp || return 1
	out=$XW_TMP/xdp.json
	# open: XDP; then encrypted: AF_XDP (afxdp_receiver), the ring buffer untouched
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
	expect "encrypted: XDP ring buffer counter unchanged" [ "$(stat_slot $S_OW_RECORDED)" = "$COUNT" ]
}
xdp_ipv4() { xdp_receiver "$XW_S4"; }

# --- the AF_XDP receiver (authenticated and encrypted) -------------------------
# With --xdp, an authenticated or encrypted session the server receives is
# redirected by the XDP program (stamped there) to xwampd's AF_XDP socket,
# verified and stored.  Proven by the program's redirected-afxdp counter
# (every frame of the session, real and forged) and xwampd's AF_XDP
# counters; the fetched records are compared with what was sent, packet by
# packet.  Meanwhile forged packets are sent into the running session from
# the sender's own address and port: 5 of garbage (a wrong HMAC) and 5 well
# formed but sealed with another key (RFC 4656 4.1.2 layout, AES and
# HMAC-SHA1 under random keys): all counted bad-hmac, none fetched.
AF_COUNT=100

# forge FAMILY SRC DST MODE GOFILE: the 10 forged packets (raw socket, complete
# checksum), sent once GOFILE holds "SPORT DPORT" (python and its imports are
# slow to start on a loaded machine: started before the session)
forge() {
	in_c python3 - "$@" <<'PY'
import os, socket, struct, sys, time
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
fam, src, dst, mode, go = sys.argv[1:6]
v6 = fam == "6"
until = time.time() + 60
while not (os.path.exists(go) and open(go).read().endswith("\n")):
    if time.time() > until:
        sys.exit(1)
    time.sleep(0.01)
sport, dport = (int(x) for x in open(go).read().split())

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s & 0xFFFF) or 0xFFFF

def udp(payload):
    ulen = 8 + len(payload)
    af = socket.AF_INET6 if v6 else socket.AF_INET
    ph = socket.inet_pton(af, src) + socket.inet_pton(af, dst)
    ph += struct.pack("!IxxxB", ulen, 17) if v6 else struct.pack("!xBH", 17, ulen)
    hdr = struct.pack("!HHHH", sport, dport, ulen, 0)
    return struct.pack("!HHHH", sport, dport, ulen, csum(ph + hdr + payload)) + payload

def sealed(seq):
    # RFC 4656 4.1.2 authenticated/encrypted sender packet, 48 octets, with keys not the session's
    aes, hk = os.urandom(16), os.urandom(32)
    now = time.time() + 2208988800
    ts = (int(now) << 32) | int((now % 1) * (1 << 32))
    plain = struct.pack("!I12xQH6x", seq, ts, 0x0001)
    h = hmac.HMAC(hk, hashes.SHA1())
    h.update(plain)
    mac = h.finalize()[:16]
    if mode == "auth":
        e = Cipher(algorithms.AES(aes), modes.ECB()).encryptor()
        body = e.update(plain[:16]) + e.finalize() + plain[16:]
    else:
        e = Cipher(algorithms.AES(aes), modes.CBC(bytes(16))).encryptor()
        body = e.update(plain) + e.finalize()
    return body + mac

s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.bind((src, 0))
pkts = [bytes([0x42]) * 48 for _ in range(5)] + [sealed(i) for i in range(5)]
for p in pkts:
    s.sendto(udp(p), (dst, 0))
PY
}

# per_packet FILE N: the fetched records are the N packets sent, each once, in order
per_packet() {
	python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["to_server"]
n = int(sys.argv[2])
recs = j.get("per_packet", [])
errs = []
seqs = [r["seq"] for r in recs]
if sorted(seqs) != list(range(n)):
    errs.append("sequence numbers %r" % seqs[:20])
if any(r["ttl"] != 255 for r in recs):
    errs.append("TTL %r" % sorted({r["ttl"] for r in recs}))
got = sorted(recs, key=lambda r: r["seq"])
for a, b in zip(got, got[1:]):
    if not (a["send_ts"] < b["send_ts"] and a["recv_ts"] < b["recv_ts"]):
        errs.append("not monotone at seq %d" % b["seq"])
        break
for r in recs:
    d = (r["recv_ts"] - r["send_ts"]) / 2**32
    if not 0 <= d < 1 or not r["recv_errest"] & 0xFF:
        errs.append("seq %d: delay %.6f s, receive Error Estimate %#x" % (r["seq"], d, r["recv_errest"]))
        break
if errs:
    print("# " + "; ".join(errs))
    sys.exit(1)
PY
}

# afxdp_receiver MODE ADDR FAMILY CLIENT SERVER [socket]
# socket: the same with --no-afxdp, the reference: the socket receiver
# records the same and counts the same forgeries, nothing is redirected.
afxdp_receiver() {
	local mode=$1 addr=$2 fam=$3 cli=$4 srv=$5 sock=${6:-} kf out ping ports r0 rd0 n slot fpid _
	local path="AF_XDP on xws0" redir=$((AF_COUNT + 10))
	local tail="AF_XDP: received $((AF_COUNT + 10)), recorded $AF_COUNT, dropped 10: bad-hmac=10"
	[ -n "$sock" ] && path=socket tail="socket drops: bad-hmac=10" redir=0
	xdp_setup || return 1
	kf=$(xw_keyfile)
	# shellcheck disable=SC2046 # one option or none
	xw_start_server --listen "$addr" --keyfile "$kf" --modes open,auth,enc --xdp xws0 \
		--xdp-mode native --bpf-dir "$PINS" $([ -n "$sock" ] && echo --no-afxdp) || return 1
	xw_wait_owamp || return 1
	if [ -n "$sock" ]; then
		xw_wait_log "afxdp: off" || return 1
	else
		xw_wait_log "afxdp: xws0: 1 of 1 receive queues" || return 1
	fi
	slot=$S_REDIRECTED
	[ -n "$sock" ] && slot=$S_NO_SESS
	r0=$(stat_slot $slot)
	rd0=$(stat_slot $S_REDIRECTED)
	out=$XW_TMP/afxdp.json
	forge "$fam" "$cli" "$srv" "$mode" "$XW_TMP/forge.go" &
	fpid=$!
	in_c "$XWPING" -O -t -A "$mode" -u alice -k "$kf" -c $AF_COUNT -i 0.04 --wait 1 --json \
		--per-packet "$addr" >"$out" 2>"$XW_TMP/err" &
	ping=$!
	xw_wait_log "receive session of $AF_COUNT packets accepted" || return 1
	ports=$(sed -n 's/.*owamp .*:\([0-9]*\) <- .*:\([0-9]*\): receive session.*/\1 \2/p' \
		"$XW_TMP/xwampd.log" | head -n1)
	# the session is running once XDP redirects its packets (socket: passes them)
	for _ in $(seq 200); do
		[ "$(stat_slot $slot)" -gt "$r0" ] && break
		sleep 0.05
	done
	expect "the session runs (stats slot $slot moved)" [ "$(stat_slot $slot)" -gt "$r0" ] || return 1
	# shellcheck disable=SC2086 # $ports: the receiver's and the sender's port
	set -- $ports
	echo "$2 $1" >"$XW_TMP/forge.go"
	wait $fpid || { xw_log "could not inject"; return 1; }
	wait $ping || { xw_log "xwping failed"; sed 's/^/#   /' "$XW_TMP/err"; return 1; }
	n=$(($(stat_slot $S_REDIRECTED) - rd0)) # the pins go with xwampd
	kill "$XW_SRV_PID" && wait "$XW_SRV_PID" 2>/dev/null
	expect "the session said whose it was ($path)" \
		grep -q "receive session of $AF_COUNT packets accepted, receiver: $path" \
		"$XW_TMP/xwampd.log" || return 1
	expect "XDP redirected $redir frames to AF_XDP (redirected-afxdp $n)" [ "$n" = $redir ] ||
		{ grep 'receiver closed' "$XW_TMP/xwampd.log" | sed 's/^/#   /'; return 1; }
	expect "receiver: all by $path, 10 forged counted bad-hmac" \
		grep -q "receiver closed (Stop-Sessions): $((AF_COUNT + 10)) received, $AF_COUNT recorded, 10 forged, 0 dropped; 0 by XDP; $tail\$" \
		"$XW_TMP/xwampd.log" || { grep 'receiver closed' "$XW_TMP/xwampd.log" | sed 's/^/#   /'; return 1; }
	expect "fetched: $AF_COUNT received, none lost, no forged record" \
		test "$(json_get "$out" '(j["to_server"]["received"], j["to_server"]["lost"], j["to_server"]["duplicates"])')" = "($AF_COUNT, 0, 0)" || return 1
	expect "fetched records: seq 0..$((AF_COUNT - 1)) once, TTL 255, monotone, plausible delays" \
		per_packet "$out" $AF_COUNT
}
afxdp_ipv4_auth() { afxdp_receiver auth "$XW_S4" 4 "$XW_C4" "$XW_S4"; }
afxdp_ipv4_enc() { afxdp_receiver enc "$XW_S4" 4 "$XW_C4" "$XW_S4"; }
afxdp_ipv6_auth() { afxdp_receiver auth "[$XW_S6]" 6 "$XW_C6" "$XW_S6"; }
afxdp_ipv6_enc() { afxdp_receiver enc "[$XW_S6]" 6 "$XW_C6" "$XW_S6"; }
socket_reference_ipv4_enc() { afxdp_receiver enc "$XW_S4" 4 "$XW_C4" "$XW_S4" socket; }

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
	store_limit fetch_later no_owamp forged_not_recorded xdp_ipv4 xdp_ipv6 afxdp_ipv4_auth
	afxdp_ipv4_enc afxdp_ipv6_auth afxdp_ipv6_enc socket_reference_ipv4_enc rfc7717_owamp
	rfc7717_owamp_off_by_default)
xw_run "$@"
