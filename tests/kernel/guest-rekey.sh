#!/bin/sh
# A re-INVITE with a new key, run by kernel_test_tool srtp-relay mid-flow (as "sh
# /share/guest-rekey.sh"): a new offer from A and an answer from B with a fresh key; prints
# B's new SPEC (SUITE:B's key:the relay's key) for the tool to switch to.
. /share/guest-sdes.sh
reply=$(srtp_offer)
set -- $(printf '%s' "$reply" | crypto_of $SUITE)
key=$(new_key)
srtp_answer "$1" "$key" >/dev/null
echo "$SUITE:$key:$2"
