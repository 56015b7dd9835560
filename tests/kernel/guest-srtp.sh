#!/bin/sh
# Runs inside the guest VM (started by tests/kernel/run-tests.sh srtp): SRTP in the kernel,
# checked end to end with libsrtp2 at both endpoints. Exit 0 = every check passed.
#   1. every suite libsrtp2 has: plain A <-> SRTP B, both ways, no userspace process
#   2. SRTP on both sides with different keys (decrypt and re-encrypt in one target)
#   3. hand-over: sequence numbers wrap (ROC 1) in the kernel, the state is taken back
#      (delete) and handed to a new target mid-flow: libsrtp2 accepts every packet; without
#      the state it would not (the test can fail)
#   4. authentication failures and replays are dropped and counted per target
#   5. rmmod under SRTP traffic; the kernel log stays clean
# With SRTP_SIMD=1 (run-tests.sh srtp-simd: aesni_intel and sha1_ssse3 loaded, as on a
# host) every AES suite's targets must have taken the CPU's internal "__ctr(aes)" or
# "__gcm(aes)" transform (rtpengine_srtp.c), so the checks above ran that path; run-tests.sh
# loads the module with aes_simd=0 then. With AES_SIMD=1 (run-tests.sh srtp: the module's own
# AES-NI code, rtpengine_aes_simd.c) every 128/256-bit AES suite's targets must have keyed it.
# Needs: xt_RTPENGINE, /tools/kernel_test_tool (with libsrtp2), /share/netns.sh.
set -eu
. /share/netns.sh
. /share/guest-lib.sh
TOOL=/tools/kernel_test_tool
FAILURES=0

# key BYTES: a random master key + salt in base64
key() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
key_bytes() {
	case $1 in
	AES_CM_128*|NULL*) echo 30 ;;
	AES_192*) echo 38 ;;
	AES_256*) echo 46 ;;
	AEAD_AES_128_GCM) echo 28 ;;
	AEAD_AES_256_GCM) echo 44 ;;
	esac
}

A=10.1.0.2:5000; RELAY_A=10.1.0.1:30000
B=10.2.0.2:5002; RELAY_B=10.2.0.1:30002

modprobe xt_RTPENGINE ${MODULE_OPTIONS:-}
echo "add 0" > /proc/rtpengine/control
iptables -I INPUT -p udp -j RTPENGINE --id 0
netns_peer a 1
netns_peer b 2

# AES_192_CM_*: libsrtp2 before 2.7 derives AES-192 session keys with the AES-256 PRF
# (cisco/libsrtp#763, fixed upstream in 2025; Debian 12 has 2.5), so it cannot check our
# RFC 6188 keys; lib/srtp.c's unit tests check those against RFC 6188 section 7.4.
SUITES="AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32
AES_256_CM_HMAC_SHA1_80 AES_256_CM_HMAC_SHA1_32 NULL_HMAC_SHA1_80 NULL_HMAC_SHA1_32 AEAD_AES_128_GCM AEAD_AES_256_GCM"

# simd_refcnt DRIVER: /proc/crypto's reference count of a driver (0: not registered)
simd_refcnt() {
	awk -v driver="$1" '$1 == "driver" { found = ($3 == driver) } found && $1 == "refcnt" { print $3; exit }
		END { if (!found) print 0 }' /proc/crypto
}
aes_simd_keyed() { cat /sys/module/xt_RTPENGINE/parameters/aes_simd_keyed; }
simd_driver() {
	case $1 in AES_*) echo __ctr-aes-aesni ;; AEAD_*) echo __generic-gcm-aesni ;; esac
}

step "every suite: plain A <-> SRTP B in the kernel"
for suite in $SUITES; do
	b_key=$(key "$(key_bytes $suite)")       # B encrypts with this (its SDES key)
	relay_key=$(key "$(key_bytes $suite)")   # we encrypt towards B with this (ours)
	driver=$(simd_driver $suite)
	[ -z "$driver" ] || refcnt_before=$(simd_refcnt $driver)
	keyed_before=$(aes_simd_keyed)
	# A -> B: plain in, encrypted out; B -> A: decrypted, plain out
	$TOOL srtp-add 0 $RELAY_A $RELAY_B $B plain "$suite:$relay_key" || fail "$suite: add A->B"
	$TOOL srtp-add 0 $RELAY_B $RELAY_A $A "$suite:$b_key" plain || fail "$suite: add B->A"
	if [ "${SRTP_SIMD:-0}" = 1 ] && [ -n "$driver" ]; then
		refcnt=$(simd_refcnt $driver)
		[ "$refcnt" -ge $((refcnt_before + 2)) ] ||
			fail "$suite: the targets did not take $driver (refcnt $refcnt_before -> $refcnt)"
	fi
	if [ "${AES_SIMD:-0}" = 1 ] && [ -n "$driver" ]; then
		[ "$(aes_simd_keyed)" -ge $((keyed_before + 2)) ] ||
			fail "$suite: the targets did not key the module's AES-NI code ($keyed_before -> $(aes_simd_keyed))"
	fi
	if $TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$suite:$b_key:$relay_key" 10 100 >/tmp/relay.out 2>&1; then
		echo "$suite: $(cat /tmp/relay.out)"
	else
		fail "$suite: $(cat /tmp/relay.out)"
	fi
	[ "$(counter_of $RELAY_A packets)" = 10 ] || fail "$suite: kernel did not forward A->B"
	[ "$(counter_of $RELAY_B packets)" = 10 ] || fail "$suite: kernel did not forward B->A"
	$TOOL delete 0 $RELAY_A; $TOOL delete 0 $RELAY_B
done
grep -A3 'srtp' /proc/rtpengine/0/list | head -n 3 || true

step "SRTP on both sides with different keys and suites"
a_key=$(key 30); relay_a_key=$(key 30); b_key=$(key 44); relay_b_key=$(key 44)
$TOOL srtp-add 0 $RELAY_A $RELAY_B $B "AES_CM_128_HMAC_SHA1_80:$a_key" "AEAD_AES_256_GCM:$relay_b_key"
$TOOL srtp-add 0 $RELAY_B $RELAY_A $A "AEAD_AES_256_GCM:$b_key" "AES_CM_128_HMAC_SHA1_80:$relay_a_key"
$TOOL srtp-relay a $A $RELAY_A "AES_CM_128_HMAC_SHA1_80:$a_key:$relay_a_key" \
	b $B $RELAY_B "AEAD_AES_256_GCM:$b_key:$relay_b_key" 10 7 || fail "SRTP <-> SRTP"
$TOOL delete 0 $RELAY_A; $TOOL delete 0 $RELAY_B

step "hand-over: ROC 1 in the kernel, taken back and handed to new targets mid-flow"
b_key=$(key 30); relay_key=$(key 30)
cat > /tmp/cycle.sh <<CYCLE
#!/bin/sh
# take both targets' state back (the daemon's delete) and give it to new targets
set -e
$TOOL srtp-delete 0 $RELAY_A > /tmp/state_a
$TOOL srtp-delete 0 $RELAY_B > /tmp/state_b
cat /tmp/state_a /tmp/state_b >&2
$TOOL srtp-add 0 $RELAY_A $RELAY_B $B plain "AES_CM_128_HMAC_SHA1_80:$relay_key" \${STATE:-/tmp/state_a}
$TOOL srtp-add 0 $RELAY_B $RELAY_A $A "AES_CM_128_HMAC_SHA1_80:$b_key" plain \${STATE:-/tmp/state_b}
CYCLE
chmod +x /tmp/cycle.sh
$TOOL srtp-add 0 $RELAY_A $RELAY_B $B plain "AES_CM_128_HMAC_SHA1_80:$relay_key"
$TOOL srtp-add 0 $RELAY_B $RELAY_A $A "AES_CM_128_HMAC_SHA1_80:$b_key" plain
# 65530 + 10: the wrap (ROC 0 -> 1) happens in the first target, the rest in the second
$TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "AES_CM_128_HMAC_SHA1_80:$b_key:$relay_key" \
	20 65530 /tmp/cycle.sh || fail "hand-over lost or broke packets"
grep -q '^encrypt 11111111 65539 ' /tmp/state_a || fail "A->B state: $(cat /tmp/state_a) (expected index 65539 = ROC 1, SEQ 3)"
grep -q '^decrypt 22222222 65539 ' /tmp/state_b || fail "B->A state: $(cat /tmp/state_b)"
index=$($TOOL srtp-delete 0 $RELAY_A | awk '{ print $3 }')
[ "$index" = 65549 ] || fail "after the hand-over the kernel went on to index $index, expected 65549"
$TOOL delete 0 $RELAY_B
# the same without the state: the new targets start at ROC 0 and libsrtp2 must refuse
echo > /tmp/empty
$TOOL srtp-add 0 $RELAY_A $RELAY_B $B plain "AES_CM_128_HMAC_SHA1_80:$relay_key"
$TOOL srtp-add 0 $RELAY_B $RELAY_A $A "AES_CM_128_HMAC_SHA1_80:$b_key" plain
STATE=/tmp/empty expect_fail $TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B \
	"AES_CM_128_HMAC_SHA1_80:$b_key:$relay_key" 20 65530 /tmp/cycle.sh
$TOOL delete 0 $RELAY_A; $TOOL delete 0 $RELAY_B

step "authentication failures and replays: dropped and counted"
b_key=$(key 30); relay_key=$(key 30); wrong_key=$(key 30)
$TOOL srtp-add 0 $RELAY_B $RELAY_A $A "AES_CM_128_HMAC_SHA1_80:$b_key" plain
$TOOL srtp-add 0 $RELAY_A $RELAY_B $B plain "AES_CM_128_HMAC_SHA1_80:$relay_key"
expect_fail $TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "AES_CM_128_HMAC_SHA1_80:$wrong_key:$relay_key" 1 1
[ "$(counter_of $RELAY_B srtp_auth_failures)" = 1 ] || fail "auth failure not counted: $($TOOL counters 0 $RELAY_B)"
[ "$(counter_of $RELAY_B packets)" = 0 ] || fail "a packet with a bad tag was forwarded"
$TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "AES_CM_128_HMAC_SHA1_80:$b_key:$relay_key" 2 50 || fail "good key after bad"
# the same packets again (a fresh libsrtp2 sender protects seq 50 again): replays
expect_fail $TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "AES_CM_128_HMAC_SHA1_80:$b_key:$relay_key" 1 50
[ "$(counter_of $RELAY_B srtp_replays)" -ge 1 ] || fail "replay not counted: $($TOOL counters 0 $RELAY_B)"

step "rmmod under SRTP traffic"
# a flood from A: every packet is encrypted in the kernel on its way to B
$TOOL flood a $A $RELAY_A b $B 3 >/tmp/flood.out 2>&1 &
flood_pid=$!
sleep 1
iptables -D INPUT -p udp -j RTPENGINE --id 0
rmmod xt_RTPENGINE || fail "rmmod under traffic"
wait $flood_pid || true
cat /tmp/flood.out
check_kernel_log

report_and_exit guest-srtp.sh
