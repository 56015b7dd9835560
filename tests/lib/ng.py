"""A UDP client for the rtpengine "ng" control protocol.

An ng datagram is "<cookie> <bencoded dictionary>". The reply repeats the cookie; a
request retransmitted with the same cookie must get the cached reply instead of being
run again, which is what lets a SIP proxy resend over lossy UDP safely.
"""

import os
import socket
import time

from bencode import BencodeError, bdecode, bencode


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

    def ping(self, reply_timeout=0.1):
        """True when one ping (no retransmission) gets "pong" within `reply_timeout` s:
        the readiness check for a relay that was just started."""
        try:
            reply = self.request({"command": "ping"}, attempts=1, reply_timeout=reply_timeout)
        except (TimeoutError, ValueError, OSError):
            # ValueError: a garbled reply; OSError: ICMP port unreachable while it starts
            return False
        return reply.get("result") == "pong"
