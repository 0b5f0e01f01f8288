"""The `OIA-Consistency-Token`: a WAL position, opaque and url-safe, with a check against garbling.

Layout: `c1.` + base64url(8-byte big-endian LSN + 4-byte check), 19 characters. The check is a
keyed BLAKE2b of the LSN, but the key is not a secret (it is in this file): it catches typos,
truncation and tokens from another format, not a deliberate forgery. A forgery cannot hurt anyone
but its sender: a token only ever raises the freshness a read demands, and a position no replica
reaches sends that client's reads to the primary after at most REPLICA_WAIT_MS. Making tokens
unforgeable would need a secret shared by every instance (and a rotation story) for no gain.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct

from service.replication.lsn import MAX_LSN

_PREFIX = "c1."  # the format's version: a later layout can be told apart
_KEY = b"oia-consistency-token-v1"
# 12 bytes (8 LSN + 4 check) are exactly 16 base64 characters, no padding.
_FORMAT = re.compile(r"c1\.([A-Za-z0-9_-]{16})")


class InvalidToken(ValueError):
    """The header is not a token this service issued (garbled, truncated or made up)."""


def _check(lsn_bytes: bytes) -> bytes:
    return hashlib.blake2b(lsn_bytes, digest_size=4, key=_KEY).digest()


def encode_token(lsn: int) -> str:
    """An opaque token standing for a WAL position."""
    if not 0 <= lsn <= MAX_LSN:
        raise ValueError(f"WAL position out of range: {lsn}")
    raw = struct.pack(">Q", lsn)
    return _PREFIX + base64.urlsafe_b64encode(raw + _check(raw)).decode("ascii").rstrip("=")


def decode_token(token: str) -> int:
    """The WAL position inside a token; InvalidToken for anything this service did not issue."""
    match = _FORMAT.fullmatch(token.strip())
    if match is None:  # also refuses padding and stray characters: one spelling per token
        raise InvalidToken("unrecognised consistency token")
    raw = base64.urlsafe_b64decode(match.group(1))
    if raw[8:] != _check(raw[:8]):
        raise InvalidToken("damaged consistency token")
    return int(struct.unpack(">Q", raw[:8])[0])


# A token meaning "read from the primary": for a write whose commit position could not be read
# (the primary went away right after COMMIT). No replica ever reaches it, and choose() does not
# wait for one to.
PRIMARY_ONLY_TOKEN = encode_token(MAX_LSN)
