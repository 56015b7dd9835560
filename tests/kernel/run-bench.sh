#!/bin/bash
# Kernel forwarding benchmark (make bench-kernel): in one guest, our daemon with the kernel
# path vs the same daemon relaying in userspace; in a second guest, Debian's rtpengine 10.5
# with its own kernel module (package rtpengine-kernel-dkms, built with the same harness).
# Guests run under software emulation (TCG): only ratios mean something, never absolute pps.
#   tests/kernel/run-bench.sh [SECONDS [ROUNDS]]   (default 2 s per flood, 3 rounds; best
#                                                  round of each path counts)
# Targets (exit 1 if missed): our kernel path >= 5x the packets per CPU-second of our
# userspace path, and >= 0.9x Debian's kernel module (10% for run-to-run noise).
# Environment:
#   ICOUNT=1      qemu with -icount shift=0,sleep=off: guest time advances one nanosecond per
#                 guest instruction, so every "us" below is thousands of instructions, the
#                 same whatever the host's load (a qemu-system-x86_64 wrapper early in PATH)
#   PROBE=1       our module built with RTPENGINE_COST_PROBE=1: per-packet guest time spent
#                 in its target, and in SRTP, besides the whole guest's
#   CRYPTO_MODULES="aesni_intel sha1_ssse3"   loaded in both guests first (a host loads the
#                 CPU's crypto modules at boot; the harness's guest has no udev)
#   PATHS="kernel generator kernel-srtp ..."  only these floods (guest-bench.sh)
#   OURS_MODULE_DIR=DIR   build our module from DIR instead of kernel-module/ (before/after)
#   DEBIAN=0      skip Debian's guest
set -euo pipefail
ROOT=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
KVM=${KVM:-$ROOT/../shared/kvm}
OUT=$ROOT/build/kernel-bench
SECONDS_PER_RUN=${1:-2}
ROUNDS=${2:-3}
XTABLES_DIR=$(pkg-config --variable=xtlibdir xtables)
mkdir -p "$OUT/guest"
VM_OPTIONS=()
if [ "${ICOUNT:-0}" = 1 ]; then
	mkdir -p "$OUT/icount"
	printf '#!/bin/sh\nexec %s "$@" -icount shift=0,sleep=off\n' "$(command -v qemu-system-x86_64)" > "$OUT/icount/qemu-system-x86_64"
	chmod +x "$OUT/icount/qemu-system-x86_64"
	export PATH=$OUT/icount:$PATH
	echo "== qemu -icount shift=0: 1 us of guest time = 1000 guest instructions"
fi
for module in ${CRYPTO_MODULES:-}; do VM_OPTIONS+=(--load "$module"); done
[ -z "${PATHS:-}" ] || VM_OPTIONS+=(--env "PATHS=$PATHS")
PROBE_BUILD=()
[ "${PROBE:-0}" != 1 ] || PROBE_BUILD=(RTPENGINE_COST_PROBE=1)
# The guest scripts source netns.sh and guest-lib.sh from a shared folder (--share, /share in the guest),
# not from a --file copy: run-vm hands every --file to ldd in one batch, and ldd's failure
# on a shell script loses the libraries of the whole batch (our daemon would not start).
cp "$ROOT/tests/kernel/netns.sh" "$ROOT/tests/kernel/guest-lib.sh" "$OUT/guest/"

echo "== building our module, extension, tool and daemon"
ours_ko=$("$KVM/build-module" --copy "${OURS_MODULE_DIR:-$ROOT/kernel-module}" "${PROBE_BUILD[@]}" 2>/dev/null | grep '/xt_RTPENGINE.ko$')
cleanup="rm -rf $(dirname "$ours_ko")"
trap 'eval "$cleanup"' EXIT
make -s -C "$ROOT/iptables-extension"
gcc -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -O2 -g \
	-I"$ROOT/lib" -I"$ROOT/daemon" -I"$ROOT/kernel-module" -o "$OUT/kernel_test_tool" \
	"$ROOT/tests/kernel/kernel_test_tool.c" "$ROOT/daemon/kernel.c" -lsrtp2 -lcrypto
RTPENGINE_BINARY=${RTPENGINE_BINARY:-}
if [ -z "$RTPENGINE_BINARY" ]; then
	make -s -C "$ROOT" build/release/rtpengine
	RTPENGINE_BINARY=$ROOT/build/release/rtpengine
fi

echo "== Debian's rtpengine 10.5 kernel module (rtpengine-kernel-dkms) and iptables extension"
debian_source=$(ls -d /usr/src/rtpengine-* 2>/dev/null | head -n 1 || true)
debian_xt=$XTABLES_DIR/libxt_RTPENGINE.so.debian
if [ -z "$debian_source" ] || [ ! -f "$OUT/debian/root$XTABLES_DIR/libxt_RTPENGINE.so" ]; then
	mkdir -p "$OUT/debian"
	if [ ! -f "$OUT/debian/root$XTABLES_DIR/libxt_RTPENGINE.so" ]; then
		(cd "$OUT/debian" && apt-get download rtpengine-kernel-dkms rtpengine-iptables >/dev/null 2>&1 &&
			for deb in *.deb; do dpkg-deb -x "$deb" root; done) ||
			echo "could not fetch Debian's packages: skipping the comparison"
	fi
	[ -n "$debian_source" ] || debian_source=$(ls -d "$OUT"/debian/root/usr/src/rtpengine-* 2>/dev/null | head -n 1 || true)
fi
debian_ko=
if [ -n "$debian_source" ] && [ "${DEBIAN:-1}" != 0 ]; then
	debian_ko=$("$KVM/build-module" --copy "$debian_source" 2>/dev/null | grep '/xt_RTPENGINE.ko$' || true)
	[ -z "$debian_ko" ] || cleanup="$cleanup $(dirname "$debian_ko")"
fi

# libsrtp2 (the SRTP call's latch packets) is built on NSS, whose plugins ldd does not see
nss=/usr/lib/x86_64-linux-gnu
results=$OUT/results.txt
: > "$results"
echo "== guest: ours"
"$KVM/run-vm" --quiet --timeout 600 "${VM_OPTIONS[@]}" --module "$ours_ko" \
	--file "$ROOT/iptables-extension/libxt_RTPENGINE.so:$XTABLES_DIR/libxt_RTPENGINE.so" \
	--file "$OUT/kernel_test_tool:/tools/kernel_test_tool" \
	--share "$OUT/guest" \
	--file "$RTPENGINE_BINARY:/tools/rtpengine" \
	--file "$nss/libsoftokn3.so:$nss/libsoftokn3.so" --file "$nss/libfreeblpriv3.so:$nss/libfreeblpriv3.so" \
	-- "$ROOT/tests/kernel/guest-bench.sh" ours "$SECONDS_PER_RUN" "$ROUNDS" | tee -a "$results"
if [ -n "$debian_ko" ]; then
	echo "== guest: Debian rtpengine 10.5"
	"$KVM/run-vm" --quiet --timeout 600 "${VM_OPTIONS[@]}" --module "$debian_ko" \
		--file "$OUT/debian/root$XTABLES_DIR/libxt_RTPENGINE.so:$XTABLES_DIR/libxt_RTPENGINE.so" \
		--file "$OUT/kernel_test_tool:/tools/kernel_test_tool" \
		--share "$OUT/guest" \
		--bin /usr/bin/rtpengine \
		--file "$nss/libsoftokn3.so:$nss/libsoftokn3.so" --file "$nss/libfreeblpriv3.so:$nss/libfreeblpriv3.so" \
		-- "$ROOT/tests/kernel/guest-bench.sh" debian "$SECONDS_PER_RUN" "$ROUNDS" | tee -a "$results"
fi

# Packets per CPU-second for each run. "whole guest" includes the load generator, which
# dilutes every ratio; "relay only" subtracts the generator's cost per packet measured in
# the generator-only run (sender and receiver in one namespace over lo, one crossing less
# than a relayed packet, so its cost is if anything underestimated, which lowers the
# kernel/userspace ratio rather than raising it).
awk '
/^RESULT/ {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	key = v["impl"] "-" v["path"]
	this_cost = v["received"] > 0 ? v["cpu_busy"] * 1e6 / v["received"] : 0
	if (!(key in cost)) order[++n] = key
	# best round: the one least disturbed by other load on the host
	if (this_cost > 0 && (!(key in cost) || cost[key] == 0 || this_cost < cost[key])) {
		cost[key] = this_cost
		pps[key] = v["received"] / v["seconds"]
	} else if (!(key in cost)) { cost[key] = 0; pps[key] = 0 }
	# the cost probe (PROBE=1): guest ns per forwarded packet in the target and in SRTP
	if (v["probe_packets"] > 0) {
		target_ns = v["probe_ns"] / v["probe_packets"]
		if (!(key in probe) || target_ns < probe[key]) {
			probe[key] = target_ns
			probe_srtp[key] = v["probe_srtp_ns"] / v["probe_packets"]
			probe_cipher[key] = v["probe_cipher_ns"] / v["probe_packets"]
			probe_hmac[key] = v["probe_hmac_ns"] / v["probe_packets"]
		}
	}
	delete v
}
END {
	generator = cost["ours-generator"]
	if (cost["debian-generator"] > 0 && cost["debian-generator"] < generator) generator = cost["debian-generator"]
	printf "%-20s %9s %14s %12s %12s %14s %10s %8s %8s\n", "run", "pkt/s", "us CPU/packet", "relay us/pkt", "relay pkt/CPU-s", "target us/pkt", "of it SRTP", "AES", "HMAC"
	for (i = 1; i <= n; i++) {
		key = order[i]
		relay = cost[key] - generator
		printf "%-20s %9.0f %14.2f %12.2f %12.0f", key, pps[key], cost[key], relay, (relay > 0 ? 1e6 / relay : 0)
		if (key in probe) printf " %14.3f %10.3f %8.3f %8.3f", probe[key] / 1000, probe_srtp[key] / 1000,
			probe_cipher[key] / 1000, probe_hmac[key] / 1000
		printf "\n"
	}
	if (("ours-kernel" in probe) && ("ours-kernel-srtp" in probe))
		printf "ours kernel SRTP vs plain, the target alone (probe): AES-CM %.2fx, GCM %.2fx\n",
			probe["ours-kernel-srtp"] / probe["ours-kernel"],
			("ours-kernel-srtp-gcm" in probe) ? probe["ours-kernel-srtp-gcm"] / probe["ours-kernel"] : 0
	status = 0
	if (cost["ours-userspace"] > 0 && cost["ours-kernel"] > 0) {
		whole = cost["ours-userspace"] / cost["ours-kernel"]
		relay = (cost["ours-userspace"] - generator) / (cost["ours-kernel"] - generator)
		printf "ours kernel vs ours userspace, packets per CPU-second: whole guest %.2fx, relay only %.2fx (target >= 5x) %s\n",
			whole, relay, (relay >= 5 ? "OK" : "MISSED")
		if (relay < 5) status = 1
	} else { print "missing kernel or userspace result"; status = 1 }
	if (cost["debian-kernel"] > 0) {
		whole = cost["debian-kernel"] / cost["ours-kernel"]
		relay = (cost["debian-kernel"] - generator) / (cost["ours-kernel"] - generator)
		printf "ours kernel vs Debian 10.5 kernel module: whole guest %.2fx, relay only %.2fx (target >= 0.9x) %s\n",
			whole, relay, (whole >= 0.9 ? "OK" : "MISSED")
		if (whole < 0.9) status = 1
	} else print "Debian comparison not run"
	if (cost["ours-kernel-srtp"] > 0 && cost["ours-kernel"] > 0) {
		relay = (cost["ours-kernel-srtp"] - generator) / (cost["ours-kernel"] - generator)
		printf "ours kernel SRTP vs ours kernel plain RTP, relay CPU per packet: %.2fx (target <= 1.5x) %s; whole guest %.2fx\n",
			relay, (relay <= 1.5 ? "OK" : "MISSED"), cost["ours-kernel-srtp"] / cost["ours-kernel"]
		if (relay > 1.5) status = 1
		if (cost["ours-kernel-srtp-gcm"] > 0)
			printf "ours kernel SRTP AES-GCM vs ours kernel plain RTP, relay CPU per packet: %.2fx; whole guest %.2fx\n",
				(cost["ours-kernel-srtp-gcm"] - generator) / (cost["ours-kernel"] - generator),
				cost["ours-kernel-srtp-gcm"] / cost["ours-kernel"]
		if (cost["ours-userspace-srtp"] > 0)
			printf "ours kernel SRTP vs ours userspace SRTP, relay only: %.2fx faster\n",
				(cost["ours-userspace-srtp"] - generator) / (cost["ours-kernel-srtp"] - generator)
		if (cost["debian-kernel-srtp"] > 0)
			printf "ours kernel SRTP vs Debian 10.5 kernel SRTP, relay only: %.2fx of its CPU per packet (whole guest %.2fx)\n",
				(cost["ours-kernel-srtp"] - generator) / (cost["debian-kernel-srtp"] - generator),
				cost["ours-kernel-srtp"] / cost["debian-kernel-srtp"]
		if (cost["debian-kernel-srtp-gcm"] > 0 && cost["ours-kernel-srtp-gcm"] > 0)
			printf "ours kernel AES-GCM vs Debian 10.5 kernel AES-GCM, relay only: %.2fx of its CPU per packet (whole guest %.2fx)\n",
				(cost["ours-kernel-srtp-gcm"] - generator) / (cost["debian-kernel-srtp-gcm"] - generator),
				cost["ours-kernel-srtp-gcm"] / cost["debian-kernel-srtp-gcm"]
	} else { print "missing kernel SRTP result"; status = 1 }
	# call recording in the kernel (no target: a figure for tests/bench/README.md)
	split("ours debian", impls, " ")
	for (j = 1; j <= 2; j++) {
		impl = impls[j]
		if (cost[impl "-kernel-recorded"] > 0 && cost[impl "-kernel"] > 0)
			printf "%s kernel recorded vs kernel unrecorded, relay CPU per packet: %.2fx without a reader, %.2fx with one (%.1f / %.1f / %.1f us)\n",
				impl, (cost[impl "-kernel-recorded"] - generator) / (cost[impl "-kernel"] - generator),
				(cost[impl "-kernel-recorded-read"] - generator) / (cost[impl "-kernel"] - generator),
				cost[impl "-kernel"] - generator, cost[impl "-kernel-recorded"] - generator,
				cost[impl "-kernel-recorded-read"] - generator
	}
	exit status
}' "$results"
