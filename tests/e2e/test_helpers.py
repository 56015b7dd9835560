"""Self-tests of the suite's own helpers (no daemon): a wrong helper would make the
end-to-end tests pass or fail for the wrong reason."""

import pytest

from calls import Sdp, make_sdp, media_section, simple_sdp
from ngclient import BencodeError, bdecode, bencode
from rtp import (RTCP_SDES, RTCP_SR, build_rtcp_compound, build_rtp, is_rtcp, parse_rtcp,
                 parse_rtp)


def test_bencode_round_trip():
    value = {"command": "offer", "flags": ["trust-address", "symmetric"], "n": -12,
             "nested": {"list": [1, "two", [b"\x00\xff"]]}}
    encoded = bencode(value)
    assert encoded.startswith(b"d7:command5:offer")
    decoded = bdecode(encoded)
    assert decoded["nested"]["list"][2] == [b"\x00\xff"]  # not UTF-8: stays bytes
    decoded["nested"]["list"][2] = [value["nested"]["list"][2][0]]
    assert decoded == value


@pytest.mark.parametrize("data", [b"", b"d", b"d3:abc", b"5:abc", b"i12", b"x", b"le1",
                                  b"d3:key", b"i1ei2e", b"l" * 500 + b"e" * 500])
def test_bdecode_rejects_malformed(data):
    with pytest.raises(BencodeError):
        bdecode(data)


def test_rtp_round_trip():
    packet = build_rtp(65535, 0xfffffff0, 0xdeadbeef, payload_type=8, payload=b"abc",
                       marker=True, csrcs=(1, 2), extension=(0xbede, b"\x10\x01\x00\x00"))
    parsed = parse_rtp(packet)
    assert (parsed.sequence, parsed.timestamp, parsed.ssrc) == (65535, 0xfffffff0, 0xdeadbeef)
    assert parsed.marker and parsed.payload_type == 8 and parsed.csrcs == [1, 2]
    assert parsed.extension_data == (0xbede, b"\x10\x01\x00\x00")
    assert parsed.payload == b"abc"
    assert not is_rtcp(packet)
    assert parse_rtp(packet[:11]) is None


def test_rtcp_compound_round_trip():
    packet = build_rtcp_compound(0x1234, packet_count=3)
    assert is_rtcp(packet) and len(packet) % 4 == 0
    parsed = parse_rtcp(packet)
    assert [p.packet_type for p in parsed] == [RTCP_SR, RTCP_SDES]
    assert all(p.ssrc == 0x1234 for p in parsed)
    assert parse_rtcp(packet[:-1]) is None


def test_sdp_parser():
    sdp = Sdp(make_sdp("127.0.0.2", media_section(4000, attributes=("rtcp:4005",)),
                       media_section(0, kind="video", payload_types=(96,),
                                     connection="::1")))
    assert sdp.origin == ("IP4", "127.0.0.2") and sdp.connection == ("IP4", "127.0.0.2")
    assert sdp.media_address(0) == ("127.0.0.2", 4000)
    assert sdp.rtcp_address(0) == ("127.0.0.2", 4005)
    assert sdp.media_connection(1) == ("IP6", "::1")
    assert sdp.medias[1].port == 0 and sdp.medias[1].kind == "video"
    assert Sdp(simple_sdp("127.0.0.2", 4000)).rtcp_address() == ("127.0.0.2", 4001)
