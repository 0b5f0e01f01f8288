"""`oia seed --recommendations`: OIG-08-71's 18 numbers load once, audited, saying plainly that their
wording is not available (no placeholder, no theme posing as a number's text); an admin replaces them."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from service.cli import app as cli
from service.models import AuditEntry, Recommendation
from service.ops.seed.recommendations import REPORT_NUMBER, load_recommendations
from tests.conftest import Keys
from tests.factories import recommendation

TABLE = Recommendation.__table__


async def test_loads_18_once(session: AsyncSession) -> None:
    assert await load_recommendations(session) == 18
    assert await load_recommendations(session) == 0
    rows = (await session.execute(select(TABLE).where(TABLE.c.report_number == REPORT_NUMBER))).all()
    assert sorted(r.number for r in rows) == list(range(1, 19))  # 18 rows, no duplicates
    for row in rows:
        assert row.report_title == "Management of DHS International Activities and Interests"
        assert row.report_date == date(2008, 6, 24)
        assert row.text_is_summary and row.concurrence == "unknown" and row.status == "open_unresolved"
        assert row.responsible_component == "PLCY"  # a holding value; the text says the addressee is unknown
        assert row.version == 1 and row.created_by == "seed" and row.closed_on is None
    audits = (
        await session.execute(
            select(AuditEntry).where(
                AuditEntry.resource == "recommendations", AuditEntry.actor_name == "seed"
            )
        )
    ).scalars()
    entries = list(audits)
    assert len(entries) == 18
    assert all(e.action == "create" and e.key_id is None and e.version == 1 for e in entries)


# The old seed's placeholder and the press themes it passed off as numbered texts.
INVENTED = ("further recommendation", "under this theme", "strategic plan", "chiefs of mission", "attach",
            "full-time", "redeploy", "technical assistance", "paraphrase")  # fmt: skip


async def test_every_text_says_its_wording_is_not_available(session: AsyncSession) -> None:
    await load_recommendations(session)
    rows = (await session.execute(select(TABLE).where(TABLE.c.report_number == REPORT_NUMBER))).all()
    assert len(rows) == 18
    for row in rows:
        assert row.title == f"OIG-08-71 recommendation {row.number} (wording not available)"
        assert f"The wording of recommendation {row.number} of OIG-08-71 is not available" in row.text
        assert "addressee" in row.text and "not known" in row.text.lower()
        words = f"{row.title} {row.text}".lower()
        assert not [invented for invented in INVENTED if invented in words], row.number
    assert len({row.text for row in rows}) == 18  # each names its own number


async def test_keeps_rows_that_exist(client: httpx.AsyncClient, keys: Keys, session: AsyncSession) -> None:
    body = recommendation(report_number=REPORT_NUMBER, number=5, title="Entered by hand")
    created = await client.post("/api/v1/recommendations", json=body, headers=keys["admin"])
    assert created.status_code == 201
    assert await load_recommendations(session) == 17
    await session.commit()
    listed = await client.get(
        f"/api/v1/recommendations?report_number={REPORT_NUMBER}&limit=50", headers=keys["reader"]
    )
    items = listed.json()["items"]
    assert len(items) == 18
    assert next(i for i in items if i["number"] == 5)["title"] == "Entered by hand"
    total = await session.scalar(
        select(func.count()).select_from(TABLE).where(TABLE.c.report_number == REPORT_NUMBER)
    )
    assert total == 18


async def test_seeded_rows_follow_the_workflow(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    await load_recommendations(session)
    await session.commit()
    listed = await client.get(
        f"/api/v1/recommendations?report_number={REPORT_NUMBER}&responsible_component=PLCY",
        headers=keys["reader"],
    )
    rec = listed.json()["items"][0]
    history = (
        await client.get(f"/api/v1/recommendations/{rec['id']}/history", headers=keys["reader"])
    ).json()
    assert history["items"][0]["actor"] == {"key_id": None, "name": "seed"}
    moved = await client.post(
        f"/api/v1/recommendations/{rec['id']}/updates",
        json={"to_status": "open_resolved"},
        headers=keys["admin"],
    )
    assert moved.status_code == 201


async def test_an_admin_replaces_a_seeded_row_with_the_official_text(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    """The path docs/recommendations-seed.md describes: GET for the ETag, then PATCH with If-Match."""
    await load_recommendations(session)
    await session.commit()
    listed = await client.get(
        f"/api/v1/recommendations?report_number={REPORT_NUMBER}&limit=50", headers=keys["reader"]
    )
    rec = next(i for i in listed.json()["items"] if i["number"] == 3)
    url = f"/api/v1/recommendations/{rec['id']}"
    etag = (await client.get(url, headers=keys["reader"])).headers["etag"]
    official = {
        "title": "Title as printed",
        "text": "The recommendation as printed in the report.",
        "text_is_summary": False,
        "responsible_component": "OIA",
        "concurrence": "concur",
    }
    stale = await client.patch(url, json=official, headers={**keys["admin"], "If-Match": '"0"'})
    assert stale.status_code == 412
    patched = await client.patch(url, json=official, headers={**keys["admin"], "If-Match": etag})
    assert patched.status_code == 200
    assert {k: patched.json()[k] for k in official} == official and patched.json()["version"] == 2
    history = (await client.get(f"{url}/history", headers=keys["reader"])).json()["items"]
    assert [h["action"] for h in history] == ["create", "update"]
    assert await load_recommendations(session) == 0  # a later seed run leaves the official text alone
    assert (await client.get(url, headers=keys["reader"])).json()["text"] == official["text"]


def test_cli_needs_a_data_set() -> None:
    runner = CliRunner()
    assert "--recommendations" in runner.invoke(cli, ["seed", "--help"]).output
    result = runner.invoke(cli, ["seed"])
    assert result.exit_code == 2
