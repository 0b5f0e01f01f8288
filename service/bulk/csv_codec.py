"""CSV cells <-> JSON values for one resource's schema.

- Arrays of scalars are `;`-separated (`MX;GT`); an element that itself holds `;` (no vocabulary in
  the API allows one today) makes the whole cell a JSON array instead, so nothing is ever ambiguous.
- Nested objects (`foreign_partners`) are JSON text in the cell.
- An empty cell is "not given": null for a scalar, [] for a list.
- Spreadsheet formula injection (OWASP "CSV injection"): a cell that starts with = + - @ TAB or CR is
  written with a leading `'`. The import takes exactly that `'` back off, so export -> import is
  lossless. To keep this a bijection, a cell that already starts with `'`s followed by one of those
  characters gets one more `'` on export (and loses one on import).
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

Kind = Literal["scalar", "array", "json"]

_TRIGGER = re.compile(r"^'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"^'+[=+\-@\t\r]")


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will show as text, never evaluate."""
    return "'" + cell if _TRIGGER.match(cell) else cell


def restore(cell: str) -> str:
    """The inverse of neutralise()."""
    return cell[1:] if _ESCAPED.match(cell) else cell


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and `X | None` down to X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else Any
        else:
            return annotation


def _is_structured(annotation: Any) -> bool:
    inner = _unwrap(annotation)
    origin = get_origin(inner) or inner
    return origin is dict or (isinstance(origin, type) and issubclass(origin, BaseModel))


def field_kinds(model: type[BaseModel]) -> dict[str, Kind]:
    """How each field of `model` is written in a CSV cell."""
    kinds: dict[str, Kind] = {}
    for name, info in model.model_fields.items():
        annotation = _unwrap(info.annotation)
        if get_origin(annotation) in (list, tuple, set, frozenset):
            args = get_args(annotation)
            kinds[name] = "json" if args and _is_structured(args[0]) else "array"
        else:
            kinds[name] = "json" if _is_structured(annotation) else "scalar"
    return kinds


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    return value if isinstance(value, str) else str(value)


def _array_text(value: Any) -> str:
    items = [_scalar_text(v) for v in value or ()]
    if any(";" in item for item in items) or (items and items[0].startswith("[")):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return ";".join(items)


def _json_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_TEXT = {"scalar": _scalar_text, "array": _array_text, "json": _json_text}
_RISKY_FIRST = frozenset("=+-@\t\r'")


def cell_encoder(kind: Kind) -> Callable[[Any], str]:
    """A function from one JSON-mode value to its (neutralised) cell text."""
    to_text = _TEXT[kind]

    def encode(value: Any) -> str:
        text = to_text(value)
        # Most cells start harmlessly: test the first character before running the regex.
        return neutralise(text) if text and text[0] in _RISKY_FIRST else text

    return encode


def encode_cell(kind: Kind, value: Any) -> str:
    """One JSON-mode value as CSV cell text (already neutralised)."""
    return cell_encoder(kind)(value)


class CellError(ValueError):
    """A cell that cannot be read; becomes a row error naming the field."""


def decode_cell(kind: Kind, cell: str) -> Any:
    """Cell text as the value handed to the schema; `...` means "not given" (use the default)."""
    text = restore(cell)
    if kind == "array":
        if text == "":
            return []
        if text.startswith("["):
            return _json(text)
        return [item.strip() for item in text.split(";")]
    if text == "":
        return ...
    return _json(text) if kind == "json" else text


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CellError(f"the cell is not valid JSON ({exc.msg} at character {exc.pos})") from exc


class RowDecoder:
    """Turns the cells of one CSV record into the dict a create schema validates."""

    def __init__(self, header: list[str], kinds: dict[str, Kind]) -> None:
        self.header = header
        self.kinds = kinds

    def header_errors(self, server_owned: frozenset[str]) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        for index, name in enumerate(self.header):
            if name in seen:
                errors.append(_header_error(index, name, f"column '{name}' appears twice"))
            elif name in server_owned:
                msg = f"column '{name}' is set by the server and cannot be imported; remove it"
                errors.append(_header_error(index, name, msg))
            elif name not in self.kinds:
                allowed = ", ".join(self.kinds)
                errors.append(_header_error(index, name, f"unknown column '{name}'; columns: {allowed}"))
            seen.add(name)
        return errors

    def decode(self, cells: list[str]) -> tuple[dict[str, Any], list[tuple[list[str | int], str]]]:
        """The row's values, and (field loc, message) for each cell that could not be read."""
        if len(cells) != len(self.header):
            return {}, [([], f"expected {len(self.header)} cells like the header, found {len(cells)}")]
        values: dict[str, Any] = {}
        problems: list[tuple[list[str | int], str]] = []
        for name, cell in zip(self.header, cells, strict=True):
            try:
                value = decode_cell(self.kinds[name], cell)
            except CellError as exc:
                problems.append(([name], str(exc)))
                continue
            if value is not ...:
                values[name] = value
        return values, problems


def _header_error(index: int, name: str, msg: str) -> dict[str, Any]:
    return {"loc": ["header", index, name], "msg": msg, "type": "csv_header"}
