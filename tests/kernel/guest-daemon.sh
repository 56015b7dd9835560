#!/bin/sh
# Runs inside the guest VM (started by tests/kernel/run-tests.sh): our daemon with
# --table=0 relays a call between two network namespaces, and the media must take the
# kernel path. Exit 0 = every check passed.
#   1. without the module: one loud "NOT ACTIVE" line; --no-fallback refuses to start
#   2. with the module: offer/answer over ng, media latches in userspace, the daemon pushes
#      both directions to table 0 (targets appear in /proc/rtpengine/0/list)
#   3. black-box proof: SIGSTOP the daemon; media still flows both ways (only the kernel can
#      forward it then) and the kernel counters rise by exactly what was sent
#   4. SIGCONT, delete: the targets are gone and nothing is forwarded any more
# Needs: /tools/rtpengine (our daemon), /tools/kernel_test_tool, /share/netns.sh,
# /share/guest-lib.sh, /share/guest-sdes.sh, /share/guest-rekey.sh, xt_RTPENGINE, libxt_RTPENGINE.
set -eu
. /share/netns.sh
. /share/guest-lib.sh
TOOL=/tools/kernel_test_tool
DAEMON=/tools/rtpengine
NG=127.0.0.1:2223
FAILURES=0
DAEMON_PID=

finish() {
	end_process "$DAEMON_PID"
	report_and_exit guest-daemon.sh /tmp/daemon.log
}
start_daemon() { daemon_start /tmp/daemon.log --log-level=7 "$@"; }

trap finish EXIT
# A (10.1.0.2) and B (10.2.0.2); the daemon listens on 10.1.0.1 only: B reaches it
# through the root namespace
netns_peer a 1 route
netns_peer b 2 route

step "without the module: loud fallback line, --no-fallback refuses"
start_daemon --table=0
grep -q 'Kernel forwarding: NOT ACTIVE' /tmp/daemon.log || fail "no NOT ACTIVE line without the module"
daemon_stop
if $DAEMON --config-file=none --foreground --log-stderr -i 10.1.0.1 -n $NG --table=0 --no-fallback \
	>/tmp/nofallback.log 2>&1; then
	fail "--no-fallback started without the module"
fi
grep -q 'REQUIRED' /tmp/nofallback.log || fail "--no-fallback gave no reason"

step "module, table and iptables rule"
modprobe xt_RTPENGINE
iptables -I INPUT -p udp -j RTPENGINE --id 0
# a target left behind by an earlier daemon must not survive the next start
$TOOL add 0 10.1.0.1:40000 any 10.1.0.1:40002 10.2.0.2:5999 rtp -1
start_daemon --table=0
grep -q 'Kernel forwarding: ACTIVE on table 0' /tmp/daemon.log || fail "no ACTIVE line"
[ -d /proc/rtpengine/0 ] || fail "daemon did not create table 0"
[ "$(target_count)" = 0 ] || fail "stale target survived the daemon's start"

step "offer/answer"
offer_sdp=$(sdp_for 10.1.0.2 5000)
reply=$($TOOL ng $NG "d7:command5:offer7:call-id5:call18:from-tag4:tag13:sdp$(bencode_string "$offer_sdp")e")
relay_b_port=$(printf '%s' "$reply" | media_port_of)
answer_sdp=$(sdp_for 10.2.0.2 5002)
reply=$($TOOL ng $NG "d7:command6:answer7:call-id5:call18:from-tag4:tag16:to-tag4:tag23:sdp$(bencode_string "$answer_sdp")e")
relay_a_port=$(printf '%s' "$reply" | media_port_of)
echo "relay ports: A sends to $relay_a_port, B sends to $relay_b_port"
[ -n "$relay_a_port" ] && [ -n "$relay_b_port" ] || { fail "no media ports in the replies"; finish; }
A=10.1.0.2:5000; RELAY_A=10.1.0.1:$relay_a_port
B=10.2.0.2:5002; RELAY_B=10.1.0.1:$relay_b_port

step "media latches (userspace first), then the daemon pushes both directions to the kernel"
$TOOL relay a $A $RELAY_A b $B $RELAY_B 3 || fail "first packets not relayed"
wait_for 50 sh -c '[ "$(grep -c "^target$" /proc/rtpengine/0/list)" -ge 2 ]' || fail "daemon did not push targets"
echo "targets in table 0: $(target_count)"
cat /proc/rtpengine/0/list

step "SIGSTOP the daemon: only the kernel can forward now"
user_before=$(statistic relayedpackets_user)
kernel_stat_before=$(statistic relayedpackets_kernel)
before=$($TOOL all 0 | awk '/packets/ { sum += $3 } END { print sum + 0 }')
kill -STOP "$DAEMON_PID"
$TOOL relay a $A $RELAY_A b $B $RELAY_B 20 || fail "media stopped with the daemon stopped"
after=$($TOOL all 0 | awk '/packets/ { sum += $3 } END { print sum + 0 }')
[ $((after - before)) -eq 40 ] || fail "kernel counters rose by $((after - before)), expected 40"
kill -CONT "$DAEMON_PID"

step "the daemon's statistics: kernel counters rose, userspace counters did not"
expected=$((kernel_stat_before + 40))
tries=50  # the daemon pulls the kernel counters about once a second
while [ "$(statistic relayedpackets_kernel)" -lt "$expected" ] && [ "$tries" -gt 0 ]; do
	tries=$((tries - 1)); sleep 0.1
done
kernel_stat_after=$(statistic relayedpackets_kernel)
user_after=$(statistic relayedpackets_user)
echo "daemon statistics: kernel $kernel_stat_before -> $kernel_stat_after, userspace $user_before -> $user_after"
[ "$kernel_stat_after" -ge "$expected" ] || fail "daemon's kernel packet count did not rise by 40"
[ "$user_after" = "$user_before" ] || fail "daemon's userspace packet count changed while the kernel forwarded"

step "query reports kernel forwarding"
reply=$($TOOL ng $NG 'd7:command5:query7:call-id5:call1e')
echo "$reply" | grep -q '6:kernel10:forwarding' || fail "query does not say the streams are forwarded in the kernel"

step "delete: targets gone, nothing forwarded"
$TOOL ng $NG 'd7:command6:delete7:call-id5:call18:from-tag4:tag1e' >/dev/null || fail "delete"
wait_for 50 sh -c '! grep -q "^target$" /proc/rtpengine/0/list' || fail "targets left after delete"
kill -STOP "$DAEMON_PID"
if $TOOL relay a $A $RELAY_A b $B $RELAY_B 1 >/dev/null 2>&1; then fail "forwarded after delete"; fi
kill -CONT "$DAEMON_PID"

step "SDES call: plain A, RTP/SAVP B; with the daemon stopped the kernel decrypts and encrypts"
. /share/guest-sdes.sh
reply=$(srtp_offer)
relay_b_port=$(printf '%s' "$reply" | media_port_of)
set -- $(printf '%s' "$reply" | crypto_of $SUITE)
tag=${1:-}; relay_key=${2:-}
b_key=$(new_key)
reply=$(srtp_answer "$tag" "$b_key")
relay_a_port=$(printf '%s' "$reply" | media_port_of)
echo "SDES: tag $tag, A sends to $relay_a_port, B (SRTP) sends to $relay_b_port"
if [ -z "$relay_key" ] || [ -z "$relay_a_port" ] || [ -z "$relay_b_port" ]; then
	fail "SDES offer/answer gave no key or ports"; finish
fi
A=10.1.0.2:5010; RELAY_A=10.1.0.1:$relay_a_port
B=10.2.0.2:5012; RELAY_B=10.1.0.1:$relay_b_port
B_SPEC="$SUITE:$b_key:$relay_key"
$TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$B_SPEC" 3 1 || fail "first SRTP packets not relayed (userspace)"
wait_for 50 sh -c '[ "$(grep -c "^    srtp " /proc/rtpengine/0/list)" -ge 2 ]' || fail "daemon did not push the SRTP targets"
cat /proc/rtpengine/0/list
srtp_dropped_before=$(statistic droppedsrtp)
kill -STOP "$DAEMON_PID"
$TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$B_SPEC" 20 4 || fail "SRTP media stopped with the daemon stopped"
kill -CONT "$DAEMON_PID"
reply=$($TOOL ng $NG 'd7:command5:query7:call-id4:srtpe')
echo "$reply" | grep -q '6:kernel10:forwarding' || fail "query does not say the SRTP streams are in the kernel"

step "re-INVITE with a new key mid-flow: no loss, no authentication failure"
$TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$B_SPEC" 40 30 "sh /share/guest-rekey.sh" || fail "packets lost or refused across the re-key"
wait_for 50 sh -c '[ "$(grep -c "^    srtp " /proc/rtpengine/0/list)" -ge 2 ]' || fail "SRTP targets not back in the kernel after the re-key"
if $TOOL all 0 | grep -q srtp_auth_failures; then fail "the kernel counted authentication failures: $($TOOL all 0)"; fi
wait_for 30 sh -c "[ \"\$($TOOL ng $NG 'd7:command10:statisticse' | sed -n 's/.*11:droppedsrtpi\([0-9]*\)e.*/\1/p')\" = \"$srtp_dropped_before\" ]" \
	|| fail "the daemon dropped SRTP packets: droppedsrtp $srtp_dropped_before -> $(statistic droppedsrtp)"
$TOOL ng $NG 'd7:command6:delete7:call-id4:srtp8:from-tag4:tagAe' >/dev/null || fail "delete SRTP call"
wait_for 50 sh -c '! grep -q "^target$" /proc/rtpengine/0/list' || { fail "SRTP targets left after delete"; cat /proc/rtpengine/0/list; tail -n 30 /tmp/daemon.log; }

step "SDES calls with other suites (the daemon's key derivation for GCM, AES-256, NULL), daemon stopped"
for suite in AEAD_AES_256_GCM AEAD_AES_128_GCM AES_256_CM_HMAC_SHA1_32 NULL_HMAC_SHA1_80; do
	export SUITE=$suite CALL=call-$suite
	reply=$(srtp_offer)
	relay_b_port=$(printf '%s' "$reply" | media_port_of)
	set -- $(printf '%s' "$reply" | crypto_of $SUITE)
	relay_key=${2:-}
	key=$(new_key)
	reply=$(srtp_answer "${1:-0}" "$key")
	relay_a_port=$(printf '%s' "$reply" | media_port_of)
	[ -n "$relay_key" ] && [ -n "$relay_a_port" ] || { fail "$suite: no SDES offer/answer"; continue; }
	RELAY_A=10.1.0.1:$relay_a_port; RELAY_B=10.1.0.1:$relay_b_port
	$TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$SUITE:$key:$relay_key" 3 1 >/dev/null || fail "$suite: first packets"
	wait_for 50 sh -c "grep -q 'local *$RELAY_B' /proc/rtpengine/0/list && grep -q 'local *$RELAY_A' /proc/rtpengine/0/list" \
		|| fail "$suite: not pushed to the kernel"
	kill -STOP "$DAEMON_PID"
	if out=$($TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$SUITE:$key:$relay_key" 10 4 2>&1); then echo "$suite: $out"
	else fail "$suite with the daemon stopped: $out"; fi
	kill -CONT "$DAEMON_PID"
	$TOOL ng $NG "d7:command6:delete7:call-id$(bencode_string "$CALL")8:from-tag4:tagAe" >/dev/null || fail "$suite: delete"
	wait_for 50 sh -c '! grep -q "^target$" /proc/rtpengine/0/list' || { fail "$suite: targets left after delete"; cat /proc/rtpengine/0/list; grep -v "Received\|Replying" /tmp/daemon.log | tail -n 25; }
done
unset SUITE CALL

step "rtcp-mux bridging: A multiplexes, B does not; RTP in the kernel both ways, RTCP in userspace"
mux_sdp=$(printf 'v=0\r\no=- 1 1 IN IP4 10.1.0.2\r\ns=-\r\nc=IN IP4 10.1.0.2\r\nt=0 0\r\nm=audio 5020 RTP/AVP 0\r\na=rtcp-mux\r\na=sendrecv\r\n')
# rtcp-mux=[demux]: B is offered separate RTCP, A's multiplexing is kept
reply=$($TOOL ng $NG "d7:command5:offer7:call-id3:mux8:from-tag4:tagA8:rtcp-muxl5:demuxe3:sdp$(bencode_string "$mux_sdp")e")
relay_b_port=$(printf '%s' "$reply" | media_port_of)
reply=$($TOOL ng $NG "d7:command6:answer7:call-id3:mux8:from-tag4:tagA6:to-tag4:tagB3:sdp$(bencode_string "$(sdp_for 10.2.0.2 5022)")e")
relay_a_port=$(printf '%s' "$reply" | media_port_of)
printf '%s' "$reply" | grep -q 'a=rtcp-mux' || fail "the answer to A does not multiplex"
A=10.1.0.2:5020; RELAY_A=10.1.0.1:$relay_a_port
B=10.2.0.2:5022; RELAY_B=10.1.0.1:$relay_b_port
$TOOL relay a $A $RELAY_A b $B $RELAY_B 3 || fail "rtcp-mux call: first packets"
# an RTCP packet (version 2, type 200) from B's RTCP port latches B's RTCP stream
$TOOL send b 10.2.0.2:5023 10.1.0.1:$((relay_b_port + 1)) 128 200
wait_for 50 sh -c "grep -A1 '^target' /proc/rtpengine/0/list | grep -q 'local *10.1.0.1:$relay_b_port'" || fail "B's RTP not in the kernel"
wait_for 50 sh -c "grep -A1 '^target' /proc/rtpengine/0/list | grep -q 'local *10.1.0.1:$relay_a_port'" || fail "A's multiplexed RTP not in the kernel"
# target_block LOCAL: the lines of one target in the list
target_block() { awk -v local="$1" '/^target/ { show = 0 } $1 == "local" { show = ($2 == local) } show' /proc/rtpengine/0/list; }
# RTCP stays in userspace (the daemon reads it for the call quality figures and bridges it)
[ -z "$(target_block 10.1.0.1:$((relay_b_port + 1)))" ] || fail "B's RTCP port is in the kernel"
target_block 10.1.0.1:$relay_a_port | grep -q 'flags *rtp *$' || fail "A's multiplexed port must forward RTP only (its RTCP is demultiplexed by the daemon)"
# the reason is set by the sync that sees B's RTCP latched, which may be the one after the RTP push
wait_for 30 sh -c "$TOOL ng $NG 'd7:command5:query7:call-id3:muxe' | grep -q 'RTCP is read in userspace'" \
	|| fail "query does not say why RTCP is not in the kernel"
kill -STOP "$DAEMON_PID"
$TOOL relay a $A $RELAY_A b $B $RELAY_B 10 || fail "rtcp-mux call: RTP not forwarded with the daemon stopped"
kill -CONT "$DAEMON_PID"
$TOOL ng $NG 'd7:command6:delete7:call-id3:mux8:from-tag4:tagAe' >/dev/null || fail "delete mux call"
wait_for 50 sh -c '! grep -q "^target$" /proc/rtpengine/0/list' || fail "mux targets left after delete"

step "daemon exit, clean unload"
daemon_stop
iptables -D INPUT -p udp -j RTPENGINE --id 0
rmmod xt_RTPENGINE || fail "rmmod"
check_kernel_log
