"""AMR for the tests' own peers: libopencore-amrnb (Debian libopencore-amrnb0) encodes 20 ms of
8 kHz PCM into a storage frame (RFC 4867 section 5.3: header octet 0|FT|Q|00, speech bits),
which is put into an RTP payload in either format of RFC 4867 section 4 (written here
independently of the relay's daemon/amr_payload.c)."""

import ctypes
import ctypes.util

# RFC 4867 section 3.6 (3GPP TS 26.101): speech bits per AMR frame type
AMR_BITS = [95, 103, 118, 134, 148, 159, 204, 244, 39]


class AmrEncoder:
    def __init__(self, mode=7):
        path = ctypes.util.find_library("opencore-amrnb") or "libopencore-amrnb.so.0"
        self.lib = ctypes.CDLL(path)
        self.lib.Encoder_Interface_init.restype = ctypes.c_void_p
        self.state = self.lib.Encoder_Interface_init(0)
        self.mode = mode

    def encode(self, samples):
        """160 samples -> one storage frame."""
        pcm = (ctypes.c_short * 160)(*samples)
        out = (ctypes.c_ubyte * 64)()
        length = self.lib.Encoder_Interface_Encode(ctypes.c_void_p(self.state), self.mode, pcm, out, 0)
        assert length > 0
        return bytes(out[:length])

    def close(self):
        self.lib.Encoder_Interface_exit(ctypes.c_void_p(self.state))


def _bits(data, count):
    return [(data[i // 8] >> (7 - i % 8)) & 1 for i in range(count)]


def _octets(bits):
    bits = bits + [0] * (-len(bits) % 8)
    return bytes(sum(bit << (7 - n) for n, bit in enumerate(bits[i:i + 8])) for i in range(0, len(bits), 8))


def packetise(frames, octet_aligned=False):
    """Storage frames -> one RTP payload, CMR 15 (no mode request)."""
    bits = [1, 1, 1, 1] + ([0, 0, 0, 0] if octet_aligned else [])
    for n, frame in enumerate(frames):
        frame_type, quality = frame[0] >> 3 & 0xf, frame[0] >> 2 & 1
        bits += [1 if n + 1 < len(frames) else 0] + [frame_type >> b & 1 for b in (3, 2, 1, 0)] + [quality]
        if octet_aligned:
            bits += [0, 0]
    for frame in frames:
        speech = _bits(frame[1:], AMR_BITS[frame[0] >> 3 & 0xf])
        bits += speech + ([0] * (-len(speech) % 8) if octet_aligned else [])
    return _octets(bits)
