"""/api/v1/changes: one ordered feed of every create, update, archive and restore."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from service.auth import CurrentKey
from service.changes.repository import changes_after
from service.db import SnapshotSessionDep
from service.records.history import SEQ_SORT, feed_position
from service.records.http import error_responses
from service.records.pagination import Cursor, Limit, encode_cursor
from service.schemas.types import Timestamp
from service.web.urls import this_url_with

router = APIRouter(tags=["changes"])


class FeedResource(StrEnum):
    """The collections whose changes appear in the feed."""

    activities = "activities"
    postings = "postings"
    trips = "trips"
    recommendations = "recommendations"
    posts = "posts"
    components = "components"
    strategic_goals = "strategic-goals"
    overlaps = "overlaps"


class Change(BaseModel):
    seq: int
    resource: str
    id: str
    action: str
    at: Timestamp
    version: int


class ChangePage(BaseModel):
    """`next_cursor` is never null: on the last page it is where to resume polling."""

    items: list[Change]
    next_cursor: str


@router.get(
    "/changes",
    response_model=ChangePage,
    operation_id="list_changes",
    responses=error_responses(400, 401, 422, 503),
)
async def list_changes(
    request: Request,
    session: SnapshotSessionDep,
    principal: CurrentKey,
    after: Cursor = None,
    resource: Annotated[list[FeedResource], Query(max_length=10)] = [],  # noqa: B006
    limit: Limit = 50,
) -> JSONResponse:
    """Changes after a cursor, oldest first; remember next_cursor and poll with it. `withdrawn`: the
    record left your view (delete your copy); an id you do not hold: fetch it."""
    after_seq = feed_position(after) if after else 0
    resources = [r.value for r in resource]
    rows, last_seq, more = await changes_after(session, after_seq, resources, limit, principal)
    items = [Change(id=str(r["record_id"]), **{k: v for k, v in r.items() if k != "record_id"}) for r in rows]
    next_cursor = encode_cursor(SEQ_SORT, last_seq, last_seq)
    body = ChangePage(items=items, next_cursor=next_cursor).model_dump(mode="json")
    # A full page means more may be waiting now; a short one means "poll again later".
    headers = {"Link": f'<{this_url_with(request, after=next_cursor)}>; rel="next"'} if more else {}
    return JSONResponse(body, headers=headers)
