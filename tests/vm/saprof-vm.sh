#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The IPsec SA profile (README "IPsec SA profile", control/saprof.h) with
# real ESP: both ends take their keys ONLY from the kernel SAD over xfrm
# netlink.  Runs INSIDE a kernel with ESP (tests/e2e/test_vm_saprof.sh
# boots Debian's kernel under qemu via kernel-vm.sh); prints PASS/FAIL.
#
#   netns xwsa (client, xwping)  192.0.2.1 <-- veth --> 192.0.2.2  netns xwsb (xwampd)
#   ESP transport mode, cbc(aes) + hmac(sha256)/128, SPI 0x3001 a->b, 0x3002 b->a
#
# Checks:
#   1. every variant (keymat, alt1, alt2) in auth, enc and mixed mode: the
#      session runs (replies counted), the server accepts the Mode, and the
#      SPIs xwping saw in the greeting are those `ip xfrm state` shows
#   2. an SA pair without integrity (cbc(aes) only): the client refuses it
#   3. the SA pair replaced (new SPIs and keys, old deleted) under a running
#      session: the session ends normally; the next one names the new SPIs
#   4. no key octet of the SAs in xwampd's or xwping's output
#   6. tunnel mode: the connection between inner addresses keyed from the
#      tunnel SAs (found through the policies), and refused once the
#      inbound SA of the template is gone
#   5. strongSwan with its kernel backend (when installed, with the charon
#      plugin built): the plugin's CHILD SA keys are the kernel's; sessions
#      keyed from the SAs charon negotiated, from the kernel SAD and from
#      the plugin (--sa-socket, SKEYSEED as the root)
set -u
A=xwsa B=xwsb
OA=192.0.2.1 OB=192.0.2.2
. "$(dirname "$0")/lib.sh"
vm_init test_vm_saprof

hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# pair SPI_AB SPI_BA [noauth]: the same two SAs in both namespaces
pair() {
	local ns spi s d
	for spi in "$1" "$2"; do
		local ek ak
		ek=$(hex 16) ak=$(hex 32)
		echo "$ek $ak" >>"$T/keys"
		if [ "$spi" = "$1" ]; then s=$OA d=$OB; else s=$OB d=$OA; fi
		for ns in $A $B; do
			if [ "${3:-}" = noauth ]; then
				ip -n $ns xfrm state add src $s dst $d proto esp spi "$spi" reqid 1 \
					mode transport enc "cbc(aes)" "0x$ek"
			else
				ip -n $ns xfrm state add src $s dst $d proto esp spi "$spi" reqid 1 \
					mode transport enc "cbc(aes)" "0x$ek" auth-trunc "hmac(sha256)" \
					"0x$ak" 128
			fi
		done
	done
}
unpair() {
	local ns
	for ns in $A $B; do
		ip -n $ns xfrm state delete src $OA dst $OB proto esp spi "$1"
		ip -n $ns xfrm state delete src $OB dst $OA proto esp spi "$2"
	done
}

setup() {
	vm_netns xwsa0 xwsb0
	set -e
	pair 0x3001 0x3002
	# everything between the two addresses through ESP (templates without SPI: any SA)
	ip -n $A xfrm policy add src $OA/32 dst $OB/32 dir out tmpl proto esp reqid 1 mode transport
	ip -n $A xfrm policy add src $OB/32 dst $OA/32 dir in tmpl proto esp reqid 1 mode transport
	ip -n $B xfrm policy add src $OB/32 dst $OA/32 dir out tmpl proto esp reqid 1 mode transport
	ip -n $B xfrm policy add src $OA/32 dst $OB/32 dir in tmpl proto esp reqid 1 mode transport
	set +e
}

# the SPI of the SA src -> dst in namespace A, as `ip xfrm state` prints it (0x...)
spi_of() {
	ip -n $A xfrm state | awk -v s="$1" -v d="$2" '
		/^src / { m = ($2 == s && $4 == d) }
		m && /^\tproto / { print $4; exit }'
}

server() { # VARIANT
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns exec $B "$XWAMPD" --config '' --listen 0.0.0.0:862 --sa-profile "$1" \
		--modes auth,enc,mixed -v >"$T/xwampd-$1.log" 2>&1 &
	pid=$!
	local i
	for i in $(seq 100); do
		ip netns exec $B ss -Hltn 'sport = :862' | grep -q LISTEN && return 0
		sleep 0.05
	done
	return 1
}

ping_() { # OUT VARIANT MODE COUNT (timeouts for a loaded host under TCG)
	ip netns exec $A "$XWPING" --sa-profile "$2" -A "$3" -c "$4" -i 0.05 --wait 2 --timeout 30 \
		-v "$OB" >"$1" 2>&1
}

received() { # the "N received" count of xwping's summary
	sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' "$1" | head -1
}

setup || { fail setup "cannot build the namespaces and SAs"; exit 1; }
echo "# SAs: $(ip -n $A xfrm state | grep -c '^src')"

# 1. every variant in every keyed mode
for v in keymat alt1 alt2; do
	if ! server $v; then
		fail "$v/start" "xwampd did not listen: $(tail -3 "$T/xwampd-$v.log")"
		continue
	fi
	k=0
	for m in auth enc mixed; do
		k=$((k + 1)) # this run's control connection is the server's k-th
		out=$T/ping-$v-$m
		ping_ "$out" $v $m 5
		rc=$?
		n=$(received "$out")
		spi_i=$(printf '0x%08x' "$(spi_of $OA $OB)")
		spi_r=$(printf '0x%08x' "$(spi_of $OB $OA)")
		if [ $rc != 0 ] || [ "${n:-0}" -lt 4 ]; then
			fail "$v/$m" "xwping exit $rc, ${n:-no} replies: $(tail -3 "$out" | tr '\n' ' ') xwampd: $(grep -m2 -e 'kernel SAD' -e 'lookup failed' -e 'IPsec SA profile:' "$T/xwampd-$v.log" | tr '\n' ' ')"
		elif ! grep -q "IPsec SA profile $v with $OB: protocol 50 SPIi $spi_i SPIr $spi_r" "$out"; then
			fail "$v/$m" "the SPIs do not match ip xfrm state ($spi_i $spi_r): $(grep -m1 'IPsec SA' "$out")"
		elif [ "$(grep -c "Mode 0x[0-9a-f]* accepted" "$T/xwampd-$v.log")" != $k ]; then
			# counted: the log is the server's, shared by the three modes' runs
			fail "$v/$m" "xwampd did not accept connection $k: $(tail -3 "$T/xwampd-$v.log" | tr '\n' ' ')"
		else
			pass "$v/$m"
		fi
	done
done

# 3. the SA pair replaced under a running session (alt1, encrypted)
server alt1
ping_ "$T/ping-rekey" alt1 enc 60 &
ppid=$!
# the connection is up (keys fixed at Set-Up-Response), packets flow: now rekey
for _ in $(seq 600); do
	grep -q "accepted" "$T/xwampd-alt1.log" && break
	sleep 0.05
done
sleep 0.5
pair 0x5001 0x5002
unpair 0x3001 0x3002
wait $ppid
rc=$?
n=$(received "$T/ping-rekey")
if [ $rc = 0 ] && [ "${n:-0}" -ge 40 ]; then
	pass rekey/running
else
	fail rekey/running "xwping exit $rc, ${n:-no} of 60 replies: $(tail -3 "$T/ping-rekey" | tr '\n' ' ')"
fi
ping_ "$T/ping-after" alt1 enc 3
if [ $? = 0 ] && grep -q "SPIi 0x00005001 SPIr 0x00005002" "$T/ping-after"; then
	pass rekey/new_connection
else
	fail rekey/new_connection "$(grep -m1 'IPsec SA\|xwping:' "$T/ping-after")"
fi

# 2. without integrity: refused by the client before anything is sent
pair 0x6001 0x6002 noauth
unpair 0x5001 0x5002
ping_ "$T/ping-noauth" alt1 enc 3
rc=$?
if [ $rc != 0 ] && grep -q "encryption-only" "$T/ping-noauth"; then
	pass encryption_only
else
	fail encryption_only "xwping exit $rc: $(tail -2 "$T/ping-noauth" | tr '\n' ' ')"
fi

# 6. tunnel mode: the control connection runs between inner addresses
#    (198.51.100.1 in A, 203.0.113.2 in B), the SAs between the veth
#    addresses (the gateways); both ends find the pair through the SPD: the
#    policy matching the connection, the SA of its template (README "IPsec
#    SA profile", which SA pair).  xwping without -S: its end is the route's
#    source.  Then A's inbound tunnel SA gone: refused, logged
IA=198.51.100.1 IB=203.0.113.2
tunnel() {
	local ns spi s d ek ak
	set -e
	ip -n $A addr add $IA/32 dev lo
	ip -n $B addr add $IB/32 dev lo
	ip -n $A route add $IB/32 dev xwsa0 src $IA
	ip -n $B route add $IA/32 dev xwsb0 src $IB
	for spi in 0x7001 0x7002; do
		ek=$(hex 16) ak=$(hex 32)
		echo "$ek $ak" >>"$T/keys"
		if [ $spi = 0x7001 ]; then s=$OA d=$OB; else s=$OB d=$OA; fi
		for ns in $A $B; do
			ip -n $ns xfrm state add src $s dst $d proto esp spi $spi reqid 2 mode tunnel \
				enc "cbc(aes)" "0x$ek" auth-trunc "hmac(sha256)" "0x$ak" 128
		done
	done
	ip -n $A xfrm policy add src $IA/32 dst $IB/32 dir out \
		tmpl src $OA dst $OB proto esp reqid 2 mode tunnel
	ip -n $A xfrm policy add src $IB/32 dst $IA/32 dir in \
		tmpl src $OB dst $OA proto esp reqid 2 mode tunnel
	ip -n $B xfrm policy add src $IB/32 dst $IA/32 dir out \
		tmpl src $OB dst $OA proto esp reqid 2 mode tunnel
	ip -n $B xfrm policy add src $IA/32 dst $IB/32 dir in \
		tmpl src $OA dst $OB proto esp reqid 2 mode tunnel
	set +e
}
if ! tunnel || ! server alt1; then
	fail tunnel/setup "cannot set the tunnel up or start xwampd"
else
	ip netns exec $A "$XWPING" --sa-profile alt1 -A enc -c 5 -i 0.05 --wait 2 --timeout 30 \
		-v "$IB" >"$T/ping-tunnel" 2>&1
	rc=$?
	n=$(received "$T/ping-tunnel")
	esp=$(ip -n $B -s xfrm state | awk '/^src / { m = ($4 == "'$OB'") } m && /spi 0x00007001/ { f = 1 }
		f && /lifetime current:/ { getline; print $1; exit }')
	# the connection really went through the tunnel: bytes on B's inbound tunnel SA
	if [ $rc = 0 ] && [ "${n:-0}" -ge 4 ] && [ "${esp%%(*}" -gt 0 ] 2>/dev/null &&
		grep -q "IPsec SA profile alt1 with $IB: protocol 50 SPIi 0x00007001 SPIr 0x00007002" \
			"$T/ping-tunnel" &&
		grep -q "Mode 0x[0-9a-f]* accepted" "$T/xwampd-alt1.log"; then
		pass tunnel/keyed_from_tunnel_sa
	else
		fail tunnel/keyed_from_tunnel_sa "xwping exit $rc, ${n:-no} replies, ${esp:-no} on the SA: $(grep -m3 -e 'IPsec SA' -e xwping: "$T/ping-tunnel" | tr '\n' ' ') xwampd: $(grep -m2 -e 'IPsec SA profile:' -e 'closing' "$T/xwampd-alt1.log" | tr '\n' ' ')"
	fi
	ip -n $A xfrm state delete src $OB dst $OA proto esp spi 0x7002
	ip netns exec $A "$XWPING" --sa-profile alt1 -A enc -c 2 -i 0.05 --wait 2 --timeout 30 \
		"$IB" >"$T/ping-tunnel-nosa" 2>&1
	rc=$?
	if [ $rc != 0 ] &&
		grep -q "no SA pair protects the control connection $IA port 0 -> $IB port 862" \
			"$T/ping-tunnel-nosa" &&
		grep -q "in policy without its SA" "$T/ping-tunnel-nosa"; then
		pass tunnel/template_without_sa_refused
	else
		fail tunnel/template_without_sa_refused "xwping exit $rc: $(tail -3 "$T/ping-tunnel-nosa" | tr '\n' ' ')"
	fi
fi

# 5. strongSwan with its kernel backend (kernel-netlink, no kernel-libipsec;
#    tests/testbed/ipsec-netns.sh TB_KERNEL_ESP=1, transport mode between
#    the veth addresses, aes256gcm16): the charon plugin's CHILD SA keys
#    (--sa-socket) are the kernel's, octet for octet and SPI for SPI, and the
#    SAs charon negotiated key sessions both ways: read from the kernel SAD,
#    and from the plugin with SKEYSEED as the root
kernel_sa() { # NS SRC DST: "SPI KEY" of that SA, hex without 0x
	ip -n "$1" xfrm state | awk -v s="$2" -v d="$3" '
		/^src / { m = ($2 == s && $4 == d) }
		m && /^\tproto / { spi = $4 }
		m && /^\taead / { print substr(spi, 3), substr($3, 3); exit }'
}
childpeer() { # SOCKET ADDRESS: the plugin's CHILDKEY line
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(("CHILDPEER %s\n" % sys.argv[2]).encode())
print(s.makefile().readline(), end="")' "$1" "$2"
}
swan_session() { # NAME XWAMPD-OPTIONS... -- XWPING-OPTIONS...
	local name=$1 a=() n
	shift
	while [ "$1" != -- ]; do a+=("$1"); shift; done
	shift
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns exec xwvr "$XWAMPD" --config '' --listen 192.0.2.2:862 --sa-profile alt1 \
		--modes auth,enc -v "${a[@]}" >"$T/xwampd-swan-$name.log" 2>&1 &
	pid=$!
	for n in $(seq 200); do
		ip netns exec xwvr ss -Hltn 'sport = :862' | grep -q LISTEN && break
		sleep 0.05
	done
	ip netns exec xwvi "$XWPING" --sa-profile alt1 -A enc -c 5 -i 0.05 --wait 2 --timeout 30 \
		-v "$@" 192.0.2.2 >"$T/ping-swan-$name" 2>&1
	n=$(received "$T/ping-swan-$name")
	if [ "${n:-0}" -ge 4 ] &&
		grep -q "IPsec SA profile alt1 with 192.0.2.2: protocol 50 SPIi 0x$sw_out SPIr 0x$sw_in" \
			"$T/ping-swan-$name"; then
		pass "strongswan/$name"
	else
		fail "strongswan/$name" "${n:-no} replies: $(tail -2 "$T/ping-swan-$name" | tr '\n' ' ') xwampd: $(grep -m2 -e error -e 'IPsec SA profile:' "$T/xwampd-swan-$name.log" | tr '\n' ' ')"
	fi
}
strongswan() {
	local sock_i sock_r line k_in k_out w1 w2 w3 w4 w5 w6 w7 w8 w9 _
	sw_in= sw_out= k_in= k_out= line=
	export TB_DIR=$T/swan TB_NS_I=xwvi TB_NS_R=xwvr TB_VETH_I=xwvi0 TB_VETH_R=xwvr0 \
		TB_KERNEL_ESP=1 TB_CHILD_MODE=transport TB_EXTRA_PLUGINS=xwamp \
		TB_CHARON_CONF='plugins { xwamp { sa_keys = yes } }'
	# the VM's root is an overlay: the plugin goes where charon loads it, for this run only
	if ! install -m 0644 "$B_/libstrongswan-xwamp.so" /usr/lib/ipsec/plugins/ ||
		! "$ROOT/tests/testbed/ipsec-netns.sh" up >"$T/swan-up" 2>&1; then
		fail strongswan/up "$(tail -3 "$T/swan-up" | tr '\n' ' ')"
		return
	fi
	sock_i=$TB_DIR/xwvi/run/xwamp/charon.sock sock_r=$TB_DIR/xwvr/run/xwamp/charon.sock
	line=$(childpeer "$sock_i" 192.0.2.2)
	# here-strings, not <(...): the VM's fresh /dev has no /dev/fd
	read -r sw_out k_out <<<"$(kernel_sa xwvi 192.0.2.1 192.0.2.2)"
	read -r sw_in k_in <<<"$(kernel_sa xwvi 192.0.2.2 192.0.2.1)"
	[ -n "$k_in" ] && [ -n "$k_out" ] && echo "$k_in $k_out" >>"$T/keys"
	# CHILDKEY esp IN OUT aead ENCin - ENCout - IKE-SPIi IKE-SPIr SKEYSEED
	read -r w1 w2 w3 w4 w5 w6 w7 w8 w9 _ <<<"$line"
	if [ "$w1" = CHILDKEY ] && [ -n "${k_in:-}" ] && [ "$w3 $w4" = "$sw_in $sw_out" ] &&
		[ "$w5 $w6 $w7 $w8 $w9" = "aead $k_in - $k_out -" ]; then
		pass strongswan/plugin_keys_are_the_kernels
	else
		fail strongswan/plugin_keys_are_the_kernels "plugin '$w1 $w2 $w3 $w4', kernel SPIs ${sw_in:-none} ${sw_out:-none}"
		tail -5 "$TB_DIR/xwvi/charon.log" | sed 's/^/# /'
		ip -n xwvi xfrm state | sed 's/0x[0-9a-f]\{16,\}/KEY/; s/^/# /'
	fi
	swan_session kernel_sad --
	swan_session charon_ike_root --user root --sa-socket "$sock_r" --sa-root ike -- \
		--sa-socket "$sock_i" --sa-root ike
	kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	pid=
	"$ROOT/tests/testbed/ipsec-netns.sh" down >/dev/null 2>&1
}
if [ -x /usr/lib/ipsec/charon ] && [ -f "$B_/libstrongswan-xwamp.so" ]; then
	strongswan
else
	echo "SKIP test_vm_saprof/strongswan: needs strongSwan and $B_/libstrongswan-xwamp.so (make charon-plugin)"
fi

# 4. no key in any output
leak=0
while read -r ek ak; do
	grep -rqi -e "$ek" -e "$ak" "$T"/ping-* "$T"/xwampd-*.log && leak=1
done <"$T/keys"
[ $leak = 0 ] && pass no_key_in_logs || fail no_key_in_logs "a key octet string in the logs"

vm_done
