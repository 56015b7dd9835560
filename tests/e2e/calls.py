"""SDP builders/parsers and a small call driver shared by the end-to-end tests."""

import collections
import itertools
import os
import re
import socket
import sys

import pytest

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "..", "lib")))

# imported from here by the test modules
from ports import udp_port_bindable  # noqa: E402,F401
from process import wait_until  # noqa: E402,F401

_call_numbers = itertools.count(1)


# ---------------------------------------------------------------- SDP (RFC 4566)

def family_of(address):
    return "IP6" if ":" in address else "IP4"


def media_section(port, payload_types=(0, 8), protocol="RTP/AVP", attributes=("sendrecv",),
                  kind="audio", connection=None):
    """One m= section. `connection` adds a media-level c= line with that address."""
    lines = ["m=%s %d %s %s" % (kind, port, protocol, " ".join(str(pt) for pt in payload_types))]
    if connection:
        lines.append("c=IN %s %s" % (family_of(connection), connection))
    names = {0: "PCMU/8000", 8: "PCMA/8000", 9: "G722/8000", 101: "telephone-event/8000"}
    for payload_type in payload_types:
        if payload_type in names:
            lines.append("a=rtpmap:%d %s" % (payload_type, names[payload_type]))
    lines += ["a=%s" % attribute for attribute in attributes]
    return "\r\n".join(lines) + "\r\n"


def make_sdp(address, *sections, origin_address=None, session_attributes=(), version=1,
             session_connection=True):
    """A complete SDP body: session lines, then the given media sections."""
    origin_address = origin_address or address
    text = ("v=0\r\no=- 3690788630 %d IN %s %s\r\ns=probes\r\n" %
            (version, family_of(origin_address), origin_address))
    if session_connection:
        text += "c=IN %s %s\r\n" % (family_of(address), address)
    text += "t=0 0\r\n"
    text += "".join("a=%s\r\n" % attribute for attribute in session_attributes)
    return text + "".join(sections)


def simple_sdp(address, port, attributes=("sendrecv",), **section_options):
    """Audio-only SDP with one m= line at address:port."""
    return make_sdp(address, media_section(port, attributes=attributes, **section_options))


SdpMedia = collections.namedtuple("SdpMedia", "kind port protocol formats connection attributes")


class Sdp:
    """Parsed SDP: origin, session connection, session attributes, media sections."""

    def __init__(self, text):
        self.text = text
        self.origin = None
        self.connection = None
        self.attributes = []
        self.medias = []
        media = None
        for line in text.replace("\r\n", "\n").split("\n"):
            if len(line) < 2 or line[1] != "=":
                continue
            kind, value = line[0], line[2:]
            if kind == "m":
                fields = value.split()
                media = SdpMedia(fields[0], int(fields[1]), fields[2], fields[3:], [None], [])
                self.medias.append(media)
            elif kind == "o":
                fields = value.split()
                self.origin = (fields[4], fields[5]) if len(fields) >= 6 else None
            elif kind == "c":
                fields = value.split()
                connection = (fields[1], fields[2].split("/")[0])
                if media:
                    media.connection[0] = connection
                else:
                    self.connection = connection
            elif kind == "a":
                (media.attributes if media else self.attributes).append(value)

    def media_connection(self, index=0):
        """(family, address) in effect for media `index`: media level, else session level."""
        return self.medias[index].connection[0] or self.connection

    def media_address(self, index=0):
        """(address, port) the peer of this SDP must send media `index` to."""
        return self.media_connection(index)[1], self.medias[index].port

    def rtcp_address(self, index=0):
        """Where RTCP goes: a=rtcp port (RFC 3605) or RTP port + 1."""
        address, port = self.media_address(index)
        for value in attribute_values(self.medias[index].attributes, "rtcp"):
            fields = value.split()  # port [nettype addrtype address]
            return (fields[3] if len(fields) >= 4 else address), int(fields[0])
        if has_attribute(self.medias[index].attributes, "rtcp-mux"):
            return address, port
        return address, port + 1


def attribute_values(attributes, name):
    """Values of a=name:value attributes."""
    prefix = name + ":"
    return [attribute[len(prefix):] for attribute in attributes if attribute.startswith(prefix)]


def has_attribute(attributes, name):
    return any(attribute == name or attribute.startswith(name + ":") for attribute in attributes)


def direction(attributes):
    for value in ("sendrecv", "sendonly", "recvonly", "inactive"):
        if value in attributes:
            return value
    return None


# ---------------------------------------------------------------- ng calls

def codec_sdp(address, port, payload_types, rtpmaps, extra=()):
    """One audio m= line with the given payload types, their rtpmaps and extra attributes."""
    text = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n"
            % (address, address, port, " ".join(str(pt) for pt in payload_types)))
    text += "".join("a=rtpmap:%s\r\n" % line for line in rtpmaps)
    text += "".join("a=%s\r\n" % line for line in extra)
    return text + "a=sendrecv\r\n"


CODEC_LINE_PREFIXES = ("m=", "a=rtpmap:", "a=fmtp:", "a=ptime:")


def codec_lines(text, prefixes=CODEC_LINE_PREFIXES):
    """The m= line (port masked) and the codec lines (rtpmap/fmtp/ptime), in order."""
    return [re.sub(r"^m=audio \d+", "m=audio PORT", line) for line in text.split("\r\n")
            if line.startswith(prefixes)]


def new_call_id():
    return "e2e-%d-%s@test" % (next(_call_numbers), os.urandom(4).hex())


def assert_ok(reply):
    assert reply.get("result") == "ok", "ng error: %r" % (reply,)
    return reply


def assert_error(reply):
    assert reply.get("result") == "error", "expected an error, got %r" % (reply,)
    assert reply.get("error-reason"), "error without error-reason: %r" % (reply,)
    return reply


class Call:
    """One SIP dialog's view of the relay: offer/answer/query/delete with its tags."""

    def __init__(self, daemon, call_id=None, from_tag="caller-tag", to_tag="callee-tag"):
        self.daemon = daemon
        self.call_id = call_id or new_call_id()
        self.from_tag = from_tag
        self.to_tag = to_tag

    def command(self, name, options=None, **fields):
        message = {"command": name, "call-id": self.call_id}
        message.update(fields)
        message.update(options or {})
        return self.daemon.ng(message)

    def offer(self, sdp, options=None):
        return self.command("offer", options, sdp=sdp, **{"from-tag": self.from_tag})

    def answer(self, sdp, options=None, to_tag=None):
        return self.command("answer", options, sdp=sdp,
                            **{"from-tag": self.from_tag, "to-tag": to_tag or self.to_tag})

    def query(self, options=None):
        return self.command("query", options)

    def delete(self, options=None):
        return self.command("delete", options, **{"from-tag": self.from_tag})


Established = collections.namedtuple(
    "Established", "call offer_sdp answer_sdp caller_sends_to callee_sends_to")


def establish(daemon, caller, callee, offer_options=None, answer_options=None,
              offer_sdp=None, answer_sdp=None, call=None):
    """Offer from `caller` (a MediaPeer), answer from `callee`; both must succeed.
    caller_sends_to / callee_sends_to are the relay's (address, port) from the SDPs."""
    call = call or Call(daemon)
    offer_reply = assert_ok(call.offer(offer_sdp or simple_sdp(caller.host, caller.port),
                                       offer_options))
    answer_reply = assert_ok(call.answer(answer_sdp or simple_sdp(callee.host, callee.port),
                                         answer_options))
    offer_parsed, answer_parsed = Sdp(offer_reply["sdp"]), Sdp(answer_reply["sdp"])
    return Established(call, offer_parsed, answer_parsed, answer_parsed.media_address(),
                       offer_parsed.media_address())


def streams_of(query_reply, tag):
    """All streams (RTP and RTCP) of the first media of `tag` in a query reply."""
    return query_reply["tags"][tag]["medias"][0]["streams"]


# ---------------------------------------------------------------- environment

def skip_unless_ipv6():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
