"""A minimal WebSocket client (RFC 6455) for the tests: the opening handshake, masked
frames out, frames in. Every read is bounded by the socket's timeout."""

import base64
import hashlib
import os
import socket
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


class HandshakeError(Exception):
    def __init__(self, status, response):
        super().__init__("WebSocket handshake refused: %r" % response[:200])
        self.status = status
        self.response = response


def frame(opcode, payload, fin=True, mask=True):
    """One client frame (masked unless told otherwise)."""
    header = bytes([(0x80 if fin else 0) | opcode])
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        header += bytes([mask_bit | length])
    elif length <= 0xFFFF:
        header += bytes([mask_bit | 126]) + struct.pack("!H", length)
    else:
        header += bytes([mask_bit | 127]) + struct.pack("!Q", length)
    if not mask:
        return header + payload
    key = os.urandom(4)
    return header + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


class WebSocket:
    def __init__(self, host, port, protocol, path="/", timeout=5.0, extra_headers=""):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, host, port, key))
        if protocol:
            request += "Sec-WebSocket-Protocol: %s\r\n" % protocol
        request += extra_headers + "\r\n"
        self.sock.sendall(request.encode())
        response = self._read_until(b"\r\n\r\n")
        status = int(response.split(b" ", 2)[1])
        if status != 101:
            self.sock.close()
            raise HandshakeError(status, response)
        headers = {}
        for line in response.split(b"\r\n")[1:]:
            if b":" in line:
                name, value = line.split(b":", 1)
                headers[name.strip().lower().decode()] = value.strip().decode()
        expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        assert headers.get("sec-websocket-accept") == expected, headers
        self.protocol = headers.get("sec-websocket-protocol")

    def _read_until(self, marker, limit=65536):
        while marker not in self.buffer:
            data = self.sock.recv(4096)
            if not data:
                raise ConnectionError("closed during handshake: %r" % self.buffer)
            self.buffer += data
            if len(self.buffer) > limit:
                raise ValueError("response too long")
        head, _, self.buffer = self.buffer.partition(marker)
        return head + marker

    def _read_exactly(self, count):
        while len(self.buffer) < count:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed")
            self.buffer += data
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, opcode, payload):
        self.sock.sendall(frame(opcode, payload))

    def receive(self):
        """(fin, opcode, payload) of the next server frame (which must be unmasked)."""
        first, second = self._read_exactly(2)
        assert not second & 0x80, "server frames are not masked"
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read_exactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read_exactly(8))[0]
        return bool(first & 0x80), first & 0x0F, self._read_exactly(length)

    def closed_by_peer(self):
        """True when the server closed the TCP connection (bounded by the timeout)."""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()
