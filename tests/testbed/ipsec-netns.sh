#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/testbed/ipsec-netns.sh: a real IKEv2/ESP tunnel between two network
# namespaces for the tests that measure inside IPsec.  One strongSwan charon
# per namespace (Debian's packages, certificate authentication with
# certificates made at every "up"), ESP done in user space by the
# kernel-libipsec plugin, so the host kernel needs no ESP support: charon
# reads and writes the inner packets through its TUN device ipsec0.
#
#   $TB_NS_I (initiator)                         $TB_NS_R (responder)
#   lo      $TB_INNER_I/32                       lo      $TB_INNER_R/32
#   ipsec0  TUN of charon                        ipsec0  TUN of charon
#   $TB_VETH_I $TB_OUTER_I/24 <--- veth --->     $TB_VETH_R $TB_OUTER_R/24
#
# Commands (root):
#   up       tear down what an earlier "up" with the same names left, then
#            namespaces, veth, certificates, both charons, the IKE and CHILD
#            SA (initiated from the initiator); ends when the tunnel is up
#   down     stop both charons, delete the namespaces and $TB_DIR
#   rekey    rekey the IKE SA from the initiator; ends when both charons
#            have exactly one IKE SA again, with new SPIs
#   status   IKE/CHILD SAs, links and routes of both sides
#   swanctl I|R ARGS...   swanctl against one side's charon
#
# Environment (defaults):
#   TB_NS_I, TB_NS_R       namespaces (tb-ike-i, tb-ike-r)
#   TB_VETH_I, TB_VETH_R   the veth ends (tb-vi, tb-vr)
#   TB_OUTER_I, TB_OUTER_R outer addresses (192.0.2.1, 192.0.2.2), /24
#   TB_INNER_I, TB_INNER_R tunnelled addresses (198.51.100.1, 198.51.100.2)
#   TB_IKE_PROPOSALS       aes256-sha256-x25519 (PRF HMAC-SHA2-256)
#   TB_ESP_PROPOSALS       aes256gcm16
#   TB_DIR                 state directory (/tmp/tb-ipsec-netns), 0700
#   TB_EXTRA_PLUGINS       more charon plugins to load (e.g. "xwamp", installed
#                          as /usr/lib/ipsec/plugins/libstrongswan-xwamp.so)
#   TB_KERNEL_ESP          1: ESP in the kernel (kernel-netlink alone, no
#                          kernel-libipsec, no TUN, no UDP encapsulation), for
#                          a kernel with ESP such as kernel-vm.sh's (0)
#   TB_CHILD_MODE          tunnel (the inner addresses) or transport (the
#                          outer ones, as the kernel SAD's look-up by peer
#                          wants them; with TB_KERNEL_ESP=1) (tunnel)
#   TB_CHARON_CONF         more strongswan.conf text inside charon { } (e.g.
#                          "plugins { xwamp { user = nobody } }": sections of
#                          the same name are merged)
#
# Per side, $TB_DIR/NAMESPACE/ holds strongswan.conf, swanctl/ (connection,
# certificates, key), charon.log (level 4 for the IKE group: it holds SK_d,
# which tests/testbed/ike-keys.sh reads), charon.vici (the vici socket, a
# path: swanctl works from any namespace) and run/, which is charon's /run:
# the PID file path is compiled into charon, so each instance gets its own
# /run by a bind mount inside the mount namespace `ip netns exec` creates.
# Whatever a plugin puts in /run (the xwamp plugin's socket) is in run/.
#
# Facts of this strongSwan (Debian 12, 5.9.8) the configuration relies on
# (doc/testbed.md): kernel-libipsec must be loaded before kernel-netlink
# (the first IPsec backend wins; kernel-netlink still does addresses and
# routes); the kdf plugin is needed for the IKE key derivation; libipsec
# only does ESP in UDP, so charon pretends NAT and ESP crosses the veth as
# UDP/4500; the route to the peer's inner address is in table 220.
set -eu

TB_NS_I=${TB_NS_I:-tb-ike-i}
TB_NS_R=${TB_NS_R:-tb-ike-r}
TB_VETH_I=${TB_VETH_I:-tb-vi}
TB_VETH_R=${TB_VETH_R:-tb-vr}
TB_OUTER_I=${TB_OUTER_I:-192.0.2.1}
TB_OUTER_R=${TB_OUTER_R:-192.0.2.2}
TB_INNER_I=${TB_INNER_I:-198.51.100.1}
TB_INNER_R=${TB_INNER_R:-198.51.100.2}
TB_IKE_PROPOSALS=${TB_IKE_PROPOSALS:-aes256-sha256-x25519}
TB_ESP_PROPOSALS=${TB_ESP_PROPOSALS:-aes256gcm16}
TB_DIR=${TB_DIR:-/tmp/tb-ipsec-netns}
TB_EXTRA_PLUGINS=${TB_EXTRA_PLUGINS:-}
TB_CHARON_CONF=${TB_CHARON_CONF:-}
TB_KERNEL_ESP=${TB_KERNEL_ESP:-0}
TB_CHILD_MODE=${TB_CHILD_MODE:-tunnel}
LIBIPSEC=kernel-libipsec
[ "$TB_KERNEL_ESP" = 1 ] && LIBIPSEC=

CHARON=/usr/lib/ipsec/charon
. "$(dirname "$0")/lib.sh"
PLUGDIR=/usr/lib/ipsec/plugins
NAME=tb # connection and child name

say() { echo "ipsec-netns: $*" >&2; }
die() {
	say "error: $*"
	exit 1
}

# side I|R -> namespace, state directory, role
ns() { if [ "$1" = I ]; then echo "$TB_NS_I"; else echo "$TB_NS_R"; fi; }
sdir() { echo "$TB_DIR/$(ns "$1")"; }

swan() {
	local d
	d=$(sdir "$1")
	shift
	STRONGSWAN_CONF=$d/strongswan.conf SWANCTL_DIR=$d/swanctl swanctl "$@"
}

install_missing() {
	local want=()
	[ -x "$CHARON" ] || want+=(strongswan-charon)
	command -v swanctl >/dev/null || want+=(strongswan-swanctl)
	command -v pki >/dev/null || want+=(strongswan-pki)
	[ -f $PLUGDIR/libstrongswan-kernel-libipsec.so ] || want+=(libcharon-extra-plugins)
	[ -f $PLUGDIR/libstrongswan-openssl.so ] || want+=(libstrongswan-standard-plugins)
	[ -f $PLUGDIR/libstrongswan-kdf.so ] || want+=(libstrongswan-extra-plugins)
	command -v ip >/dev/null || want+=(iproute2)
	command -v python3 >/dev/null || want+=(python3)
	tb_apt_install "${want[@]}"
}

# A CA and one certificate per side, Ed25519, valid for a day: made anew at
# every "up", so nothing secret lives in the repository.
certificates() {
	local ca=$TB_DIR/ca role
	mkdir -p "$ca"
	# pki loads only what it needs (no TPM probing)
	printf 'pki {\n\tload = random nonce openssl pem pkcs1 pkcs8 x509 curve25519\n}\n' >"$ca/pki.conf"
	(
		export STRONGSWAN_CONF=$ca/pki.conf
		pki --gen --type ed25519 --outform pem >"$ca/ca.key"
		pki --self --ca --lifetime 1 --in "$ca/ca.key" --dn "CN=xwamp testbed CA" \
			--outform pem >"$ca/ca.crt"
		for role in initiator responder; do
			pki --gen --type ed25519 --outform pem >"$ca/$role.key"
			pki --pub --in "$ca/$role.key" |
				pki --issue --cacert "$ca/ca.crt" --cakey "$ca/ca.key" --lifetime 1 \
					--dn "CN=xwamp-$role" --san "xwamp-$role" --outform pem >"$ca/$role.crt"
		done
	)
}

configure() {
	local side=$1 d role peerrole me peer mine theirs
	d=$(sdir "$side")
	if [ "$side" = I ]; then
		role=initiator peerrole=responder
		me=$TB_OUTER_I peer=$TB_OUTER_R mine=$TB_INNER_I theirs=$TB_INNER_R
	else
		role=responder peerrole=initiator
		me=$TB_OUTER_R peer=$TB_OUTER_I mine=$TB_INNER_R theirs=$TB_INNER_I
	fi
	# transport mode protects the outer addresses themselves
	[ "$TB_CHILD_MODE" = transport ] && mine=$me theirs=$peer
	mkdir -p "$d/run" "$d/swanctl/x509" "$d/swanctl/x509ca" "$d/swanctl/private"
	chmod 755 "$d/run" # as a real /run: what lives there sets its own modes
	cp "$TB_DIR/ca/ca.crt" "$d/swanctl/x509ca/"
	cp "$TB_DIR/ca/$role.crt" "$d/swanctl/x509/"
	cp "$TB_DIR/ca/$role.key" "$d/swanctl/private/"
	cat >"$d/strongswan.conf" <<EOF
# made by tests/testbed/ipsec-netns.sh ($role, namespace $(ns "$side"))
charon {
	# kernel-libipsec before kernel-netlink: the first IPsec backend wins
	load = random nonce openssl sha1 sha2 hmac kdf pem pkcs1 pkcs8 x509 revocation constraints pubkey curve25519 $LIBIPSEC kernel-netlink socket-default vici $TB_EXTRA_PLUGINS
	retransmit_tries = 3
	retransmit_timeout = 1.0
	plugins {
		vici {
			socket = unix://$d/charon.vici
		}
	}
	$TB_CHARON_CONF
	filelog {
		testbed {
			path = $d/charon.log
			append = no
			flush_line = yes
			ike_name = yes
			default = 1
			cfg = 2
			knl = 2
			# level 4 logs SK_d (for ike-keys.sh): the directory is 0700
			ike = 4
		}
	}
}
swanctl {
	socket = unix://$d/charon.vici
}
EOF
	cat >"$d/swanctl/swanctl.conf" <<EOF
connections {
	$NAME {
		version = 2
		local_addrs = $me
		remote_addrs = $peer
		proposals = $TB_IKE_PROPOSALS
		local {
			auth = pubkey
			certs = $role.crt
			id = "CN=xwamp-$role"
		}
		remote {
			auth = pubkey
			id = "CN=xwamp-$peerrole"
		}
		children {
			$NAME {
				mode = $TB_CHILD_MODE
				local_ts = $mine/32
				remote_ts = $theirs/32
				esp_proposals = $TB_ESP_PROPOSALS
				start_action = none
			}
		}
	}
}
EOF
}

namespaces() {
	local n
	ip netns add "$TB_NS_I"
	ip netns add "$TB_NS_R"
	ip link add "$TB_VETH_I" netns "$TB_NS_I" type veth peer name "$TB_VETH_R" netns "$TB_NS_R"
	for n in "$TB_NS_I" "$TB_NS_R"; do
		# IPv4 only: no router solicitations or DAD in the tests' captures
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
		ip -n "$n" link set lo up
	done
	ip -n "$TB_NS_I" addr add "$TB_OUTER_I/24" dev "$TB_VETH_I"
	ip -n "$TB_NS_R" addr add "$TB_OUTER_R/24" dev "$TB_VETH_R"
	# the inner address must be local for the tunnel route's source
	ip -n "$TB_NS_I" addr add "$TB_INNER_I/32" dev lo
	ip -n "$TB_NS_R" addr add "$TB_INNER_R/32" dev lo
	ip -n "$TB_NS_I" link set "$TB_VETH_I" up
	ip -n "$TB_NS_R" link set "$TB_VETH_R" up
}

start() {
	local side=$1 d
	d=$(sdir "$side")
	# $1 = the directory that becomes /run, $2 = charon
	ip netns exec "$(ns "$side")" env STRONGSWAN_CONF="$d/strongswan.conf" \
		sh -c 'mount --bind "$1" /run && exec "$2"' charon-in-ns "$d/run" "$CHARON" \
		</dev/null >"$d/charon.out" 2>&1 &
	echo $! >"$d/charon.started"
	for _ in $(seq 150); do
		[ -S "$d/charon.vici" ] && swan "$side" --stats >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	sed 's/^/  /' "$d/charon.out" >&2
	die "charon in $(ns "$side") did not answer on $d/charon.vici"
}

# Signal a PID from our files only if it is a charon (a stale file may name
# another process by now).
stop() {
	local d f pid
	d=$(sdir "$1")
	for f in "$d/run/charon.pid" "$d/charon.started"; do
		pid=$(cat "$f" 2>/dev/null) || continue
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = charon ] || continue
		kill "$pid" 2>/dev/null || continue
		for _ in $(seq 30); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	done
}

cmd_down() {
	local n pid
	if [ -d "$TB_DIR" ]; then
		stop I
		stop R
	fi
	for n in "$TB_NS_I" "$TB_NS_R"; do
		[ -e "/run/netns/$n" ] || continue
		for pid in $(ip netns pids "$n" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null || true
		done
		ip netns del "$n"
	done
	rm -rf "$TB_DIR"
}

cmd_up() {
	install_missing
	[ "$TB_KERNEL_ESP" = 1 ] || [ -c /dev/net/tun ] ||
		die "no /dev/net/tun: kernel-libipsec needs the tun driver"
	cmd_down
	umask 077 # keys and the level-4 logs
	mkdir -p "$TB_DIR"
	certificates
	configure I
	configure R
	namespaces
	start R
	start I
	swan R --load-all --noprompt >"$TB_DIR/load.log" 2>&1 || die "swanctl --load-all (responder): $(cat "$TB_DIR/load.log")"
	swan I --load-all --noprompt >"$TB_DIR/load.log" 2>&1 || die "swanctl --load-all (initiator): $(cat "$TB_DIR/load.log")"
	swan I --initiate --child "$NAME" --timeout 30 >"$TB_DIR/initiate.log" 2>&1 || {
		sed 's/^/  /' "$TB_DIR/initiate.log" >&2
		die "the IKE SA did not come up"
	}
	say "up: $TB_INNER_I <=> $TB_INNER_R through ESP in UDP between $TB_OUTER_I and $TB_OUTER_R"
}

# "SPIi SPIr" of every IKE SA of one side, from vici's list-sas
ike_spis() {
	swan "$1" --list-sas --raw 2>/dev/null |
		grep -o 'initiator-spi=[0-9a-f]* responder-spi=[0-9a-f]*' |
		sed 's/[a-z-]*=//g'
}

cmd_rekey() {
	local before now_i now_r
	before=$(ike_spis I)
	swan I --rekey --ike "$NAME" >"$TB_DIR/rekey.log" 2>&1 || {
		sed 's/^/  /' "$TB_DIR/rekey.log" >&2
		die "rekey refused"
	}
	for _ in $(seq 100); do
		now_i=$(ike_spis I)
		now_r=$(ike_spis R)
		if [ -n "$now_i" ] && [ "$now_i" = "$now_r" ] && [ "$now_i" != "$before" ] &&
			[ "$(echo "$now_i" | wc -l)" = 1 ]; then
			say "rekeyed: $before -> $now_i"
			return 0
		fi
		sleep 0.1
	done
	die "no single new IKE SA after the rekey (initiator: $now_i; responder: $now_r)"
}

cmd_status() {
	local side
	for side in I R; do
		echo "== $(ns "$side")"
		swan "$side" --list-sas || true
		ip -n "$(ns "$side")" -br addr
		ip -n "$(ns "$side")" route show table 220
	done
}

[ "$(id -u)" = 0 ] || die "needs root"
case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
rekey) cmd_rekey ;;
status) cmd_status ;;
swanctl)
	side=${2:?I or R}
	shift 2
	swan "$side" "$@"
	;;
*)
	sed -n '4,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
	;;
esac
