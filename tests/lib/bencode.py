"""Bencode, the encoding of the rtpengine "ng" control protocol: the tests' one codec.

Integers "i42e", byte strings "4:spam", lists "l...e", dictionaries "d...e" with keys in
sorted order. The decoder is strict (the whole input, bounded nesting), so a test that
feeds the relay's replies through it also checks that they are well formed.
"""


class BencodeError(ValueError):
    pass


# Nesting deeper than this is refused: a reply is never nested this deep, and the
# recursive decoder must not hit Python's recursion limit on hostile input.
MAX_DEPTH = 200


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
    if depth > MAX_DEPTH:
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
