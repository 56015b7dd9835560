#!/bin/bash
# Tests of the Debian packages `make deb` built in build/deb (make test-deb runs both):
#   0. rtpengine-get-table's sections, comments and fallback; the helper's arguments;
#   1. lintian: no errors (warnings and notes are printed);
#   2. a clean Debian 12 root (debootstrap from the mirror apt uses, kept as a tarball in $CACHE):
#      our packages install; `rtpengine --version` runs; systemd-analyze verify accepts the
#      units; the DKMS package builds xt_RTPENGINE for the kvm guest's kernel from the
#      installed sources; purge; then Debian's 10.5 packages are installed, configured by an
#      "operator" (config edit, unit override), and upgraded to ours: versions, conffiles and
#      the override kept, Debian's init script gone;
#   3. a kvm guest (KVM, default ../shared/kvm): the installed files and the module DKMS
#      built, the unit's helper and the daemon as an unprivileged user: kernel forwarding
#      active; stop undoes it (tests/deb/guest-service.sh). The guest's busybox tools are
#      linked into /usr/bin, where Debian has them (the helper sets its own PATH).
#   2b. systemd as PID 1 in that root (systemd-nspawn -b): systemctl start/stop of the unit,
#      rtpengine-ctl and rtpengine-ng-client against the service;
#   tests/deb/run-tests.sh [lintian|root|systemd|guest]...   (default: all four)
# Needs root (debootstrap, chroot, mounts). Exit status 0 = all passed.
set -euo pipefail
ROOT=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)
KVM=${KVM:-$ROOT/../shared/kvm}
DEBS=$ROOT/build/deb
# The Debian root lives outside the tree (the Makefile scans build/ for dependency files).
CACHE=${RTPENGINE_DEB_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rtpengine-deb-test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
STEPS=${*:-lintian root systemd guest}
VERSION=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
UPSTREAM_VERSION=${VERSION#*:}
PACKAGES="rtpengine-daemon rtpengine-iptables rtpengine-utils rtpengine-kernel-dkms"
failed=0
start=$SECONDS
fail() { echo "FAIL: $*"; failed=1; }
ok() { echo "ok: $*"; }

[ "$(id -u)" = 0 ] || { echo "run-tests.sh needs root (debootstrap, chroot)" >&2; exit 1; }
ls "$DEBS"/rtpengine-daemon_*.deb >/dev/null 2>&1 || { echo "no packages in $DEBS: make deb" >&2; exit 1; }
[ "$UPSTREAM_VERSION" = "$(cat "$ROOT/VERSION")" ] ||
	fail "debian/changelog version $VERSION does not match VERSION $(cat "$ROOT/VERSION")"

# ---- 0. the scripts on their own (fast, no root needed for these)
if [[ " $STEPS " == *" lintian "* ]]; then
	echo "== scripts"
	get_table=$ROOT/packaging/rtpengine-get-table
	conf=$(mktemp)
	printf '[other]\ntable = 9\n[rtpengine]\n# table = 5\n; table = 6\ntable = 3\ninterface = any\n[third]\nport-min = 1\n' >"$conf"
	[ "$("$get_table" --config-file="$conf")" = 3 ] || fail "get-table: [rtpengine] table"
	[ "$("$get_table" --config-file "$conf" --config-section other)" = 9 ] || fail "get-table: other section"
	[ "$("$get_table" --config-file="$conf" --config-section=third)" = -1 ] || fail "get-table: default fallback"
	[ "$("$get_table" --config-file="$conf" --config-section=third --fallback-table=0)" = 0 ] ||
		fail "get-table: --fallback-table"
	"$get_table" --config-file=/nonexistent >/dev/null 2>&1 && fail "get-table: missing file accepted"
	"$get_table" --bogus >/dev/null 2>&1 && fail "get-table: unknown option accepted"
	rm -f "$conf"
	"$ROOT/packaging/rtpengine-iptables-setup" restart >/dev/null 2>&1 && fail "setup: unknown action accepted"
	# a config without a table (or a negative one): nothing to do, so nothing to say
	conf=$(mktemp); defaults=$(mktemp)
	printf 'CONFIG_FILE=%s\nMANAGE_IPTABLES=yes\n' "$conf" >"$defaults"
	for body in '[rtpengine]\ninterface = any\n' '[rtpengine]\ntable = -1\n'; do
		printf "$body" >"$conf"
		out=$(RTPENGINE_DEFAULTS=$defaults RTPENGINE_GET_TABLE=$get_table \
			"$ROOT/packaging/rtpengine-iptables-setup" start 2>&1) && [ -z "$out" ] ||
			fail "setup start without a table did something: $out"
	done
	rm -f "$conf" "$defaults"
	[ $failed = 0 ] && ok "rtpengine-get-table and rtpengine-iptables-setup arguments"
fi

# ---- 1. lintian
if [[ " $STEPS " == *" lintian "* ]]; then
	echo "== lintian"
	if lintian --fail-on error "$DEBS"/*.changes 2>&1 | grep -v 'running with root privileges'; [ "${PIPESTATUS[0]}" = 0 ]; then
		ok "lintian: no errors"
	else
		fail "lintian reports errors"
	fi
fi

# ---- 2. a Debian 12 root
chroot_root=$CACHE/root
mounted=()
cleanup_root() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
	mounted=()
}
trap cleanup_root EXIT
# our packages as paths inside the root (apt installs them from files, the rest from the mirror)
our_debs() { local p; for p in $PACKAGES; do (cd "$chroot_root/debs" && ls ${p}_*.deb | sed 's|^|/debs/|'); done; }
in_root() { chroot "$chroot_root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
apt_in_root() {
	in_root apt-get -y -q -o Dpkg::Options::=--force-confold --no-install-recommends "$@" \
		>>"$CACHE/apt.log" 2>&1
}

if [[ " $STEPS " == *" root "* || " $STEPS " == *" guest "* ]]; then
	# the guest's kernel (the newest Debian kernel the harness installed) is the one DKMS
	# builds for
	if [ -x "$KVM/setup" ] && ! "$KVM/setup" --check >/dev/null 2>&1; then
		echo "== installing what the kvm harness needs ($KVM/setup)"
		"$KVM/setup" >/dev/null || fail "kvm harness setup"
	fi
	echo "== Debian 12 root"
	if [ ! -f "$CACHE/base.tar" ]; then
		# minbase plus what the packages' scripts and the tests use; the host's apt cache
		# saves downloads of what the machine has installed before.
		rm -rf "$CACHE/base" && mkdir -p "$CACHE"
		debootstrap --variant=minbase --include=systemd,iptables,kmod,adduser \
			--cache-dir=/var/cache/apt/archives bookworm "$CACHE/base" "$MIRROR" \
			>"$CACHE/debootstrap.log" 2>&1 || { tail -20 "$CACHE/debootstrap.log"; exit 1; }
		tar -C "$CACHE/base" -cf "$CACHE/base.tar.tmp" . && mv "$CACHE/base.tar.tmp" "$CACHE/base.tar"
		rm -rf "$CACHE/base"
	fi
	rm -rf "$chroot_root" && mkdir -p "$chroot_root"
	tar -C "$chroot_root" -xf "$CACHE/base.tar"
	: >"$CACHE/apt.log"
	for m in proc sys dev; do mount --bind "/$m" "$chroot_root/$m"; mounted+=("$chroot_root/$m"); done
	mount --bind /var/cache/apt/archives "$chroot_root/var/cache/apt/archives"
	mounted+=("$chroot_root/var/cache/apt/archives")
	cp /etc/resolv.conf "$chroot_root/etc/resolv.conf"
	# the suites a Debian 12 machine uses (point-release kernels and headers are in updates
	# and security)
	printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
		"$MIRROR" "$MIRROR" "$SECURITY_MIRROR" >"$chroot_root/etc/apt/sources.list"
	# package scripts must not start services in the root
	printf '#!/bin/sh\nexit 101\n' >"$chroot_root/usr/sbin/policy-rc.d"
	chmod +x "$chroot_root/usr/sbin/policy-rc.d"
	mkdir -p "$chroot_root/debs" && cp "$DEBS"/*.deb "$chroot_root/debs/"
	apt_in_root update
	ok "root ready in $((SECONDS - start)) s"
fi

if [[ " $STEPS " == *" root "* || " $STEPS " == *" guest "* ]]; then
	# fresh install, with the kernel headers of the kvm guest's kernel for DKMS
	guest_kernel=$(ls /lib/modules 2>/dev/null | grep -- '-amd64$' | sort -V | tail -1)
	[ -n "$guest_kernel" ] || { echo "no Debian kernel in /lib/modules (kvm harness setup)" >&2; exit 1; }
	if apt_in_root install "linux-headers-$guest_kernel" $(our_debs); then
		ok "packages installed into a clean root"
	else
		tail -30 "$CACHE/apt.log"; fail "install into a clean root"
	fi
	for p in $PACKAGES; do
		v=$(in_root dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
		[ "$v" = "$VERSION" ] || fail "$p: installed version '$v', expected $VERSION"
	done
	if out=$(in_root rtpengine --version 2>&1) && [ "$out" = "Version: $UPSTREAM_VERSION" ]; then
		ok "rtpengine --version: $out"
	else
		fail "rtpengine --version: $out"
	fi
	in_root rtpengine-ng-client --version >/dev/null 2>&1 || fail "rtpengine-ng-client --version"
	in_root id rtpengine >/dev/null 2>&1 || fail "no rtpengine user"
	if out=$(in_root systemd-analyze verify --man=no rtpengine-daemon.service 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify: units accepted"
	else
		fail "systemd-analyze verify: $out"
	fi
	[ "$(in_root readlink /lib/systemd/system/rtpengine.service)" = rtpengine-daemon.service ] ||
		fail "rtpengine.service alias missing"
	in_root man -w rtpengine.conf >/dev/null 2>&1 || [ -f "$chroot_root/usr/share/man/man5/rtpengine.conf.5.gz" ] ||
		fail "rtpengine.conf(5) not installed"
	# DKMS, as the package's postinst would for a kernel whose headers are installed
	if in_root dkms install -m rtpengine -v "$UPSTREAM_VERSION" -k "$guest_kernel" >"$CACHE/dkms.log" 2>&1; then
		ko=$(find "$chroot_root/lib/modules/$guest_kernel" -name 'xt_RTPENGINE.ko*' | head -1)
		[ -n "$ko" ] && ok "dkms built and installed $(basename "$ko") for $guest_kernel" ||
			fail "dkms: no module in /lib/modules/$guest_kernel"
	else
		tail -30 "$CACHE/dkms.log"; fail "dkms install for $guest_kernel"
	fi
	# the guest's files: the root as the packages left it
	rm -rf "$CACHE/guest" && mkdir -p "$CACHE/guest"
	cp -a "$chroot_root/usr/bin/rtpengine" "$chroot_root/usr/sbin/rtpengine-iptables-setup" \
		"$chroot_root/usr/libexec/rtpengine/rtpengine-get-table" "$chroot_root/etc/default/rtpengine-daemon" \
		"$chroot_root/etc/rtpengine/rtpengine.conf" "$chroot_root"/usr/lib/x86_64-linux-gnu/xtables/libxt_RTPENGINE.so \
		"$CACHE/guest/"
	[ -n "${ko:-}" ] && cp "$ko" "$CACHE/guest/"
	cp "$ROOT/tests/deb/guest-service.sh" "$CACHE/guest/"
fi

if [[ " $STEPS " == *" root "* ]]; then
	# purge, then the upgrade from Debian's packages
	apt_in_root purge $PACKAGES || { tail -20 "$CACHE/apt.log"; fail "purge"; }
	[ ! -e "$chroot_root/etc/rtpengine/rtpengine.conf" ] || fail "purge left rtpengine.conf"
	if apt_in_root install $PACKAGES; then
		debian_version=$(in_root dpkg-query -W -f='${Version}' rtpengine-daemon)
		ok "Debian's packages installed: $debian_version"
		echo "# operator's edit" >>"$chroot_root/etc/rtpengine/rtpengine.conf"
		mkdir -p "$chroot_root/etc/systemd/system/rtpengine-daemon.service.d"
		printf '[Service]\nLimitNOFILE=200000\n' >"$chroot_root/etc/systemd/system/rtpengine-daemon.service.d/override.conf"
		echo 'EXTRA_OPTS=operator' >>"$chroot_root/etc/default/rtpengine-daemon"
		if apt_in_root install $(our_debs); then
			for p in $PACKAGES; do
				v=$(in_root dpkg-query -W -f='${Version}' "$p")
				[ "$v" = "$VERSION" ] || fail "upgrade: $p is at $v"
			done
			grep -q "operator's edit" "$chroot_root/etc/rtpengine/rtpengine.conf" || fail "upgrade lost the config edit"
			grep -q 'EXTRA_OPTS=operator' "$chroot_root/etc/default/rtpengine-daemon" || fail "upgrade lost the defaults edit"
			[ -f "$chroot_root/etc/systemd/system/rtpengine-daemon.service.d/override.conf" ] || fail "upgrade lost the override"
			[ ! -e "$chroot_root/etc/init.d/rtpengine-daemon" ] || fail "Debian's init script left behind"
			[ ! -e "$chroot_root/usr/share/perl5/NGCP/Rtpengine.pm" ] || fail "Debian's Perl modules left behind"
			in_root /usr/libexec/rtpengine/rtpengine-get-table --help | grep -q -- --fallback-table || fail "get-table not ours"
			in_root dpkg --audit | grep . && fail "dpkg --audit after upgrade"
			in_root systemd-analyze verify --man=no rtpengine-daemon.service >/dev/null 2>&1 ||
				fail "systemd-analyze verify with the operator's override"
			ok "upgrade from Debian's $debian_version: versions, config, defaults and override kept"
		else
			tail -30 "$CACHE/apt.log"; fail "upgrade from Debian's packages"
		fi
	else
		tail -30 "$CACHE/apt.log"; fail "install of Debian's packages"
	fi
fi
cleanup_root

# ---- 2b. systemd as PID 1 in that root (systemd-nspawn -b, an overlay on tmpfs keeps the root
# as it is, a network namespace of its own): the unit starts the daemon (Type=notify: start
# returns once the daemon sent READY=1), rtpengine-ctl works against it, stop ends it cleanly.
# Kernel forwarding is not tested here: the container shares the host's kernel, which may not
# load our module (the kvm guest step does).
if [[ " $STEPS " == *" systemd "* ]]; then
	echo "== systemd in the root (systemd-nspawn -b)"
	nspawn_pid=""
	stop_container() {
		[ -n "$nspawn_pid" ] || return 0
		kill "$nspawn_pid" 2>/dev/null || true   # SIGTERM: the container halts
		for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$nspawn_pid" 2>/dev/null || true
		nspawn_pid=""
	}
	if ! command -v systemd-nspawn >/dev/null; then
		fail "systemd-nspawn missing (Debian package systemd-container)"
	elif [ ! -x "$chroot_root/usr/bin/rtpengine" ] ||
		[ "$(in_root dpkg-query -W -f='${Version}' rtpengine-daemon 2>/dev/null)" != "$VERSION" ]; then
		fail "systemd step: no root with our packages (run the root step first)"
	else
		systemd-nspawn -D "$chroot_root" --volatile=overlay --register=no --keep-unit --private-network \
			-b --console=pipe </dev/null >"$CACHE/nspawn.log" 2>&1 &
		nspawn_pid=$!
		init=""
		for _ in $(seq 100); do
			init=$(pgrep -P "$nspawn_pid" -x systemd || true)
			[ -n "$init" ] && break; sleep 0.1
		done
		in_container() { timeout 60 nsenter -t "$init" -a env LC_ALL=C.UTF-8 "$@"; }
		# systemctl fails until systemd's own socket is there; then --wait waits for the boot
		state=""
		for _ in $(seq 120); do
			[ -n "$init" ] || break
			state=$(in_container systemctl is-system-running --wait 2>&1 || true)
			[ "$state" = running ] || [ "$state" = degraded ] && break
			sleep 0.5
		done
		if [ "$state" != running ] && [ "$state" != degraded ]; then
			fail "systemd did not boot in the container: '$state'"; cat "$CACHE/nspawn.log"
		else
			ok "systemd booted as PID 1 ($state) in $((SECONDS - start)) s"
			# the container's network has lo only, where interface = any finds nothing (the unit
			# started at boot failed for that): a veth pair inside it, with a documentation
			# address, is the machine's network; then a CLI in the config, and start by hand
			nsenter -t "$init" -n sh -c 'ip link add rtp0 type veth peer name rtp1 &&
				ip addr add 192.0.2.10/24 dev rtp0 && ip link set rtp1 up && ip link set rtp0 up' ||
				fail "veth pair in the container"
			in_container systemctl stop rtpengine-daemon
			in_container systemctl reset-failed rtpengine-daemon 2>/dev/null || true
			in_container sed -i 's/^#* *listen-cli *=.*/listen-cli = 127.0.0.1:9900/' /etc/rtpengine/rtpengine.conf
			[ "$(in_container systemctl show -p Type --value rtpengine-daemon)" = notify ] || fail "unit is not Type=notify"
			if in_container systemctl start rtpengine-daemon &&
				[ "$(in_container systemctl is-active rtpengine-daemon)" = active ]; then
				ok "systemctl start rtpengine-daemon: active (READY=1 received)"
			else
				fail "systemctl start rtpengine-daemon"; in_container journalctl -u rtpengine-daemon --no-pager | tail -20
			fi
			main_pid=$(in_container systemctl show -p MainPID --value rtpengine-daemon)
			user=$(in_container stat -c %U "/proc/$main_pid" 2>/dev/null || true)
			[ "$user" = rtpengine ] || fail "daemon runs as '$user', not rtpengine"
			if out=$(in_container rtpengine-ctl -port 9900 list totals 2>&1) && grep -q "Total managed sessions" <<<"$out"; then
				ok "rtpengine-ctl list totals against the service"
			else
				fail "rtpengine-ctl list totals: $out"
			fi
			if in_container rtpengine-ng-client --proxy-port 2223 ping 2>&1 | grep -q pong; then
				ok "rtpengine-ng-client ping"
			else
				fail "rtpengine-ng-client ping"
			fi
			if in_container systemctl stop rtpengine-daemon && [ "$(in_container systemctl show -p Result --value rtpengine-daemon)" = success ] &&
				! in_container kill -0 "$main_pid" 2>/dev/null; then
				ok "systemctl stop: ended cleanly ($(in_container systemctl show -p ExecMainStatus rtpengine-daemon))"
			else
				fail "systemctl stop rtpengine-daemon"; in_container journalctl -u rtpengine-daemon --no-pager | tail -20
			fi
		fi
	fi
	stop_container
fi

# ---- 3. the kvm guest
if [[ " $STEPS " == *" guest "* ]]; then
	echo "== kvm guest"
	ko=$(ls "$CACHE"/guest/xt_RTPENGINE.ko* 2>/dev/null | head -1 || true)
	if [ ! -x "$KVM/run-vm" ]; then
		fail "no kvm harness at $KVM"
	elif [ -z "$ko" ]; then
		fail "no module from dkms: guest test skipped"
	else
		case "$ko" in *.xz) xz -dkf "$ko"; ko=${ko%.xz} ;; *.zst) zstd -dqf "$ko"; ko=${ko%.zst} ;; esac
		g=$CACHE/guest
		# the harness memoises ldd per list of paths and refreshes it only for files newer
		# than the memo; dpkg gives installed files the package's (old) build time, so a
		# rebuilt daemon with new libraries would boot with the old list
		touch "$g/rtpengine" "$g/libxt_RTPENGINE.so"
		xtlib=$(pkg-config --variable=xtlibdir xtables)
		if "$KVM/run-vm" --quiet --timeout 180 --iptables legacy --module "$ko" \
			--file "$g/rtpengine:/usr/bin/rtpengine" --bin setpriv \
			--file "$g/libxt_RTPENGINE.so:$xtlib/libxt_RTPENGINE.so" \
			--share "$g" \
			--cmd "set -e; mkdir -p /usr/sbin /usr/libexec/rtpengine /etc/default /etc/rtpengine;
				for a in \$(ls /bb); do [ -e /usr/bin/\$a ] || [ -e /usr/sbin/\$a ] || ln -s /bb/\$a /usr/bin/\$a; done;
				cp /share/rtpengine-iptables-setup /usr/sbin/; cp /share/rtpengine-get-table /usr/libexec/rtpengine/;
				cp /share/rtpengine-daemon /etc/default/; cp /share/rtpengine.conf /etc/rtpengine/;
				sh /share/guest-service.sh" \
			< /dev/null > "$CACHE/guest.log" 2>&1; then
			cat "$CACHE/guest.log"; ok "kvm guest: service helper and kernel forwarding"
		else
			cat "$CACHE/guest.log"; fail "kvm guest"
		fi
	fi
fi

echo "== package tests: $([ $failed = 0 ] && echo passed || echo FAILED) in $((SECONDS - start)) s"
exit $failed
