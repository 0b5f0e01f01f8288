"""What the smoke test creates: one valid body per resource, in dependency order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

Body = Callable[[str, dict[str, dict[str, Any]]], dict[str, Any]]


@dataclass(frozen=True)
class Resource:
    collection: str
    singular: str
    key: str  # the path parameter and field that names one record
    body: Body  # (suffix, records made so far) -> create body
    change: str  # the text field the update changes


def _goal(s: str, _: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"code": f"SMOKE-{s}", "framework": "SMOKE", "title": f"Smoke goal {s}"}


def _post(s: str, _: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"name": f"SMOKE-{s} Embassy", "city": "Mexico City", "country": "MX", "post_type": "embassy"}


def _activity(s: str, made: dict[str, dict[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "identifier": f"SMOKE-{s}",
        "title": f"Smoke activity {s}",
        "activity_type": "information_sharing",
        "status": "active",
        "lead_component": "CBP",
        "countries": ["MX"],
    }
    if "posts" in made:
        body["post_ids"] = [made["posts"]["id"]]
    if "strategic-goals" in made:
        body["strategic_goal_codes"] = [made["strategic-goals"]["code"]]
    return body


def _posting(s: str, made: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "position_number": f"SMOKE-{s}",
        "component": "CBP",
        "post_id": made["posts"]["id"],
        "position_title": "Smoke liaison officer",
        "role": "liaison_officer",
        "employment_category": "tdy",
        "fte": 0.5,
        "activity_ids": [made["activities"]["id"]] if "activities" in made else [],
    }


def _trip(s: str, made: dict[str, dict[str, Any]]) -> dict[str, Any]:
    depart = date.today() + timedelta(days=60)
    return {
        "reference": f"SMOKE-{s}",
        "component": "CBP",
        "purpose": "Smoke test site visit",
        "countries": ["MX"],
        "post_ids": [made["posts"]["id"]] if "posts" in made else [],
        "activity_ids": [made["activities"]["id"]] if "activities" in made else [],
        "travelers": 2,
        "depart_on": str(depart),
        "return_on": str(depart + timedelta(days=3)),
        "clearance_status": "requested",
        "clearance_requested_on": str(date.today()),
        "sensitivity": "public",  # readable by any smoke key, whatever its clearance
    }


def _recommendation(s: str, made: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "report_number": f"SMOKE-{s}",
        "report_title": "Smoke test report",
        "report_date": "2024-01-15",
        "number": 1,
        "title": f"Smoke recommendation {s}",
        "text": "Check that the registry answers end to end.",
        "responsible_component": "CBP",
        "activity_ids": [made["activities"]["id"]] if "activities" in made else [],
    }


# In dependency order: later ones refer to earlier ones, and they are archived in reverse.
RESOURCES = (
    Resource("strategic-goals", "strategic goal", "code", _goal, "title"),
    Resource("posts", "post", "id", _post, "name"),
    Resource("activities", "activity", "id", _activity, "title"),
    Resource("postings", "posting", "id", _posting, "position_title"),
    Resource("trips", "trip", "id", _trip, "purpose"),
    Resource("recommendations", "recommendation", "id", _recommendation, "title"),
)
