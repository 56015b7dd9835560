"""Bencode and a UDP client for the rtpengine "ng" control protocol.

An ng datagram is "<cookie> <bencoded dictionary>". The reply repeats the cookie; a
request retransmitted with the same cookie must get the cached reply instead of being
run again, which is what lets a SIP proxy resend over lossy UDP safely.
"""

import os
import socket
import time


class BencodeError(ValueError):
    pass


# ---------------------------------------------------------------- encoding

def bencode(value):
    """Encode str/bytes/int/list/tuple/dict as bencode bytes (dict keys sorted)."""
    if isinstance(value, bool):
        raise BencodeError("bool has no bencode form; use a string flag or an int")
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogateescape")
    if isinstance(value, (bytes, bytearray)):
        return b"%d:%s" % (len(value), bytes(value))
    if isinstance(value, (list, tuple)):
        return b"l" + b"".join(bencode(item) for item in value) + b"e"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode() if isinstance(k, str) else k)
        out = [b"d"]
        for key in keys:
            out.append(bencode(key))
            out.append(bencode(value[key]))
        out.append(b"e")
        return b"".join(out)
    raise BencodeError("cannot bencode %r" % type(value))


# ---------------------------------------------------------------- decoding

def _to_text(raw, as_text):
    if not as_text:
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _decode_at(data, pos, as_text, depth):
    if depth > 200:
        raise BencodeError("nesting too deep")
    if pos >= len(data):
        raise BencodeError("truncated at %d" % pos)
    lead = data[pos:pos + 1]
    if lead == b"i":
        end = data.find(b"e", pos)
        if end < 0:
            raise BencodeError("unterminated integer")
        return int(data[pos + 1:end]), end + 1
    if lead == b"l":
        pos += 1
        items = []
        while data[pos:pos + 1] != b"e":
            item, pos = _decode_at(data, pos, as_text, depth + 1)
            items.append(item)
        return items, pos + 1
    if lead == b"d":
        pos += 1
        result = {}
        while data[pos:pos + 1] != b"e":
            key, pos = _decode_at(data, pos, as_text, depth + 1)
            if pos >= len(data):
                raise BencodeError("dictionary key without value")
            result[key], pos = _decode_at(data, pos, as_text, depth + 1)
        return result, pos + 1
    if lead.isdigit():
        colon = data.find(b":", pos)
        if colon < 0:
            raise BencodeError("string without colon")
        length = int(data[pos:colon])
        start = colon + 1
        if start + length > len(data):
            raise BencodeError("string runs past the end")
        return _to_text(data[start:start + length], as_text), start + length
    raise BencodeError("unexpected byte %r at %d" % (lead, pos))


def bdecode(data, as_text=True):
    """Decode one bencoded value; byte strings become str when valid UTF-8 (as_text)."""
    value, end = _decode_at(bytes(data), 0, as_text, 0)
    if end != len(data):
        raise BencodeError("%d trailing bytes" % (len(data) - end))
    return value


# ---------------------------------------------------------------- client

def new_cookie():
    """A cookie as a SIP proxy makes one: unique, no spaces."""
    return os.urandom(8).hex()


def split_reply(datagram):
    """Split "<cookie> <payload>" into (cookie bytes, payload bytes)."""
    cookie, sep, payload = datagram.partition(b" ")
    if not sep:
        raise BencodeError("reply without cookie separator: %r" % datagram[:80])
    return cookie, payload


class NgClient:
    """One UDP socket talking ng to host:port. Every wait is bounded."""

    def __init__(self, port, host="127.0.0.1", reply_timeout=1.0, attempts=5):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.address = (host, port)
        self.reply_timeout = reply_timeout
        self.attempts = attempts
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))

    def close(self):
        self.sock.close()

    def send_raw(self, datagram):
        self.sock.sendto(datagram, self.address)

    def receive_raw(self, timeout):
        """Next datagram from the daemon, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                data, source = self.sock.recvfrom(65535)
            except socket.timeout:
                return None
            if source[:2] == self.address[:2]:
                return data

    def drain(self):
        """Drop stale replies (e.g. late answers to earlier retransmissions)."""
        self.sock.setblocking(False)
        try:
            for _ in range(1000):
                self.sock.recvfrom(65535)
        except (BlockingIOError, socket.timeout):
            pass
        finally:
            self.sock.setblocking(True)

    def request_raw(self, datagram, timeout=None):
        """Send one datagram and return the first reply (bytes), or None on timeout."""
        self.drain()
        self.send_raw(datagram)
        return self.receive_raw(self.reply_timeout if timeout is None else timeout)

    def request_with_cookie(self, cookie, message, attempts=None, reply_timeout=None):
        """Send `message` under `cookie`, retransmitting with the same cookie until a
        reply carrying that cookie arrives (each attempt waits `reply_timeout` s).
        Returns the decoded reply dict. Raises TimeoutError when no reply comes."""
        if isinstance(cookie, str):
            cookie = cookie.encode()
        datagram = cookie + b" " + (message if isinstance(message, bytes) else bencode(message))
        self.drain()
        for _ in range(attempts or self.attempts):
            self.send_raw(datagram)
            deadline = time.monotonic() + (reply_timeout or self.reply_timeout)
            while time.monotonic() < deadline:
                reply = self.receive_raw(deadline - time.monotonic())
                if reply is None:
                    break
                reply_cookie, payload = split_reply(reply)
                if reply_cookie == cookie:
                    return bdecode(payload)
        raise TimeoutError("no ng reply from %s:%d to %r" % (self.address[0], self.address[1],
                                                              message if isinstance(message, bytes)
                                                              else message.get("command")))

    def request(self, message, attempts=None, reply_timeout=None):
        """Send `message` (dict) under a fresh cookie; returns the decoded reply dict."""
        return self.request_with_cookie(new_cookie(), message, attempts, reply_timeout)
