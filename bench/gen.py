"""Deterministic, realistic benchmark rows, shaped like the create schemas (what an import file holds).

The shape follows what is known of DHS abroad (OIG-08-71, GAO-13-681): ~80 countries with a heavy
head (Mexico, Canada and Central America hold a large share), 18 active components with CBP and ICE
holding most of the presence, activities that overlap in time and place (so the coordination views
have real work), and partners, posts and goals that repeat within a country.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pycountry

BUSY = ["MX", "CA", "GT", "HN", "SV", "CO", "PA", "DO", "GB", "NL", "DE", "BE", "JM", "BS", "CR", "PE"]
COUNTRIES = BUSY + sorted({c.alpha_2 for c in pycountry.countries} - set(BUSY))[: 80 - len(BUSY)]
# Zipf-like: the busiest country (MX) comes first in ~10% of activities, the tail in a fraction of a percent.
COUNTRY_WEIGHTS = [1 / (rank + 2) ** 0.9 for rank in range(len(COUNTRIES))]

COMPONENTS = ["CBP", "ICE", "USCG", "TSA", "USCIS", "USSS", "FEMA", "FLETC", "S&T", "I&A", "CISA", "CWMD"]
COMPONENTS += ["OBIM", "OPS", "PLCY", "OIA", "MGMT", "OHS"]
COMPONENT_WEIGHTS = [30, 20, 12, 8, 6, 5, 2, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1]

TYPES = [
    "law_enforcement_liaison", "investigation", "cargo_prescreening", "traveler_prescreening",
    "aviation_security", "maritime_security", "critical_infrastructure", "cybersecurity",
    "training_technical_assistance", "information_sharing", "immigration_services",
    "disaster_assistance", "research_cooperation", "policy_dialogue", "other",
]  # fmt: skip
STATUSES = ["active", "planned", "suspended", "completed", "cancelled"]
STATUS_WEIGHTS = [35, 10, 5, 40, 10]
GOALS = [f"QHSR23-M{i}" for i in range(1, 7)]
_TEXT = """
border cargo container screening port aviation maritime customs liaison training cyber network
threat smuggling trafficking migration visa passenger manifest biometric intelligence sharing
agreement capacity building interdiction vessel airport inspection fraud document investigation
financial crime narcotics weapons nuclear detection infrastructure resilience disaster response
exercise partnership ministry police coast guard immigration asylum refugee exploitation victims
"""
WORDS = _TEXT.split()
PARTNERS = [
    ("Customs Authority", "customs"),
    ("National Police", "law_enforcement"),
    ("Migration Institute", "immigration"),
    ("Border Police", "border"),
    ("Civil Aviation Authority", "aviation"),
    ("Naval Command", "maritime"),
    ("Ministry of Interior", "ministry"),
    ("Port Authority", "other"),
    ("Financial Intelligence Unit", "law_enforcement"),
    ("Prosecutor General", "law_enforcement"),
]
POST_TYPES = ["embassy", "consulate", "mission", "port_of_entry", "other"]
EPOCH = date(2015, 1, 1)

Row = dict[str, Any]


def pick_country(rng: random.Random) -> str:
    return rng.choices(COUNTRIES, COUNTRY_WEIGHTS)[0]


def posts(count: int, seed: int = 1) -> Iterator[Row]:
    """Posts spread like the activities: busy countries hold several (embassy, consulates, ports)."""
    rng = random.Random(seed)
    for n in range(count):
        country = COUNTRIES[n] if n < len(COUNTRIES) else pick_country(rng)
        kind = "embassy" if n < len(COUNTRIES) else rng.choice(POST_TYPES[1:])
        yield {
            "name": f"Bench {kind.replace('_', ' ')} {country}-{n}",
            "city": f"City {country}-{n % 7}",
            "country": country,
            "post_type": kind,
        }


def _words(rng: random.Random, k: int) -> list[str]:
    return rng.sample(WORDS, k)


def _partners(rng: random.Random, country: str) -> list[Row]:
    chosen = rng.sample(PARTNERS, rng.choice([0, 1, 1, 2, 2, 3]))
    return [
        {"name": f"{name} of {country}", "country": country, "partner_type": kind} for name, kind in chosen
    ]


def activity(rng: random.Random, n: int, post_ids: dict[str, list[str]], prefix: str = "BENCH-A") -> Row:
    """One activity; `n` makes the identifier unique, `post_ids` are the live posts by country."""
    country = pick_country(rng)
    countries = [country]
    if rng.random() < 0.2 and (other := pick_country(rng)) != country:
        countries.append(other)
    lead = rng.choices(COMPONENTS, COMPONENT_WEIGHTS)[0]
    others = [c for c in rng.sample(COMPONENTS, rng.choice([0, 0, 1, 2])) if c != lead]
    start = EPOCH + timedelta(days=rng.randrange(4000))
    end = None if rng.random() < 0.2 else start + timedelta(days=rng.randrange(180, 365 * 5))
    local_posts = post_ids.get(country, [])
    costly = rng.random() < 0.7
    return {
        "identifier": f"{prefix}-{n:07d}",
        "title": f"{' '.join(_words(rng, 3)).capitalize()} programme {n}",
        "description": " ".join(_words(rng, rng.randrange(8, 20))),
        "activity_type": rng.choice(TYPES),
        "status": rng.choices(STATUSES, STATUS_WEIGHTS)[0],
        "lead_component": lead,
        "participating_components": others,
        "countries": countries,
        "post_ids": rng.sample(local_posts, min(len(local_posts), rng.choice([0, 1, 1, 2]))),
        "foreign_partners": _partners(rng, country),
        "strategic_goal_codes": rng.sample(GOALS, rng.choice([0, 1, 1, 2])),
        "start_date": start.isoformat(),
        "end_date": end.isoformat() if end else None,
        "estimated_cost": round(rng.uniform(50_000, 5_000_000), 2) if costly else None,
        "currency": "USD" if costly else None,
        "fiscal_year": start.year + 1,
        "sensitivity": rng.choices(["public", "sbu", "les"], [80, 18, 2])[0],
        "tags": _words(rng, rng.randrange(0, 4)),
    }


def activities(
    count: int, post_ids: dict[str, list[str]], seed: int = 2, prefix: str = "BENCH-A"
) -> Iterator[Row]:
    rng = random.Random(seed)
    for n in range(count):
        yield activity(rng, n, post_ids, prefix)


def posting(rng: random.Random, n: int, post_rows: list[tuple[str, str]], activity_ids: list[str]) -> Row:
    """One position abroad; `post_rows` are (post id, country), `activity_ids` a sample to link to."""
    post_id, _ = rng.choice(post_rows)
    status = rng.choices(["filled", "vacant", "approved", "proposed", "abolished"], [60, 15, 10, 10, 5])[0]
    nsdd38 = rng.choice(["approved", "approved", "not_required"]) if status == "filled" else "draft"
    start = EPOCH + timedelta(days=rng.randrange(3500))
    return {
        "position_number": f"BENCH-P-{n:06d}",
        "component": rng.choices(COMPONENTS, COMPONENT_WEIGHTS)[0],
        "post_id": post_id,
        "position_title": f"Attaché {n}",
        "role": rng.choice(["dhs_attache", "component_attache", "liaison_officer", "technical_advisor"]),
        "employment_category": rng.choices(
            ["us_direct_hire", "locally_employed", "us_contractor", "tdy"], [6, 2, 1, 1]
        )[0],
        "fte": rng.choices([1, 0.5, 0.25], [85, 10, 5])[0],
        "status": status,
        "nsdd38_status": nsdd38,
        "tour_start": start.isoformat() if status == "filled" else None,
        "tour_end": (start + timedelta(days=730)).isoformat() if status == "filled" else None,
        "annual_cost": round(rng.uniform(150_000, 450_000), 2),
        "currency": "USD",
        "activity_ids": rng.sample(activity_ids, rng.choice([0, 1, 2])) if activity_ids else [],
    }


def postings(
    count: int, post_rows: list[tuple[str, str]], activity_ids: list[str], seed: int = 3
) -> Iterator[Row]:
    rng = random.Random(seed)
    for n in range(count):
        row = posting(rng, n, post_rows, activity_ids)
        # A third of the pending requests submitted (no draw: the other rows stay as they were).
        if row["nsdd38_status"] == "draft" and n % 3 == 0:
            row["nsdd38_status"] = "submitted"
        yield row


TODAY = date(2026, 12, 1)  # the generator's "now": trips around it are pending, older ones mostly decided
TRIP_STATUSES = ["approved", "not_required", "cancelled", "denied", "requested", "not_requested"]


def _clearance(rng: random.Random, depart: date) -> Row:
    """A clearance state that fits the departure: decided long ago, or pending for the coming months."""
    pending = depart > TODAY - timedelta(days=30)
    weights = [30, 5, 5, 2, 30, 28] if pending else [82, 6, 6, 2, 3, 1]
    status = rng.choices(TRIP_STATUSES, weights)[0]
    row: Row = {"clearance_status": status, "clearance_requested_on": None, "clearance_decided_on": None}
    if status not in ("not_requested", "not_required"):
        asked = min(TODAY, depart - timedelta(days=rng.randrange(10, 80)))
        row["clearance_requested_on"] = asked.isoformat()
        if status in ("approved", "denied", "cancelled"):
            row["clearance_decided_on"] = min(TODAY, asked + timedelta(days=rng.randrange(2, 20))).isoformat()
    return row


def trip(rng: random.Random, n: int, post_rows: list[tuple[str, str]], activity_ids: list[str]) -> Row:
    """One trip abroad: a few travellers for a week or two, departures over 2015 to mid-2027."""
    post_id, country = rng.choice(post_rows)
    depart = EPOCH + timedelta(days=rng.randrange((TODAY - EPOCH).days + 200))
    return {
        "reference": f"BENCH-T-{n:06d}",
        "component": rng.choices(COMPONENTS, COMPONENT_WEIGHTS)[0],
        "purpose": f"{' '.join(_words(rng, 3)).capitalize()} visit {n}",
        "countries": [country],
        "post_ids": [post_id] if rng.random() < 0.7 else [],
        "activity_ids": rng.sample(activity_ids, rng.choice([0, 1, 1])) if activity_ids else [],
        "travelers": rng.choices([1, 2, 3, 4, 6, 12], [30, 30, 18, 12, 7, 3])[0],
        "depart_on": depart.isoformat(),
        "return_on": (depart + timedelta(days=rng.randrange(1, 21))).isoformat(),
        "sensitivity": rng.choices(["public", "sbu", "les"], [30, 60, 10])[0],
        **_clearance(rng, depart),
    }


def trips(
    count: int, post_rows: list[tuple[str, str]], activity_ids: list[str], seed: int = 5
) -> Iterator[Row]:
    rng = random.Random(seed)
    for n in range(count):
        yield trip(rng, n, post_rows, activity_ids)


def recommendations(
    count: int, activity_ids: list[str], posting_ids: list[str], seed: int = 4
) -> Iterator[Row]:
    """IG and GAO findings: reports of 15, addressed mostly to the big components."""
    rng = random.Random(seed)
    for n in range(count):
        report_date = date(2008, 6, 24) + timedelta(days=(n // 15) * 3)
        yield {
            "report_number": f"BENCH-OIG-{n // 15:04d}",
            "report_title": f"Bench report {n // 15}",
            "report_date": report_date.isoformat(),
            "number": 1 + n % 15,
            "title": f"Recommendation {n}: {' '.join(_words(rng, 4))}",
            "text": " ".join(_words(rng, 30)),
            "text_is_summary": True,
            "responsible_component": rng.choices(COMPONENTS, COMPONENT_WEIGHTS)[0],
            "concurrence": rng.choice(["concur", "concur", "concur", "non_concur", "partial"]),
            "priority": rng.random() < 0.15,
            "target_date": (report_date + timedelta(days=rng.randrange(180, 720))).isoformat(),
            "activity_ids": rng.sample(activity_ids, rng.choice([0, 1, 2])) if activity_ids else [],
            "posting_ids": rng.sample(posting_ids, rng.choice([0, 0, 1])) if posting_ids else [],
        }
