#!/bin/sh
# Runs inside the guest VM (started by tests/kernel/run-tests.sh recording-debian): Debian's
# rtpengine 10.5 alone (its daemon, its kernel module, its rtpengine-recording) records the
# same call as guest-recording.sh: 5 s of PCMU each way (A 400 Hz, B 1000 Hz), the last 3 s of
# the first 4 in the kernel. Prints the length of each WAV file. A reference, not a check of
# ours: guest-recording.sh accepts 10.5's mixed file some 0.5 s short with our module, and
# this says whether 10.5 does the same with its own (then it is its mixer, not our streams).
# Exit 0 when the three files were written; the lengths are printed as "REFERENCE ..." lines.
# Needs: /usr/bin/rtpengine, /usr/bin/rtpengine-recording (run-vm --bin), Debian's
# xt_RTPENGINE and libxt_RTPENGINE, /tools/recording_test_tool, /tools/kernel_test_tool.
set -eu
. /share/netns.sh
. /share/guest-lib.sh
TOOL=/tools/kernel_test_tool
REC=/tools/recording_test_tool
NG=127.0.0.1:2223
SPOOL=/tmp/spool
OUT=/tmp/out-debian-alone
FAILURES=0
DAEMON_PID=
READER_PID=
finish() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
	[ -n "$READER_PID" ] && kill "$READER_PID" 2>/dev/null
	if [ "$FAILURES" -ne 0 ]; then
		echo "--- daemon log"; tail -n 20 /tmp/daemon.log 2>/dev/null || true
		echo "--- reader log"; tail -n 30 /tmp/reader.log 2>/dev/null || true
		echo "guest-recording-debian.sh: $FAILURES failure(s)"; exit 1
	fi
	echo "guest-recording-debian.sh: done"; exit 0
}
sdp_for() {  # guest-lib.sh's, with an a=rtpmap line as the readers see it
	printf 'v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %s RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n' "$1" "$1" "$2"
}

trap finish EXIT
netns_peer a 1 route
netns_peer b 2 route
modprobe xt_RTPENGINE
iptables -I INPUT -p udp -j RTPENGINE --id 0
mkdir -p $SPOOL $OUT
/usr/bin/rtpengine --config-file=none --foreground --log-stderr --log-level=6 -i 10.1.0.1 -n $NG \
	--endpoint-learning=immediate --delete-delay=0 --table=0 \
	--recording-dir=$SPOOL --recording-method=proc >/tmp/daemon.log 2>&1 &
DAEMON_PID=$!
wait_for 100 $TOOL ng $NG 'd7:command4:pinge' || { fail "10.5 daemon does not answer ping"; finish; }
/usr/bin/rtpengine-recording --config-file=none --foreground --log-stderr --log-level=6 --table=0 --spool-dir=$SPOOL \
	--output-dir=$OUT --output-format=wav --output-single --output-mixed --num-threads=1 >/tmp/reader.log 2>&1 &
READER_PID=$!
wait_for 600 sh -c "ls -l /proc/$READER_PID/fd | grep -q inotify" || fail "10.5 reader did not start"
sleep 0.5
reply=$($TOOL ng $NG "d7:command5:offer7:call-id3:deb8:from-tag4:tagA11:record call3:yes3:sdp$(bencode_string "$(sdp_for 10.1.0.2 5000)")e")
relay_b_port=$(printf '%s' "$reply" | media_port_of)
reply=$($TOOL ng $NG "d7:command6:answer7:call-id3:deb8:from-tag4:tagA6:to-tag4:tagB3:sdp$(bencode_string "$(sdp_for 10.2.0.2 5002)")e")
relay_a_port=$(printf '%s' "$reply" | media_port_of)
[ -n "$relay_a_port" ] && [ -n "$relay_b_port" ] || { fail "no media ports"; finish; }
A=10.1.0.2:5000; B=10.2.0.2:5002; RELAY_A=10.1.0.1:$relay_a_port; RELAY_B=10.1.0.1:$relay_b_port
ls -R /proc/rtpengine/0/calls || true
$REC play a $A $RELAY_A b $B $RELAY_B 1 0 || fail "first second"
$REC play a $A $RELAY_A b $B $RELAY_B 4 50 || fail "4 s more"
grep -c '^target' /proc/rtpengine/0/list || true
$TOOL ng $NG "d7:command6:delete7:call-id3:deb8:from-tag4:tagAe" >/dev/null || fail "delete"
wait_for 100 sh -c "! ls $SPOOL/*.meta" || fail "spool file not deleted"
sleep 2
kill "$READER_PID"; wait "$READER_PID" || true; READER_PID=
for file in $OUT/*.wav; do
	[ -f "$file" ] || { fail "no WAV files"; break; }
	echo "REFERENCE debian-alone $(basename "$file"): $($REC wav "$file")"
done
grep -i 'mix\|closing\|finish' /tmp/reader.log | tail -n 10 || true

# 10.5's spool file for start/stop forwarding (compared by hand with ours, docs/recording.md):
# the chunk labels after each command
labels() { for meta in $SPOOL/*.meta; do [ -f "$meta" ] && awk '/^[0-9]+:$/ { print prev } { prev = $0 }' "$meta" | tr '\n' '|'; done; echo; }
reply=$($TOOL ng $NG "d7:command5:offer7:call-id3:fwd8:from-tag4:tagA3:sdp$(bencode_string "$(sdp_for 10.1.0.2 5010)")e")
reply=$($TOOL ng $NG "d7:command6:answer7:call-id3:fwd8:from-tag4:tagA6:to-tag4:tagB3:sdp$(bencode_string "$(sdp_for 10.2.0.2 5012)")e")
for command in "start forwarding" "start recording" "stop recording" "stop forwarding"; do
	echo "REFERENCE $command: $($TOOL ng $NG "d7:command$(bencode_string "$command")7:call-id3:fwde")"
	sleep 0.5
	echo "REFERENCE spool after $command: $(ls $SPOOL) $(labels)"
	[ "$command" != "start forwarding" ] || for meta in $SPOOL/*.meta; do echo "REFERENCE spool file: $(tr '\n' '|' < "$meta")"; done
done
$TOOL ng $NG "d7:command6:delete7:call-id3:fwd8:from-tag4:tagAe" >/dev/null || true
