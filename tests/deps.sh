#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# deps.sh check    say which Debian package is missing for the build, exit 1 if any
# deps.sh install  apt-get install whatever the build and the tests need and is missing
set -u

# command-or-probe -> Debian package
need_build=(
	"pkgconf:pkg-config"
	"clang:clang"
	"llvm-strip:llvm"
	"bpftool:bpftool"
	"pc:libbpf:libbpf-dev"
	"pc:libxdp:libxdp-dev"
	"pc:libcrypto:libssl-dev"
	"make:make"
	"cc:gcc"
)
need_test=(
	"ip:iproute2"
	"ping:iputils-ping"
	"ethtool:ethtool"
	"tshark:tshark"
	"tcpdump:tcpdump"
	"python3:python3"
	# a real Prometheus server scrapes xwampd and xwping (test_e2e_metrics.sh)
	"prometheus:prometheus"
	# headless Chromium draws xwping --svg (test_e2e_outputs.sh svg_picture)
	"chromium:chromium"
	"xdp-loader:xdp-tools"
	# strongSwan for the IPsec tests (tests/testbed/ipsec-netns.sh, the charon plugin)
	"file:/usr/lib/ipsec/charon:strongswan-charon"
	"swanctl:strongswan-swanctl"
	"pki:strongswan-pki"
	"file:/usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so:libcharon-extra-plugins"
	"file:/usr/lib/ipsec/plugins/libstrongswan-openssl.so:libstrongswan-standard-plugins"
	"file:/usr/lib/ipsec/plugins/libstrongswan-cmac.so:libstrongswan-extra-plugins"
	"openssl:openssl"
	# the installed product (tests/e2e/test_install*.sh): man pages, the unit,
	# the Debian package and the Debian 12 root it is installed into
	"groff:groff-base"
	"systemd-analyze:systemd"
	"dpkg-buildpackage:dpkg-dev"
	"dh:debhelper"
	"lintian:lintian"
	"fakeroot:fakeroot"
	"debootstrap:debootstrap"
	# libFuzzer, ASan and UBSan runtimes for tests/fuzz/ (clang only recommends them)
	"clangrt:fuzzer:libclang-rt-14-dev"
	"clangrt:asan:libclang-rt-14-dev"
)

missing() {
	local item pkg probe
	for item in "$@"; do
		pkg=${item##*:}
		probe=${item%:*}
		case $probe in
		pc:*) pkg-config --exists "${probe#pc:}" 2>/dev/null || echo "$pkg" ;;
		file:*) [ -e "${probe#file:}" ] || echo "$pkg" ;;
		clangrt:*)
			[ -e "$(clang -print-runtime-dir 2>/dev/null)/libclang_rt.${probe#clangrt:}-$(uname -m).a" ] ||
				echo "$pkg"
			;;
		*) command -v "$probe" >/dev/null 2>&1 || echo "$pkg" ;;
		esac
	done
}

case ${1:-check} in
check)
	m=$(missing "${need_build[@]}" | sort -u | tr '\n' ' ')
	if [ -n "$m" ]; then
		echo "xwamp: missing build dependencies; install the Debian packages: $m" >&2
		echo "xwamp: (or run 'make deps' as root)" >&2
		exit 1
	fi
	;;
install)
	m=$(missing "${need_build[@]}" "${need_test[@]}" | sort -u | tr '\n' ' ')
	[ -z "$m" ] && exit 0
	if [ "$(id -u)" != 0 ]; then
		echo "xwamp: need root to install: $m" >&2
		exit 1
	fi
	echo "xwamp: installing $m"
	apt-get update -qq || exit 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $m >/dev/null || exit 1
	;;
*)
	echo "usage: $0 check|install" >&2
	exit 2
	;;
esac
