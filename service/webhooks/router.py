"""/api/v1/webhooks: subscriptions (owner-scoped), secret rotation, ping, the deliveries log, retry.

No `from __future__ import annotations`: FastAPI reads these annotations at runtime.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse

from service.auth import CurrentKey, Principal
from service.db import SessionDep
from service.errors import Conflict, NotFound
from service.records.cursor import seal, unseal
from service.records.http import IfMatch, check_if_match, error_responses, etag, require_json
from service.records.pagination import Cursor, Limit, link_header
from service.webhooks import queue, repository
from service.webhooks.payload import ping_body
from service.webhooks.rules import check_components, check_url, deliverer, in_own_task, merged, to_read
from service.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    PingResult,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)
from service.webhooks.settings import get_webhook_settings
from service.webhooks.signing import delivery_headers, message_id, new_secret

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
WebhookId = Annotated[uuid.UUID, Path(description="The subscription's id")]
DeliveryId = Annotated[uuid.UUID, Path(description="The delivery's id")]
JSON_BODY = [Depends(require_json)]


async def _mine(
    session: Any, principal: Principal, webhook_id: uuid.UUID, lock: bool = False
) -> dict[str, Any]:
    row = await repository.get(session, principal, webhook_id, lock=lock)
    if row is None:
        raise NotFound(f"No webhook {webhook_id}.")
    return row


def _answer(
    row: dict[str, Any], status: int = 200, secret: str | None = None, location: str | None = None
) -> JSONResponse:
    model = to_read(row) if secret is None else WebhookWithSecret(**to_read(row).model_dump(), secret=secret)
    headers = {"ETag": etag(row["version"])} | ({"Location": location} if location else {})
    return JSONResponse(model.model_dump(mode="json"), status_code=status, headers=headers)


def _after(scope: str, cursor: str | None) -> uuid.UUID | None:
    return uuid.UUID(str(unseal(scope, cursor)["i"])) if cursor else None


@router.post(
    "",
    status_code=201,
    response_model=WebhookWithSecret,
    responses=error_responses(400, 401, 403, 408, 413, 415, 422, 503),
    dependencies=JSON_BODY,
    operation_id="create_webhook",
)
async def create_webhook(
    body: WebhookCreate, request: Request, session: SessionDep, principal: CurrentKey
) -> JSONResponse:
    """Subscribe a URL to changes; the answer carries the signing secret, shown only this once."""
    await check_url(body.url)
    values = body.model_dump(mode="json")
    values["components"] = await check_components(session, principal, values["components"])
    secret = new_secret()
    box = await repository.secret_box(session)
    row = await repository.create(session, principal, {**values, "secret_sealed": box.seal(secret)})
    await session.commit()
    return _answer(row, 201, secret, location=f"{request.url.path.rstrip('/')}/{row['id']}")


@router.get("", response_model=WebhookPage, responses=error_responses(400, 401), operation_id="list_webhooks")
async def list_webhooks(
    request: Request, session: SessionDep, principal: CurrentKey, cursor: Cursor = None, limit: Limit = 50
) -> JSONResponse:
    """Your subscriptions (an admin: everyone's), oldest first."""
    rows = await repository.list_page(session, principal, _after("webhooks", cursor), limit)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = seal("webhooks", {"i": str(rows[-1]["id"])}) if more else None
    page = WebhookPage(items=[to_read(r) for r in rows], next_cursor=next_cursor)
    return JSONResponse(page.model_dump(mode="json"), headers=link_header(request, next_cursor))


@router.get(
    "/{webhook_id}",
    response_model=WebhookRead,
    responses=error_responses(401, 404),
    operation_id="get_webhook",
)
async def get_webhook(webhook_id: WebhookId, session: SessionDep, principal: CurrentKey) -> JSONResponse:
    """One of your subscriptions, with its ETag."""
    return _answer(await _mine(session, principal, webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=WebhookRead,
    responses=error_responses(400, 401, 403, 404, 408, 412, 413, 415, 422, 503),
    dependencies=JSON_BODY,
    operation_id="update_webhook",
)
async def update_webhook(
    webhook_id: WebhookId,
    body: WebhookUpdate,
    session: SessionDep,
    principal: CurrentKey,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Change a subscription with a merge patch (If-Match optional); `active: false` pauses it."""
    current = await _mine(session, principal, webhook_id, lock=True)
    if if_match is not None:
        check_if_match(if_match, current["version"])
    values = merged(body.model_dump(mode="json", exclude_unset=True))
    if "url" in values:
        await check_url(values["url"])
    if "components" in values:
        values["components"] = await check_components(session, principal, values["components"])
    if values.get("active") is True:
        values |= {"disabled_reason": None, "failing_since": None}
    row = await repository.change(session, webhook_id, values) if values else current
    await session.commit()
    return _answer(row)


@router.delete(
    "/{webhook_id}", status_code=204, responses=error_responses(401, 404, 412), operation_id="delete_webhook"
)
async def delete_webhook(
    webhook_id: WebhookId, session: SessionDep, principal: CurrentKey, if_match: IfMatch = None
) -> Response:
    """End a subscription: nothing more is sent to it (its deliveries log is kept)."""
    current = await _mine(session, principal, webhook_id, lock=True)
    if if_match is not None:
        check_if_match(if_match, current["version"])
    await repository.change(session, webhook_id, {"deleted_at": datetime.now(UTC), "active": False})
    await session.commit()
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=WebhookWithSecret,
    responses=error_responses(401, 404),
    operation_id="rotate_webhook_secret",
)
async def rotate_secret(webhook_id: WebhookId, session: SessionDep, principal: CurrentKey) -> JSONResponse:
    """A new signing secret, shown only in this answer; the old one stops signing at once."""
    await _mine(session, principal, webhook_id, lock=True)
    secret = new_secret()
    box = await repository.secret_box(session)
    row = await repository.change(session, webhook_id, {"secret_sealed": box.seal(secret)})
    await session.commit()
    return _answer(row, secret=secret)


@router.post(
    "/{webhook_id}/ping",
    response_model=PingResult,
    responses=error_responses(401, 404),
    operation_id="ping_webhook",
)
async def ping_webhook(webhook_id: WebhookId, session: SessionDep, principal: CurrentKey) -> PingResult:
    """Send `{"type": "webhook.ping"}` now, signed, and say what the receiver answered."""
    row = await _mine(session, principal, webhook_id)
    secret = (await repository.secret_box(session)).open(row["secret_sealed"])
    body = ping_body(datetime.now(UTC))
    headers = delivery_headers([secret], message_id(uuid.uuid4()), int(datetime.now(UTC).timestamp()), body)
    result = await get_webhook_settings().sender().post(row["url"], body, headers)
    return PingResult(
        ok=result.ok, status_code=result.status_code, error=result.error, duration_ms=result.duration_ms
    )


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    responses=error_responses(400, 401, 404),
    operation_id="list_webhook_deliveries",
)
async def list_deliveries(
    webhook_id: WebhookId,
    request: Request,
    session: SessionDep,
    principal: CurrentKey,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> JSONResponse:
    """The subscription's deliveries, newest first."""
    await _mine(session, principal, webhook_id)
    rows = await repository.deliveries_page(session, webhook_id, _after("deliveries", cursor), limit)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = seal("deliveries", {"i": str(rows[-1]["id"])}) if more else None
    page = DeliveryPage(items=[DeliveryRead.model_validate(r) for r in rows], next_cursor=next_cursor)
    return JSONResponse(page.model_dump(mode="json"), headers=link_header(request, next_cursor))


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    response_model=DeliveryRead,
    responses=error_responses(401, 404, 409),
    operation_id="retry_webhook_delivery",
)
async def retry_delivery(
    webhook_id: WebhookId,
    delivery_id: DeliveryId,
    request: Request,
    session: SessionDep,
    principal: CurrentKey,
) -> DeliveryRead:
    """Send that event again now, as a new attempt, whatever its status; answers the delivery after it."""
    await _mine(session, principal, webhook_id)
    if await repository.delivery(session, webhook_id, delivery_id) is None:
        raise NotFound(f"No delivery {delivery_id} of webhook {webhook_id}.")
    sender = deliverer(request.app)
    async with sender.maker() as own:
        claimed = await queue.claim_one(own, delivery_id, sender.lease_seconds)
    if claimed is None:
        raise Conflict("That delivery is being sent right now; look at it again in a few seconds.")
    await in_own_task(sender.deliver, claimed)
    async with sender.maker() as own:
        row = await repository.delivery(own, webhook_id, delivery_id)
    assert row is not None
    return DeliveryRead.model_validate(row)
