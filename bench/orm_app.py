"""The reference point: an idiomatic, unoptimised FastAPI + SQLAlchemy ORM app on the same tables.

What most FastAPI tutorials and templates write: an AsyncSession per request from a dependency,
`select(Model)`, ORM objects, and a pydantic `response_model` with `from_attributes`. No auth.
The one thing it does right on purpose is pool sizing (pool_size = concurrency, no overflow), so the
comparison measures the code path rather than connection churn (see shared/research/performance.md).

    DATABASE_URL=postgresql://... uv run uvicorn bench.orm_app:app --workers 2 --port 8001
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from service.db import normalize_url
from service.models import Activity


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    identifier: str
    title: str
    description: str | None
    activity_type: str
    status: str
    lead_component: str
    participating_components: list[str]
    countries: list[str]
    post_ids: list[uuid.UUID]
    foreign_partners: list[dict[str, Any]]
    strategic_goal_codes: list[str]
    start_date: date | None
    end_date: date | None
    estimated_cost: Decimal | None
    currency: str | None
    fiscal_year: int | None
    sensitivity: str
    tags: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    archived_at: datetime | None


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    next_cursor: uuid.UUID | None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine = create_async_engine(
        normalize_url(os.environ["DATABASE_URL"]),
        pool_size=int(os.environ.get("ORM_POOL_SIZE", "16")),
        max_overflow=0,
    )
    app.state.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    yield
    await engine.dispose()


app = FastAPI(title="Idiomatic ORM reference", lifespan=lifespan)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]


@app.get("/activities/{activity_id}", response_model=ActivityOut)
async def get_activity(activity_id: uuid.UUID, session: Session) -> Activity:
    """One activity by id."""
    activity = await session.get(Activity, activity_id)
    if activity is None:
        raise HTTPException(status_code=404, detail="Activity not found")
    return activity


@app.get("/activities", response_model=ActivityPage)
async def list_activities(
    session: Session,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: uuid.UUID | None = None,
    country: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """A keyset page of live activities by id, optionally filtered by country and status."""
    stmt = select(Activity).where(Activity.archived_at.is_(None)).order_by(Activity.id).limit(limit)
    if after is not None:
        stmt = stmt.where(Activity.id > after)
    if country is not None:
        stmt = stmt.where(Activity.countries.contains([country]))
    if status is not None:
        stmt = stmt.where(Activity.status == status)
    items = list((await session.scalars(stmt)).all())
    return {"items": items, "next_cursor": items[-1].id if len(items) == limit else None}


@app.get("/health")
async def health() -> dict[str, str]:
    """Liveness, for the driver's start-up wait."""
    return {"status": "ok"}
