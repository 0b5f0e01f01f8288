"""The posts collection's filters, shared by its list and its export."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from service.records.params import CollectionParams, CountryFilter, IncludeArchived, UpdatedSince
from service.schemas.types import Text
from service.schemas.vocab import PostType


class PostParams(CollectionParams):
    """Repeated values of one filter mean OR; different filters AND."""

    country: CountryFilter = []
    city: Annotated[list[Text(100, 1)], Query(max_length=50)] = []  # type: ignore[valid-type]
    post_type: Annotated[list[PostType], Query(max_length=5)] = []
    updated_since: UpdatedSince = None
    include_archived: IncludeArchived = False
