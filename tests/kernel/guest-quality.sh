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

finish() {
	end_process "$DAEMON_PID"
	report_and_exit guest-quality.sh /tmp/daemon.log
}
start_daemon() { daemon_start /tmp/daemon.log --log-level=6 --mos=LQ "$@"; }
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
daemon_stop
start_daemon --table=-1
call userspace 0 10
call userspace 5 10
daemon_stop

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
check_kernel_log
