#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/testbed/kernel-vm.sh: run one command as root under Debian 12's own
# kernel (the package linux-image-amd64 depends on, 6.1, with ESP, xfrm
# interfaces, veth... as modules) booted by qemu, and exit with the command's
# status.  For the tests that need what the host kernel may lack (kernel
# ESP: doc/testbed.md).  tests/vm/run.sh is its user.
#
#   kernel-vm.sh [-t SECONDS] [-m MEM] [-c CPUS] [-w DIR]... [-v] COMMAND [ARG...]
#       run COMMAND in the current directory inside the VM; one argument is
#       a shell command line (bash -c), several are a command and its
#       arguments.  Output: the VM's serial console, on stdout.  -w DIR:
#       the host directory DIR is writable in the VM, at the same path
#       (what the command writes there stays).
#       Status: the command's; 124 when -t SECONDS (default 300) ran out;
#       125 when the VM did not run the command.
#   kernel-vm.sh --prepare   fetch the kernel and build the initramfs only
#   kernel-vm.sh --clean     remove $XW_VM_CACHE
#
# Inside the VM: the host's "/" is the root, over virtio-9p and read-only,
# under a tmpfs overlay, so every tool and the build are there and any write
# is thrown away at the end; fresh /proc, /sys, /dev, /run, bpffs and
# tracefs; the kernel's modules at /lib/modules/$(uname -r) (modprobe and
# the kernel's module autoloading work; the usual ones are loaded before
# the command, from RAM, which is much faster than over 9p under TCG); no
# network device but lo.
#
# The kernel comes from `apt-get download` (never installed on the host),
# unpacked into $XW_VM_CACHE (default /var/cache/xwamp-kernel-vm).  qemu
# boots the uncompressed vmlinux ELF through its PVH entry (no real-mode
# set-up, no in-guest decompression: seconds saved under TCG).  KVM is used
# only where it is hardware KVM (kvm_intel or kvm_amd loaded): doc/testbed.md
# says why; XW_VM_ACCEL=kvm|tcg overrides.  Needs root; installs
# qemu-system-x86, busybox-static, cpio and kmod when missing.
set -eu

XW_VM_CACHE=${XW_VM_CACHE:-/var/cache/xwamp-kernel-vm}
# loaded before the command (names that do not exist are skipped)
XW_VM_MODULES=${XW_VM_MODULES:-esp4 esp6 xfrm_user xfrm_interface veth af_packet authenc gcm \
ghash_generic aesni_intel cbc ctr seqiv echainiv sha256_ssse3 sha1_ssse3 sch_ingress cls_bpf}
BOOT_MODULES="virtio_pci 9pnet_virtio 9p overlay"
. "$(dirname "$0")/lib.sh"

say() { echo "kernel-vm: $*" >&2; }
die() {
	say "error: $*"
	exit 125
}

install_missing() {
	local want=()
	command -v qemu-system-x86_64 >/dev/null || want+=(qemu-system-x86)
	# the initramfs runs busybox without libraries: the static build
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' ||
		want+=(busybox-static)
	command -v cpio >/dev/null || want+=(cpio)
	command -v depmod >/dev/null || want+=(kmod)
	command -v python3 >/dev/null || want+=(python3)
	tb_apt_install "${want[@]}"
}

# linux-image-6.1.0-NN-amd64: what the meta package points at today
kernel_package() {
	local p
	p=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -n1)
	if [ -z "$p" ]; then
		apt-get update -qq
		p=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)/\1/p' | head -n1)
	fi
	[ -n "$p" ] || die "apt knows no linux-image-amd64"
	echo "$p"
}

# Sets KVER and KDIR; downloads and unpacks the kernel the first time.
prepare() {
	install_missing
	mkdir -p "$XW_VM_CACHE"
	if [ -s "$XW_VM_CACHE/kernel" ]; then
		KVER=$(cat "$XW_VM_CACHE/kernel")
		KDIR=$XW_VM_CACHE/$KVER
		[ -f "$KDIR/ready" ] && { initramfs; return 0; }
	fi
	local pkg
	pkg=$(kernel_package)
	KVER=${pkg#linux-image-}
	KDIR=$XW_VM_CACHE/$KVER
	say "fetching $pkg into $KDIR"
	rm -rf "$KDIR"
	mkdir -p "$KDIR/tree"
	(cd "$KDIR" && apt-get download -qq "$pkg" 2>&1 | grep -v 'unsandboxed' >&2) || true
	ls "$KDIR"/*.deb >/dev/null 2>&1 || die "apt-get download $pkg failed"
	dpkg-deb -x "$KDIR"/*.deb "$KDIR/tree"
	rm -f "$KDIR"/*.deb
	depmod -b "$KDIR/tree" "$KVER"
	unpack_elf "$KDIR/tree/boot/vmlinuz-$KVER" "$KDIR/vmlinux" ||
		cp "$KDIR/tree/boot/vmlinuz-$KVER" "$KDIR/vmlinux"
	touch "$KDIR/ready"
	echo "$KVER" >"$XW_VM_CACHE/kernel"
	initramfs
}

# The bzImage carries the kernel ELF as an xz stream: take it out.
unpack_elf() {
	python3 - "$1" "$2" <<'PY'
import lzma, sys
img = open(sys.argv[1], "rb").read()
at = img.find(b"\xfd7zXZ\x00")
if at < 0:
    sys.exit(1)
elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(img[at:])
if elf[:4] != b"\x7fELF":
    sys.exit(1)
open(sys.argv[2], "wb").write(elf)
PY
}

# INITRD: a busybox initramfs with the modules it loads, named by a hash of
# the list and of this script (which holds its /init): a change makes a new one.
initramfs() {
	local sum d m ko
	sum=$({ echo "$BOOT_MODULES $XW_VM_MODULES"; cat "$0"; } | md5sum | cut -c1-10)
	INITRD=$KDIR/initrd-$sum.cpio.gz
	[ -f "$INITRD" ] && return 0
	d=$(mktemp -d)
	mkdir -p "$d/bin" "$d/ko" "$d/proc" "$d/sys" "$d/dev" "$d/host" "$d/ovl" "$d/root"
	cp /bin/busybox "$d/bin/busybox"
	: >"$d/ko/load"
	for m in $BOOT_MODULES $XW_VM_MODULES; do
		# dependencies first; "builtin" lines and unknown names give nothing
		modprobe -d "$KDIR/tree" -S "$KVER" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }' | while read -r ko; do
			grep -qxF "$(basename "$ko")" "$d/ko/load" && continue
			cp "$ko" "$d/ko/"
			basename "$ko" >>"$d/ko/load"
		done
	done
	cat >"$d/init" <<'EOF'
#!/bin/busybox sh
# Stage 1: modules, the host's / read-only under a tmpfs overlay, the
# kernel's file systems, the job directory; then the job's stage 2.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
halt() { echo "kernel-vm stage 1: $*"; echo o >/proc/sysrq-trigger; sleep 5; }
while read -r m; do insmod "/ko/$m" 2>/dev/null || echo "kernel-vm stage 1: $m not loaded"; done </ko/load
for a in $(cat /proc/cmdline); do case $a in xw.job=*) JOB=${a#xw.job=} ;; esac; done
[ -n "$JOB" ] || halt "no xw.job= on the command line"
P=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o ro,cache=loose,$P host /host || halt "host root over 9p"
mount -t tmpfs -o mode=755 ovl /ovl && mkdir /ovl/up /ovl/work
mount -t overlay -o lowerdir=/host,upperdir=/ovl/up,workdir=/ovl/work root /root || halt "overlay"
R=/root
mount --move /dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o mode=620,ptmxmode=666 devpts $R/dev/pts
mount -t tmpfs shm $R/dev/shm
umount /proc /sys
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t tmpfs -o mode=755 run $R/run
mount -t bpf bpf $R/sys/fs/bpf
mount -t tracefs tracefs $R/sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null
mount -t 9p -o $P job $R$JOB || halt "job directory over 9p"
K=$(uname -r)
mkdir -p $R/lib/modules/$K
mount --bind "$R$(cat $R$JOB/modules)" $R/lib/modules/$K
i=0
while read -r d; do
	mount -t 9p -o $P rw$i "$R$d" || halt "-w $d over 9p"
	i=$((i + 1))
done <$R$JOB/rw
exec switch_root $R /bin/bash "$JOB/stage2"
EOF
	chmod 755 "$d/init"
	(cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$d"
}

accel() {
	if [ -n "${XW_VM_ACCEL:-}" ]; then
		echo "$XW_VM_ACCEL"
	elif [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
		echo kvm
	else
		echo tcg
	fi
}

run() {
	local secs=300 mem=1024M cpus=2 quiet="quiet loglevel=1" job a cpu rc=0 rw=() share=() i
	while [ $# -gt 0 ]; do
		case $1 in
		-t) secs=$2; shift 2 ;;
		-m) mem=$2; shift 2 ;;
		-c) cpus=$2; shift 2 ;;
		-w) rw+=("$(realpath -e "$2")") || die "no directory $2"; shift 2 ;;
		-v) quiet=""; shift ;;
		--) shift; break ;;
		-*) die "unknown option $1" ;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || die "no command"
	prepare
	job=$(mktemp -d /tmp/xwamp-vm.XXXXXX)
	# shellcheck disable=SC2064
	trap "rm -rf '$job'" EXIT
	echo "$KDIR/tree/lib/modules/$KVER" >"$job/modules"
	: >"$job/rw"
	for i in "${!rw[@]}"; do
		echo "${rw[$i]}" >>"$job/rw"
		share+=(-virtfs "local,path=${rw[$i]},mount_tag=rw$i,security_model=none,multidevs=remap")
	done
	if [ $# = 1 ]; then
		printf '%s\n' "$1" >"$job/cmd"
	else
		printf '%q ' "$@" >"$job/cmd"
		echo >>"$job/cmd"
	fi
	# stage 2, PID 1 on the host's root: never exits on its own (a dying
	# PID 1 panics the kernel); powers the VM off once the status is saved
	cat >"$job/stage2" <<EOF
set +e
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb XW_VM=1
hostname xwamp-vm
ip link set lo up
cd $(printf '%q' "$PWD") || cd /
bash $job/cmd </dev/null
echo \$? >$job/rc
sync
echo "kernel-vm: exit \$(cat $job/rc)"
echo o >/proc/sysrq-trigger
sleep 30
EOF
	a=$(accel)
	cpu=max
	[ "$a" = kvm ] && cpu=host,-arch-capabilities
	timeout --foreground -k 5 "$secs" qemu-system-x86_64 -nodefaults -no-user-config \
		-display none -no-reboot -serial stdio \
		-machine "q35,accel=$a" -cpu "$cpu" -smp "$cpus" -m "$mem" \
		-kernel "$KDIR/vmlinux" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 $quiet xw.job=$job" \
		-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$job,mount_tag=job,security_model=none,multidevs=remap" \
		"${share[@]}" </dev/null || rc=$?
	if [ -s "$job/rc" ]; then
		return "$(cat "$job/rc")"
	fi
	[ $rc = 124 ] && { say "no answer within $secs s"; return 124; }
	say "the VM did not run the command (qemu: $rc)"
	return 125
}

[ "$(id -u)" = 0 ] || die "needs root"
case ${1:-} in
--prepare) prepare && say "ready: $KDIR" ;;
--clean) rm -rf "$XW_VM_CACHE" ;;
"" | -h | --help)
	sed -n '4,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
	;;
*) run "$@" ;;
esac
