# Helpers every guest script shares: sourced by tests/kernel/guest-*.sh as /share/guest-lib.sh
# (run-tests.sh and run-bench.sh copy it next to netns.sh). POSIX sh plus `local` (the guest's
# /bin/sh is dash). The ng and daemon helpers read the script's TOOL (kernel_test_tool), NG
# (the daemon's ng address) and DAEMON (its binary); FAILURES counts failed checks.

# ---- checks ----

# fail MESSAGE...: a failed check; the script goes on and reports $FAILURES at its end
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }

# step TEXT...: a heading in the script's output
step() { echo "== $*"; }

# expect_fail CMD...: the command must fail (exit non-zero)
expect_fail() { if "$@" >/tmp/expect_fail.out 2>&1; then fail "expected to fail: $*"; cat /tmp/expect_fail.out; fi; }

# wait_for TRIES COMMAND...: retries every 0.1 s, bounded
wait_for() {
	tries=$1; shift
	while [ "$tries" -gt 0 ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		tries=$((tries - 1)); sleep 0.1
	done
	return 1
}

# ---- the kernel module ----

# counter_of LOCAL FIELD -> value from the tool's single-target query of table 0
counter_of() {
	$TOOL counters 0 "$1" | awk -v field="$2" '{ for (i = 1; i < NF; i++) if ($i == field) print $(i + 1) }'
}

# check_kernel_log: no oops, BUG, warning or sanitizer report in the kernel log
check_kernel_log() {
	if dmesg | grep -E 'Oops|BUG:|WARNING:|Call Trace|general protection|KASAN|refcount_t' >/tmp/badlog; then
		fail "kernel log shows problems:"; cat /tmp/badlog
	fi
}

# status_value KEY: a value of table 0's status file
status_value() { awk -v key="$1" '$1 == key { print $2 }' /proc/rtpengine/0/status; }

# target_count: the targets in table 0
target_count() { grep -c '^target$' /proc/rtpengine/0/list || true; }

# ---- ng requests and SDP ----

# bencode_string TEXT -> LENGTH:TEXT
bencode_string() { printf '%d:%s' "${#1}" "$1"; }

# sdp_for ADDRESS PORT: a plain PCMU offer or answer from an IPv4 party
sdp_for() {
	printf 'v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %s RTP/AVP 0\r\na=sendrecv\r\n' "$1" "$1" "$2"
}

# media_port_of: the first m=audio port of the reply (or SDP) on stdin
media_port_of() { sed -n 's/.*m=audio \([0-9]*\) .*/\1/p' | head -n 1; }

# crypto_of SUITE: "TAG KEY" of the a=crypto line for SUITE, from a reply on stdin
crypto_of() { sed -n "s/.*a=crypto:\([0-9]*\) $1 inline:\([A-Za-z0-9+\/=]*\).*/\1 \2/p" | head -n 1; }

# statistic NAME: an integer from the ng "statistics" reply (bencode "LEN:NAMEi123e")
statistic() {
	$TOOL ng $NG 'd7:command10:statisticse' | sed -n "s/.*${#1}:$1i\([0-9]*\)e.*/\1/p"
}

# ---- recorded calls: party A sends a 400 Hz tone, B 1000 Hz ----

# count_tones LABEL FILE TONE400 TONE1000 [WHY]: whether FILE, whose sound is TONE400 and
# TONE1000 parts 400 and 1000 Hz, is the mix (both) or one party's file (one alone); counted in
# $mixes, $singles400 and $singles1000 (the caller zeroes them), else a failure
count_tones() {
	if awk -v a="$3" -v b="$4" 'BEGIN { exit !(a > 0.2 && b > 0.2) }'; then mixes=$((mixes + 1))
	elif awk -v a="$3" -v b="$4" 'BEGIN { exit !(a > 0.8 && b < 0.05) }'; then singles400=$((singles400 + 1))
	elif awk -v a="$3" -v b="$4" 'BEGIN { exit !(b > 0.8 && a < 0.05) }'; then singles1000=$((singles1000 + 1))
	else fail "$1: $(basename "$2") holds neither tone clearly${5:+ ($5)}"
	fi
}

# check_tone_counts LABEL: count_tones saw one file per party and one mix
check_tone_counts() {
	[ "$singles400" = 1 ] && [ "$singles1000" = 1 ] && [ "$mixes" = 1 ] \
		|| fail "$1: expected one file per party and one mix: 400 Hz $singles400, 1000 Hz $singles1000, mix $mixes"
}

# ---- our daemon ----

# daemon_start LOG OPTIONS...: $DAEMON with ng on $NG, media on 10.1.0.1 (the root namespace's
# end of netns_peer a 1), endpoints learnt at once, no delete delay, plus OPTIONS; its output
# in LOG. Waits until it answers ping (10 s at most, else a failure and finish); sets DAEMON_PID.
daemon_start() {
	local log="$1"
	shift
	$DAEMON --config-file=none --foreground --log-stderr -i 10.1.0.1 -n $NG \
		--endpoint-learning=immediate --delete-delay=0 "$@" >"$log" 2>&1 &
	DAEMON_PID=$!
	wait_for 100 $TOOL ng $NG 'd7:command4:pinge' || { fail "daemon does not answer ping"; finish; }
}

# daemon_stop: SIGTERM and wait
daemon_stop() {
	kill "$DAEMON_PID"
	wait "$DAEMON_PID" || true
	DAEMON_PID=
}

# ---- the end of a script ----

# end_process PID: ends a process the script started (none when PID is empty), continuing it
# first in case a check left it SIGSTOPped
end_process() {
	[ -n "$1" ] || return 0
	kill -CONT "$1" 2>/dev/null || true
	kill "$1" 2>/dev/null || true
}

# report_and_exit NAME LOG...: a script's last words (its finish, the EXIT trap). With failures:
# the tail of each LOG (without the daemon's per-request lines) and of the kernel log,
# "NAME: N failure(s)", exit 1; else "NAME: all checks passed", exit 0.
report_and_exit() {
	local name="$1" log
	shift
	if [ "$FAILURES" -ne 0 ]; then
		for log in "$@"; do
			echo "--- $log"; grep -v 'Received\|Replying' "$log" 2>/dev/null | tail -n 30 || true
		done
		echo "--- kernel log"; dmesg | tail -n 20
		echo "$name: $FAILURES failure(s)"
		exit 1
	fi
	echo "$name: all checks passed"
	exit 0
}
