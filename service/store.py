"""RecordStore: what a resource tells the generic routes about itself (schemas, owner, rules).

Each resource's repository subclasses it and adds its own SQL: reference checks and list filters.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.errors import Conflict, Unprocessable, invalid
from service.json_sql import json_projection, lookup_sql
from service.models import Component
from service.records import ResourceSpec, Row


class RecordStore:
    spec: ClassVar[ResourceSpec]
    read_model: ClassVar[type[BaseModel]]
    create_model: ClassVar[type[BaseModel]]
    patch_model: ClassVar[type[BaseModel]]
    # The field naming the owning component; None means only admins write this resource.
    owner_field: ClassVar[str | None] = None
    singular: ClassVar[str]

    def ensure_can_write(self, principal: Principal, values: Row) -> None:
        if self.owner_field is None:
            principal.ensure_admin()
        else:
            principal.ensure_can_write(values[self.owner_field])

    def writable(self, row: Row) -> Row:
        """The client-settable fields of a stored row (what a merge patch applies to)."""
        return {name: row[name] for name in self.create_model.model_fields}

    def merge(self, current: Row, patch: BaseModel) -> Row:
        """RFC 7396 on the writable fields, then the create schema's full validation."""
        merged = {**self.writable(current), **patch.model_dump(exclude_unset=True)}
        try:
            return self.create_model.model_validate(merged).model_dump()
        except ValidationError as exc:
            raise Unprocessable(
                "The patched record is not valid.",
                errors=[
                    {"loc": ["body", *err["loc"]], "msg": err["msg"], "type": err["type"]}
                    for err in exc.errors()
                ],
            ) from exc

    async def check_references(self, session: AsyncSession, values: Row, current: Row | None) -> None:
        """422 for references to unknown or archived records (override per resource)."""

    async def check_archivable(self, session: AsyncSession, row: Row) -> None:
        """409 when live records still point here (override per resource)."""

    @cached_property
    def projection(self) -> ColumnElement[str] | None:
        """The read model rendered by PostgreSQL (None: this resource reads through pydantic)."""
        return json_projection(self.spec.table, self.read_model)

    @cached_property
    def lookup_sql(self) -> str | None:
        """GET by key as one SQL string for the driver (None without a projection)."""
        if self.projection is None:
            return None
        return lookup_sql(self.spec.table, self.projection, self.spec.key)

    def to_read(self, row: Row) -> BaseModel:
        return self.read_model.model_validate(row)


async def check_components(
    session: AsyncSession,
    field: str,
    codes: list[str],
    *,
    scalar: bool = False,
    where: str = "body",
    allow_retired: frozenset[str] = frozenset(),
) -> None:
    """Every code must be a component; a write may not newly name a retired one
    (`allow_retired`: codes the record already had, so old records stay editable)."""
    if not codes:
        return
    rows = (
        await session.execute(
            select(Component.code, Component.active, Component.successor_code).where(
                Component.code.in_(set(codes))
            )
        )
    ).all()
    known = {r.code: r for r in rows}
    for index, code in enumerate(codes):
        loc: list[str | int] = [where, field] if scalar else [where, field, index]
        if code not in known:
            raise invalid(loc, f"'{code}' is not a component code (see GET /api/v1/components)")
        if not known[code].active and code not in allow_retired:
            successor = known[code].successor_code
            hint = f"; its work moved to {successor}" if successor else ""
            raise invalid(loc, f"component '{code}' is retired{hint}")


async def refuse_if_referenced(session: AsyncSession, what: str, referrers: list[tuple[str, Any]]) -> None:
    """409 naming who still links to a record that is about to be archived."""
    found = []
    for label, condition in referrers:
        count = await session.scalar(select(func.count()).where(condition))
        if count:
            found.append(f"{count} live {label}")
    if found:
        raise Conflict(f"Cannot archive this {what}: {', '.join(found)} still refer to it.")


async def check_live_ids(session: AsyncSession, table: Any, field: str, ids: list[Any], what: str) -> None:
    """Every id must name a live (not archived) record of `table`."""
    if not ids:
        return
    rows = (
        await session.execute(
            select(table.c.id).where(table.c.id.in_(set(ids)), table.c.archived_at.is_(None))
        )
    ).scalars()
    live = set(rows)
    for index, value in enumerate(ids):
        if value not in live:
            raise invalid(["body", field, index], f"{what} {value} does not exist or is archived")
