"""Templates, and the route class that turns failures on a dashboard page into HTML, not JSON."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DBAPIError

from service.errors import ProblemError, classify_db_error

from .charts import number
from .pages import label
from .session import LOGIN_PATH, CrossSiteForm, LoginRequired, clear_session_cookie

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["number"] = number
templates.env.filters["label"] = label
templates.env.globals["nav"] = (
    ("overview", "/dashboard", "Overview"),
    ("overlaps", "/dashboard/overlaps", "Overlaps"),
    ("recommendations", "/dashboard/recommendations", "Recommendations"),
    ("deadlines", "/dashboard/deadlines", "Deadlines"),
    ("coverage", "/dashboard/coverage", "Strategic coverage"),
)


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def error_page(request: Request, status_code: int, title: str, detail: str | None) -> HTMLResponse:
    return page(request, "error.html", status_code, title=title, detail=detail, status=status_code)


def login_redirect(request: Request, exc: LoginRequired) -> RedirectResponse:
    response = RedirectResponse(f"{LOGIN_PATH}?next={quote(exc.back_to, safe='/')}", status_code=303)
    if exc.stale_cookie:
        clear_session_cookie(response, request)
    return response


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class DashboardRoute(APIRoute):
    """Sign-in redirects, 403 for cross-site forms, and problems (404, 503, ...) as HTML pages."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                return login_redirect(request, exc)
            except CrossSiteForm:
                return error_page(request, 403, "Forbidden", "This form may only be sent from this site.")
            except ProblemError as exc:
                return error_page(request, exc.status, exc.title, exc.detail)
            except DBAPIError as exc:
                problem = classify_db_error(exc)
                if problem is None:
                    raise
                response = error_page(request, problem.status, problem.title, problem.detail)
                response.headers.update(problem.headers)
                return response

        return route
