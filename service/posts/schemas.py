"""Post schemas: the places abroad where DHS people sit."""

from __future__ import annotations

import uuid

from pydantic import Field

from service.schemas.base import ArchivedMeta, RecordMeta, StrictModel, partial
from service.schemas.types import CountryCode, Text
from service.schemas.vocab import PostType


class PostCreate(StrictModel):
    """An embassy, consulate, mission or port; it fixes a posting's city and country."""

    name: Text(200, 1) = Field(examples=["U.S. Embassy Mexico City"])
    city: Text(100, 1) = Field(examples=["Mexico City"])
    country: CountryCode
    post_type: PostType


PostPatch = partial(PostCreate, "PostPatch")


class PostRead(ArchivedMeta, RecordMeta, PostCreate):
    model_config = {"extra": "ignore"}

    id: uuid.UUID
