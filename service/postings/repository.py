"""Posting SQL: reference checks, the NSDD-38 rule and list filters (plain reads and writes live in
service.records)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import Conflict, invalid
from service.models import Activity, Post, Posting, Recommendation
from service.postings.schemas import PostingCreate, PostingPatch, PostingRead
from service.records import ResourceSpec, Row
from service.store import RecordStore, check_components, check_live_ids, refuse_if_referenced
from service.vocab import NSDD38_CLEARED, PostingStatus

TABLE = Posting.__table__
POSTS = Post.__table__


class PostingStore(RecordStore):
    spec = ResourceSpec(
        name="postings",
        table=TABLE,
        unique_label="a posting with this position_number",
        sortable=("id", "created_at", "updated_at", "position_number"),
    )
    read_model = PostingRead
    create_model = PostingCreate
    patch_model = PostingPatch
    owner_field = "component"
    singular = "posting"

    async def check_references(self, session: AsyncSession, values: Row, current: Row | None) -> None:
        had = frozenset([current["component"]] if current else [])
        await check_components(session, "component", [values["component"]], scalar=True, allow_retired=had)
        await check_live_post(session, values["post_id"])
        await check_live_ids(session, Activity.__table__, "activity_ids", values["activity_ids"], "activity")
        check_nsdd38(values)

    async def check_archivable(self, session: AsyncSession, row: Row) -> None:
        recommendations = Recommendation.__table__
        linked = and_(
            recommendations.c.posting_ids.contains([row["id"]]), recommendations.c.archived_at.is_(None)
        )
        await refuse_if_referenced(session, "posting", [("recommendations", linked)])


async def check_live_post(session: AsyncSession, post_id: uuid.UUID) -> None:
    found = await session.scalar(
        select(POSTS.c.id).where(POSTS.c.id == post_id, POSTS.c.archived_at.is_(None))
    )
    if found is None:
        raise invalid(["body", "post_id"], f"post {post_id} does not exist or is archived")


def check_nsdd38(values: Row) -> None:
    """A position is filled only once the Chief of Mission agreed (NSDD-38) or none was needed."""
    if values["status"] == PostingStatus.filled and values["nsdd38_status"] not in NSDD38_CLEARED:
        cleared = [str(s) for s in NSDD38_CLEARED]
        raise Conflict(
            "A posting can be filled only when its NSDD-38 request is approved or not required "
            f"(nsdd38_status is '{values['nsdd38_status']}').",
            extra={"nsdd38_status": str(values["nsdd38_status"]), "nsdd38_required": cleared},
        )


def posting_filters(
    *,
    components: Sequence[str],
    countries: Sequence[str],
    post_ids: Sequence[uuid.UUID],
    cities: Sequence[str],
    statuses: Sequence[str],
    roles: Sequence[str],
    categories: Sequence[str],
    nsdd38_statuses: Sequence[str],
    updated_since: datetime | None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the list; repeated values of one filter mean OR, filters AND."""
    where: list[ColumnElement[bool]] = []
    # City and country belong to the post: a posting moves with its post_id, never on its own.
    if countries:
        where.append(TABLE.c.post_id.in_(select(POSTS.c.id).where(POSTS.c.country.in_(countries))))
    if cities:
        where.append(TABLE.c.post_id.in_(select(POSTS.c.id).where(POSTS.c.city.in_(cities))))
    for column, values in (
        (TABLE.c.component, components),
        (TABLE.c.post_id, post_ids),
        (TABLE.c.status, statuses),
        (TABLE.c.role, roles),
        (TABLE.c.employment_category, categories),
        (TABLE.c.nsdd38_status, nsdd38_statuses),
    ):
        if values:
            where.append(column.in_(values))
    if updated_since is not None:
        where.append(TABLE.c.updated_at >= updated_since)
    return where
