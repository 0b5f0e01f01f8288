"""`oia seed --demo`: a deterministic synthetic world, marked DEMO-, at the IG's size times `scale`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from service.auth import Principal
from service.cli import app as cli
from service.config import get_settings
from service.deadlines.repository import deadline_page
from service.deadlines.schemas import DeadlineKind
from service.models import Activity, AuditEntry, Post, Posting, Trip
from service.ops.seed.demo import DemoRefused, seed_demo, summarise
from service.ops.seed.demo_data import COMPONENT_WEIGHTS
from service.ops.seed.demo_world import build_world
from tests.conftest import Keys
from tests.factories import activity, post
from tests.support.database import fresh_database

OVERLAPS = text(
    """SELECT count(*) FROM activities a JOIN activities b
         ON a.id < b.id AND a.lead_component <> b.lead_component AND a.countries && b.countries
        AND coalesce(a.start_date, '-infinity') <= coalesce(b.end_date, 'infinity')
        AND coalesce(b.start_date, '-infinity') <= coalesce(a.end_date, 'infinity')
        AND a.foreign_partners @> b.foreign_partners"""
)


async def test_small_world_is_marked_audited_and_has_overlaps(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    summary = await seed_demo(session, scale=0.05)
    assert (summary.activities, summary.countries) == (250, 4)
    assert Decimal(100) <= summary.officials < Decimal(101)
    assert summary.components >= 18 and summary.overlap_twins > 0

    for column in (Activity.identifier, Posting.position_number, Post.name, Trip.reference):
        total, marked = (
            await session.execute(
                select(func.count(), func.count().filter(column.startswith("DEMO-"))).select_from(
                    column.table
                )
            )
        ).one()
        assert total == marked > 0, column
    officials = await session.scalar(select(func.sum(Posting.fte)).where(Posting.status == "filled"))
    assert officials == summary.officials
    countries = await session.scalar(
        select(func.count(func.distinct(Post.country))).join(Posting, Posting.post_id == Post.id)
    )
    assert countries == 4
    pending = await session.scalar(
        select(func.count()).where(Posting.nsdd38_status.in_(["draft", "submitted"]))
    )
    assert pending and pending > 0  # positions waiting for the Chief of Mission's NSDD-38 decision
    audits = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert audits == summary.posts + summary.postings + summary.activities + summary.trips
    assert (await session.scalar(OVERLAPS) or 0) >= summary.overlap_twins // 2

    listed = await client.get("/api/v1/activities", params={"limit": 200}, headers=keys["reader"])
    assert listed.status_code == 200 and len(listed.json()["items"]) == 200
    history = await client.get(
        f"/api/v1/activities/{listed.json()['items'][0]['id']}/history", headers=keys["reader"]
    )
    assert history.json()["items"][0]["actor"]["name"] == "demo-seed"


async def test_trips_at_a_believable_rate_and_deadlines_due(session: AsyncSession) -> None:
    summary = await seed_demo(session, scale=0.05)
    assert 150 <= summary.trips <= 300  # ~3,000 a year at scale 1: 18 months of them at 0.05
    trips = await session.scalar(select(func.count()).select_from(Trip))
    assert trips == summary.trips
    rows, _ = await deadline_page(session, Principal.system("test"), 30, [], [], None, 200)
    kinds = {(row.kind, row.days_left < 0) for row in rows}
    # Overdue and due-soon trip clearances and tours, and NSDD-38 decisions pending.
    assert {(DeadlineKind.trip_clearance, True), (DeadlineKind.trip_clearance, False)} <= kinds
    assert (DeadlineKind.tour_end, True) in kinds
    within_45 = {
        row.kind for row in (await deadline_page(session, Principal.system("t"), 45, [], [], None, 200))[0]
    }
    assert DeadlineKind.nsdd38_decision in within_45


async def test_refuses_a_registry_with_real_data_and_a_second_demo(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    await seed_demo(session, scale=0.02)
    with pytest.raises(DemoRefused) as again:
        await seed_demo(session, scale=0.02)
    assert again.value.already and "already loaded" in str(again.value)
    created = await client.post("/api/v1/activities", json=activity(), headers=keys["cbp"])
    assert created.status_code == 201
    with pytest.raises(DemoRefused) as real:
        await seed_demo(session, scale=0.02)
    assert not real.value.already and "1 activities" in str(real.value)


def test_the_world_scales_and_is_the_same_every_time() -> None:
    components = list(COMPONENT_WEIGHTS)
    full = summarise(build_world(1.0, components))
    assert (full.countries, full.cities, full.activities) == (79, 142, 5000)
    assert Decimal(2000) <= full.officials < Decimal(2001) and full.components == 21
    small, bigger = summarise(build_world(0.05, components)), summarise(build_world(0.2, components))
    assert (small.countries, bigger.countries) == (4, 16)
    assert Decimal(100) <= small.officials < 101 and Decimal(400) <= bigger.officials < 401
    assert build_world(0.05, components) == build_world(0.05, components)


@pytest.fixture
def committed_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database of its own: the CLI commits for real."""
    with fresh_database("oia_demo") as url:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            yield url
        finally:
            get_settings.cache_clear()


def test_cli_seeds_once_then_says_it_is_there(committed_database: str) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["seed", "--demo", "--scale", "0.02"])
    assert first.exit_code == 0, first.output
    assert "demo world at scale 0.02: 40" in first.output and "all marked DEMO-" in first.output
    second = runner.invoke(cli, ["seed", "--demo", "--scale", "0.02"])
    assert second.exit_code == 0 and "already loaded" in second.output
    assert runner.invoke(cli, ["seed", "--demo", "--scale", "0"]).exit_code == 2  # below the minimum


def test_cli_on_a_database_with_other_data_says_how_to_start_empty(
    committed_database: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    posts = tmp_path / "posts.ndjson"
    posts.write_text(json.dumps(post()) + "\n")
    assert runner.invoke(cli, ["import", str(posts), "--resource", "posts"]).exit_code == 0
    refused = runner.invoke(cli, ["seed", "--demo", "--scale", "0.02"])
    assert refused.exit_code == 1
    assert "not empty (1 posts that are not demo data)" in refused.output
    assert "point DATABASE_URL at a new, empty database" in refused.output  # DATABASE_URL is set here
