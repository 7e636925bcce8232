#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What a person at a terminal sees (issue: live progress, Ctrl-C, messages a
# user can act on): the "connecting" and "mode ... accepted" lines, a line per
# reply as it happens on a terminal (and none in a pipe), Ctrl-C that stops
# the sessions, reports them as interrupted and exits 130 (TWAMP and TWAMP
# Light), and one message per cause for the usual mistakes.
. "$(dirname "$0")/lib.sh"

# count PATTERN FILE: lines matching (0 when none)
count() { grep -c -- "$1" "$2" || true; }

live_lines() {
	xw_start_server --listen $XW_S4 --modes open || return 1
	# forced on in a pipe: lines come while the run is going on
	in_c "$XWPING" --live -c 12 -i 0.25 $XW_S4 >"$XW_TMP/live.out" 2>&1 &
	local p=$!
	sleep 2
	local early
	early=$(count 'bytes from 192.0.2.2:[0-9]*: seq=' "$XW_TMP/live.out")
	expect "still running after 2 s" kill -0 $p || return 1
	wait $p || { sed 's/^/#   /' "$XW_TMP/live.out"; return 1; }
	sed 's/^/#   /' "$XW_TMP/live.out" | head -5
	xw_log "$early reply lines after 2 s"
	expect "reply lines as they happen (>= 3 after 2 s)" [ "$early" -ge 3 ] || return 1
	expect "first line says where it connects" \
		[ "$(head -1 "$XW_TMP/live.out")" = "connecting to 192.0.2.2:862 (TWAMP-Control, timeout 30 s)" ] || return 1
	expect "then the mode and the sessions" grep -q '^192.0.2.2:862: mode open, 1 session accepted; 12 packets' "$XW_TMP/live.out" || return 1
	expect "12 reply lines" [ "$(count ' seq=' "$XW_TMP/live.out")" = 12 ] || return 1
	expect "rtt on each" [ "$(count 'rtt=[0-9.]* ms fwd=' "$XW_TMP/live.out")" = 12 ] || return 1

	# not a terminal, nothing forced: the summary only
	in_c "$XWPING" -c 3 -i 0.05 $XW_S4 >"$XW_TMP/pipe.out" 2>&1 || return 1
	expect "no reply lines in a pipe" [ "$(count 'bytes from' "$XW_TMP/pipe.out")" = 0 ] || return 1
	expect "the summary" grep -q '^3 sent, 3 received' "$XW_TMP/pipe.out" || return 1
	# a terminal: on by default (script gives xwping a pty); -q: off
	in_c script -qec "$XWPING -c 3 -i 0.3 $XW_S4" /dev/null >"$XW_TMP/tty.out" 2>&1 || return 1
	expect "reply lines on a terminal" [ "$(count 'bytes from' "$XW_TMP/tty.out")" = 3 ] || return 1
	in_c script -qec "$XWPING -q -c 3 -i 0.3 $XW_S4" /dev/null >"$XW_TMP/q.out" 2>&1 || return 1
	expect "-q: no reply lines" [ "$(count 'bytes from' "$XW_TMP/q.out")" = 0 ] || return 1
	expect "-q: no connecting line" [ "$(count 'connecting' "$XW_TMP/q.out")" = 0 ] || return 1
	# fast: one line per second instead
	in_c "$XWPING" --live -c 250 -i 0.01 $XW_S4 >"$XW_TMP/fast.out" 2>&1 || return 1
	expect "per-second lines at 100/s" grep -q '^1 s: [0-9]* sent, [0-9]* answered, rtt min/avg/max' "$XW_TMP/fast.out" || return 1
	expect "not one per reply" [ "$(count 'bytes from' "$XW_TMP/fast.out")" = 0 ]
}

# signal_run SIG OUT ARGS...: xwping ARGS (stdout to OUT) gets SIG after 1.5 s; RC its status
signal_run() {
	local sig=$1 out=$2 p
	shift 2
	ip netns exec "$XW_NS_C" "$XWPING" "$@" >"$out" 2>/dev/null &
	p=$!
	sleep 1.5
	kill -"$sig" $p
	wait $p
	RC=$?
}

# Ctrl-C (xwping itself gets the signal: ip netns exec, not the in_c subshell):
# Stop-Sessions goes out (the server stops the session at once, not at
# its REFWAIT), the report is printed and marked, the exit status is 130.
ctrl_c() {
	xw_start_server --listen $XW_S4 --modes open || return 1
	signal_run INT "$XW_TMP/int.out" -c 200 -i 0.05 $XW_S4
	sed 's/^/#   /' "$XW_TMP/int.out" | head -5
	expect "exit status 130" [ $RC = 130 ] || return 1
	expect "marked interrupted" grep -q '^--- interrupted by SIGINT after' "$XW_TMP/int.out" || return 1
	local sent
	sent=$(sed -n 's/^\([0-9]*\) sent, .*/\1/p' "$XW_TMP/int.out")
	expect "a partial report ($sent sent)" [ -n "$sent" ] && [ "$sent" -gt 5 ] && [ "$sent" -lt 200 ] || return 1
	local i
	for i in $(seq 20); do
		grep -q 'stopped: received' "$XW_TMP/xwampd.log" && break
		sleep 0.1
	done
	expect "the server stopped the session (Stop-Sessions)" grep -q 'stopped: received' "$XW_TMP/xwampd.log" || return 1
	# JSON says so too
	signal_run TERM "$XW_TMP/int.json" --json -c 200 -i 0.05 $XW_S4
	expect "SIGTERM: exit status 143" [ $RC = 143 ] || return 1
	expect "json interrupted" [ "$(json_get "$XW_TMP/int.json" 'j["interrupted"]')" = True ] || return 1
	# TWAMP Light (no reflector there: the run is all loss, still reported)
	signal_run INT "$XW_TMP/light.out" --light -c 200 -i 0.05 $XW_S4:8621
	expect "--light: exit status 130" [ $RC = 130 ] || return 1
	expect "--light: marked interrupted" grep -q '^--- interrupted by SIGINT' "$XW_TMP/light.out" || return 1
	expect "--light: the report" grep -q ' sent, 0 received' "$XW_TMP/light.out"
}

# One message per cause, with what to do.
messages() {
	local kf
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --keyfile "$kf" --modes open,auth,enc || return 1

	in_c "$XWPING" -c 1 $XW_S4:99999 >"$XW_TMP/m1" 2>&1 && return 1
	expect "port range" grep -q "port '99999' is not a number in 1..65535" "$XW_TMP/m1" || return 1
	expect "one line" [ "$(wc -l <"$XW_TMP/m1")" = 1 ] || return 1

	in_c "$XWPING" -A foo $XW_S4 >"$XW_TMP/m2" 2>&1 && return 1
	expect "-A lists the modes" grep -q 'open, auth, enc and mixed' "$XW_TMP/m2" || return 1
	expect "one line" [ "$(wc -l <"$XW_TMP/m2")" = 1 ] || return 1

	in_c "$XWPING" -6 -c 1 $XW_S4 >"$XW_TMP/m3" 2>&1 && return 1
	expect "-6 names the family" grep -q '192.0.2.2 has no IPv6 address (-6)' "$XW_TMP/m3" || return 1

	in_c "$XWPING" -c 1 192.0.2.2:8630 >"$XW_TMP/m4" 2>&1 && return 1
	expect "refused names the port" grep -q 'control 192.0.2.2:8630: connect: Connection refused' "$XW_TMP/m4" || return 1
	in_c "$XWPING" -c 1 192.0.2.2 >/dev/null 2>&1 || return 1

	local wrong=$XW_TMP/wrong
	printf 'alice %s\n' "$(printf 'wrong horse' | od -An -tx1 | tr -d ' \n')" >"$wrong"
	chmod 600 "$wrong"
	in_c "$XWPING" -A auth -u alice -k "$wrong" -c 1 $XW_S4 >/dev/null 2>"$XW_TMP/m5" && return 1
	sed 's/^/#   /' "$XW_TMP/m5"
	expect "wrong key: one message" [ "$(wc -l <"$XW_TMP/m5")" = 1 ] || return 1
	expect "wrong key: what to check" grep -q "refused KeyID 'alice'.*passphrase there differs" "$XW_TMP/m5" || return 1

	printf 'mallory %s\n' "$(printf 'x' | od -An -tx1 | tr -d ' \n')" >"$wrong"
	in_c "$XWPING" -A auth -u mallory -k "$wrong" -c 1 $XW_S4 >/dev/null 2>&1 && return 1
	expect "server: unknown KeyID logged once" [ "$(count mallory "$XW_TMP/xwampd.log")" = 1 ] || return 1

	in_c "$XWPING" -c 2 -i 0.05 $XW_S4 >"$XW_TMP/m6" 2>&1 || return 1
	expect "unsync: names NTP/chrony/PTP" grep -q 'NTP, chrony or PTP' "$XW_TMP/m6" || return 1

	in_c "$XWPING" --light -c 3 -i 0.05 $XW_S4:8621 >/dev/null 2>"$XW_TMP/m7"
	expect "--light without a reflector: the hint" grep -q 'no TWAMP Light reflector listens on that port' "$XW_TMP/m7" || return 1

	# garbage on the control port: a readable line, no errno number
	in_c python3 -c '
import socket, time
s = socket.create_connection(("192.0.2.2", 862))
s.recv(64)
s.sendall(bytes([0, 0, 0, 1]) + bytes(160))
s.recv(64)
s.sendall(b"T" * 64)
time.sleep(0.5)
' || return 1
	sleep 0.3
	expect "garbage: readable" grep -q 'not a TWAMP-Control command: Command Number 84' "$XW_TMP/xwampd.log" || return 1
	expect "garbage: no errno number" [ "$(count 'cannot be framed' "$XW_TMP/xwampd.log")" = 0 ] || return 1

	# a privileged port without privileges: says what is missing
	in_s setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$XWAMPD" --listen $XW_S4:863 --modes open >"$XW_TMP/m8" 2>&1 && return 1
	sed 's/^/#   /' "$XW_TMP/m8" | grep listen
	expect "listen: names the capability" grep -q 'listen 192.0.2.2:863: Permission denied: a port below 1024 needs root or the CAP_NET_BIND_SERVICE' "$XW_TMP/m8"
}

# -M and -R in the reference's formats, read by a parser written the way
# tools that read twping's output do it (KEY<TAB>VALUE lines, <BUCKETS>).
reference_formats() {
	xw_start_server --listen $XW_S4 --modes open || return 1
	in_c "$XWPING" -M -c 10 -i 0.02 -D 46 $XW_S4 >"$XW_TMP/m.out" 2>"$XW_TMP/m.err" || return 1
	sed 's/^/#   /' "$XW_TMP/m.out" | head -12
	python3 - "$XW_TMP/m.out" <<'PY' || return 1
import sys
lines = open(sys.argv[1]).read().split("\n")
kv, buckets, ttl, where = {}, [], [], None
for l in lines:
    if l in ("<BUCKETS>", "<TTLBUCKETS>"):
        where = buckets if l == "<BUCKETS>" else ttl
    elif l in ("</BUCKETS>", "</TTLBUCKETS>"):
        where = None
    elif where is not None:
        where.append([float(x) for x in l.split("\t")[1:]])
    elif l:
        k, v = l.split("\t")
        kv[k] = v
assert lines[0] == "SUMMARY\t3.00", lines[0]
assert lines[-2:] == ["", ""], "ends with a blank line"
assert kv["SENT"] == "10" and kv["LOST"] == "0", kv
assert kv["SESSION_FINISHED"] == "1" and kv["DSCP"] == "0x2e", kv
assert kv["TO_PORT"] and kv["FROM_ADDR"] == "192.0.2.1", kv
assert len(kv["SID"]) == 32 and len(kv["START_TIME"]) == 20, kv
assert int(kv["END_TIME"]) > int(kv["START_TIME"])
assert 0 < float(kv["MIN"]) <= float(kv["MEDIAN"]) <= float(kv["MAX"]) + 0.0001 < 0.1, kv
for c in range(3):
    assert sum(b[c + 1] for b in buckets) == 10, buckets
assert ttl == [[255.0, 10.0, 10.0]] or ttl[-1][0] == 255, ttl
assert kv["MINTTL_FWD"] == "255", kv
PY
	# -R: 16 fields per packet, lines as the replies arrive
	ip netns exec "$XW_NS_C" "$XWPING" -R -c 12 -i 0.25 $XW_S4 >"$XW_TMP/r.out" 2>&1 &
	local p=$!
	sleep 2
	local early
	early=$(wc -l <"$XW_TMP/r.out")
	wait $p || return 1
	expect "raw lines as they happen ($early after 2 s)" [ "$early" -ge 3 ] || return 1
	python3 - "$XW_TMP/r.out" <<'PY' || return 1
import sys
rows = [l.split(" ") for l in open(sys.argv[1]).read().splitlines()]
assert len(rows) == 12, len(rows)
for i, r in enumerate(rows):
    assert len(r) == 16, r
    assert int(r[0]) == i and int(r[8]) == i, r
    t1, t2, t3, t4 = (int(r[k]) for k in (1, 4, 9, 12))
    assert all(len(r[k]) == 20 for k in (1, 4, 9, 12)), r
    assert t1 <= t2 <= t3 <= t4 and t4 - t1 < (1 << 32) // 10, r  # one host, < 100 ms
    assert r[7] == "255" and r[15] == "255", r
PY
	# interrupted: SESSION_FINISHED 0 (the reference's "not finished normally")
	signal_run INT "$XW_TMP/mi.out" -M -c 200 -i 0.05 $XW_S4
	expect "-M interrupted: 130" [ $RC = 130 ] || return 1
	expect "-M interrupted: SESSION_FINISHED 0" grep -q '^SESSION_FINISHED	0$' "$XW_TMP/mi.out" || return 1
	expect "-M: nothing but the summary" [ "$(head -1 "$XW_TMP/mi.out")" = "SUMMARY	3.00" ]
}

# -O -M and -R in owping's formats.  -R is read by the parser of pScheduler's
# owping tool (its regex and its counting, rewritten here), given the argv
# that tool builds (-R -c -i -L, -t or -f, -S SOURCE, [ADDR]:PORT); -M by
# KEY<TAB>VALUE.  -S (owping's source address) is ours on the wire.
owamp_reference_formats() {
	xw_start_server --listen $XW_S4 --modes open || return 1
	xw_wait_owamp || return 1
	local dir
	for dir in -t -f; do
		in_c "$XWPING" -O -R -c 20 -i 0.01 -L 1 $dir -S 192.0.2.12 "[192.0.2.2]:861" >"$XW_TMP/owr$dir.out" \
			2>"$XW_TMP/owr$dir.err" || { sed 's/^/#   /' "$XW_TMP/owr$dir.err"; return 1; }
		head -2 "$XW_TMP/owr$dir.out" | sed 's/^/#   /'
		python3 - "$XW_TMP/owr$dir.out" <<'PY' || return 1
import re, sys
rx = re.compile(r'^(\d+) (\d+) (\d) ([-.0-9e+]*) (\d+) (\d) ([-.0-9e+]*) (\d+)$')
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == "", "ends with a newline"
sent = recv = dup = 0
seen, hist, ttl = set(), {}, {}
for l in lines[:-1]:
    m = rx.match(l)
    assert m, "not a raw line: %r" % l
    seq, sts, ss, serr, rts, rs, rerr, t = m.groups()
    assert len(sts) == 20 and len(rts) == 20, l
    if seq in seen:
        dup += 1
        continue
    seen.add(seq)
    sent += 1
    if int(rts) == 0:
        continue
    recv += 1
    delay = (float(rts) - float(sts)) / 2 ** 32
    assert 0 <= delay < 0.1, (l, delay)  # one host, one clock
    hist["%.2f" % round(delay / 0.001, 2)] = 1
    ttl[t] = ttl.get(t, 0) + 1
print("# %s: %d sent, %d received, %d duplicates, TTLs %s" % (sys.argv[1][-10:], sent, recv, dup, ttl))
assert (sent, recv, dup) == (20, 20, 0), (sent, recv, dup)
assert ttl == {"255": 20}, ttl
PY
	done
	# both directions, -M: owping's one-way SUMMARY for each, to the server first
	expect "-S: the server saw 192.0.2.12 send (-t)" grep -q '<- 192.0.2.12:[0-9]*: receive session' "$XW_TMP/xwampd.log" || return 1
	expect "-S: and send to it (-f)" grep -q -- '-> 192.0.2.12:[0-9]*: send session' "$XW_TMP/xwampd.log" || return 1
	in_c "$XWPING" -S 192.0.2.13 -c 2 -i 0.05 $XW_S4 >/dev/null 2>&1 || return 1
	expect "-S with TWAMP: the control connection from 192.0.2.13" grep -q 'control #[0-9]* 192.0.2.13:' "$XW_TMP/xwampd.log" || return 1
	in_c "$XWPING" -O --continuous --svg "$XW_TMP/c.svg" $XW_S4 >/dev/null 2>"$XW_TMP/s.err"
	expect "--continuous --svg refused, not an overwritten picture" grep -q 'no -M, -R, --light, --fetch or --svg' "$XW_TMP/s.err" || return 1
	in_c "$XWPING" -O -S 192.0.2.x -c 2 $XW_S4 >/dev/null 2>"$XW_TMP/s.err"
	expect "-S: a bad address is a usage error ($?)" grep -q 'not a numeric IPv4 or IPv6 address' "$XW_TMP/s.err" || return 1
	in_c "$XWPING" -O -M -c 20 -i 0.01 -D 46 $XW_S4 >"$XW_TMP/owm.out" 2>"$XW_TMP/owm.err" ||
		{ sed 's/^/#   /' "$XW_TMP/owm.err"; return 1; }
	sed 's/^/#   /' "$XW_TMP/owm.out" | head -30
	python3 - "$XW_TMP/owm.out" <<'PY' || return 1
import sys
text = open(sys.argv[1]).read()
parts = ["SUMMARY" + p for p in text.split("SUMMARY")[1:]]
assert text.startswith("SUMMARY\t3.00\n") and len(parts) == 2, text[:80]
res = []
for p in parts:
    kv, where, buckets, ttl, reord = {}, None, [], [], []
    lines = p.split("\n")
    for l in lines:
        if l in ("<BUCKETS>", "<TTLBUCKETS>", "<NREORDERING>"):
            where = {"<BUCKETS>": buckets, "<TTLBUCKETS>": ttl, "<NREORDERING>": reord}[l]
        elif l.startswith("</"):
            where = None
        elif where is not None:
            where.append([float(x) for x in l.split("\t")[1:]])
        elif l:
            k, v = l.split("\t")
            kv[k] = v
    assert lines[-2:] == ["</NREORDERING>", ""], lines[-3:]
    assert "\n\n<NREORDERING>\n" in p
    assert kv["SENT"] == "20" and kv["LOST"] == "0" and kv["DUPS"] == "0", kv
    assert kv["SESSION_FINISHED"] == "1" and kv["DSCP"] == "0x2e", kv
    assert kv["SAMPLE_PACKET_COUNT"] == "20" and kv["SYNC"] in ("0", "1"), kv
    assert len(kv["SID"]) == 32 and len(kv["START_TIME"]) == 20, kv
    assert int(kv["END_TIME"]) > int(kv["START_TIME"]), kv
    assert 0 <= float(kv["MIN"]) <= float(kv["MEDIAN"]) <= float(kv["MAX"]) + 0.0001 < 0.1, kv
    assert "MIN_FWD" not in kv and "MAXERR_FWD" not in kv, "twping's keys"
    assert sum(b[1] for b in buckets) == 20 and all(len(b) == 2 for b in buckets), buckets
    assert kv["MINTTL"] == kv["MAXTTL"] == "255" and ttl == [[255.0, 20.0]], (kv, ttl)
    assert reord == [[1.0, 0.0]], reord
    res.append(kv)
# to the server: we send; from it: it sends to us
assert res[0]["FROM_ADDR"] == "192.0.2.1" and res[0]["TO_ADDR"] == "192.0.2.2", res[0]
assert res[1]["FROM_ADDR"] == "192.0.2.2" and res[1]["TO_ADDR"] == "192.0.2.1", res[1]
assert res[0]["SID"] != res[1]["SID"]
PY
}

# -O at a terminal (--live): the connecting line, the sessions agreed, a line
# per packet received from the server (-f) or sent to it (-t only) as it
# happens, one line per second above 10 packets/s; in a pipe the summary only.
owamp_live_lines() {
	xw_start_server --listen $XW_S4 --modes open || return 1
	xw_wait_owamp || return 1
	ip netns exec "$XW_NS_C" "$XWPING" -O --live -f -c 8 -i 0.25 $XW_S4 >"$XW_TMP/ol.out" 2>&1 &
	local p=$! early
	sleep 2.5
	early=$(count 'bytes from 192.0.2.2:[0-9]*: seq=[0-9]* ttl=255 one-way=' "$XW_TMP/ol.out")
	wait $p || { sed 's/^/#   /' "$XW_TMP/ol.out"; return 1; }
	sed 's/^/#   /' "$XW_TMP/ol.out" | head -4
	expect "-f: lines as packets arrive ($early after 2.5 s)" [ "$early" -ge 3 ] && [ "$early" -lt 8 ] || return 1
	expect "-f: first line says where it connects" \
		[ "$(head -1 "$XW_TMP/ol.out")" = "connecting to 192.0.2.2:861 (OWAMP-Control, timeout 30 s)" ] || return 1
	expect "-f: then the mode and the session" grep -q '^192.0.2.2:861: mode open, a session from the server accepted; 8 packets' "$XW_TMP/ol.out" || return 1
	expect "-f: 8 packet lines" [ "$(count ' one-way=[0-9.-]* ms' "$XW_TMP/ol.out")" = 8 ] || return 1
	in_c "$XWPING" -O --live -t -c 5 -i 0.2 $XW_S4 >"$XW_TMP/olt.out" 2>&1 || return 1
	expect "-t: a line per packet sent" [ "$(count '^[0-9]* bytes to 192.0.2.2:[0-9]*: seq=' "$XW_TMP/olt.out")" = 5 ] || return 1
	expect "-t: the sessions line" grep -q 'mode open, a session to the server accepted' "$XW_TMP/olt.out" || return 1
	in_c "$XWPING" -O --live -c 250 -i 0.01 $XW_S4 >"$XW_TMP/olf.out" 2>&1 || return 1
	expect "fast: per-second lines" grep -q '^[12] s: [0-9]* sent, [0-9]* received, one-way min/avg/max' "$XW_TMP/olf.out" || return 1
	expect "fast: not one per packet" [ "$(count 'bytes from' "$XW_TMP/olf.out")" = 0 ] || return 1
	in_c "$XWPING" -O -c 3 -i 0.05 $XW_S4 >"$XW_TMP/olp.out" 2>&1 || return 1
	expect "pipe: no packet lines" [ "$(count 'bytes ' "$XW_TMP/olp.out")" = 0 ] || return 1
	expect "pipe: the connecting line and the summary" grep -q '^connecting to 192.0.2.2:861' "$XW_TMP/olp.out" &&
		grep -q '^3 sent, 0 lost' "$XW_TMP/olp.out"
}

# -O: one message per cause, the same as TWAMP's: a refused connection names
# HOST:PORT, a wrong key one line saying what to check, unsynchronized clocks
# name NTP/chrony/PTP.
owamp_messages() {
	local kf wrong=$XW_TMP/wrong
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --keyfile "$kf" --modes open,auth,enc || return 1
	xw_wait_owamp || return 1
	in_c "$XWPING" -O -c 1 192.0.2.2:8630 >/dev/null 2>"$XW_TMP/o1" && return 1
	sed 's/^/#   /' "$XW_TMP/o1"
	expect "refused names the port" grep -q 'control 192.0.2.2:8630: connect: Connection refused' "$XW_TMP/o1" || return 1
	expect "refused: one line" [ "$(wc -l <"$XW_TMP/o1")" = 1 ] || return 1
	printf 'alice %s\n' "$(printf 'wrong horse' | od -An -tx1 | tr -d ' \n')" >"$wrong"
	chmod 600 "$wrong"
	in_c "$XWPING" -O -A auth -u alice -k "$wrong" -c 1 $XW_S4 >/dev/null 2>"$XW_TMP/o2" && return 1
	sed 's/^/#   /' "$XW_TMP/o2"
	expect "wrong key: one message" [ "$(wc -l <"$XW_TMP/o2")" = 1 ] || return 1
	expect "wrong key: what to check" grep -q "control 192.0.2.2:861: the server refused KeyID 'alice'.*passphrase there differs" "$XW_TMP/o2" || return 1
	in_c "$XWPING" -O -c 2 -i 0.05 $XW_S4 >"$XW_TMP/o3" 2>&1 || return 1
	expect "unsync: names NTP/chrony/PTP, per direction" [ "$(count 'NTP, chrony or PTP' "$XW_TMP/o3")" = 2 ]
}

# -O: Ctrl-C in the middle of a long run stops the sessions at once
# (Stop-Sessions with what was sent), prints the report marked as
# interrupted and exits 130 (SIGTERM: 143), within seconds of the signal.
# The packets of the last Timeout before the stop are undecided (RFC 4656
# 3.8 discards their records): not counted, so nothing shows as lost.
# owsig SIG OUT ARGS...: xwping -O ARGS, SIG after 2.5 s; RC its status, MS how
# long it took to end after the signal
owsig() {
	local sig=$1 out=$2 p t0
	shift 2
	ip netns exec "$XW_NS_C" "$XWPING" -O "$@" >"$out" 2>"$out.err" &
	p=$!
	sleep 2.5
	t0=$(date +%s%N)
	kill -"$sig" $p
	wait $p
	RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
	xw_log "xwping -O $* ended $MS ms after SIG$sig, status $RC"
}
owamp_ctrl_c() {
	xw_start_server --listen $XW_S4 --modes open || return 1
	xw_wait_owamp || return 1
	# to the server: 1000 packets 20 ms apart (20 s), Timeout 0.3 s
	owsig INT "$XW_TMP/oi.out" -t -c 1000 -i 0.02 -L 0.3 $XW_S4
	sed 's/^/#   /' "$XW_TMP/oi.out" | head -3
	expect "-t: exit status 130 ($RC)" [ $RC = 130 ] || { sed 's/^/#   /' "$XW_TMP/oi.out.err"; return 1; }
	expect "-t: ended ${MS} ms after SIGINT (< 5000)" [ $MS -lt 5000 ] || return 1
	expect "-t: marked interrupted" grep -q '^--- interrupted by SIGINT after [0-9.]* s' "$XW_TMP/oi.out" || return 1
	local sent
	sent=$(sed -n 's/^\([0-9]*\) sent, 0 lost .*more sent in the last Timeout.*/\1/p' "$XW_TMP/oi.out")
	expect "-t: a partial report, none lost ($sent sent)" [ -n "$sent" ] && [ "$sent" -gt 5 ] && [ "$sent" -lt 1000 ] || return 1
	# the server ended its receiver on our Stop-Sessions, long before the 20 s
	expect "-t: Stop-Sessions reached the server" grep -q 'receiver closed (Stop-Sessions)' "$XW_TMP/xwampd.log" || return 1
	# both directions, JSON, SIGTERM: 143 and "interrupted":true
	owsig TERM "$XW_TMP/oj.out" --json -c 1000 -i 0.02 -L 0.3 $XW_S4
	expect "--json: exit status 143 ($RC)" [ $RC = 143 ] || return 1
	expect "--json: ended ${MS} ms after SIGTERM (< 5000)" [ $MS -lt 5000 ] || return 1
	python3 - "$XW_TMP/oj.out" <<'PY' || return 1
import json, sys
j = json.load(open(sys.argv[1]))
print("# to_server sent %d, from_server sent %d" % (j["to_server"]["sent"], j["from_server"]["sent"]))
assert j["interrupted"] is True, j
for d in ("to_server", "from_server"):
    assert 5 < j[d]["sent"] < 1000 and j[d]["lost"] == 0 and j[d]["undecided"] > 0, (d, j[d])
PY
	expect "the server's sender stopped too" grep -q 'sender closed (Stop-Sessions)' "$XW_TMP/xwampd.log" || return 1
	# -M from the server: SESSION_FINISHED 0, nothing else on stdout
	owsig INT "$XW_TMP/om.out" -M -f -c 1000 -i 0.02 -L 0.3 $XW_S4
	expect "-M -f: exit status 130 ($RC)" [ $RC = 130 ] || return 1
	expect "-M -f: SESSION_FINISHED 0" grep -q '^SESSION_FINISHED	0$' "$XW_TMP/om.out" || return 1
	expect "-M -f: nothing but the summary" [ "$(head -1 "$XW_TMP/om.out")" = "SUMMARY	3.00" ] || return 1
	expect "-M -f: none lost" grep -q '^LOST	0$' "$XW_TMP/om.out" || return 1
	# before any test packet (a server that never answers): no report, still 130
	in_s python3 -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.2", 8611)); s.listen(1); c=s.accept(); time.sleep(30)' &
	local mute=$!
	sleep 0.5
	owsig INT "$XW_TMP/on.out" -c 10 192.0.2.2:8611
	kill $mute 2>/dev/null
	expect "before the test: exit status 130 ($RC)" [ $RC = 130 ] || return 1
	expect "before the test: ended ${MS} ms after SIGINT (< 5000)" [ $MS -lt 5000 ] || return 1
	expect "before the test: says so" grep -q 'interrupted (Interrupt) before any test packet' "$XW_TMP/on.out.err" || return 1
	expect "before the test: no report, only the connecting line" \
		[ "$(cat "$XW_TMP/on.out")" = "connecting to 192.0.2.2:8611 (OWAMP-Control, timeout 30 s)" ]
}

# --continuous: a JSON line per interval, through a server restart (error
# lines with a growing back-off meanwhile), flat memory, SIGTERM ends it.
continuous() {
	xw_start_server --listen $XW_S4 --modes open || return 1
	ip netns exec "$XW_NS_C" "$XWPING" --continuous --report-interval 1 -i 0.002 --wait 0.2 \
		$XW_S4 192.0.2.2:8630 >"$XW_TMP/c.out" 2>"$XW_TMP/c.err" &
	local p=$! rss1 rss2 pid
	sleep 2.5
	# the peak of 2 intervals (VmHWM: RSS itself moves as malloc trims between intervals)
	pid=$(pgrep -P $p | head -1)
	rss1=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
	kill -TERM $XW_SRV_PID
	wait $XW_SRV_PID
	sleep 3
	xw_start_server --listen $XW_S4 --modes open || return 1
	sleep 7
	rss2=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
	kill -TERM $p
	wait $p
	local rc=$?
	xw_log "xwping peak RSS ${rss1} kB after 2 intervals, ${rss2} kB at the end; exit $rc"
	expect "SIGTERM: 143" [ $rc = 143 ] || return 1
	# malloc may step up once (its mmap threshold adapts); a per-interval leak of the
	# receive batch alone (1 MB a run) over the 5+ later intervals is far above 2 MB
	expect "memory flat (< 2 MB growth)" [ $((rss2 - rss1)) -lt 2048 ] || return 1
	python3 - "$XW_TMP/c.out" <<'PY' || return 1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ok = [l for l in lines if l["target"] == "192.0.2.2" and "sessions" in l]
err = [l for l in lines if l["target"] == "192.0.2.2" and "error" in l]
dead = [l for l in lines if l["target"] == "192.0.2.2:8630"]
print("# %d intervals, %d errors of the restarted server, %d of the dead one" % (len(ok), len(err), len(dead)))
full = [l for l in ok if not l["interrupted"]]
assert len(full) >= 4, "intervals: %d" % len(full)
# the same statistics as a one-shot run, 500 packets per 1 s interval
s = full[0]["sessions"][0]
assert s["packets"]["sent"] == 500 and s["rtt_ms"]["n"] > 400, s["packets"]
# intervals before and after the restart
t_err = [l["unix_time"] for l in err]
assert t_err, "no error line while the server was down"
assert any(l["unix_time"] < min(t_err) for l in full), "none before"
assert any(l["unix_time"] > max(t_err) for l in full), "none after the restart"
# the dead target: back-off 1, 2, 4 ... never faster
r = [l["retry_in_s"] for l in dead]
assert r[:3] == [1, 2, 4], r
assert all(l["error"] == "Connection refused" for l in dead)
PY
}

# --svg: a picture of a run with losses (the reflector paused), drawn by headless
# Chromium: a panel per session (TWAMP, --sessions 2) or direction (OWAMP);
# each panel's part of the screenshot has its directions' colours (and the
# red loss marks), as many dots and marks in each panel as the JSON report
# counts received and lost.
# svg_shot SVG PNG: Chromium's screenshot of the whole picture
svg_shot() {
	local h
	h=$(sed -n 's/^<svg [^>]* height="\([0-9]*\)".*/\1/p' "$1")
	mkdir -p "$XW_TMP/chromium"
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$XW_TMP/chromium" \
		--window-size=900,"$h" --screenshot="$2" "file://$1" >/dev/null 2>&1
}
# shot_check PNG PANELS COLOURS...: the screenshot cut into PANELS horizontal
# bands below the title; COLOURS[i] ("fwd,bwd,lost" ...) must each show in band i
shot_check() {
	python3 - "$@" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
npanels, want_panels = int(sys.argv[2]), sys.argv[3:]
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif typ == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6), (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, rows, i = bytearray(stride), [], 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
def near(px, rgb):
    return all(abs(px[k] - rgb[k]) < 40 for k in range(3))
rgb = {"rtt": (0x1f, 0x77, 0xb4), "fwd": (0x2c, 0xa0, 0x2c),
       "bwd": (0xff, 0x7f, 0x0e), "lost": (0xd6, 0x27, 0x28)}
title = 40
band = (h - title) // npanels
for pnum, want in enumerate(want_panels):
    want = want.split(",")
    count, white = {k: 0 for k in want}, 0
    part = rows[title + pnum * band:title + (pnum + 1) * band]
    for r in part:
        for x in range(0, stride, bpp):
            px = r[x:x + 3]
            white += px[0] > 240 and px[1] > 240 and px[2] > 240
            for k in want:
                if near(px, rgb[k]):
                    count[k] += 1
    print("# screenshot %dx%d, panel %d: %.1f%% white, pixels %s" % (w, h, pnum, 100.0 * white / (w * len(part)), count))
    assert white < w * len(part) * 0.97, "blank panel %d" % pnum
    assert all(v > 20 for v in count.values()), (pnum, count)
PY
}
svg_picture() {
	command -v chromium >/dev/null || { xw_log "no chromium (apt-get install chromium)"; return $XW_SKIP; }
	xw_start_server --listen $XW_S4 --modes open || return 1
	xw_wait_owamp || return 1
	# two sessions; the reflector stops answering for the second half (SIGSTOP): those are lost
	ip netns exec "$XW_NS_C" "$XWPING" --sessions 2 -c 200 -i 0.01 --wait 0.3 --json \
		--svg "$XW_TMP/run.svg" $XW_S4 >"$XW_TMP/run.json" 2>"$XW_TMP/run.err" &
	local p=$!
	sleep 1.2
	kill -STOP $XW_SRV_PID
	wait $p || { kill -CONT $XW_SRV_PID; cat "$XW_TMP/run.err"; return 1; }
	kill -CONT $XW_SRV_PID
	python3 - "$XW_TMP/run.svg" "$XW_TMP/run.json" <<'PY' || return 1
import json, sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
sess = json.load(open(sys.argv[2]))["sessions"]
panels = root.findall("s:g[@class='panel']", ns)
assert len(panels) == len(sess) == 2, (len(panels), len(sess))
for pn, s in zip(panels, sess):
    lost = s["packets"]["lost"]
    marks = pn.findall(".//s:g[@class='lost']/s:line", ns)
    dots = [len(pn.findall(".//s:g[@class='%s']/s:circle" % c, ns)) for c in ("rtt", "fwd", "bwd")]
    print("# session %d: %d lost marks (JSON: %d lost), dots per direction %s" % (s["index"], len(marks), lost, dots))
    assert lost > 10 and len(marks) == lost
    assert dots[0] == dots[1] == dots[2] == 200 - lost
PY
	svg_shot "$XW_TMP/run.svg" "$XW_TMP/shot.png"
	shot_check "$XW_TMP/shot.png" 2 rtt,fwd,bwd,lost rtt,fwd,bwd,lost || return 1
	# OWAMP, both directions: a panel each, the one-way delay in its direction's colour
	in_c "$XWPING" -O -c 100 -i 0.01 --json --svg "$XW_TMP/ow.svg" $XW_S4 >"$XW_TMP/ow.json" \
		2>"$XW_TMP/ow.err" || { cat "$XW_TMP/ow.err"; return 1; }
	python3 - "$XW_TMP/ow.svg" "$XW_TMP/ow.json" <<'PY' || return 1
import json, sys, xml.etree.ElementTree as ET
ns = {"s": "http://www.w3.org/2000/svg"}
root = ET.parse(sys.argv[1]).getroot()
j = json.load(open(sys.argv[2]))
panels = root.findall("s:g[@class='panel']", ns)
assert len(panels) == 2, len(panels)
for pn, d, cls in zip(panels, ("to_server", "from_server"), ("fwd", "bwd")):
    dots = {c: len(pn.findall(".//s:g[@class='%s']/s:circle" % c, ns)) for c in ("rtt", "fwd", "bwd")}
    marks = pn.findall(".//s:g[@class='lost']/s:line", ns)
    print("# %s: dots %s, %d lost marks (JSON: %d received, %d lost)" % (d, dots, len(marks), j[d]["received"], j[d]["lost"]))
    assert dots[cls] == j[d]["received"] == 100 and sum(dots.values()) == dots[cls], dots
    assert len(marks) == j[d]["lost"] == 0
PY
	svg_shot "$XW_TMP/ow.svg" "$XW_TMP/ow.png"
	shot_check "$XW_TMP/ow.png" 2 fwd bwd
}

# --xdp: libxdp's expected probe failures (its dispatcher, xdp_pass) are
# debug lines, not alarming info lines; xwampd's own line says how it attached.
xdp_quiet_probes() {
	# a fresh bpffs in a mount namespace of its own: libxdp's dispatcher
	# cannot load there (its probes fail), the case this is about
	ip netns exec "$XW_NS_S" unshare -m sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$0" "$@"' \
		"$XWAMPD" --listen $XW_S4 --modes open --xdp xws0 --user root --bpf-dir /sys/fs/bpf/xwamp \
		>"$XW_TMP/xwampd.log" 2>&1 &
	XW_PIDS="$XW_PIDS $!"
	local i
	for i in $(seq 100); do
		in_s ss -Hltn 'sport = :862' | grep -q LISTEN && break
		sleep 0.05
	done
	expect "attached directly (the dispatcher probe failed)" \
		grep -q "xdp: xws0: xdp_xwamp attached.*directly: libxdp's dispatcher is not available" "$XW_TMP/xwampd.log" || return 1
	expect "no libbpf/libxdp lines by default" [ "$(count 'libbpf:\|libxdp:' "$XW_TMP/xwampd.log")" = 0 ] || return 1
	in_c "$XWPING" -q -c 3 -i 0.02 $XW_S4 >"$XW_TMP/x.out" 2>&1 || return 1
	expect "and it reflects" grep -q '^3 sent, 3 received' "$XW_TMP/x.out"
}

# -O --continuous: one OWAMP session per interval per target (powstream's role),
# a JSON line each with both directions' one-way statistics; a target that
# refuses gets error lines with the back-off; SIGTERM ends it between intervals.
continuous_owamp() {
	xw_start_server --listen $XW_S4 --modes open || return 1
	xw_wait_owamp || return 1
	ip netns exec "$XW_NS_C" "$XWPING" -O --continuous --report-interval 1 -i 0.01 --wait 0.3 \
		$XW_S4 192.0.2.2:8610 >"$XW_TMP/o.out" 2>"$XW_TMP/o.err" &
	local p=$! rc i
	for i in $(seq 60); do
		sleep 0.25
		[ "$(grep -c '"protocol":"owamp"' "$XW_TMP/o.out")" -ge 3 ] && break
	done
	kill -TERM $p
	wait $p
	rc=$?
	expect "SIGTERM: 143 ($rc)" [ $rc = 143 ] || { sed 's/^/#   /' "$XW_TMP/o.err" | tail -5; return 1; }
	python3 - "$XW_TMP/o.out" <<'PY' || return 1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ow = [l for l in lines if l["target"] == "192.0.2.2" and l.get("protocol") == "owamp"]
ok = [l for l in ow if not l["interrupted"]]
dead = [l for l in lines if l["target"] == "192.0.2.2:8610"]
print("# %d OWAMP intervals, %d error lines of the dead target" % (len(ok), len(dead)))
# SIGTERM ends the interval under way at once: its line, marked, comes last
assert all(not l["interrupted"] for l in ow[:-1]), ow
assert len(ok) >= 3, len(ok)
for l in ok:
    assert l["end_unix_time"] >= l["unix_time"] > 1.7e9, l
    for d in ("to_server", "from_server"):
        s = l[d]
        # 100 packets per 1 s interval, every one received, one clock: delays >= 0
        assert s["sent"] == 100 and s["received"] == 100 and s["lost"] == 0, (d, s)
        assert 0 <= s["delay_ms"]["min"] <= s["delay_ms"]["max"] < 100, (d, s["delay_ms"])
# consecutive intervals, distinct sessions
assert len({l["to_server"]["sid"] for l in ok}) == len(ok)
assert [l["retry_in_s"] for l in dead][:2] == [1, 2], dead
assert all(l["error"] == "Connection refused" for l in dead)
PY
}

TESTS=(live_lines ctrl_c messages reference_formats owamp_reference_formats owamp_live_lines owamp_messages owamp_ctrl_c continuous continuous_owamp svg_picture xdp_quiet_probes)
xw_run "$@"
