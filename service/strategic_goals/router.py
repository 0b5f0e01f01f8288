"""/api/v1/strategic-goals: the goals activities align to (admins write)."""

from __future__ import annotations

from fastapi import APIRouter

from service.records.listing import add_list
from service.records.routes import add_record_routes
from service.strategic_goals.repository import store

router = APIRouter(prefix="/strategic-goals", tags=[store.tag])
add_list(router, store)
add_record_routes(router, store)
