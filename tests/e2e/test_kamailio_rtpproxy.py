"""An old rtpproxy-module setup: Kamailio 5.6's rtpproxy module (not rtpengine) drives the
relay over the legacy protocol (--listen-udp), sipp as caller and callee. The Kamailio config
is examples/kamailio-relay.cfg with the rtpengine module swapped for rtpproxy. Proves: the call
completes, the callee's INVITE and the caller's 200 name the relay, the relay counts RTP both
ways, and BYE deletes the call."""

import os
import re

import pytest

import sip_harness as harness_module
from conftest import free_udp_port
from sip_harness import CALLEE_ADDRESS, CALLER_ADDRESS, EXAMPLE_CONFIG, SipHarness, sdp_media_endpoint
from test_kamailio import HOLD_MS, MIN_PACKETS, RELAY_ADDRESS, rtp_streams_by_endpoint, stream_packets
from process import wait_until


def rtpproxy_config(path):
    """The example with the rtpproxy module in place of rtpengine's."""
    with open(EXAMPLE_CONFIG) as handle:
        text = handle.read()
    text = text.replace('loadmodule "rtpengine.so"', 'loadmodule "rtpproxy.so"')
    text = text.replace('modparam("rtpengine", "rtpengine_sock", RTPENGINE_SOCKET)',
                        'modparam("rtpproxy", "rtpproxy_sock", RTPENGINE_SOCKET)')
    text = re.sub(r'^modparam\("rtpengine".*$', "", text, flags=re.MULTILINE)
    text = text.replace("rtpengine_manage(RTPENGINE_FLAGS)", "rtpproxy_manage()")
    text = text.replace("rtpengine_manage()", "rtpproxy_manage()")
    assert "rtpengine_" not in text.split("# --- Modules")[1]
    path.write_text(text)
    return str(path)


@pytest.fixture
def rtpproxy_harness(tmp_path, monkeypatch):
    monkeypatch.setattr(harness_module, "EXAMPLE_CONFIG", rtpproxy_config(tmp_path / "rtpproxy.cfg"))
    harness = SipHarness(tmp_path)
    yield harness
    harness.stop_all()


@pytest.mark.skipif(os.geteuid() != 0, reason="sipp's play_pcap_audio (raw socket) needs root")
@pytest.mark.skipif(not os.path.exists("/usr/lib/x86_64-linux-gnu/kamailio/modules/rtpproxy.so"),
                    reason="Kamailio's rtpproxy module is not installed")
def test_call_through_kamailio_rtpproxy_module(rtpengine_factory, rtpproxy_harness):
    legacy_port = free_udp_port()
    relay = rtpengine_factory("--listen-udp=127.0.0.1:%d" % legacy_port, interfaces=(RELAY_ADDRESS,))
    uas = rtpproxy_harness.start_uas()
    kamailio = rtpproxy_harness.start_kamailio(legacy_port, uas.address, uas.sip_port)
    uac = rtpproxy_harness.start_uac(kamailio, HOLD_MS)
    caller_media = (CALLER_ADDRESS, uac.media_port)
    callee_media = (CALLEE_ADDRESS, uas.media_port)

    calls = wait_until(lambda: relay.ng({"command": "list"}).get("calls"), 10)
    assert calls and len(calls) == 1, "relay never saw the call\n" + rtpproxy_harness.diagnostics()
    call_id = calls[0]

    def media_counted():
        streams = rtp_streams_by_endpoint(relay.ng({"command": "query", "call-id": call_id}))
        if (stream_packets(streams, caller_media) >= MIN_PACKETS
                and stream_packets(streams, callee_media) >= MIN_PACKETS):
            return streams
        return None
    assert wait_until(media_counted, 10, interval=0.1), rtpproxy_harness.diagnostics()

    assert (uac.wait(HOLD_MS / 1000 + 15), uas.wait(10)) == (0, 0), rtpproxy_harness.diagnostics()
    assert wait_until(lambda: call_id not in relay.ng({"command": "list"}).get("calls", []), 5), \
        rtpproxy_harness.diagnostics()
    invite = uas.received_request("INVITE")
    answer = uac.received_response(200, "INVITE")
    for endpoint in (sdp_media_endpoint(invite), sdp_media_endpoint(answer)):
        assert endpoint and endpoint[0] == RELAY_ADDRESS, invite + answer
        assert relay.port_min <= endpoint[1] <= relay.port_max
    kamailio.stop()
    errors = re.findall(r"^.*\bERROR:.*$", kamailio.log_text(), re.MULTILINE)
    assert not errors, "\n".join(errors)
