"""/api/v1/trips: thin HTTP over the trip store."""

from __future__ import annotations

from fastapi import APIRouter

from service.records.listing import add_list
from service.records.natural_key import add_natural_key_routes
from service.records.routes import add_record_routes
from service.trips.repository import store

router = APIRouter(prefix="/trips", tags=[store.tag])
add_list(router, store)
add_record_routes(router, store)
add_natural_key_routes(router, store)
