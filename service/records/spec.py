"""ResourceSpec: what the generic SQL needs to know about one table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.sql.elements import KeyedColumnElement

Row = dict[str, Any]


@dataclass(frozen=True)
class NaturalKey:
    """The client's own key of a record (unique in the table), addressed as `/<segment>/<columns...>`:
    integrators PUT and GET by it instead of remembering our ids."""

    segment: str  # e.g. "by-identifier"
    columns: tuple[str, ...]  # e.g. ("identifier",); ("report_number", "number")


@dataclass(frozen=True)
class ResourceSpec:
    """What the generic code needs to know about one table."""

    name: str  # the collection name, also used in the audit log and change feed
    table: Table
    key: str = "id"
    unique_label: str = "a record with the same unique key"
    sortable: tuple[str, ...] = ("id", "created_at", "updated_at")
    archivable: bool = True
    # (marking column, owner column) of a resource whose records carry a sensitivity marking
    marking: tuple[str, str] | None = None
    natural_key: NaturalKey | None = None

    @property
    def key_column(self) -> KeyedColumnElement[Any]:
        return self.table.c[self.key]

    def marking_of(self, row: Row) -> tuple[str | None, str | None]:
        """The record's (marking, owner), as the audit log keeps them; (None, None) when unmarked."""
        if self.marking is None:
            return None, None
        return row[self.marking[0]], row[self.marking[1]]

    def sort_columns(self) -> dict[str, KeyedColumnElement[Any]]:
        return {name: self.table.c[name] for name in self.sortable}
