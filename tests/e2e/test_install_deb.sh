#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Debian package in a clean system: `make deb` (dpkg-buildpackage, and
# lintian with no error or warning), installed with dpkg into a fresh
# Debian 12 minbase root (tests/install/debroot.sh: debootstrap, cached under
# /var/cache/xwamp-test), where the programs answer --version, the user
# xwamp exists, the configuration is a conffile and valid, and xwampd run
# from the package serves an authenticated session to xwping, also from the
# package, with a key made by the package's xwamp-keys.
#
# Cost: about 1.5 min with the cached root (make deb ~50 s); a cold cache adds
# the debootstrap, about 2 min from the Debian mirror.
. "$(dirname "$0")/lib.sh"

deb_root_down() {
	[ -n "${ROOT:-}" ] || return 0
	umount "$ROOT/proc" 2>/dev/null
	rm -rf "$ROOT"
}

test_deb() {
	local deb v
	v=$(cat "$XW_ROOT/VERSION")
	# debian/changelog names the release VERSION does
	expect "debian/changelog version $v" \
		grep -q "^xwamp ($v) " "$XW_ROOT/debian/changelog" || return 1
	make -s -C "$XW_ROOT" BUILD="$XW_BUILD" deb >"$XW_TMP/deb.log" 2>&1 ||
		{ tail -n 30 "$XW_TMP/deb.log" | sed 's/^/#   /'; return 1; }
	grep -v "running with root privileges" "$XW_TMP/deb.log" | grep -E '^[EW]: ' &&
		{ xw_log "lintian complains"; return 1; }
	deb=$XW_BUILD/deb/xwamp_${v}_$(dpkg --print-architecture).deb
	expect "package built: $deb" [ -s "$deb" ] || return 1

	ROOT=/tmp/xw-debroot.$$
	trap deb_root_down RETURN
	"$XW_ROOT/tests/install/debroot.sh" "$ROOT" || return 1
	expect "a Debian 12 root" grep -q '^12' "$ROOT/etc/debian_version" || return 1
	expect "no xwamp before" [ ! -e "$ROOT/usr/sbin/xwampd" ] || return 1
	cp "$deb" "$ROOT/tmp/"
	mount -t proc proc "$ROOT/proc" || return 1
	chroot "$ROOT" dpkg -i "/tmp/$(basename "$deb")" >"$XW_TMP/dpkg.log" 2>&1 ||
		{ sed 's/^/#   /' "$XW_TMP/dpkg.log"; return 1; }
	local p
	for p in /usr/sbin/xwampd /usr/bin/xwping /usr/bin/xwamp-keys; do
		expect "$p --version in the root" \
			[ "$(chroot "$ROOT" "$p" --version)" = "$(basename $p) $v" ] || return 1
	done
	expect "user xwamp created" chroot "$ROOT" getent passwd xwamp >/dev/null &&
		expect "xwampd.conf is a conffile" \
			grep -q "^ /etc/xwamp/xwampd.conf " <(chroot "$ROOT" dpkg-query -W -f='${Conffiles}\n' xwamp) &&
		expect "the packaged configuration is valid" \
			chroot "$ROOT" xwampd --check-config >/dev/null ||
		return 1

	# a session between two namespaces, both ends run from the package
	printf 'deb pass\n' | chroot "$ROOT" xwamp-keys add /etc/xwamp/keys debian 2>/dev/null &&
		chroot "$ROOT" chown xwamp: /etc/xwamp/keys || return 1
	printf 'listen %s\nkeyfile /etc/xwamp/keys\nmodes auth,enc\n' "$XW_S4" \
		>"$ROOT/etc/xwamp/xwampd.conf"
	ip netns exec "$XW_NS_S" chroot "$ROOT" /usr/sbin/xwampd >"$XW_TMP/xwampd.log" 2>&1 &
	XW_PIDS="${XW_PIDS:-} $!"
	for _ in $(seq 100); do
		in_s ss -Hltn 'sport = :862' | grep -q LISTEN && break
		sleep 0.05
	done
	ip netns exec "$XW_NS_C" chroot "$ROOT" /usr/bin/xwping -A enc -u debian -k /etc/xwamp/keys \
		-c 20 -i 0.01 --json $XW_S4 >"$XW_TMP/p.json" 2>"$XW_TMP/p.err" ||
		{ sed 's/^/#   /' "$XW_TMP/p.err"; return 1; }
	expect "20 replies in encrypted mode" [ "$(json_get "$XW_TMP/p.json" \
		'(j["sessions"][0] if "sessions" in j else j)["packets"]["received"]')" = 20 ] &&
		expect "xwampd runs as the package's user" grep -q "running as user xwamp" "$XW_TMP/xwampd.log"
}

TESTS=(test_deb)
xw_run "$@"
