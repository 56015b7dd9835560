#!/bin/sh
# Runs inside the guest VM (started by tests/kernel/run-tests.sh rekey-loop): hunts the rare
# kernel SRTP target left after a re-key and a delete. ITERATIONS (default 30) SDES calls
# (plain A, RTP/SAVP B) are pushed to the kernel, re-keyed in one of three ways, and deleted;
# after every delete the table must be empty:
#   0  re-offer + answer with a new key, delete at once (before the next one-second sync)
#   1  re-key mid-flow (srtp-relay runs the re-key half-way), delete
#   2  re-offer only (the new key not answered yet), delete
#   3  re-offer + answer, a packet with the new key, delete while the daemon's sync runs
#   4  the callee re-keys: B re-offers RTP/SAVP with a new key, A answers plain, packets, delete
#   5  two re-keys back to back (the second before any sync), packets, delete
#   6  packets through the kernel with the daemon SIGSTOPped, then SIGCONT, re-key and delete
#      while the queued timer rounds run
#   7  delete with a delete delay of 1 s: the timer ends the call (its sync runs first)
# Exit 0 = no target outlived its call. Needs: /tools/rtpengine, /tools/kernel_test_tool,
# /share/netns.sh, /share/guest-lib.sh, xt_RTPENGINE, libxt_RTPENGINE, libsrtp2's NSS files.
set -eu
. /share/netns.sh
. /share/guest-lib.sh
TOOL=/tools/kernel_test_tool
DAEMON=/tools/rtpengine
NG=127.0.0.1:2223
ITERATIONS=${ITERATIONS:-30}
FAILURES=0
DAEMON_PID=
finish() {
	[ -n "$DAEMON_PID" ] && kill -CONT "$DAEMON_PID" 2>/dev/null && kill "$DAEMON_PID" 2>/dev/null
	if [ "$FAILURES" -ne 0 ]; then
		echo "guest-rekey-loop.sh: $FAILURES failure(s)"; exit 1
	fi
	echo "guest-rekey-loop.sh: all checks passed"; exit 0
}
cat > /tmp/srtp-functions.sh <<'FUNCTIONS'
TOOL=/tools/kernel_test_tool
NG=127.0.0.1:2223
SUITE=AES_CM_128_HMAC_SHA1_80
bencode_string() { printf '%d:%s' "${#1}" "$1"; }
sdp_for() {
	printf 'v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %s RTP/AVP 0\r\na=sendrecv\r\n' "$1" "$1" "$2"
}
sdp_savp() {
	printf 'v=0\r\no=- 1 2 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %s RTP/SAVP 0\r\na=crypto:%s\r\na=sendrecv\r\n' "$1" "$1" "$2" "$3"
}
crypto_of() { sed -n "s/.*a=crypto:\([0-9]*\) $1 inline:\([A-Za-z0-9+\/=]*\).*/\1 \2/p" | head -n 1; }
media_port_of() { sed -n 's/.*m=audio \([0-9]*\) .*/\1/p' | head -n 1; }
srtp_offer() {
	$TOOL ng $NG "d7:command5:offer7:call-id$(bencode_string "$CALL")8:from-tag4:tagA18:transport-protocol8:RTP/SAVP3:sdp$(bencode_string "$(sdp_for 10.1.0.2 5010)")e"
}
srtp_answer() {  # srtp_answer TAG KEY
	$TOOL ng $NG "d7:command6:answer7:call-id$(bencode_string "$CALL")8:from-tag4:tagA6:to-tag4:tagB3:sdp$(bencode_string "$(sdp_savp 10.2.0.2 5012 "$1 $SUITE inline:$2")")e"
}
new_key() { head -c 30 /dev/urandom | base64 | tr -d '\n'; }
# B re-offers with a new key, A answers plain; prints B's new SPEC (its key, ours from the answer)
srtp_reoffer_from_b() {
	b_key=$(new_key)
	$TOOL ng $NG "d7:command5:offer7:call-id$(bencode_string "$CALL")8:from-tag4:tagB6:to-tag4:tagA18:transport-protocol7:RTP/AVP3:sdp$(bencode_string "$(sdp_savp 10.2.0.2 5012 "1 $SUITE inline:$b_key")")e" >/dev/null
	reply=$($TOOL ng $NG "d7:command6:answer7:call-id$(bencode_string "$CALL")8:from-tag4:tagB6:to-tag4:tagA3:sdp$(bencode_string "$(sdp_for 10.1.0.2 5010)")e")
	set -- $(printf '%s' "$reply" | crypto_of $SUITE) - -
	echo "$SUITE:$b_key:$2"
}
FUNCTIONS
cat > /tmp/rekey.sh <<'REKEY'
#!/bin/sh
. /tmp/srtp-functions.sh
reply=$(srtp_offer)
set -- $(printf '%s' "$reply" | crypto_of $SUITE)
key=$(new_key)
srtp_answer "$1" "$key" >/dev/null
echo "$SUITE:$key:$2"
REKEY
chmod +x /tmp/rekey.sh
. /tmp/srtp-functions.sh

trap finish EXIT
netns_peer a 1 route
netns_peer b 2 route
modprobe xt_RTPENGINE
iptables -I INPUT -p udp -j RTPENGINE --id 0
$DAEMON --config-file=none --foreground --log-stderr --log-level=7 -i 10.1.0.1 -n $NG \
	--endpoint-learning=immediate --delete-delay=0 --table=0 >/tmp/daemon.log 2>&1 &
DAEMON_PID=$!
wait_for 50 $TOOL ng $NG 'd7:command4:pinge' || { fail "daemon does not answer ping"; finish; }
A=10.1.0.2:5010; B=10.2.0.2:5012
i=0
leftovers=0
while [ $i -lt "$ITERATIONS" ]; do
	variant=$((i % 8))
	export CALL=loop-$i
	reply=$(srtp_offer)
	relay_b_port=$(printf '%s' "$reply" | media_port_of)
	set -- $(printf '%s' "$reply" | crypto_of $SUITE) - -
	tag=$1; relay_key=$2
	b_key=$(new_key)
	reply=$(srtp_answer "$tag" "$b_key")
	relay_a_port=$(printf '%s' "$reply" | media_port_of)
	RELAY_A=10.1.0.1:$relay_a_port; RELAY_B=10.1.0.1:$relay_b_port
	B_SPEC="$SUITE:$b_key:$relay_key"
	$TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$B_SPEC" 3 1 >/dev/null || fail "$CALL: first packets"
	wait_for 50 sh -c '[ "$(grep -c "^    srtp " /proc/rtpengine/0/list)" -ge 2 ]' || fail "$CALL: not in the kernel"
	case $variant in
	0) /tmp/rekey.sh >/dev/null ;;
	1) $TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$B_SPEC" 10 4 /tmp/rekey.sh >/dev/null || fail "$CALL: re-key mid-flow" ;;
	2) srtp_offer >/dev/null ;;
	3) B_SPEC=$(/tmp/rekey.sh)
	   $TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$B_SPEC" 2 20 >/dev/null || true
	   sleep 0.$((i % 10)) ;;
	4) B_SPEC=$(srtp_reoffer_from_b)
	   $TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$B_SPEC" 4 20 >/dev/null || true ;;
	5) /tmp/rekey.sh >/dev/null; B_SPEC=$(/tmp/rekey.sh)
	   $TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$B_SPEC" 4 20 >/dev/null || true ;;
	6) kill -STOP "$DAEMON_PID"
	   $TOOL srtp-relay a $A $RELAY_A plain b $B $RELAY_B "$B_SPEC" 6 10 >/dev/null || fail "$CALL: kernel with the daemon stopped"
	   sleep 1.5   # timer rounds come due while it is stopped
	   kill -CONT "$DAEMON_PID"
	   /tmp/rekey.sh >/dev/null ;;
	esac
	if [ $variant = 7 ]; then
		$TOOL ng $NG "d7:command6:delete7:call-id$(bencode_string "$CALL")8:from-tag4:tagA12:delete delayi1ee" >/dev/null || fail "$CALL: delete"
		sleep 2.5   # the timer's round ends the call within about two seconds
	else
		$TOOL ng $NG "d7:command6:delete7:call-id$(bencode_string "$CALL")8:from-tag4:tagAe" >/dev/null || fail "$CALL: delete"
	fi
	if ! wait_for 30 sh -c '! grep -q "^target$" /proc/rtpengine/0/list'; then
		leftovers=$((leftovers + 1))
		fail "$CALL (variant $variant): targets left after delete"
		cat /proc/rtpengine/0/list
		grep "$CALL" /tmp/daemon.log | grep -v 'Received\|Replying' | tail -n 25
		# clear them so that the next iterations are judged on their own
		for local in $(awk '$1 == "local" { print $2 }' /proc/rtpengine/0/list); do
			$TOOL delete 0 "$local" >/dev/null 2>&1 || true
		done
	fi
	i=$((i + 1))
done
echo "rekey-loop: $ITERATIONS calls, $leftovers with targets left after delete"
