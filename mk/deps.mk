# Debian 12 packages the build, the tests and the benchmarks need.
# `make deps` installs whatever is missing: idempotent, and quiet when all is there.

BUILD_PACKAGES := build-essential pkg-config clang libclang-rt-14-dev \
	libglib2.0-dev libssl-dev libpcap-dev libjson-c-dev libhiredis-dev libevent-dev \
	libavcodec-dev libavformat-dev libswresample-dev libavutil-dev libxtables-dev
# G.729 transcoding (daemon/codec_g729.c): bcg729, the library 10.5 uses (libavcodec has no G.729 encoder)
BUILD_PACKAGES += libbcg729-dev
# play media from a database (db-id, daemon/media_player_db.c): MariaDB's client library,
# the one Debian's 10.5 links; its e2e test starts a private mariadb-server
BUILD_PACKAGES += libmariadb-dev
TEST_PACKAGES += mariadb-server
TEST_PACKAGES := python3 python3-pytest kamailio sip-tester tshark redis-server \
	libsrtp2-dev iproute2 iptables procps psmisc
# call recording: Debian's rtpengine-recording reads the daemon's proc spool files in a test
TEST_PACKAGES += rtpengine-recording-daemon
# HTTP listener tests: promtool (prometheus), headless Chromium (live view), openssl (certificates)
TEST_PACKAGES += prometheus chromium openssl
# CLI: Debian's rtpengine-ctl (Perl) drives 10.5 in the CLI comparison tests.
TEST_PACKAGES += rtpengine-utils
# ICE / WebRTC: the real-browser test (tests/e2e/test_webrtc.py) drives headless Chromium over
# the DevTools protocol and plays a tone that sox makes
TEST_PACKAGES += chromium sox python3-websocket
# transcoding: unit tests transcode real speech from espeak-ng, resampled by sox
TEST_PACKAGES += espeak-ng sox
# rtpengine-recording's tests: known speech (espeak-ng, sox), codecs and MP3 probing (ffmpeg),
# correlation of the recorded audio (numpy)
TEST_PACKAGES += espeak-ng sox ffmpeg python3-numpy
# Debian's rtpengine is the reference the benchmark compares against.
BENCH_PACKAGES := rtpengine-daemon
# loadgen --srtp speaks SDES-SRTP through libsrtp2 (an independent implementation) for srtp_bench.py
BENCH_PACKAGES += libsrtp2-dev
# Packaging (make deb, make test-deb): debhelper and DKMS helpers, lintian, a Debian 12 root
# from debootstrap; pandoc turns docs/ into the man pages `make install` installs.
BUILD_PACKAGES += pandoc
PACKAGE_PACKAGES := debhelper dh-dkms dkms fakeroot lintian debootstrap pandoc systemd
# the package test boots systemd as PID 1 in the Debian root (systemd-nspawn -b)
PACKAGE_PACKAGES += systemd-container

# Package scripts must not start services (Debian's rtpengine, redis, kamailio) on
# the machine: a temporary policy-rc.d refuses them, unless one exists already.
define apt_install_missing
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		policy=""; if [ ! -e /usr/sbin/policy-rc.d ]; then \
			printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; policy=1; fi; \
		apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing >/dev/null; }; \
		rc=$$?; [ -z "$$policy" ] || rm -f /usr/sbin/policy-rc.d; exit $$rc; \
	fi
endef
