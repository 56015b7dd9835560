#!/usr/bin/python3
"""Records what the reference rtpengine 10.5 emits for each SDP in this folder, as the expected
outputs test_sdp.c compares our writer against.

For every case below it starts /usr/bin/rtpengine (--config-file=none, loopback only), sends an
offer (and, for answer cases, an answer) over the ng protocol, and writes:
  expected/<case>.expected  the SDP the reference returned, with its ports normalised
                            (media k: RTP 40000+10k, RTCP 40000+10k+1 or the RTP port if muxed)
  expected/<case>.rewrite   the rewrite inputs (our address, ports, rtcp-mux, ICE credentials,
                            SRTP lines, options) that reproduce it, read by test_sdp.c
Cases the reference refuses get only a .rewrite with "error".

Run: /usr/bin/python3 tests/unit/sdp/generate_expected.py   (from anywhere; about 2 s)
"""
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "expected")
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))

from ng import NgClient  # noqa: E402
from ports import free_port_range, free_udp_port  # noqa: E402
from process import ManagedProcess  # noqa: E402

REFERENCE_BINARY = "/usr/bin/rtpengine"

# name: (offer file, offer flags, answer file or None, answer flags)
CASES = {
    "plain": ("plain.sdp", {}, None, {}),
    "plain_lf": ("plain_lf.sdp", {}, None, {}),
    "ipv6": ("ipv6.sdp", {}, None, {}),
    "multi_media": ("multi_media.sdp", {}, None, {}),
    "ice_default": ("ice.sdp", {}, None, {}),
    "ice_remove": ("ice.sdp", {"ICE": "remove"}, None, {}),
    "ice_force": ("plain.sdp", {"ICE": "force"}, None, {}),
    "ice_force_mux": ("rtcp_mux.sdp", {"ICE": "force"}, None, {}),
    "rtcp_mux_default": ("rtcp_mux.sdp", {}, None, {}),
    "rtcp_mux_offer": ("plain.sdp", {"rtcp-mux": ["offer"]}, None, {}),
    "rtcp_mux_demux": ("rtcp_mux.sdp", {"rtcp-mux": ["demux"]}, None, {}),
    "rtcp_mux_accept": ("rtcp_mux.sdp", {"rtcp-mux": ["accept"]}, None, {}),
    "rtcp_mux_reject": ("rtcp_mux.sdp", {"rtcp-mux": ["reject"]}, None, {}),
    "rtcp_attribute": ("rtcp_attribute.sdp", {}, None, {}),
    "rtcp_attribute_address": ("rtcp_attribute_address.sdp", {}, None, {}),
    "port_zero": ("port_zero.sdp", {}, None, {}),
    "port_count": ("port_count.sdp", {}, None, {}),
    "media_connection": ("media_connection.sdp", {}, None, {}),
    "media_connection_replace": ("media_connection.sdp", {"replace": ["origin", "session-connection"]}, None, {}),
    "session_and_media_connection": ("session_and_media_connection.sdp", {}, None, {}),
    "session_and_media_connection_replace": ("session_and_media_connection.sdp",
                                             {"replace": ["session-connection"]}, None, {}),
    "session_connection_mixed": ("session_connection_mixed.sdp", {}, None, {}),
    "other_lines": ("other_lines.sdp", {}, None, {}),
    "group_lip_sync": ("group_lip_sync.sdp", {}, None, {}),
    "session_direction": ("session_direction.sdp", {}, None, {}),
    "session_inactive": ("session_inactive.sdp", {}, None, {}),
    "media_direction": ("media_direction.sdp", {}, None, {}),
    "codec_quirks": ("codec_quirks.sdp", {}, None, {}),
    "non_rtp": ("non_rtp.sdp", {}, None, {}),
    "mixed_endings": ("mixed_endings.sdp", {}, None, {}),
    "replace_origin": ("plain.sdp", {"replace": ["origin"]}, None, {}),
    "replace_origin_ipv6": ("ipv6.sdp", {"replace": ["origin"]}, None, {}),
    "replace_session_connection": ("plain.sdp", {"replace": ["session-connection"]}, None, {}),
    "no_rtcp_attribute": ("plain.sdp", {"flags": ["no-rtcp-attribute"]}, None, {}),
    "full_rtcp_attribute": ("rtcp_attribute_address.sdp", {"flags": ["full-rtcp-attribute"]}, None, {}),
    "loop_protect": ("plain_lf.sdp", {"flags": ["loop-protect"]}, None, {}),
    "transport_avpf": ("plain.sdp", {"transport-protocol": "RTP/AVPF"}, None, {}),
    "transport_avp_to_savp": ("plain.sdp", {"transport-protocol": "RTP/SAVP"}, None, {}),
    "transport_savp_to_avp": ("srtp.sdp", {"transport-protocol": "RTP/AVP"}, None, {}),
    "answer_plain": ("plain.sdp", {}, "answer_plain.sdp", {}),
    "answer_mux_accepted": ("rtcp_mux.sdp", {}, "answer_mux.sdp", {}),
    "answer_mux_offered": ("plain.sdp", {"rtcp-mux": ["offer"]}, "answer_mux.sdp", {}),
    "answer_ice_mux": ("ice.sdp", {}, "answer_ice_mux.sdp", {}),
    "answer_full_rtcp_mux": ("rtcp_mux.sdp", {}, "answer_mux.sdp", {"flags": ["full-rtcp-attribute"]}),
}

# Inputs the reference refuses; written inline because they are tiny.
ERROR_CASES = {
    "error_multicast_ttl": "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nt=0 0\r\n"
                           "m=audio 2000 RTP/AVP 0\r\nc=IN IP4 233.252.0.1/127\r\n",
    "error_no_connection": "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nt=0 0\r\n"
                           "m=audio 2000 RTP/AVP 0\r\n",
    "error_second_media_no_connection": "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nt=0 0\r\n"
                           "m=audio 2000 RTP/AVP 0\r\nc=IN IP4 198.51.100.1\r\nm=video 0 RTP/AVP 31\r\n",
}


class Reference:
    """The reference rtpengine on loopback, with its own free ng port and port range (the
    outputs are normalised, so any range does)."""

    def __init__(self):
        self.logs = tempfile.TemporaryDirectory(prefix="generate-expected-")
        port = free_udp_port()
        port_min, port_max = free_port_range(["127.0.0.1"], 1000)
        self.process = ManagedProcess(
            [REFERENCE_BINARY, "--config-file=none", "--table=-1", "--interface=127.0.0.1",
             "--listen-ng=127.0.0.1:%d" % port, "--foreground", "--log-stderr",
             "--port-min=%d" % port_min, "--port-max=%d" % port_max, "--delete-delay=0"],
            os.path.join(self.logs.name, "rtpengine.log"), name="reference rtpengine")
        self.client = NgClient(port, reply_timeout=5.0, attempts=1)
        if not self.process.wait_ready(self.client.ping, 10, interval=0):
            description = self.process.describe()
            self.close()
            raise SystemExit("reference rtpengine did not start:\n" + description)

    def request(self, message):
        return self.client.request(message)

    def close(self):
        self.client.close()
        self.process.stop()
        self.logs.cleanup()


def media_sections(sdp):
    """Splits an SDP into (session lines, [media lines]) keeping terminators."""
    lines = sdp.splitlines(keepends=True)
    session, media = [], []
    for line in lines:
        if line.startswith("m="):
            media.append([])
        (media[-1] if media else session).append(line)
    return session, media


def normalise(output, input_sdp):
    """Maps the reference's ports to fixed ones and derives the rewrite inputs."""
    session, media = media_sections(output)
    _, input_media = media_sections(input_sdp)
    port_map, specs = {}, []
    for index, section in enumerate(media):
        fields = section[0].split()
        rtp = int(fields[1].split("/")[0])
        rtcp = None
        for line in section:
            match = re.match(r"a=rtcp:(\d+)", line)
            if match:
                rtcp = int(match.group(1))
        ours = 40000 + 10 * index if rtp else 0
        if rtp:
            port_map[rtp] = ours
            if rtcp is not None and rtcp != rtp:
                port_map[rtcp] = ours + 1
        our_rtcp = ours if (rtp and rtcp == rtp) else (ours + 1 if rtp else 0)
        input_protocol = input_media[index][0].split()[2]
        spec = {"rtp": ours, "rtcp": our_rtcp, "mux": any(l.rstrip("\r\n") == "a=rtcp-mux" for l in section),
                "protocol": fields[2] if fields[2] != input_protocol else "-", "ice": None, "extra": []}
        ufrag = pwd = foundation = None
        for line in section:
            text = line.rstrip("\r\n")
            if text.startswith("a=ice-ufrag:"):
                ufrag = text[len("a=ice-ufrag:"):]
            elif text.startswith("a=ice-pwd:"):
                pwd = text[len("a=ice-pwd:"):]
            elif text.startswith("a=candidate:") and foundation is None:
                foundation = text[len("a=candidate:"):].split()[0]
            elif text.startswith("a=mid:"):
                mid = text[len("a=mid:"):]
                if not any(l.rstrip("\r\n") == text for l in input_media[index]):
                    spec["mid"] = mid
            elif text.startswith("a=ptime:"):
                if not any(l.rstrip("\r\n") == text for l in input_media[index]):
                    spec["ptime"] = text[len("a=ptime:"):]
            elif re.match(r"a=(crypto|setup|fingerprint|tls-id):", text):
                spec["extra"].append(text[2:])
        if ufrag:
            spec["ice"] = (ufrag, pwd, foundation)
        specs.append(spec)

    def fix_ports(line):
        if line.startswith("m="):
            parts = line.split(" ", 2)
            port, _, count = parts[1].partition("/")
            if int(port) in port_map:
                parts[1] = str(port_map[int(port)]) + ("/" + count if count else "")
            return " ".join(parts)
        match = re.match(r"(a=rtcp:)(\d+)(.*)", line, re.S)
        if match and int(match.group(2)) in port_map:
            return match.group(1) + str(port_map[int(match.group(2))]) + match.group(3)
        if line.startswith("a=candidate:"):
            parts = line.split(" ")
            if len(parts) > 5 and parts[5].isdigit() and int(parts[5]) in port_map:
                parts[5] = str(port_map[int(parts[5])])
            return " ".join(parts)
        return line

    normalised = "".join(fix_ports(l) for l in session)
    for section in media:
        normalised += "".join(fix_ports(l) for l in section)
    token = None
    for line in session[-1:]:  # the marker the reference adds is the last session line
        if line.startswith("a=rtpengine:"):
            token = line.rstrip("\r\n")[len("a=rtpengine:"):]
    return normalised, specs, token


def write_rewrite(name, input_file, flags, specs, token):
    lines = ["# rewrite inputs reproducing expected/%s.expected (generated)" % name, "input " + input_file]
    replace = flags.get("replace", [])
    flag_list = flags.get("flags", [])
    if "origin" in replace:
        lines.append("option replace_origin")
    if "session-connection" in replace:
        lines.append("option replace_session_connection")
    if "no-rtcp-attribute" in flag_list:
        lines.append("option no_rtcp_attribute")
    if "full-rtcp-attribute" in flag_list:
        lines.append("option full_rtcp_attribute")
    if token and "loop-protect" in flag_list:
        lines.append("option loop_protect " + token)
    remove_ice = flags.get("ICE") == "remove"
    for spec in specs:
        lines.append("media 127.0.0.1 %d %d %d %s %d" % (spec["rtp"], spec["rtcp"], spec["mux"],
                                                         spec["protocol"], remove_ice))
        if spec.get("mid"):
            lines.append("mid " + spec["mid"])
        if spec.get("ptime"):
            lines.append("ptime " + spec["ptime"])
        if spec["ice"]:
            lines.append("ice %s %s %s" % spec["ice"])
        for extra in spec["extra"]:
            lines.append("extra " + extra)
    with open(os.path.join(OUT, name + ".rewrite"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    reference = Reference()
    try:
        for number, (name, (offer_file, offer_flags, answer_file, answer_flags)) in enumerate(CASES.items()):
            offer_sdp = open(os.path.join(HERE, offer_file), newline="").read()
            call = {"call-id": "case-%d-%s" % (number, name), "from-tag": "caller"}
            reply = reference.request(dict(call, command="offer", sdp=offer_sdp, **offer_flags))
            input_file, input_sdp, flags = offer_file, offer_sdp, offer_flags
            if answer_file:
                input_file, flags = answer_file, answer_flags
                input_sdp = open(os.path.join(HERE, answer_file), newline="").read()
                reply = reference.request(dict(call, command="answer", sdp=input_sdp, **{"to-tag": "callee"},
                                               **answer_flags))
            if reply.get("result") != "ok":
                raise SystemExit("%s: reference said %r" % (name, reply))
            output = reply["sdp"]
            normalised, specs, token = normalise(output, input_sdp)
            with open(os.path.join(OUT, name + ".expected"), "w", newline="") as f:
                f.write(normalised)
            write_rewrite(name, input_file, flags, specs, token)
            reference.request(dict(call, command="delete"))
        for name, sdp in ERROR_CASES.items():
            reply = reference.request({"command": "offer", "call-id": name, "from-tag": "caller", "sdp": sdp})
            if reply.get("result") == "ok":
                raise SystemExit("%s: reference accepted it" % name)
            with open(os.path.join(HERE, name + ".sdp"), "w", newline="") as f:
                f.write(sdp)
            with open(os.path.join(OUT, name + ".rewrite"), "w") as f:
                f.write("# the reference refuses this SDP (%s)\ninput %s.sdp\nerror\n"
                        % (reply.get("error-reason", ""), name))
    finally:
        reference.close()
    print("wrote %d cases to %s" % (len(CASES) + len(ERROR_CASES), OUT))


if __name__ == "__main__":
    sys.exit(main())
