"""Valid request bodies to start from; tests change one thing at a time."""

from __future__ import annotations

import itertools
from typing import Any

_counter = itertools.count(1)


def activity(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {
        "identifier": f"TEST-ACT-{n:05d}",
        "title": f"Test activity {n}",
        "activity_type": "cargo_prescreening",
        "status": "active",
        "lead_component": "CBP",
        "countries": ["MX"],
    }
    body.update(overrides)
    return body


def post(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {
        "name": f"Test Embassy {n}",
        "city": "Mexico City",
        "country": "MX",
        "post_type": "embassy",
    }
    body.update(overrides)
    return body


def posting(post_id: str, **overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {
        "position_number": f"TEST-POS-{n:05d}",
        "component": "CBP",
        "post_id": post_id,
        "position_title": "CBP Attaché",
        "role": "component_attache",
        "employment_category": "us_direct_hire",
        "fte": 1,
        "status": "approved",
        "nsdd38_status": "approved",
    }
    body.update(overrides)
    return body


def recommendation(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {
        "report_number": "TEST-REP-01",
        "report_title": "A test report",
        "report_date": "2020-01-15",
        "number": n % 999 + 1,  # the schema caps numbers at 999
        "title": f"Test recommendation {n}",
        "text": "Do the thing the report asks.",
        "responsible_component": "CBP",
    }
    body.update(overrides)
    return body


def trip(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {
        "reference": f"TEST-TRIP-{n:05d}",
        "component": "CBP",
        "purpose": "Port security assessment",
        "countries": ["MX"],
        "travelers": 3,
        "depart_on": "2027-03-08",
        "return_on": "2027-03-19",
        "clearance_status": "requested",
        "clearance_requested_on": "2027-01-10",
    }
    body.update(overrides)
    return body
