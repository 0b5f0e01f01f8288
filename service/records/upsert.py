"""PUT by the integrator's own key: create the record, replace it, or leave an identical one alone.

The natural key has a unique constraint. The record is looked up and locked by it; when there is none
the INSERT says ON CONFLICT DO NOTHING, so two PUTs of one new key never fail on the constraint: the
loser finds the winner's committed row on its second look and replaces it (READ COMMITTED: each
statement sees what committed before it). A row that holds the key yet stays out of sight is a record
the writer may not see (row-level security, or the same rule in Python): a 409 naming nothing of it.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.errors import Conflict, PreconditionFailed, invalid
from service.records import sql as records
from service.records.audit import diff, jsonable, record_change
from service.records.http import check_if_match, etag, not_modified
from service.records.spec import NaturalKey, Row
from service.records.store import RecordStore


class Outcome(Enum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"


def natural_key(store: RecordStore) -> NaturalKey:
    key = store.spec.natural_key
    assert key is not None, f"{store.spec.name} has no natural key"
    return key


def check_body_key(store: RecordStore, key: dict[str, Any], values: Row) -> None:
    """422 when the body names another key than the path (the path says which record this is)."""
    for column in natural_key(store).columns:
        if values[column] != key[column]:
            raise invalid(
                ["body", column],
                f"{column} in the body ({jsonable(values[column])!r}) differs from the path's "
                f"({key[column]!r}); a record's key cannot change",
            )


async def fetch_by_key(
    session: AsyncSession, store: RecordStore, key: dict[str, Any], *, lock: bool
) -> Row | None:
    """The record holding this key (archived ones too), if the session sees it."""
    table = store.spec.table
    stmt = select(table).where(*(table.c[column] == value for column, value in key.items()))
    row = (await session.execute(stmt.with_for_update() if lock else stmt)).first()
    return dict(row._mapping) if row else None


async def _visible(
    session: AsyncSession, store: RecordStore, key: dict[str, Any], principal: Principal
) -> Row | None:
    """The locked record with this key, unless the principal may not see it (row-level security
    hides it already; the same rule in Python keeps it when RLS is bypassed)."""
    row = await fetch_by_key(session, store, key, lock=True)
    return row if row is not None and store.can_read(principal, row) else None


def _taken(store: RecordStore) -> Conflict:
    """The conflict with a record the writer may not see: it names neither its id nor its fields."""
    return Conflict(f"{store.spec.unique_label} already exists.".capitalize())


async def _insert(session: AsyncSession, store: RecordStore, values: Row, actor: Principal) -> Row | None:
    """The new record and its `create` audit row, or None when the key is already taken."""
    spec = store.spec
    stamped = {**values, "created_by": actor.name, "updated_by": actor.name}
    columns = [spec.table.c[column] for column in natural_key(store).columns]
    stmt = insert(spec.table).on_conflict_do_nothing(index_elements=columns).returning(spec.table)
    found = (await session.execute(stmt, stamped)).first()
    if found is None:
        return None
    row = dict(found._mapping)
    await record_change(
        session,
        resource=spec.name,
        record_id=row[spec.key],
        action="create",
        version=row["version"],
        actor=actor,
        changes=diff(None, values),
        marking=spec.marking_of(row),
    )
    return row


async def put(
    session: AsyncSession,
    store: RecordStore,
    key: dict[str, Any],
    values: Row,
    principal: Principal,
    *,
    if_match: str | None,
    if_none_match: str | None,
) -> tuple[Row, Outcome]:
    """Create or replace the record with this key (the caller commits)."""
    check_body_key(store, key, values)
    store.ensure_can_write(principal, values)
    current = await _visible(session, store, key, principal)
    if current is None:  # none, or one out of sight: the same answers either way
        if if_match is not None:
            # RFC 9110: If-Match never matches a record that does not exist (nor one out of sight).
            raise PreconditionFailed(
                f"No {store.singular.replace('_', ' ')} has this key, so If-Match cannot match; "
                "leave If-Match out to create it."
            )
        store.check_marking(principal, values, None)
        fresh = dict(values)  # a store's check may add server-set fields (a recommendation's status)
        await store.check_references(session, fresh, None)
        row = await _insert(session, store, fresh, principal)
        if row is not None:
            return row, Outcome.created
        current = await _visible(session, store, key, principal)  # a concurrent PUT won?
        if current is None:
            raise _taken(store)
    return await _replace(session, store, current, values, principal, if_match, if_none_match)


async def _replace(
    session: AsyncSession,
    store: RecordStore,
    current: Row,
    values: Row,
    principal: Principal,
    if_match: str | None,
    if_none_match: str | None,
) -> tuple[Row, Outcome]:
    store.ensure_can_write(principal, current)  # moving a record away from its owner needs admin
    version = current["version"]
    if not_modified(if_none_match, version):
        raise PreconditionFailed(
            f"A {store.singular.replace('_', ' ')} with this key exists (ETag {etag(version)}); "
            "If-None-Match: * only creates.",
            extra={"current_etag": etag(version)},
        )
    if if_match is not None:
        check_if_match(if_match, version)
    if current.get("archived_at") is not None:
        raise Conflict(f"The {store.singular.replace('_', ' ')} is archived; an admin must restore it first.")
    store.check_marking(principal, values, current)
    await store.check_references(session, values, current)
    row = await records.apply_update(session, store.spec, current, values, principal)
    return row, Outcome.updated if row["version"] != version else Outcome.unchanged
