"""/api/v1/postings: thin HTTP over the posting store."""

from __future__ import annotations

from fastapi import APIRouter

from service.postings.repository import store
from service.records.listing import add_list
from service.records.natural_key import add_natural_key_routes
from service.records.routes import add_record_routes

router = APIRouter(prefix="/postings", tags=[store.tag])
add_list(router, store)
add_record_routes(router, store)
add_natural_key_routes(router, store)
