#!/bin/sh
# Runs inside the guest VM (started by tests/kernel/run-tests.sh redis): Redis high
# availability with kernel forwarding (docs/redis.md). Exit 0 = every check passed.
#   1. redis-server on the guest's loopback; our daemon (--table=0 --redis) relays a call
#      between two network namespaces, pushes it to the kernel and writes it (latched) to Redis
#   2. kill -9 of the daemon; a standby with the same options restores the call from Redis
#   3. the standby re-creates the kernel targets (fresh counters: not the dead daemon's
#      leftovers), `query` says kernel forwarding, and with the standby SIGSTOPped media still
#      flows both ways through the kernel, whose counters rise by exactly what was sent
#   4. a later delete on the standby removes the targets and the Redis value
#   5. an SDES call in the kernel, SIGTERM: the kernel's SRTP indexes handed back at shutdown
#      are in the Redis value before the daemon exits
# Needs: /tools/rtpengine, /tools/kernel_test_tool, /share/netns.sh, /share/guest-lib.sh,
# /share/guest-sdes.sh, redis-server and
# redis-cli (run-vm --bin), xt_RTPENGINE, libxt_RTPENGINE.
set -eu
. /share/netns.sh
. /share/guest-lib.sh
TOOL=/tools/kernel_test_tool
DAEMON=/tools/rtpengine
NG=127.0.0.1:2223
REDIS_PORT=6390
DB=3
FAILURES=0
DAEMON_PID=
REDIS_PID=

finish() {
	end_process "$DAEMON_PID"
	end_process "$REDIS_PID"
	report_and_exit guest-redis.sh /tmp/active.log /tmp/standby.log
}
start_daemon() {  # start_daemon LOG
	daemon_start "$1" --log-level=7 --table=0 --redis=127.0.0.1:$REDIS_PORT/$DB
}
kernel_packets() { $TOOL all 0 | awk '/packets/ { sum += $3 } END { print sum + 0 }'; }
redis() { redis-cli -p $REDIS_PORT -n $DB "$@"; }
# both RTP streams' learned sources are in the stored value
value_latched() { [ "$(redis GET call1 | grep -o '"learned":"10\.' | wc -l)" -ge 2 ]; }

trap finish EXIT
netns_peer a 1 route
netns_peer b 2 route
modprobe xt_RTPENGINE
iptables -I INPUT -p udp -j RTPENGINE --id 0

step "redis-server on loopback"
redis-server --port $REDIS_PORT --bind 127.0.0.1 --save "" --appendonly no --dir /tmp >/tmp/redis.log 2>&1 &
REDIS_PID=$!
wait_for 50 redis PING || { fail "redis-server does not answer"; cat /tmp/redis.log; finish; }

step "active daemon: call relayed, pushed to the kernel, written to Redis"
start_daemon /tmp/active.log
reply=$($TOOL ng $NG "d7:command5:offer7:call-id5:call18:from-tag4:tag13:sdp$(bencode_string "$(sdp_for 10.1.0.2 5000)")e")
relay_b_port=$(printf '%s' "$reply" | media_port_of)
reply=$($TOOL ng $NG "d7:command6:answer7:call-id5:call18:from-tag4:tag16:to-tag4:tag23:sdp$(bencode_string "$(sdp_for 10.2.0.2 5002)")e")
relay_a_port=$(printf '%s' "$reply" | media_port_of)
[ -n "$relay_a_port" ] && [ -n "$relay_b_port" ] || { fail "no media ports in the replies"; finish; }
A=10.1.0.2:5000; RELAY_A=10.1.0.1:$relay_a_port
B=10.2.0.2:5002; RELAY_B=10.1.0.1:$relay_b_port
$TOOL relay a $A $RELAY_A b $B $RELAY_B 3 || fail "first packets not relayed"
wait_for 50 sh -c '[ "$(grep -c "^target$" /proc/rtpengine/0/list)" -ge 2 ]' || fail "active daemon did not push targets"
wait_for 50 value_latched || fail "the latched call is not in Redis: $(redis GET call1)"
$TOOL relay a $A $RELAY_A b $B $RELAY_B 10 || fail "media through the kernel"
packets_before=$(kernel_packets)
echo "kernel packets before the kill: $packets_before"

step "kill -9, standby restores from Redis"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
start_daemon /tmp/standby.log
grep -q 'Kernel forwarding: ACTIVE on table 0' /tmp/standby.log || fail "standby: no ACTIVE line"
grep -q 'redis: restored 1 call(s)' /tmp/standby.log || fail "standby did not restore the call"
$TOOL relay a $A $RELAY_A b $B $RELAY_B 3 || fail "media stopped after the take-over"

step "the standby re-creates the kernel targets"
wait_for 50 sh -c '[ "$(grep -c "^target$" /proc/rtpengine/0/list)" -ge 2 ]' || fail "standby did not push targets"
packets_after=$(kernel_packets)
echo "kernel packets after the take-over: $packets_after (fresh targets count from zero)"
[ "$packets_after" -lt "$packets_before" ] || fail "the targets are the dead daemon's (counters $packets_after >= $packets_before)"
$TOOL ng $NG 'd7:command5:query7:call-id5:call1e' | grep -q '6:kernel10:forwarding' \
	|| fail "query does not say the restored streams are forwarded in the kernel"

step "standby SIGSTOPped: only the kernel forwards"
before=$(kernel_packets)
kill -STOP "$DAEMON_PID"
$TOOL relay a $A $RELAY_A b $B $RELAY_B 20 || fail "media stopped with the standby stopped"
after=$(kernel_packets)
kill -CONT "$DAEMON_PID"
[ $((after - before)) -eq 40 ] || fail "kernel counters rose by $((after - before)), expected 40"

step "a later delete on the standby: targets and value gone"
$TOOL ng $NG 'd7:command6:delete7:call-id5:call18:from-tag4:tag1e' >/dev/null || fail "delete"
wait_for 50 sh -c '! grep -q "^target$" /proc/rtpengine/0/list' || fail "targets left after delete"
wait_for 50 sh -c "[ \"\$(redis-cli -p $REDIS_PORT -n $DB EXISTS call1)\" = 0 ]" || fail "the value is still in Redis"

step "SIGTERM with SRTP in the kernel: the kernel's last SRTP indexes reach Redis before exit"
# B speaks SDES-SRTP (libsrtp2 in the test tool), A plain RTP; sequences 1..3 in userspace,
# then 4..23 through the kernel alone (daemon stopped: its once-a-second check cannot see
# them); SIGTERM then SIGCONT: the value must end at index 23 both ways (the kernel's
# hand-back), not at 3 (the last write while running)
SUITE=AES_CM_128_HMAC_SHA1_80 CALL=call2
. /share/guest-sdes.sh
reply=$(srtp_offer)
relay_b_port=$(printf '%s' "$reply" | media_port_of)
set -- $(printf '%s' "$reply" | crypto_of $SUITE) - -
crypto_tag=$1; relay_key=$2
b_key=$(new_key)
reply=$(srtp_answer "$crypto_tag" "$b_key")
relay_a_port=$(printf '%s' "$reply" | media_port_of)
[ -n "$relay_a_port" ] && [ -n "$relay_b_port" ] && [ "$relay_key" != - ] || { fail "SDES call: no ports or key"; finish; }
A=10.1.0.2:5010; RELAY_A=10.1.0.1:$relay_a_port
B=10.2.0.2:5012; RELAY_B=10.1.0.1:$relay_b_port
B_SPEC="$SUITE:$b_key:$relay_key"
$TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$B_SPEC" 3 1 || fail "SDES call: first packets (userspace)"
wait_for 50 sh -c '[ "$(grep -c "^    srtp " /proc/rtpengine/0/list)" -ge 2 ]' || fail "SDES call: no SRTP targets in the kernel"
# 0x22222222 (B, decrypted) and 0x11111111 (A, encrypted towards B)
index_of() { redis GET call2 | grep -o "{\"ssrc\":$1,\"rtp\":[0-9]*" | sed 's/.*://' | head -n 1; }
wait_for 50 sh -c "redis-cli -p $REDIS_PORT -n $DB GET call2 | grep -q '\"ssrc\":572662306,\"rtp\":3}'" \
	|| fail "SDES call: the value does not hold B's index 3: $(redis GET call2 | grep -o '"decrypt[^]]*]')"
kill -STOP "$DAEMON_PID"
$TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$B_SPEC" 20 4 || fail "SDES call: media through the kernel"
echo "before SIGTERM: B $(index_of 572662306), A $(index_of 286331153)"
kill -TERM "$DAEMON_PID"
kill -CONT "$DAEMON_PID"
wait "$DAEMON_PID" || true
DAEMON_PID=
echo "after SIGTERM: B $(index_of 572662306), A $(index_of 286331153)"
grep 'written at shutdown' /tmp/standby.log || fail "the daemon did not write its calls at shutdown"
[ "$(index_of 572662306)" = 23 ] || fail "B's (decrypt) index in Redis is $(index_of 572662306), the kernel's last was 23"
[ "$(index_of 286331153)" = 23 ] || fail "A's (encrypt) index in Redis is $(index_of 286331153), the kernel's last was 23"
