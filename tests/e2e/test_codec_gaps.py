"""Codec negotiation gaps against Debian's 10.5 (issue 15), each request run against both
daemons (RTPENGINE_BINARY=/usr/bin/rtpengine runs the same tests): the SDP lines 10.5 gives
are the expected ones, media checked on real loopback sockets.

- An offer whose only audio codec this build cannot encode (AMR, AMR-WB: Debian's libavcodec
  has no encoder, 10.5's neither) with `codec: {transcode: [PCMU]}`: PCMU is added to the offer
  all the same, the answer passes as the answerer gave it, and media are relayed untouched
  whatever the answerer picked (daemon/media_transcode.c).
- strip/mask all with a codec to add: the answerer is offered the added codec only; the offerer
  keeps its own codec (transcoded), and a telephone-event the answerer was never offered is not
  in the offerer's answer.
- strip/mask all with several codecs to transcode: offered and added ones in the order of the
  specs; a masked codec's payload type is free for an added one. A codec stripped or masked and
  named by transcode goes back before the kept events, with events at its clock. "full" is
  "all" whose removed payload types stay reserved (GH 963).
- The offerer's answer lists the answer's other codecs the offer had at every clock (Opus beside
  G.722), in the answer's order, with their telephone-events; packets of such a codec at another
  clock than the leg's pass untouched both ways.
- Codec specs (name/clock/channels/bit rate/ptime/fmtp): a `transcode` spec's ptime and bit
  rate reach the added codec's encoder and its fmtp the SDP; `set` gives bit rates only (its
  ptime is not applied by 10.5 either).
- Packets that pass a chain untouched and transcoded ones leave as one stream with one series of
  sequence numbers, as 10.5 sends them (daemon/codec_chain.c, codec_chain_passthrough())."""

import audioop
import math
import struct
import time

import pytest

from calls import Call, Sdp, assert_ok, codec_lines, codec_sdp as sdp
from rtp import MediaPeer, build_rtp, parse_rtp

CALLER = "127.0.0.2"
CALLEE = "127.0.0.3"


AMR_OFFER = ([96, 101], ["96 AMR/8000", "101 telephone-event/8000"], ["fmtp:96 octet-align=1"])
AMR_WB_OFFER = ([96, 101], ["96 AMR-WB/16000", "101 telephone-event/16000"], [])
G711_OFFER = ([0, 8, 9, 101], ["0 PCMU/8000", "8 PCMA/8000", "9 G722/8000", "101 telephone-event/8000"], [])
CN_OFFER = ([0, 8, 13, 101], ["0 PCMU/8000", "8 PCMA/8000", "13 CN/8000", "101 telephone-event/8000"], [])
G722_MIX = ([9, 0, 96, 101, 102], ["9 G722/8000", "0 PCMU/8000", "96 opus/48000/2", "101 telephone-event/8000",
                                   "102 telephone-event/48000"], [])
G722_MIX_OFFER = ["m=audio PORT RTP/AVP 9 0 96 8 101 102", "a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000",
                  "a=rtpmap:96 opus/48000/2", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000",
                  "a=rtpmap:102 telephone-event/48000"]
OPUS_MIX = ([96, 0, 9, 101, 102], ["96 opus/48000/2", "0 PCMU/8000", "9 G722/8000", "101 telephone-event/48000",
                                   "102 telephone-event/8000"], [])
OPUS_MIX_OFFER = ["m=audio PORT RTP/AVP 96 0 9 8 101 102", "a=rtpmap:96 opus/48000/2", "a=rtpmap:0 PCMU/8000",
                  "a=rtpmap:9 G722/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/48000",
                  "a=rtpmap:102 telephone-event/8000"]


@pytest.mark.parametrize("offer, options, answer, expected_offer, expected_answer", [
    (AMR_OFFER, {"codec": {"transcode": ["PCMU"]}},
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 96 0 101", "a=rtpmap:96 AMR/8000", "a=fmtp:96 octet-align=1",
      "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"]),
    (AMR_OFFER, {"codec": {"transcode": ["PCMU"]}},
     ([96, 101], ["96 AMR/8000", "101 telephone-event/8000"], ["fmtp:96 octet-align=1"]),
     ["m=audio PORT RTP/AVP 96 0 101", "a=rtpmap:96 AMR/8000", "a=fmtp:96 octet-align=1",
      "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 96 101", "a=rtpmap:96 AMR/8000", "a=fmtp:96 octet-align=1",
      "a=rtpmap:101 telephone-event/8000"]),
    # telephone-event at the added codec's clock joins it (RFC 4733 section 2.1)
    (AMR_WB_OFFER, {"codec": {"transcode": ["PCMU"]}},
     ([0], ["0 PCMU/8000"], []),
     ["m=audio PORT RTP/AVP 96 0 97 101", "a=rtpmap:96 AMR-WB/16000", "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:97 telephone-event/8000", "a=fmtp:97 0-15", "a=rtpmap:101 telephone-event/16000"],
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    (([96], ["96 AMR/8000"], []), {"codec": {"transcode": ["opus", "PCMA"]}},
     ([97], ["97 opus/48000/2"], []),
     ["m=audio PORT RTP/AVP 96 97 8", "a=rtpmap:96 AMR/8000", "a=rtpmap:97 opus/48000/2",
      "a=rtpmap:8 PCMA/8000"],
     ["m=audio PORT RTP/AVP 97", "a=rtpmap:97 opus/48000/2"]),
    (([96], ["96 AMR/8000"], []), {"codec": {"transcode": ["PCMU", "telephone-event"]}},
     ([0], ["0 PCMU/8000"], []),
     ["m=audio PORT RTP/AVP 96 0 97", "a=rtpmap:96 AMR/8000", "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:97 telephone-event/8000", "a=fmtp:97 0-15"],
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    (AMR_OFFER, {"codec": {"strip": ["all"], "transcode": ["PCMU"]}},
     ([0], ["0 PCMU/8000"], []),
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"],
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    (AMR_OFFER, {"flags": ["always-transcode"], "codec": {"transcode": ["PCMU"]}},
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 96 0 101", "a=rtpmap:96 AMR/8000", "a=fmtp:96 octet-align=1",
      "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"]),
    # strip/mask all with a codec to add: only the added one is offered, the offerer keeps
    # PCMA through the transcoder; the answer's 101 was never offered to the answerer
    (([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], []), {"codec": {"strip": ["all"], "transcode": ["PCMU"]}},
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"],
     ["m=audio PORT RTP/AVP 8", "a=rtpmap:8 PCMA/8000"]),
    (([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], []), {"codec": {"mask": ["all"], "transcode": ["PCMU"]}},
     ([0], ["0 PCMU/8000"], []),
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"],
     ["m=audio PORT RTP/AVP 8", "a=rtpmap:8 PCMA/8000"]),
    # a codec stripped by name is not the offerer's leg either: nothing to transcode from
    (([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], []), {"codec": {"strip": ["PCMA"], "transcode": ["PCMU"]}},
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"]),
    # the answer's shared codecs at every clock, in the answer's order, and its telephone-events
    # beside them; the answerer's codec's event comes last as the leg's
    (G722_MIX, {"codec": {"transcode": ["PCMA"]}},
     ([8, 96, 9, 101, 102], ["8 PCMA/8000", "96 opus/48000/2", "9 G722/8000", "101 telephone-event/8000",
                             "102 telephone-event/48000"], []),
     G722_MIX_OFFER,
     ["m=audio PORT RTP/AVP 9 96 102 101", "a=rtpmap:9 G722/8000", "a=rtpmap:96 opus/48000/2",
      "a=rtpmap:102 telephone-event/48000", "a=rtpmap:101 telephone-event/8000"]),
    (G722_MIX, {"codec": {"transcode": ["PCMA"]}},
     ([8, 96, 102], ["8 PCMA/8000", "96 opus/48000/2", "102 telephone-event/48000"], []),
     G722_MIX_OFFER,
     ["m=audio PORT RTP/AVP 9 96 102", "a=rtpmap:9 G722/8000", "a=rtpmap:96 opus/48000/2",
      "a=rtpmap:102 telephone-event/48000"]),
    (G722_MIX, {"codec": {"transcode": ["speex"]}},
     ([97, 96, 0, 101, 102], ["97 speex/16000", "96 opus/48000/2", "0 PCMU/8000", "101 telephone-event/8000",
                              "102 telephone-event/48000"], []),
     ["m=audio PORT RTP/AVP 9 0 96 97 98 101 102", "a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:96 opus/48000/2", "a=rtpmap:97 speex/16000", "a=rtpmap:98 telephone-event/16000",
      "a=fmtp:98 0-15", "a=rtpmap:101 telephone-event/8000", "a=rtpmap:102 telephone-event/48000"],
     ["m=audio PORT RTP/AVP 9 96 0 101 102", "a=rtpmap:9 G722/8000", "a=rtpmap:96 opus/48000/2",
      "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=rtpmap:102 telephone-event/48000"]),
    # an Opus leg: the 8 kHz codecs the answer shares, and no telephone-event added at 8000
    # when the offer has one there already
    (OPUS_MIX, {"codec": {"transcode": ["PCMA"]}},
     ([8, 0, 9, 101, 102], ["8 PCMA/8000", "0 PCMU/8000", "9 G722/8000", "101 telephone-event/48000",
                            "102 telephone-event/8000"], []),
     OPUS_MIX_OFFER,
     ["m=audio PORT RTP/AVP 96 0 9 101 102", "a=rtpmap:96 opus/48000/2", "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:9 G722/8000", "a=rtpmap:101 telephone-event/48000", "a=rtpmap:102 telephone-event/8000"]),
    (OPUS_MIX, {"codec": {"transcode": ["PCMA"]}},
     ([8, 96, 101], ["8 PCMA/8000", "96 opus/48000/2", "101 telephone-event/48000"], []),
     OPUS_MIX_OFFER,
     ["m=audio PORT RTP/AVP 96 101", "a=rtpmap:96 opus/48000/2", "a=rtpmap:101 telephone-event/48000"]),
    # codec spec fields: the transcode spec's fmtp goes with the added codec; the offerer's
    # answer keeps the leg's a=fmtp and the offer's definition of its telephone-event
    (([0], ["0 PCMU/8000"], []), {"codec": {"transcode": ["opus/48000/2///useinbandfec=1;stereo=0"]}},
     ([96], ["96 opus/48000/2"], []),
     ["m=audio PORT RTP/AVP 0 96", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2",
      "a=fmtp:96 useinbandfec=1;stereo=0"],
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    (([96, 101], ["96 opus/48000/2", "101 telephone-event/48000"], ["fmtp:96 useinbandfec=1"]),
     {"codec": {"transcode": ["PCMU"], "set": ["opus/48000/2/16000/40"]}},
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 96 0 97 101", "a=rtpmap:96 opus/48000/2", "a=fmtp:96 useinbandfec=1",
      "a=rtpmap:0 PCMU/8000", "a=rtpmap:97 telephone-event/8000", "a=fmtp:97 0-15",
      "a=rtpmap:101 telephone-event/48000"],
     ["m=audio PORT RTP/AVP 96 101", "a=rtpmap:96 opus/48000/2", "a=fmtp:96 useinbandfec=1",
      "a=rtpmap:101 telephone-event/48000"]),
    # consume: masked and kept by the offerer through the engine, with its telephone-event;
    # a consumed telephone-event brings none at the added codec's clock
    (G711_OFFER, {"codec": {"consume": ["PCMU"]}},
     ([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 8 9 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:9 G722/8000",
      "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"]),
    (G711_OFFER, {"codec": {"consume": ["all"], "transcode": ["opus"]}},
     ([96], ["96 opus/48000/2"], []),
     ["m=audio PORT RTP/AVP 96", "a=rtpmap:96 opus/48000/2"],
     ["m=audio PORT RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"]),
    (G711_OFFER, {"codec": {"transcode": ["opus/48000/1"]}},
     ([0], ["0 PCMU/8000"], []),
     ["m=audio PORT RTP/AVP 0 8 9 96 97 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:9 G722/8000", "a=rtpmap:96 opus/48000", "a=rtpmap:97 telephone-event/48000",
      "a=fmtp:97 0-15", "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    # comfort noise (RFC 3389): the answer's CN the offer had is listed; an added codec at
    # another clock brings CN at its clock when the offer has CN
    (CN_OFFER, {"codec": {"transcode": ["G722"]}},
     ([9, 13, 101], ["9 G722/8000", "13 CN/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 0 8 9 13 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:9 G722/8000", "a=rtpmap:13 CN/8000", "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0 13 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:13 CN/8000",
      "a=rtpmap:101 telephone-event/8000"]),
    (CN_OFFER, {"codec": {"transcode": ["opus"]}},
     ([96, 98], ["96 opus/48000/2", "98 telephone-event/48000"], []),
     ["m=audio PORT RTP/AVP 0 8 96 97 98 13 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:96 opus/48000/2", "a=rtpmap:97 CN/48000", "a=rtpmap:98 telephone-event/48000",
      "a=fmtp:98 0-15", "a=rtpmap:13 CN/8000", "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"]),
    # mask/strip all with several codecs to transcode: the offer lists them in the order of the
    # specs, offered (masked) and added ones alike; a masked codec's payload type is free for an
    # added one (telephone-event/8000 takes Opus's 96 here), and the answer's 96 means ours
    (([96, 102], ["96 opus/48000/2", "102 telephone-event/48000"], []),
     {"codec": {"mask": ["all"], "transcode": ["G722", "PCMA", "telephone-event"]}},
     ([9, 96], ["9 G722/8000", "96 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 9 8 96", "a=rtpmap:9 G722/8000", "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15"],
     ["m=audio PORT RTP/AVP 96 102", "a=rtpmap:96 opus/48000/2", "a=rtpmap:102 telephone-event/48000"]),
    (([97, 96, 102], ["97 opus/48000/2", "96 opus/48000/2", "102 telephone-event/48000"], []),
     {"codec": {"mask": ["all"], "transcode": ["PCMU", "PCMA", "telephone-event"]}},
     ([0, 96], ["0 PCMU/8000", "96 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 0 8 96", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15"],
     ["m=audio PORT RTP/AVP 97 102", "a=rtpmap:97 opus/48000/2", "a=rtpmap:102 telephone-event/48000"]),
    (([96, 8, 101], ["96 opus/48000/2", "8 PCMA/8000", "101 telephone-event/8000"], []),
     {"codec": {"mask": ["all"], "transcode": ["G722", "PCMU", "opus"]}},
     ([9], ["9 G722/8000"], []),
     ["m=audio PORT RTP/AVP 9 0 96", "a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2"],
     ["m=audio PORT RTP/AVP 96", "a=rtpmap:96 opus/48000/2"]),
    (([96, 102], ["96 opus/48000/2", "102 telephone-event/48000"], []),
     {"codec": {"mask": ["all"], "transcode": ["PCMU", "opus"]}},
     ([96, 102], ["96 opus/48000/2", "102 telephone-event/48000"], []),
     ["m=audio PORT RTP/AVP 0 96", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2"],
     ["m=audio PORT RTP/AVP 96", "a=rtpmap:96 opus/48000/2"]),
    # strip or mask a codec and transcode it: it goes back after the kept codecs, before their
    # events, and brings events at its clock like an added codec
    (([96, 0, 8, 101], ["96 opus/48000/2", "0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"], []),
     {"codec": {"strip": ["opus"], "transcode": ["opus"]}},
     ([96], ["96 opus/48000/2"], []),
     ["m=audio PORT RTP/AVP 0 8 96 97 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:96 opus/48000/2", "a=rtpmap:97 telephone-event/48000", "a=fmtp:97 0-15",
      "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 96", "a=rtpmap:96 opus/48000/2"]),
    (([107, 0, 8, 101], ["107 opus/48000/2", "0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"], []),
     {"codec": {"mask": ["opus"], "transcode": ["opus"]}},
     ([107], ["107 opus/48000/2"], []),
     ["m=audio PORT RTP/AVP 0 8 107 96 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:107 opus/48000/2", "a=rtpmap:96 telephone-event/48000", "a=fmtp:96 0-15",
      "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 107", "a=rtpmap:107 opus/48000/2"]),
    (CN_OFFER, {"codec": {"strip": ["PCMU"], "transcode": ["PCMU", "opus"]}},
     ([0], ["0 PCMU/8000"], []),
     ["m=audio PORT RTP/AVP 8 0 96 97 98 13 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:96 opus/48000/2", "a=rtpmap:97 CN/48000", "a=rtpmap:98 telephone-event/48000", "a=fmtp:98 0-15",
      "a=rtpmap:13 CN/8000", "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    (G711_OFFER, {"codec": {"mask": ["PCMU", "G722"], "transcode": ["G722", "PCMU"]}},
     ([9], ["9 G722/8000"], []),
     ["m=audio PORT RTP/AVP 8 9 0 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 9", "a=rtpmap:9 G722/8000"]),
    (G711_OFFER, {"codec": {"strip": ["PCMU"], "offer": ["PCMU"]}},
     ([0], ["0 PCMU/8000"], []),
     ["m=audio PORT RTP/AVP 8 9 0 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    # the answerer takes one of the offerer's codecs and one we added (GH 953): the offerer's
    # answer lists its leg codec after the answer's codecs, before the events
    (([8, 0, 101], ["8 PCMA/8000", "0 PCMU/8000", "101 telephone-event/8000"], []), {"codec": {"transcode": ["G722"]}},
     ([0, 9, 101], ["0 PCMU/8000", "9 G722/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 8 0 9 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000", "a=rtpmap:9 G722/8000",
      "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:101 telephone-event/8000"]),
    (([96, 0, 101], ["96 opus/48000/2", "0 PCMU/8000", "101 telephone-event/8000"], []), {"codec": {"transcode": ["PCMA"]}},
     ([0, 8, 101], ["0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 96 0 8 101", "a=rtpmap:96 opus/48000/2", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0 96 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2",
      "a=rtpmap:101 telephone-event/8000"]),
    (([8, 107, 101], ["8 PCMA/8000", "107 opus/48000/2", "101 telephone-event/8000"], []),
     {"codec": {"transcode": ["G722"]}},
     ([107, 9, 101], ["107 opus/48000/2", "9 G722/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 8 107 9 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:107 opus/48000/2", "a=rtpmap:9 G722/8000",
      "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 107 8 101", "a=rtpmap:107 opus/48000/2", "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:101 telephone-event/8000"]),
    # GH 963: mask (strip, consume) "full" is "all", but the removed payload types stay
    # reserved: the added telephone-event/8000 takes 97, not the masked Opus's 96
    (([96, 120], ["96 opus/48000/2", "120 telephone-event/48000"], ["fmtp:120 0-16"]),
     {"codec": {"mask": ["full"], "transcode": ["PCMA", "telephone-event"]}},
     ([8, 97], ["8 PCMA/8000", "97 telephone-event/8000"], ["fmtp:97 0-15"]),
     ["m=audio PORT RTP/AVP 8 97", "a=rtpmap:8 PCMA/8000", "a=rtpmap:97 telephone-event/8000", "a=fmtp:97 0-15"],
     ["m=audio PORT RTP/AVP 96 120", "a=rtpmap:96 opus/48000/2", "a=rtpmap:120 telephone-event/48000",
      "a=fmtp:120 0-16"]),
    (([96, 120], ["96 opus/48000/2", "120 telephone-event/48000"], ["fmtp:120 0-16"]),
     {"codec": {"mask": ["all"], "transcode": ["PCMA", "telephone-event"]}},
     ([8, 96], ["8 PCMA/8000", "96 telephone-event/8000"], ["fmtp:96 0-15"]),
     ["m=audio PORT RTP/AVP 8 96", "a=rtpmap:8 PCMA/8000", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15"],
     ["m=audio PORT RTP/AVP 96 120", "a=rtpmap:96 opus/48000/2", "a=rtpmap:120 telephone-event/48000",
      "a=fmtp:120 0-16"]),
    (G711_OFFER, {"codec": {"strip": ["full"], "transcode": ["G722", "opus"]}},
     ([96], ["96 opus/48000/2"], []),
     ["m=audio PORT RTP/AVP 9 96", "a=rtpmap:9 G722/8000", "a=rtpmap:96 opus/48000/2"],
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    (G711_OFFER, {"codec": {"mask": ["full"]}},
     ([0], ["0 PCMU/8000"], []),
     ["m=audio PORT RTP/AVP 0 8 9 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:9 G722/8000",
      "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
], ids=["amr-answered-pcmu", "amr-answered-amr", "amr-wb-te16", "amr-opus-pcma", "amr-pcmu-te",
        "amr-strip-all", "amr-always-transcode", "pcma-strip-all", "pcma-mask-all", "pcma-strip-pcma",
        "g722-mix-all", "g722-mix-opus", "g722-mix-speex", "opus-mix-8k", "opus-mix-opus",
        "transcode-spec-fmtp", "set-leg-fmtp-kept", "consume-pcmu", "consume-all-opus", "opus-mono",
        "cn-listed", "cn-added", "mask-all-event-takes-masked-type", "mask-all-two-opus",
        "mask-all-spec-order", "mask-all-spec-order-offered-last", "strip-opus-transcode-opus",
        "mask-opus-107-transcode-opus", "strip-pcmu-transcode-pcmu-opus", "mask-two-transcode-two",
        "strip-pcmu-offer-pcmu", "added-beside-shared-pcmu", "added-beside-shared-opus-leg",
        "added-beside-shared-opus-first", "gh963-mask-full", "gh963-mask-all", "strip-full-two-added",
        "mask-full-alone"])
def test_offer_and_answer_as_10_5(rtpengine, offer, options, answer, expected_offer, expected_answer):
    call = Call(rtpengine)
    offer_reply = assert_ok(call.offer(sdp(CALLER, 4000, *offer), options))
    assert codec_lines(offer_reply["sdp"]) == expected_offer
    answer_reply = assert_ok(call.answer(sdp(CALLEE, 5000, *answer)))
    assert codec_lines(answer_reply["sdp"]) == expected_answer
    call.delete()


@pytest.mark.parametrize("answer_pt", [0, 96], ids=["answered-pcmu", "answered-amr"])
def test_amr_only_media_relayed_untouched(rtpengine, answer_pt):
    """Both sides alternate AMR and PCMU packets: each arrives as it was sent (payload type,
    sequence number, timestamp, payload), as 10.5 relays them."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, *AMR_OFFER), {"codec": {"transcode": ["PCMU"]}}))
        rtpmap = {0: "0 PCMU/8000", 96: "96 AMR/8000"}[answer_pt]
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, [answer_pt, 101],
                                           [rtpmap, "101 telephone-event/8000"],
                                           ["fmtp:96 octet-align=1"] if answer_pt == 96 else [])))
        caller_sends_to = Sdp(answer["sdp"]).media_address()
        callee_sends_to = Sdp(offer["sdp"]).media_address()
        pcmu = audioop.lin2ulaw(b"\x10\x20" * 160, 2)
        amr = bytes([0xf0, 0x3c]) + bytes(range(31))   # octet-aligned, one 12.2k frame (FT 7)
        sent_by = {}
        for peer, destination, ssrc, first in ((caller, caller_sends_to, 0x1111, 100),
                                               (callee, callee_sends_to, 0x2222, 500)):
            packets = [build_rtp(first + i, 160 * i, ssrc, 0 if i % 2 else 96, pcmu if i % 2 else amr)
                       for i in range(10)]
            sent_by[ssrc] = packets
            for packet in packets:
                peer.rtp.send(packet, destination)
        for receiver, ssrc in ((callee, 0x1111), (caller, 0x2222)):
            got = [data for data, _ in receiver.rtp.receive_all(10, 3.0)]
            assert got == sent_by[ssrc], [parse_rtp(data)[4:7] for data in got]
        call.delete()
    finally:
        caller.close()
        callee.close()


def test_added_codec_beside_shared_reaches_offerer_as_leg_codec(rtpengine):
    """GH 953: offer PCMA, PCMU with G.722 added, answered PCMU and G.722: the offerer's answer is
    "0 8"; the answerer's G.722 packets reach the offerer as PCMU (the codec the answerer took,
    not the leg codec listed beside it), its PCMU packets as they were sent, as 10.5 does."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, [8, 0], ["8 PCMA/8000", "0 PCMU/8000"]),
                                     {"codec": {"transcode": ["G722"]}}))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, [0, 9], ["0 PCMU/8000", "9 G722/8000"])))
        assert codec_lines(answer["sdp"])[0] == "m=audio PORT RTP/AVP 0 8"
        callee_sends_to = Sdp(offer["sdp"]).media_address()
        for i in range(10):
            callee.rtp.send(build_rtp(900 + i, 160 * i, 0x2222, 9, bytes(160)), callee_sends_to)
            time.sleep(0.02)   # paced: 10.5 encodes in real time
        got = [parse_rtp(data) for data, _ in caller.rtp.receive_all(10, 2.0)]
        assert len(got) >= 8 and {p.payload_type for p in got} == {0}, [p.payload_type for p in got]
        pcmu = g711_tone(0, 0)
        callee.rtp.send(build_rtp(950, 1600, 0x2222, 0, pcmu), callee_sends_to)
        got = [parse_rtp(data) for data, _ in caller.rtp.receive_all(3, 1.0)]
        assert [(p.payload_type, p.payload) for p in got if p.payload_type == 0] == [(0, pcmu)]
        call.delete()
    finally:
        caller.close()
        callee.close()


def g711_tone(payload_type, index):
    samples = [int(8000 * math.sin(2 * math.pi * 1000 * (160 * index + n) / 8000)) for n in range(160)]
    pcm = struct.pack("<160h", *samples)
    return audioop.lin2ulaw(pcm, 2) if payload_type == 0 else audioop.lin2alaw(pcm, 2)


@pytest.mark.parametrize("pattern", ["alternating", "in-blocks"])
def test_passthrough_and_transcoded_share_one_sequence(rtpengine, pattern):
    """The answerer sends G.722 (transcoded to the offerer's PCMU) and PCMA (both sides have it:
    untouched) on one RTP stream, alternating or one block after the other: as 10.5, the
    offerer gets one stream, one SSRC and one series of sequence numbers without gaps or
    repeats, the PCMA payloads as sent; the offerer's PCMA and PCMU reach the answerer as G.722
    (its PCMA decoded like PCMU), numbered in one series too."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, [0, 8], ["0 PCMU/8000", "8 PCMA/8000"]),
                                     {"codec": {"transcode": ["G722"]}}))
        assert codec_lines(offer["sdp"])[0] == "m=audio PORT RTP/AVP 0 8 9"
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, [9, 8], ["9 G722/8000", "8 PCMA/8000"])))
        assert codec_lines(answer["sdp"])[0] == "m=audio PORT RTP/AVP 0 8"
        caller_sends_to = Sdp(answer["sdp"]).media_address()
        callee_sends_to = Sdp(offer["sdp"]).media_address()
        count = 16
        passing = {}
        for i in range(count):
            other = i % 2 == 1 if pattern == "alternating" else i >= count // 2
            caller_pt = 8 if other else 0
            caller.rtp.send(build_rtp(100 + i, 160 * i, 0x1111, caller_pt, g711_tone(caller_pt, i)), caller_sends_to)
            payload = g711_tone(8, i) if other else bytes(160)
            if other:
                passing[payload] = i
            callee.rtp.send(build_rtp(500 + i, 160 * i, 0x2222, 8 if other else 9, payload), callee_sends_to)
            time.sleep(0.02)   # paced: 10.5 decodes in real time
        for receiver, expected_types in ((callee, {9}), (caller, {0, 8})):
            got = [parse_rtp(data) for data, _ in receiver.rtp.receive_all(count, 3.0)]
            # 10.5 holds a frame or two back in its codec
            assert len(got) >= count - 2, len(got)
            assert {p.payload_type for p in got} == expected_types
            assert len({p.ssrc for p in got}) == 1
            # one series: no repeats, all within one window of the packets sent (10.5 may
            # hold the last transcoded frame back, leaving a hole at the end)
            sequences = sorted(p.sequence for p in got)
            assert len(set(sequences)) == len(sequences), sequences
            assert sequences[-1] - sequences[0] < count, sequences
        call.delete()
    finally:
        caller.close()
        callee.close()


@pytest.mark.parametrize("offered, spec, answered, expected_step, expected_count", [
    (0, "PCMA/8000/1//30", 8, 240, 20),             # ptime from the spec: 30 ms PCMA
    (0, "opus/48000/2/32000/40", 96, 1920, 15),      # 40 ms Opus
    (96, "PCMU", 0, 160, 30),                        # codec set's ptime is not applied (as 10.5)
], ids=["pcma-30", "opus-40", "set-ptime-ignored"])
def test_codec_spec_ptime_reaches_the_encoder(rtpengine, offered, spec, answered, expected_step, expected_count):
    """The answerer receives the added codec packetised in the transcode spec's ptime; `codec set`
    with a ptime field leaves the answerer's 20 ms alone, as 10.5 does."""
    from test_transcode import Opus
    maps = {0: "0 PCMU/8000", 8: "8 PCMA/8000", 96: "96 opus/48000/2"}
    options = {"codec": {"transcode": [spec]}}
    if spec == "PCMU":
        options["codec"]["set"] = ["PCMU/8000/1/64000/30"]
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    opus = Opus()
    try:
        call = Call(rtpengine)
        assert_ok(call.offer(sdp(CALLER, caller.port, [offered], [maps[offered]]), options))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, [answered], [maps[answered]])))
        caller_sends_to = Sdp(answer["sdp"]).media_address()
        for i in range(30):
            if offered == 96:
                samples = [int(8000 * math.sin(2 * math.pi * 1000 * (960 * i + n) / 48000)) for n in range(960)]
                caller.rtp.send(build_rtp(100 + i, 960 * i, 0x1111, 96, opus.encode(samples)), caller_sends_to)
            else:
                caller.rtp.send(build_rtp(100 + i, 160 * i, 0x1111, 0, g711_tone(0, i)), caller_sends_to)
            time.sleep(0.02)   # paced: 10.5 encodes in real time
        got = [parse_rtp(data) for data, _ in callee.rtp.receive_all(30, 2.0)]
        # 600 ms sent; 10.5 holds a frame or two back
        assert len(got) >= expected_count - 2, len(got)
        assert {p.payload_type for p in got} == {answered}
        steps = {(b.timestamp - a.timestamp) & 0xffffffff for a, b in zip(got, got[1:])}
        assert steps == {expected_step}, steps
        call.delete()
    finally:
        opus.close()
        caller.close()
        callee.close()


@pytest.mark.upstream_differs("10.5 answers ok and leaves the offer unchanged for transcode L16 (any clock): "
                              "it does not add L16; this relay adds L16/8000 and transcodes it")
def test_transcode_l16_is_added(rtpengine):
    call = Call(rtpengine)
    offer = assert_ok(call.offer(sdp(CALLER, 4000, [0, 101], ["0 PCMU/8000", "101 telephone-event/8000"]),
                                 {"codec": {"transcode": ["L16"]}}))
    assert codec_lines(offer["sdp"]) == ["m=audio PORT RTP/AVP 0 96 101", "a=rtpmap:0 PCMU/8000",
                                         "a=rtpmap:96 L16/8000", "a=rtpmap:101 telephone-event/8000"]
    answer = assert_ok(call.answer(sdp(CALLEE, 5000, [96], ["96 L16/8000"])))
    assert codec_lines(answer["sdp"]) == ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]
    call.delete()


PCMA_TE = ([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], [])
PCMU_TE_LINES = ["m=audio PORT RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"]
STRIP_ALL_PCMU_TE = {"codec": {"strip": ["all"], "transcode": ["PCMU", "telephone-event"]}}
EMPTY_PCMA_TE = ["m=audio PORT RTP/AVP ", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000"]


@pytest.mark.parametrize("offer, options, answer, expected_offer, expected_answer", [
    # strip keeps the offerer only its telephone-event (or CN): no codec to transcode from, the
    # answer passes as the answerer gave it, less the events and CN we added
    (PCMA_TE, STRIP_ALL_PCMU_TE, ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []),
     PCMU_TE_LINES, PCMU_TE_LINES),
    (PCMA_TE, {"flags": ["codec-strip-all", "codec-transcode-PCMU", "codec-transcode-telephone-event"]},
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []), PCMU_TE_LINES, PCMU_TE_LINES),
    (PCMA_TE, {"codec": {"strip": ["all"], "transcode": ["telephone-event", "PCMU"]}},
     ([0], ["0 PCMU/8000"], []), PCMU_TE_LINES, ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    (PCMA_TE, {"codec": {"strip": ["all"], "except": ["telephone-event"], "transcode": ["PCMU"]}},
     ([9, 0, 101], ["9 G722/8000", "0 PCMU/8000", "101 telephone-event/8000"], []), PCMU_TE_LINES, PCMU_TE_LINES),
    (PCMA_TE, {"codec": {"strip": ["all"], "transcode": ["PCMU", "telephone-event", "CN"]}},
     ([0, 13, 101], ["0 PCMU/8000", "13 CN/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 0 13 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:13 CN/8000", "a=rtpmap:101 telephone-event/8000"],
     PCMU_TE_LINES),
    (PCMA_TE, {"codec": {"strip": ["all"], "transcode": ["opus", "telephone-event"]}},
     ([96, 97], ["96 opus/48000/2", "97 telephone-event/48000"], []),
     ["m=audio PORT RTP/AVP 96 97", "a=rtpmap:96 opus/48000/2", "a=rtpmap:97 telephone-event/48000", "a=fmtp:97 0-15"],
     ["m=audio PORT RTP/AVP 96", "a=rtpmap:96 opus/48000/2"]),
    (([96, 102], ["96 opus/48000/2", "102 telephone-event/48000"], []), STRIP_ALL_PCMU_TE,
     ([0, 96], ["0 PCMU/8000", "96 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 0 96", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15"],
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    (([8, 13], ["8 PCMA/8000", "13 CN/8000"], []), {"codec": {"strip": ["all"], "transcode": ["PCMU", "CN"]}},
     ([0, 13], ["0 PCMU/8000", "13 CN/8000"], []),
     ["m=audio PORT RTP/AVP 0 13", "a=rtpmap:0 PCMU/8000", "a=rtpmap:13 CN/8000"],
     ["m=audio PORT RTP/AVP 0 13", "a=rtpmap:0 PCMU/8000", "a=rtpmap:13 CN/8000"]),
    # an answer that takes no audio codec: no format at all, the received codec lines kept
    (PCMA_TE, STRIP_ALL_PCMU_TE, ([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], []),
     PCMU_TE_LINES, EMPTY_PCMA_TE),
    (PCMA_TE, STRIP_ALL_PCMU_TE, ([101], ["101 telephone-event/8000"], []),
     PCMU_TE_LINES, ["m=audio PORT RTP/AVP ", "a=rtpmap:101 telephone-event/8000"]),
    (PCMA_TE, {"codec": {"strip": ["PCMA"], "transcode": ["PCMU"]}},
     ([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], []), PCMU_TE_LINES, EMPTY_PCMA_TE),
    # ... and one with nothing it was offered passes whole
    (PCMA_TE, STRIP_ALL_PCMU_TE, ([8], ["8 PCMA/8000"], []), PCMU_TE_LINES,
     ["m=audio PORT RTP/AVP 8", "a=rtpmap:8 PCMA/8000"]),
    # strip all keeping a codec the engine transcodes: that is the leg
    (PCMA_TE, {"codec": {"strip": ["all"], "transcode": ["PCMU", "PCMA"]}},
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 0 8", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000"],
     ["m=audio PORT RTP/AVP 8", "a=rtpmap:8 PCMA/8000"]),
    (([0, 8, 9, 101], ["0 PCMU/8000", "8 PCMA/8000", "9 G722/8000", "101 telephone-event/8000"], []),
     {"codec": {"strip": ["all"], "transcode": ["G722", "opus"]}}, ([96], ["96 opus/48000/2"], []),
     ["m=audio PORT RTP/AVP 9 96", "a=rtpmap:9 G722/8000", "a=rtpmap:96 opus/48000/2"],
     ["m=audio PORT RTP/AVP 9", "a=rtpmap:9 G722/8000"]),
    # strip by name keeping the offerer nothing at all: its first codec is the leg all the same
    (([8], ["8 PCMA/8000"], []), {"codec": {"strip": ["PCMA"], "transcode": ["PCMU"]}}, ([0], ["0 PCMU/8000"], []),
     ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"], ["m=audio PORT RTP/AVP 8", "a=rtpmap:8 PCMA/8000"]),
    # without transcoding: an offer left without a format keeps its codec lines, and the
    # answer to it is not held to it
    (([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []), {"codec": {"strip": ["PCMU"]}},
     ([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP ", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"],
     ["m=audio PORT RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000"]),
    (PCMA_TE, {"codec": {"strip": ["all"], "transcode": ["telephone-event"]}}, PCMA_TE,
     EMPTY_PCMA_TE, ["m=audio PORT RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000"]),
], ids=["strip-all-pcmu-te", "flags-spelling", "te-first-answer-pcmu", "except-te", "added-cn-left-out",
        "added-opus-events-left-out", "opus-offer-added-event-left-out", "cn-kept", "events-only-empty",
        "answer-events-alone-empty", "strip-name-empty", "nothing-offered-passes", "strip-all-kept-pcma-leg",
        "strip-all-kept-g722-leg", "strip-name-nothing-kept", "plain-offer-empty", "strip-all-te-only-offer-empty"])
def test_strip_leaving_no_leg_codec_as_10_5(rtpengine, offer, options, answer, expected_offer, expected_answer):
    """strip (all, or by name) that keeps the offerer only telephone-event or CN with a codec to
    add: 10.5 has no codec to transcode from and passes the answer as the answerer gave it, so the
    offerer may get a codec it never offered; without an audio codec left 10.5 writes an empty
    format list and keeps the received codec lines."""
    call = Call(rtpengine)
    offer_reply = assert_ok(call.offer(sdp(CALLER, 4000, *offer), options))
    assert codec_lines(offer_reply["sdp"]) == expected_offer
    answer_reply = assert_ok(call.answer(sdp(CALLEE, 5000, *answer)))
    assert codec_lines(answer_reply["sdp"]) == expected_answer
    call.delete()


TE8_96 = ["a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-15"]


@pytest.mark.parametrize("offer, options, answer, expected_offer, expected_answer", [
    (([8, 0, 101], ["8 PCMA/8000", "0 PCMU/8000", "101 telephone-event/8000"], []),
     {"codec": {"strip": ["full"], "transcode": ["PCMU", "telephone-event"]}},
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 0 96", "a=rtpmap:0 PCMU/8000"] + TE8_96, ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    (([8, 0, 101], ["8 PCMA/8000", "0 PCMU/8000", "101 telephone-event/8000"], []),
     {"codec": {"mask": ["full"], "transcode": ["PCMU", "telephone-event"]}},
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 0 96", "a=rtpmap:0 PCMU/8000"] + TE8_96, ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]),
    (PCMA_TE, {"codec": {"strip": ["full"], "transcode": ["G722", "telephone-event"]}},
     ([9, 96], ["9 G722/8000", "96 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 9 96", "a=rtpmap:9 G722/8000"] + TE8_96,
     ["m=audio PORT RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000"]),
    (PCMA_TE, {"codec": {"strip": ["full"], "transcode": ["telephone-event", "G722"]}}, ([9], ["9 G722/8000"], []),
     ["m=audio PORT RTP/AVP 9 96", "a=rtpmap:9 G722/8000"] + TE8_96, ["m=audio PORT RTP/AVP 8", "a=rtpmap:8 PCMA/8000"]),
    (PCMA_TE, {"codec": {"strip": ["full"], "transcode": ["PCMA", "telephone-event"]}}, PCMA_TE,
     ["m=audio PORT RTP/AVP 8 96", "a=rtpmap:8 PCMA/8000"] + TE8_96, ["m=audio PORT RTP/AVP 8", "a=rtpmap:8 PCMA/8000"]),
    # events at PCMA's clock take 97 and are left out: no codec at 8000 is offered
    (PCMA_TE, {"codec": {"strip": ["full"], "transcode": ["opus", "telephone-event"]}},
     ([96, 98], ["96 opus/48000/2", "98 telephone-event/48000"], []),
     ["m=audio PORT RTP/AVP 96 98", "a=rtpmap:96 opus/48000/2", "a=rtpmap:98 telephone-event/48000", "a=fmtp:98 0-15"],
     ["m=audio PORT RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000"]),
    (PCMA_TE, {"codec": {"strip": ["full"], "transcode": ["opus", "G722", "telephone-event"]}}, ([9], ["9 G722/8000"], []),
     ["m=audio PORT RTP/AVP 96 9 98 97", "a=rtpmap:96 opus/48000/2", "a=rtpmap:9 G722/8000",
      "a=rtpmap:98 telephone-event/48000", "a=fmtp:98 0-15", "a=rtpmap:97 telephone-event/8000", "a=fmtp:97 0-15"],
     ["m=audio PORT RTP/AVP 8", "a=rtpmap:8 PCMA/8000"]),
    (PCMA_TE, {"codec": {"strip": ["full"], "transcode": ["telephone-event"]}}, PCMA_TE, EMPTY_PCMA_TE,
     ["m=audio PORT RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000"]),
], ids=["strip-full-pcmu", "mask-full-pcmu", "strip-full-g722", "strip-full-events-first", "strip-full-pcma",
        "strip-full-opus", "strip-full-opus-g722", "strip-full-events-alone"])
def test_full_makes_new_events_as_10_5(rtpengine, offer, options, answer, expected_offer, expected_answer):
    """GH 963's "full" with transcode telephone-event beside a codec: as 10.5, the offer's events are
    not brought back; new ones of ours go at the leg's clock and the offered codecs' clocks, on
    payload types the offer did not use (its 101 stays reserved)."""
    call = Call(rtpengine)
    offer_reply = assert_ok(call.offer(sdp(CALLER, 4000, *offer), options))
    assert codec_lines(offer_reply["sdp"]) == expected_offer
    answer_reply = assert_ok(call.answer(sdp(CALLEE, 5000, *answer)))
    assert codec_lines(answer_reply["sdp"]) == expected_answer
    call.delete()


def test_empty_format_list_keeps_codec_lines_as_received(rtpengine):
    """The exact bytes 10.5 writes when no format is left: "m=audio PORT RTP/AVP " (the space
    kept) and the received rtpmap and fmtp lines in their received order; the ptime moves after
    a=rtcp as usual."""
    call = Call(rtpengine)
    offer = assert_ok(call.offer(sdp(CALLER, 4000, [8, 101], ["8 PCMA/8000", "101 telephone-event/8000"],
                                     ["fmtp:101 0-16", "ptime:30", "fmtp:8 foo=1"]),
                                 {"codec": {"strip": ["all"], "transcode": ["telephone-event"]}}))
    media = offer["sdp"][offer["sdp"].index("m=audio"):]
    port = Sdp(offer["sdp"]).media_address()[1]
    assert media == ("m=audio %d RTP/AVP \r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
                     "a=fmtp:101 0-16\r\na=fmtp:8 foo=1\r\na=sendrecv\r\na=rtcp:%d\r\na=ptime:30\r\n"
                     % (port, port + 1))
    call.delete()


@pytest.mark.parametrize("options", [STRIP_ALL_PCMU_TE,
                                     {"flags": ["codec-strip-all", "codec-transcode-PCMU",
                                                "codec-transcode-telephone-event"]}],
                         ids=["codec-dictionary", "flags"])
@pytest.mark.parametrize("answer_pt", [0, 8], ids=["answered-pcmu", "answered-unoffered-pcma"])
def test_strip_leaving_no_leg_codec_media_untouched(rtpengine, options, answer_pt):
    """As 10.5: with no codec to transcode from, each side's audio and events reach the other as
    they were sent (payload type, sequence number, timestamp, payload), whichever codec the
    answerer took (PCMU, or PCMA it was never offered: its answer then lists no format)."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, *PCMA_TE), options))
        rtpmap = {0: "0 PCMU/8000", 8: "8 PCMA/8000"}[answer_pt]
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, [answer_pt, 101],
                                           [rtpmap, "101 telephone-event/8000"])))
        caller_sends_to = Sdp(answer["sdp"]).media_address()
        callee_sends_to = Sdp(offer["sdp"]).media_address()
        event = bytes([5, 10, 0, 160])
        sent_by = {}
        for peer, destination, ssrc, first, pt in ((caller, caller_sends_to, 0x1111, 100, 8),
                                                   (callee, callee_sends_to, 0x2222, 500, answer_pt)):
            packets = [build_rtp(first + i, 160 * i, ssrc, 101 if i == 5 else pt,
                                 event if i == 5 else g711_tone(pt, i)) for i in range(8)]
            sent_by[ssrc] = packets
            for packet in packets:
                peer.rtp.send(packet, destination)
                time.sleep(0.02)   # paced as a sender would
        for receiver, ssrc in ((callee, 0x1111), (caller, 0x2222)):
            got = [data for data, _ in receiver.rtp.receive_all(8, 3.0)]
            assert got == sent_by[ssrc], [parse_rtp(data)[4:7] for data in got]
        call.delete()
    finally:
        caller.close()
        callee.close()


def test_shared_codec_at_another_clock_passes_untouched(rtpengine):
    """G.722 leg, PCMA added and picked, Opus shared: the answerer's Opus packets reach the
    offerer with their payload as sent (one stream with the transcoded PCMA -> G.722)."""
    from test_transcode import Opus
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    opus = Opus()
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, *G722_MIX), {"codec": {"transcode": ["PCMA"]}}))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, [8, 96, 101, 102],
                                           ["8 PCMA/8000", "96 opus/48000/2", "101 telephone-event/8000",
                                            "102 telephone-event/48000"])))
        assert codec_lines(answer["sdp"])[0] == "m=audio PORT RTP/AVP 9 96 102 101"
        callee_sends_to = Sdp(offer["sdp"]).media_address()
        sent = []
        for i in range(10):
            samples = [int(8000 * math.sin(2 * math.pi * 1000 * (960 * i + n) / 48000)) for n in range(960)]
            payload = opus.encode(samples)
            sent.append(payload)
            callee.rtp.send(build_rtp(700 + i, 960 * i, 0x2222, 96, payload), callee_sends_to)
            time.sleep(0.02)
        got = [parse_rtp(data) for data, _ in caller.rtp.receive_all(10, 2.0)]
        assert [p.payload_type for p in got] == [96] * 10
        assert [p.payload for p in got] == sent
        call.delete()
    finally:
        opus.close()
        caller.close()
        callee.close()


PCMU_PCMA_TE15 = ([0, 8, 101], ["0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"], ["fmtp:101 0-15"])
PCMU_PCMA_TE15_LINES = ["m=audio PORT RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
                        "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"]


@pytest.mark.parametrize("answer_options, expected_answer", [
    # strip that would leave the offerer no codec at all: 10.5 keeps the answer's codecs
    ({"codec": {"strip": ["all"]}}, PCMU_PCMA_TE15_LINES),
    ({"flags": ["codec-strip-all"]}, PCMU_PCMA_TE15_LINES),
    ({"codec": {"mask": ["all"]}}, PCMU_PCMA_TE15_LINES),
    # ... and one that leaves a codec still removes the rest
    ({"codec": {"strip": ["all"], "except": ["PCMA"]}}, ["m=audio PORT RTP/AVP 8", "a=rtpmap:8 PCMA/8000"]),
], ids=["strip-all", "codec-strip-all-flag", "mask-all", "strip-all-except-pcma"])
def test_strip_all_in_answer_keeps_the_answer_as_10_5(rtpengine, answer_options, expected_answer):
    call = Call(rtpengine)
    assert_ok(call.offer(sdp(CALLER, 4000, [0, 8, 101], ["0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"],
                             ["fmtp:101 0-16"])))
    answer = assert_ok(call.answer(sdp(CALLEE, 5000, *PCMU_PCMA_TE15), answer_options))
    assert codec_lines(answer["sdp"]) == expected_answer
    call.delete()


PCMU_ONLY_LINES = ["m=audio PORT RTP/AVP 0", "a=rtpmap:0 PCMU/8000"]
PCMU_TE = ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], [])
PCMA_PCMU_TE = ([8, 0, 101], ["8 PCMA/8000", "0 PCMU/8000", "101 telephone-event/8000"], [])


@pytest.mark.parametrize("offer, options, answer, expected_answer", [
    (PCMU_TE, {}, ([8], ["8 PCMA/8000"], []), PCMU_ONLY_LINES),
    (PCMU_TE, {}, ([8, 9], ["8 PCMA/8000", "9 G722/8000"], []), PCMU_ONLY_LINES),
    (PCMU_TE, {"codec": {"transcode": ["G722"]}}, ([8], ["8 PCMA/8000"], []), PCMU_ONLY_LINES),
    (PCMU_TE, {"codec": {"transcode": ["PCMA"]}}, ([8], ["8 PCMA/8000"], []), PCMU_ONLY_LINES),
    # the first codec the answerer was offered, not the offer's first
    (PCMA_PCMU_TE, {"codec": {"strip": ["PCMA"]}}, ([9], ["9 G722/8000"], []), PCMU_ONLY_LINES),
    (PCMA_PCMU_TE, {"codec": {"strip": ["PCMA"]}}, ([8], ["8 PCMA/8000"], []), PCMU_ONLY_LINES),
    (PCMA_PCMU_TE, {}, ([9], ["9 G722/8000"], []), ["m=audio PORT RTP/AVP 8", "a=rtpmap:8 PCMA/8000"]),
    # an offered telephone-event left: that alone
    (PCMU_TE, {}, ([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], []),
     ["m=audio PORT RTP/AVP 101", "a=rtpmap:101 telephone-event/8000"]),
], ids=["plain", "plain-two-unoffered", "added-g722", "added-pcma", "stripped-first", "stripped-first-answered",
        "first-of-three", "events-left"])
def test_answer_of_nothing_offered_gives_first_offered_codec_as_10_5(rtpengine, offer, options, answer,
                                                                      expected_answer):
    """An answer none of whose codecs the answerer was offered (RFC 3264 section 6.1): 10.5
    gives the offerer the first audio codec of its own that the answerer was offered."""
    call = Call(rtpengine)
    assert_ok(call.offer(sdp(CALLER, 4000, *offer), options))
    answer_reply = assert_ok(call.answer(sdp(CALLEE, 5000, *answer)))
    assert codec_lines(answer_reply["sdp"]) == expected_answer
    call.delete()


@pytest.mark.parametrize("options", [{}, {"codec": {"transcode": ["G722"]}}], ids=["plain", "added-g722"])
def test_answer_of_nothing_offered_transcodes_as_10_5(rtpengine, options):
    """... and the media: 10.5 transcodes the offerer's PCMU to the answer's PCMA and back."""
    caller, callee = MediaPeer(CALLER), MediaPeer(CALLEE)
    try:
        call = Call(rtpengine)
        offer = assert_ok(call.offer(sdp(CALLER, caller.port, *PCMU_TE), options))
        answer = assert_ok(call.answer(sdp(CALLEE, callee.port, [8], ["8 PCMA/8000"])))
        for peer, destination, pt, ssrc in ((caller, Sdp(answer["sdp"]).media_address(), 0, 0x1111),
                                            (callee, Sdp(offer["sdp"]).media_address(), 8, 0x2222)):
            for i in range(6):
                peer.rtp.send(build_rtp(100 + i, 160 * i, ssrc, pt, g711_tone(pt, i)), destination)
                time.sleep(0.02)   # paced as a sender would
        for receiver, expected_pt in ((callee, 8), (caller, 0)):
            got = [parse_rtp(data).payload_type for data, _ in receiver.rtp.receive_all(6, 2.0)]
            assert got and set(got) == {expected_pt}, got
        call.delete()
    finally:
        caller.close()
        callee.close()


TE16_OFFER = ([0, 8, 101], ["0 PCMU/8000", "8 PCMA/8000", "101 telephone-event/8000"], ["fmtp:101 0-16"])
PCMA_TE15 = ([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], ["fmtp:101 0-15"])
PCMU_TE16 = ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], ["fmtp:101 0-16"])
PCMA_TE_LINES_WITH = ["m=audio PORT RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000"]


@pytest.mark.parametrize("offer, offer_options, answer, answer_options, expected_answer", [
    # once codecs were stripped (in the offer or the answer), the offerer's own fmtp
    (TE16_OFFER, {"codec": {"strip": ["PCMU"]}}, PCMA_TE15, {}, PCMA_TE_LINES_WITH + ["a=fmtp:101 0-16"]),
    (TE16_OFFER, {}, TE16_OFFER[:2] + (["fmtp:101 0-15"],), {"codec": {"strip": ["PCMU"]}},
     PCMA_TE_LINES_WITH + ["a=fmtp:101 0-16"]),
    (([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], ["fmtp:101 0-16"]), STRIP_ALL_PCMU_TE,
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], ["fmtp:101 0-15"]), {},
     PCMU_TE_LINES + ["a=fmtp:101 0-16"]),
    (([8, 101], ["8 PCMA/8000", "101 telephone-event/8000"], ["fmtp:101 0-16"]), STRIP_ALL_PCMU_TE,
     ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], []), {}, PCMU_TE_LINES + ["a=fmtp:101 0-16"]),
    (PCMA_TE, STRIP_ALL_PCMU_TE, ([0, 101], ["0 PCMU/8000", "101 telephone-event/8000"], ["fmtp:101 0-15"]), {},
     PCMU_TE_LINES),
    # without a strip the answerer's own
    (TE16_OFFER, {}, PCMA_TE15, {}, PCMA_TE_LINES_WITH + ["a=fmtp:101 0-15"]),
    (TE16_OFFER, {"codec": {"transcode": ["G722"]}}, PCMA_TE15, {}, PCMA_TE_LINES_WITH + ["a=fmtp:101 0-15"]),
    # the answerer took a codec transcoding added: the offerer's own lines for its event, fmtp
    # or none, whatever the answerer's says
    (PCMU_TE16, {"codec": {"transcode": ["PCMA"]}}, PCMA_TE15, {}, PCMU_TE_LINES + ["a=fmtp:101 0-16"]),
    (PCMU_TE16, {"flags": ["transcode-PCMA"]}, PCMA_TE15, {}, PCMU_TE_LINES + ["a=fmtp:101 0-16"]),
    (PCMU_TE16, {"codec": {"transcode": ["PCMA"]}}, PCMA_TE, {}, PCMU_TE_LINES + ["a=fmtp:101 0-16"]),
    (PCMU_TE16[:2] + ([],), {"codec": {"transcode": ["PCMA"]}}, PCMA_TE15, {}, PCMU_TE_LINES),
], ids=["offer-strip", "answer-strip", "strip-all-transcode", "strip-all-transcode-answer-no-fmtp",
        "strip-all-transcode-offer-no-fmtp", "plain", "transcode-no-strip", "added-codec", "added-codec-flag",
        "added-codec-answer-no-fmtp", "added-codec-offer-no-fmtp"])
def test_stripped_answer_carries_offerers_event_fmtp_as_10_5(rtpengine, offer, offer_options, answer, answer_options,
                                                             expected_answer):
    call = Call(rtpengine)
    assert_ok(call.offer(sdp(CALLER, 4000, *offer), offer_options))
    answer_reply = assert_ok(call.answer(sdp(CALLEE, 5000, *answer), answer_options))
    assert codec_lines(answer_reply["sdp"]) == expected_answer
    call.delete()
