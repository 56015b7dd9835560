"""The legacy rtpproxy protocol on --listen-udp (-u): version and capability queries, update
and lookup setting up a call whose media is relayed, query, info, delete, and bad input."""

import re
import socket

import pytest

from conftest import free_udp_port
from rtp import relay_through, rtp_stream

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"


class LegacyClient:
    def __init__(self, port):
        self.address = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(2)
        self.sock.bind(("127.0.0.1", 0))
        self.number = 0

    def close(self):
        self.sock.close()

    def command(self, text):
        """Sends "COOKIE text"; returns the reply after the cookie."""
        self.number += 1
        cookie = "k%d" % self.number
        self.sock.sendto(("%s %s" % (cookie, text)).encode(), self.address)
        reply = self.sock.recv(65536).decode()
        assert reply.startswith(cookie + " "), reply
        return reply[len(cookie) + 1:]


@pytest.fixture
def legacy(rtpengine_factory):
    port = free_udp_port()
    daemon = rtpengine_factory("--listen-udp=127.0.0.1:%d" % port, "--endpoint-learning=immediate",
                               delete_delay=0)
    client = LegacyClient(port)
    yield daemon, client
    client.close()


def relay_address(reply):
    match = re.fullmatch(r"(\d+) (\S+) 4\n", reply)
    assert match, reply
    return match.group(2), int(match.group(1))


def test_version_and_capabilities(legacy):
    _, client = legacy
    assert client.command("V") == "20040107\n"
    for capability, supported in (("20040107", "1"), ("20050322", "1"), ("20060704", "1"),
                                  ("20071116", "0"), ("20230101", "0")):
        assert client.command("VF %s" % capability) == supported + "\n"


@pytest.mark.upstream_differs("10.5 stops answering its control sockets after a Q with ';N' tags")
def test_update_lookup_relays_media_then_delete(legacy, media_peer):
    daemon, client = legacy
    caller, callee = media_peer(CALLER), media_peer(CALLEE)
    caller_side = relay_address(client.command("U legacy-call %s %d ft;1" % (caller.host, caller.port)))
    # a retransmitted update gets the same port
    assert relay_address(client.command("U legacy-call %s %d ft;1" % (caller.host, caller.port))) == caller_side
    callee_side = relay_address(client.command("L legacy-call %s %d ft;1 tt;1" % (callee.host, callee.port)))
    assert caller_side[0] == callee_side[0] == "127.0.0.1"
    # the caller sends to what the lookup returned, the callee to what the update returned
    forward = list(rtp_stream(0x1111, 5))
    received = relay_through(caller.rtp, callee_side, forward, callee.rtp)
    assert sorted(data for data, _ in received) == sorted(forward)
    backward = list(rtp_stream(0x2222, 5))
    received = relay_through(callee.rtp, caller_side, backward, caller.rtp)
    assert sorted(data for data, _ in received) == sorted(backward)
    query = client.command("Q legacy-call ft;1 tt;1")
    fields = query.split()
    assert len(fields) == 5 and sum(int(field) for field in fields[1:]) == 10, query
    # the same call through ng
    reply = daemon.ng({"command": "query", "call-id": "legacy-call"})
    assert reply["result"] == "ok"
    assert client.command("D legacy-call ft tt") == "0\n"
    assert daemon.ng({"command": "query", "call-id": "legacy-call"})["result"] == "error"


def test_codec_modifier(legacy):
    daemon, client = legacy
    relay_address(client.command("Uc8,0,101 codec-call 127.0.0.1 5000 ft;1"))
    reply = daemon.ng({"command": "query", "call-id": "codec-call"})
    assert reply["result"] == "ok"


@pytest.mark.upstream_differs("10.5 answers E8 to I and to tags without ';N'")
def test_info_and_plain_tags(legacy):
    _, client = legacy
    relay_address(client.command("U plain-tags 127.0.0.1 5000 fromtag"))
    relay_address(client.command("L plain-tags 127.0.0.1 6000 fromtag totag"))
    assert client.command("I") == "sessions created: 1\nactive sessions: 1\n"


@pytest.mark.upstream_differs("10.5 answers some malformed updates with a fallback address")
def test_errors(legacy):
    daemon, client = legacy
    assert client.command("D no-such-call ft") == "E8\n"
    assert client.command("L no-such-call 127.0.0.1 6000 ft;1 tt;1") == "E8\n"
    assert client.command("Q no-such-call ft;1 tt;1") == "E8\n"
    assert client.command("U") == "E8\n"
    assert client.command("U call 127.0.0.1 notaport ft;1") == "E8\n"
    assert client.command("X") == "E8\n"
    assert client.command("U stream-17 127.0.0.1 5000 ft;17") == "E8\n"
    # oversized and empty datagrams: no reply, the daemon carries on
    client.sock.sendto(b"k0 V " + b"x" * 8000, client.address)
    client.sock.sendto(b"", client.address)
    assert client.command("V") == "20040107\n"
    assert daemon.alive()


def test_listen_udp_alone(tmp_path):
    """Old rtpproxy-module setups (and upstream's test scripts) give -u and no ng socket."""
    from conftest import RTPENGINE_BINARY, free_port_range
    from process import ManagedProcess
    port = free_udp_port()
    port_min, port_max = free_port_range(["127.0.0.1"], 20)
    daemon = ManagedProcess([RTPENGINE_BINARY, "--config-file=none", "--table=-1", "--foreground",
                             "--log-stderr", "-u", "127.0.0.1:%d" % port, "--interface=127.0.0.1",
                             "--port-min=%d" % port_min, "--port-max=%d" % port_max],
                            str(tmp_path / "legacy-only.log"))
    client = LegacyClient(port)
    client.sock.settimeout(0.2)

    def answers():
        try:
            return client.command("V") == "20040107\n"
        except OSError:
            return False
    try:
        assert daemon.wait_ready(answers, 10), daemon.describe()
        client.sock.settimeout(2)
        relay_address(client.command("U alone 127.0.0.1 5000 ft;1"))
    finally:
        client.close()
        daemon.stop()


def test_internal_external_flags_pick_interfaces(rtpengine_factory):
    """The rtpproxy module's i/e flags: the interfaces named internal and external."""
    port = free_udp_port()
    rtpengine_factory("--listen-udp=127.0.0.1:%d" % port,
                      interfaces=("internal/127.0.0.1", "external/127.0.0.5"))
    client = LegacyClient(port)
    try:
        # the update's reply faces the callee: the second flag's interface
        assert relay_address(client.command("Uie ie-call 127.0.0.2 5000 ft;1"))[0] == "127.0.0.5"
        assert relay_address(client.command("L ie-call 127.0.0.3 6000 ft;1 tt;1"))[0] == "127.0.0.1"
        assert relay_address(client.command("Uei ei-call 127.0.0.2 5000 ft;1"))[0] == "127.0.0.1"
    finally:
        client.close()


@pytest.mark.upstream_differs("10.5 relays nothing of the first stream in this sequence")
def test_two_streams_as_the_rtpproxy_module_sends_them(legacy, media_peer):
    """One U and one L per m= line, numbered ;1 and ;2: both streams relayed, each keeping
    its port when the first is sent again (a re-INVITE)."""
    daemon, client = legacy
    caller_audio, caller_video = media_peer(CALLER), media_peer(CALLER)
    callee_audio, callee_video = media_peer(CALLEE), media_peer(CALLEE)
    for_callee = [relay_address(client.command("U two %s %d ft;%d" % (CALLER, peer.port, number)))
                  for number, peer in ((1, caller_audio), (2, caller_video))]
    for_caller = [relay_address(client.command("L two %s %d ft;%d tt;%d" % (CALLEE, peer.port, number, number)))
                  for number, peer in ((1, callee_audio), (2, callee_video))]
    assert len(set(for_callee + for_caller)) == 4
    for caller, callee, to_callee, to_caller in ((caller_audio, callee_audio, for_caller[0], for_callee[0]),
                                                 (caller_video, callee_video, for_caller[1], for_callee[1])):
        forward = list(rtp_stream(0x3333, 3))
        assert sorted(d for d, _ in relay_through(caller.rtp, to_callee, forward, callee.rtp)) == sorted(forward)
        backward = list(rtp_stream(0x4444, 3))
        assert sorted(d for d, _ in relay_through(callee.rtp, to_caller, backward, caller.rtp)) == sorted(backward)
    assert relay_address(client.command("U two %s %d ft;1" % (CALLER, caller_audio.port))) == for_callee[0]
    query = daemon.ng({"command": "query", "call-id": "two"})
    assert len(query["tags"]["ft"]["medias"]) == 2
    assert client.command("D two ft tt") == "0\n"
    # the call-id may come back as a new call with one stream
    relay_address(client.command("U two %s %d ft;1" % (CALLER, caller_audio.port)))
    assert len(daemon.ng({"command": "query", "call-id": "two"})["tags"]["ft"]["medias"]) == 1
