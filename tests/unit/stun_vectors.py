#!/usr/bin/python3
"""Independent STUN test vectors for tests/unit/test_stun.c, computed with Python's own hmac and
zlib (not with daemon/stun.c). Prints C string literals; paste the output into test_stun.c when the
cases change. Layouts follow RFC 8489 sections 5, 14.2, 14.5, 14.7, 14.8 and RFC 8445 section 16.1."""
import hashlib
import hmac
import ipaddress
import struct
import zlib

COOKIE = 0x2112A442


def attribute(kind, value):
    return struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)


def finish(kind, transaction_id, body, password):
    """Appends MESSAGE-INTEGRITY (when password is not None) and FINGERPRINT to body."""
    def header(length):
        return struct.pack("!HHI", kind, length, COOKIE) + transaction_id
    if password is not None:
        signed = header(len(body) + 24) + body
        body += attribute(0x0008, hmac.new(password, signed, hashlib.sha1).digest())
    crc = zlib.crc32(header(len(body) + 8) + body) ^ 0x5354554E
    body += attribute(0x8028, struct.pack("!I", crc))
    return header(len(body)) + body


def xor_mapped_address(transaction_id, address, port):
    packed = ipaddress.ip_address(address).packed
    mask = struct.pack("!I", COOKIE) + transaction_id
    xored = bytes(b ^ m for b, m in zip(packed, mask))
    family = 1 if len(packed) == 4 else 2
    return attribute(0x0020, struct.pack("!BBH", 0, family, port ^ (COOKIE >> 16)) + xored)


def c_literal(name, data):
    hexes = "".join("\\x%02x" % b for b in data)
    lines = [hexes[i:i + 96] for i in range(0, len(hexes), 96)]
    print("static const char %s[] =\n\t\"%s\";" % (name, "\"\n\t\"".join(lines)))
    print("#define %s_LENGTH %d" % (name.upper(), len(data)))


TRANSACTION_ID = bytes(range(0xA0, 0xAC))
PASSWORD = b"pass0123456789abcdefgh"

# A browser-style connectivity check (RFC 8445 section 7.1.1): USERNAME "<our ufrag>:<theirs>",
# PRIORITY, USE-CANDIDATE, ICE-CONTROLLING with a tie-breaker, then MESSAGE-INTEGRITY, FINGERPRINT.
request_body = (attribute(0x0006, b"LoCa:rEmOtE")
                + attribute(0x0024, struct.pack("!I", 0x6E7F1EFF))
                + attribute(0x0025, b"")
                + attribute(0x802A, struct.pack("!Q", 0x0102030405060708)))
c_literal("python_request", finish(0x0001, TRANSACTION_ID, request_body, PASSWORD))

# What our success responses must be, byte for byte.
c_literal("python_success_ipv4", finish(0x0101, TRANSACTION_ID,
                                        xor_mapped_address(TRANSACTION_ID, "127.0.0.5", 40000), PASSWORD))
c_literal("python_success_ipv6", finish(0x0101, TRANSACTION_ID,
                                        xor_mapped_address(TRANSACTION_ID, "2001:db8::1:2:3", 5004), PASSWORD))
# 487 Role Conflict signed, 401 Unauthorized unsigned; reason lengths exercise the padding.
c_literal("python_error_487", finish(0x0111, TRANSACTION_ID,
                                     attribute(0x0009, struct.pack("!HBB", 0, 4, 87) + b"Role Conflict"),
                                     PASSWORD))
c_literal("python_error_401", finish(0x0111, TRANSACTION_ID,
                                     attribute(0x0009, struct.pack("!HBB", 0, 4, 1) + b"Unauthorized"), None))
