#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xwampd's view of kernel IPsec (xfrm netlink) against the real thing.
# Runs INSIDE a kernel with ESP (tests/e2e/test_vm_xfrm.sh starts it in
# Debian's kernel under qemu via kernel-vm.sh); prints PASS/FAIL lines.
#
#   netns xwxa ("A", client)                   netns xwxb ("B", xwampd)
#   lo 198.51.100.1/32                         lo 198.51.100.2/32
#                                              ipsec1: xfrm interface, if_id 42
#   xwxa0 192.0.2.1/24  <------ veth ------>   xwxb0 192.0.2.2/24
#
#   ESP tunnel mode, rfc4106(gcm(aes)), SPI 0x1001 A->B, 0x1002 B->A; B's
#   SAs and policies carry if_id 42 (route-based IPsec: doc/testbed.md
#   section 4).  Documentation prefixes only, inside the VM.
#
# Checks:
#   1. xwampd --xfrm-dump lists the same SAs (addresses, SPI, protocol,
#      reqid, mode, algorithm, key bits, if_id) and policies as `ip xfrm`
#   2. a TWAMP session through the tunnel with --require-ipsec is accepted;
#      the log names both SPIs, the algorithm and the device ipsec1
#   3. a session outside the tunnel (outer addresses) is refused (Accept 3),
#      and so is one through a second tunnel whose ESP has no integrity
#      (cbc(aes) only, SPIs 0x2001/0x2002)
#   4. rekey: a new SA (SPI 0x1003) then the old one deleted, in both
#      namespaces: xwampd logs the rekey and the deletion; a new session is
#      protected by 0x1003
#   5. `ip xfrm state update` logs a replacement; an SA with 1 s/2 s
#      lifetimes logs a soft and a hard expiry
#   6. the dump matches `ip xfrm` again after all this
set -u
A=xwxa B=xwxb
OA=192.0.2.1 OB=192.0.2.2 IA=198.51.100.1 IB=198.51.100.2 EA=198.51.100.11 EB=198.51.100.12
. "$(dirname "$0")/lib.sh"
vm_init test_vm_xfrm
K2001=0x$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
K2002=0x$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
ALG="rfc4106(gcm(aes))"

# one random key per SPI, the same in both namespaces (20 octets: AES-128 + salt)
key() { # spi
	[ -f "$T/key-$1" ] || printf '0x%s' "$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$T/key-$1"
	cat "$T/key-$1"
}

# sa <ns> <src> <dst> <spi> [extra...]
sa() {
	local ns=$1 s=$2 d=$3 spi=$4
	shift 4
	ip -n "$ns" xfrm state add src "$s" dst "$d" proto esp spi "$spi" reqid 1 mode tunnel \
		aead "$ALG" "$(key "$spi")" 128 "$@"
}

setup() {
	vm_netns xwxa0 xwxb0
	set -e
	ip -n $A addr add $IA/32 dev lo
	ip -n $B addr add $IB/32 dev lo
	sa $A $OA $OB 0x1001
	sa $A $OB $OA 0x1002
	ip -n $A xfrm policy add src $IA/32 dst $IB/32 dir out tmpl src $OA dst $OB proto esp reqid 1 mode tunnel
	ip -n $A xfrm policy add src $IB/32 dst $IA/32 dir in tmpl src $OB dst $OA proto esp reqid 1 mode tunnel
	ip -n $A route add $IB/32 dev xwxa0 src $IA
	ip -n $B link add ipsec1 type xfrm dev xwxb0 if_id 42
	ip -n $B link set ipsec1 up
	sa $B $OA $OB 0x1001 if_id 42
	sa $B $OB $OA 0x1002 if_id 42
	ip -n $B xfrm policy add src $IB/32 dst $IA/32 dir out tmpl src $OB dst $OA proto esp reqid 1 mode tunnel if_id 42
	ip -n $B xfrm policy add src $IA/32 dst $IB/32 dir in tmpl src $OA dst $OB proto esp reqid 1 mode tunnel if_id 42
	ip -n $B route add $IA/32 dev ipsec1 src $IB
	# a second, policy-based tunnel with ESP WITHOUT integrity (cbc(aes) only)
	ip -n $A addr add $EA/32 dev lo
	ip -n $B addr add $EB/32 dev lo
	for ns in $A $B; do
		ip -n $ns xfrm state add src $OA dst $OB proto esp spi 0x2001 reqid 2 mode tunnel enc "cbc(aes)" $K2001
		ip -n $ns xfrm state add src $OB dst $OA proto esp spi 0x2002 reqid 2 mode tunnel enc "cbc(aes)" $K2002
	done
	ip -n $A xfrm policy add src $EA/32 dst $EB/32 dir out tmpl src $OA dst $OB proto esp reqid 2 mode tunnel
	ip -n $A xfrm policy add src $EB/32 dst $EA/32 dir in tmpl src $OB dst $OA proto esp reqid 2 mode tunnel
	ip -n $B xfrm policy add src $EB/32 dst $EA/32 dir out tmpl src $OB dst $OA proto esp reqid 2 mode tunnel
	ip -n $B xfrm policy add src $EA/32 dst $EB/32 dir in tmpl src $OA dst $OB proto esp reqid 2 mode tunnel
	ip -n $A route add $EB/32 dev xwxa0 src $EA
	ip -n $B route add $EA/32 dev xwxb0 src $EB
	set +e
}

# Normalised SA and policy lists: "src dst proto spi reqid mode alg bits [if_id=]"
ip_sas() {
	ip -n $B xfrm state | awk '
		/^src /        { if (r != "") print r; r = $2 " " $4; next }
		/^\tproto /    { r = r " " tolower($2) " " $4 " " $6 " " $8; next }
		/^\t(aead|enc) / { r = r " " $2 " " (length($3) - 2) * 4; next }  # key bits from its hex
		/^\tif_id /    { r = r " if_id=" $2; next }
		END            { if (r != "") print r }' | sort
}
ip_pols() {
	ip -n $B xfrm policy | awk '
		/^src /        { if (r != "") print r; r = $2 " " $4; next }
		/^\tdir /      { r = r " " $2; next }
		END            { if (r != "") print r }' | sort
}
xw_sas() {
	awk '$1 == "sa" {
		r = $3 " " $5 " " tolower($7) " " $9 " " $11 " " $13
		for (i = 14; i <= NF; i++) {
			if ($i == "aead" || $i == "enc") r = r " " $(i + 1) " " $(i + 3)
			if ($i == "if_id") r = r " if_id=" $(i + 1)
		}
		print r }' "$1" | sort
}
xw_pols() {
	awk '$1 == "policy" { print $3 " " $5 " " $7 }' "$1" | sort
}

check_dump() { # name
	local out=$T/dump-$1
	if ! ip netns exec $B "$XWAMPD" --xfrm-dump >"$out" 2>"$out.err"; then
		fail "$1" "xwampd --xfrm-dump failed: $(tail -3 "$out.err")"
		return
	fi
	ip_sas >"$T/ip-sa"
	xw_sas "$out" >"$T/xw-sa"
	ip_pols >"$T/ip-pol"
	xw_pols "$out" >"$T/xw-pol"
	if [ ! -s "$T/ip-sa" ] || ! diff -u "$T/ip-sa" "$T/xw-sa" >"$T/diff-sa"; then
		fail "$1" "SAs differ from ip xfrm state: $(cat "$T/diff-sa")"
	elif [ ! -s "$T/ip-pol" ] || ! diff -u "$T/ip-pol" "$T/xw-pol" >"$T/diff-pol"; then
		fail "$1" "policies differ from ip xfrm policy: $(cat "$T/diff-pol")"
	else
		pass "$1"
		echo "# $(wc -l <"$T/xw-sa") SAs, $(wc -l <"$T/xw-pol") policies agree:"
		sed 's/^/#   /' "$T/xw-sa"
	fi
}

wait_log() { # pattern [seconds]
	local i
	for i in $(seq $((${2:-5} * 10))); do
		grep -qE "$1" "$T/xwampd.log" && return 0
		sleep 0.1
	done
	return 1
}

ping_session() { # name target expect(ok|refused) accept-code
	ip netns exec $A "$XWPING" -c 5 -i 0.02 --wait 1 --timeout 10 "$2" >"$T/ping-$1" 2>&1
	local rc=$?
	if [ "$3" = ok ] && [ $rc = 0 ]; then return 0; fi
	if [ "$3" = refused ] && [ $rc = 1 ] && grep -qi "accept $4\|Accept=$4\|Accept: $4\|(Accept $4" "$T/ping-$1"; then return 0; fi
	cat "$T/ping-$1" | sed 's/^/# xwping: /'
	return 1
}

setup || { fail setup "namespaces/SAs"; exit 1; }
for _ in 1 2 3; do
	ip netns exec $A ping -c1 -W2 -I $IA $IB >/dev/null && echo "# ping through ESP: ok" && break
done

# 1. the dump agrees with ip xfrm
check_dump dump_matches_ip_xfrm

# xwampd following the kernel, refusing unprotected open sessions
ip netns exec $B "$XWAMPD" --listen 0.0.0.0:862 --require-ipsec -v >"$T/xwampd.log" 2>&1 &
pid=$!
wait_log "xfrm: view ready" 20 && wait_log "ready: modes" 20 ||
	fail daemon_start "not ready: $(tail -5 "$T/xwampd.log")"

# 2. a session through the tunnel
if ping_session tunnel $IB ok &&
	wait_log "IPsec: test flow protected: out ESP tunnel spi 0x00001002 aead rfc4106\(gcm\(aes\)\) key 160 icv 128 if_id 0x2a, in ESP tunnel spi 0x00001001" &&
	wait_log "in-tunnel device ipsec1"; then
	pass session_in_tunnel_protected
else
	fail session_in_tunnel_protected "$(grep -i ipsec "$T/xwampd.log" | tail -3)"
fi

# 3. a session outside the tunnel: refused with Accept 3
if ping_session outside $OB refused 3 &&
	wait_log "test flow not protected: out: no policy, in: no policy" &&
	wait_log "refused: --require-ipsec.*Accept 3"; then
	pass session_outside_refused_accept3
else
	fail session_outside_refused_accept3 "$(grep -i ipsec "$T/xwampd.log" | tail -3)"
fi

# 3b. through the encryption-only tunnel: ESP without integrity is no protection
if ping_session enc_only $EB refused 3 &&
	wait_log "test flow not protected: out ESP tunnel spi 0x00002002 enc cbc\(aes\) key 128 \(ESP without integrity \(encryption only\)\)" &&
	wait_log "session $EB:[0-9]+<-$EA:[0-9]+: refused: --require-ipsec.*Accept 3"; then
	pass session_encryption_only_refused_accept3
else
	fail session_encryption_only_refused_accept3 "$(grep -i ipsec "$T/xwampd.log" | tail -3)"
fi

# 4. rekey A->B: new SPI 0x1003 on both sides, then the old SA deleted
sa $A $OA $OB 0x1003
sa $B $OA $OB 0x1003 if_id 42
ip -n $A xfrm state delete src $OA dst $OB proto esp spi 0x1001
ip -n $B xfrm state delete src $OA dst $OB proto esp spi 0x1001
if wait_log "rekey: SA spi 0x00001003 replaces spi 0x00001001" &&
	wait_log "SA deleted: src $OA dst $OB proto ESP spi 0x00001001"; then
	pass rekey_logged
else
	fail rekey_logged "$(grep xfrm: "$T/xwampd.log" | tail -4)"
fi
if ping_session after_rekey $IB ok &&
	wait_log "IPsec: test flow protected: out ESP tunnel spi 0x00001002 .*in ESP tunnel spi 0x00001003"; then
	pass session_after_rekey_uses_new_spi
else
	fail session_after_rekey_uses_new_spi "$(grep -i ipsec "$T/xwampd.log" | tail -3)"
fi

# 5. in-place update, soft and hard expiry
ip -n $B xfrm state update src $OB dst $OA proto esp spi 0x1002 reqid 1 mode tunnel \
	aead "$ALG" "$(key 0x1002-new)" 128 if_id 42
wait_log "SA replaced in place .*spi 0x00001002" && pass update_logged ||
	fail update_logged "$(grep xfrm: "$T/xwampd.log" | tail -3)"
sa $B $OB 192.0.2.9 0x7001 limit time-soft 1 limit time-hard 2
if wait_log "SA soft expiry \(rekey due\): .*spi 0x00007001" 8 &&
	wait_log "SA hard expiry \(deleted by the kernel\): .*spi 0x00007001" 8; then
	pass expiry_logged
else
	fail expiry_logged "$(grep xfrm: "$T/xwampd.log" | tail -3)"
fi

# 6. after all that, the view still matches (the daemon's own view is in SIGUSR1)
check_dump dump_matches_after_changes
kill -USR1 $pid
sleep 0.3
n_sa=$(grep -c "xfrm: sa " "$T/xwampd.log")
n_ip=$(ip -n $B xfrm state | grep -c '^src ')
[ "$n_sa" = "$n_ip" ] && pass daemon_view_count_matches ||
	fail daemon_view_count_matches "daemon lists $n_sa SAs, ip xfrm state $n_ip"
if grep -q "rejected:" "$T/xwampd.log"; then
	fail no_rejected_messages "$(grep rejected: "$T/xwampd.log" | head -3)"
fi
# no key material in anything xwampd printed
for k in $(cat "$T"/key-* | cut -c3-18) ${K2001:2:16} ${K2002:2:16}; do
	grep -qi "$k" "$T/xwampd.log" "$T"/dump-* && fail no_keys_in_output "key prefix $k printed"
done

kill $pid && wait $pid
pid=
echo "# xwampd log (xfrm and IPsec lines):"
grep -iE "xfrm|ipsec" "$T/xwampd.log" | sed 's/^/#   /'
vm_done
