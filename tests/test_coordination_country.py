"""GET /api/v1/countries/{code}: a full profile, an empty one, and codes that are not countries (422)."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import Keys
from tests.support.problems import problem
from tests.test_coordination_world import (
    add_activity,
    add_post,
    add_posting,
    add_recommendation,
    partner,
)

REPORTED = date(2024, 3, 1)


async def test_profile_of_a_busy_country(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    city, monterrey, guatemala = (
        await add_post(session, "MX", "Mexico City"),
        await add_post(session, "MX", "Monterrey"),
        await add_post(session, "GT", "Guatemala City"),
    )
    await add_posting(session, city, "CBP", "filled", "1")
    await add_posting(session, city, "CBP", "filled", "0.5")
    vacant = await add_posting(session, monterrey, "CBP", "vacant")
    await add_posting(session, monterrey, "ICE", "filled", "1")
    abroad = await add_posting(session, guatemala, "ICE", "filled", "1")
    gone = await add_posting(session, city, "CBP", "filled", "1", archived=True)

    sat, europol = partner("SAT", "MX"), partner("Europol", "NL", "international_org")
    csi = await add_activity(session, "CBP", ["MX"], foreign_partners=[sat, europol])
    await add_activity(session, "ICE", ["MX", "GT"], status="planned", foreign_partners=[sat])
    await add_activity(
        session,
        "ICE",
        ["MX"],
        activity_type="investigation",
        status="completed",  # counted, but its partner is not: it is over
        foreign_partners=[partner("Fiscalia", "MX", "law_enforcement")],
    )
    hidden = await add_activity(session, "CBP", ["MX"], archived=True, foreign_partners=[sat])
    elsewhere = await add_activity(session, "ICE", ["GT"], foreign_partners=[sat])

    def open_rec(**links: object) -> object:
        return add_recommendation(session, "CBP", "open_unresolved", REPORTED, **links)

    first = await open_rec(activity_ids=[csi])
    await add_recommendation(session, "CBP", "closed_implemented", REPORTED, activity_ids=[csi])
    second = await add_recommendation(session, "ICE", "open_resolved", REPORTED, posting_ids=[vacant])
    await open_rec(activity_ids=[elsewhere], posting_ids=[abroad])  # Guatemala's
    await open_rec(activity_ids=[csi], archived=True)
    await open_rec(activity_ids=[hidden])  # linked only to an archived activity
    await open_rec(posting_ids=[gone])  # linked only to an archived posting
    await session.commit()

    response = await client.get("/api/v1/countries/MX", headers=keys["reader"])
    assert response.status_code == 200, response.text
    body = response.json()
    recommendations = body.pop("open_recommendations")
    assert body == {
        "country": "MX",
        "name": "Mexico",
        "officials": 2.5,
        "postings": [
            {"component": "CBP", "status": "filled", "count": 2},
            {"component": "CBP", "status": "vacant", "count": 1},
            {"component": "ICE", "status": "filled", "count": 1},
        ],
        "activities": [
            {"activity_type": "cargo_prescreening", "status": "active", "count": 1},
            {"activity_type": "cargo_prescreening", "status": "planned", "count": 1},
            {"activity_type": "investigation", "status": "completed", "count": 1},
        ],
        "foreign_partners": [
            {"name": "Europol", "country": "NL", "partner_type": "international_org", "activities": 1},
            {"name": "SAT", "country": "MX", "partner_type": "customs", "activities": 2},
        ],
        "trips": [],
    }
    assert [r["id"] for r in recommendations] == [str(first), str(second)]
    assert recommendations[1] == {
        "id": str(second),
        "report_number": "OIG-TEST-01",
        "number": recommendations[1]["number"],
        "title": recommendations[1]["title"],
        "status": "open_resolved",
        "responsible_component": "ICE",
        "target_date": None,
    }


async def test_a_real_country_with_nothing_is_an_empty_profile(client: httpx.AsyncClient, keys: Keys) -> None:
    for code, name in (("FR", "France"), ("XK", "Kosovo")):
        response = await client.get(f"/api/v1/countries/{code}", headers=keys["reader"])
        assert response.status_code == 200, response.text
        assert response.json() == {
            "country": code,
            "name": name,
            "officials": 0.0,
            "postings": [],
            "activities": [],
            "foreign_partners": [],
            "open_recommendations": [],
            "trips": [],
        }


async def test_a_code_that_is_not_a_country_is_422(client: httpx.AsyncClient, keys: Keys) -> None:
    """The same rule as every other place a country code is taken (filters, bodies)."""
    for code, says in (
        ("XX", "not an ISO 3166-1 alpha-2"),
        ("ZZ", "not an ISO 3166-1 alpha-2"),
        ("mx", "use upper case: MX"),
        ("Gt", "use upper case: GT"),
        ("MEX", "pattern"),
        ("M", "pattern"),
    ):
        body = problem(await client.get(f"/api/v1/countries/{code}", headers=keys["reader"]), 422)
        assert body["errors"][0]["loc"] == ["path", "code"] and says in body["detail"], body
    problem(await client.get("/api/v1/countries/MX"), 401)
