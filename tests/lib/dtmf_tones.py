"""DTMF helpers shared by the DTMF end-to-end tests: ITU-T Q.23 tone pairs, a Goertzel power
meter to find them in decoded audio, G.711 by Python's audioop (independent of the daemon's),
RFC 4733 event fields, and the --dtmf-log-dest sink (a fixture: import it into a test module)."""

import json
import math
import socket
import struct
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

ROWS, COLUMNS = (697, 770, 852, 941), (1209, 1336, 1477, 1633)
KEYPAD = ("123A", "456B", "789C", "*0#D")


def tone_pair(digit, samples, amplitude=7000, rate=8000):
    """The digit's two tones (Q.23), `samples` of them at `rate`."""
    row = next(r for r in range(4) if str(digit) in KEYPAD[r])
    column = KEYPAD[row].index(str(digit))
    return [int(amplitude * (math.sin(2 * math.pi * ROWS[row] * n / rate) +
                             math.sin(2 * math.pi * COLUMNS[column] * n / rate))) for n in range(samples)]


def goertzel_power(samples, frequency, rate=8000):
    coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coefficient * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coefficient * s1 * s2


def tone_power(pcm):
    """Goertzel power at each row and column frequency."""
    return {f: goertzel_power(pcm, f) for f in ROWS + COLUMNS}


def assert_tone_of(pcm, digit):
    """The digit's row and column tones stand 20 dB above the other rows and columns."""
    row = next(r for r in range(4) if str(digit) in KEYPAD[r])
    low, high = ROWS[row], COLUMNS[KEYPAD[row].index(str(digit))]
    power = tone_power(pcm)
    print("tone power", {f: "%.2e" % v for f, v in power.items()})
    assert power[low] > 100 * max(power[f] for f in ROWS if f != low)
    assert power[high] > 100 * max(power[f] for f in COLUMNS if f != high)


# ITU-T G.711: 0 dBm0 is a sine 3.14 dB below full scale
DBM0_AMPLITUDE = 32768 / 10 ** (3.14 / 20)


def pair_level_dbm0(pcm, digit):
    """The digit's two tones' power together in dBm0 (RFC 4733 volumes are the negative),
    from the Goertzel power of each over all of pcm (a sine of amplitude A over n samples
    gives (A n / 2)^2)."""
    row = next(r for r in range(4) if str(digit) in KEYPAD[r])
    amplitudes = [2 * math.sqrt(goertzel_power(pcm, f)) / len(pcm)
                  for f in (ROWS[row], COLUMNS[KEYPAD[row].index(str(digit))])]
    return 10 * math.log10(sum(a * a for a in amplitudes) / DBM0_AMPLITUDE ** 2)


def ulaw(pcm):
    return audioop.lin2ulaw(struct.pack("<%dh" % len(pcm), *pcm), 2)


def alaw(pcm):
    return audioop.lin2alaw(struct.pack("<%dh" % len(pcm), *pcm), 2)


def ulaw_decode(payload):
    return struct.unpack("<%dh" % len(payload), audioop.ulaw2lin(payload, 2))


def events_of(packets, payload_type):
    """The parsed RTP packets of the telephone-event payload type."""
    return [p for p in packets if p.payload_type == payload_type]


def durations(events):
    """RFC 4733 section 2.3.5: each event packet's duration field."""
    return [struct.unpack("!H", p.payload[2:4])[0] for p in events]


@pytest.fixture
def dtmf_sink():
    """A UDP socket on loopback for --dtmf-log-dest=127.0.0.1:<its port>."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(3.0)
    yield sink
    sink.close()


def dtmf_reports(sink, first_timeout=3.0, quiet=0.5):
    """Every JSON report the sink gets until it is quiet for `quiet` seconds."""
    reports = []
    sink.settimeout(first_timeout)
    try:
        while True:
            reports.append(json.loads(sink.recv(4096)))
            sink.settimeout(quiet)
    except socket.timeout:
        pass
    return reports
