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
