"""Post SQL."""

from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Activity, Post, Posting, Trip
from service.posts.params import PostParams
from service.posts.schemas import PostCreate, PostPatch, PostRead
from service.records.params import CollectionParams
from service.records.references import refuse_if_referenced
from service.records.spec import ResourceSpec, Row
from service.records.store import RecordStore
from service.records.where import Where, any_of


class PostStore(RecordStore):
    spec = ResourceSpec(
        name="posts",
        table=Post.__table__,
        unique_label="a post with this name",
        sortable=("id", "name", "created_at", "updated_at"),
    )
    read_model = PostRead
    create_model = PostCreate
    patch_model = PostPatch
    params = PostParams
    singular = "post"
    list_doc = "List posts (sort: id, name, created_at, updated_at)."

    async def check_archivable(self, session: AsyncSession, row: Row) -> None:
        activities, postings, trips = Activity.__table__, Posting.__table__, Trip.__table__
        await refuse_if_referenced(
            session,
            "post",
            [
                (
                    "activities",
                    and_(activities.c.post_ids.contains([row["id"]]), activities.c.archived_at.is_(None)),
                ),
                ("postings", and_(postings.c.post_id == row["id"], postings.c.archived_at.is_(None))),
                ("trips", and_(trips.c.post_ids.contains([row["id"]]), trips.c.archived_at.is_(None))),
            ],
        )

    async def where(self, session: AsyncSession, params: CollectionParams) -> Where:
        assert isinstance(params, PostParams)
        table = self.spec.table
        where = await super().where(session, params)
        pairs = ((table.c.country, params.country), (table.c.city, params.city))
        return where + any_of([*pairs, (table.c.post_type, params.post_type)])


store = PostStore()
