"""What a subscription may say: its URL under the policy, and an editor's components (its own only)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.errors import Forbidden, invalid
from service.webhooks import repository
from service.webhooks.schemas import WebhookRead
from service.webhooks.sending import Deliverer
from service.webhooks.settings import get_webhook_settings


async def check_url(url: str) -> None:
    """422 naming why a URL may not receive deliveries (https, public addresses, allow-list)."""
    refusal = await get_webhook_settings().url_policy().refusal(url)
    if refusal is not None:
        raise invalid(["body", "url"], refusal)


async def check_components(session: AsyncSession, principal: Principal, components: list[str]) -> list[str]:
    """The components filter to store: an editor's defaults to its own, and naming another is 403."""
    if principal.editor_component is not None:
        others = [c for c in components if c != principal.editor_component]
        if others:
            raise Forbidden(
                f"An editor for {principal.editor_component} may subscribe only to its own component, "
                f"not {others[0]}."
            )
        return [principal.editor_component]
    unknown = await repository.unknown_components(session, components)
    if unknown:
        raise invalid(["body", "components"], f"'{unknown[0]}' is not a component code")
    return list(dict.fromkeys(components))


def merged(patch: dict[str, Any]) -> dict[str, Any]:
    """A merge patch's changes: null empties a filter (all) or the description; null `url` or
    `active` changes nothing (neither has an empty value)."""
    cleared = {"resources": [], "components": [], "actions": [], "description": ""}
    values = {k: cleared[k] if v is None and k in cleared else v for k, v in patch.items()}
    return {k: v for k, v in values.items() if v is not None}


def to_read(row: dict[str, Any]) -> WebhookRead:
    return WebhookRead.model_validate({**row, "owner": row["owner_name"]})


def deliverer(app: FastAPI) -> Deliverer:
    """The app's sender of manual retries, made on first use."""
    found: Deliverer | None = getattr(app.state, "webhook_deliverer", None)
    if found is None:
        found = app.state.webhook_deliverer = Deliverer(app.state.sessionmaker, get_webhook_settings())
    return found


async def in_own_task(deliver: Any, delivery: dict[str, Any]) -> None:
    """Run an attempt in a task of its own: it switches its reader (act_as) to the subscription's
    owner, which must not leak into the request's context."""
    await asyncio.create_task(deliver(delivery))
