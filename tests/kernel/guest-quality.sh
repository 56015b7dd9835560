#!/bin/sh
# Runs inside the guest VM (started by tests/kernel/run-tests.sh quality): the relay's own RTP
# figures and the MOS of a call are the same whether its RTP is forwarded in the kernel or in
# userspace. For each of kernel (--table=0) and userspace (--table=-1): a call between two
# network namespaces, a scripted PCMU sender (kernel_test_tool quality-stream) with 0% and 5%
# loss and 0..10 ms of added jitter, B sending RTCP receiver reports (MOS in LQ mode). Checks:
#   - query: A's SSRC counts exactly the packets sent and the loss made, no duplicates, a
#     jitter within 3 ms (or 40%) of what receiver B measured itself, an average MOS
#   - kernel: the packets really went through the kernel (its per-SSRC slot counted them, the
#     daemon's userspace packet count stayed put), query says "kernel forwarding"
#   - delete (which takes the targets back): the same figures
#   - the MOS of a kernel call is within 0.1 of the same traffic through userspace, and falls
#     with loss
# Needs: /tools/rtpengine, /tools/kernel_test_tool, /share/netns.sh, xt_RTPENGINE, libxt_RTPENGINE.
set -eu
. /share/netns.sh
. /share/guest-lib.sh
TOOL=/tools/kernel_test_tool
DAEMON=/tools/rtpengine
NG=127.0.0.1:2223
FAILURES=0
DAEMON_PID=
SSRC_A=858993459     # 0x33333333, quality-stream's A
COUNT=250            # 5 s of 20 ms packets

step() { echo "== $*"; }
finish() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
	if [ "$FAILURES" -ne 0 ]; then
		echo "--- daemon log"; grep -v 'Received\|Replying' /tmp/daemon.log 2>/dev/null | tail -n 30 || true
		echo "--- kernel log"; dmesg | tail -n 20
		echo "guest-quality.sh: $FAILURES failure(s)"
		exit 1
	fi
	echo "guest-quality.sh: all checks passed"
	exit 0
}
start_daemon() {
	$DAEMON --config-file=none --foreground --log-stderr --log-level=6 -i 10.1.0.1 -n $NG \
		--endpoint-learning=immediate --delete-delay=0 --mos=LQ "$@" >/tmp/daemon.log 2>&1 &
	DAEMON_PID=$!
	wait_for 50 $TOOL ng $NG 'd7:command4:pinge' || { fail "daemon does not answer ping"; finish; }
}
stop_daemon() { kill "$DAEMON_PID"; wait "$DAEMON_PID" || true; DAEMON_PID=; }
bencode_string() { printf '%d:%s' "${#1}" "$1"; }
sdp_for() {
	printf 'v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %s RTP/AVP 0\r\na=sendrecv\r\n' "$1" "$1" "$2"
}
media_port_of() { sed -n 's/.*m=audio \([0-9]*\) .*/\1/p' | head -n 1; }
statistic() { $TOOL ng $NG 'd7:command10:statisticse' | sed -n "s/.*${#1}:$1i\([0-9]*\)e.*/\1/p"; }
# measured REPLY KEY: an integer of the "measured" figures of A's SSRC in a query/delete reply
measured() {
	rest=${1#*${#SSRC_A}:${SSRC_A}d}
	rest=${rest#*8:measuredd}
	value=${rest#*${#2}:${2}i}
	echo "${value%%e*}"
}
# average_mos REPLY: the only SSRC with MOS samples is B's (the reports B sends: what B hears)
average_mos() {
	case $1 in *"11:average MOSd3:MOSi"*) ;; *) echo 0; return ;; esac
	rest=${1#*11:average MOSd3:MOSi}
	echo "${rest%%e*}"
}
# within VALUE REFERENCE: |VALUE - REFERENCE| <= max(3, 40% of REFERENCE): the receiver's
# clock reads happen in a loaded guest's userspace, the relay's at its socket or in the kernel
within() {
	case $1 in ''|*[!0-9]*) return 1 ;; esac
	difference=$(($1 - $2)); [ $difference -lt 0 ] && difference=$((-difference))
	allowed=$(($2 * 4 / 10)); [ $allowed -lt 3 ] && allowed=3
	[ $difference -le $allowed ]
}

# call MODE LOSS JITTER: one call; sets MOS_<MODE>_<LOSS>
call() {
	mode=$1 loss=$2 jitter=$3 id=call-$1-$2
	step "$mode: $loss% loss, 0..$jitter ms jitter"
	reply=$($TOOL ng $NG "d7:command5:offer7:call-id$(bencode_string $id)8:from-tag4:tagA3:sdp$(bencode_string "$(sdp_for 10.1.0.2 5000)")e")
	relay_b_port=$(printf '%s' "$reply" | media_port_of)
	reply=$($TOOL ng $NG "d7:command6:answer7:call-id$(bencode_string $id)8:from-tag4:tagA6:to-tag4:tagB3:sdp$(bencode_string "$(sdp_for 10.2.0.2 5002)")e")
	relay_a_port=$(printf '%s' "$reply" | media_port_of)
	[ -n "$relay_a_port" ] && [ -n "$relay_b_port" ] || { fail "no media ports"; return; }
	A=10.1.0.2:5000; RELAY_A=10.1.0.1:$relay_a_port
	B=10.2.0.2:5002; RELAY_B=10.1.0.1:$relay_b_port
	$TOOL relay a $A $RELAY_A b $B $RELAY_B 3 >/dev/null || fail "first packets not relayed"
	if [ "$mode" = kernel ]; then
		wait_for 50 sh -c '[ "$(grep -c "^target$" /proc/rtpengine/0/list)" -ge 2 ]' || fail "daemon did not push the targets"
	fi
	user_before=$(statistic relayedpackets_user)
	sent_line=$($TOOL quality-stream a $A $RELAY_A b $B $RELAY_B $COUNT "$loss" "$jitter" 7) || fail "quality-stream: $sent_line"
	echo "sender/receiver: $sent_line"
	set -- $sent_line
	sent=$2 dropped=$4 receiver_jitter_ms=$(( ${10} / 1000 ))
	user_after=$(statistic relayedpackets_user)
	if [ "$mode" = kernel ]; then
		# RTCP (a report per 1.2 s) goes up; the RTP of both directions must not
		[ $((user_after - user_before)) -le 10 ] || fail "userspace relayed $((user_after - user_before)) packets of a kernel call"
		kernel_line=$($TOOL all 0 | grep "^$RELAY_A ")
		echo "kernel: $kernel_line"
		echo "$kernel_line" | grep -q "rtp 33333333:packets=$sent," || fail "the kernel's per-SSRC slot did not count $sent packets"
	fi
	reply=$($TOOL ng $NG "d7:command5:query7:call-id$(bencode_string $id)e")
	if [ "$mode" = kernel ]; then
		echo "$reply" | grep -q '6:kernel10:forwarding' || fail "query does not say kernel forwarding"
	fi
	for what in query delete; do
		if [ $what = delete ]; then
			reply=$($TOOL ng $NG "d7:command6:delete7:call-id$(bencode_string $id)8:from-tag4:tagAe")
		fi
		packets=$(measured "$reply" packets) lost=$(measured "$reply" lost)
		duplicates=$(measured "$reply" duplicates) jitter_ms=$(measured "$reply" jitter)
		mos=$(average_mos "$reply")
		echo "$mode $what: packets $packets lost $lost duplicates $duplicates jitter ${jitter_ms} ms (receiver ${receiver_jitter_ms} ms) MOS x10 $mos"
		[ "$packets" = "$sent" ] || fail "$mode $what: $packets packets measured, $sent sent"
		[ "$lost" = "$dropped" ] || fail "$mode $what: $lost lost measured, $dropped not sent"
		[ "$duplicates" = 0 ] || fail "$mode $what: $duplicates duplicates"
		within "$jitter_ms" "$receiver_jitter_ms" || fail "$mode $what: jitter $jitter_ms ms, receiver measured $receiver_jitter_ms ms"
		[ "${mos:-0}" -gt 0 ] 2>/dev/null || fail "$mode $what: no average MOS"
	done
	eval "MOS_${mode}_${loss}=$mos"
	if [ "$mode" = kernel ]; then
		wait_for 50 sh -c '! grep -q "^target$" /proc/rtpengine/0/list' || fail "targets left after delete"
	fi
}

trap finish EXIT
netns_peer a 1 route
netns_peer b 2 route
modprobe xt_RTPENGINE
iptables -I INPUT -p udp -j RTPENGINE --id 0

start_daemon --table=0
grep -q 'Kernel forwarding: ACTIVE on table 0' /tmp/daemon.log || fail "no ACTIVE line"
call kernel 0 10
call kernel 5 10
stop_daemon
start_daemon --table=-1
call userspace 0 10
call userspace 5 10
stop_daemon

step "MOS: kernel vs userspace (x10) at 0%: $MOS_kernel_0 / $MOS_userspace_0, at 5%: $MOS_kernel_5 / $MOS_userspace_5"
for loss in 0 5; do
	eval "k=\$MOS_kernel_$loss u=\$MOS_userspace_$loss"
	d=$((k - u)); [ $d -lt 0 ] && d=$((-d))
	[ $d -le 1 ] || fail "MOS at $loss% loss: kernel $k, userspace $u (more than 0.1 apart)"
done
[ "$MOS_kernel_5" -lt "$MOS_kernel_0" ] || fail "MOS did not fall with loss in the kernel"
[ "$MOS_userspace_5" -lt "$MOS_userspace_0" ] || fail "MOS did not fall with loss in userspace"

iptables -D INPUT -p udp -j RTPENGINE --id 0
rmmod xt_RTPENGINE || fail "rmmod"
if dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace'; then fail "kernel log shows problems"; fi
