#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xwampd and xwping in two namespaces over veth: a full measurement in every
# security mode (RFC 5357 open, authenticated, encrypted; RFC 5618 mixed),
# over IPv4 and IPv6.  Asserts on what xwping reports: every packet sent came
# back exactly once, delays are positive and ordered (T1 <= T4), the mode
# negotiated is the one asked for.
. "$(dirname "$0")/lib.sh"

COUNT=50

# run_mode MODE SERVER-ADDR: one session of $COUNT packets, JSON checked.
run_mode() {
	local mode=$1 addr=$2 kf out
	kf=$(xw_keyfile)
	xw_start_server --listen "$addr" --keyfile "$kf" --modes open,auth,enc,mixed || return 1
	out=$XW_TMP/ping-$mode.json
	if ! in_c "$XWPING" -A "$mode" -u alice -k "$kf" -c $COUNT -i 0.005 --json "$addr" \
		>"$out" 2>"$XW_TMP/ping.err"; then
		xw_log "xwping failed:"
		sed 's/^/#   /' "$XW_TMP/ping.err" "$out"
		return 1
	fi
	check_json "$out" "$mode" || return 1
	# RFC 4656 3.5: the SID starts with an IPv4 address of the server, also
	# for IPv6 sessions (192.0.2.2 = c0000202)
	expect "SID starts with the server's IPv4 address" \
		grep -q 'session c0000202[0-9a-f]\{8\} ' "$XW_TMP/xwampd.log"
}

check_json() {
	local f=$1 mode=$2
	python3 - "$f" "$mode" "$COUNT" <<'PY' || return 1
import json, sys
f, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
j = json.load(open(f))
s = j["sessions"][0] if "sessions" in j else j
pk = s["packets"]
names = {"open": "unauthenticated", "auth": "authenticated", "enc": "encrypted", "mixed": "mixed"}
errs = []
def want(cond, what):
    if not cond:
        errs.append(what)
want(s["session"]["mode"] == names[mode], "mode %r, asked for %s" % (s["session"]["mode"], mode))
want(pk["sent"] == count, "sent %r" % pk["sent"])
want(pk["received"] == count, "received %r" % pk["received"])
want(pk["lost"] == 0, "lost %r" % pk["lost"])
want(pk["duplicates"] == 0, "duplicates %r" % pk["duplicates"])
rtt = s["rtt_ms"]
want(rtt["n"] == count, "rtt n %r" % rtt["n"])
want(0 < rtt["min"] <= rtt["median"] <= rtt["max"] < 1000, "rtt %r" % rtt)
refl = s["reflector_ms"]
want(refl["n"] == count and 0 <= refl["min"] <= refl["max"] < 1000, "reflector time %r" % refl)
# one clock on both ends (same machine): one-way delays are positive and
# sum to the round trip plus the reflector time
want(0 <= s["fwd_ms"]["min"] and 0 <= s["bwd_ms"]["min"], "one-way %r %r" % (s["fwd_ms"], s["bwd_ms"]))
if errs:
    print("# " + "; ".join(errs))
    sys.exit(1)
PY
}

for m in open auth enc mixed; do
	eval "ipv4_$m() { run_mode $m $XW_S4; }"
	eval "ipv6_$m() { run_mode $m '[$XW_S6]'; }"
done
TESTS=(ipv4_open ipv4_auth ipv4_enc ipv4_mixed ipv6_open ipv6_auth ipv6_enc ipv6_mixed)
xw_run "$@"
