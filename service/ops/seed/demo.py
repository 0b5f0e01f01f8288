"""`oia seed --demo`: a synthetic world at the size the Inspector General described in 2008 (OIG-08-71):
about 2,000 officials (the FTE of filled postings) of 18+ components in 142 cities and 79 countries,
thousands of activities, overlaps to find (same country, different lead components, overlapping
dates, shared partners) and about 3,000 trips a year around today (service.ops.seed.demo_trips).
Everything is invented and marked: every identifier, position number, post name and trip reference
starts with `DEMO-`. The same scale always gives the same world (a seeded random generator, and
ids derived from it). People and activities grow with `scale`; geography grows up to scale 1.

Rows go in through the bulk import's COPY path with their audit rows, so the change feed sees them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.activities.schemas import ActivityCreate
from service.auth import Principal
from service.bulk.writer import CopyWriter
from service.models import Activity, Component, Post, Posting, Trip
from service.ops.seed.demo_trips import add_trips
from service.ops.seed.demo_world import PREFIX, World, build_world
from service.postings.schemas import PostingCreate
from service.posts.schemas import PostCreate
from service.records.sql import Row
from service.resources import store_named
from service.trips.schemas import TripCreate

Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True)
class DemoSummary:
    posts: int
    postings: int
    filled: int
    activities: int
    trips: int
    officials: Decimal
    components: int
    cities: int
    countries: int
    overlap_twins: int


class DemoRefused(Exception):
    """The database is not empty; `already` says it holds this demo world already."""

    def __init__(self, message: str, *, already: bool) -> None:
        super().__init__(message)
        self.already = already


async def refuse_unless_empty(session: AsyncSession) -> None:
    """Demo data goes only into a registry with no activities, postings or posts of its own."""
    found: dict[str, tuple[int, int]] = {}
    for label, column in (
        ("activities", Activity.identifier),
        ("postings", Posting.position_number),
        ("posts", Post.name),
        ("trips", Trip.reference),
    ):
        demo = func.count().filter(column.startswith(PREFIX, autoescape=True))
        total, demos = (await session.execute(select(func.count(), demo).select_from(column.table))).one()
        found[label] = (total - demos, demos)
    real = ", ".join(f"{n} {label}" for label, (n, _) in found.items() if n)
    if real:
        raise DemoRefused(
            f"The registry is not empty ({real} that are not demo data); --demo fills only an empty one.",
            already=False,
        )
    if found["activities"][1]:
        raise DemoRefused(
            f"Demo data is already loaded ({found['activities'][1]} DEMO- activities).", already=True
        )


SCHEMAS: list[tuple[str, Any, Any]] = [
    ("posts", PostCreate, Post.__table__),
    ("activities", ActivityCreate, Activity.__table__),
    ("postings", PostingCreate, Posting.__table__),
    ("trips", TripCreate, Trip.__table__),
]


async def seed_demo(
    session: AsyncSession, scale: float = 1.0, progress: Progress | None = None
) -> DemoSummary:
    """Fill an empty registry with the demo world (the caller commits)."""
    await refuse_unless_empty(session)
    active = (await session.execute(select(Component.code).where(Component.active))).scalars().all()
    world = build_world(scale, list(active))
    # Trips are drawn around the database's today, so the deadlines list has something due.
    add_trips(world, scale, await session.scalar(select(func.current_date())))
    actor = Principal.system("demo-seed")
    writers = []
    for name, schema, _ in SCHEMAS:
        rows: list[tuple[uuid.UUID, Row]] = getattr(world, name)
        writer = CopyWriter(store_named(name).spec, actor)
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            values = [schema.model_validate(row).model_dump() for _, row in chunk]
            await writer.write(
                session, values, list(range(start + 1, start + len(chunk) + 1)), [k for k, _ in chunk]
            )
            if progress is not None:
                progress(name, start + len(chunk), len(rows))
        writers.append(writer)
    for writer in writers:  # the audit rows last: they take the change feed's lock
        await writer.record_audit(session)
    return summarise(world)


def summarise(world: World) -> DemoSummary:
    posts = {key: row for key, row in world.posts}
    filled = [row for _, row in world.postings if row["status"] == "filled"]
    places = [posts[row["post_id"]] for row in filled]
    return DemoSummary(
        posts=len(world.posts),
        postings=len(world.postings),
        filled=len(filled),
        activities=len(world.activities),
        trips=len(world.trips),
        officials=sum((row["fte"] for row in filled), Decimal(0)),
        components=len({row["component"] for row in filled}),
        cities=len({(p["city"], p["country"]) for p in places}),
        countries=len({p["country"] for p in places}),
        overlap_twins=world.overlap_twins,
    )
