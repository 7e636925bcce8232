#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Wire check: Wireshark's TWAMP dissectors decode xwamp's own open-mode
# control and test packets, in the order RFC 5357 prescribes, with no
# malformed field and no expert warning.  The same filter is clean on the
# reference implementation's capture (checked first, so the test cannot pass
# because of a filter that never matches).
. "$(dirname "$0")/lib.sh"

COUNT=10
REF=${XW_CAPTURES:-$XW_ROOT/tests/data/captures}/perfsonar-twamp-open.pcap
BAD='_ws.malformed || _ws.expert.severity >= "Warning"'

# info PCAP: one line per TWAMP frame, Wireshark's summary of it
info() {
	tshark -r "$1" -Y 'twamp.control || twamp.test' -T fields -e _ws.col.Info 2>/dev/null
}

# control_sequence PCAP: the control messages in order, test packets folded
control_sequence() {
	info "$1" | grep -v '^Measurement packet' | tr '\n' '|'
}

WANT='Server Greeting|Setup Response|Server Start, (OK)|Request Session|Accept Session, (OK)|Start Sessions|Start Sessions ACK, (OK)|Stop Session|'

filter_is_clean_on_reference() {
	[ -f "$REF" ] || { xw_log "no reference capture at $REF"; return 1; }
	expect "reference has the control sequence" [ "$(control_sequence "$REF")" = "$WANT" ] || return 1
	expect "reference has no malformed frame" [ -z "$(tshark -r "$REF" -Y "$BAD" 2>/dev/null)" ]
}

open_mode_decodes_cleanly() {
	local pcap=$XW_TMP/xw.pcap n bad ttl seqs dump
	in_s tcpdump -U -q -i xws0 -w "$pcap" 'tcp port 862 or udp' >/dev/null 2>&1 &
	dump=$!
	XW_PIDS="$XW_PIDS $dump"
	sleep 0.5
	xw_start_server --listen $XW_S4 --modes open || return 1
	in_c "$XWPING" -A open -c $COUNT -i 0.01 $XW_S4 >"$XW_TMP/ping.out" 2>&1 || {
		xw_log "xwping failed"
		sed 's/^/#   /' "$XW_TMP/ping.out"
		return 1
	}
	sleep 0.5
	kill $dump 2>/dev/null
	wait $dump 2>/dev/null
	xw_log "control messages: $(control_sequence "$pcap")"
	expect "control sequence as in RFC 5357" [ "$(control_sequence "$pcap")" = "$WANT" ] || return 1
	n=$(info "$pcap" | grep -c '^Measurement packet')
	expect "$((2 * COUNT)) test packets decoded (got $n)" [ "$n" = $((2 * COUNT)) ] || return 1
	bad=$(tshark -r "$pcap" -Y "$BAD" 2>/dev/null)
	expect "no malformed or warning frames: $bad" [ -z "$bad" ] || return 1
	# reflector packets (from the server) carry Sender TTL 255: xwping sends
	# with TTL 255 (RFC 5357 4.1.2) and veth routes nothing.
	ttl=$(tshark -r "$pcap" -Y "twamp.test && ip.src == $XW_S4" -T fields \
		-e twamp.test.sender_ttl 2>/dev/null | sort -u | tr '\n' ' ')
	expect "Sender TTL 255 in every reply (got '$ttl')" [ "$ttl" = "255 " ] || return 1
	seqs=$(tshark -r "$pcap" -Y "twamp.test && ip.src == $XW_S4" -T fields \
		-e twamp.test.seq_number 2>/dev/null | tr '\n' ' ')
	expect "reflector sequence numbers 0..$((COUNT - 1)) (got '$seqs')" \
		[ "$seqs" = "$(seq -s ' ' 0 $((COUNT - 1))) " ]
}

# --- OWAMP ----------------------------------------------------------------------
# What Wireshark (tshark -G protocols, -G decodes) has for OWAMP: an
# OWAMP-Test dissector (owamp.test) that registers no port (test ports are
# negotiated: decode-as by port) and decodes the unauthenticated layout
# (RFC 4656 4.1.2) into TWAMP-Test's fields (twamp.test.seq_number,
# .timestamp, .error_estimate, .padding); no OWAMP-Control dissector: its
# TWAMP-Control one, asked to decode port 861, reads the shared handshake
# (RFC 4656 3.1) but frames the Request-Session slots and the Stop-Sessions
# records as messages of their own and flags them malformed, on the
# reference capture too.  Authenticated and encrypted test packets are read
# as the open layout: no malformed field, but the fields are ciphertext.
OWREF=${XW_CAPTURES:-$XW_ROOT/tests/data/captures}/perfsonar-owamp-open.pcap

# ow_decode_as PCAP: -d options for every UDP port of the capture (test packets only there)
ow_decode_as() {
	tshark -r "$1" -Y udp -T fields -e udp.dstport 2>/dev/null | sort -u |
		sed 's/.*/-d udp.port==&,owamp.test/' | tr '\n' ' '
}

ow_control_sequence() {
	tshark -r "$1" -d tcp.port==861,twamp.control -Y twamp.control -T fields -e _ws.col.Info \
		2>/dev/null | sed 's/\[Malformed Packet\]//' | tr '\n' '|'
}

# ow_capture PCAP XWPING-ARGS...: xwping -O against a fresh xwampd, captured
ow_capture() {
	local pcap=$1 dump
	shift
	in_s tcpdump -U -q -i xws0 -w "$pcap" 'tcp port 861 or udp' >/dev/null 2>&1 &
	dump=$!
	XW_PIDS="$XW_PIDS $dump"
	sleep 0.5
	in_c "$XWPING" -O -c $COUNT -i 0.01 --wait 1 "$@" $XW_S4 >"$XW_TMP/ping.out" 2>&1 || {
		xw_log "xwping -O failed"
		sed 's/^/#   /' "$XW_TMP/ping.out"
		return 1
	}
	sleep 0.5
	kill $dump 2>/dev/null
	wait $dump 2>/dev/null
	return 0
}

# What the installed Wireshark has: the claims of the README, checked
owamp_dissectors_as_documented() {
	local protos
	protos=$(tshark -G protocols 2>/dev/null)
	expect "an OWAMP-Test dissector (owamp.test)" \
		grep -q "$(printf 'OWAMP-Test\towamp.test')" <<<"$protos" || return 1
	expect "no OWAMP-Control dissector" \
		[ -z "$(grep -i 'owamp' <<<"$protos" | grep -v 'owamp\.test$')" ] || return 1
	expect "no port of its own for OWAMP (decode-as needed)" \
		[ -z "$(tshark -G decodes 2>/dev/null | grep -i owamp)" ] || return 1
	expect "TWAMP-Control is registered on 862 only" \
		[ "$(tshark -G decodes 2>/dev/null | awk '$3 == "twamp.control" {print $1 $2}')" = "tcp.port862" ]
}

owamp_open_decodes_cleanly() {
	local pcap=$XW_TMP/ow.pcap das n bad seqs ref got t0 ts
	xw_start_server --listen $XW_S4 --modes open || return 1
	# both directions, as in the reference capture
	ow_capture "$pcap" || return 1
	das=$(ow_decode_as "$pcap")
	# shellcheck disable=SC2086 # one option per port
	n=$(tshark -r "$pcap" $das -Y owamp.test 2>/dev/null | wc -l)
	expect "$((2 * COUNT)) OWAMP-Test packets decoded (got $n)" [ "$n" = $((2 * COUNT)) ] || return 1
	# shellcheck disable=SC2086
	bad=$(tshark -r "$pcap" $das -Y "owamp.test && ($BAD)" 2>/dev/null)
	expect "no malformed or warning test packet: $bad" [ -z "$bad" ] || return 1
	# shellcheck disable=SC2086
	seqs=$(tshark -r "$pcap" $das -Y "owamp.test && ip.src == $XW_S4" -T fields \
		-e twamp.test.seq_number 2>/dev/null | tr '\n' ' ')
	expect "server's sequence numbers 0..$((COUNT - 1)) (got '$seqs')" \
		[ "$seqs" = "$(seq -s ' ' 0 $((COUNT - 1))) " ] || return 1
	# shellcheck disable=SC2086
	seqs=$(tshark -r "$pcap" $das -Y "owamp.test && ip.src == $XW_C4" -T fields \
		-e twamp.test.seq_number 2>/dev/null | tr '\n' ' ')
	expect "client's sequence numbers 0..$((COUNT - 1)) (got '$seqs')" \
		[ "$seqs" = "$(seq -s ' ' 0 $((COUNT - 1))) " ] || return 1
	# every Timestamp decoded within 5 s of the frame's capture time, Z 0
	# shellcheck disable=SC2086
	bad=$(tshark -r "$pcap" $das -Y owamp.test -T fields -E separator=';' -e frame.time_epoch \
		-e twamp.test.timestamp -e twamp.test.error_estimate.z 2>/dev/null | python3 -c '
import re, sys, datetime
n = 0
for line in sys.stdin:
    t0, ts, z = line.rstrip("\n").split(";")
    m = re.match(r"(\w+) +(\d+), (\d+) (\d+:\d+:\d+)\.\d+ UTC$", ts)
    t = datetime.datetime.strptime(" ".join(m.groups()), "%b %d %Y %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp() if m else 0
    n += 1
    if abs(float(t0) - t) > 5 or z not in ("0", "False"):
        print(line.strip())
if n != int(sys.argv[1]):
    print("%d timestamps read" % n)
' $((2 * COUNT)) 2>&1)
	expect "timestamps decoded as sent, Z 0 ($bad)" [ -z "$bad" ] || return 1
	# the handshake and the first Request-Session read as the reference's (after
	# that the TWAMP dissector mis-frames OWAMP messages, by TCP segment)
	ref=$(ow_control_sequence "$OWREF" | cut -d'|' -f1-4)
	got=$(ow_control_sequence "$pcap" | cut -d'|' -f1-4)
	xw_log "control: $got"
	expect "control messages as the reference's ($ref)" [ -n "$ref" ] && [ "$got" = "$ref" ]
}

# Authenticated mode: decoded as the open layout without a malformed field,
# but what it shows is ciphertext (RFC 4656 4.1.2: the first block, with the
# Sequence Number, is encrypted): not one sequence number reads right.
owamp_auth_is_not_readable() {
	local pcap=$XW_TMP/owa.pcap kf das n bad seqs
	kf=$(xw_keyfile)
	xw_start_server --listen $XW_S4 --keyfile "$kf" --modes auth || return 1
	ow_capture "$pcap" -A auth -u alice -k "$kf" || return 1
	das=$(ow_decode_as "$pcap")
	# shellcheck disable=SC2086
	n=$(tshark -r "$pcap" $das -Y owamp.test 2>/dev/null | wc -l)
	expect "$((2 * COUNT)) OWAMP-Test packets taken (got $n)" [ "$n" = $((2 * COUNT)) ] || return 1
	# shellcheck disable=SC2086
	bad=$(tshark -r "$pcap" $das -Y "owamp.test && _ws.malformed" 2>/dev/null)
	expect "no malformed test packet: $bad" [ -z "$bad" ] || return 1
	# shellcheck disable=SC2086
	seqs=$(tshark -r "$pcap" $das -Y "owamp.test && ip.src == $XW_S4" -T fields \
		-e twamp.test.seq_number 2>/dev/null | grep -c -x -E "$(seq -s '|' 0 $((COUNT - 1)))")
	expect "no sequence number readable ($seqs of $COUNT look right)" [ "$seqs" -le 1 ]
}

TESTS=(filter_is_clean_on_reference open_mode_decodes_cleanly owamp_dissectors_as_documented
	owamp_open_decodes_cleanly owamp_auth_is_not_readable)
xw_run "$@"
