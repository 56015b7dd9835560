#!/bin/bash
# Restore of 4875 vs 10,000 calls in one kvm guest (../shared/kvm), where root may raise
# RLIMIT_NOFILE (the shared build containers cannot: no CAP_SYS_RESOURCE, hard limit 20000,
# four sockets per two-sided call). Under TCG emulation only the ratio of the two means
# anything: it shows whether restore stays linear up to 10,000 calls.
#   tests/bench/redis_restore_guest.sh          (~3 min; RTPENGINE_BINARY picks the daemon)
set -euo pipefail
ROOT=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
KVM=${KVM:-$ROOT/../shared/kvm}
DAEMON=${RTPENGINE_BINARY:-$ROOT/build/release/rtpengine}
SHARE=$(mktemp -d)
trap 'rm -rf "$SHARE"' EXIT
make -s -C "$ROOT" build/release/rtpengine
gcc -std=gnu11 -D_GNU_SOURCE -O2 -I"$ROOT/lib" -I"$ROOT/daemon" -I"$ROOT/kernel-module" -o "$SHARE/kernel_test_tool" \
	"$ROOT/tests/kernel/kernel_test_tool.c" "$ROOT/daemon/kernel.c" -lsrtp2 -lcrypto
# the values, as redis_bench.py writes them (ports 10000 + 2 i on 127.0.0.1 and 127.0.0.4)
ROOT=$ROOT /usr/bin/python3 - "$SHARE" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.environ.get("ROOT", "."), "tests", "bench"))
import redis_bench
for name, count, db in (("small", 4875, 1), ("large", 10000, 2)):
    with open(os.path.join(sys.argv[1], name + ".resp"), "wb") as out:
        out.write(redis_bench.resp("SELECT", db))
        for i in range(count):
            out.write(redis_bench.resp("SET", "bench-%d" % i, json.dumps(redis_bench.call_value(i, 10000 + 2 * i))))
PY
cat > "$SHARE/restore.sh" <<'GUEST'
#!/bin/sh
set -u
redis-server --port 6391 --bind 127.0.0.1 --save "" --appendonly no --dir /tmp >/tmp/redis.log 2>&1 &
i=0; while ! redis-cli -p 6391 PING >/dev/null 2>&1 && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.1; done
redis-cli -p 6391 --pipe < /share/small.resp | tail -1
redis-cli -p 6391 --pipe < /share/large.resp | tail -1
ulimit -n 60000
for db in 1 2; do
	/tools/rtpengine --config-file=none --table=-1 --foreground --log-level=5 --log-stderr -n 127.0.0.1:2299 \
		--interface=a/127.0.0.1 --interface=b/127.0.0.4 --port-min=10000 --port-max=30999 --delete-delay=0 \
		--redis=127.0.0.1:6391/$db >/tmp/d$db.log 2>&1 &
	pid=$!
	i=0; while ! /tools/kernel_test_tool ng 127.0.0.1:2299 'd7:command4:pinge' >/dev/null 2>&1 && [ $i -lt 2000 ]; do
		i=$((i+1)); sleep 0.05; done
	echo "db $db: $(grep -o 'restored [0-9]* call(s).*' /tmp/d$db.log)"
	kill $pid; wait $pid
done
GUEST
chmod +x "$SHARE/restore.sh"
TOOL=$(mktemp)
trap 'rm -rf "$SHARE" "$TOOL"' EXIT
mv "$SHARE/kernel_test_tool" "$TOOL"
"$KVM/run-vm" --quiet --timeout 600 --mem 2048 --bin redis-server --bin redis-cli \
	--file "$DAEMON:/tools/rtpengine" --file "$TOOL:/tools/kernel_test_tool" --share "$SHARE" -- "$SHARE/restore.sh"
