"""Incremental readers: a byte stream (an HTTP body, a file) in, numbered rows out.

Neither reader holds more than one network chunk plus one unfinished record (at most
IMPORT_MAX_RECORD_BYTES), so an import's memory does not grow with its size. Row numbers are what a
person finds in the file: for NDJSON the line number, for CSV the record number after the header
(1 = first data row; a quoted cell may span lines).

A record ends at a newline outside quotes. A bare CR outside quotes is a line break to a spreadsheet
(and to Python's csv module) but not to this splitter: such a record would read as two rows, so it is
refused, naming the row, rather than one of its rows being dropped.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

from service.errors import Unprocessable


@dataclass(frozen=True)
class BadRow:
    """A row that could not be read into values: (field path, message) per problem."""

    problems: list[tuple[list[str | int], str]]


async def _text(chunks: AsyncIterator[bytes]) -> AsyncIterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()  # -sig: Excel writes a BOM
    try:
        async for chunk in chunks:
            if text := decoder.decode(chunk):
                yield text
        if tail := decoder.decode(b"", final=True):
            yield tail
    except UnicodeDecodeError as exc:
        raise Unprocessable(f"The file is not valid UTF-8 (byte {exc.start} of a chunk).") from exc


def _too_long(kind: str, number: int, limit: int) -> Unprocessable:
    """A record past IMPORT_MAX_RECORD_BYTES (counted in characters, which never exceed bytes)."""
    msg = f"longer than {limit} characters; is a line break missing?"
    what = "The header row" if kind == "header" else f"{kind.capitalize()} {number}"
    return Unprocessable(
        f"{what} is {msg} Nothing was imported.",
        errors=[{"loc": [kind, number], "msg": msg, "type": "too_long"}],
    )


async def ndjson_rows(
    chunks: AsyncIterator[bytes], max_record: int = 1_048_576
) -> AsyncIterator[tuple[int, str]]:
    """(line number, line) for every line that is not blank."""
    pending = ""
    line_no = 0
    async for text in _text(chunks):
        pending += text
        *lines, pending = pending.split("\n")
        for line in lines:
            line_no += 1
            if line.strip():
                yield line_no, line
        if len(pending) > max_record:
            raise _too_long("row", line_no + 1, max_record)
    if pending.strip():
        yield line_no + 1, pending


class _RecordSplitter:
    """Cuts text into whole CSV records: a newline ends a record only outside quotes, and RFC 4180
    quoting ("" inside quotes) makes the count of quote characters even exactly there."""

    def __init__(self) -> None:
        self.pending = ""
        self.scanned = 0  # chars of `pending` already looked at
        self.quotes = 0  # quote characters among them

    def feed(self, text: str) -> list[str]:
        """Append text; return the records now complete."""
        self.pending += text
        records: list[str] = []
        start = 0
        while (newline := self.pending.find("\n", self.scanned)) >= 0:
            self.quotes += self.pending.count('"', self.scanned, newline + 1)
            self.scanned = newline + 1
            if self.quotes % 2 == 0:
                records.append(self.pending[start : self.scanned])
                start, self.quotes = self.scanned, 0
        self.pending = self.pending[start:]
        self.scanned -= start
        return records

    def rest(self) -> list[str]:
        return [self.pending] if self.pending else []


def _cells(record: str) -> list[str] | BadRow:
    try:
        rows = [row for row in csv.reader(io.StringIO(record, newline=""), strict=True) if row]
    except csv.Error as exc:
        return BadRow([([], f"the record is not valid CSV: {exc}")])
    if len(rows) > 1:
        return BadRow(
            [
                (
                    [],
                    f"the record splits into {len(rows)} rows at a line break outside quotes (a bare CR?); "
                    "end records with CRLF or LF and quote cells that hold line breaks",
                )
            ]
        )
    return rows[0] if rows else []


async def csv_records(
    chunks: AsyncIterator[bytes], max_record: int = 1_048_576
) -> AsyncIterator[tuple[int, list[str] | BadRow]]:
    """(record number, cells); record 0 is the header. Blank lines are skipped."""
    splitter = _RecordSplitter()
    number = 0
    async for text in _text(chunks):
        for record in splitter.feed(text):
            if len(record) > max_record:
                raise _too_long("header" if number == 0 else "row", number, max_record)
            if cells := _cells(record):
                yield number, cells
                number += 1
        if len(splitter.pending) > max_record:
            raise _too_long("header" if number == 0 else "row", number, max_record)
    for record in splitter.rest():
        if cells := _cells(record):
            yield number, cells
