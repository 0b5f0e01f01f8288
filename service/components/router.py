"""/api/v1/components: the reference list of DHS components (admins may add)."""

from __future__ import annotations

from fastapi import APIRouter

from service.components.repository import store
from service.records.listing import add_list
from service.records.routes import add_record_routes

router = APIRouter(prefix="/components", tags=[store.tag])
add_list(router, store)
add_record_routes(router, store)
