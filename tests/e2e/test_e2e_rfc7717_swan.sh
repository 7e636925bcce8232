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
#
# The EXPERIMENTAL IPsec SA profile keyed from charon (--sa-socket; README
# "IPsec SA profile"), on the same tunnel (kernel-libipsec: no key ever
# reaches the kernel SAD): the plugin's CHILD SA keys and SKEYSEED, on both
# ends, equal an independent derivation from what the key taps print (the
# level-4 log's DH secret and nonces, ike-keys.sh's SK_d: RFC 7296 2.14,
# 2.17) and charon's own log of the CHILD SA keys (chd = 4); sessions in
# keymat and alt1 with either root (KEYMAT, SKEYSEED) through the tunnel,
# the greeting naming the CHILD SA's SPIs; a client on another root than the
# server gets Accept 1; alt2 on the AEAD SA and a connection no CHILD SA
# protects are refused; after the IKE rekey, the CHILD SA belongs to the new
# IKE SA and its SKEYSEED (2.18) is charon's.
set -u
. "$(dirname "$0")/lib.sh"

TESTBED=${XW_TESTBED:-$XW_ROOT/tests/testbed}
PREFIX=test_e2e_rfc7717_swan
PLUGIN_DST=/usr/lib/ipsec/plugins/libstrongswan-xwamp.so
export TB_DIR=/tmp/xw-swan.$$
export TB_NS_I=xwsw-i$$ TB_NS_R=xwsw-r$$ TB_VETH_I=xwswi$$ TB_VETH_R=xwswr$$
export TB_EXTRA_PLUGINS=xwamp
# chd = 4: charon logs the CHILD SA keys (merged into the testbed's filelog)
export TB_CHARON_CONF='plugins { xwamp { user = nobody
sa_keys = yes } } filelog { testbed { chd = 4 } }'
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

# wait_listen PORT LOG: until xwampd in the responder listens on PORT (else its log, 1)
wait_listen() {
	local i
	for i in $(seq 100); do
		ip netns exec "$TB_NS_R" ss -Hltn "sport = :$1" | grep -q LISTEN && return 0
		sleep 0.05
	done
	cat "$2"
	return 1
}

# xwampd runs as nobody after start-up (README: Security), whom the plugin admits
# (charon.plugins.xwamp.user = nobody, TB_CHARON_CONF above)
start_server() {
	in_run "$XWAMPD" -l "$INNER_R" --ike-socket /run/xwamp/charon.sock -m auth,enc \
		>"$W/xwampd.log" 2>&1 &
	wait_listen 862 "$W/xwampd.log"
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

# --- the IPsec SA profile keyed from charon ------------------------------------

SA_PORT=8862

# dumps LOG: every hex dump of charon's level-4 log, "LABEL<TAB>HEX" in log order
dumps() { "$TESTBED/ike-keys.sh" -D -l "$1"; }

# sa_check LOG IKEKEYS-LINE INITIATOR-CHILDKEY RESPONDER-CHILDKEY: one
# "PASS what" or "FAIL what: why" line per check of the plugin's answers
# against the key taps (the first IKE SA and CHILD SA of the log)
sa_check() {
	dumps "$1" >"$W/dumps" || return 1
	python3 - "$W/dumps" "$2" "$3" "$4" <<'PY'
import hashlib, hmac, sys
ike, ci, cr = sys.argv[2].split(), sys.argv[3].split(), sys.argv[4].split()
dumps = {}                     # label -> hex of its FIRST dump
for line in open(sys.argv[1]):
    label, hx = line.rstrip("\n").split("\t")
    dumps.setdefault(label, hx)
def prf_plus(key, seed, n):
    out, t, c = b"", b"", 1
    while len(out) < n:
        t = hmac.new(key, t + seed + bytes([c]), hashlib.sha256).digest()
        out, c = out + t, c + 1
    return out[:n]
def check(what, got, want):
    print(("PASS %s" if got == want and want else "FAIL %s: %s != %s") % ((what,) if got == want and want else (what, got, want)))
g = bytes.fromhex(dumps["shared Diffie Hellman secret"])
nonces = bytes.fromhex(dumps["seed"])   # the first CHILD SA's seed: Ni | Nr (RFC 7296 2.17)
spi_i, spi_r, skd_tap = ike[0], ike[1], ike[3]
# RFC 7296 2.14, by hand: SKEYSEED = prf(Ni | Nr, g^ir); SK_d = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
skeyseed = hmac.new(nonces, g, hashlib.sha256).hexdigest()
check("SKEYSEED by hand = charon's log", skeyseed, dumps["SKEYSEED"])
check("SK_d from SKEYSEED = ike-keys.sh's", prf_plus(bytes.fromhex(skeyseed), nonces +
      bytes.fromhex(spi_i + spi_r), 32).hex(), skd_tap)
# 2.17: KEYMAT = prf+(SK_d, Ni | Nr); aes256gcm16: 32 key + 4 salt octets each way, i -> r first
km = prf_plus(bytes.fromhex(skd_tap), nonces, 72).hex()
enc_i, enc_r = km[:72], km[72:]
check("KEYMAT i->r = charon's log", enc_i, dumps.get("encryption initiator key"))
check("KEYMAT r->i = charon's log", enc_r, dumps.get("encryption responder key"))
# CHILDKEY esp IN OUT aead ENCin INTEGin ENCout INTEGout IKE-SPIi IKE-SPIr SKEYSEED
for side, c, enc_in, enc_out in (("initiator", ci, enc_r, enc_i), ("responder", cr, enc_i, enc_r)):
    check(side + " CHILDKEY shape", (c[0], c[1], c[4], c[6], c[8]), ("CHILDKEY", "esp", "aead", "-", "-"))
    check(side + " key in", c[5], enc_in)
    check(side + " key out", c[7], enc_out)
    check(side + " IKE SPIs", c[9] + " " + c[10], spi_i + " " + spi_r)
    check(side + " SKEYSEED", c[11], skeyseed)
check("the initiator's out SA is the responder's in SA", (ci[3], ci[2]), (cr[2], cr[3]))
PY
}

# the plugin's CHILDKEY answers: initiator by peer, responder by the same SPIs
childkeys() {
	local ci
	ci=$(query "$SOCK_I" "CHILDPEER $INNER_R")
	set -- $ci
	echo "$ci"
	# the responder's in SA is the initiator's out SA
	query "$SOCK_R" "CHILD esp $4 $3"
}

t_saprof_keys_match_taps() {
	local ci cr out rc=0
	{ read -r ci; read -r cr; } < <(childkeys)
	xw_log "initiator: ${ci:0:40}... responder: ${cr:0:40}..."
	out=$(sa_check "$TB_DIR/$TB_NS_I/charon.log" "$(ikekeys "$TB_NS_I")" "$ci" "$cr")
	printf '%s\n' "$out" | sed 's/^/# /'
	expect "every check passed" [ -n "$out" ] && ! grep -q FAIL <<<"$out" || rc=1
	expect "15 checks" [ "$(grep -c ^PASS <<<"$out")" = 15 ] || rc=1
	out=$(query "$SOCK_R" "CHILD esp 00000001 00000002" "CHILD gre 00000001 00000002" \
		"CHILDPEER 198.51.100.77")
	expect "unknown SPIs, bad protocol, no CHILD SA to a peer" [ "$out" = \
		"ERR ENOENT no CHILD SA with these SPIs
ERR EINVAL unknown or malformed request
ERR ENOENT no CHILD SA to 198.51.100.77" ] || rc=1
	# sa_keys off (the default): no key leaves, RFC 7717 keys still do
	local conf=$TB_DIR/$TB_NS_R/strongswan.conf
	sed -i 's/sa_keys = yes/sa_keys = no/' "$conf"
	"$TB" swanctl R --reload-settings >/dev/null || rc=1
	set -- $ci
	out=$(query "$SOCK_R" "CHILD esp $4 $3" "CHILDPEER $INNER_I")
	sed -i 's/sa_keys = no/sa_keys = yes/' "$conf"
	"$TB" swanctl R --reload-settings >/dev/null || rc=1
	expect "sa_keys = no: both requests refused" [ "$out" = \
		"ERR ENOTSUP IPsec SA keys are off (charon.plugins.xwamp.sa_keys)
ERR ENOTSUP IPsec SA keys are off (charon.plugins.xwamp.sa_keys)" ] || rc=1
	expect "sa_keys = yes again: answered" grep -q "^CHILDKEY" <(query "$SOCK_R" "CHILD esp $4 $3") ||
		rc=1
	return $rc
}

# sa_server VARIANT ROOT [LISTEN]: xwampd keyed from charon, as nobody
sa_server() {
	[ -n "${SA_PID:-}" ] && kill "$SA_PID" 2>/dev/null && wait "$SA_PID" 2>/dev/null
	# as in_run, without its subshell: $! is xwampd itself (exec all along)
	ip netns exec "$TB_NS_R" sh -c 'mount --bind "$1" /run && shift && exec "$@"' in-run \
		"$(dirname "$(dirname "$SOCK_R")")" "$XWAMPD" --config '' \
		-l "${3:-$INNER_R}:$SA_PORT" --owamp-listen "${3:-$INNER_R}:$((SA_PORT + 100))" \
		--sa-profile "$1" --sa-socket /run/xwamp/charon.sock \
		--sa-root "$2" -m auth,enc -v >"$W/sa-$1-$2.log" 2>&1 &
	SA_PID=$!
	wait_listen "$SA_PORT" "$W/sa-$1-$2.log"
}

# sa_ping VARIANT ROOT MODE OUT
sa_ping() {
	ip netns exec "$TB_NS_I" timeout 60 "$XWPING" --sa-profile "$1" --sa-socket "$SOCK_I" \
		--sa-root "$2" -A "$3" -c 5 -i 0.02 -v --json "$INNER_R:$SA_PORT" >"$4" 2>"$4.err"
}

t_saprof_sessions() {
	local v r m out rc=0 spis
	set -- $(query "$SOCK_I" "CHILDPEER $INNER_R")
	spis=$(printf 'SPIi 0x%s SPIr 0x%s' "$4" "$3")
	for v in keymat alt1; do
		for r in ipsec ike; do
			sa_server $v $r || { rc=1; continue; }
			for m in E A; do
				out=$W/sa-$v-$r-$m.json
				sa_ping $v $r $m "$out" || { cat "$out.err"; rc=1; continue; }
				expect "$v root $r mode $m: 5 sent, 5 received" \
					[ "$(json_get "$out" '(j["sessions"][0]["packets"]["sent"], j["sessions"][0]["packets"]["received"])')" = "(5, 5)" ] || rc=1
			done
			expect "$v root $r: the greeting named the CHILD SA ($spis)" \
				grep -q "the greeting names protocol 50 $spis" "$W/sa-$v-$r.log" || rc=1
			expect "$v root $r: the client checked the same SPIs" \
				grep -q "IPsec SA profile $v with $INNER_R.*protocol 50 $spis" \
				"$W/sa-$v-$r-E.json.err" || rc=1
		done
	done
	# the server on SKEYSEED, the client on KEYMAT: the Token does not open (Accept 1)
	sa_server keymat ike || return 1
	sa_ping keymat ipsec A "$W/sa-mix.json"
	expect "keys that disagree: Accept 1 at the client" grep -q "Accept 1" "$W/sa-mix.json.err" ||
		rc=1
	expect "keys that disagree: the server refused" grep -q "Accept 1\|accept 1" \
		"$W/sa-keymat-ike.log" || rc=1
	# alt2 needs an integrity key: the AEAD SA is refused before connecting
	sa_ping alt2 ipsec A "$W/sa-alt2.json"
	expect "alt2 on the AEAD SA: refused by the client" grep -q "AEAD" "$W/sa-alt2.json.err" ||
		rc=1
	# a connection no CHILD SA protects (the outer addresses): no greeting, closed
	sa_server alt1 ipsec 0.0.0.0 || return 1
	out=$(ip netns exec "$TB_NS_I" python3 -c '
import socket
s = socket.create_connection(("192.0.2.2", '"$SA_PORT"'), timeout=5)
print(len(s.recv(100)))')
	expect "unprotected connection: closed with nothing sent ($out octets)" [ "$out" = 0 ] || rc=1
	expect "unprotected connection: the server says why" \
		grep -q "no SA pair protects it" "$W/sa-alt1-ipsec.log" || rc=1
	expect "no key in the logs" not grep -qi "$(query "$SOCK_R" "CHILDPEER $INNER_I" |
		awk '{ print $6 }')" "$W"/sa-*.log "$W"/sa-*.err || rc=1
	return $rc
}

t_saprof_after_rekey() {
	local ci cr rc=0 seeds ike
	{ read -r ci; read -r cr; } < <(childkeys)
	ike=$(ikekeys "$TB_NS_R" | awk '{ print $1, $2 }')
	set -- $ci
	expect "the CHILD SA belongs to the new IKE SA ($ike)" [ "${10} ${11}" = "$ike" ] || rc=1
	# 2.18: SKEYSEED = prf(SK_d(old), g^ir | Ni | Nr): the last one charon logged, each side
	seeds=$(for ns in "$TB_NS_I" "$TB_NS_R"; do
		dumps "$TB_DIR/$ns/charon.log" | awk -F'\t' '$1 == "SKEYSEED" { s = $2 } END { print s }'
	done)
	expect "SKEYSEED after the rekey = charon's on both sides" [ "$(printf '%s\n' "$seeds" |
		sort -u)" = "${12}" ] || rc=1
	set -- $cr
	expect "the responder gives the same SKEYSEED" [ "${12}" = "$(echo "$ci" | awk '{print $12}')" ] ||
		rc=1
	SA_PORT=8863 # the last test's server still listens on 8862
	sa_server alt1 ike || return 1
	sa_ping alt1 ike E "$W/sa-rekeyed.json" || { cat "$W/sa-rekeyed.json.err"; rc=1; }
	expect "alt1 with the new SKEYSEED: 5 of 5" \
		[ "$(json_get "$W/sa-rekeyed.json" '(j["sessions"][0]["packets"]["sent"], j["sessions"][0]["packets"]["received"])')" = "(5, 5)" ] || rc=1
	# OWAMP shares the handshake: the same profile, both directions, keys shared (draft 4.2)
	ip netns exec "$TB_NS_I" timeout 60 "$XWPING" -O --sa-profile alt1 --sa-socket "$SOCK_I" \
		--sa-root ike -A E -c 5 -i 0.02 --wait 1 --json "$INNER_R:$((SA_PORT + 100))" \
		>"$W/sa-owamp.json" 2>"$W/sa-owamp.json.err" || { cat "$W/sa-owamp.json.err"; rc=1; }
	expect "OWAMP alt1/ike: 5 of 5 each way, none forged" [ "$(json_get "$W/sa-owamp.json" \
		'[(j[d]["sent"], j[d]["received"], j[d]["forged"]) for d in ("to_server", "from_server")]')" = \
		"[(5, 5, 0), (5, 5, 0)]" ] || rc=1
	expect "OWAMP: the server's receiver verified every packet" grep -q \
		"receiver closed (Stop-Sessions): 5 received, 5 recorded, 0 forged" "$W/sa-alt1-ike.log" ||
		rc=1
	return $rc
}

TESTS=(t_setup t_socket_access t_keys_match_ike_keys_sh t_sessions_enc_auth_esp_only
	t_wrong_spis_accept6 t_saprof_keys_match_taps t_saprof_sessions t_rekey_mid_session
	t_saprof_after_rekey)

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
