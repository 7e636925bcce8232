#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# RFC 7717 end to end with strongSwan: the xwamp charon plugin
# (loader/charon/, make charon-plugin) is installed into charon's plugin
# directory and loaded by both charons of the testbed's IKEv2 tunnel
# (tests/testbed/ipsec-netns.sh, TB_EXTRA_PLUGINS=xwamp, certificate
# authentication, no pre-shared key).  xwampd (responder namespace) takes its
# keys from its charon's plugin by SPIs; the client key comes from the
# initiator's charon plugin by the server's address.  No passphrase anywhere.
#
# Asserts: the plugin's socket is 0660 in a 0710 directory, both root's and
# of the group of the user it admits (nobody: charon.plugins.xwamp.user),
# which xwampd runs as after start-up; another user in that group or with
# CAP_DAC_OVERRIDE is refused by its credentials (SO_PEERCRED); its key
# equals tests/testbed/ike-keys.sh's (level-4 log + vici, computed
# independently with Python's hmac) on both ends and by SPIs and by peer (IKE and inner address);
# unknown SPIs and malformed requests get ENOENT/EINVAL; authenticated and
# encrypted sessions with the IKE-derived key lose nothing and cross the
# veth as ESP only; a client with wrong SPIs gets Accept 6; an IKE rekey
# during a session does not disturb it, the plugin pushes REKEY and DOWN
# events, the old SPIs are refused afterwards (Accept 6) and the next
# session uses the new SA.
set -u
. "$(dirname "$0")/lib.sh"

TESTBED=${XW_TESTBED:-$XW_ROOT/tests/testbed}
PREFIX=test_e2e_rfc7717_swan
PLUGIN_DST=/usr/lib/ipsec/plugins/libstrongswan-xwamp.so
export TB_DIR=/tmp/xw-swan.$$
export TB_NS_I=xwsw-i$$ TB_NS_R=xwsw-r$$ TB_VETH_I=xwswi$$ TB_VETH_R=xwswr$$
export TB_EXTRA_PLUGINS=xwamp
export TB_CHARON_CONF='plugins { xwamp { user = nobody } }'
TB="$TESTBED/ipsec-netns.sh"
SOCK_I=$TB_DIR/$TB_NS_I/run/xwamp/charon.sock
SOCK_R=$TB_DIR/$TB_NS_R/run/xwamp/charon.sock
INNER_I=198.51.100.1
INNER_R=198.51.100.2
W=$(mktemp -d /tmp/xw-swan-w.XXXXXX)
PIDS=

# query SOCKET LINE...: one request per line, prints every response line
query() {
	python3 - "$@" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall("".join(a + "\n" for a in sys.argv[2:]).encode())
s.shutdown(socket.SHUT_WR)
print(s.makefile().read(), end="")
EOF
}

# watch SOCKET: print the plugin's events until killed (the connection stays
# open: an EOF from the client ends a watch)
watch() {
	exec python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"WATCH\n")
for line in s.makefile():
    print(line, end="")' "$1"
}

not() { ! "$@"; }

# the key line ike-keys.sh computes for namespace ns: "SPIi SPIr PRF SK_d KEY ..."
ikekeys() { "$TESTBED/ike-keys.sh" -H "$1"; }

# client key table (SPIi SPIr KEY PEER) from the initiator's plugin, by peer
client_table() {
	local f=$W/ckeys line
	line=$(query "$SOCK_I" "PEER $INNER_R")
	set -- $line
	[ "${1:-}" = KEY ] || { xw_log "initiator plugin: $line"; return 1; }
	(umask 077 && echo "$2 $3 $5 $INNER_R" >"$f")
	echo "$f"
}

cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	"$TB" down >/dev/null 2>&1
	if [ -f "$W/plugin.orig" ]; then
		install -m 0644 "$W/plugin.orig" "$PLUGIN_DST"
	else
		rm -f "$PLUGIN_DST"
	fi
	rm -rf "$W" "$TB_DIR"
}

# in_run CMD...: CMD in the responder's namespace with charon's /run as /run
# (as charon sees it; $TB_DIR above it is 0700: it holds level-4 logs)
in_run() {
	ip netns exec "$TB_NS_R" sh -c 'mount --bind "$1" /run && shift && exec "$@"' in-run \
		"$(dirname "$(dirname "$SOCK_R")")" "$@"
}

# xwampd runs as nobody after start-up (README: Security), whom the plugin admits
# (charon.plugins.xwamp.user = nobody, TB_CHARON_CONF above)
start_server() {
	in_run "$XWAMPD" -l "$INNER_R" --ike-socket /run/xwamp/charon.sock -m auth,enc \
		>"$W/xwampd.log" 2>&1 &
	local i
	for i in $(seq 100); do
		ip netns exec "$TB_NS_R" ss -Hltn 'sport = :862' | grep -q LISTEN && return 0
		sleep 0.05
	done
	cat "$W/xwampd.log"
	return 1
}

# ping MODE TABLE COUNT INTERVAL OUT: a session through the tunnel, JSON into OUT
ping_ike() {
	ip netns exec "$TB_NS_I" timeout 60 "$XWPING" --ike --ike-keys "$2" -A "$1" -c "$3" \
		-i "$4" --json "$INNER_R" >"$5" 2>"$5.err"
}

# --- tests -------------------------------------------------------------------

t_setup() {
	# a fresh machine: strongSwan for the version probe, the build and charon
	if ! dpkg-query -W -f='${Status}' strongswan-charon 2>/dev/null | grep -q installed; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends strongswan-charon strongswan-swanctl strongswan-pki \
			libcharon-extra-plugins libstrongswan-standard-plugins \
			libstrongswan-extra-plugins >/dev/null || return 1
	fi
	local t0=$SECONDS
	make -C "$XW_ROOT" --no-print-directory charon-plugin >"$W/build.log" 2>&1 ||
		{ tail -20 "$W/build.log"; return 1; }
	xw_log "make charon-plugin: $((SECONDS - t0)) s"
	[ -f "$PLUGIN_DST" ] && cp "$PLUGIN_DST" "$W/plugin.orig"
	install -m 0644 "$XW_BUILD/libstrongswan-xwamp.so" "$PLUGIN_DST" || return 1
	"$TB" up >"$W/up.log" 2>&1 || { cat "$W/up.log"; return 1; }
	grep -q "xwamp: RFC 7717 key socket" "$TB_DIR/$TB_NS_R/charon.log" || return 1
	expect "plugin loaded in both charons" \
		grep -q "loaded plugins:.* xwamp" "$TB_DIR/$TB_NS_I/charon.log" || return 1
	# one server for every test below (it outlives this subshell; `down`
	# kills what runs in the namespaces)
	start_server
}

# as_peer SETPRIV-ARGS...: connect as that user; print what the plugin says
# unasked within 1 s and "<EOF>" if it then closes (a refusal), else send LIST
# and print the answer
as_peer() {
	in_run setpriv "$@" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_UNIX)
s.connect("/run/xwamp/charon.sock")
s.settimeout(1)
try:
    first = s.recv(4096)
except socket.timeout:
    first = None
s.settimeout(5)
if first is not None:
    rest = s.recv(4096)
    print(first.decode() + ("<EOF>" if rest == b"" else rest.decode()), end="")
else:
    s.sendall(b"LIST\n")
    s.shutdown(socket.SHUT_WR)
    print(s.makefile().read(), end="")'
}

t_socket_access() {
	local s out n0
	s=$(stat -c '%a %U %G %F' "$SOCK_R")
	expect "socket 660 root nogroup ($s)" [ "$s" = "660 root nogroup socket" ] || return 1
	s=$(stat -c '%a %U %G' "$(dirname "$SOCK_R")")
	expect "socket dir 710 root nogroup ($s)" [ "$s" = "710 root nogroup" ] || return 1
	local p pid=
	for p in $(ip netns pids "$TB_NS_R"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = xwampd ] && pid=$p
	done
	expect "xwampd runs as nobody" \
		[ "$(sed -n 's/^Uid:\t\([0-9]*\).*/\1/p' "/proc/$pid/status")" = 65534 ] || return 1
	out=$(as_peer --reuid=nobody --regid=nogroup --clear-groups 2>&1)
	xw_log "nobody: '$out'"
	expect "the configured user is answered" grep -q '^END' <<<"$out" || return 1
	# another user, not in the group: the file modes stop it
	expect "uid 1 outside the group cannot connect" \
		not as_peer --reuid=1 --regid=1 --clear-groups 2>/dev/null || return 1
	# past the file modes (the group, or CAP_DAC_OVERRIDE), SO_PEERCRED stops it
	n0=$(grep -c "xwamp: refused a client .* uid 1 " "$TB_DIR/$TB_NS_R/charon.log")
	out=$(as_peer --reuid=1 --regid=nogroup --clear-groups 2>&1)
	xw_log "uid 1 in group nogroup: '$out'"
	expect "uid 1 in the group: ERR EACCES, closed" [ "$out" = $'ERR EACCES not allowed\n<EOF>' ] ||
		return 1
	out=$(as_peer --reuid=1 --regid=1 --clear-groups --inh-caps=+dac_override \
		--ambient-caps=+dac_override 2>&1)
	xw_log "uid 1 with CAP_DAC_OVERRIDE: '$out'"
	expect "uid 1 with CAP_DAC_OVERRIDE: ERR EACCES, closed" \
		[ "$out" = $'ERR EACCES not allowed\n<EOF>' ] || return 1
	expect "charon logs both refusals" \
		[ "$(grep -c "xwamp: refused a client .* uid 1 " "$TB_DIR/$TB_NS_R/charon.log")" = \
		$((n0 + 2)) ]
}

t_keys_match_ike_keys_sh() {
	local ns line ref rc=0
	for ns in "$TB_NS_I" "$TB_NS_R"; do
		ref=$(ikekeys "$ns")
		set -- $ref
		[ $# -ge 5 ] || { xw_log "ike-keys.sh $ns: '$ref'"; return 1; }
		local spii=$1 spir=$2 prf=$3 key=$5 sock=$SOCK_R
		[ "$ns" = "$TB_NS_I" ] && sock=$SOCK_I
		line=$(query "$sock" "SPI $spii $spir")
		expect "$ns: SPI lookup = ike-keys.sh" [ "$line" = "KEY $spii $spir $prf $key" ] || rc=1
		line=$(query "$sock" "SPI ${spii^^} ${spir^^}")
		expect "$ns: upper-case hex accepted" [ "$line" = "KEY $spii $spir $prf $key" ] || rc=1
	done
	set -- $(ikekeys "$TB_NS_R")
	line=$(query "$SOCK_I" "PEER $INNER_R" "PEER 192.0.2.2" "PEER 198.51.100.77")
	expect "initiator: by inner and IKE address, none for others" [ "$line" = \
		"KEY $1 $2 $3 $5
KEY $1 $2 $3 $5
ERR ENOENT no established IKE SA to 198.51.100.77" ] || rc=1
	line=$(query "$SOCK_R" "PEER $INNER_I")
	expect "responder: by peer" [ "$line" = "KEY $1 $2 $3 $5" ] || rc=1
	line=$(query "$SOCK_R" "SPI $2 $1" "SPI 0000000000000000 0000000000000000" "SPI $1" \
		"PEER not-an-address" "LIST")
	expect "unknown SPIs, malformed requests, LIST without keys" [ "$line" = \
		"ERR ENOENT no established IKE SA with these SPIs
ERR ENOENT no established IKE SA with these SPIs
ERR EINVAL unknown or malformed request
ERR EINVAL not an IP address
SA $1 $2 192.0.2.1 UP
END" ] || rc=1
	return $rc
}

t_sessions_enc_auth_esp_only() {
	local ckeys pcap="$W/veth.pcap" cap rc=0 m out n
	ckeys=$(client_table) || return 1
	ip netns exec "$TB_NS_R" tcpdump -i "$TB_VETH_R" -w "$pcap" -U >/dev/null 2>&1 &
	cap=$!
	for n in $(seq 50); do [ -s "$pcap" ] && break; sleep 0.1; done
	for m in E A; do
		out=$W/s-$m.json
		ping_ike $m "$ckeys" 20 0.02 "$out" || { cat "$out.err"; rc=1; continue; }
		expect "$m: mode with IKEv2Derived (128)" \
			[ "$(json_get "$out" 'j["mode_bits"] & 128')" = 128 ] || rc=1
		expect "$m: 20 sent, 20 received" \
			[ "$(json_get "$out" '(j["sessions"][0]["packets"]["sent"], j["sessions"][0]["packets"]["received"])')" = "(20, 20)" ] || rc=1
	done
	sleep 0.3
	kill "$cap"
	wait "$cap" 2>/dev/null
	n=$(tshark -r "$pcap" -Y esp 2>/dev/null | wc -l)
	expect "the veth carried ESP ($n packets)" [ "$n" -ge 80 ] || rc=1
	n=$(tshark -r "$pcap" -Y "tcp || (udp && !udp.port == 4500 && !udp.port == 500) || icmp" \
		2>/dev/null | wc -l)
	expect "nothing else on the veth ($n packets)" [ "$n" = 0 ] || rc=1
	expect "server used the plugin's key" grep -q "IKEv2-derived key of SPIi" "$W/xwampd.log" ||
		rc=1
	return $rc
}

t_wrong_spis_accept6() {
	local ckeys bad=$W/bad
	ckeys=$(client_table) || return 1
	(umask 077 && awk '{ print "00000000000000aa", "00000000000000bb", $3, $4 }' "$ckeys" >"$bad")
	ping_ike E "$bad" 3 0.05 "$W/bad.json"
	expect "client reports Accept 6" grep -q "Accept 6" "$W/bad.json.err" || return 1
	expect "server logs the unknown SPIs" \
		grep -q "00000000000000aa.*Accept 6\|SPIi 00000000000000aa.*Accept 6" "$W/xwampd.log"
}

t_rekey_mid_session() {
	local ckeys old new line rc=0 w
	ckeys=$(client_table) || return 1
	old=$(awk '{ print $1, $2 }' "$ckeys")
	watch "$SOCK_R" >"$W/events" &
	w=$!
	PIDS="$PIDS $w"
	sleep 0.3
	ping_ike E "$ckeys" 40 0.1 "$W/long.json" &
	local p=$!
	sleep 1.2
	"$TB" rekey >"$W/rekey.log" 2>&1 || { cat "$W/rekey.log"; rc=1; }
	wait "$p" || { cat "$W/long.json.err"; return 1; }
	expect "session across the rekey: 40 of 40" \
		[ "$(json_get "$W/long.json" '(j["sessions"][0]["packets"]["sent"], j["sessions"][0]["packets"]["received"])')" = "(40, 40)" ] || rc=1
	new=$(ikekeys "$TB_NS_R" | awk '{ print $1, $2 }')
	expect "rekey gave new SPIs ($old -> $new)" [ -n "$new" ] && [ "$new" != "$old" ] || rc=1
	sleep 0.5
	kill "$w" 2>/dev/null
	expect "watch started with OK" [ "$(head -n1 "$W/events")" = OK ] || rc=1
	expect "REKEY event old -> new" grep -qx "EVENT REKEY $old $new" "$W/events" || rc=1
	expect "DOWN event for the old SA" grep -qx "EVENT DOWN $old" "$W/events" || rc=1
	# the old SA's key is gone: the old SPIs are refused
	ping_ike E "$ckeys" 3 0.05 "$W/old.json"
	expect "old SPIs after the rekey: Accept 6" grep -q "Accept 6" "$W/old.json.err" || rc=1
	# the next session finds the new SA and the server uses it
	ckeys=$(client_table) || return 1
	expect "client table has the new SPIs" [ "$(awk '{ print $1, $2 }' "$ckeys")" = "$new" ] ||
		rc=1
	ping_ike E "$ckeys" 5 0.05 "$W/next.json" || { cat "$W/next.json.err"; rc=1; }
	set -- $new
	expect "server used the new SA" grep -q "key of SPIi $1 SPIr $2" "$W/xwampd.log" || rc=1
	line=$(query "$SOCK_R" "SPI $1 $2")
	set -- $(ikekeys "$TB_NS_R")
	expect "new key = ike-keys.sh" [ "$line" = "KEY $1 $2 $3 $5" ] || rc=1
	return $rc
}

TESTS=(t_setup t_socket_access t_keys_match_ike_keys_sh t_sessions_enc_auth_esp_only
	t_wrong_spis_accept6 t_rekey_mid_session)

if [ "$(id -u)" != 0 ]; then
	for t in "${TESTS[@]}"; do echo "SKIP $PREFIX/$t: needs root"; done
	exit 0
fi
trap cleanup EXIT
ok=1
for t in "${TESTS[@]}"; do
	xw_log "=== $t"
	if [ $ok = 0 ]; then
		echo "FAIL $PREFIX/$t: not run, setup failed"
		continue
	fi
	if (set +e; "$t"); then
		echo "PASS $PREFIX/$t"
	else
		echo "FAIL $PREFIX/$t"
		[ -f "$W/xwampd.log" ] && sed 's/^/#   /' "$W/xwampd.log" | tail -n 20
		[ "$t" = t_setup ] && ok=0
	fi
done
