"""GET /api/v1/recommendations/summary and /api/v1/strategic-goals/coverage on small known worlds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Activity, StrategicGoal
from tests.conftest import Keys
from tests.support.problems import problem
from tests.test_coordination_world import add_activity, add_recommendation

AS_OF = date(2026, 6, 30)
GOALS = [f"QHSR23-M{n}" for n in range(1, 7)]  # shipped by migration 0002


async def test_recommendation_summary(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    late = await add_recommendation(
        session,
        "CBP",
        "open_unresolved",
        date(2025, 1, 1),
        target_date=date(2026, 6, 1),
        report_number="OIG-25-01",
    )
    await add_recommendation(
        session, "CBP", "closed_implemented", date(2020, 1, 1), target_date=date(2021, 1, 1)
    )
    await add_recommendation(
        session, "ICE", "open_resolved", date(2026, 1, 1), target_date=AS_OF
    )  # due today
    await add_recommendation(session, "ICE", "open_resolved", date(2025, 6, 30))  # exactly 365 days old
    await add_recommendation(session, "ICE", "closed_not_implemented", date(2019, 1, 1))
    await add_recommendation(session, "USCG", "open_unresolved", date(2008, 6, 24), archived=True)
    oldest = await add_recommendation(
        session,
        "USCG",
        "open_unresolved",
        date(2008, 6, 24),
        target_date=date(2009, 6, 24),
        report_number="OIG-08-71",
    )

    response = await client.get(
        "/api/v1/recommendations/summary", params={"as_of": "2026-06-30"}, headers=keys["ice"]
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "by_status": {
            "open_unresolved": 2, "open_resolved": 2, "closed_implemented": 1, "closed_not_implemented": 1
        },
        "by_component": [
            {"component": "CBP", "open_unresolved": 1, "open_resolved": 0, "closed_implemented": 1,
             "closed_not_implemented": 0},
            {"component": "ICE", "open_unresolved": 0, "open_resolved": 2, "closed_implemented": 0,
             "closed_not_implemented": 1},
            {"component": "USCG", "open_unresolved": 1, "open_resolved": 0, "closed_implemented": 0,
             "closed_not_implemented": 0},
        ],
        "overdue": [
            {"id": str(oldest), "report_number": "OIG-08-71", "number": _number(response, oldest),
             "target_date": "2009-06-24", "days_overdue": (AS_OF - date(2009, 6, 24)).days},
            {"id": str(late), "report_number": "OIG-25-01", "number": _number(response, late),
             "target_date": "2026-06-01", "days_overdue": 29},
        ],
        "open_over_one_year": [
            {"id": str(oldest), "report_number": "OIG-08-71", "number": _number(response, oldest),
             "report_date": "2008-06-24", "days_open": (AS_OF - date(2008, 6, 24)).days},
            {"id": str(late), "report_number": "OIG-25-01", "number": _number(response, late),
             "report_date": "2025-01-01", "days_open": 545},
        ],
    }  # fmt: skip


async def _identifier(session: AsyncSession, activity_id: object) -> str:
    return str(await session.scalar(select(Activity.identifier).where(Activity.id == activity_id)))


def _number(response: httpx.Response, rec_id: object) -> int:
    found = {r["id"]: r["number"] for r in response.json()["overdue"]}
    return int(found[str(rec_id)])


async def test_summary_defaults_to_today_and_validates(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.get("/api/v1/recommendations/summary", headers=keys["reader"])
    assert response.status_code == 200, response.text
    assert response.json()["by_status"] == dict.fromkeys(
        ["open_unresolved", "open_resolved", "closed_implemented", "closed_not_implemented"], 0
    )
    for bad in ("yesterday", "2026-13-01"):
        problem(
            await client.get(
                "/api/v1/recommendations/summary", params={"as_of": bad}, headers=keys["reader"]
            ),
            422,
        )


async def test_goal_coverage(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    await session.execute(
        insert(StrategicGoal).values(
            code="TEST-OLD",
            framework="TEST",
            title="Retired",
            created_by="t",
            updated_by="t",
            archived_at=func.now(),
        )
    )
    usd = {"estimated_cost": Decimal("100.50"), "currency": "USD"}
    await add_activity(session, "CBP", ["MX"], strategic_goal_codes=["QHSR23-M1", "QHSR23-M2"], **usd)
    await add_activity(
        session, "ICE", ["GT"], strategic_goal_codes=["QHSR23-M2"], estimated_cost=Decimal(50), currency="EUR"
    )
    bare = await add_activity(session, "ICE", ["GT"], status="planned")
    retired_only = await add_activity(
        session, "USCG", ["NL"], status="suspended", strategic_goal_codes=["TEST-OLD"]
    )
    await add_activity(session, "CBP", ["MX"], status="completed", strategic_goal_codes=["QHSR23-M1"], **usd)
    await add_activity(session, "CBP", ["MX"], archived=True, strategic_goal_codes=["QHSR23-M1"], **usd)
    await add_activity(session, "TSA", ["MX"], strategic_goal_codes=["QHSR23-M1", "TEST-OLD"])
    await session.commit()

    response = await client.get("/api/v1/strategic-goals/coverage", headers=keys["reader"])
    assert response.status_code == 200, response.text
    counts = {"QHSR23-M1": (2, 100.5), "QHSR23-M2": (2, 100.5)}
    assert response.json() == {
        "goals": [
            {"code": code, "framework": "QHSR-2023", "activities": counts.get(code, (0, 0))[0],
             "estimated_cost": counts.get(code, (0, 0.0))[1]}
            for code in GOALS
        ],
        "unaligned": {
            "count": 2,
            "items": [
                {"id": str(a), "identifier": await _identifier(session, a)} for a in (bare, retired_only)
            ],
        },
    }  # fmt: skip
    euro = await client.get("/api/v1/strategic-goals/coverage?currency=EUR", headers=keys["reader"])
    assert [(g["code"], g["estimated_cost"]) for g in euro.json()["goals"][:2]] == [
        ("QHSR23-M1", 0.0),
        ("QHSR23-M2", 50.0),
    ]
    problem(await client.get("/api/v1/strategic-goals/coverage?currency=ABC", headers=keys["reader"]), 422)


async def test_views_are_not_taken_for_record_ids(client: httpx.AsyncClient, keys: Keys) -> None:
    """The coordination router comes first: these paths are views, not a goal code or record id."""
    for path in ("/api/v1/strategic-goals/coverage", "/api/v1/recommendations/summary"):
        response = await client.get(path, headers=keys["reader"])
        assert response.status_code == 200, (path, response.text)
