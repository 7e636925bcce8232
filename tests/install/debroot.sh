#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# debroot.sh DIR: a fresh Debian 12 (bookworm) minbase root in DIR, with the
# libraries the xwamp package depends on and iproute2 already in it, so that
# the package installs there with dpkg alone (tests/e2e/test_install.sh).
#
# debootstrap takes minutes (downloads from the mirror in /etc/apt); the
# result is cached as a tarball under $XW_DEBROOT_CACHE (default
# /var/cache/xwamp-test), one per month, so later runs unpack it in seconds.
set -eu
dir=$1
cache=${XW_DEBROOT_CACHE:-/var/cache/xwamp-test}
mirror=${XW_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
inc=libbpf1,libxdp1,libssl3,iproute2,adduser,ca-certificates
tar=$cache/bookworm-minbase-$(date +%Y%m)-$(echo "$inc" | md5sum | cut -c1-8).tar.gz

mkdir -p "$dir" "$cache"
if [ ! -s "$tar" ]; then
	command -v debootstrap >/dev/null || { echo "debroot: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }
	tmp=$(mktemp -d "$cache/build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	echo "# debroot: debootstrap bookworm minbase from $mirror (cached as $tar)" >&2
	debootstrap --variant=minbase --include="$inc" bookworm "$tmp/root" "$mirror" >"$tmp/log" 2>&1 ||
		{ tail -n 20 "$tmp/log" >&2; exit 1; }
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
	tar -C "$tmp/root" -czf "$tar.tmp" . && mv "$tar.tmp" "$tar"
fi
tar -C "$dir" -xzf "$tar"
