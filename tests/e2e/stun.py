"""A minimal STUN (RFC 8489) client for the tests: Binding requests with ICE short-term
credentials (RFC 8445 section 7.2.2), computed independently of the daemon with hmac/zlib."""

import hmac
import hashlib
import os
import socket
import struct
import zlib

MAGIC_COOKIE = 0x2112A442
BINDING_REQUEST, BINDING_SUCCESS, BINDING_ERROR = 0x0001, 0x0101, 0x0111
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE, XOR_MAPPED_ADDRESS = 0x0006, 0x0008, 0x0009, 0x0020
PRIORITY, USE_CANDIDATE, FINGERPRINT, ICE_CONTROLLING = 0x0024, 0x0025, 0x8028, 0x802A


def _attribute(kind, value):
    padding = b"\x00" * (-len(value) % 4)
    return struct.pack("!HH", kind, len(value)) + value + padding


def _header(kind, length, transaction):
    return struct.pack("!HHI", kind, length, MAGIC_COOKIE) + transaction


def binding_request(username, password, transaction=None, use_candidate=True):
    """A Binding request with USERNAME, PRIORITY, ICE-CONTROLLING, [USE-CANDIDATE],
    MESSAGE-INTEGRITY and FINGERPRINT."""
    transaction = transaction or os.urandom(12)
    body = _attribute(USERNAME, username.encode())
    body += _attribute(PRIORITY, struct.pack("!I", 1853824767))
    body += _attribute(ICE_CONTROLLING, os.urandom(8))
    if use_candidate:
        body += _attribute(USE_CANDIDATE, b"")
    # RFC 8489 section 14.5: the length covers MESSAGE-INTEGRITY when the HMAC is computed
    length_with_integrity = len(body) + 24
    digest = hmac.new(password.encode(), _header(BINDING_REQUEST, length_with_integrity, transaction) + body,
                      hashlib.sha1).digest()
    body += _attribute(MESSAGE_INTEGRITY, digest)
    # RFC 8489 section 14.7: CRC-32 of everything before FINGERPRINT, XOR 0x5354554e
    crc = zlib.crc32(_header(BINDING_REQUEST, len(body) + 8, transaction) + body) ^ 0x5354554E
    body += _attribute(FINGERPRINT, struct.pack("!I", crc))
    return _header(BINDING_REQUEST, len(body), transaction) + body, transaction


def parse(message):
    """(type, transaction, {attribute type: value}) of a STUN message."""
    kind, length, cookie = struct.unpack("!HHI", message[:8])
    assert cookie == MAGIC_COOKIE and len(message) == 20 + length
    attributes, offset = {}, 20
    while offset < len(message):
        attribute_type, attribute_length = struct.unpack("!HH", message[offset:offset + 4])
        attributes[attribute_type] = message[offset + 4:offset + 4 + attribute_length]
        offset += 4 + attribute_length + (-attribute_length % 4)
    return kind, message[8:20], attributes


def integrity_valid(message, password):
    """Checks MESSAGE-INTEGRITY of a received message with `password`."""
    offset = 20
    while offset < len(message):
        attribute_type, attribute_length = struct.unpack("!HH", message[offset:offset + 4])
        if attribute_type == MESSAGE_INTEGRITY:
            adjusted = message[:2] + struct.pack("!H", offset + 24 - 20) + message[4:offset]
            expected = hmac.new(password.encode(), adjusted, hashlib.sha1).digest()
            return hmac.compare_digest(expected, message[offset + 4:offset + 24])
        offset += 4 + attribute_length + (-attribute_length % 4)
    return False


def xor_mapped_address(value, transaction):
    family, port = struct.unpack("!xBH", value[:4])
    port ^= MAGIC_COOKIE >> 16
    if family == 1:
        address = struct.unpack("!I", value[4:8])[0] ^ MAGIC_COOKIE
        return socket.inet_ntoa(struct.pack("!I", address)), port
    key = struct.pack("!I", MAGIC_COOKIE) + transaction
    raw = bytes(a ^ b for a, b in zip(value[4:20], key))
    return socket.inet_ntop(socket.AF_INET6, raw), port
