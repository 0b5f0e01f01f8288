"""The components collection's filters, shared by its list and its export."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from service.records.params import CollectionParams, UpdatedSince


class ComponentParams(CollectionParams):
    """Components retire (active=false) rather than being archived."""

    active: Annotated[bool | None, Query(description="Only active (or only retired) ones")] = None
    updated_since: UpdatedSince = None
