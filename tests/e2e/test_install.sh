#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The installed product (README: Installation): `make install` with PREFIX
# and DESTDIR lays out the programs, man pages, unit and example
# configuration; every option of --help is in the man page; the unit passes
# systemd-analyze verify and its own ExecStart line, run as systemd would
# (NOTIFY_SOCKET), says READY=1 only once it listens, then serves an
# authenticated session with a key made by xwamp-keys; ExecReload reloads.
# xwamp-keys: passphrase without echo on a terminal or from stdin, pfstore's
# lines kept, mode 0600, atomic replace.
. "$(dirname "$0")/lib.sh"

# make install into $XW_TMP/root (PREFIX=/usr); sets R, the installed programs
install_tree() {
	R=$XW_TMP/root
	make -s -C "$XW_ROOT" BUILD="$XW_BUILD" install DESTDIR="$R" PREFIX=/usr \
		>"$XW_TMP/install.log" 2>&1 || { sed 's/^/#   /' "$XW_TMP/install.log"; return 1; }
	I_XWAMPD=$R/usr/sbin/xwampd I_XWPING=$R/usr/bin/xwping I_KEYS=$R/usr/bin/xwamp-keys
}

test_layout() {
	install_tree || return 1
	local f rc=0 v
	v=$(cat "$XW_ROOT/VERSION")
	for f in usr/sbin/xwampd:755 usr/bin/xwping:755 usr/bin/xwamp-keys:755 \
		usr/share/man/man8/xwampd.8:644 usr/share/man/man1/xwping.1:644 \
		usr/share/man/man1/xwamp-keys.1:644 usr/lib/systemd/system/xwampd.service:644 \
		usr/lib/sysusers.d/xwamp.conf:644 etc/xwamp/xwampd.conf:644 \
		usr/share/doc/xwamp/xwampd.conf.example:644; do
		[ "$(stat -c %a "$R/${f%:*}" 2>/dev/null)" = "${f#*:}" ] ||
			{ xw_log "$R/${f%:*}: missing or not mode ${f#*:}"; rc=1; }
	done
	for f in "$I_XWAMPD" "$I_XWPING" "$I_KEYS"; do
		[ "$("$f" --version)" = "$(basename "$f") $v" ] || { xw_log "$f --version"; rc=1; }
	done
	# the paths in the installed files are the installed ones
	grep -q "^ExecStart=/usr/sbin/xwampd --config /etc/xwamp/xwampd.conf$" \
		"$R/usr/lib/systemd/system/xwampd.service" || { xw_log "unit ExecStart"; rc=1; }
	grep -qI '@[A-Z]*@' -r "$R" && { xw_log "unfilled @NAME@ in $(grep -lI '@[A-Z]*@' -r "$R")"; rc=1; }
	# the example configuration is valid as installed
	"$I_XWAMPD" --config "$R/etc/xwamp/xwampd.conf" --check-config >/dev/null ||
		{ xw_log "example configuration invalid"; rc=1; }
	# a second install keeps the administrator's configuration
	echo "servwait 5" >>"$R/etc/xwamp/xwampd.conf"
	install_tree && grep -q "^servwait 5$" "$R/etc/xwamp/xwampd.conf" ||
		{ xw_log "make install overwrote etc/xwamp/xwampd.conf"; rc=1; }
	return $rc
}

# Each man page renders without a groff warning and names every long
# option its program's --help lists (an undocumented option fails here).
test_man_pages() {
	install_tree || return 1
	local rc=0 prog page opt out
	for prog in sbin/xwampd:man8/xwampd.8 bin/xwping:man1/xwping.1; do
		page=$R/usr/share/man/${prog#*:}
		out=$(groff -man -Tutf8 -wall -P -cbou "$page" 2>&1 >"$XW_TMP/page.txt")
		[ -z "$out" ] || { xw_log "$page: groff says: $out"; rc=1; }
		grep -q "EXIT STATUS" "$XW_TMP/page.txt" || { xw_log "$page did not render"; rc=1; }
		for s in NAME SYNOPSIS DESCRIPTION OPTIONS FILES SIGNALS "EXIT STATUS" EXAMPLES; do
			grep -q "^\.SH \"\?$s" "$page" || { xw_log "$page: no section $s"; rc=1; }
		done
		for opt in $("$R/usr/${prog%%:*}" --help | grep -o -- '--[a-z0-9-]*' | sort -u); do
			grep -qE -- "(^|[^a-z-])$opt([^a-z-]|$)" "$XW_TMP/page.txt" ||
				{ xw_log "${prog%%:*} $opt: not in $page"; rc=1; }
		done
	done
	groff -man -Tutf8 -wall "$R/usr/share/man/man1/xwamp-keys.1" 2>&1 >/dev/null | grep . &&
		{ xw_log "xwamp-keys.1 warnings"; rc=1; }
	return $rc
}

# pty_add FILE KEYID PASS: xwamp-keys add on a terminal; prints what the terminal showed
pty_add() {
	python3 - "$I_KEYS" "$@" <<'PY'
import os, pty, select, sys, time
prog, path, keyid, pw = sys.argv[1:5]
pid, fd = pty.fork()
if pid == 0:
    os.execv(prog, [prog, "add", path, keyid])
out = b""
def until(s, t=10):
    global out
    end = time.time() + t
    while s not in out and time.time() < end:
        if not select.select([fd], [], [], 0.2)[0]:
            continue
        try:
            d = os.read(fd, 1024)
        except OSError:
            break
        if not d:
            break
        out += d
until(b"passphrase for " + keyid.encode() + b": ")
os.write(fd, pw.encode() + b"\n")
until(b"again: ")
os.write(fd, pw.encode() + b"\n")
until(b"added")
for _ in range(50):
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(1)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(st))
PY
}

hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

test_keys() {
	install_tree || return 1
	local k=$XW_TMP/keys out rc=0 pfs
	# a file as pfstore writes it: "identity<TAB>hex", kept byte for byte
	pfs=$(printf 'alice\t%s' "$(hexof 'correct horse battery')")
	printf '# pfstore\n%s\n' "$pfs" >"$k"
	chmod 600 "$k"
	out=$(pty_add "$k" carol 'pass of carol') || { xw_log "pty add failed: $out"; return 1; }
	grep -q "pass of carol" <<<"$out" && { xw_log "passphrase echoed: $out"; rc=1; }
	grep -q "passphrase for carol: " <<<"$out" || { xw_log "no prompt: $out"; rc=1; }
	printf 'bob secret\n' | "$I_KEYS" add "$k" bob || rc=1
	# add refuses a KeyID that is there; set replaces it
	printf 'x\n' | "$I_KEYS" add "$k" bob 2>/dev/null && { xw_log "add over bob"; rc=1; }
	printf 'bob new\n' | "$I_KEYS" set "$k" bob || rc=1
	[ "$(sed -n 2p "$k")" = "$pfs" ] || { xw_log "pfstore line changed: $(sed -n 2p "$k")"; rc=1; }
	grep -q "^# pfstore$" "$k" || { xw_log "comment lost"; rc=1; }
	grep -qx "carol	$(hexof 'pass of carol')" "$k" || { xw_log "carol: $(cat "$k")"; rc=1; }
	grep -qx "bob	$(hexof 'bob new')" "$k" || { xw_log "bob: $(cat "$k")"; rc=1; }
	[ "$(stat -c %a "$k")" = 600 ] || { xw_log "mode $(stat -c %a "$k")"; rc=1; }
	[ "$("$I_KEYS" list "$k" | tr '\n' ' ')" = "alice carol bob " ] ||
		{ xw_log "list: $("$I_KEYS" list "$k")"; rc=1; }
	"$I_KEYS" del "$k" carol 2>/dev/null || rc=1
	"$I_KEYS" del "$k" carol 2>/dev/null && { xw_log "del of a missing KeyID"; rc=1; }
	grep -q carol "$k" && { xw_log "carol still there"; rc=1; }
	# atomic: a new inode (renamed over), no FILE.tmp left
	local ino
	ino=$(stat -c %i "$k")
	printf 'z\n' | "$I_KEYS" set "$k" zed 2>/dev/null
	[ "$(stat -c %i "$k")" != "$ino" ] || { xw_log "not replaced by rename"; rc=1; }
	[ -e "$k.tmp" ] && { xw_log "$k.tmp left"; rc=1; }
	# a file that does not parse is not touched; a group-readable one is written back 0600
	printf 'broken line here\n' >"$XW_TMP/bad"
	printf 'p\n' | "$I_KEYS" add "$XW_TMP/bad" x 2>"$XW_TMP/err" && rc=1
	grep -q "bad:1" "$XW_TMP/err" && [ "$(cat "$XW_TMP/bad")" = "broken line here" ] ||
		{ xw_log "bad file: $(cat "$XW_TMP/err")"; rc=1; }
	chmod 644 "$k"
	printf 'y\n' | "$I_KEYS" set "$k" yan 2>/dev/null
	[ "$(stat -c %a "$k")" = 600 ] || { xw_log "0644 file not made 0600"; rc=1; }
	# empty passphrase and KeyIDs with white space refused
	printf '\n' | "$I_KEYS" add "$k" empty 2>/dev/null && rc=1
	printf 'p\n' | "$I_KEYS" add "$k" 'two words' 2>/dev/null && rc=1
	# xwping and xwampd load what it wrote
	"$I_XWAMPD" --keyfile "$k" --check-config >/dev/null || { xw_log "xwampd refuses it"; rc=1; }
	return $rc
}

# The unit's own ExecStart line (paths mapped into the install tree), run
# as systemd runs a Type=notify service: READY=1 arrives when it listens;
# an authenticated session with a key from xwamp-keys; the ExecReload line
# reloads (RELOADING=1, READY=1, the new limit logged as applied).
test_unit() {
	install_tree || return 1
	local unit=$R/usr/lib/systemd/system/xwampd.service cmd reload
	command -v systemd-analyze >/dev/null || { xw_log "systemd-analyze missing (systemd)"; return 1; }
	sed "s|/usr/sbin/xwampd|$R/usr/sbin/xwampd|" "$unit" >"$XW_TMP/xwampd.service"
	systemd-analyze verify --man=no "$XW_TMP/xwampd.service" >"$XW_TMP/verify" 2>&1 ||
		{ sed 's/^/#   /' "$XW_TMP/verify"; return 1; }
	[ -s "$XW_TMP/verify" ] && { sed 's/^/#   verify: /' "$XW_TMP/verify"; return 1; }
	# the service's files: readable by the user it drops to
	chmod 755 "$XW_TMP" "$R" "$R/etc" "$R/etc/xwamp"
	printf 'kx pass\n' | "$I_KEYS" add "$R/etc/xwamp/keys" kx 2>/dev/null || return 1
	printf 'listen %s\nkeyfile %s\nmax-sessions 2\n' "$XW_S4" "$R/etc/xwamp/keys" \
		>"$R/etc/xwamp/xwampd.conf"
	cmd=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s|/usr/sbin/|$R/usr/sbin/|; s| /etc/| $R/etc/|g")
	reload=$(sed -n 's/^ExecReload=//p' "$unit")
	xw_log "ExecStart: $cmd"
	mkdir -m 755 "$XW_TMP/run"
	# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
	ip netns exec "$XW_NS_S" python3 - "$XW_TMP/run/notify" "$XW_TMP/notify.log" "$XW_NS_S" $cmd \
		>"$XW_TMP/xwampd.log" 2>&1 <<'PY' &
import os, socket, subprocess, sys, time
path, log, ns, argv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
env = dict(os.environ, NOTIFY_SOCKET=path)
p = subprocess.Popen(argv, env=env)
with open(log, "w", buffering=1) as f:
    f.write("pid %d\n" % p.pid)
    s.settimeout(0.2)
    while p.poll() is None:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            continue
        listening = b"LISTEN" in subprocess.run(["ss", "-Hltn", "sport = :862"],
                                                capture_output=True).stdout
        for line in m.split("\n"):
            f.write("%s listening=%s\n" % (line, listening))
PY
	XW_PIDS="${XW_PIDS:-} $!"
	for _ in $(seq 100); do
		grep -q "^READY=1" "$XW_TMP/notify.log" 2>/dev/null && break
		sleep 0.1
	done
	sed 's/^/#   notify: /' "$XW_TMP/notify.log"
	expect "READY=1 once listening" grep -q "^READY=1 listening=True" "$XW_TMP/notify.log" ||
		return 1
	local pid
	pid=$(sed -n 's/^pid //p' "$XW_TMP/notify.log")
	in_c "$I_XWPING" -A auth -u kx -k "$R/etc/xwamp/keys" -c 20 -i 0.01 --json "$XW_S4" \
		>"$XW_TMP/p.json" 2>"$XW_TMP/p.err" || { sed 's/^/#   /' "$XW_TMP/p.err"; return 1; }
	expect "20 replies" [ "$(json_get "$XW_TMP/p.json" \
		'(j["sessions"][0] if "sessions" in j else j)["packets"]["received"]')" = 20 ] || return 1
	printf 'listen %s\nkeyfile %s\nmax-sessions 3\n' "$XW_S4" "$R/etc/xwamp/keys" \
		>"$R/etc/xwamp/xwampd.conf"
	# shellcheck disable=SC2086
	${reload//\$MAINPID/$pid} || return 1
	for _ in $(seq 50); do
		[ "$(grep -c '^READY=1' "$XW_TMP/notify.log")" -ge 2 ] && break
		sleep 0.1
	done
	expect "RELOADING=1 then READY=1" grep -A1 "^RELOADING=1" "$XW_TMP/notify.log" -q &&
		expect "second READY=1" [ "$(grep -c '^READY=1' "$XW_TMP/notify.log")" -ge 2 ] &&
		expect "max-sessions applied" grep -q "configuration: max-sessions 3 (applied)" \
			"$XW_TMP/xwampd.log"
}

TESTS=(test_layout test_man_pages test_keys test_unit)
xw_run "$@"
