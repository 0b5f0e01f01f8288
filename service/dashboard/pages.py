"""What each page shows, built from the views' own models: headline numbers, charts and tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from service.coordination.schemas import (
    CountryProfile,
    Footprint,
    GoalCoverageView,
    OverlapPair,
    RecommendationSummary,
)
from service.schemas.types import country_name
from service.schemas.vocab import PostingStatus, RecommendationStatus

from .charts import Bar, bar_chart, number, stacked_chart
from .worldmap import legend_for, world, world_map

POSTING_STATUSES = [s.value for s in PostingStatus]
RECOMMENDATION_STATUSES = [s.value for s in RecommendationStatus]


def label(value: str) -> str:
    """An enum value as words: open_unresolved -> open, unresolved; law_enforcement_liaison -> ..."""
    if value.startswith(("open_", "closed_")):
        head, _, tail = value.partition("_")
        return f"{head}, {tail.replace('_', ' ')}"
    return value.replace("_", " ")


def country_href(code: str) -> str:
    return f"/dashboard/countries/{code}"


def name_of(code: str) -> str:
    return country_name(code) or code


@dataclass(frozen=True)
class Metric:
    key: str  # data-metric, the field of GET /api/v1/footprint it shows
    label: str
    value: float


def overview(fp: Footprint) -> dict[str, Any]:
    metrics = [
        Metric("officials", "Officials (FTE of filled postings)", fp.officials),
        Metric("components", "Components", fp.components),
        Metric("posts", "Posts", fp.posts),
        Metric("cities", "Cities", fp.cities),
        Metric("countries", "Countries", fp.countries),
    ]
    travelers = getattr(fp, "travelers_abroad", None)  # v1.1 trips: shown once the view has it
    if travelers is not None:
        metrics.append(Metric("travelers_abroad", "Travelers abroad today", travelers))
    officials = {row.country: row.officials for row in fp.by_country}
    legend = legend_for(officials)
    drawn = world().codes
    by_country = sorted(fp.by_country, key=lambda r: (-r.officials, -r.positions, r.country))
    by_component = sorted(fp.by_component, key=lambda r: (-r.officials, r.component))
    return {
        "metrics": metrics,
        "positions": [(label(s), getattr(fp.positions, s)) for s in POSTING_STATUSES],
        "map": world_map(
            officials,
            legend,
            country_href,
            lambda name, value: f"{name}: {number(value)} officials" if value else f"{name}: no officials",
            "World map of DHS officials abroad",
            "Each country is shaded by its officials (FTE of filled postings) and links to its page. "
            "The table Officials by country below lists the same numbers.",
        ),
        "legend": legend.entries(),
        "not_drawn": [r for r in by_country if r.country not in drawn and r.officials > 0],
        "by_country": [(r, name_of(r.country)) for r in by_country],
        "by_component": by_component,
        "component_chart": bar_chart(
            "chart-components",
            "Officials by component",
            "Horizontal bars, one per component, longest first; the table beside it has the numbers.",
            [Bar(r.component, r.officials) for r in by_component],
        ),
    }


def _pivot(rows: list[Any], key: str, column: str, columns: list[str]) -> list[tuple[str, list[int]]]:
    """Rows of (key, status, count) as one row per key with a count per status."""
    table: dict[str, list[int]] = defaultdict(lambda: [0] * len(columns))
    for row in rows:
        table[getattr(row, key)][columns.index(getattr(row, column))] += row.count
    return sorted(table.items(), key=lambda kv: (-sum(kv[1]), kv[0]))


def country(profile: CountryProfile) -> dict[str, Any]:
    postings = _pivot(profile.postings, "component", "status", POSTING_STATUSES)
    activity_statuses = sorted({a.status for a in profile.activities})
    activities = _pivot(profile.activities, "activity_type", "status", activity_statuses)
    return {
        "profile": profile,
        "posting_statuses": [label(s) for s in POSTING_STATUSES],
        "postings": postings,
        "postings_chart": stacked_chart(
            "chart-postings",
            f"Postings in {profile.name} by component and status",
            "One bar per component split by posting status; the table beside it has the numbers.",
            postings,
            [(s, label(s)) for s in POSTING_STATUSES],
        )
        if postings
        else None,
        "activity_statuses": [label(s) for s in activity_statuses],
        "activities": [(label(kind), counts) for kind, counts in activities],
        "activities_chart": bar_chart(
            "chart-activities",
            f"Activities in {profile.name} by type",
            "One bar per activity type, all statuses together; the table beside it has the numbers.",
            [Bar(label(kind), sum(counts)) for kind, counts in activities],
        )
        if activities
        else None,
    }


def _reason_values(kind: str, values: list[str]) -> list[str]:
    return [label(v) for v in values] if kind == "same_activity_type" else values


def overlaps(pairs: list[OverlapPair], labels: dict[Any, Any]) -> dict[str, Any]:
    rows = []
    for pair in pairs:
        first, second = (labels.get(i) for i in pair.activity_ids)
        rows.append(
            {
                "pair": pair,
                "activities": [first, second],
                "countries": [(c, name_of(c)) for c in pair.countries],
                "reasons": [(label(r.kind), _reason_values(r.kind, r.values)) for r in pair.reasons],
            }
        )
    return {"rows": rows}


def recommendations(summary: RecommendationSummary) -> dict[str, Any]:
    by_status = [(s, label(s), getattr(summary.by_status, s)) for s in RECOMMENDATION_STATUSES]
    board = []
    for status, title, total in by_status:
        components = [(c.component, getattr(c, status)) for c in summary.by_component if getattr(c, status)]
        board.append({"status": status, "title": title, "total": total, "components": components})
    rows = [(c.component, [getattr(c, s) for s in RECOMMENDATION_STATUSES]) for c in summary.by_component]
    return {
        "board": board,
        "statuses": [label(s) for s in RECOMMENDATION_STATUSES],
        "by_component": rows,
        "chart": stacked_chart(
            "chart-recommendations",
            "Recommendations by responsible component and status",
            "One bar per component split by status; the table beside it has the numbers.",
            rows,
            [(s, label(s)) for s in RECOMMENDATION_STATUSES],
        )
        if rows
        else None,
        "overdue": summary.overdue,
        "long_open": summary.open_over_one_year,
    }


def coverage(view: GoalCoverageView, currency: str) -> dict[str, Any]:
    goals = view.goals
    chart: Markup | None = None
    if goals:
        chart = bar_chart(
            "chart-coverage",
            "Live activities per strategic goal",
            "One bar per goal; an activity aligned to several goals counts under each. "
            "The table beside it has the numbers.",
            [Bar(g.code, g.activities) for g in goals],
        )
    return {"goals": goals, "chart": chart, "unaligned": view.unaligned, "currency": currency}


def deadlines(rows: list[Any], within_days: int) -> dict[str, Any]:
    """Rows soonest first, overdue ones split out so the page can say so in words, not only colour."""
    overdue = [r for r in rows if r.days_left < 0]
    return {
        "within_days": within_days,
        "overdue": overdue,
        "upcoming": [r for r in rows if r.days_left >= 0],
        "kinds": {r.kind.value: label(r.kind.value) for r in rows},
    }
