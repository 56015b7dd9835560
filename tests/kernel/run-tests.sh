#!/bin/bash
# Kernel forwarding tests: builds xt_RTPENGINE.ko against Debian's 6.1 headers, the
# iptables extension and the test tool, then boots throw-away guests with the kvm harness
# (../shared/kvm relative to the repository root) and runs tests/kernel/guest-*.sh inside.
#   tests/kernel/run-tests.sh                   all guest runs
#   tests/kernel/run-tests.sh legacy|nft|srtp|daemon|quality|redis|recording one of them:
#     legacy  module, tables, rules, IPv4/IPv6 forwarding, /proc robustness (iptables-legacy)
#     nft     rules and IPv4 forwarding through iptables-nft (nft_compat)
#     srtp    SRTP in the kernel against libsrtp2: every suite, hand-over, drops, rmmod, AES
#             by the module's own AES-NI code (rtpengine_aes_simd.c)
#     srtp-simd  the same with aesni_intel and sha1_ssse3 loaded and aes_simd=0 (the CPU's
#             internal transforms through the crypto API)
#     srtp-generic  the same with aes_simd=0 and no CPU modules (the generic C transforms)
#     daemon  our daemon with --table=0: call relayed in the kernel, SIGSTOP proof, delete
#     redis   Redis HA: kill -9, the standby restores the call into the kernel (redis-server in the guest)
#     quality the relay's RTP figures and MOS of a call with loss and jitter: kernel = userspace
#     recording  a call recorded through the kernel's /proc streams, read by Debian's
#             rtpengine-recording (if installed on the host) and ours into WAV files
#     recording-more  kernel recording of SRTP and IPv6 calls, pause/start, queue overflow
#             counted in the daemon's statistics
#     rekey-loop  (only when named) SDES calls re-keyed and deleted in a loop: no target may
#             outlive its call (ITERATIONS, default 30)
#     recording-debian  (only when named) Debian's 10.5 daemon, module and reader alone on the
#             same call, as a reference for the mixed file's length (not in "all")
# RTPENGINE_BINARY picks the daemon (default: build/release/rtpengine, built with make).
# Exit status: 0 = all passed.
set -euo pipefail
ROOT=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
KVM=${KVM:-$ROOT/../shared/kvm}
OUT=$ROOT/build/kernel-tests
SELECTED=${1:-all}
CFLAGS="-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -O2 -g"
XTABLES_DIR=$(pkg-config --variable=xtlibdir xtables)

[ -x "$KVM/run-vm" ] || { echo "kvm harness not found at $KVM" >&2; exit 1; }
if ! "$KVM/setup" --check >/dev/null 2>&1; then
	echo "== installing what the kvm harness needs ($KVM/setup)"
	"$KVM/setup" || { echo "kvm harness setup failed" >&2; exit 1; }
fi
mkdir -p "$OUT/guest"
# The guest scripts source netns.sh, guest-lib.sh and guest-sdes.sh (and run guest-rekey.sh)
# from a shared folder (--share, /share in the guest), not from a --file copy: run-vm hands every --file to ldd in one batch, and ldd's failure
# on a shell script loses the libraries of the whole batch (our daemon would not start).
cp "$ROOT/tests/kernel/netns.sh" "$ROOT/tests/kernel/guest-lib.sh" "$ROOT/tests/kernel/guest-sdes.sh" \
	"$ROOT/tests/kernel/guest-rekey.sh" "$OUT/guest/"

echo "== building module"
ko=$("$KVM/build-module" --copy "$ROOT/kernel-module" | grep '/xt_RTPENGINE.ko$')
trap 'rm -rf "$(dirname "$ko")"' EXIT
echo "== building iptables extension and test tool"
make -s -C "$ROOT/iptables-extension"
gcc $CFLAGS -I"$ROOT/lib" -I"$ROOT/daemon" -I"$ROOT/kernel-module" -o "$OUT/kernel_test_tool" \
	"$ROOT/tests/kernel/kernel_test_tool.c" "$ROOT/daemon/kernel.c" -lsrtp2 -lcrypto

# call recording in the kernel: its own tool, independent of the forwarding tool
gcc $CFLAGS -I"$ROOT/kernel-module" -o "$OUT/recording_test_tool" "$ROOT/tests/kernel/recording_test_tool.c" -lm -lsrtp2
if [ "$SELECTED" = all ] || [ "$SELECTED" = daemon ] || [ "$SELECTED" = quality ] || [ "$SELECTED" = redis ] || [ "$SELECTED" = recording ] || [ "$SELECTED" = recording-more ] || [ "$SELECTED" = rekey-loop ]; then
	if [ -z "${RTPENGINE_BINARY:-}" ]; then
		echo "== building the daemon"
		make -s -C "$ROOT" build/release/rtpengine
		RTPENGINE_BINARY=$ROOT/build/release/rtpengine
	fi
fi

# run_guest IPTABLES [run-vm options] -- SCRIPT ARGS
run_guest() {
	local iptables=$1; shift
	echo "== guest: iptables-$iptables: $*"
	"$KVM/run-vm" --quiet --timeout "${KERNEL_TEST_TIMEOUT:-120}" --iptables "$iptables" --module "$ko" \
		--file "$ROOT/iptables-extension/libxt_RTPENGINE.so:$XTABLES_DIR/libxt_RTPENGINE.so" \
		--file "$OUT/kernel_test_tool:/tools/kernel_test_tool" \
		--share "$OUT/guest" \
		"$@"
}

# libsrtp2 (the test tool's SRTP endpoints) is built on NSS, which dlopen()s its token and
# freebl: ldd does not see them
nss=/usr/lib/x86_64-linux-gnu
NSS_FILES=(--file "$nss/libsoftokn3.so:$nss/libsoftokn3.so" --file "$nss/libfreeblpriv3.so:$nss/libfreeblpriv3.so")

failed=0
start=$SECONDS
if [ "$SELECTED" = all ] || [ "$SELECTED" = legacy ]; then
	run_guest legacy -- "$ROOT/tests/kernel/guest-forward.sh" full || { echo "FAILED: legacy"; failed=1; }
fi
if [ "$SELECTED" = all ] || [ "$SELECTED" = nft ]; then
	run_guest nft -- "$ROOT/tests/kernel/guest-forward.sh" nft || { echo "FAILED: nft"; failed=1; }
fi
if [ "$SELECTED" = all ] || [ "$SELECTED" = srtp ]; then
	run_guest legacy --env AES_SIMD=1 "${NSS_FILES[@]}" -- "$ROOT/tests/kernel/guest-srtp.sh" ||
		{ echo "FAILED: srtp"; failed=1; }
fi
# the same with the CPU's AES and SHA-1 modules loaded, as a host loads them, and the module's
# own AES-NI code off: the crypto API's internal SIMD transforms (rtpengine_srtp.c)
if [ "$SELECTED" = all ] || [ "$SELECTED" = srtp-simd ]; then
	run_guest legacy --load aesni_intel --load sha1_ssse3 --env SRTP_SIMD=1 --env MODULE_OPTIONS=aes_simd=0 \
		"${NSS_FILES[@]}" -- "$ROOT/tests/kernel/guest-srtp.sh" || { echo "FAILED: srtp-simd"; failed=1; }
fi
# and neither: the generic C transforms (a CPU without AES-NI)
if [ "$SELECTED" = all ] || [ "$SELECTED" = srtp-generic ]; then
	run_guest legacy --env MODULE_OPTIONS=aes_simd=0 "${NSS_FILES[@]}" -- "$ROOT/tests/kernel/guest-srtp.sh" ||
		{ echo "FAILED: srtp-generic"; failed=1; }
fi
if [ "$SELECTED" = all ] || [ "$SELECTED" = daemon ]; then
	run_guest legacy "${NSS_FILES[@]}" --file "$RTPENGINE_BINARY:/tools/rtpengine" -- "$ROOT/tests/kernel/guest-daemon.sh" \
		|| { echo "FAILED: daemon"; failed=1; }
fi
# Redis high availability: redis-server and redis-cli from the host (Debian's redis-server package)
if [ "$SELECTED" = all ] || [ "$SELECTED" = redis ]; then
	if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
		run_guest legacy "${NSS_FILES[@]}" --bin redis-server --bin redis-cli --file "$RTPENGINE_BINARY:/tools/rtpengine" \
			-- "$ROOT/tests/kernel/guest-redis.sh" || { echo "FAILED: redis"; failed=1; }
	else
		echo "== SKIPPED: redis (redis-server or redis-cli not installed)"
	fi
fi
if [ "$SELECTED" = all ] || [ "$SELECTED" = quality ]; then
	run_guest legacy --file "$RTPENGINE_BINARY:/tools/rtpengine" -- "$ROOT/tests/kernel/guest-quality.sh" \
		|| { echo "FAILED: quality"; failed=1; }
fi
if [ "$SELECTED" = all ] || [ "$SELECTED" = recording ]; then
	RECORDER=${RTPENGINE_RECORDING_BINARY:-$(dirname "$RTPENGINE_BINARY")/rtpengine-recording}
	[ -x "$RECORDER" ] || make -s -C "$ROOT" build/release/rtpengine-recording
	# Debian's 10.5 reader (package rtpengine-recording-daemon) when the host has it
	DEBIAN_RECORDER=()
	[ -x /usr/bin/rtpengine-recording ] && DEBIAN_RECORDER=(--file /usr/bin/rtpengine-recording:/tools/debian-rtpengine-recording)
	run_guest legacy --timeout 240 --file "$RTPENGINE_BINARY:/tools/rtpengine" --file "$RECORDER:/tools/rtpengine-recording" \
		"${DEBIAN_RECORDER[@]}" --file "$OUT/recording_test_tool:/tools/recording_test_tool" \
		-- "$ROOT/tests/kernel/guest-recording.sh" || { echo "FAILED: recording"; failed=1; }
fi
# call recording in the kernel, continued: SRTP (libsrtp2 sender: NSS files), IPv6, pause, overflow
if [ "$SELECTED" = all ] || [ "$SELECTED" = recording-more ]; then
	RECORDER=${RTPENGINE_RECORDING_BINARY:-$(dirname "$RTPENGINE_BINARY")/rtpengine-recording}
	[ -x "$RECORDER" ] || make -s -C "$ROOT" build/release/rtpengine-recording
	run_guest legacy --timeout 300 "${NSS_FILES[@]}" --file "$RTPENGINE_BINARY:/tools/rtpengine" \
		--file "$RECORDER:/tools/rtpengine-recording" --file "$OUT/recording_test_tool:/tools/recording_test_tool" \
		-- "$ROOT/tests/kernel/guest-recording-more.sh" || { echo "FAILED: recording-more"; failed=1; }
fi
if [ "$SELECTED" = rekey-loop ]; then
	run_guest legacy --timeout 600 "${NSS_FILES[@]}" --file "$RTPENGINE_BINARY:/tools/rtpengine" \
		--env "ITERATIONS=${ITERATIONS:-30}" -- "$ROOT/tests/kernel/guest-rekey-loop.sh" || { echo "FAILED: rekey-loop"; failed=1; }
fi
# Debian's 10.5 alone (its module from rtpengine-kernel-dkms, as run-bench.sh fetches it)
if [ "$SELECTED" = recording-debian ]; then
	debian_root=$OUT/debian/root
	if [ ! -f "$debian_root$XTABLES_DIR/libxt_RTPENGINE.so" ]; then
		mkdir -p "$OUT/debian"
		(cd "$OUT/debian" && apt-get download rtpengine-kernel-dkms rtpengine-iptables >/dev/null 2>&1 &&
			for deb in *.deb; do dpkg-deb -x "$deb" root; done) || echo "could not fetch Debian's packages"
	fi
	debian_source=$(ls -d "$debian_root"/usr/src/rtpengine-* 2>/dev/null | head -n 1 || true)
	debian_ko=
	[ -z "$debian_source" ] || debian_ko=$("$KVM/build-module" --copy "$debian_source" 2>/dev/null | grep '/xt_RTPENGINE.ko$' || true)
	if [ -n "$debian_ko" ] && [ -x /usr/bin/rtpengine ] && [ -x /usr/bin/rtpengine-recording ]; then
		"$KVM/run-vm" --quiet --timeout 240 --iptables legacy --module "$debian_ko" \
			--file "$debian_root$XTABLES_DIR/libxt_RTPENGINE.so:$XTABLES_DIR/libxt_RTPENGINE.so" \
			--file "$OUT/kernel_test_tool:/tools/kernel_test_tool" --share "$OUT/guest" \
			--bin /usr/bin/rtpengine --bin /usr/bin/rtpengine-recording \
			--file "$OUT/recording_test_tool:/tools/recording_test_tool" "${NSS_FILES[@]}" \
			-- "$ROOT/tests/kernel/guest-recording-debian.sh" || { echo "FAILED: recording-debian"; failed=1; }
		rm -rf "$(dirname "$debian_ko")"
	else
		echo "== SKIPPED: recording-debian (Debian's module, daemon or rtpengine-recording missing)"
	fi
fi
echo "== kernel tests: $([ $failed = 0 ] && echo passed || echo FAILED) in $((SECONDS - start)) s"
exit $failed
