#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# swan-src.sh DIR
#   Make DIR a configured strongSwan source tree of the version of the
#   installed charon, so that the xwamp charon plugin can be compiled against
#   its headers and config.h.  Debian ships no strongSwan headers, and a
#   plugin must be built against the exact version (and configure options
#   that change struct layouts) of the charon that loads it.
#
#   STRONGSWAN_SRC=PATH   use this upstream tree (configured or not) or
#                         tarball instead of fetching one with apt-get source;
#                         it must be the version of the installed charon
#
# Prints the tree's path on stdout (the Makefile's stamp keeps it).
#
# Steps (each skipped when its stamp is present, so a rebuild is cheap):
#   1. version: dpkg-query for strongswan-charon (5.9.8-5+deb12u6 -> 5.9.8)
#   2. fetch:   apt-get source -d strongswan=VERSION, with deb-src twins of
#               the Debian entries in a private sources dir (apt -o options),
#               so the system apt configuration is left as it is
#   3. unpack:  the upstream .orig.tar.* only (the Debian patches do not
#               touch the structures a plugin sees)
#   4. configure with the options of Debian's build that change what a
#               plugin sees: --enable-mediation adds methods to ike_sa_t
#               (the plugin is then compiled with -DME), the rest only
#               select plugins and paths
set -euo pipefail

DIR=${1:?usage: swan-src.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
log() { printf 'swan-src: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# 1. the installed version
full=$(dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null || true)
[ -n "$full" ] || full=$(dpkg-query -W -f='${Version}' libstrongswan 2>/dev/null || true)
[ -n "$full" ] || [ -n "${STRONGSWAN_SRC:-}" ] ||
	die "strongSwan is not installed (apt-get install strongswan-charon) and STRONGSWAN_SRC is not set"
up=${full#*:}
up=${up%%-*}
SRC=$DIR/strongswan-$up
[ -n "${STRONGSWAN_SRC:-}" ] && [ -d "$STRONGSWAN_SRC" ] && SRC=$(cd "$STRONGSWAN_SRC" && pwd)

# a user's tree that is configured already is used as it is
if [ -f "$SRC/.xw-configured" ] || { [ -n "${STRONGSWAN_SRC:-}" ] && [ -f "$SRC/config.h" ]; }; then
	echo "$SRC"
	exit 0
fi

# 2+3. fetch and unpack
if [ ! -f "$SRC/configure" ]; then
	tarball=
	if [ -n "${STRONGSWAN_SRC:-}" ] && [ -f "$STRONGSWAN_SRC" ]; then
		tarball=$STRONGSWAN_SRC
	else
		[ "$(id -u)" = 0 ] || die "fetching the source needs root (apt-get); or set STRONGSWAN_SRC"
		dl=$DIR/dl
		mkdir -p "$dl"
		tarball=$(ls "$dl"/strongswan_"$up".orig.tar.* 2>/dev/null | head -n1 || true)
		if [ -z "$tarball" ]; then
			# a private deb-src twin of the Debian entries, used for this fetch
			# only (the system's apt configuration is not touched)
			sp=$dl/apt-sources  # not *.d: the Makefile -includes build/*/*/*.d
			rm -rf "$sp"
			mkdir -p "$sp"
			for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
				[ -f "$f" ] || continue
				awk '$1 == "deb" && /debian/ { $1 = "deb-src"; print }' "$f"
			done >"$sp/xwamp-src.list"
			for f in /etc/apt/sources.list.d/*.sources; do
				[ -f "$f" ] || continue
				# deb822 stanzas of Debian archives, Types: deb -> deb-src
				awk 'BEGIN { RS = ""; ORS = "\n\n" }
				     /URIs:[^\n]*debian/ && /Types:[^\n]*deb/ {
					sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f"
			done >"$sp/xwamp-src.sources"
			apt_src=(-o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$sp")
			log "deb-src entries for the fetch:"
			cat "$sp"/* | sed '/^$/d; s/^/    /' >&2
			apt-get "${apt_src[@]}" -o APT::Get::List-Cleanup=0 update -qq >&2 ||
				die "apt-get update (deb-src) failed"
			log "fetching strongswan=$full source"
			# A mirror may lack a security update's .dsc/.debian.tar (404)
			# while the upstream .orig.tar arrives: that one is all we need,
			# so apt's verdict only matters when it is missing.
			(cd "$dl" && apt-get "${apt_src[@]}" source -d -qq "strongswan=$full") \
				>"$dl/apt.log" 2>&1 || true
			ls "$dl"/strongswan_"$up".orig.tar.* >/dev/null 2>&1 || cat "$dl/apt.log" >&2
			tarball=$(ls "$dl"/strongswan_"$up".orig.tar.* 2>/dev/null | head -n1 || true)
			[ -n "$tarball" ] || die "could not fetch strongswan_$up.orig.tar.*"
		fi
	fi
	log "unpacking $tarball"
	rm -rf "$SRC.tmp"
	mkdir -p "$SRC.tmp"
	tar -xf "$tarball" -C "$SRC.tmp" --strip-components=1
	rm -rf "$SRC"
	mv "$SRC.tmp" "$SRC"
fi

# 4. configure: only what a plugin sees matters (mediation changes ike_sa_t);
# everything that needs extra libraries is left out.
command -v gcc >/dev/null || die "gcc missing"
log "configuring $SRC (takes a while, once)"
(cd "$SRC" && ./configure -q --prefix=/usr --sysconfdir=/etc \
	--libexecdir=/usr/lib --with-ipsecdir=/usr/lib/ipsec \
	--enable-mediation --disable-gmp --disable-ldap --disable-curl \
	--disable-soup --disable-mysql --disable-sqlite --disable-tpm \
	--disable-stroke --disable-pki \
	--disable-swanctl --disable-charon --disable-cmd \
	--disable-scripts >/dev/null) >&2 ||
	die "configure failed (see $SRC/config.log)"
[ -f "$SRC/config.h" ] || die "no config.h after configure"
touch "$SRC/.xw-configured"
echo "$SRC"
