"""The demo world's trips: U.S.-based staff travelling abroad, about 3,000 a year at scale 1, drawn
around the database's today (not the world's fixed TODAY) so that the deadlines list shows what a
real one would: a few clearances overdue (requested too late, or never), many due in the coming
weeks, most trips long since approved. Pure: no database; the same (scale, today) gives the same trips.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

from service.ops.seed.demo_data import COMPONENT_WEIGHTS
from service.ops.seed.demo_world import PREFIX, SEED, World, slug
from service.records.spec import Row

TRIPS_PER_YEAR = 3000
PAST_DAYS, FUTURE_DAYS = 365, 180  # the departures drawn: the last year and the next six months
PURPOSES = [
    "Program review",
    "Training delivery",
    "Joint assessment",
    "Technical exchange",
    "Site visit",
    "Senior leader engagement",
    "Conference delegation",
    "Case coordination",
]


class TripDrawer:
    """Draws trips from one seeded generator over the world's posts and activities."""

    def __init__(self, world: World, scale: float, today: date) -> None:
        self.rng = random.Random(f"{SEED}:{scale}:trips:{today.isoformat()}")
        self.today = today
        self.posts = [(key, row) for key, row in world.posts if row["post_type"] in ("embassy", "consulate")]
        self.by_lead: dict[str, list[tuple[uuid.UUID, Row]]] = {}
        for key, row in world.activities:
            if row["status"] in ("planned", "active"):
                self.by_lead.setdefault(row["lead_component"], []).append((key, row))
        present = {row["component"] for _, row in world.postings}
        self.components = [c for c in COMPONENT_WEIGHTS if c in present]
        self.weights = [COMPONENT_WEIGHTS[c] for c in self.components]

    def new_id(self, n: int) -> uuid.UUID:
        """A UUIDv7-shaped id (time part: a fixed day plus the trip's number)."""
        value = (1_767_312_000_000 + n) << 80 | self.rng.getrandbits(80)
        value = (value & ~(0xF << 76)) | (0x7 << 76)
        return uuid.UUID(int=(value & ~(0x3 << 62)) | (0x2 << 62))

    def clearance(self, depart: date, back: date) -> Row:
        """A status and dates that fit where the trip stands today."""
        away = (depart - self.today).days
        if back < self.today:
            choices = {"approved": 85, "not_required": 5, "cancelled": 5, "denied": 2, "requested": 2}
            choices["not_requested"] = 1  # travelled without asking: overdue for ever
        elif away > 60:
            choices = {"not_requested": 55, "requested": 30, "approved": 10, "not_required": 5}
        elif away > 30:
            choices = {"requested": 45, "approved": 30, "not_requested": 20, "not_required": 5}
        else:  # leaving within a month (or away now): most approved, a few late
            choices = {"approved": 70, "requested": 14, "not_requested": 5, "not_required": 5}
            choices |= {"denied": 3, "cancelled": 3}
        status = self.rng.choices(list(choices), list(choices.values()))[0]
        values: Row = {"clearance_status": status}
        if status not in ("not_requested", "not_required"):
            asked = min(self.today, depart - timedelta(days=self.rng.randint(12, 75)))
            values["clearance_requested_on"] = asked
            if status in ("approved", "denied", "cancelled"):
                answer = asked + timedelta(days=self.rng.randint(2, 21))
                values["clearance_decided_on"] = max(asked, min(answer, self.today))
        return values

    def trip(self, n: int) -> tuple[uuid.UUID, Row]:
        component = self.rng.choices(self.components, self.weights)[0]
        linked = self.by_lead.get(component, [])
        post_key, post = self.rng.choice(self.posts)
        activity_ids: list[uuid.UUID] = []
        purpose = f"{self.rng.choice(PURPOSES)}, {post['city']}"
        if linked and self.rng.random() < 0.6:
            key, activity = self.rng.choice(linked)
            activity_ids = [key]
            country = activity["countries"][0]
            purpose = f"{self.rng.choice(PURPOSES)}: {activity['title']}"[:500]
            in_country = [(k, p) for k, p in self.posts if p["country"] == country]
            post_key, post = self.rng.choice(in_country) if in_country else (post_key, post)
        depart = self.today + timedelta(days=self.rng.randint(-PAST_DAYS, FUTURE_DAYS))
        back = depart + timedelta(days=self.rng.choice([2, 3, 4, 5, 5, 7, 7, 10, 12, 14, 21]))
        countries = [post["country"]]
        row: Row = {
            "reference": f"{PREFIX}TRIP-{slug(component)}-{n:05d}",
            "component": component,
            "purpose": purpose,
            "countries": countries,
            "post_ids": [post_key] if self.rng.random() < 0.7 else [],
            "activity_ids": activity_ids,
            "travelers": self.rng.choices([1, 2, 3, 4, 6, 12], [30, 30, 18, 12, 7, 3])[0],
            "depart_on": depart,
            "return_on": back,
            "clearance_requested_on": None,
            "clearance_decided_on": None,
            "sensitivity": self.rng.choices(["public", "sbu", "les"], [30, 60, 10])[0],
            **self.clearance(depart, back),
        }
        return self.new_id(n), row


def add_trips(world: World, scale: float, today: date) -> None:
    """The trips of the world's components over the last year and the next six months."""
    drawer = TripDrawer(world, scale, today)
    if not drawer.components or not drawer.posts:
        return
    count = round(TRIPS_PER_YEAR * scale * (PAST_DAYS + FUTURE_DAYS) / 365)
    world.trips.extend(drawer.trip(n) for n in range(1, count + 1))
