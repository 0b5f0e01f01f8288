"""Posting SQL: reference checks, the NSDD-38 rule and list filters (plain reads and writes live in
service.records.sql)."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import Conflict, invalid
from service.models import Activity, Post, Posting, Recommendation
from service.postings.params import PostingParams
from service.postings.schemas import PostingCreate, PostingPatch, PostingRead
from service.records.params import CollectionParams, check_component_filter
from service.records.references import (
    ACTIVITY,
    COMPONENT,
    POST,
    check_components,
    check_live_ids,
    refuse_if_referenced,
)
from service.records.spec import NaturalKey, ResourceSpec, Row
from service.records.store import RecordStore
from service.records.where import Where, any_of, one_of
from service.schemas.vocab import NSDD38_CLEARED, PostingStatus

TABLE = Posting.__table__
POSTS = Post.__table__


class PostingStore(RecordStore):
    spec = ResourceSpec(
        name="postings",
        table=TABLE,
        unique_label="a posting with this position_number",
        natural_key=NaturalKey("by-position", ("position_number",)),
        marking=("sensitivity", "component"),
        sortable=("id", "created_at", "updated_at", "position_number", "tour_start", "tour_end"),
    )
    read_model = PostingRead
    create_model = PostingCreate
    patch_model = PostingPatch
    params = PostingParams
    owner_field = "component"
    singular = "posting"
    tag = "postings"
    list_doc = (
        "List postings, filtered and sorted (id, created_at, updated_at, position_number, tour_start,\n"
        "    tour_end; nulls last ascending, first descending)."
    )
    references = {"component": COMPONENT, "post_id": POST, "activity_ids": ACTIVITY}
    set_checked_import = True

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

    def import_rule(self, values: Row) -> None:
        check_nsdd38(values)

    async def where(self, session: AsyncSession, params: CollectionParams) -> Where:
        assert isinstance(params, PostingParams)
        await check_component_filter(session, "component", params.component)
        return posting_where(params) + await super().where(session, params)


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


def posting_where(params: PostingParams) -> Where:
    """WHERE clauses for the filters."""
    where: Where = []
    # City and country belong to the post: a posting moves with its post_id, never on its own.
    if params.country:
        where.append(TABLE.c.post_id.in_(select(POSTS.c.id).where(one_of(POSTS.c.country, params.country))))
    if params.city:
        where.append(TABLE.c.post_id.in_(select(POSTS.c.id).where(one_of(POSTS.c.city, params.city))))
    return where + any_of(
        [
            (TABLE.c.component, params.component),
            (TABLE.c.post_id, params.post_id),
            (TABLE.c.status, params.status),
            (TABLE.c.role, params.role),
            (TABLE.c.employment_category, params.employment_category),
            (TABLE.c.nsdd38_status, params.nsdd38_status),
        ]
    )


store = PostingStore()
