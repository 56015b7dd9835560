# rtpengine: media relay for SIP, ng-protocol compatible.
#   make run    install dependencies, build, start the daemon on loopback (foreground)
#   make test   install dependencies, build, run every test
# See README.md.

include mk/deps.mk

CC      ?= cc
CLANG   ?= clang
PKGS    := glib-2.0 openssl
CFLAGS_COMMON := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
	-Wshadow -Wpointer-arith -Wstrict-prototypes -g
OPT     ?= -O2
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CFLAGS_COMMON) $(OPT) $(PKG_CFLAGS) -Idaemon -Ikernel-module
LDLIBS  += $(PKG_LIBS) -lpthread -lm

BUILD   ?= build/release
DAEMON_SOURCES := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
DAEMON_OBJECTS := $(DAEMON_SOURCES:daemon/%.c=$(BUILD)/daemon/%.o)
UNIT_SOURCES   := $(wildcard tests/unit/test_*.c)
UNIT_BINARIES  := $(UNIT_SOURCES:tests/unit/%.c=$(BUILD)/tests/unit/%)
FUZZ_SOURCES   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINARIES  := $(FUZZ_SOURCES:tests/fuzz/%.c=build/fuzz/%)
FUZZ_SECONDS   ?= 20
PYTEST  := /usr/bin/python3 -m pytest

.PHONY: all deps test-kernel bench-kernel deps-build deps-test deps-bench daemon run test test-unit test-e2e \
	test-fuzz fuzz asan test-asan bench install clean kernel iptables-extension

all: daemon/rtpengine iptables-extension
daemon: daemon/rtpengine

deps: deps-build deps-test
deps-build:
	$(call apt_install_missing,$(BUILD_PACKAGES))
deps-test: deps-build
	$(call apt_install_missing,$(TEST_PACKAGES))
deps-bench: deps-test
	$(call apt_install_missing,$(BENCH_PACKAGES))

$(BUILD)/daemon/%.o: daemon/%.c $(wildcard daemon/*.h) | $(BUILD)/daemon
	$(CC) $(CFLAGS) -c -o $@ $<
$(BUILD)/libdaemon.a: $(DAEMON_OBJECTS)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/daemon/main.o: daemon/main.c $(wildcard daemon/*.h) | $(BUILD)/daemon
	$(CC) $(CFLAGS) -c -o $@ $<
$(BUILD)/rtpengine: $(BUILD)/daemon/main.o $(BUILD)/libdaemon.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
daemon/rtpengine: $(BUILD)/rtpengine
	rm -f $@ && cp $< $@

$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libdaemon.a $(wildcard tests/unit/*.h) | $(BUILD)/tests/unit
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libdaemon.a $(LDLIBS)

$(BUILD)/daemon $(BUILD)/tests/unit build/fuzz:
	mkdir -p $@

# Fuzz targets: clang's libFuzzer with ASan/UBSan; the daemon sources are compiled once
# (instrumented, without libFuzzer's main) and linked into every target.
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-Idaemon -Ikernel-module
FUZZ_OBJECTS := $(DAEMON_SOURCES:daemon/%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: daemon/%.c $(wildcard daemon/*.h) | build/fuzz/obj
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c -o $@ $<
build/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJECTS) | build/fuzz
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< $(FUZZ_OBJECTS) $(PKG_LIBS) -lpthread -lm
build/fuzz/obj:
	mkdir -p $@

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
		LDFLAGS="-fsanitize=address,undefined" build/asan/rtpengine \
		$(UNIT_SOURCES:tests/unit/%.c=build/asan/tests/unit/%)
test-asan: asan build/tests/srtp_peer
	@set -e; for t in $(UNIT_SOURCES:tests/unit/%.c=build/asan/tests/unit/%); do echo "== asan $$t"; $$t; done
	RTPENGINE_BINARY=$(CURDIR)/build/asan/rtpengine ASAN_OPTIONS=detect_leaks=1 $(PYTEST) -q -m "not slow" tests/e2e

test-fuzz: $(FUZZ_BINARIES)
	@set -e; for f in $(FUZZ_BINARIES); do \
		name=$$(basename $$f); corpus=tests/fuzz/corpus/$${name#fuzz_}; mkdir -p $$corpus; \
		echo "== $$f ($(FUZZ_SECONDS) s)"; \
		mkdir -p build/fuzz/corpus-$$name; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 -artifact_prefix=build/fuzz/$$name- \
			build/fuzz/corpus-$$name $$corpus >build/fuzz/$$name.log 2>&1 || \
			{ tail -n 40 build/fuzz/$$name.log; exit 1; }; \
		for c in tests/fuzz/crashes/$${name#fuzz_}/*; do \
			[ -f "$$c" ] || continue; $$f "$$c" >/dev/null 2>&1 || { echo "regression: $$c"; exit 1; }; done; \
	done
fuzz: FUZZ_SECONDS = 600
fuzz: test-fuzz

bench: deps-bench all
	$(MAKE) -C tests/bench run

install: all
	install -D -m 0755 daemon/rtpengine $(DESTDIR)/usr/bin/rtpengine

clean:
	rm -rf build daemon/rtpengine
	$(MAKE) -C iptables-extension clean
	$(MAKE) -C tests/bench clean
