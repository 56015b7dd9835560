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
ICE_CONTROLLED = 0x8029


def _attribute(kind, value):
    padding = b"\x00" * (-len(value) % 4)
    return struct.pack("!HH", kind, len(value)) + value + padding


def _header(kind, length, transaction):
    return struct.pack("!HHI", kind, length, MAGIC_COOKIE) + transaction


def _sign(kind, body, transaction, password):
    # RFC 8489 section 14.5: the length covers MESSAGE-INTEGRITY when the HMAC is computed
    length_with_integrity = len(body) + 24
    digest = hmac.new(password.encode(), _header(kind, length_with_integrity, transaction) + body,
                      hashlib.sha1).digest()
    body += _attribute(MESSAGE_INTEGRITY, digest)
    # RFC 8489 section 14.7: CRC-32 of everything before FINGERPRINT, XOR 0x5354554e
    crc = zlib.crc32(_header(kind, len(body) + 8, transaction) + body) ^ 0x5354554E
    body += _attribute(FINGERPRINT, struct.pack("!I", crc))
    return _header(kind, len(body), transaction) + body


def binding_request(username, password, transaction=None, use_candidate=True, controlling=True,
                    tie_breaker=None):
    """A Binding request with USERNAME, PRIORITY, ICE-CONTROLLING (or -CONTROLLED),
    [USE-CANDIDATE], MESSAGE-INTEGRITY and FINGERPRINT."""
    transaction = transaction or os.urandom(12)
    body = _attribute(USERNAME, username.encode())
    body += _attribute(PRIORITY, struct.pack("!I", 1853824767))
    role = tie_breaker if tie_breaker is not None else os.urandom(8)
    body += _attribute(ICE_CONTROLLING if controlling else ICE_CONTROLLED, role)
    if use_candidate:
        body += _attribute(USE_CANDIDATE, b"")
    return _sign(BINDING_REQUEST, body, transaction, password), transaction


def binding_success(transaction, password, mapped):
    """A Binding success response with XOR-MAPPED-ADDRESS (IPv4 or IPv6) for `mapped`, signed."""
    address, port = mapped[:2]
    if ":" in address:
        key = struct.pack("!I", MAGIC_COOKIE) + transaction
        raw = bytes(a ^ b for a, b in zip(socket.inet_pton(socket.AF_INET6, address), key))
        value = struct.pack("!xBH", 2, port ^ (MAGIC_COOKIE >> 16)) + raw
    else:
        raw = struct.unpack("!I", socket.inet_aton(address))[0] ^ MAGIC_COOKIE
        value = struct.pack("!xBHI", 1, port ^ (MAGIC_COOKIE >> 16), raw)
    return _sign(BINDING_SUCCESS, _attribute(XOR_MAPPED_ADDRESS, value), transaction, password)


def binding_error(transaction, password, code, reason=b""):
    """A Binding error response (e.g. 487 Role Conflict), signed."""
    value = struct.pack("!HBB", 0, code // 100, code % 100) + reason
    return _sign(BINDING_ERROR, _attribute(ERROR_CODE, value), transaction, password)


def fingerprint_valid(message):
    """True when the message ends with a correct FINGERPRINT."""
    if len(message) < 28 or struct.unpack("!H", message[-8:-6])[0] != FINGERPRINT:
        return False
    return (zlib.crc32(message[:-8]) ^ 0x5354554E) == struct.unpack("!I", message[-4:])[0]


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
