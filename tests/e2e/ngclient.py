"""The ng client and bencode codec of the end-to-end tests, kept under this name for the
test modules that import it: both live in tests/lib (bencode.py, ng.py), shared with the
benchmark and the SDP generator."""

import os
import sys

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                 "..", "lib")))

from bencode import BencodeError, bdecode, bencode  # noqa: E402,F401
from ng import NgClient, new_cookie, split_reply  # noqa: E402,F401

__all__ = ["BencodeError", "bdecode", "bencode", "NgClient", "new_cookie", "split_reply"]
