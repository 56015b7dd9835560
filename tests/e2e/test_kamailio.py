"""Real calls through Kamailio 5.6 (examples/kamailio-relay.cfg) and the relay, with sipp
as caller and callee.

    sipp UAC 127.0.0.2 --SIP--> Kamailio 127.0.0.1 --SIP--> sipp UAS 127.0.0.1 (-rtp_echo)
                 \\--RTP-->  relay 127.0.0.3  --RTP--> UAS, and the echo all the way back

The relay listens for media on 127.0.0.3, an address neither SIP peer uses, so an SDP
naming it can only have been rewritten by the relay. Proves: the call completes; each side
received SDP with the relay's address and a port from its range; RTP went through the
relay in all four legs (its counters and a capture on lo); BYE removed the call.
Declined (486) and cancelled calls prove the example deletes the relay session of a call
that never got answered.
"""

import os
import re
import subprocess

import pytest

from sip_harness import (CALLEE_ADDRESS, CALLER_ADDRESS, EXAMPLE_CONFIG, KAMAILIO_BINARY,
                         UAC_CANCEL_SCENARIO, UAC_DECLINED_SCENARIO, UAS_BUSY_SCENARIO,
                         UAS_RINGING_SCENARIO, SipHarness,
                         render_kamailio_config, sdp_media_endpoint, sip_header, wait_until)

RELAY_ADDRESS = "127.0.0.3"
# How long the caller keeps the call up after the ACK; g711a.pcap sends a packet every
# 30 ms, so this is about 100 packets, and leaves time to read the relay's counters.
HOLD_MS = 3000
# Packets each direction must show before we call the media path proven (~0.6 s of audio).
MIN_PACKETS = 20


@pytest.fixture
def sip_harness(tmp_path):
    harness = SipHarness(tmp_path)
    yield harness
    harness.stop_all()


def rtp_streams_by_endpoint(query_reply):
    """{(peer address, peer port): stream} for the RTP streams of an ng `query` reply."""
    streams = {}
    for tag in query_reply.get("tags", {}).values():
        for media in tag.get("medias", []):
            for stream in media.get("streams", []):
                endpoint = stream.get("endpoint") or {}
                if "RTP" in stream.get("flags", []) and "address" in endpoint:
                    streams[(endpoint["address"], endpoint["port"])] = stream
    return streams


def stream_packets(streams, endpoint):
    return (streams.get(endpoint) or {}).get("stats", {}).get("packets", 0)


def test_example_config_passes_kamailio_check(tmp_path):
    """The example as shipped, and with the settings the harness replaces, parses
    (kamailio -c loads every module and checks the routing script)."""
    with open(EXAMPLE_CONFIG) as handle:
        template = handle.read()
    rendered = tmp_path / "kamailio.cfg"
    rendered.write_text(render_kamailio_config(template, {
        "LISTEN_SOCKET": "udp:127.0.0.1:5999",
        "RTPENGINE_SOCKET": '"udp:127.0.0.1:2999"',
        "DOWNSTREAM_URI": '"sip:127.0.0.1:5998"'}))
    for path in (EXAMPLE_CONFIG, str(rendered)):
        result = subprocess.run([KAMAILIO_BINARY, "-c", "-f", path], capture_output=True,
                                text=True, timeout=30, cwd=str(tmp_path), check=False)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "udp:127.0.0.1:5999" in rendered.read_text()


@pytest.mark.skipif(os.geteuid() != 0, reason="sipp's play_pcap_audio (raw socket) and "
                    "dumpcap on lo need root")
def test_call_through_kamailio_is_relayed(rtpengine_factory, sip_harness):
    relay = rtpengine_factory(interfaces=(RELAY_ADDRESS,))
    uas = sip_harness.start_uas()
    kamailio = sip_harness.start_kamailio(relay.ng_port, uas.address, uas.sip_port)
    capture = sip_harness.start_capture("udp and host %s" % RELAY_ADDRESS)
    uac = sip_harness.start_uac(kamailio, HOLD_MS)
    caller_media = (CALLER_ADDRESS, uac.media_port)
    callee_media = (CALLEE_ADDRESS, uas.media_port)

    # While the call is up: the relay has exactly this call, and its counters show RTP
    # from the caller (played pcap) and from the callee (the echo of what the relay sent).
    calls = wait_until(lambda: relay.ng({"command": "list"}).get("calls"), 10)
    assert calls and len(calls) == 1, "relay never saw the call\n" + sip_harness.diagnostics()
    call_id = calls[0]

    def media_counted():
        if not uac.alive():
            return None
        reply = relay.ng({"command": "query", "call-id": call_id})
        streams = rtp_streams_by_endpoint(reply)
        if (stream_packets(streams, caller_media) >= MIN_PACKETS
                and stream_packets(streams, callee_media) >= MIN_PACKETS):
            return streams
        return None

    streams = wait_until(media_counted, 10, interval=0.1)
    assert streams, ("relay did not count %d RTP packets each way while the call was up:\n%s"
                     % (MIN_PACKETS, sip_harness.diagnostics()))

    # The call completes: both scenarios run to the end (INVITE/200/ACK, BYE/200).
    uac_status = uac.wait(HOLD_MS / 1000 + 15)
    uas_status = uas.wait(10)
    assert (uac_status, uas_status) == (0, 0), sip_harness.diagnostics()

    # BYE went through Kamailio, whose rtpengine_manage() deleted the call (delete-delay 0).
    assert wait_until(lambda: call_id not in relay.ng({"command": "list"}).get("calls", []), 5), \
        "call %s still listed after BYE\n%s" % (call_id, sip_harness.diagnostics())

    # The callee got an offer naming the relay, not the caller; the caller got an answer
    # naming the relay, not the callee. Both ports come from the relay's range and are the
    # local ports the relay reported for the respective peer.
    invite = uas.received_request("INVITE")
    answer = uac.received_response(200, "INVITE")
    assert invite and answer, sip_harness.diagnostics()
    assert sip_header(invite, "Call-ID") == call_id
    relay_for_callee = sdp_media_endpoint(invite)
    relay_for_caller = sdp_media_endpoint(answer)
    for endpoint, peer in ((relay_for_callee, callee_media), (relay_for_caller, caller_media)):
        assert endpoint is not None and endpoint[0] == RELAY_ADDRESS, invite + answer
        assert relay.port_min <= endpoint[1] <= relay.port_max, endpoint
        assert streams[peer]["local port"] == endpoint[1], (endpoint, streams[peer])
    assert CALLER_ADDRESS not in invite.split("\r\n\r\n", 1)[1], invite

    # On the wire: RTP in all four legs went through those relay ports.
    sip_harness.stop_capture(capture)
    legs = {
        "caller -> relay": caller_media + relay_for_caller,
        "relay -> callee": relay_for_callee + callee_media,
        "callee -> relay": callee_media + relay_for_callee,
        "relay -> caller": relay_for_caller + caller_media,
    }
    packets = capture.udp_packets()
    counts = {leg: packets.count(flow) for leg, flow in legs.items()}
    assert all(count >= MIN_PACKETS for count in counts.values()), \
        (counts, sip_harness.diagnostics())

    # Kamailio's rtpengine module logs an ERROR for every ng reply it cannot use.
    kamailio.stop()
    errors = re.findall(r"^.*\bERROR:.*$", kamailio.log_text(), re.MULTILINE)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("uac_scenario, uas_scenario", [
    (UAC_DECLINED_SCENARIO, UAS_BUSY_SCENARIO),
    (UAC_CANCEL_SCENARIO, UAS_RINGING_SCENARIO),
], ids=["declined-486", "cancelled"])
def test_unanswered_call_is_deleted(rtpengine_factory, sip_harness, uac_scenario,
                                    uas_scenario):
    """The callee answers 486, or the caller cancels while it rings: the offer reached
    the relay (the INVITE the callee received names the relay), and the example deleted
    the session again (failure_route for the 486; the CANCEL branch of request_route,
    with the failure_route skipping a cancelled transaction). Without that delete the
    call would stay until the relay's media timeout."""
    relay = rtpengine_factory(interfaces=(RELAY_ADDRESS,))
    uas = sip_harness.start_uas(uas_scenario)
    kamailio = sip_harness.start_kamailio(relay.ng_port, uas.address, uas.sip_port)
    uac = sip_harness.start_uac(kamailio, scenario=uac_scenario)

    assert (uac.wait(15), uas.wait(10)) == (0, 0), sip_harness.diagnostics()
    invite = uas.received_request("INVITE")
    assert invite, sip_harness.diagnostics()
    offered = sdp_media_endpoint(invite)
    assert offered and offered[0] == RELAY_ADDRESS, invite
    assert relay.port_min <= offered[1] <= relay.port_max, offered
    assert wait_until(lambda: not relay.ng({"command": "list"}).get("calls"), 5), \
        "unanswered call still listed\n" + sip_harness.diagnostics()
    kamailio.stop()
    errors = re.findall(r"^.*\bERROR:.*$", kamailio.log_text(), re.MULTILINE)
    assert not errors, "\n".join(errors)


@pytest.mark.upstream_differs("10.5.3.5 does not know sdp-attr: Kamailio's flags reach it and it "
                              "logs 'Unknown flag encountered', the SDP unchanged (test_sdp_attr.py)")
def test_sdp_attr_flags_from_kamailio(rtpengine_factory, sip_harness):
    """rtpengine_manage("... sdp-attr-...") in the example config: Kamailio passes the words
    as flags (".." for a space, "--" for '=' since it splits words and key=value itself);
    the offer to the callee and the answer to the caller both carry the edits."""
    relay = rtpengine_factory(interfaces=(RELAY_ADDRESS,))
    uas = sip_harness.start_uas()
    kamailio = sip_harness.start_kamailio(
        relay.ng_port, uas.address, uas.sip_port,
        rtpengine_flags='"replace-origin replace-session-connection ICE=remove '
                        'sdp-attr-add-audio-fmtp:8..mode--x sdp-attr-remove-audio-rtcp"')
    uac = sip_harness.start_uac(kamailio, 200)
    assert (uac.wait(15), uas.wait(10)) == (0, 0), sip_harness.diagnostics()
    invite = uas.received_request("INVITE")
    answer = uac.received_response(200, "INVITE")
    assert invite and answer, sip_harness.diagnostics()
    for message in (invite, answer):
        body = message.split("\r\n\r\n", 1)[1]
        assert "a=fmtp:8 mode=x" in body, message
        assert "a=rtcp:" not in body, message
