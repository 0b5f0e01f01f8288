"""OIG-08-71, "Management of DHS International Activities and Interests" (DHS OIG, 24 June 2008).

What the sources establish (the project's research note on OIG-08-71): press coverage (Nextgov, July
2008) reports 18 numbered recommendations, DHS concurring with 16. Nothing more per recommendation: no
copy we could read reaches the body, so no number's wording, addressee or DHS response is known. The
same coverage gives the report's themes, but they cannot be tied to numbers, so they are stored nowhere.

So each of the 18 rows holds only what is known, and says so in words no one could take for the
report's:
- `title` and `text` state that the wording is not available from the report. `text_is_summary` is
  true: the schema's flag for "not the report's own words" (false would claim they are).
- `concurrence` is `unknown`: the 16-of-18 count is known, which two DHS did not accept is not.
- `responsible_component` is PLCY as a holding value, not a finding. The column must name a component
  and the vocabulary has no "unknown" code (none is invented here). OIA sat under the Assistant
  Secretary for Policy, and PLCY (which houses OIA) is the broadest office on that line, the one the
  research calls the likely but unconfirmed addressee; each text says the addressee is not known.
- `status` starts `open_unresolved`, as every new record does.

An admin puts the official text in later through the normal API: PATCH each recommendation with
If-Match (working today), or, for all 18 at once, `POST /api/v1/recommendations/import?mode=upsert`
(being added by another issue). See docs/recommendations-seed.md.

Rows are written through service.records.sql (version 1, a `create` audit row, actor "seed"); a row whose
(report_number, number) already exists is left alone, so loading twice changes nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.recommendations.repository import RecommendationStore
from service.records import sql as records
from service.schemas.vocab import Concurrence, RecommendationStatus

REPORT_NUMBER = "OIG-08-71"
REPORT_TITLE = "Management of DHS International Activities and Interests"
REPORT_DATE = date(2008, 6, 24)

# The numbers the report made; `oia seed` counts them.
RECOMMENDATIONS: tuple[int, ...] = tuple(range(1, 19))

# A holding value (see the module docstring), not the report's addressee.
HOLDING_COMPONENT = "PLCY"

# Audit rows name who wrote them; a seed run has no API key.
SEED_ACTOR = Principal.system("seed")


def title(number: int) -> str:
    """A title that names the gap instead of guessing a subject."""
    return f"{REPORT_NUMBER} recommendation {number} (wording not available)"


def text(number: int) -> str:
    """What the registry knows about one recommendation, in the registry's words."""
    return (
        f"The wording of recommendation {number} of {REPORT_NUMBER} is not available: the copies of the "
        "report this registry could read stop before its recommendations. Known for the report as a "
        f"whole, from press coverage (Nextgov, July 2008): {len(RECOMMENDATIONS)} recommendations, DHS "
        "concurring with 16. Not known for this one: its wording, its addressee (the responsible "
        "component is a placeholder) and DHS's response. An admin should replace this text with the "
        "report's own."
    )


def seed_rows() -> list[dict[str, object]]:
    """The report's 18 recommendations as record values."""
    return [
        {
            "report_number": REPORT_NUMBER,
            "report_title": REPORT_TITLE,
            "report_date": REPORT_DATE,
            "number": number,
            "title": title(number),
            "text": text(number),
            "text_is_summary": True,
            "responsible_component": HOLDING_COMPONENT,
            "concurrence": Concurrence.unknown,
            "status": RecommendationStatus.open_unresolved,
            "priority": False,
            "corrective_action_plan": None,
            "target_date": None,
            "activity_ids": [],
            "posting_ids": [],
        }
        for number in RECOMMENDATIONS
    ]


async def load_recommendations(session: AsyncSession) -> int:
    """Add the OIG-08-71 recommendations that are missing; returns how many were added.
    The caller commits (the CLI does, in one transaction)."""
    spec = RecommendationStore.spec
    table = spec.table
    existing = set(
        (
            await session.execute(select(table.c.number).where(table.c.report_number == REPORT_NUMBER))
        ).scalars()
    )
    added = 0
    for values in seed_rows():
        if values["number"] in existing:
            continue
        await records.create(session, spec, values, SEED_ACTOR)
        added += 1
    return added
