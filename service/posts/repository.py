"""Post SQL."""

from __future__ import annotations

from service.models import Post
from service.posts.schemas import PostCreate, PostPatch, PostRead
from service.records import ResourceSpec
from service.store import RecordStore


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
