# An SDES call through our daemon for the guest scripts: plain A (10.1.0.2:5010) offers,
# RTP/SAVP B (10.2.0.2:5012) answers with a key of its own. Sourced as /share/guest-sdes.sh by
# guest-daemon.sh and guest-rekey-loop.sh, and by guest-rekey.sh, which kernel_test_tool's
# srtp-relay runs mid-flow (a child process: CALL and SUITE come from its environment).
# POSIX sh (the guest's /bin/sh is dash).
TOOL=${TOOL:-/tools/kernel_test_tool}
NG=${NG:-127.0.0.1:2223}
SUITE=${SUITE:-AES_CM_128_HMAC_SHA1_80}
CALL=${CALL:-srtp}
. /share/guest-lib.sh

# sdp_savp ADDRESS PORT CRYPTO-ATTRIBUTE-VALUE
sdp_savp() {
	printf 'v=0\r\no=- 1 2 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %s RTP/SAVP 0\r\na=crypto:%s\r\na=sendrecv\r\n' "$1" "$1" "$2" "$3"
}
# srtp_offer: A's offer of CALL, translated to RTP/SAVP towards B; prints the reply
srtp_offer() {
	$TOOL ng $NG "d7:command5:offer7:call-id$(bencode_string "$CALL")8:from-tag4:tagA18:transport-protocol8:RTP/SAVP3:sdp$(bencode_string "$(sdp_for 10.1.0.2 5010)")e"
}
# srtp_answer TAG KEY: B's answer with its key for SUITE; prints the reply
srtp_answer() {
	$TOOL ng $NG "d7:command6:answer7:call-id$(bencode_string "$CALL")8:from-tag4:tagA6:to-tag4:tagB3:sdp$(bencode_string "$(sdp_savp 10.2.0.2 5012 "$1 $SUITE inline:$2")")e"
}
# new_key: a random master key and salt for SUITE, in base64
new_key() {
	case $SUITE in
	AES_192*) bytes=38 ;; AES_256*) bytes=46 ;; AEAD_AES_128_GCM) bytes=28 ;; AEAD_AES_256_GCM) bytes=44 ;; *) bytes=30 ;;
	esac
	head -c $bytes /dev/urandom | base64 | tr -d '\n'
}
