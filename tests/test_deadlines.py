"""GET /api/v1/deadlines: each kind, the window (overdue always in), filters, order, paging, clearance."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from service.auth import Principal
from service.cli import app as cli
from service.config import get_settings
from service.deadlines.repository import deadline_page
from service.models import Posting
from service.schemas.vocab import Role, Sensitivity
from tests.conftest import Keys
from tests.factories import post, posting, recommendation, trip
from tests.support.database import fresh_database
from tests.support.problems import problem

URL = "/api/v1/deadlines"


class World:
    """Records with deadlines around the database's today; `ids` by a short name."""

    def __init__(self, client: httpx.AsyncClient, keys: Keys, today: date) -> None:
        self.client, self.keys, self.today = client, keys, today
        self.ids: dict[str, str] = {}

    def day(self, offset: int) -> str:
        return str(self.today + timedelta(days=offset))

    async def make(self, name: str, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        created = await self.client.post(f"/api/v1/{collection}", json=body, headers=self.keys["admin"])
        assert created.status_code == 201, created.text
        self.ids[name] = created.json()["id"]
        return dict(created.json())

    async def listed(self, query: str = "") -> list[dict[str, Any]]:
        response = await self.client.get(f"{URL}?{query}", headers=self.keys["reader"])
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def due(self, query: str = "") -> list[tuple[str, str, int]]:
        """(kind, name, days_left) of every item listed, in order."""
        names = {v: k for k, v in self.ids.items()}
        return [(i["kind"], names.get(i["id"], i["id"]), i["days_left"]) for i in await self.listed(query)]


@pytest.fixture
async def world(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> World:
    today: date = await session.scalar(select(func.current_date()))  # type: ignore[assignment]
    w = World(client, keys, today)
    # OMB A-50: resolve within six months of the report. 2 July + 6 months = 2 January.
    await w.make(
        "rec-late",
        "recommendations",
        recommendation(report_date=w.day(-200), target_date=w.day(5), responsible_component="ICE"),
    )
    await w.make("rec-young", "recommendations", recommendation(report_date=w.day(-30)))
    resolved = await w.make(
        "rec-resolved", "recommendations", recommendation(report_date=w.day(-400), target_date=w.day(-7))
    )
    moved = await client.post(
        f"/api/v1/recommendations/{resolved['id']}/updates",
        json={"to_status": "open_resolved", "note": "plan agreed"},
        headers=keys["admin"],
    )
    assert moved.status_code == 201, moved.text
    mx = (await client.post("/api/v1/posts", json=post(), headers=keys["admin"])).json()["id"]
    await w.make(
        "tour-soon", "postings", posting(mx, status="filled", tour_start=w.day(-700), tour_end=w.day(3))
    )
    await w.make(
        "tour-over",
        "postings",
        posting(mx, status="filled", component="ICE", tour_start=w.day(-900), tour_end=w.day(-2)),
    )
    await w.make("tour-unfilled", "postings", posting(mx, status="approved", tour_end=w.day(1)))
    await w.make("nsdd38", "postings", posting(mx, status="proposed", nsdd38_status="submitted"))
    await w.make("nsdd38-draft", "postings", posting(mx, status="proposed", nsdd38_status="draft"))
    # Trips (public, so every key reads them): due CLEARANCE_LEAD_DAYS (30) before departure.
    await w.make(
        "trip-unasked",
        "trips",
        trip(
            sensitivity="public",
            depart_on=w.day(40),
            return_on=w.day(45),
            clearance_status="not_requested",
            clearance_requested_on=None,
        ),
    )
    await w.make(
        "trip-asked",
        "trips",
        trip(
            sensitivity="public",
            component="ICE",
            depart_on=w.day(20),
            return_on=w.day(22),
            clearance_requested_on=w.day(-1),
        ),
    )
    await w.make(
        "trip-far",
        "trips",
        trip(
            sensitivity="public", depart_on=w.day(400), return_on=w.day(402), clearance_requested_on=w.day(-1)
        ),
    )
    await w.make(
        "trip-approved",
        "trips",
        trip(
            sensitivity="public",
            depart_on=w.day(20),
            return_on=w.day(21),
            clearance_status="approved",
            clearance_requested_on=w.day(-5),
            clearance_decided_on=w.day(-1),
        ),
    )
    gone = await w.make(
        "trip-archived",
        "trips",
        trip(
            sensitivity="public", depart_on=w.day(20), return_on=w.day(21), clearance_requested_on=w.day(-1)
        ),
    )
    archived = await client.delete(
        f"/api/v1/trips/{gone['id']}", headers={**keys["admin"], "If-Match": '"1"'}
    )
    assert archived.status_code == 204
    return w  # fmt: skip


def a50(report: date) -> date:
    """Six calendar months later, as PostgreSQL's interval arithmetic counts them."""
    month = report.month + 6
    year, month = report.year + (month - 1) // 12, (month - 1) % 12 + 1
    for day in range(report.day, 0, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError(report)


async def test_each_kind_soonest_first_overdue_included(world: World) -> None:
    resolution = (a50(world.today - timedelta(days=200)) - world.today).days
    assert resolution < 0  # past its six months: overdue
    expected = sorted(
        [
            ("recommendation_resolution", "rec-late", resolution),
            ("trip_clearance", "trip-asked", -10),  # departs in 20 days, due 30 before
            ("recommendation_target", "rec-resolved", -7),  # open_resolved: a target, no A-50 item
            ("tour_end", "tour-over", -2),
            ("tour_end", "tour-soon", 3),
            ("recommendation_target", "rec-late", 5),
            ("trip_clearance", "trip-unasked", 10),
            ("nsdd38_decision", "nsdd38", 45),  # submitted today (the trigger's day), decision in 45
        ],
        key=lambda item: (item[2], item[0], world.ids[item[1]]),
    )
    assert await world.due() == expected
    items = await world.listed()
    first = items[0]
    assert set(first) == {"kind", "resource", "id", "label", "due_on", "days_left"}
    by_name = {(i["kind"], i["id"]): i for i in items}
    tour = by_name[("tour_end", world.ids["tour-soon"])]
    assert tour["resource"] == "postings" and tour["due_on"] == world.day(3)
    assert tour["label"].startswith("TEST-POS-") and tour["label"].endswith(": CBP Attaché")
    trip_item = by_name[("trip_clearance", world.ids["trip-unasked"])]
    assert trip_item["resource"] == "trips" and trip_item["label"].endswith(": Port security assessment")
    rec = by_name[("recommendation_target", world.ids["rec-late"])]
    assert rec["resource"] == "recommendations" and rec["label"].startswith("TEST-REP-01 #")


async def test_the_window_never_drops_overdue_items(world: World) -> None:
    overdue = [(k, n, d) for k, n, d in await world.due() if d < 0]
    assert [d for _, _, d in await world.due("within_days=0")] == [d for _, _, d in overdue]
    assert len(await world.due("within_days=5")) == len(overdue) + 2  # tour-soon (3) and rec-late (5)
    far = await world.due("within_days=3650")
    a50_young = (a50(world.today - timedelta(days=30)) - world.today).days
    assert ("recommendation_resolution", "rec-young", a50_young) in far
    assert ("trip_clearance", "trip-far", 370) in far


async def test_filters(world: World) -> None:
    ice = await world.due("component=ICE")
    assert {n for _, n, _ in ice} == {"rec-late", "tour-over", "trip-asked"}
    both = await world.due("kind=tour_end&kind=nsdd38_decision")
    assert [n for _, n, _ in both] == ["tour-over", "tour-soon", "nsdd38"]
    assert await world.due("kind=trip_clearance&component=ICE") == [("trip_clearance", "trip-asked", -10)]
    assert await world.due("component=USCG") == []


async def test_nsdd38_due_follows_the_last_move_to_submitted(
    world: World, session: AsyncSession, client: httpx.AsyncClient, keys: Keys
) -> None:
    key = uuid.UUID(world.ids["nsdd38"])
    # Submitted 50 days ago: the decision was due 5 days ago.
    await session.execute(
        update(Posting).where(Posting.id == key).values(nsdd38_submitted_on=world.today - timedelta(days=50))
    )
    assert ("nsdd38_decision", "nsdd38", -5) in await world.due("kind=nsdd38_decision")
    url, admin = f"/api/v1/postings/{key}", keys["admin"]
    # Another change is not a new submission: the clock keeps running.
    edited = await client.patch(url, json={"fte": 0.5}, headers={**admin, "If-Match": '"1"'})
    assert edited.status_code == 200
    assert await world.due("kind=nsdd38_decision") == [("nsdd38_decision", "nsdd38", -5)]
    # Withdrawn: nothing pending. Submitted again: 45 days from today.
    for version, status, expected in (
        (2, "withdrawn", []),
        (3, "submitted", [("nsdd38_decision", "nsdd38", 45)]),
    ):
        moved = await client.patch(
            url, json={"nsdd38_status": status}, headers={**admin, "If-Match": f'"{version}"'}
        )
        assert moved.status_code == 200, moved.text
        assert await world.due("kind=nsdd38_decision") == expected


async def test_trip_due_dates_follow_clearance_lead_days(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "clearance_lead_days", 10)
    assert await world.due("kind=trip_clearance") == [
        ("trip_clearance", "trip-asked", 10),
        ("trip_clearance", "trip-unasked", 30),
    ]


async def test_pages_follow_the_order_and_a_forged_cursor_is_400(world: World) -> None:
    everything = await world.listed("within_days=3650&limit=200")
    seen: list[dict[str, Any]] = []
    params: dict[str, Any] = {"within_days": 3650, "limit": 3}
    while True:
        page = await world.client.get(URL, params=params, headers=world.keys["reader"])
        assert page.status_code == 200
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            assert "link" not in page.headers
            break
        assert page.headers["link"].endswith('rel="next"') and "within_days=3650" in page.headers["link"]
        params["cursor"] = cursor
    assert seen == everything and len(everything) == 10
    for forged in ("bm9wZQ", "eyJzIjoiZGVhZGxpbmVzIn0", "eyJzIjoiaWQiLCJ2IjoxLCJpIjoxfQ"):
        problem(await world.client.get(URL, params={"cursor": forged}, headers=world.keys["reader"]), 400)


@pytest.mark.parametrize(
    "query",
    ["within_days=-1", "within_days=3651", "within_days=soon", "kind=deadline", "component=ZZZ", "limit=0"],
)
async def test_bad_parameters_are_422(client: httpx.AsyncClient, keys: Keys, query: str) -> None:
    problem(await client.get(f"{URL}?{query}", headers=keys["reader"]), 422)


async def test_a_key_is_required(client: httpx.AsyncClient) -> None:
    problem(await client.get(URL), 401)


async def test_records_above_the_callers_clearance_are_left_out(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    today: date = await session.scalar(select(func.current_date()))  # type: ignore[assignment]
    body = trip(component="ICE", sensitivity="les", depart_on=str(today + timedelta(days=35)),
                return_on=str(today + timedelta(days=36)), clearance_status="not_requested",
                clearance_requested_on=None)  # fmt: skip
    created = await client.post("/api/v1/trips", json=body, headers=keys["admin"])
    assert created.status_code == 201
    secret = uuid.UUID(created.json()["id"])

    async def sees(principal: Principal) -> bool:
        rows, _ = await deadline_page(session, principal, 90, [], [], None, 50)
        return secret in {r.id for r in rows}

    def someone(role: Role, clearance: Sensitivity, component: str | None = None) -> Principal:
        return Principal(key_id=None, name="t", role=role, component=component, clearance=clearance)

    assert not await sees(someone(Role.reader, Sensitivity.sbu))
    assert not await sees(someone(Role.editor, Sensitivity.public, "CBP"))
    assert await sees(someone(Role.editor, Sensitivity.public, "ICE"))  # owners see their own
    assert await sees(someone(Role.reader, Sensitivity.les))
    assert await sees(Principal.system("cli"))


def test_cli_prints_the_same_list_as_a_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    today = date.today()

    def day(offset: int) -> str:
        return str(today + timedelta(days=offset))

    asked = {"clearance_requested_on": day(0)}
    unasked = {"clearance_status": "not_requested", "clearance_requested_on": None}
    rows = [
        trip(reference="CLI-LATE", depart_on=day(20), return_on=day(21), **asked),
        trip(reference="CLI-SOON", component="ICE", depart_on=day(50), return_on=day(52), **unasked),
        trip(reference="CLI-FAR", depart_on=day(300), return_on=day(301), **asked),
    ]
    file = tmp_path / "trips.ndjson"
    file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    runner = CliRunner()
    with fresh_database("oia_deadl") as url:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        try:
            imported = runner.invoke(cli, ["import", str(file), "--resource", "trips"])
            assert imported.exit_code == 0, imported.output
            shown = runner.invoke(cli, ["deadlines", "--within-days", "60"])
            ice = runner.invoke(cli, ["deadlines", "--component", "ICE", "--component", "USCG"])
            unknown = runner.invoke(cli, ["deadlines", "--component", "ZZZ"])
        finally:
            get_settings.cache_clear()
    assert shown.exit_code == 0, shown.output
    header, *lines, total = shown.output.strip().splitlines()
    assert header.split() == ["DUE", "DAYS", "KIND", "COMPONENT", "ID", "LABEL"]
    assert [line.split()[:4] for line in lines] == [
        [str(today - timedelta(days=10)), "-10", "trip_clearance", "CBP"],
        [str(today + timedelta(days=20)), "20", "trip_clearance", "ICE"],
    ]
    assert lines[0].endswith("CLI-LATE: Port security assessment")
    assert total == "2 deadlines, 1 overdue"
    assert ice.exit_code == 0 and "CLI-SOON" in ice.output and "CLI-LATE" not in ice.output
    assert unknown.exit_code == 2 and "ZZZ" in unknown.output
