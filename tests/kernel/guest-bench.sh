#!/bin/sh
# Runs inside the guest VM (started by tests/kernel/run-bench.sh). One call between two
# network namespaces through a relay daemon, then ROUNDS alternating rounds of floods of
# RTP from A to B, each SECONDS long, printing one line per flood:
#   RESULT impl=IMPL path=PATH sent=N received=N seconds=S cpu_busy=S
# cpu_busy is guest CPU time (non-idle, from /proc/stat) during the flood. Paths:
#   kernel      through the relay with the RTPENGINE rule: the kernel module forwards
#   userspace   the same call without the rule: the daemon relays every packet
#   generator   the load generator alone (no relay), to subtract its share
#   ip-forward  the generator plus plain kernel IP forwarding (a floor for any relay)
#   kernel-srtp, userspace-srtp   a second call, plain A -> SDES RTP/SAVP B: every packet is
#               encrypted (AES_CM_128_HMAC_SHA1_80) on its way, in the kernel resp. the daemon
#   kernel-srtp-gcm   a fourth call, the same with AEAD_AES_128_GCM
#   kernel-recorded        a third call, recorded (--recording-method=proc, record call: yes):
#               the kernel forwards and copies each packet into its /proc stream; no reader,
#               so the queue stays full (each copy also frees the oldest): the module's cost
#   kernel-recorded-read   the same with a reader (cat) draining the streams, one read() per
#               packet as 10.5's rtpengine-recording does
#   guest-bench.sh ours SECONDS ROUNDS     our module and our daemon
#   guest-bench.sh debian SECONDS ROUNDS   Debian's rtpengine 10.5 module and daemon
# PATHS (environment) limits the floods to those named (default: all). A module built with
# RTPENGINE_COST_PROBE=1 adds probe_packets, probe_ns, probe_srtp_ns, probe_cipher_ns and
# probe_hmac_ns to each RESULT: the packets it forwarded and the guest time spent in its
# target, in SRTP, and of that in AES and HMAC-SHA1 (under qemu's -icount shift=0:
# instructions).
set -eu
. /share/netns.sh
. /share/guest-lib.sh
IMPL=$1
SECONDS_PER_RUN=${2:-2}
ROUNDS=${3:-3}
TOOL=/tools/kernel_test_tool
NG=127.0.0.1:2223
DAEMON_PID=

bencode_string() { printf '%d:%s' "${#1}" "$1"; }
sdp_for() {
	printf 'v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %s RTP/AVP 0\r\na=sendrecv\r\n' "$1" "$1" "$2"
}
media_port_of() { sed -n 's/.*m=audio \([0-9]*\) .*/\1/p' | head -n 1; }
cpu_busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
PROBE=/sys/module/xt_RTPENGINE/parameters
wanted() { [ -z "${PATHS:-}" ] || case " $PATHS " in *" $1 "*) true ;; *) false ;; esac; }
probe_reset() {
	[ -e $PROBE/cost_packets ] || return 0
	for name in cost_packets cost_ns cost_srtp_ns cost_cipher_ns cost_hmac_ns; do echo 0 > $PROBE/$name; done
}
probe_fields() {
	[ -e $PROBE/cost_packets ] || return 0
	printf ' probe_packets=%s probe_ns=%s probe_srtp_ns=%s probe_cipher_ns=%s probe_hmac_ns=%s' "$(cat $PROBE/cost_packets)" \
		"$(cat $PROBE/cost_ns)" "$(cat $PROBE/cost_srtp_ns)" "$(cat $PROBE/cost_cipher_ns)" "$(cat $PROBE/cost_hmac_ns)"
}

# flood_result PATH NS_A A TO NS_B B: one flood, one RESULT line
flood_result() {
	wanted "$1" || return 0
	probe_reset
	busy_before=$(cpu_busy_jiffies)
	out=$($TOOL flood "$2" "$3" "$4" "$5" "$6" "$SECONDS_PER_RUN") || true
	busy_after=$(cpu_busy_jiffies)
	echo "$out" | awk -v impl="$IMPL" -v path="$1" -v busy=$((busy_after - busy_before)) -v hz="$HZ" -v probe="$(probe_fields)" \
		'{ printf "RESULT impl=%s path=%s sent=%s received=%s seconds=%s cpu_busy=%.2f%s\n", impl, path, $3, $5, $7, busy / hz, probe }'
}

# start_call DAEMON ARGS...: starts the daemon, sets up one call, latches it and waits
# until the daemon has pushed it to the kernel; sets RELAY_A_PORT
start_call() {
	"$@" >/tmp/daemon.log 2>&1 &
	DAEMON_PID=$!
	wait_for 100 $TOOL ng $NG 'd7:command4:pinge' || { echo "daemon does not answer"; tail /tmp/daemon.log; exit 1; }
	offer_sdp=$(sdp_for 10.1.0.2 5000)
	reply=$($TOOL ng $NG "d7:command5:offer7:call-id5:call18:from-tag4:tag13:sdp$(bencode_string "$offer_sdp")e")
	relay_b_port=$(printf '%s' "$reply" | media_port_of)
	answer_sdp=$(sdp_for 10.2.0.2 5002)
	reply=$($TOOL ng $NG "d7:command6:answer7:call-id5:call18:from-tag4:tag16:to-tag4:tag23:sdp$(bencode_string "$answer_sdp")e")
	RELAY_A_PORT=$(printf '%s' "$reply" | media_port_of)
	[ -n "$RELAY_A_PORT" ] && [ -n "$relay_b_port" ] || { echo "no media ports: $reply"; exit 1; }
	$TOOL relay a 10.1.0.2:5000 10.1.0.1:$RELAY_A_PORT b 10.2.0.2:5002 10.1.0.1:$relay_b_port 3 >/dev/null ||
		echo "note: latch packets not all relayed"
	wait_for 100 sh -c '[ "$(grep -c . /proc/rtpengine/0/list)" -gt 0 ]' ||
		{ echo "no kernel targets"; tail /tmp/daemon.log; exit 1; }
	sleep 1  # one more sync of the daemon, so both directions are in
}

# start_srtp_call CALL-ID SUITE KEY-BYTES PORT: a call whose B side speaks SDES-SRTP (A at
# 10.1.0.2:PORT, B at 10.2.0.2:PORT+2); sets SRTP_RELAY_A_PORT
start_srtp_call() {
	offer_sdp=$(sdp_for 10.1.0.2 $4)
	reply=$($TOOL ng $NG "d7:command5:offer7:call-id$(bencode_string $1)8:from-tag4:tagA18:transport-protocol8:RTP/SAVP3:sdp$(bencode_string "$offer_sdp")e")
	relay_b_port=$(printf '%s' "$reply" | media_port_of)
	suite=$2
	set -- "$1" "$2" "$3" "$4" $(printf '%s' "$reply" | sed -n "s/.*a=crypto:\([0-9]*\) $suite inline:\([A-Za-z0-9+\/=]*\).*/\1 \2/p" | head -n 1)
	tag=${5:-1}; relay_key=${6:-}
	b_key=$(head -c $3 /dev/urandom | base64 | tr -d '\n')
	answer_sdp=$(printf 'v=0\r\no=- 1 1 IN IP4 10.2.0.2\r\ns=-\r\nc=IN IP4 10.2.0.2\r\nt=0 0\r\nm=audio %s RTP/SAVP 0\r\na=crypto:%s %s inline:%s\r\na=sendrecv\r\n' $(($4 + 2)) "$tag" "$suite" "$b_key")
	reply=$($TOOL ng $NG "d7:command6:answer7:call-id$(bencode_string $1)8:from-tag4:tagA6:to-tag4:tagB3:sdp$(bencode_string "$answer_sdp")e")
	SRTP_RELAY_A_PORT=$(printf '%s' "$reply" | media_port_of)
	[ -n "$SRTP_RELAY_A_PORT" ] && [ -n "$relay_key" ] || { echo "no SRTP call $1: $reply"; exit 1; }
	$TOOL srtp-relay a 10.1.0.2:$4 10.1.0.1:$SRTP_RELAY_A_PORT plain b 10.2.0.2:$(($4 + 2)) 10.1.0.1:$relay_b_port \
		"$suite:$b_key:$relay_key" 3 1 >/dev/null || echo "note: SRTP latch packets of $1 not all relayed"
	sleep 2  # the daemon's sync pushes the SRTP targets
	grep -c . /proc/rtpengine/0/list >/dev/null
}
# start_recorded_call: a third call, recorded; sets REC_RELAY_A_PORT
start_recorded_call() {
	offer_sdp=$(sdp_for 10.1.0.2 5020)
	reply=$($TOOL ng $NG "d7:command5:offer7:call-id3:rec8:from-tag4:tagA11:record call3:yes3:sdp$(bencode_string "$offer_sdp")e")
	relay_b_port=$(printf '%s' "$reply" | media_port_of)
	answer_sdp=$(sdp_for 10.2.0.2 5022)
	reply=$($TOOL ng $NG "d7:command6:answer7:call-id3:rec8:from-tag4:tagA6:to-tag4:tagB3:sdp$(bencode_string "$answer_sdp")e")
	REC_RELAY_A_PORT=$(printf '%s' "$reply" | media_port_of)
	[ -n "$REC_RELAY_A_PORT" ] && [ -n "$relay_b_port" ] || { echo "no recorded call: $reply"; exit 1; }
	$TOOL relay a 10.1.0.2:5020 10.1.0.1:$REC_RELAY_A_PORT b 10.2.0.2:5022 10.1.0.1:$relay_b_port 3 >/dev/null ||
		echo "note: recorded call's latch packets not all relayed"
	sleep 2  # the daemon's sync pushes the recorded targets
	ls /proc/rtpengine/0/calls/*/* >/dev/null 2>&1 || echo "note: no recorded streams under /proc/rtpengine/0/calls"
}
# recorded_flood PATH: one flood of the recorded call (with a reader for kernel-recorded-read)
recorded_flood() {
	readers=
	if [ "$1" = kernel-recorded-read ]; then
		for stream in /proc/rtpengine/0/calls/*/*; do
			[ -e "$stream" ] || continue
			cat "$stream" >/dev/null 2>&1 &
			readers="$readers $!"
		done
		sleep 0.5   # the backlog drained before the measurement
	fi
	flood_result "$1" a 10.1.0.2:5020 10.1.0.1:$REC_RELAY_A_PORT b 10.2.0.2:5022
	for reader in $readers; do kill "$reader" 2>/dev/null; wait "$reader" 2>/dev/null || true; done
}

# srtp_flood PATH RELAY-A-PORT PORT: one flood of an SRTP call, its sequence numbers going
# on from the last (one counter for all calls: each SSRC only ever moves forward)
srtp_sequence=100
srtp_flood() {
	wanted "$1" || return 0
	probe_reset
	busy_before=$(cpu_busy_jiffies)
	out=$(FLOOD_SEQ=$srtp_sequence $TOOL flood a 10.1.0.2:$3 10.1.0.1:$2 b 10.2.0.2:$(($3 + 2)) "$SECONDS_PER_RUN") || true
	busy_after=$(cpu_busy_jiffies)
	# forward by less than half the sequence space each time: always read as newer (RFC 3711 3.3.1)
	srtp_sequence=$(( (srtp_sequence + $(echo "$out" | awk '{ print $3 }') + 10) % 65536 ))
	echo "$out" | awk -v impl="$IMPL" -v path="$1" -v busy=$((busy_after - busy_before)) -v hz="$HZ" -v probe="$(probe_fields)" \
		'{ printf "RESULT impl=%s path=%s sent=%s received=%s seconds=%s cpu_busy=%.2f%s\n", impl, path, $3, $5, $7, busy / hz, probe }'
}

HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
netns_peer a 1 route
netns_peer b 2 route
modprobe xt_RTPENGINE
iptables -I INPUT -p udp -j RTPENGINE --id 0
case "$IMPL" in
ours)
	start_call /tools/rtpengine --config-file=none --foreground --log-stderr -i 10.1.0.1 -n $NG \
		--endpoint-learning=immediate --delete-delay=0 --table=0 \
		--recording-dir=/tmp/spool --recording-method=proc ;;
debian)
	start_call /usr/bin/rtpengine --config-file=none --foreground --log-stderr -i 10.1.0.1 -n $NG \
		--endpoint-learning=immediate --delete-delay=0 --table=0 \
		--recording-dir=/tmp/spool --recording-method=proc ;;
*)
	echo "usage: guest-bench.sh ours|debian SECONDS [ROUNDS]"; exit 2 ;;
esac
start_srtp_call srtp AES_CM_128_HMAC_SHA1_80 30 5010
SRTP_CM_PORT=$SRTP_RELAY_A_PORT
start_srtp_call srtpgcm AEAD_AES_128_GCM 28 5030
SRTP_GCM_PORT=$SRTP_RELAY_A_PORT
[ "$IMPL" != ours ] || echo "kernel targets: $(grep -c '^target' /proc/rtpengine/0/list) ($(grep -c 'srtp' /proc/rtpengine/0/list) SRTP lines)"
start_recorded_call

# Alternating rounds, so that load changes on the host hit every path alike. The same
# daemon and call serve both relay paths: with the iptables rule the kernel forwards, without
# it every packet reaches the daemon's socket and is relayed in userspace.
round=0
while [ "$round" -lt "$ROUNDS" ]; do
	round=$((round + 1))
	flood_result kernel a 10.1.0.2:5000 10.1.0.1:$RELAY_A_PORT b 10.2.0.2:5002
	wanted userspace && iptables -D INPUT -p udp -j RTPENGINE --id 0
	flood_result userspace a 10.1.0.2:5000 10.1.0.1:$RELAY_A_PORT b 10.2.0.2:5002
	wanted userspace && iptables -I INPUT -p udp -j RTPENGINE --id 0
	# the load generator alone (sender and receiver in one namespace, over lo)
	flood_result generator b 10.2.0.2:5000 10.2.0.2:5002 b 10.2.0.2:5002
	# the generator plus plain kernel IP forwarding through the root namespace
	wanted ip-forward && echo 1 > /proc/sys/net/ipv4/ip_forward
	flood_result ip-forward a 10.1.0.2:5000 10.2.0.2:5002 b 10.2.0.2:5002
	echo 0 > /proc/sys/net/ipv4/ip_forward
	srtp_flood kernel-srtp $SRTP_CM_PORT 5010
	srtp_flood kernel-srtp-gcm $SRTP_GCM_PORT 5030
	wanted userspace-srtp && iptables -D INPUT -p udp -j RTPENGINE --id 0
	srtp_flood userspace-srtp $SRTP_CM_PORT 5010
	wanted userspace-srtp && iptables -I INPUT -p udp -j RTPENGINE --id 0
	wanted kernel-recorded && recorded_flood kernel-recorded
	wanted kernel-recorded-read && recorded_flood kernel-recorded-read
done
kill "$DAEMON_PID"; wait "$DAEMON_PID" || true
