"""RecordStore: everything a resource tells the generic machinery about itself.

Each resource's repository subclasses it once: its schemas, who owns a record, how its query parameters
become WHERE clauses (one definition for the list and the export), which fields reference other
records (checked one by one on a write, set-based in a bulk import), and its own rules.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.errors import Unprocessable, invalid
from service.records.links import marked_links
from service.records.pagination import Sort
from service.records.params import CollectionParams
from service.records.projection import json_projection, lookup_sql
from service.records.references import Target
from service.records.spec import ResourceSpec, Row
from service.records.where import Where, visible_where
from service.schemas.vocab import Sensitivity


class RecordStore:
    spec: ClassVar[ResourceSpec]
    read_model: ClassVar[type[BaseModel]]
    create_model: ClassVar[type[BaseModel]]
    patch_model: ClassVar[type[BaseModel]]
    # The collection's query parameters (filters), shared by its list and its export.
    params: ClassVar[type[CollectionParams]] = CollectionParams
    default_sort: ClassVar[str] = "id"
    # The field naming the owning component; None means only admins write this resource.
    owner_field: ClassVar[str | None] = None
    singular: ClassVar[str]
    tag: ClassVar[str] = "reference data"  # the OpenAPI tag of its routes
    list_doc: ClassVar[str] = ""  # the list route's description
    # Fields that name other records, and what they point at.
    references: ClassVar[dict[str, Target]] = {}
    # True: a bulk import checks `references` set-based per chunk and then calls `import_rule` per
    # row, instead of `check_references` per row (for resources imported by the hundred thousand).
    set_checked_import: ClassVar[bool] = False

    def ensure_can_write(self, principal: Principal, values: Row) -> None:
        if self.owner_field is None:
            principal.ensure_admin()
        else:
            principal.ensure_can_write(values[self.owner_field])

    async def selection(self, session: AsyncSession, params: CollectionParams, principal: Principal) -> Where:
        """What a list or an export reads: the filters, and only records the principal may see."""
        return await self.where(session, params) + self.visible_where(principal)

    def seek_where(
        self, params: CollectionParams, principal: Principal, sort: Sort, cursor: str | None, limit: int
    ) -> Where:
        """Extra WHERE clauses that change no page but let PostgreSQL find it faster, for a page of
        `limit` in `sort` from `cursor` (a resource with a narrower index than its own overrides this)."""
        return []

    @property
    def sensitivity_field(self) -> str | None:
        """The field holding the record's marking (public < sbu < les); None: every key reads it."""
        return self.spec.marking[0] if self.spec.marking else None

    def can_read(self, principal: Principal, row: Row) -> bool:
        """Whether the record is visible to the principal (clearance, or its owner's editor)."""
        return principal.can_read(*self.spec.marking_of(row))

    def visible_where(self, principal: Principal) -> Where:
        """The same rule as `can_read` as SQL, for the queries that list records (row-level
        security applies it again underneath: this keeps it when RLS is bypassed, and in plans)."""
        return visible_where(self.spec, principal)

    def check_marking(self, principal: Principal, values: Row, current: Row | None) -> None:
        """422 for a write that sets a marking above the writer's own clearance (a record already
        marked so, which its owner's editor may see, can still be edited without raising it)."""
        field = self.sensitivity_field
        if field is None or (current is not None and values[field] == current[field]):
            return
        if Sensitivity(values[field]).rank > principal.clearance.rank:
            raise invalid(
                ["body", field],
                f"{field} '{values[field]}' is above this key's clearance ({principal.clearance.value})",
            )

    def writable(self, row: Row) -> Row:
        """The client-settable fields of a stored row (what a merge patch applies to)."""
        return {name: row[name] for name in self.create_model.model_fields}

    def merge(self, current: Row, patch: BaseModel) -> Row:
        """RFC 7396 on the writable fields, then the create schema's full validation."""
        merged = {**self.writable(current), **patch.model_dump(exclude_unset=True)}
        key = self.spec.key
        if key != "id" and merged.get(key, current[key]) != current[key]:
            what = self.singular.replace("_", " ")
            raise invalid(["body", key], f"{_article(what)} {what}'s {key} cannot change")
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

    def import_rule(self, values: Row) -> None:
        """The part of `check_references` that needs no database (run per row by a set-checked import)."""

    async def check_archivable(self, session: AsyncSession, row: Row) -> None:
        """409 when live records still point here (override per resource)."""

    async def where(self, session: AsyncSession, params: CollectionParams) -> Where:
        """The WHERE clauses of a list or export; resources add their own filters to these."""
        table = self.spec.table
        clauses: Where = []
        updated_since = getattr(params, "updated_since", None)
        if updated_since is not None:
            clauses.append(table.c.updated_at >= updated_since)
        if self.spec.archivable and not getattr(params, "include_archived", False):
            clauses.append(table.c.archived_at.is_(None))
        return clauses

    @cached_property
    def projection(self) -> ColumnElement[str] | None:
        """The read model rendered by PostgreSQL (None: this resource reads through pydantic);
        links to marked records as stored (see projection_for)."""
        return json_projection(self.spec.table, self.read_model)

    def projection_for(self, principal: Principal) -> ColumnElement[str] | None:
        """The projection as `principal` may read it: links to records it may not see left out.
        Built once per kind of reader (a clearance, and an editor's component)."""
        if not self.links or self.projection is None:
            return self.projection
        return self._for_reader(principal)[0]

    def lookup_sql(self, principal: Principal) -> str | None:
        """GET by key as one SQL string for the driver (None without a projection)."""
        if self.projection is None:
            return None
        if not self.links:
            return self._plain_lookup
        return self._for_reader(principal)[1]

    @cached_property
    def _plain_lookup(self) -> str:
        assert self.projection is not None
        return lookup_sql(self.spec.table, self.projection, self.spec.key, self.spec.marking)

    def _for_reader(self, principal: Principal) -> tuple[ColumnElement[str], str]:
        reader = (principal.clearance, principal.editor_component)
        if reader not in self._readers:
            projection = json_projection(self.spec.table, self.read_model, self.links, principal)
            assert projection is not None
            sql = lookup_sql(self.spec.table, projection, self.spec.key, self.spec.marking)
            self._readers[reader] = (projection, sql)
        return self._readers[reader]

    @cached_property
    def _readers(self) -> dict[tuple[Any, str | None], tuple[ColumnElement[str], str]]:
        return {}

    @cached_property
    def links(self) -> dict[str, Target]:
        """Its array fields linking to marked records (shown filtered to what the reader may see)."""
        return marked_links(self.references, self.spec.table)

    def to_read(self, row: Row) -> BaseModel:
        return self.read_model.model_validate(row)


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"
