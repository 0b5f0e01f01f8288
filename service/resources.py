"""Every record resource the API serves, in one explicit tuple (the CLI and the app read it here)."""

from __future__ import annotations

from service.activities.repository import store as activities
from service.components.repository import store as components
from service.postings.repository import store as postings
from service.posts.repository import store as posts
from service.recommendations.repository import store as recommendations
from service.records.store import RecordStore
from service.strategic_goals.repository import store as strategic_goals
from service.trips.repository import store as trips

STORES: tuple[RecordStore, ...] = (
    activities,
    postings,
    trips,
    recommendations,
    posts,
    components,
    strategic_goals,
)


def store_named(resource: str) -> RecordStore:
    """The store of a collection name (`activities`, `strategic-goals`...); ValueError if none."""
    for store in STORES:
        if store.spec.name == resource:
            return store
    names = ", ".join(sorted(s.spec.name for s in STORES))
    raise ValueError(f"unknown resource {resource!r}; choose one of: {names}")
