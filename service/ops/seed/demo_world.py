"""The demo world drawn from one seeded random generator: posts, activities and postings as
create-schema values with the ids they will have (pure: no database)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from service.ops.seed.demo_data import (
    ACTIVITY_TYPES,
    ANNUAL_COST,
    COMPONENT_WEIGHTS,
    GEOGRAPHY,
    INTERNATIONAL,
    MISSIONS,
    PARTNER_NAMES,
    PRECLEARANCE,
    ROLES,
    records,
)
from service.records.spec import Row

PREFIX = "DEMO-"
SEED = 200871  # the report's number: any constant would do
TODAY = date(2026, 1, 1)  # a fixed "now" for statuses, so the world does not change with the clock


@dataclass(frozen=True)
class City:
    name: str
    country: str
    country_name: str
    capital: bool


@dataclass
class World:
    """Create-schema values per resource, with the ids they will have."""

    posts: list[tuple[uuid.UUID, Row]] = field(default_factory=list)
    activities: list[tuple[uuid.UUID, Row]] = field(default_factory=list)
    postings: list[tuple[uuid.UUID, Row]] = field(default_factory=list)
    trips: list[tuple[uuid.UUID, Row]] = field(default_factory=list)  # service.ops.seed.demo_trips
    overlap_twins: int = 0


def geography(scale: float) -> list[City]:
    """The capitals of the first countries, then their other cities, both growing up to scale 1."""
    countries = [(code, name, cities.split(";")) for code, name, cities in records(GEOGRAPHY)]
    n_countries = max(2, min(len(countries), round(len(countries) * scale)))
    chosen = countries[:n_countries]
    capitals = [City(cities[0], code, name, True) for code, name, cities in chosen]
    others = [City(city, code, name, False) for code, name, cities in chosen for city in cities[1:]]
    n_cities = min(len(capitals) + len(others), round(sum(len(c[2]) for c in countries) * scale))
    return capitals + others[: max(0, n_cities - len(capitals))]


class Builder:
    """Draws the world from one seeded generator: the same scale always gives the same rows."""

    def __init__(self, scale: float, components: list[str]) -> None:
        self.rng = random.Random(f"{SEED}:{scale}")
        self.components = [c for c in COMPONENT_WEIGHTS if c in components]
        self.serial = 0
        self.world = World()

    def new_id(self) -> uuid.UUID:
        """A UUIDv7-shaped id from the generator (time part: a fixed day plus a counter)."""
        self.serial += 1
        value = (1_767_225_600_000 + self.serial) << 80 | self.rng.getrandbits(80)
        value = (value & ~(0xF << 76)) | (0x7 << 76)
        return uuid.UUID(int=(value & ~(0x3 << 62)) | (0x2 << 62))

    def day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    def posts(self, cities: list[City]) -> dict[str, uuid.UUID]:
        """One embassy or consulate per city, plus preclearance ports and missions; city -> main post."""
        main: dict[str, uuid.UUID] = {}
        for city in cities:
            kind = "Embassy" if city.capital else "Consulate General"
            main[city.name] = self._post(
                f"U.S. {kind} {city.name}", city, "embassy" if city.capital else "consulate"
            )
            if city.name in PRECLEARANCE:
                self._post(f"CBP Preclearance {city.name}", city, "port_of_entry")
            if city.name in MISSIONS:
                self._post(f"U.S. Mission to {MISSIONS[city.name]}, {city.name}", city, "mission")
        return main

    def _post(self, name: str, city: City, post_type: str) -> uuid.UUID:
        key = self.new_id()
        row = {"name": PREFIX + name, "city": city.name, "country": city.country, "post_type": post_type}
        self.world.posts.append((key, row))
        return key

    def partner(self, city: City, partner_type: str) -> dict[str, str]:
        if partner_type == "international_org":
            name, country = self.rng.choice(INTERNATIONAL)
            return {"name": name, "country": country, "partner_type": partner_type}
        name = PARTNER_NAMES[partner_type].format(name=city.country_name)
        return {"name": name, "country": city.country, "partner_type": partner_type}

    def activity(
        self, city: City, kind: str, lead: str, start: date, partner: dict[str, str], post: uuid.UUID
    ) -> Row:
        spec = ACTIVITY_TYPES[kind]
        n = len(self.world.activities) + 1
        end = None if self.rng.random() < 0.25 else start + timedelta(days=self.rng.randrange(365, 6 * 365))
        status = "planned" if start > TODAY else "completed" if end and end < TODAY else "active"
        if status != "completed" and self.rng.random() < 0.06:
            status = self.rng.choice(["suspended", "cancelled"])
        title = self.rng.choice(spec.titles).format(
            city=city.name, country=city.country_name, partner=partner["name"]
        )
        cost = Decimal(self.rng.randrange(50, 8000) * 1000) if self.rng.random() < 0.7 else None
        participating = [
            c for c in spec.leads if c != lead and c in self.components and self.rng.random() < 0.2
        ]
        return {
            "identifier": f"{PREFIX}{slug(lead)}-{n:05d}",
            "title": title,
            "description": f"Synthetic demo record (oia seed --demo): {title}.",
            "activity_type": kind,
            "status": status,
            "lead_component": lead,
            "participating_components": participating,
            "countries": [city.country],
            "post_ids": [post] if self.rng.random() < 0.8 else [],
            "foreign_partners": [partner],
            "strategic_goal_codes": spec.goals[: self.rng.randint(1, max(1, len(spec.goals)))],
            "start_date": start,
            "end_date": end,
            "estimated_cost": cost,
            "currency": "USD" if cost else None,
            "fiscal_year": start.year + (start.month >= 10) if cost else None,
            "sensitivity": self.rng.choices(["public", "sbu", "les"], [70, 25, 5])[0],
            "tags": ["demo", kind.split("_")[0]],
        }

    def activities(self, count: int, cities: list[City], main_post: dict[str, uuid.UUID]) -> None:
        """`count` activities; about one in six is the twin of an earlier one: same country, type,
        partner and post, overlapping dates, another lead component - an overlap for OIA to find."""
        kinds = list(ACTIVITY_TYPES)
        weights = [ACTIVITY_TYPES[k].weight for k in kinds]
        placed: list[tuple[City, str, Row]] = []
        while len(self.world.activities) < count:
            if placed and self.rng.random() < 0.16:
                city, kind, base = self.rng.choice(placed)
                leads = [
                    c
                    for c in ACTIVITY_TYPES[kind].leads
                    if c != base["lead_component"] and c in self.components
                ]
                if leads:
                    start = base["start_date"] + timedelta(days=self.rng.randrange(0, 300))
                    post = base["post_ids"][0] if base["post_ids"] else main_post[city.name]
                    row = self.activity(
                        city, kind, self.rng.choice(leads), start, base["foreign_partners"][0], post
                    )
                    self.world.activities.append((self.new_id(), row))
                    self.world.overlap_twins += 1
                    continue
            city = self.rng.choice(cities)
            kind = self.rng.choices(kinds, weights)[0]
            leads = [c for c in ACTIVITY_TYPES[kind].leads if c in self.components] or ["OIA"]
            partner = self.partner(city, self.rng.choice(ACTIVITY_TYPES[kind].partner_types))
            start = self.day(date(2012, 1, 1), date(2026, 9, 30))
            row = self.activity(city, kind, self.rng.choice(leads), start, partner, main_post[city.name])
            self.world.activities.append((self.new_id(), row))
            placed.append((city, kind, row))

    def postings(self, officials: Decimal, cities: list[City], main_post: dict[str, uuid.UUID]) -> None:
        """Filled positions until their FTE reaches `officials` (every city and component gets one
        first), then the other statuses: vacant, approved, proposed with NSDD-38 pending, abolished."""
        by_lead: dict[tuple[str, str], list[uuid.UUID]] = {}
        for key, row in self.world.activities:
            by_lead.setdefault((row["lead_component"], row["countries"][0]), []).append(key)
        weights = [COMPONENT_WEIGHTS[c] for c in self.components]
        city_weights = [3.0 if c.capital else 1.0 for c in cities]
        filled = Decimal(0)
        seeded = [(c, None) for c in self.components] + [(None, city) for city in cities]
        while filled < officials or seeded:
            component, city = seeded.pop(0) if seeded else (None, None)
            component = component or self.rng.choices(self.components, weights)[0]
            city = city or self.rng.choices(cities, city_weights)[0]
            row = self.posting(component, city, main_post[city.name], "filled")
            links = by_lead.get((component, city.country), [])
            if links and self.rng.random() < 0.6:
                row["activity_ids"] = [self.rng.choice(links)]
            filled += row["fte"]
        for _ in range(round(len(self.world.postings) * 0.28)):
            status = self.rng.choices(["vacant", "approved", "proposed", "abolished"], [35, 20, 30, 15])[0]
            city = self.rng.choices(cities, city_weights)[0]
            self.posting(self.rng.choices(self.components, weights)[0], city, main_post[city.name], status)

    def posting(self, component: str, city: City, post: uuid.UUID, status: str) -> Row:
        category = self.rng.choices(
            ["us_direct_hire", "locally_employed", "us_contractor", "tdy"], [75, 15, 5, 5]
        )[0]
        fte = Decimal("0.5") if self.rng.random() < 0.08 else Decimal(1)
        if category == "tdy":
            fte = self.rng.choice([Decimal("0.25"), Decimal("0.5")])
        pending = status == "proposed"
        nsdd38 = self.rng.choice(["draft", "submitted"]) if pending else "approved"
        if category in ("locally_employed", "us_contractor") and not pending:
            nsdd38 = "not_required"
        start = None if pending else self.day(date(2021, 6, 1), date(2025, 9, 1))
        role = "dhs_attache" if component == "OIA" else self.rng.choice(ROLES)
        row: Row = {
            "position_number": f"{PREFIX}{slug(component)}-{city.country}-{len(self.world.postings) + 1:05d}",
            "component": component,
            "post_id": post,
            "role": role,
            "employment_category": category,
            "position_title": f"{component} {role.replace('_', ' ').title().replace('Dhs', 'DHS')}",
            "fte": fte,
            "status": status,
            "nsdd38_status": nsdd38,
            "nsdd38_decided_on": start - timedelta(days=90) if start and nsdd38 == "approved" else None,
            "tour_start": start,
            "tour_end": start + timedelta(days=365 * self.rng.choice([2, 3])) if start else None,
            "annual_cost": Decimal(round(ANNUAL_COST[category] * self.rng.uniform(0.75, 1.25), -3)),
            "currency": "USD",
        }
        self.world.postings.append((self.new_id(), row))
        return row


def slug(component: str) -> str:
    return "".join(ch for ch in component if ch.isalnum())


def build_world(scale: float, components: list[str]) -> World:
    """The whole demo world as create-schema values (pure: no database)."""
    builder = Builder(scale, components)
    cities = geography(scale)
    main_post = builder.posts(cities)
    builder.activities(max(1, round(5000 * scale)), cities, main_post)
    builder.postings(Decimal(2000 * scale).quantize(Decimal(1)), cities, main_post)
    return builder.world
