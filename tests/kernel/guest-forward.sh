#!/bin/sh
# Runs inside the guest VM (started by tests/kernel/run-tests.sh). Exit 0 = every check passed.
#   guest-forward.sh full   module, tables, iptables rules, IPv4+IPv6 forwarding, /proc
#                           robustness, del/unload with tables in use
#   guest-forward.sh nft    the same rules and IPv4 forwarding through iptables-nft
# Needs: xt_RTPENGINE module (modprobe), libxt_RTPENGINE.so in the xtables directory,
# /tools/kernel_test_tool, /share/netns.sh, /share/guest-lib.sh.
set -eu
. /share/netns.sh
. /share/guest-lib.sh
MODE=${1:-full}
TOOL=/tools/kernel_test_tool
FAILURES=0

A4=10.1.0.2:5000; RELAY_A4=10.1.0.1:30000
B4=10.2.0.2:5002; RELAY_B4=10.2.0.1:30002
A6='[fd01::2]:5000'; RELAY_A6='[fd01::1]:30000'
B6='[fd02::2]:5002'; RELAY_B6='[fd02::1]:30002'

add_ipv4_targets() {
	$TOOL add 0 $RELAY_A4 $A4 $RELAY_B4 $B4 rtp,rtcp -1
	$TOOL add 0 $RELAY_B4 any $RELAY_A4 $A4 rtp,rtcp -1
}

step "load module"
modprobe xt_RTPENGINE
[ -w /proc/rtpengine/control ] || fail "/proc/rtpengine/control missing"
dmesg | grep -q 'xt_RTPENGINE: loaded, ABI version' || fail "no load line in dmesg"

step "table add/del"
echo "add 0" > /proc/rtpengine/control
[ -d /proc/rtpengine/0 ] || fail "table 0 not created"
grep -q '^abi-version 4$' /proc/rtpengine/0/status || fail "status lacks abi-version"
expect_fail sh -c 'echo "add 0" > /proc/rtpengine/control'
expect_fail sh -c 'echo "add 256" > /proc/rtpengine/control'
expect_fail sh -c 'echo "del 7" > /proc/rtpengine/control'
echo "add 7" > /proc/rtpengine/control
echo "del 7" > /proc/rtpengine/control
[ ! -e /proc/rtpengine/7 ] || fail "table 7 still there after del"
$TOOL open 0 >/dev/null || fail "kernel_table_open on existing table"
$TOOL open 9 >/dev/null || fail "kernel_table_open creating table 9"
[ -d /proc/rtpengine/9 ] || fail "kernel_table_open did not create table 9"

step "iptables rules ($(readlink -f "$(command -v iptables)" 2>/dev/null || echo iptables))"
iptables -I INPUT -p udp -j RTPENGINE --id 0
ip6tables -I INPUT -p udp -j RTPENGINE --id 0
iptables -S INPUT | grep -q -- '-j RTPENGINE --id 0' || fail "iptables -S does not print the rule"
ip6tables -S INPUT | grep -q -- '-j RTPENGINE --id 0' || fail "ip6tables -S does not print the rule"
iptables -L INPUT -n | grep -q 'RTPENGINE id:0' || fail "iptables -L does not print the rule"
expect_fail iptables -I INPUT -p udp -j RTPENGINE
expect_fail iptables -I INPUT -p udp -j RTPENGINE --id 256
expect_fail iptables -I INPUT -p udp -j RTPENGINE --id foo
expect_fail iptables -I INPUT -p tcp -j RTPENGINE --id 0

step "network namespaces"
# A (10.1.0.2, fd01::2) and B (10.2.0.2, fd02::2); the relay addresses are the root ends
netns_peer a 1 ipv6
netns_peer b 2 ipv6

step "no target: nothing is forwarded (the test can fail)"
expect_fail $TOOL relay a $A4 $RELAY_A4 b $B4 $RELAY_B4 1

step "IPv4 forwarding in the kernel, no userspace process"
add_ipv4_targets
$TOOL relay a $A4 $RELAY_A4 b $B4 $RELAY_B4 20 || fail "IPv4 relay"
[ "$(counter_of $RELAY_A4 packets)" = 20 ] || fail "A-side packets counter: $(counter_of $RELAY_A4 packets)"
[ "$(counter_of $RELAY_B4 packets)" = 20 ] || fail "B-side packets counter: $(counter_of $RELAY_B4 packets)"
[ "$(counter_of $RELAY_A4 bytes)" = 3440 ] || fail "A-side bytes counter (20 x 172 bytes of UDP payload)"
$TOOL counters 0 $RELAY_A4 | grep -q 'ssrc 11111111:20 pt 0:20' || fail "per-SSRC/payload type counters"
$TOOL all 0 | grep -q '^targets 2$' || fail "bulk counters read"
grep -q 'local *10.1.0.1:30000' /proc/rtpengine/0/list || fail "list lacks the target"
grep -q '^targets 2$' /proc/rtpengine/0/status || fail "status target count"

if [ "$MODE" = full ]; then
	step "wrong source goes up to userspace (passed_up), not forwarded"
	ip -n a addr add 10.1.0.3/24 dev a0
	expect_fail $TOOL relay a 10.1.0.3:5000 $RELAY_A4 b $B4 $RELAY_B4 1
	[ "$(counter_of $RELAY_A4 passed_up)" -ge 1 ] || fail "passed_up after a foreign source"

	step "strict source: a foreign source is dropped and counted as an error"
	$TOOL add 0 10.1.0.1:30020 10.1.0.2:5020 10.2.0.1:30022 10.2.0.2:5022 rtp,strict -1
	$TOOL add 0 10.2.0.1:30022 any 10.1.0.1:30020 10.1.0.2:5020 rtp -1
	$TOOL relay a 10.1.0.2:5020 10.1.0.1:30020 b 10.2.0.2:5022 10.2.0.1:30022 2 || fail "strict target relay"
	expect_fail $TOOL relay a 10.1.0.3:5020 10.1.0.1:30020 b 10.2.0.2:5022 10.2.0.1:30022 1
	[ "$(counter_of 10.1.0.1:30020 errors)" -ge 1 ] || fail "strict source drop not counted"
	[ "$(counter_of 10.1.0.1:30020 passed_up)" = 0 ] || fail "strict source packet passed up"

	step "STUN and DTLS (RFC 7983: first byte 0..3, 20..63) always go up, even to an any-UDP target"
	$TOOL add 0 10.1.0.1:30030 any 10.2.0.1:30032 10.2.0.2:5032 none -1
	for first in 0 1 3 20 22 63; do $TOOL send a 10.1.0.2:5030 10.1.0.1:30030 $first 1; done
	$TOOL send a 10.1.0.2:5030 10.1.0.1:30030 64 1
	wait_for_passed_up() { tries=20; while [ "$(counter_of 10.1.0.1:30030 passed_up)" != 6 ] && [ $tries -gt 0 ]; do tries=$((tries - 1)); sleep 0.1; done; }
	wait_for_passed_up
	[ "$(counter_of 10.1.0.1:30030 passed_up)" = 6 ] || fail "STUN/DTLS not passed up: $($TOOL counters 0 10.1.0.1:30030)"
	[ "$(counter_of 10.1.0.1:30030 packets)" = 1 ] || fail "other UDP (first byte 64) not forwarded by an any-UDP target"
	$TOOL delete 0 10.1.0.1:30030

	step "payload check: RTP to an RTCP-only target goes up, not forwarded"
	$TOOL add 0 10.1.0.1:30020 any 10.2.0.1:30022 10.2.0.2:5022 rtcp -1
	expect_fail $TOOL relay a 10.1.0.2:5020 10.1.0.1:30020 b 10.2.0.2:5022 10.2.0.1:30022 1
	[ "$(counter_of 10.1.0.1:30020 passed_up)" -ge 1 ] || fail "RTP to an RTCP-only target not passed up"

	step "tables are separate: a target in table 9 does nothing for rules of table 0"
	$TOOL add 9 10.1.0.1:30030 any 10.2.0.1:30032 10.2.0.2:5032 rtp -1
	$TOOL add 9 10.2.0.1:30032 any 10.1.0.1:30030 10.1.0.2:5030 rtp -1
	expect_fail $TOOL relay a 10.1.0.2:5030 10.1.0.1:30030 b 10.2.0.2:5032 10.2.0.1:30032 1

	step "update keeps counters"
	$TOOL add 0 $RELAY_A4 $A4 $RELAY_B4 $B4 rtp,rtcp 184
	[ "$(counter_of $RELAY_A4 packets)" = 20 ] || fail "counters lost on update"
	$TOOL relay a $A4 $RELAY_A4 b $B4 $RELAY_B4 5 || fail "relay after update"

	step "IPv6 forwarding"
	$TOOL add 0 "$RELAY_A6" "$A6" "$RELAY_B6" "$B6" rtp -1
	$TOOL add 0 "$RELAY_B6" any "$RELAY_A6" "$A6" rtp -1
	$TOOL relay a "$A6" "$RELAY_A6" b "$B6" "$RELAY_B6" 20 || fail "IPv6 relay"
	[ "$(counter_of "$RELAY_A6" packets)" = 20 ] || fail "IPv6 counter"

	step "IPv4 in, IPv6 out"
	$TOOL add 0 10.1.0.1:30010 any "[fd02::1]:30012" "[fd02::2]:5012" rtp -1
	$TOOL add 0 "[fd02::1]:30012" any 10.1.0.1:30010 10.1.0.2:5010 rtp -1
	$TOOL relay a 10.1.0.2:5010 10.1.0.1:30010 b "[fd02::2]:5012" "[fd02::1]:30012" 5 || fail "IPv4<->IPv6 relay"

	step "delete: the target is gone"
	$TOOL delete 0 "$RELAY_A6" || fail "delete"
	expect_fail $TOOL delete 0 "$RELAY_A6"
	expect_fail $TOOL relay a "$A6" "$RELAY_A6" b "$B6" "$RELAY_B6" 1

	step "invalid targets are refused"
	expect_fail $TOOL add 0 10.1.0.1:30050 any 10.2.0.1:30052 10.1.0.1:30050 rtp -1
	expect_fail $TOOL add 0 10.1.0.1:30050 "[fd01::2]:5000" 10.2.0.1:30052 10.2.0.2:5052 rtp -1
	expect_fail $TOOL add 0 10.1.0.1:30050 any 10.2.0.1:30052 "[fd02::2]:5052" rtp -1
	expect_fail $TOOL add 0 10.1.0.1:30050 any 10.2.0.1:30052 10.2.0.2:0 rtp -1

	step "ABI version mismatch is refused"
	$TOOL abi-mismatch 0 || fail "a record with another ABI version was accepted"
	dmesg | grep -q 'ABI version mismatch' || fail "no log line for the ABI mismatch"

	step "robustness: random and truncated /proc writes"
	$TOOL fuzz 0 4000 12345 || fail "fuzz tool"
	$TOOL fuzz 9 2000 777 || fail "fuzz tool table 9"
	head -c 100000 /dev/urandom > /tmp/random.bin
	dd if=/tmp/random.bin of=/proc/rtpengine/0/control bs=208 count=5 2>/dev/null && fail "random records accepted"
	dd if=/tmp/random.bin of=/proc/rtpengine/control bs=4096 count=1 2>/dev/null && fail "random table command accepted"
	cat /proc/rtpengine/0/list /proc/rtpengine/0/status /proc/rtpengine/0/counters >/dev/null
	[ -z "$(cat /proc/rtpengine/0/control)" ] || fail "control read without a query returned data"
	# the fuzzer may have deleted or replaced our IPv4 targets: re-add, forwarding must work
	add_ipv4_targets
	$TOOL relay a $A4 $RELAY_A4 b $B4 $RELAY_B4 10 || fail "relay after robustness writes"

	step "targets replaced and deleted while packets flow (RCU)"
	$TOOL flood a $A4 $RELAY_A4 b $B4 3 >/tmp/flood.out 2>&1 &
	flood_pid=$!
	i=0
	while [ $i -lt 60 ]; do
		$TOOL add 0 $RELAY_A4 $A4 $RELAY_B4 $B4 rtp,rtcp $((i % 4 * 32))
		[ $((i % 3)) -ne 0 ] || $TOOL delete 0 $RELAY_A4
		i=$((i + 1))
	done
	wait $flood_pid || true
	cat /tmp/flood.out
	add_ipv4_targets

	step "del refuses while a daemon has the table open"
	exec 3<>/proc/rtpengine/0/control
	expect_fail sh -c 'echo "del 0" > /proc/rtpengine/control'
	exec 3>&-
	grep -q '^control-users 0$' /proc/rtpengine/0/status || fail "control-users after close"
fi

check_kernel_log

step "unload with tables, targets, open /proc files and packets in flight"
$TOOL flood a $A4 $RELAY_A4 b $B4 2 >/tmp/flood.out 2>&1 &
flood_pid=$!
sleep 0.5
exec 4</proc/rtpengine/0/status
exec 3<>/proc/rtpengine/0/control
iptables -D INPUT -p udp -j RTPENGINE --id 0
ip6tables -D INPUT -p udp -j RTPENGINE --id 0
rmmod xt_RTPENGINE || fail "rmmod"
# the module closed our files under us: further writes fail, nothing crashes
if printf 'x' >&3 2>/dev/null; then fail "write to a control file after unload succeeded"; fi
exec 3>&- 4<&-
wait $flood_pid || true
[ ! -e /proc/rtpengine ] || fail "/proc/rtpengine left behind"
modprobe xt_RTPENGINE && rmmod xt_RTPENGINE || fail "reload"
check_kernel_log

report_and_exit "guest-forward.sh $MODE"
