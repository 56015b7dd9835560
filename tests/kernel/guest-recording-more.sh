#!/bin/sh
# Runs inside the guest VM (started by tests/kernel/run-tests.sh recording-more): more of
# call recording through the kernel module's /proc streams, read by our rtpengine-recording.
# Exit 0 = every check passed.
#   1. SRTP: A plain RTP, B RTP/SAVP (SDES); the kernel decrypts B's packets before it copies
#      them into the recorded stream: B's file holds its 1000 Hz tone, not noise
#   2. IPv6: both parties on IPv6; the kernel's stream packets carry IPv6 headers
#   3. pause recording / start recording while the streams are in the kernel: the paused
#      second is missing from the streams and the files hold silence there (the reader fills
#      the gap by timestamp), the file lasts the whole call
#   4. start forwarding (not recording): the kernel copies the packets into the streams,
#      our reader writes no files (RECORDING 0); stop forwarding ends the streams
#   5. overflow: no reader, a burst beyond the module's per-stream queue (1024 packets): the
#      oldest are dropped, the table's recording-drops and the daemon's statistics
#      (recordingdrops_kernel, read at its one-second kernel sync) say how many
# Needs: /tools/rtpengine, /tools/recording_test_tool, /tools/kernel_test_tool,
# /tools/rtpengine-recording, /share/netns.sh, /share/guest-lib.sh, xt_RTPENGINE, libxt_RTPENGINE.
set -eu
. /share/netns.sh
. /share/guest-lib.sh
TOOL=/tools/kernel_test_tool
REC=/tools/recording_test_tool
DAEMON=/tools/rtpengine
NG=127.0.0.1:2223
SPOOL=/tmp/spool
OUT=/tmp/out-more
SUITE=AES_CM_128_HMAC_SHA1_80
FAILURES=0
COMPLETED=
DAEMON_PID=
READER_PID=

finish() {
	end_process "$DAEMON_PID"
	end_process "$READER_PID"
	for log in /tmp/daemon.log /tmp/reader.log; do
		[ -f "$log" ] && cp "$log" "/share/recording-more-$(basename "$log")" 2>/dev/null
	done
	[ -n "$COMPLETED" ] || fail "the script stopped early"
	report_and_exit guest-recording-more.sh /tmp/daemon.log /tmp/reader.log
}

# not guest-lib.sh's: both families, a protocol and a key
sdp_for() {  # sdp_for IP4|IP6 ADDRESS PORT [PROTOCOL [CRYPTO-ATTRIBUTE-VALUE]]
	printf 'v=0\r\no=- 1 1 IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\nm=audio %s %s 0\r\na=rtpmap:0 PCMU/8000\r\n' \
		"$1" "$2" "$1" "$2" "$3" "${4:-RTP/AVP}"
	[ -z "${5:-}" ] || printf 'a=crypto:%s\r\n' "$5"
	printf 'a=sendrecv\r\n'
}
ng_call() {  # ng_call COMMAND CALL-ID: a recording command on the whole call
	$TOOL ng $NG "d7:command$(bencode_string "$1")7:call-id$(bencode_string "$2")e" | grep -q '6:result2:ok' \
		|| fail "$1 $2 not answered ok"
}
# wait_statistic KEY VALUE: until the daemon's statistics show VALUE (its kernel sync runs
# once a second), at most 5 s
wait_statistic() {
	tries=50
	while [ "$tries" -gt 0 ]; do
		[ "$(statistic "$1")" = "$2" ] && return 0
		tries=$((tries - 1)); sleep 0.1
	done
	return 1
}

# offer_answer CALL-ID FAMILY A-ADDRESS A-PORT B-ADDRESS B-PORT [srtp|unrecorded]: record
# call: yes (unless unrecorded); sets RELAY_A_PORT, RELAY_B_PORT and, with srtp, B_KEY (B's
# own a=crypto key)
offer_answer() {
	call=$1; family=$2; offer_flags="11:record call3:yes"; answer_protocol=RTP/AVP; answer_crypto=""
	[ "${7:-}" = srtp ] && offer_flags="${offer_flags}18:transport-protocol8:RTP/SAVP"
	[ "${7:-}" = unrecorded ] && offer_flags=""
	reply=$($TOOL ng $NG "d7:command5:offer7:call-id$(bencode_string "$call")8:from-tag4:tagA${offer_flags}3:sdp$(bencode_string "$(sdp_for $family $3 $4)")e")
	RELAY_B_PORT=$(printf '%s' "$reply" | media_port_of)
	B_KEY=
	if [ "${7:-}" = srtp ]; then
		set -- "$@" $(printf '%s' "$reply" | crypto_of $SUITE) -
		crypto_tag=$8
		B_KEY=$(head -c 30 /dev/urandom | base64 | tr -d '\n')
		answer_protocol=RTP/SAVP; answer_crypto="$crypto_tag $SUITE inline:$B_KEY"
		[ "$crypto_tag" != - ] || { fail "$call: no $SUITE line in the offer to B"; finish; }
	fi
	reply=$($TOOL ng $NG "d7:command6:answer7:call-id$(bencode_string "$call")8:from-tag4:tagA6:to-tag4:tagB3:sdp$(bencode_string "$(sdp_for $family $5 $6 $answer_protocol "$answer_crypto")")e")
	RELAY_A_PORT=$(printf '%s' "$reply" | media_port_of)
	[ -n "$RELAY_A_PORT" ] && [ -n "$RELAY_B_PORT" ] || { fail "$call: no media ports in the replies"; finish; }
}

# end_call CALL-ID: delete; targets gone, spool file gone (the reader drained the streams)
end_call() {
	$TOOL ng $NG "d7:command6:delete7:call-id$(bencode_string "$1")8:from-tag4:tagAe" >/dev/null || fail "delete $1"
	wait_for 50 sh -c '! grep -q "^target$" /proc/rtpengine/0/list' || fail "$1: targets left after delete"
	wait_for 100 sh -c "! ls $SPOOL/*.meta" || fail "$1: spool file not deleted"
}

# wait_files CALL-ID: the reader finished the call's three files (no temporary name left)
wait_files() {
	wait_for 100 sh -c "[ \$(ls $OUT | grep -c '^$1-.*\.wav\$') -ge 3 ] && ! ls $OUT | grep -q '^$1-.*tmp\$'" \
		|| fail "$1: the reader did not finish 3 WAV files: $(ls $OUT)"
}

# check_call CALL-ID SECONDS SILENT-MIN SILENT-MAX: each file lasts SECONDS (2 %), its
# silent part is within SILENT-MIN..SILENT-MAX s, a party's file holds its tone only (tone
# shares count the sounding part)
check_call() {
	call=$1; want=$2; silent_min=$3; silent_max=$4
	singles400=0; singles1000=0; mixes=0
	for file in $OUT/$call-*.wav; do
		[ -f "$file" ] || continue
		set -- $($REC wav "$file") - - - - - - - -
		echo "$call: $(basename "$file"): $*"
		[ "$1" = seconds ] || { fail "$call: $(basename "$file") is not a readable WAV file"; continue; }
		seconds=$2; silent=$8
		tone400=$(awk -v t="$4" -v s="$seconds" -v q="$silent" 'BEGIN { print (s > q ? t * s / (s - q) : 0) }')
		tone1000=$(awk -v t="$6" -v s="$seconds" -v q="$silent" 'BEGIN { print (s > q ? t * s / (s - q) : 0) }')
		awk -v s="$seconds" -v w="$want" 'BEGIN { exit !(s >= w * 0.98 && s <= w * 1.02 + 0.05) }' \
			|| fail "$call: $(basename "$file") lasts $seconds s, $want s sent"
		awk -v s="$silent" -v lo="$silent_min" -v hi="$silent_max" 'BEGIN { exit !(s >= lo && s <= hi) }' \
			|| fail "$call: $(basename "$file") has $silent s of silence, expected $silent_min..$silent_max"
		count_tones "$call" "$file" "$tone400" "$tone1000" "ciphertext recorded?"
	done
	check_tone_counts "$call"
}

trap finish EXIT
netns_peer a 1 ipv6 route
netns_peer b 2 ipv6 route
ip -n a -6 route add default via fd01::1
ip -n b -6 route add default via fd02::1
modprobe xt_RTPENGINE
iptables -I INPUT -p udp -j RTPENGINE --id 0
ip6tables -I INPUT -p udp -j RTPENGINE --id 0
mkdir -p $SPOOL $OUT

daemon_start /tmp/daemon.log --log-level=7 -i fd01::1 --table=0 --recording-dir=$SPOOL --recording-method=proc
/tools/rtpengine-recording --config-file=none --foreground --log-stderr --log-level=6 --table=0 --spool-dir=$SPOOL \
	--output-dir=$OUT --output-format=wav --output-single --output-mixed --num-threads=1 >/tmp/reader.log 2>&1 &
READER_PID=$!
wait_for 600 sh -c "ls -l /proc/$READER_PID/fd | grep -q inotify" || fail "reader did not start"
drops_at_start=$(status_value recording-drops)

step "SRTP: B's packets decrypted in the kernel before they are recorded"
offer_answer rec-srtp IP4 10.1.0.2 5010 10.2.0.2 5012 srtp
A=10.1.0.2:5010; B=10.2.0.2:5012; RELAY_A=10.1.0.1:$RELAY_A_PORT; RELAY_B=10.1.0.1:$RELAY_B_PORT
PLAY_B_SRTP=$B_KEY $REC play a $A $RELAY_A b $B $RELAY_B 1 0 || fail "srtp: first second not relayed"
wait_for 50 sh -c '[ "$(grep -c "record-stream" /proc/rtpengine/0/list)" -ge 2 ]' || fail "srtp: no recording targets"
grep -q '^    srtp ' /proc/rtpengine/0/list || fail "srtp: the targets do no SRTP in the kernel"
grep -A12 '^target' /proc/rtpengine/0/list | grep 'local\|srtp\|record-stream' || true
recorded_before=$(status_value recorded-packets)
PLAY_B_SRTP=$B_KEY $REC play a $A $RELAY_A b $B $RELAY_B 2 50 || fail "srtp: relaying in the kernel"
recorded_after=$(status_value recorded-packets)
[ $((recorded_after - recorded_before)) -ge 190 ] || fail "srtp: the kernel recorded $((recorded_after - recorded_before)) of 200 packets"
end_call rec-srtp
wait_files rec-srtp
check_call rec-srtp 3 0 0.2

step "IPv6: both parties on IPv6"
offer_answer rec-v6 IP6 fd01::2 5020 fd02::2 5022
A="[fd01::2]:5020"; B="[fd02::2]:5022"; RELAY_A="[fd01::1]:$RELAY_A_PORT"; RELAY_B="[fd01::1]:$RELAY_B_PORT"
$REC play a "$A" "$RELAY_A" b "$B" "$RELAY_B" 1 0 || fail "ipv6: first second not relayed"
wait_for 50 sh -c '[ "$(grep -c "record-stream" /proc/rtpengine/0/list)" -ge 2 ]' || fail "ipv6: no recording targets"
recorded_before=$(status_value recorded-packets)
$REC play a "$A" "$RELAY_A" b "$B" "$RELAY_B" 2 50 || fail "ipv6: relaying in the kernel"
recorded_after=$(status_value recorded-packets)
[ $((recorded_after - recorded_before)) -ge 190 ] || fail "ipv6: the kernel recorded $((recorded_after - recorded_before)) of 200 packets"
end_call rec-v6
wait_files rec-v6
check_call rec-v6 3 0 0.2

step "pause recording and start recording on kernel-recorded streams"
offer_answer rec-pause IP4 10.1.0.2 5030 10.2.0.2 5032
A=10.1.0.2:5030; B=10.2.0.2:5032; RELAY_A=10.1.0.1:$RELAY_A_PORT; RELAY_B=10.1.0.1:$RELAY_B_PORT
$REC play a $A $RELAY_A b $B $RELAY_B 1 0 || fail "pause: first second not relayed"
wait_for 50 sh -c '[ "$(grep -c "record-stream" /proc/rtpengine/0/list)" -ge 2 ]' || fail "pause: no recording targets"
$REC play a $A $RELAY_A b $B $RELAY_B 1 50 || fail "pause: second second"
ng_call "pause recording" rec-pause
# paused: the targets stay in the kernel without their recorded streams
wait_for 50 sh -c '[ "$(grep -c "record-stream" /proc/rtpengine/0/list)" = 0 ] && [ "$(grep -c "^target$" /proc/rtpengine/0/list)" -ge 2 ]' \
	|| fail "pause: the kernel still records (or the targets left the kernel)"
recorded_before=$(status_value recorded-packets)
$REC play a $A $RELAY_A b $B $RELAY_B 1 100 || fail "pause: relaying while paused"
[ "$(status_value recorded-packets)" = "$recorded_before" ] || fail "pause: the kernel recorded while paused"
ng_call "start recording" rec-pause
wait_for 50 sh -c '[ "$(grep -c "record-stream" /proc/rtpengine/0/list)" -ge 2 ]' || fail "pause: recording not resumed in the kernel"
$REC play a $A $RELAY_A b $B $RELAY_B 1 150 || fail "pause: last second"
end_call rec-pause
wait_files rec-pause
# 4 s of call, 1 s of it paused: silence where the paused second was
check_call rec-pause 4 0.8 1.2

step "start forwarding: the kernel feeds the streams, the reader writes no files; stop forwarding ends them"
offer_answer rec-fwd IP4 10.1.0.2 5050 10.2.0.2 5052 unrecorded
A=10.1.0.2:5050; B=10.2.0.2:5052; RELAY_A=10.1.0.1:$RELAY_A_PORT; RELAY_B=10.1.0.1:$RELAY_B_PORT
$REC play a $A $RELAY_A b $B $RELAY_B 1 0 || fail "forwarding: first second not relayed"
wait_for 50 sh -c '[ "$(grep -c "^target$" /proc/rtpengine/0/list)" -ge 2 ]' || fail "forwarding: the call is not in the kernel"
[ "$(grep -c "record-stream" /proc/rtpengine/0/list)" = 0 ] || fail "forwarding: recorded before start forwarding"
ng_call "start forwarding" rec-fwd
wait_for 50 sh -c '[ "$(grep -c "record-stream" /proc/rtpengine/0/list)" -ge 2 ]' || fail "forwarding: no recorded streams in the kernel"
grep -a -q 'FORWARDING 1' $SPOOL/*.meta || fail "forwarding: the spool file does not say FORWARDING 1"
recorded_before=$(status_value recorded-packets)
$REC play a $A $RELAY_A b $B $RELAY_B 1 50 || fail "forwarding: relaying in the kernel"
recorded_after=$(status_value recorded-packets)
[ $((recorded_after - recorded_before)) -ge 95 ] || fail "forwarding: the kernel fed $((recorded_after - recorded_before)) of 100 packets"
ng_call "stop forwarding" rec-fwd
wait_for 100 sh -c "! ls $SPOOL/*.meta" || fail "forwarding: spool file not deleted by stop forwarding"
wait_for 50 sh -c '[ "$(grep -c "record-stream" /proc/rtpengine/0/list)" = 0 ]' || fail "forwarding: the kernel still feeds streams"
$REC play a $A $RELAY_A b $B $RELAY_B 0.5 100 || fail "forwarding: relaying after stop forwarding"
sleep 1
if ls $OUT | grep -q '^rec-fwd'; then fail "forwarding: the reader wrote files: $(ls $OUT | grep '^rec-fwd')"; fi
$TOOL ng $NG "d7:command6:delete7:call-id$(bencode_string rec-fwd)8:from-tag4:tagAe" >/dev/null || fail "delete rec-fwd"

step "overflow: no reader, a burst beyond the queue; the daemon's statistics count the drops"
kill "$READER_PID"; wait "$READER_PID" || true; READER_PID=
drops_before=$(status_value recording-drops)
wait_statistic recordingdrops_kernel "$((drops_before - drops_at_start))" \
	|| fail "recordingdrops_kernel $(statistic recordingdrops_kernel) before the burst, the module $((drops_before - drops_at_start))"
offer_answer rec-overflow IP4 10.1.0.2 5040 10.2.0.2 5042
A=10.1.0.2:5040; B=10.2.0.2:5042; RELAY_A=10.1.0.1:$RELAY_A_PORT; RELAY_B=10.1.0.1:$RELAY_B_PORT
$REC play a $A $RELAY_A b $B $RELAY_B 1 0 || fail "overflow: first second not relayed"
wait_for 50 sh -c '[ "$(grep -c "record-stream" /proc/rtpengine/0/list)" -ge 2 ]' || fail "overflow: no recording targets"
# 1200 packets each way at 1 ms: with the 50 of the first second, 1250 for a queue of 1024
PLAY_PACKET_US=1000 $REC play a $A $RELAY_A b $B $RELAY_B 24 50 || fail "overflow: burst not relayed"
drops_after=$(status_value recording-drops)
echo "module recording-drops $drops_before -> $drops_after"
[ $((drops_after - drops_before)) -ge 400 ] || fail "overflow: the module dropped $((drops_after - drops_before)), expected about 452"
wait_statistic recordingdrops_kernel "$((drops_after - drops_at_start))" \
	|| fail "overflow: recordingdrops_kernel $(statistic recordingdrops_kernel), the module $((drops_after - drops_at_start))"
[ "$(statistic recordingdrops)" -ge "$((drops_after - drops_at_start))" ] || fail "overflow: recordingdrops leaves out the kernel's"
echo "statistics: recordingdrops_kernel $(statistic recordingdrops_kernel) recordedpackets_kernel $(statistic recordedpackets_kernel)"
end_call rec-overflow

check_kernel_log
COMPLETED=1
