"""/api/v1/posts: embassies, consulates and other places abroad (admins write)."""

from __future__ import annotations

from fastapi import APIRouter

from service.posts.repository import store
from service.records.listing import add_list
from service.records.routes import add_record_routes

router = APIRouter(prefix="/posts", tags=[store.tag])
add_list(router, store)
add_record_routes(router, store)
