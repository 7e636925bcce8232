# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-only
# Sourced by the testbed scripts.

# tb_apt_install PACKAGE...: install Debian packages (none is ever started
# as a service by the testbed; the scripts run their own processes)
tb_apt_install() {
	[ $# = 0 ] && return 0
	echo "testbed: installing $*" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
