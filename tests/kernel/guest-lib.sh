# Helpers every guest script shares: sourced by tests/kernel/guest-*.sh as /share/guest-lib.sh
# (run-tests.sh and run-bench.sh copy it next to netns.sh). POSIX sh (the guest's /bin/sh is dash).

# fail MESSAGE...: a failed check; the script goes on and reports $FAILURES at its end
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }

# wait_for TRIES COMMAND...: retries every 0.1 s, bounded
wait_for() {
	tries=$1; shift
	while [ "$tries" -gt 0 ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		tries=$((tries - 1)); sleep 0.1
	done
	return 1
}
