#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/testbed/ike-keys.sh: the RFC 7717 key of every established IKE SA of
# a running, unmodified charon, found without xwamp's plugin, so that the
# tests can compare the plugin's answers with an independent computation.
#
#   ike-keys.sh [-H] NAMESPACE          a side of tests/testbed/ipsec-netns.sh
#                                       ($TB_DIR/NAMESPACE/charon.log and .vici)
#   ike-keys.sh [-H] -l LOG -u VICI_URI any charon with such a file log
#   ike-keys.sh -D NAMESPACE | -D -l LOG  every hex dump of the log instead,
#                                       "LABEL<TAB>HEX" in log order (LABEL as
#                                       charon writes it: "SKEYSEED", "seed",
#                                       "encryption initiator key"...)
#
# One line per IKE SA in state ESTABLISHED (-H: no header line):
#   SPIi SPIr PRF SK_d KEY UNIQUEID NAME STATE
# SPIs as 16 hex digits in wire order (as vici prints them), PRF as vici
# names it (PRF_HMAC_SHA2_256), KEY = prf(SK_d, "IPPM") (RFC 7717 5.1, the
# 4 ASCII octets), computed here with Python's hmac.  xwamp's key table
# (control/ikekeys.h) accepts these lines as they are.
#
# Where SK_d comes from: strongSwan hands it out through no interface, but at
# log level 4 of the IKE group charon writes it as a hex dump ("Sk_d secret
# => N bytes @ ADDR", then lines "OFFSET: XX XX ... ASCII"), each line tagged
# with the thread number and, with ike_name = yes, "<name|UNIQUEID>" (or
# "<UNIQUEID>" before the SA has a configuration).  vici's list-sas maps the
# unique id to the SPIs and the PRF.  One twist, at an IKE rekey: the side
# that initiates the rekey derives the new SA's SK_d while working on the
# OLD SA, so the dump carries the old SA's tag; the side that responds tags
# it with the new SA.  Both then log "IKE_SA name[NEW] rekeyed between ..."
# in the same thread, so the last dump of that thread belongs to NEW, whatever
# its tag said.  The last dump that belongs to an SA is its SK_d.
set -eu
exec python3 - "$@" <<'PY'
import getopt, hashlib, hmac, os, re, subprocess, sys

def usage():
    sys.stderr.write("usage: ike-keys.sh [-H] NAMESPACE | [-H] -l LOG -u VICI_URI\n")
    sys.exit(2)

try:
    opts, args = getopt.getopt(sys.argv[1:], "DHl:u:")
except getopt.GetoptError:
    usage()
o = dict(opts)
log, uri = o.get("-l"), o.get("-u")
if args:
    d = os.path.join(os.environ.get("TB_DIR", "/tmp/tb-ipsec-netns"), args[0])
    log = log or os.path.join(d, "charon.log")
    uri = uri or "unix://" + os.path.join(d, "charon.vici")
if not log or (not uri and "-D" not in o):
    usage()

# "12[IKE4] <tb|3> message" (a time stamp may come first)
line_re = re.compile(r"(\d+)\[([A-Z]+)\d?\] (?:<([^>]*)> )?(.*)")
dump_re = re.compile(r"(.*?) => (\d+) bytes @")
row_re = re.compile(r"\s*\d+: (.{47})")
rekeyed_re = re.compile(r"IKE_SA \S*\[(\d+)\] rekeyed between")

dumps = []        # [owner unique id, hex] in log order
last_in = {}      # thread -> index in dumps of its last complete dump
cur = None        # dump being read: [thread, tag, bytes wanted, hex so far]
try:
    f = open(log, errors="replace")
except OSError as e:
    sys.exit("ike-keys: %s" % e)
for raw in f:
    m = line_re.search(raw)
    if not m:
        continue
    thread, _, tag, msg = m.groups()
    uid = tag.split("|")[-1] if tag else ""
    if cur:
        r = row_re.match(msg)
        if thread == cur[0] and r:
            cur[3] += "".join(b.lower() for b in r.group(1).split()
                              if re.fullmatch(r"[0-9A-F]{2}", b))
            if len(cur[3]) >= 2 * cur[2]:
                if "-D" in o:
                    print("%s\t%s" % (cur[4], cur[3][:2 * cur[2]]))
                if cur[4] == "Sk_d secret":
                    dumps.append([cur[1], cur[3][:2 * cur[2]]])
                    last_in[cur[0]] = len(dumps) - 1
                cur = None
            continue
        cur = None    # a dump cut short: ignore it
    if msg.startswith("Starting IKE charon daemon"):
        dumps, last_in = [], {}    # unique ids start over
        continue
    d = dump_re.match(msg)
    if d:
        cur = [thread, uid, int(d.group(2)), "", d.group(1)]
        continue
    r = rekeyed_re.match(msg)
    if r and thread in last_in:
        dumps[last_in.pop(thread)][0] = r.group(1)
if "-D" in o:
    sys.exit(0)
skd = {}
for owner, hx in dumps:
    skd[owner] = hx

try:
    sas = subprocess.run(["swanctl", "--list-sas", "--raw", "--uri", uri], check=True,
                         capture_output=True, text=True).stdout
except (OSError, subprocess.CalledProcessError) as e:
    sys.exit("ike-keys: cannot list the SAs at %s: %s" % (uri, e))

hashes = {"PRF_HMAC_SHA1": hashlib.sha1, "PRF_HMAC_SHA2_256": hashlib.sha256,
          "PRF_HMAC_SHA2_384": hashlib.sha384, "PRF_HMAC_SHA2_512": hashlib.sha512,
          "PRF_HMAC_MD5": hashlib.md5}

if "-H" not in o:
    print('# SPIi SPIr PRF SK_d prf(SK_d,"IPPM") uniqueid name state')
# one "list-sa event {NAME {k=v ... child-sas {...}}}" per IKE SA
for ev in re.finditer(r"list-sa event \{(\S+) \{(.*)", sas):
    name, body = ev.group(1), ev.group(2).split("child-sas")[0]
    kv = dict(re.findall(r"([a-z-]+)=(\S+?)[ }]", body + " "))
    if kv.get("state") != "ESTABLISHED":
        continue
    uid, prf = kv.get("uniqueid", "-"), kv.get("prf-alg", "-")
    k = skd.get(uid)
    if k is None:
        key, k = "-", "no-SK_d-in-log"
    elif prf in hashes:
        key = hmac.new(bytes.fromhex(k), b"IPPM", hashes[prf]).hexdigest()
    else:
        key = "unsupported-prf"
    print(kv.get("initiator-spi", "-"), kv.get("responder-spi", "-"), prf, k, key, uid,
          name, kv["state"])
PY
