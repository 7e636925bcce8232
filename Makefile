# SPDX-License-Identifier: GPL-2.0-only
#
# xwamp build.  Everything goes into build/ (out of tree); V=1 shows the commands.
#
# Layering is enforced by the include paths (doc/design.md, "Layers"):
#   bpf/      sees vmlinux/, include/, bpf/
#   control/  sees include/, control/          -> build/libxwctl.a (needs only libcrypto)
#   loader/   sees include/, control/, loader/lib, build/bpf (skeletons)
#   tests/    sees what the layer under test sees, plus tests/unit
#
# Targets:
#   all (default)  xwampd, xwping, BPF objects and skeletons, test binaries
#   check          install missing packages, build, run every test (README)
#   demo           install missing packages, build, run a measurement between two namespaces
#   bench          benchmarks (figures as ratios against a baseline from the same run)
#   fuzz-build     the libFuzzer harnesses of tests/fuzz/ (clang, ASan + UBSan) in build/fuzz/
#   fuzz           run each harness FUZZ_SECONDS (default 60) seconds (tests/fuzz/run.sh)
#   deps           install the missing Debian packages (apt-get)
#   vmlinux        regenerate vmlinux/vmlinux.h from the running kernel's BTF
#   format         clang-format every source file in place
#   install        xwampd, xwping, xwamp-keys, man pages, the systemd unit, an example
#                  configuration under $(DESTDIR)$(PREFIX) and $(DESTDIR)$(SYSCONFDIR)
#   install-charon-plugin  the strongSwan charon plugin (README "strongSwan plugin")
#   deb            the Debian package into build/deb/ (debian/, dpkg-buildpackage)

.DEFAULT_GOAL := all

BUILD   ?= build
CC      ?= cc
CLANG   ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SUFFIXES:

# The release (VERSION file): --version, the man pages, the Debian package.
VERSION := $(shell cat VERSION)

# Installation directories (make install PREFIX=/usr DESTDIR=/tmp/root).  The
# configuration stays under /etc whatever PREFIX is: xwampd reads
# $(SYSCONFDIR)/xwamp/xwampd.conf by default.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/xwamp
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

# Dependencies are probed once per build directory; tests/deps.sh names the
# Debian package for whatever is missing and fails early.
DEPS_STAMP := $(BUILD)/.deps-ok
$(DEPS_STAMP): tests/deps.sh
	$(Q)mkdir -p $(BUILD)
	$(Q)tests/deps.sh check
	$(Q)touch $@

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wno-unused-parameter -Wformat=2 -Werror
CFLAGS  ?= -O2 -g
XCFLAGS := $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP -fno-strict-aliasing
LIBBPF_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbpf libxdp 2>/dev/null)
LIBBPF_LIBS   := $(shell $(PKG_CONFIG) --libs libbpf libxdp 2>/dev/null)
CRYPTO_LIBS   := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null)

INC_CONTROL := -Iinclude -Icontrol
INC_LOADER  := -Iinclude -Icontrol -Iloader/lib -I$(BUILD)/bpf $(LIBBPF_CFLAGS)
INC_TESTS   := -Iinclude -Icontrol -Itests/unit
INC_BPF     := -Ivmlinux -Iinclude -Ibpf

CONTROL_SRCS := $(wildcard control/*.c)
LDRLIB_SRCS  := $(wildcard loader/lib/*.c)
XWAMPD_SRCS  := $(wildcard loader/xwampd/*.c)
XWPING_SRCS  := $(wildcard loader/xwping/*.c)
XWKEYS_SRCS  := $(wildcard loader/xwamp-keys/*.c)
BPF_SRCS     := $(wildcard bpf/*.bpf.c)
UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
BPFTEST_SRCS := $(wildcard tests/bpf/test_*.c)
BENCH_SRCS   := $(wildcard tests/bench/*.c tests/bpf/bench_*.c)

CONTROL_OBJS := $(CONTROL_SRCS:%.c=$(BUILD)/%.o)
LDRLIB_OBJS  := $(LDRLIB_SRCS:%.c=$(BUILD)/%.o)
XWAMPD_OBJS  := $(XWAMPD_SRCS:%.c=$(BUILD)/%.o)
XWPING_OBJS  := $(XWPING_SRCS:%.c=$(BUILD)/%.o)
XWKEYS_OBJS  := $(XWKEYS_SRCS:%.c=$(BUILD)/%.o)
BPF_OBJS     := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.bpf.o)
SKELS        := $(BPF_SRCS:bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)
UNIT_BINS    := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BPFTEST_BINS := $(BPFTEST_SRCS:tests/bpf/%.c=$(BUILD)/tests/%)
BENCH_BINS   := $(patsubst %.c,$(BUILD)/bench/%,$(notdir $(BENCH_SRCS)))

LIBXWCTL := $(BUILD)/libxwctl.a
LIBXWLDR := $(BUILD)/libxwldr.a

BINS := $(BUILD)/xwampd $(BUILD)/xwping $(BUILD)/xwamp-keys
MAN_SRCS   := $(wildcard man/*.[0-9])
DIST_FILES := $(MAN_SRCS:man/%=$(BUILD)/dist/%) $(BUILD)/dist/xwampd.service \
	      $(BUILD)/dist/xwampd.conf


.PHONY: all check demo bench deps vmlinux format clean tests fuzz fuzz-build install deb progs
all: $(BINS) $(BPF_OBJS) $(SKELS) tests $(DIST_FILES)
progs: $(BINS) $(DIST_FILES)
tests: $(UNIT_BINS) $(BPFTEST_BINS) $(BENCH_BINS)

# --- BPF: .bpf.c -> .bpf.o -> .skel.h --------------------------------------
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(DEPS_STAMP)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -O2 -g -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		$(INC_BPF) -MMD -MP -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# --- userspace ---------------------------------------------------------------
$(BUILD)/control/%.o: control/%.c $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XCFLAGS) $(INC_CONTROL) -c $< -o $@

$(LIBXWCTL): $(CONTROL_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# loader objects may include BPF skeletons: build those first.
$(BUILD)/loader/%.o: loader/%.c $(SKELS) $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XCFLAGS) $(INC_LOADER) -c $< -o $@

$(BUILD)/loader/lib/opts.o: XCFLAGS += -DXW_VERSION='"$(VERSION)"'
$(BUILD)/loader/lib/opts.o: VERSION
$(BUILD)/loader/xwampd/main.o: XCFLAGS += -DXWD_CONFIG_DEFAULT='"$(SYSCONFDIR)/xwamp/xwampd.conf"'

$(LIBXWLDR): $(LDRLIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

LOADER_LIBS := $(LIBXWLDR) $(LIBXWCTL)
LDLIBS_ALL  := $(LIBBPF_LIBS) $(CRYPTO_LIBS) -lm -lpthread

$(BUILD)/xwampd: $(XWAMPD_OBJS) $(LOADER_LIBS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(XWAMPD_OBJS) $(LOADER_LIBS) $(LDLIBS_ALL)

$(BUILD)/xwping: $(XWPING_OBJS) $(LOADER_LIBS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(XWPING_OBJS) $(LOADER_LIBS) $(LDLIBS_ALL)

$(BUILD)/xwamp-keys: $(XWKEYS_OBJS) $(LOADER_LIBS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(XWKEYS_OBJS) $(LOADER_LIBS) $(CRYPTO_LIBS)

# --- installation (README "Installation") --------------------------------------
# Man pages, unit and example configuration name the installed paths: the
# templates' @NAMES@ are filled in here (build/dist/).
SUBST := sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	     -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	     -e 's|@UNITDIR@|$(UNITDIR)|g'

# the values filled in, remembered: another PREFIX makes them again
DIST_VARS := $(VERSION) $(SBINDIR) $(BINDIR) $(SYSCONFDIR) $(UNITDIR)
$(BUILD)/dist/.vars: FORCE
	$(Q)mkdir -p $(@D) && echo '$(DIST_VARS)' | cmp -s - $@ || echo '$(DIST_VARS)' > $@
.PHONY: FORCE
FORCE:

$(BUILD)/dist/%: man/% $(BUILD)/dist/.vars
	$(Q)$(SUBST) $< > $@
$(BUILD)/dist/xwampd.service: dist/xwampd.service.in $(BUILD)/dist/.vars
	$(Q)$(SUBST) $< > $@
$(BUILD)/dist/xwampd.conf: dist/xwampd.conf $(BUILD)/dist/.vars
	$(Q)$(SUBST) $< > $@

# The example configuration goes to $(SYSCONFDIR) only where there is none yet.
install: $(BINS) $(DIST_FILES)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/xwamp
	install -m 0755 $(BUILD)/xwampd $(DESTDIR)$(SBINDIR)/xwampd
	install -m 0755 $(BUILD)/xwping $(BUILD)/xwamp-keys $(DESTDIR)$(BINDIR)/
	install -m 0644 $(BUILD)/dist/xwping.1 $(BUILD)/dist/xwamp-keys.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(BUILD)/dist/xwampd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(BUILD)/dist/xwampd.service $(DESTDIR)$(UNITDIR)/xwampd.service
	install -m 0644 dist/xwamp.sysusers $(DESTDIR)$(SYSUSERSDIR)/xwamp.conf
	install -m 0644 $(BUILD)/dist/xwampd.conf $(DESTDIR)$(DOCDIR)/xwampd.conf.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/xwamp/xwampd.conf ] || \
		install -m 0644 $(BUILD)/dist/xwampd.conf $(DESTDIR)$(SYSCONFDIR)/xwamp/xwampd.conf
	@# the user xwampd drops to, on this system (not when staging into DESTDIR)
	[ -n "$(DESTDIR)" ] || ! command -v systemd-sysusers >/dev/null || \
		systemd-sysusers $(SYSUSERSDIR)/xwamp.conf

# The Debian package (debian/): built from a copy of the tree in build/deb/src,
# so that dpkg-buildpackage's ../ is build/deb/; lintian must be clean.
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	tar --exclude=./build --exclude=./.git --exclude='./debian/build-tree' -cf - . | \
		tar -C $(BUILD)/deb/src -xf -
	cd $(BUILD)/deb/src && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -n 30 ../build.log; exit 1; }
	lintian --fail-on error,warning $(BUILD)/deb/*.changes
	@ls $(BUILD)/deb/*.deb

# --- tests ---------------------------------------------------------------------
# Unit tests see control/ only and link without libbpf: that proves the layering.
$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/tests/t.o $(LIBXWCTL)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XCFLAGS) $(INC_TESTS) -o $@ $< $(BUILD)/tests/t.o $(LIBXWCTL) $(CRYPTO_LIBS) -lm

$(BUILD)/tests/t.o: tests/unit/t.c $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XCFLAGS) $(INC_TESTS) -c $< -o $@

# BPF tests load the real programs through their skeletons (BPF_PROG_TEST_RUN).
$(BUILD)/tests/test_%: tests/bpf/test_%.c $(BUILD)/tests/t.o $(SKELS) $(LOADER_LIBS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XCFLAGS) $(INC_LOADER) -Itests/unit -o $@ $< $(BUILD)/tests/t.o \
		$(LOADER_LIBS) $(LDLIBS_ALL)

# Benchmark programs (make bench): one .c each, with the loader's view and libraries.
$(BUILD)/bench/%: tests/bench/%.c $(SKELS) $(LOADER_LIBS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XCFLAGS) $(INC_LOADER) -Itests/unit -o $@ $< $(LOADER_LIBS) $(LDLIBS_ALL)

$(BUILD)/bench/%: tests/bpf/%.c $(SKELS) $(LOADER_LIBS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(XCFLAGS) $(INC_LOADER) -Itests/unit -o $@ $< $(LOADER_LIBS) $(LDLIBS_ALL)

# --- fuzzing (tests/fuzz/, README "Fuzzing") -----------------------------------
# libFuzzer harnesses over control/, which is compiled again here with clang,
# coverage instrumentation and ASan + UBSan (every UB report aborts, so the
# fuzzer sees it as a crash).  Randomness and PBKDF2 are redirected to the
# harness (tests/fuzz/fuzz.c) with --wrap: the state machines get a fixed
# Challenge, Salt and keys, so a conversation is reproducible from its input.
# libFuzzer's runtime is Debian's libclang-rt-14-dev (tests/deps.sh).
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_CTL_OBJS := $(CONTROL_SRCS:%.c=$(BUILD)/fuzz/%.o)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -O1 -g $(FUZZ_SAN) $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP -fno-strict-aliasing
FUZZ_WRAP    := -Wl,--wrap=xw_random -Wl,--wrap=xw_pbkdf2_sha1
FUZZ_SECONDS ?= 60

fuzz-build: $(FUZZ_BINS)

$(BUILD)/fuzz/control/%.o: control/%.c $(DEPS_STAMP)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(INC_CONTROL) -c $< -o $@

$(BUILD)/fuzz/libxwctl.a: $(FUZZ_CTL_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/fuzz.o: tests/fuzz/fuzz.c $(DEPS_STAMP)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(INC_TESTS) -c $< -o $@

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/fuzz/fuzz.o $(BUILD)/fuzz/libxwctl.a
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(INC_TESTS) -Itests/fuzz -o $@ $< \
		$(BUILD)/fuzz/fuzz.o $(BUILD)/fuzz/libxwctl.a $(FUZZ_WRAP) $(CRYPTO_LIBS) -lm

# --- top-level commands ------------------------------------------------------
deps:
	$(Q)tests/deps.sh install

check: deps
	$(Q)$(MAKE) --no-print-directory all fuzz-build
	$(Q)tests/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/bench.sh

fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)tests/fuzz/run.sh $(FUZZ_SECONDS)

# The kernel's own types (GPL-2.0), dumped from its BTF: the SPDX line goes first.
vmlinux:
	{ echo '/* SPDX-License-Identifier: GPL-2.0-only */'; \
	  echo '/* Generated by "make vmlinux" from /sys/kernel/btf/vmlinux (bpftool btf dump). */'; \
	  $(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c; } > vmlinux/vmlinux.h.tmp
	mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^vmlinux/')

clean:
	rm -rf $(BUILD)

# dependency files of our own objects only (build/ also holds third-party trees)
-include $(wildcard $(BUILD)/control/*.d $(BUILD)/loader/*/*.d $(BUILD)/bpf/*.d \
		    $(BUILD)/tests/*.d $(BUILD)/bench/*.d $(BUILD)/fuzz/*.d \
		    $(BUILD)/fuzz/control/*.d)

# --- strongSwan charon plugin (owner: swan; README "strongSwan plugin") -------
# Not part of `all`: it is compiled against the source of the installed
# charon's strongSwan version (Debian ships no headers), which
# loader/charon/swan-src.sh fetches with apt-get source and configures once
# (~20 s; the stamp names the version, so an upgrade reconfigures).
# -DME: Debian builds charon with mediation support, which adds methods to
# ike_sa_t; the plugin must see the same struct layout.
SWAN_SRC_DIR   := $(BUILD)/strongswan-src
SWAN_VERSION   := $(shell dpkg-query -W -f='$${Version}' strongswan-charon 2>/dev/null || echo none)
SWAN_STAMP     := $(SWAN_SRC_DIR)/tree-$(SWAN_VERSION)
CHARON_PLUGIN  := $(BUILD)/libstrongswan-xwamp.so
CHARON_PLUGIN_SRCS := loader/charon/xwamp_plugin.c loader/charon/xwamp_listener.c \
		      loader/charon/xwamp_socket.c
PLUGINDIR      ?= /usr/lib/ipsec/plugins

.PHONY: charon-plugin charon-plugin-install install-charon-plugin
charon-plugin: $(CHARON_PLUGIN)

$(SWAN_SRC_DIR)/tree-%: loader/charon/swan-src.sh
	$(call msg,SWANSRC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)loader/charon/swan-src.sh $(SWAN_SRC_DIR) > $@.tmp && mv $@.tmp $@

$(CHARON_PLUGIN): $(CHARON_PLUGIN_SRCS) $(wildcard loader/charon/*.h) loader/lib/ikesock.h \
		  $(SWAN_STAMP)
	$(call msg,CC,$@)
	$(Q)S=$$(cat $(SWAN_STAMP)) && $(CC) $(CFLAGS) -fPIC -shared -fvisibility=hidden \
		-std=gnu11 -D_GNU_SOURCE= -Wall -Wextra -Wno-unused-parameter \
		-Wno-missing-field-initializers -Wno-format -Werror \
		-include $$S/config.h -DME= -I$$S/src/libstrongswan -I$$S/src/libcharon \
		-Iloader/lib -o $@ $(CHARON_PLUGIN_SRCS)

charon-plugin-install install-charon-plugin: $(CHARON_PLUGIN)
	install -d $(DESTDIR)$(PLUGINDIR)
	install -m 0644 $(CHARON_PLUGIN) $(DESTDIR)$(PLUGINDIR)/libstrongswan-xwamp.so
