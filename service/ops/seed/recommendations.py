"""OIG-08-71, "Management of DHS International Activities and Interests" (DHS OIG, 24 June 2008).

The report made 18 numbered recommendations; DHS concurred with 16 of them (which two it did not
concur with is not recorded here, so every row says `concurrence: unknown`).

What is ours, not the report's:
- The text. The exact wording is not available to this project, so each `text` is a short
  paraphrase (`text_is_summary: true`) that stays within the report's published themes: a strategic
  plan for international activities; guidance on training and technical assistance abroad; a
  consistent model for DHS representation abroad (attachés vs component staff, full- vs part-time);
  preparing, training, supporting and redeploying staff abroad; coordinating component activities
  through OIA and with Chiefs of Mission. Which numbers fall under which theme is our grouping, in
  the order the report's summary names the themes, and a number beyond a theme's named elements says
  only that; check the report before citing a number. `title` is the theme.
- The addressees (`responsible_component`). Our reading, not the report's: the strategic plan and the
  representation model to PLCY (the Office of Strategy, Policy, and Plans, which houses OIA);
  guidance, staff preparation and training, and coordination to OIA; supporting and redeploying
  staff to MGMT.

Rows are written through service.records.sql (version 1, a `create` audit row, actor "seed"); a row whose
(report_number, number) already exists is left alone, so loading twice changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.recommendations.repository import RecommendationStore
from service.records import sql as records
from service.schemas.vocab import Concurrence, RecommendationStatus, Role

REPORT_NUMBER = "OIG-08-71"
REPORT_TITLE = "Management of DHS International Activities and Interests"
REPORT_DATE = date(2008, 6, 24)
NOTE = " (Our paraphrase of the report's theme, not its wording.)"

# Audit rows name who wrote them; a seed run has no API key.
SEED_ACTOR = Principal(key_id=cast(uuid.UUID, None), name="seed", role=Role.admin, component=None)

PLAN, GUIDANCE, MODEL, STAFF, COORDINATION = (
    "Strategic plan for international activities",
    "Guidance on training and technical assistance abroad",
    "A consistent model for DHS representation abroad",
    "Preparing, training, supporting and redeploying staff abroad",
    "Coordinating component activities abroad",
)

FURTHER = "A further recommendation under this theme; the report states its specific action."

# (number, theme, addressee, paraphrase). Numbers beyond the themes' named elements say so instead
# of guessing what they ask.
RECOMMENDATIONS: tuple[tuple[int, str, str, str], ...] = (
    (1, PLAN, "PLCY", "Develop a strategic plan for the department's international activities."),
    (2, PLAN, "PLCY", FURTHER),
    (3, GUIDANCE, "OIA", "Prepare guidance on the training DHS provides abroad."),
    (4, GUIDANCE, "OIA", "Prepare guidance on the technical assistance DHS provides abroad."),
    (5, MODEL, "PLCY", "Adopt a consistent model for how DHS is represented abroad."),
    (6, MODEL, "PLCY", "Decide when DHS is represented abroad by attachés and when by component staff."),
    (7, MODEL, "PLCY", "Decide when DHS representatives abroad serve full-time and when part-time."),
    (8, MODEL, "PLCY", FURTHER),
    (9, STAFF, "OIA", "Prepare DHS staff for assignments abroad."),
    (10, STAFF, "OIA", "Train DHS staff assigned abroad."),
    (11, STAFF, "MGMT", "Support DHS staff while they serve abroad."),
    (12, STAFF, "MGMT", "Plan the redeployment of DHS staff at the end of assignments abroad."),
    (13, STAFF, "MGMT", FURTHER),
    (14, STAFF, "OIA", FURTHER),
    (15, COORDINATION, "OIA", "Coordinate the components' international activities through OIA."),
    (16, COORDINATION, "OIA", "Coordinate DHS activities abroad with the Chiefs of Mission."),
    (17, COORDINATION, "OIA", FURTHER),
    (18, COORDINATION, "OIA", FURTHER),
)


def seed_rows() -> list[dict[str, object]]:
    """The report's 18 recommendations as record values."""
    return [
        {
            "report_number": REPORT_NUMBER,
            "report_title": REPORT_TITLE,
            "report_date": REPORT_DATE,
            "number": number,
            "title": theme,
            "text": text + NOTE,
            "text_is_summary": True,
            "responsible_component": addressee,
            "concurrence": Concurrence.unknown,
            "status": RecommendationStatus.open_unresolved,
            "priority": False,
            "corrective_action_plan": None,
            "target_date": None,
            "activity_ids": [],
            "posting_ids": [],
        }
        for number, theme, addressee, text in RECOMMENDATIONS
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
