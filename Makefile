# rtpengine: media relay for SIP, ng-protocol compatible.
#   make run    install dependencies, build, start the daemon on loopback (foreground)
#   make test   install dependencies, build, run every test
# See README.md.

include mk/deps.mk

CC      ?= cc
CLANG   ?= clang
PKGS    := glib-2.0 openssl libevent libevent_openssl json-c
# Redis high availability (daemon/redis*.c): hiredis' async API (json-c, above, for the values)
PKGS    += hiredis
# play media (daemon/media_player.c) and transcoding (daemon/codec_chain.c): libav*
PKGS    += libavformat libavcodec libavutil libswresample
# G.729 encoding and decoding (daemon/codec_g729.c): bcg729, as 10.5 (libavcodec has no G.729 encoder)
PKGS    += libbcg729
# play media's db-id (daemon/media_player_db.c): the file's bytes from MySQL/MariaDB, as 10.5
PKGS    += libmariadb
CFLAGS_COMMON := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wshadow -Wpointer-arith -Wstrict-prototypes -g
OPT     ?= -O2
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
INCLUDES := -Ilib -Idaemon -Ikernel-module
# -MMD -MP: every object records the headers it includes (build/.../*.d), so a change
# rebuilds what depends on it and nothing else.
CFLAGS  += $(CFLAGS_COMMON) $(OPT) $(PKG_CFLAGS) $(INCLUDES) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lpthread -lm

# The version comes from one place: `git describe` of the checkout, else the VERSION file
# (a tarball without .git). It is compiled into lib/version.c alone; the stamp file changes
# only when the text does, so a new commit relinks but recompiles nothing else.
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null | sed 's/^v//' | \
	grep . || cat VERSION)

BUILD   ?= build/release
# lib/: what every program shares (logging, options, bencode, addresses, RTP/RTCP headers,
# SRTP, the event loop). Each program is a directory with a main.c; everything else in it
# goes into that program's own archive, which the unit tests link too.
LIB_SOURCES    := $(filter-out lib/version.c,$(wildcard lib/*.c))
LIB_OBJECTS    := $(LIB_SOURCES:%.c=$(BUILD)/%.o) $(BUILD)/lib/version.o
DAEMON_SOURCES := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
DAEMON_OBJECTS := $(DAEMON_SOURCES:%.c=$(BUILD)/%.o)
UNIT_SOURCES   := $(wildcard tests/unit/test_*.c)
UNIT_BINARIES  := $(UNIT_SOURCES:tests/unit/%.c=$(BUILD)/tests/unit/%)
FUZZ_SOURCES   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINARIES  := $(FUZZ_SOURCES:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS   ?= 20
PYTEST  := /usr/bin/python3 -m pytest
# Utilities: each is utils/rtpengine-NAME, linked from utils/NAME*.c (NAME with '-' as '_')
# and lib/ alone, so it shares no code with the daemon but the library.
UTILITIES := ng-client ctl
# Installed programs: source path -> installed name under $(DESTDIR)/usr/bin.
PROGRAMS := daemon/rtpengine $(UTILITIES:%=utils/rtpengine-%) recording-daemon/rtpengine-recording

.PHONY: all deps test-kernel bench-kernel deps-build deps-test deps-bench daemon run test test-unit test-e2e \
	test-fuzz fuzz asan test-asan bench bench-recording bench-recording-daemon bench-transcode install clean kernel iptables-extension version FORCE

all: $(PROGRAMS) iptables-extension
daemon: daemon/rtpengine
version:
	@echo $(VERSION)

deps: deps-build deps-test
deps-build:
	$(call apt_install_missing,$(BUILD_PACKAGES))
deps-test: deps-build
	$(call apt_install_missing,$(TEST_PACKAGES))
deps-bench: deps-test
	$(call apt_install_missing,$(BENCH_PACKAGES))

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@
$(BUILD)/lib/version.o: lib/version.c $(BUILD)/version.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DRTPENGINE_VERSION='"$(VERSION)"' -c -o $@ $<
$(BUILD)/librtpengine.a: $(LIB_OBJECTS)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/libdaemon.a: $(DAEMON_OBJECTS)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/rtpengine: $(BUILD)/daemon/main.o $(BUILD)/libdaemon.a $(BUILD)/librtpengine.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
daemon/rtpengine: $(BUILD)/rtpengine
	rm -f $@ && cp $< $@
define utility_rules
$(BUILD)/rtpengine-$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard utils/$(subst -,_,$(1))*.c)) $(BUILD)/librtpengine.a
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
utils/rtpengine-$(1): $(BUILD)/rtpengine-$(1)
	rm -f $$@ && cp $$< $$@
endef
$(foreach utility,$(UTILITIES),$(eval $(call utility_rules,$(utility))))

# rtpengine-recording (recording-daemon/, README.md there): everything but main.c goes into
# librecording.a, which its unit tests (tests/unit/test_recording_*.c) link; it alone links
# FFmpeg's libraries (libmp3lame through libavcodec).
AV_PKGS        := libavcodec libavformat libswresample libavutil
AV_CFLAGS       = $(shell pkg-config --cflags $(AV_PKGS) 2>/dev/null)
AV_LIBS         = $(shell pkg-config --libs $(AV_PKGS) 2>/dev/null)
RECORDING_SOURCES := $(filter-out recording-daemon/main.c,$(wildcard recording-daemon/*.c))
RECORDING_OBJECTS := $(RECORDING_SOURCES:%.c=$(BUILD)/%.o)
$(BUILD)/recording-daemon/%.o: CFLAGS += $(AV_CFLAGS)
$(BUILD)/librecording.a: $(RECORDING_OBJECTS)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/rtpengine-recording: $(BUILD)/recording-daemon/main.o $(BUILD)/librecording.a $(BUILD)/librtpengine.a
	$(CC) $(LDFLAGS) -o $@ $^ $(AV_LIBS) $(LDLIBS)
recording-daemon/rtpengine-recording: $(BUILD)/rtpengine-recording
	rm -f $@ && cp $< $@
$(BUILD)/tests/unit/test_recording_%: $(BUILD)/tests/unit/test_recording_%.o $(BUILD)/librecording.a $(BUILD)/librtpengine.a
	$(CC) $(LDFLAGS) -o $@ $^ $(AV_LIBS) $(LDLIBS)
$(BUILD)/tests/unit/test_recording_%.o: CFLAGS += -Irecording-daemon $(AV_CFLAGS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(BUILD)/libdaemon.a $(BUILD)/librtpengine.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/unit/%.o: CFLAGS += -Itests/unit

# Fuzz targets: clang's libFuzzer with ASan/UBSan; lib/ and the daemon sources are compiled
# once (instrumented, without libFuzzer's main) into build/fuzz/obj, kept between runs and
# rebuilt only when a source or a header it includes changes.
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	$(INCLUDES) -MMD -MP
FUZZ_OBJECTS := $(LIB_SOURCES:%.c=build/fuzz/obj/%.o) build/fuzz/obj/lib/version.o \
	$(DAEMON_SOURCES:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -DRTPENGINE_VERSION='"fuzz"' -c -o $@ $<
build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJECTS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< $(FUZZ_OBJECTS) $(PKG_LIBS) -lpthread -lm

# rtpengine-recording's readers of the daemon's files, without FFmpeg: the metadata parser,
# the stream file framing and the IP/UDP header walk (packet.c stubbed out by the target).
RECORDING_FUZZ_OBJECTS := build/fuzz/obj/recording-daemon/metafile.o build/fuzz/obj/recording-daemon/stream_reader.o
build/fuzz/fuzz_recording: tests/fuzz/fuzz_recording.c $(FUZZ_OBJECTS) $(RECORDING_FUZZ_OBJECTS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -Irecording-daemon -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< $(FUZZ_OBJECTS) \
		$(RECORDING_FUZZ_OBJECTS) $(PKG_LIBS) -lpthread -lm

.SECONDARY:
-include $(shell find build -name '*.d' 2>/dev/null)

iptables-extension:
	$(MAKE) -C iptables-extension

# The kernel module builds against the Debian 6.1 headers the kvm harness installs; its tests
# boot throw-away guests (../shared/kvm beside the repository, as in CI).
KVM_HARNESS ?= $(CURDIR)/../shared/kvm
kernel:
	$(KVM_HARNESS)/build-module --copy kernel-module
test-kernel: all
	@if [ -x "$(KVM_HARNESS)/run-vm" ]; then \
		KVM=$(KVM_HARNESS) RTPENGINE_BINARY=$(CURDIR)/build/release/rtpengine tests/kernel/run-tests.sh; \
	else echo "SKIPPED kernel tests: no kvm harness at $(KVM_HARNESS)"; fi
bench-kernel: all
	KVM=$(KVM_HARNESS) RTPENGINE_BINARY=$(CURDIR)/build/release/rtpengine tests/kernel/run-bench.sh

run: deps-build all
	./daemon/rtpengine --config-file=etc/rtpengine.conf --foreground --log-stderr

test: deps-test
	$(MAKE) all
	$(MAKE) test-unit
	$(MAKE) test-asan
	$(MAKE) test-fuzz
	$(MAKE) test-e2e
	$(MAKE) test-kernel
	$(MAKE) test-deb
	@echo "all test suites passed"

test-unit: $(UNIT_BINARIES)
	@set -e; for t in $(UNIT_BINARIES); do echo "== $$t"; $$t; done

# libsrtp2 as an independent SRTP endpoint for the end-to-end tests (never linked into the daemon)
build/tests/srtp_peer: tests/e2e/srtp_peer.c
	mkdir -p build/tests
	$(CC) -std=gnu11 -Wall -Wextra -Werror $(PKG_CFLAGS) -o $@ $< -lsrtp2 $(PKG_LIBS)

test-e2e: all build/tests/srtp_peer
	RTPENGINE_BINARY=$(CURDIR)/daemon/rtpengine $(PYTEST) -q tests/e2e

# ASan/UBSan build of the daemon and the unit tests, in its own build folder.
asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" build/asan/rtpengine $(UTILITIES:%=build/asan/rtpengine-%) \
		build/asan/rtpengine-recording \
		$(UNIT_SOURCES:tests/unit/%.c=build/asan/tests/unit/%)
test-asan: asan build/tests/srtp_peer
	@set -e; for t in $(UNIT_SOURCES:tests/unit/%.c=build/asan/tests/unit/%); do echo "== asan $$t"; $$t; done
	RTPENGINE_BINARY=$(CURDIR)/build/asan/rtpengine RTPENGINE_NG_CLIENT=$(CURDIR)/build/asan/rtpengine-ng-client \
		RTPENGINE_CTL=$(CURDIR)/build/asan/rtpengine-ctl \
		RTPENGINE_RECORDING_BINARY=$(CURDIR)/build/asan/rtpengine-recording \
		ASAN_OPTIONS=detect_leaks=1 $(PYTEST) -q -m "not slow" tests/e2e

# fuzz_NAME starts from tests/fuzz/corpus/NAME and from the inputs listed here as NAME:DIR,
# which the unit tests or the shipped configuration already hold (read where they live, not
# copied). libFuzzer writes the inputs it finds only to its first folder, build/fuzz/corpus-*.
FUZZ_SEEDS := sdp:tests/unit/sdp config:etc
# ICE: the SDP golden inputs seed the ICE attribute fuzzer too
FUZZ_SEEDS += ice_sdp:tests/unit/sdp
# codec negotiation: the SDP golden inputs seed the codec fuzzer too
FUZZ_SEEDS += codec:tests/unit/sdp
test-fuzz: $(FUZZ_BINARIES)
	@set -e; for f in $(FUZZ_BINARIES); do \
		name=$$(basename $$f); target=$${name#fuzz_}; seeds=; \
		if [ -d tests/fuzz/corpus/$$target ]; then seeds=tests/fuzz/corpus/$$target; fi; \
		for pair in $(FUZZ_SEEDS); do \
			if [ "$${pair%%:*}" = $$target ]; then seeds="$$seeds $${pair#*:}"; fi; done; \
		echo "== $$f ($(FUZZ_SECONDS) s, seeds:$${seeds:- none})"; \
		mkdir -p build/fuzz/corpus-$$name; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 -artifact_prefix=build/fuzz/$$name- \
			build/fuzz/corpus-$$name $$seeds >build/fuzz/$$name.log 2>&1 || \
			{ tail -n 40 build/fuzz/$$name.log; exit 1; }; \
		for c in tests/fuzz/crashes/$${name#fuzz_}/*; do \
			[ -f "$$c" ] || continue; $$f "$$c" >/dev/null 2>&1 || { echo "regression: $$c"; exit 1; }; done; \
	done
fuzz: FUZZ_SECONDS = 600
fuzz: test-fuzz

bench: deps-bench all
	$(MAKE) -C tests/bench run
# call quality monitoring's cost: RTCP + MOS + Homer on vs off (tests/bench/monitoring.py)
.PHONY: bench-monitoring
bench-monitoring: all
	$(MAKE) -C tests/bench run-monitoring
# transcoding: Opus <-> PCMU calls per core at < 1% late frames, ours vs 10.5 (tests/bench/transcode.py,
# media from tests/bench/transcode_load)
bench-transcode: all
	$(MAKE) -C tests/bench transcode_load
	/usr/bin/python3 tests/bench/transcode.py
# call recording's cost on the packet path (tests/bench/recording.py)
bench-recording: all
	$(MAKE) -C tests/bench run-recording

# rtpengine-recording: 200 concurrent two-party PCMU calls' spool to mixed WAV (CPU, RSS);
# part of bench-recording, which also measures the relay's side.
bench-recording: bench-recording-daemon
bench-recording-daemon: recording-daemon/rtpengine-recording
	/usr/bin/python3 tests/bench/recording_bench.py --binary recording-daemon/rtpengine-recording

install: all man
	@set -e; for p in $(PROGRAMS); do install -D -m 0755 $$p $(DESTDIR)/usr/bin/$$(basename $$p); done
	$(MAKE) -C iptables-extension install DESTDIR=$(DESTDIR)
	$(install_packaging)

# ---- Packaging: system files, man pages, Debian packages (debian/, packaging/, docs/man/) ----
# `make install` puts the programs, the xtables extension, the kernel module's sources for
# DKMS, the systemd unit with its helper and default file, the config file and the man pages
# under DESTDIR, at the paths of Debian's rtpengine packages; debian/rules calls it.
.PHONY: man deb test-deb deps-package
SYSTEMD_UNIT_DIR ?= /lib/systemd/system
# DKMS source folder /usr/src/rtpengine-DKMS_VERSION; debian/rules passes the package's.
DKMS_VERSION ?= $(shell cat VERSION)
MODULE_SOURCES := $(wildcard kernel-module/*.c kernel-module/*.h) kernel-module/Kbuild kernel-module/Makefile
# man pages from docs/: NAME.SECTION from docs/man/NAME.SECTION.md (plus the listed
# docs for rtpengine.8); tables become definition lists (docs/man/tables-as-lists.lua).
MAN_PAGES := rtpengine.8 rtpengine.conf.5 rtpengine-iptables-setup.8 rtpengine-ng-client.1 \
	$(if $(filter %/rtpengine-recording,$(PROGRAMS)),rtpengine-recording.8) \
	$(if $(filter %/rtpengine-ctl,$(PROGRAMS)),rtpengine-ctl.1)
MAN_rtpengine.8 := docs/man/rtpengine.8.md docs/configuration.md docs/man/rtpengine.8.tail.md
PANDOC_MAN = pandoc -s -t man -M footer="rtpengine $(VERSION)" -M date="$(shell date -u -d @$${SOURCE_DATE_EPOCH:-$$(stat -c %Y VERSION)} +%Y-%m-%d)" \
	--lua-filter=docs/man/tables-as-lists.lua
man: $(MAN_PAGES:%=build/man/%)
build/man/%: docs/man/%.md docs/man/tables-as-lists.lua docs/configuration.md docs/man/rtpengine.8.tail.md
	@mkdir -p $(dir $@)
	$(PANDOC_MAN) -o $@ $(or $(MAN_$*),$<)
define install_packaging
	@set -e; d=$(DESTDIR); \
	install -D -m 0755 packaging/rtpengine-iptables-setup $$d/usr/sbin/rtpengine-iptables-setup; \
	install -D -m 0755 packaging/rtpengine-get-table $$d/usr/libexec/rtpengine/rtpengine-get-table; \
	install -D -m 0644 packaging/rtpengine-daemon.service $$d$(SYSTEMD_UNIT_DIR)/rtpengine-daemon.service; \
	ln -sf rtpengine-daemon.service $$d$(SYSTEMD_UNIT_DIR)/rtpengine.service; \
	install -D -m 0644 packaging/rtpengine-daemon.default $$d/etc/default/rtpengine-daemon; \
	install -D -m 0644 packaging/rtpengine.conf $$d/etc/rtpengine/rtpengine.conf; \
	install -d -m 0755 $$d/var/spool/rtpengine; \
	src=$$d/usr/src/rtpengine-$(DKMS_VERSION); install -d $$src; \
	install -m 0644 $(MODULE_SOURCES) $$src/; \
	sed 's/#MODULE_VERSION#/$(DKMS_VERSION)/' kernel-module/dkms.conf > $$src/dkms.conf; \
	$(if $(filter %/rtpengine-recording,$(PROGRAMS)), \
	install -D -m 0644 packaging/rtpengine-recording-daemon.service \
		$$d$(SYSTEMD_UNIT_DIR)/rtpengine-recording-daemon.service; \
	ln -sf rtpengine-recording-daemon.service $$d$(SYSTEMD_UNIT_DIR)/rtpengine-recording.service; \
	install -D -m 0644 packaging/rtpengine-recording-daemon.default $$d/etc/default/rtpengine-recording-daemon; \
	install -D -m 0644 packaging/rtpengine-recording.conf $$d/etc/rtpengine/rtpengine-recording.conf; \
	install -d -m 0755 $$d/var/lib/rtpengine-recording;) \
	for page in $(MAN_PAGES); do \
		install -D -m 0644 build/man/$$page $$d/usr/share/man/man$${page##*.}/$$page; done
endef

# Debian packages from a copy of the tree (the files git knows plus new ones it does not
# ignore) in build/deb/src, so the .debs land in build/deb and the checkout stays clean.
# rtpengine-recording-daemon is built when the tree has recording-daemon/.
DEB_PROFILES := $(if $(wildcard recording-daemon/Makefile recording-daemon/main.c),pkg.rtpengine.recording)
deb: deps-package
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -z --cached --others --exclude-standard | \
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C build/deb/src -xf -
	cd build/deb/src && DEB_BUILD_PROFILES="$(DEB_PROFILES)" dpkg-buildpackage -b -us -uc -j2 \
		$(if $(DEB_PROFILES),-P$(DEB_PROFILES))
	rm -rf build/deb/src
	@ls -1 build/deb/*.deb
# lintian, a clean Debian 12 root (install, upgrade from Debian's 10.5 packages, systemd-analyze
# verify, rtpengine --version) and a kvm guest (module built from the installed sources, the
# unit's helper, kernel forwarding active): tests/deb/run-tests.sh.
test-deb: deb
	KVM=$(KVM_HARNESS) tests/deb/run-tests.sh
deps-package: deps-build
	$(call apt_install_missing,$(PACKAGE_PACKAGES))

clean:
	rm -rf build $(PROGRAMS)
	$(MAKE) -C iptables-extension clean
	$(MAKE) -C tests/bench clean
