"""Post SQL."""

from __future__ import annotations

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Activity, Post, Posting
from service.posts.schemas import PostCreate, PostPatch, PostRead
from service.records import ResourceSpec, Row
from service.store import RecordStore, refuse_if_referenced


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
    singular = "post"

    async def check_archivable(self, session: AsyncSession, row: Row) -> None:
        activities, postings = Activity.__table__, Posting.__table__
        await refuse_if_referenced(
            session,
            "post",
            [
                (
                    "activities",
                    and_(activities.c.post_ids.contains([row["id"]]), activities.c.archived_at.is_(None)),
                ),
                ("postings", and_(postings.c.post_id == row["id"], postings.c.archived_at.is_(None))),
            ],
        )
