"""One country's profile: its postings, officials, activities, foreign partners and the open
recommendations tied to them. Three statements, each entering through an index on the country:

- postings: posts by ix_posts_country_id, their postings by ix_postings_post_id_id;
- activities and partners: ONE pass over the country's non-archived activities (GIN index on
  `countries`), kept in a MATERIALIZED CTE that both aggregates read;
- recommendations: the (at most a few thousand) open ones, each link checked by primary key
  (`id = ANY(activity_ids)`), never by building the country's id list (an array overlap against
  10,000 ids costs seconds).

Postings and activities count every non-archived record (by status, so nothing is hidden);
partners are those of its live activities; open recommendations are the non-archived ones in an
open status whose activity_ids or posting_ids name one of its non-archived activities or postings.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.coordination.schemas import (
    ActivityCount,
    CountryProfile,
    LinkedRecommendation,
    PartnerPresence,
    PostingCount,
)
from service.coordination.tuning import analytic
from service.errors import NotFound
from service.types import COUNTRY_CODES, country_name

POSTINGS = """
SELECT p.component, p.status, count(*) AS n,
       coalesce(sum(p.fte) FILTER (WHERE p.status = 'filled'), 0) AS fte
FROM postings AS p JOIN posts AS s ON s.id = p.post_id
WHERE s.country = :code AND p.archived_at IS NULL
GROUP BY p.component, p.status
ORDER BY p.component, p.status
"""

ACTIVITIES_AND_PARTNERS = """
WITH here AS MATERIALIZED (
    SELECT id, activity_type, status, foreign_partners FROM activities
    WHERE countries @> ARRAY[CAST(:code AS varchar)] AND archived_at IS NULL
)
SELECT 'activity' AS kind, activity_type AS a, status AS b, NULL AS c, count(*) AS n
FROM here GROUP BY activity_type, status
UNION ALL
SELECT 'partner', p ->> 'name', p ->> 'country', p ->> 'partner_type', count(DISTINCT here.id)
FROM here, jsonb_array_elements(here.foreign_partners) AS p
WHERE here.status IN ('planned', 'active', 'suspended')
GROUP BY 2, 3, 4
ORDER BY 1, 2, 3, 4
"""

OPEN_RECOMMENDATIONS = """
SELECT r.id, r.report_number, r.number, r.title, r.status, r.responsible_component, r.target_date
FROM recommendations AS r
WHERE r.archived_at IS NULL AND r.status IN ('open_unresolved', 'open_resolved')
  AND (EXISTS (SELECT 1 FROM activities AS a
               WHERE a.id = ANY(r.activity_ids) AND a.archived_at IS NULL
                 AND a.countries @> ARRAY[CAST(:code AS varchar)])
       OR EXISTS (SELECT 1 FROM postings AS p JOIN posts AS s ON s.id = p.post_id
                  WHERE p.id = ANY(r.posting_ids) AND p.archived_at IS NULL AND s.country = :code))
ORDER BY r.report_number, r.number
"""


async def _postings(session: AsyncSession, code: str) -> tuple[list[PostingCount], float]:
    rows = (await session.execute(text(POSTINGS), {"code": code})).all()
    counts = [PostingCount(component=r.component, status=r.status, count=r.n) for r in rows]
    return counts, float(sum(r.fte for r in rows))


async def _activities_and_partners(
    session: AsyncSession, code: str
) -> tuple[list[ActivityCount], list[PartnerPresence]]:
    rows = (await session.execute(text(ACTIVITIES_AND_PARTNERS), {"code": code})).all()
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


async def country_profile(session: AsyncSession, code: str) -> CountryProfile:
    """404 for a code that is not a country; an empty profile for one with nothing in it."""
    name = country_name(code) if code in COUNTRY_CODES else None
    if name is None:
        raise NotFound(f"'{code}' is not an ISO 3166-1 alpha-2 country code.")
    await analytic(session)
    postings, officials = await _postings(session, code)
    activities, partners = await _activities_and_partners(session, code)
    return CountryProfile(
        country=code,
        name=name,
        officials=officials,
        postings=postings,
        activities=activities,
        foreign_partners=partners,
        open_recommendations=await _open_recommendations(session, code),
    )
