#!/bin/sh
# Runs inside a kvm guest (tests/deb/run-tests.sh): the files of the installed packages are
# at their paths (/usr/bin/rtpengine, /usr/sbin/rtpengine-iptables-setup, the extension, the
# packaged /etc files) and xt_RTPENGINE, built by DKMS from the installed sources, is in the
# module tree. Does what the rtpengine-daemon unit does, step by step, with the daemon as
# an unprivileged user (here "daemon", uid 1, for the unit's rtpengine):
#   ExecStartPre=+rtpengine-iptables-setup start, ExecStart, stop,
#   ExecStopPost=+rtpengine-iptables-setup stop.
# The packaged config says "interface = any", which needs an address besides loopback: the
# guest (no NIC) gets a dummy interface with a documentation address (RFC 5737).
set -u
fail() { echo "FAIL: $*"; [ -f /tmp/daemon.log ] && cat /tmp/daemon.log; exit 1; }
ok() { echo "ok: $*"; }

# the unit's defaults file, with the guest's unprivileged user
sed -i 's/^SET_USER=.*/SET_USER=daemon/' /etc/default/rtpengine-daemon
grep -q '^SET_USER=daemon' /etc/default/rtpengine-daemon || fail "defaults file not as packaged"

/usr/sbin/rtpengine-iptables-setup start || fail "setup start exited $?"
grep -q '^xt_RTPENGINE ' /proc/modules || fail "module not loaded"
ok "module loaded: $(cat /sys/module/xt_RTPENGINE/parameters/proc_uid 2>/dev/null) uid"
[ -d /proc/rtpengine/0 ] || fail "table 0 not created"
[ "$(stat -c %u /proc/rtpengine/0/control)" = 1 ] || fail "table control not owned by uid 1"
[ "$(stat -c %u /proc/rtpengine/control)" = 1 ] || fail "global control not owned by uid 1"
ok "table 0 created, owned by the daemon's user"
for tool in iptables ip6tables; do
	$tool -S INPUT | grep -q -- '-A INPUT -p udp -j rtpengine' || fail "$tool: no INPUT jump"
	$tool -S rtpengine | grep -q -- '-A rtpengine -p udp -j RTPENGINE --id 0' || fail "$tool: no RTPENGINE rule"
done
/usr/sbin/rtpengine-iptables-setup start || fail "second setup start exited $?"
[ "$(iptables -S rtpengine | grep -c RTPENGINE)" = 1 ] || fail "second start duplicated the rule"
[ "$(iptables -S INPUT | grep -c 'j rtpengine')" = 1 ] || fail "second start duplicated the jump"
ok "iptables and ip6tables rules in place, once"

ip link add rtpe0 type dummy && ip addr add 192.0.2.10/24 dev rtpe0 && ip link set rtpe0 up ||
	fail "dummy interface"
mkdir -p /run/rtpengine && chown 1:1 /run/rtpengine
setpriv --reuid=1 --regid=1 --clear-groups --inh-caps=+net_admin --ambient-caps=+net_admin \
	/usr/bin/rtpengine -f -E --no-log-timestamps --pidfile /run/rtpengine/rtpengine-daemon.pid \
	--config-file /etc/rtpengine/rtpengine.conf >/tmp/daemon.log 2>&1 &
pid=$!
i=0
until grep -qs "listening for ng" /tmp/daemon.log; do
	i=$((i + 1)); [ $i -le 100 ] || fail "daemon did not start"
	kill -0 $pid 2>/dev/null || fail "daemon exited"
	sleep 0.1
done
grep 'Kernel forwarding' /tmp/daemon.log
grep -q 'Kernel forwarding: ACTIVE on table 0' /tmp/daemon.log || fail "kernel forwarding not active"
[ "$(stat -c %u /proc/$pid)" = 1 ] || fail "daemon not running as uid 1"
ok "daemon as uid 1: kernel forwarding active"

kill $pid
i=0
while kill -0 $pid 2>/dev/null; do
	i=$((i + 1)); [ $i -le 100 ] || fail "daemon did not stop"
	sleep 0.1
done
/usr/sbin/rtpengine-iptables-setup stop || fail "setup stop exited $?"
[ ! -d /proc/rtpengine/0 ] || fail "table 0 left behind"
iptables -S | grep -q RTPENGINE && fail "iptables rule left behind"
ip6tables -S | grep -q RTPENGINE && fail "ip6tables rule left behind"
iptables -S | grep -q 'j rtpengine' && fail "INPUT jump left behind"
grep -q '^xt_RTPENGINE ' /proc/modules && fail "module still loaded"
ok "stop: table, rules and module gone"
echo "guest-service: passed"
