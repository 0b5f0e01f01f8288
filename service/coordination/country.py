"""One country's profile: its postings, officials, activities, foreign partners and the open
recommendations tied to them. Three statements, each entering through an index on the country:

- postings: the country's posts by ix_posts_country_id, their postings by ix_postings_post_id_id;
- activities and partners: index-only scans of the per-country rows that migration 0004 keeps in
  step with `activities` (schema `coordination`, maintained by triggers in the writing transaction,
  so never stale): counts by type and status from ix_activity_countries_profile, partners grouped
  from ix_activity_partners_group. Reading the activities themselves (GIN on `countries`) touched
  almost every heap page for a busy country: 1.3 s for MX at 1,000,000 activities;
- recommendations: the (at most a few thousand) open ones, each activity link checked against the
  primary key of coordination.activity_countries (activity, country), index-only; posting links
  against the country's posts, collected once.

Postings and activities count every non-archived record whatever its marking (by status, so
nothing is hidden; postings through coordination.all_postings, which RLS does not filter); partners
are those of its live activities, each counted once per activity however often it lists them, and
listed only when at least one activity the caller may see names them; open recommendations are
the non-archived ones in an open status whose activity_ids or posting_ids name one of its
non-archived activities or postings.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import Principal
from service.coordination.schemas import (
    ActivityCount,
    CountryProfile,
    LinkedRecommendation,
    PartnerPresence,
    PostingCount,
)
from service.coordination.travel import country_trips
from service.coordination.tuning import analytic
from service.errors import NotFound
from service.schemas.types import COUNTRY_CODES, country_name

# The country's post ids collected first (an InitPlan): the planner then bitmap-scans the postings
# index for them (MX at 100,000 postings: 11 ms) instead of hash-joining every posting (38 ms).
POSTINGS = """
SELECT p.component, p.status, count(*) AS n,
       coalesce(sum(p.fte) FILTER (WHERE p.status = 'filled'), 0) AS fte
FROM coordination.all_postings AS p
WHERE p.post_id = ANY(ARRAY(SELECT s.id FROM posts AS s WHERE s.country = :code)) AND p.archived_at IS NULL
GROUP BY p.component, p.status
ORDER BY p.component, p.status
"""

# coordination.activity_countries holds only non-archived activities; activity_partners only live
# ones, one row per (country, partner, activity), so count(*) counts activities. Partners too long
# for the group index (fits = false; normally none) are read through their own index and merged.
ACTIVITIES_AND_PARTNERS = """
SELECT 'activity' AS kind, activity_type AS a, status AS b, NULL AS c, count(*) AS n
FROM coordination.activity_countries WHERE country = :code
GROUP BY activity_type, status
UNION ALL
SELECT 'partner', name, partner_country, partner_type, CAST(sum(n) AS bigint)
FROM (
    SELECT name, partner_country, partner_type, count(*) AS n, bool_or({seen}) AS seen
    FROM coordination.activity_partners WHERE country = :code AND fits
    GROUP BY name, partner_country, partner_type
    UNION ALL
    SELECT name, partner_country, partner_type, count(*), bool_or({seen})
    FROM coordination.activity_partners WHERE country = :code AND NOT fits
    GROUP BY name, partner_country, partner_type
) AS partners
GROUP BY 2, 3, 4
HAVING bool_or(seen)
ORDER BY 1, 2, 3, 4
""".replace("{seen}", "(sensitivity = ANY(:markings) OR lead_component = :editor)")

OPEN_RECOMMENDATIONS = """
SELECT r.id, r.report_number, r.number, r.title, r.status, r.responsible_component, r.target_date
FROM recommendations AS r
WHERE r.archived_at IS NULL AND r.status IN ('open_unresolved', 'open_resolved')
  AND (EXISTS (SELECT 1 FROM coordination.activity_countries AS a
               WHERE a.activity_id = ANY(r.activity_ids) AND a.country = :code)
       OR EXISTS (SELECT 1 FROM coordination.all_postings AS p
                  WHERE p.id = ANY(r.posting_ids) AND p.archived_at IS NULL
                    AND p.post_id = ANY(ARRAY(SELECT s.id FROM posts AS s WHERE s.country = :code))))
ORDER BY r.report_number, r.number
"""


async def _postings(session: AsyncSession, code: str) -> tuple[list[PostingCount], float]:
    rows = (await session.execute(text(POSTINGS), {"code": code})).all()
    counts = [PostingCount(component=r.component, status=r.status, count=r.n) for r in rows]
    return counts, float(sum(r.fte for r in rows))


async def _activities_and_partners(
    session: AsyncSession, code: str, principal: Principal
) -> tuple[list[ActivityCount], list[PartnerPresence]]:
    params = {"code": code, "markings": principal.markings, "editor": principal.editor_component}
    rows = (await session.execute(text(ACTIVITIES_AND_PARTNERS), params)).all()
    activities = [
        ActivityCount(activity_type=r.a, status=r.b, count=r.n) for r in rows if r.kind == "activity"
    ]
    partners = [
        PartnerPresence(name=r.a, country=r.b, partner_type=r.c, activities=r.n)
        for r in rows
        if r.kind == "partner"
    ]
    return activities, partners


async def _open_recommendations(session: AsyncSession, code: str) -> list[LinkedRecommendation]:
    rows = await session.execute(text(OPEN_RECOMMENDATIONS), {"code": code})
    return [LinkedRecommendation.model_validate(row._asdict()) for row in rows]


async def country_profile(session: AsyncSession, code: str, principal: Principal) -> CountryProfile:
    """404 for a code that is not a country; an empty profile for one with nothing in it."""
    name = country_name(code) if code in COUNTRY_CODES else None
    if name is None:
        raise NotFound(f"'{code}' is not an ISO 3166-1 alpha-2 country code.")
    await analytic(session)
    postings, officials = await _postings(session, code)
    activities, partners = await _activities_and_partners(session, code, principal)
    return CountryProfile(
        country=code,
        name=name,
        officials=officials,
        postings=postings,
        activities=activities,
        foreign_partners=partners,
        open_recommendations=await _open_recommendations(session, code),
        trips=await country_trips(session, code),
    )
