"""The web dashboard for OIA's people: server-rendered pages over the coordination views.

`install_dashboard(app)` is all service.main needs: static files, the pages, and the security
headers on every /dashboard response. See router.py for the pages, session.py for sign-in.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .router import router
from .security import DashboardHeaders
from .settings import get_dashboard_settings
from .worldmap import world

STATIC_DIR = Path(__file__).parent / "static"


def install_dashboard(app: FastAPI) -> None:
    """Mount /dashboard/static and the pages (after every API route, so the API's matching is
    untouched), and wrap the app in the /dashboard-only header middleware."""
    get_dashboard_settings()  # a malformed DASHBOARD_SESSION_SECRET fails at start-up, not at sign-in
    world()  # read the map once now: the first overview is not slower, and it is frozen with the rest
    # Mounted before the router: its catch-all 404 would otherwise take /dashboard/static/...
    app.mount("/dashboard/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    app.include_router(router)
    app.add_middleware(DashboardHeaders)
