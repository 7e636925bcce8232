#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xwampd's configuration file (README: Configuration): every option of the
# table by its long name or an RFC 8913 alias, the command line over the
# file, --check-config, each bad line named FILE:LINE, SIGHUP applying what
# can change at run time and keeping the running configuration when the file
# is bad (proved with a connection limit a client runs into).
. "$(dirname "$0")/lib.sh"

# greeting_modes: connect to the server's port 862, print the greeting's Modes
# (RFC 4656 3.1: offset 12), keep HOLD connections open meanwhile.
greeting_modes() {
	in_c python3 - "$XW_S4" "${1:-0}" <<'PY'
import socket, struct, sys
host, hold = sys.argv[1], int(sys.argv[2])
held = []
for _ in range(hold):
    s = socket.create_connection((host, 862), timeout=5)
    s.recv(64)
    held.append(s)
s = socket.create_connection((host, 862), timeout=5)
g = b""
while len(g) < 64:
    d = s.recv(64 - len(g))
    if not d:
        break
    g += d
print(struct.unpack("!I", g[12:16])[0] if len(g) >= 16 else -1)
PY
}

# Each bad line: the exit status 2 and an error naming FILE:LINE and why.
test_bad_lines() {
	local f=$XW_TMP/bad.conf rc=0 line want out
	while IFS='|' read -r line want; do
		printf 'max-sessions 4\n# a comment\n%s\n' "$line" >"$f"
		out=$("$XWAMPD" --config "$f" --check-config 2>&1)
		if [ $? != 2 ] || ! grep -qF "$f:3: $want" <<<"$out"; then
			xw_log "line '$line': want '$f:3: $want', got: $out"
			rc=1
		fi
	done <<'CASES'
bogus 1|unknown option 'bogus'
servwait abc|servwait: 'abc' is not a number in 0..86400
max-sessions 5|max-sessions: given again (first at line 1)
max-conns|max-conns: missing value
check-config|'check-config' belongs on the command line
config /etc/other|'config' belongs on the command line
xfrm maybe|xfrm: 'maybe' is neither yes nor no
modes open,bogus|modes: invalid value 'open,bogus'
count 1000|count: invalid value '1000'
listen 192.0.2.300|listen: invalid value '192.0.2.300'
refwait 1	x|refwait: '1	x' is not a number
CASES
	# a missing file named by --config is an error; the default one may be absent
	out=$("$XWAMPD" --config "$XW_TMP/none.conf" --check-config 2>&1)
	[ $? = 2 ] && grep -qF "$XW_TMP/none.conf: No such file" <<<"$out" ||
		{ xw_log "missing --config file: $out"; rc=1; }
	printf 'servwait 60\0\n' >"$f"
	out=$("$XWAMPD" --config "$f" --check-config 2>&1)
	[ $? = 2 ] && grep -qF "NUL" <<<"$out" || { xw_log "NUL octet: $out"; rc=1; }
	return $rc
}

# --check-config: the effective values with their origin, the command line winning
# (repeatable options included: the file's listen lines give way to the command line's).
test_check_config() {
	local f=$XW_TMP/x.conf out kf
	kf=$(xw_keyfile)
	cat >"$f" <<CONF
# xwampd test configuration
servwait 60
refwait 30          # REFWAIT, RFC 5357 4.2
max-conns 10
listen 192.0.2.2
listen [2001:db8::2]:8620
keyfile $kf
server-modes unauthenticated authenticated
count 15
no-afxdp yes
xfrm no
CONF
	out=$("$XWAMPD" -c "$f" --check-config --max-conns 5 --listen 127.0.0.1:9 -v 2>"$XW_TMP/err") ||
		{ xw_log "check-config failed: $out $(cat "$XW_TMP/err")"; return 1; }
	printf '%s\n' "$out" | sed 's/^/#   /'
	local ok=0
	grep -Eq "^servwait +60 +# $f:2$" <<<"$out" || { xw_log "servwait from the file"; ok=1; }
	grep -Eq "^refwait +30 +# $f:3$" <<<"$out" || { xw_log "refwait with a comment"; ok=1; }
	grep -Eq "^max-conns +5 +# command line$" <<<"$out" || { xw_log "max-conns from argv"; ok=1; }
	grep -Eq "^listen +127.0.0.1:9 +# command line$" <<<"$out" || { xw_log "listen argv"; ok=1; }
	grep -q "^listen.*192.0.2.2" <<<"$out" && { xw_log "file's listen kept"; ok=1; }
	grep -q "^# $f:5: overridden by the command line" <<<"$out" || { xw_log "overridden"; ok=1; }
	grep -Eq "^modes +unauthenticated authenticated +# $f:8$" <<<"$out" || { xw_log "alias"; ok=1; }
	grep -Eq "^no-afxdp +yes " <<<"$out" || { xw_log "flag yes"; ok=1; }
	grep -Eq "^xfrm +no " <<<"$out" || { xw_log "flag no"; ok=1; }
	grep -Eq "^max-sessions +16 +# default$" <<<"$out" || { xw_log "default"; ok=1; }
	grep -Eq "^verbose +1 +# command line$" <<<"$out" || { xw_log "verbose"; ok=1; }
	# the printed configuration is itself a valid configuration file
	printf '%s\n' "$out" >"$XW_TMP/again.conf"
	"$XWAMPD" -c "$XW_TMP/again.conf" --check-config >/dev/null ||
		{ xw_log "--check-config output does not read back"; ok=1; }
	return $ok
}

# A server configured by the file alone: its values are the ones in force
# (port, key file, modes, RFC 8913 count exponent 2^11 in the greeting).
test_file_serves() {
	local f=$XW_TMP/s.conf kf
	kf=$(xw_keyfile)
	printf 'listen %s\nkeyfile %s\nmodes auth\ncount 11\nmax-sessions 1\n' "$XW_S4" "$kf" >"$f"
	xw_start_server --config "$f" || return 1
	in_c "$XWPING" -A auth -u alice -k "$kf" -c 10 -i 0.01 --json $XW_S4 >"$XW_TMP/p.json" \
		2>"$XW_TMP/p.err" || { sed 's/^/#   /' "$XW_TMP/p.err"; return 1; }
	expect "10 packets back" [ "$(json_get "$XW_TMP/p.json" '(j["sessions"][0] if "sessions" in j else j)["packets"]["received"]')" = 10 ] &&
		expect "ready line shows the file's modes" grep -q 'ready: modes auth (2)' "$XW_TMP/xwampd.log" &&
		expect "greeting Count 2048 (count 11)" grep -q 'PBKDF2 Count 2048$' "$XW_TMP/xwampd.log" ||
		return 1
	# --sessions 2 > max-sessions 1 from the file: the second gets Accept 5
	! in_c "$XWPING" -A auth -u alice -k "$kf" --sessions 2 -c 2 -i 0.01 $XW_S4 >/dev/null 2>&1
}

# SIGHUP: a bad file changes nothing (a client over the old limit is still
# refused), a good one applies the new limit to the next connection and
# says which changes need a restart.
test_sighup() {
	local f=$XW_TMP/h.conf m
	# xwampd re-reads the file as the user it dropped to (README: Security),
	# as it reads /etc/xwamp/xwampd.conf (0644 in a world-searchable /etc)
	chmod 755 "$XW_TMP"
	printf 'listen %s\nmax-conns 1\n' "$XW_S4" >"$f"
	chmod 644 "$f"
	xw_start_server --config "$f" || return 1
	m=$(greeting_modes 1)
	expect "second connection refused at max-conns 1 (Modes 0, got $m)" [ "$m" = 0 ] || return 1
	printf 'listen %s\nmax-conns 3\nservwait ten\n' "$XW_S4" >"$f"
	kill -HUP "$XW_SRV_PID"
	sleep 0.5
	expect "bad line logged as FILE:LINE" grep -qF "$f:3: servwait: 'ten' is not a number" \
		"$XW_TMP/xwampd.log" &&
		expect "old configuration kept" grep -q "not reloaded.*stays in force" "$XW_TMP/xwampd.log" ||
		return 1
	m=$(greeting_modes 1)
	expect "still refused after the bad reload (Modes $m)" [ "$m" = 0 ] || return 1
	printf 'listen %s\nmax-conns 3\nlisten %s\n' "$XW_S4" "$XW_S6" >"$f"
	kill -HUP "$XW_SRV_PID"
	sleep 0.5
	expect "max-conns applied" grep -q "configuration: max-conns 3 (applied)" "$XW_TMP/xwampd.log" &&
		expect "listen needs a restart" grep -q "configuration: listen changed .*needs a restart" \
			"$XW_TMP/xwampd.log" || return 1
	m=$(greeting_modes 1)
	expect "second connection served at max-conns 3 (Modes $m)" [ "$m" != 0 ] || return 1
	kill -0 "$XW_SRV_PID"
}

# Every long option --help lists is a name the file knows (the file goes
# through the same table): alone on a line it is taken (a flag), wants its
# value, or is one of the three the command line keeps for itself.
test_every_option_in_file() {
	local f=$XW_TMP/o.conf opt out rc=0
	for opt in $("$XWAMPD" --help | grep -o -- '^ *\(-., \)\?--[a-z0-9-]*' | grep -o -- '--.*' | sort -u); do
		case $opt in --help | --version) continue ;; esac
		printf '%s\n' "${opt#--}" >"$f"
		out=$("$XWAMPD" --config "$f" --check-config 2>&1 >/dev/null)
		if grep -q "unknown option" <<<"$out"; then
			xw_log "$opt: not known in a configuration file: $out"
			rc=1
		fi
	done
	# and the count of names checked is the table's, not zero
	[ "$("$XWAMPD" --help | grep -c -- ' --[a-z]')" -gt 30 ] || { xw_log "few options?"; rc=1; }
	return $rc
}

TESTS=(test_bad_lines test_check_config test_file_serves test_sighup test_every_option_in_file)
xw_run "$@"
