"""Why two overlapping activities look alike: the reasons and score of a pair.

SQL finds the pairs of each score (service/coordination/overlap_sql.py); this spells out the same
four tests for the pairs on a page. Keep them in step: the same activity_type; a foreign partner
with the same name and country (exact match, partner_type ignored); a shared post; a shared
strategic goal. The score is how many of the four hold (0..4).
"""

from __future__ import annotations

from typing import Any

from service.coordination.schemas import OverlapPair, OverlapReason
from service.schemas.vocab import OverlapStatus


def _partners(raw: list[dict[str, Any]] | None) -> set[tuple[str, str]]:
    return {(p["name"], p["country"]) for p in raw or []}


def reasons(row: Any) -> list[OverlapReason]:
    """What else the pair shares, in a fixed order; each reason lists the shared values sorted."""
    found: list[OverlapReason] = []
    if row.a_type == row.b_type:
        found.append(OverlapReason(kind="same_activity_type", values=[row.a_type]))
    partners = _partners(row.a_partners) & _partners(row.b_partners)
    if partners:
        found.append(
            OverlapReason(
                kind="shared_partner", values=[f"{name} ({country})" for name, country in sorted(partners)]
            )
        )
    posts = set(row.a_posts) & set(row.b_posts)
    if posts:
        found.append(OverlapReason(kind="shared_post", values=sorted(str(p) for p in posts)))
    goals = set(row.a_goals) & set(row.b_goals)
    if goals:
        found.append(OverlapReason(kind="shared_goal", values=sorted(goals)))
    return found


def pair_item(row: Any, status: str) -> OverlapPair:
    """One listed pair: ids (lower first), the countries it shares, score, reasons and mark."""
    why = reasons(row)
    return OverlapPair(
        activity_ids=[row.a_id, row.b_id],
        countries=sorted(set(row.a_countries) & set(row.b_countries)),
        score=len(why),
        reasons=why,
        status=OverlapStatus(status),
    )
