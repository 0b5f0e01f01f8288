"""Helpers (no tests) for the coordination view tests: rows inserted straight into the tables through
the test's session, so each test builds a small world with known answers in a few statements.
Everything is rolled back with the test. Commit the world before requests that may fail: a failed
request rolls the shared session back to its last savepoint."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Activity, Post, Posting, Recommendation

_n = itertools.count(1)
ARCHIVED = func.now()


async def _insert(session: AsyncSession, model: Any, values: dict[str, Any]) -> uuid.UUID:
    stamped = {"created_by": "test", "updated_by": "test", **values}
    row_id = (await session.execute(insert(model).values(stamped).returning(model.id))).scalar_one()
    return uuid.UUID(str(row_id))


async def add_post(session: AsyncSession, country: str, city: str) -> uuid.UUID:
    n = next(_n)
    values = {"name": f"World Post {n}", "city": city, "country": country, "post_type": "embassy"}
    return await _insert(session, Post, values)


async def add_posting(
    session: AsyncSession,
    post_id: uuid.UUID,
    component: str,
    status: str,
    fte: str = "1",
    tour: tuple[date | None, date | None] = (None, None),
    archived: bool = False,
) -> uuid.UUID:
    values: dict[str, Any] = {
        "position_number": f"WORLD-POS-{next(_n):05d}",
        "component": component,
        "post_id": post_id,
        "position_title": "Attaché",
        "role": "component_attache",
        "employment_category": "us_direct_hire",
        "fte": Decimal(fte),
        "status": status,
        "nsdd38_status": "approved",
        "tour_start": tour[0],
        "tour_end": tour[1],
        "archived_at": ARCHIVED if archived else None,
    }
    return await _insert(session, Posting, values)


def partner(name: str, country: str, kind: str = "customs") -> dict[str, str]:
    return {"name": name, "country": country, "partner_type": kind}


async def add_activity(session: AsyncSession, lead: str, countries: list[str], **fields: Any) -> uuid.UUID:
    """A live (active) cargo_prescreening activity unless `fields` say otherwise."""
    n = next(_n)
    values: dict[str, Any] = {
        "identifier": f"WORLD-ACT-{n:05d}",
        "title": f"World activity {n}",
        "activity_type": "cargo_prescreening",
        "status": "active",
        "lead_component": lead,
        "countries": countries,
        "sensitivity": "public",
    }
    if fields.pop("archived", False):
        values["archived_at"] = ARCHIVED
    values.update(fields)
    return await _insert(session, Activity, values)


async def add_recommendation(
    session: AsyncSession, component: str, status: str, report_date: date, **fields: Any
) -> uuid.UUID:
    n = next(_n)
    values: dict[str, Any] = {
        "report_number": fields.pop("report_number", "OIG-TEST-01"),
        "report_title": "A test report",
        "report_date": report_date,
        "number": n,
        "title": f"Recommendation {n}",
        "text": "Do what the report asks.",
        "text_is_summary": False,
        "responsible_component": component,
        "concurrence": "concur",
        "status": status,
        "priority": False,
    }
    if fields.pop("archived", False):
        values["archived_at"] = ARCHIVED
    values.update(fields)
    return await _insert(session, Recommendation, values)
