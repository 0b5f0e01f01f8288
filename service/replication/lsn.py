"""WAL positions: PostgreSQL's pg_lsn text (`16/B374D848`) as comparable integers and back."""

from __future__ import annotations

import re

# Two hex halves of a 64-bit byte position, as pg_lsn prints them (each at most 8 digits).
_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")

MAX_LSN = 0xFFFF_FFFF_FFFF_FFFF


def parse_lsn(text: str) -> int:
    """`16/B374D848` -> its byte position; ValueError for anything else."""
    match = _LSN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a WAL position: {text!r}")
    return (int(match.group(1), 16) << 32) | int(match.group(2), 16)


def format_lsn(position: int) -> str:
    """A byte position in pg_lsn's own text form (what `$1::text::pg_lsn` accepts)."""
    if not 0 <= position <= MAX_LSN:
        raise ValueError(f"WAL position out of range: {position}")
    return f"{position >> 32:X}/{position & 0xFFFF_FFFF:X}"


def optional_lsn(text: str | None) -> int | None:
    """A nullable pg_lsn column (a standby that has replayed nothing yet, a primary's replay LSN)."""
    return None if text is None else parse_lsn(text)
