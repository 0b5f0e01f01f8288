"""/dashboard pages: thin routes over DashboardReader (the data) and pages.py (what is shown)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from service.auth import Principal
from service.db import SnapshotSessionDep
from service.errors import Unprocessable
from service.schemas.types import COUNTRY_CODES, CURRENCY_CODES, check_country

from . import idp, pages, session
from .render import DashboardRoute, error_page, page
from .views import DashboardReader

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)

SignedIn = Annotated[Principal, Depends(session.require)]
LOGIN_FORM_MAX_BYTES = 4096
NO_PROVIDER = "Sign-in through an identity provider is not configured."


def reader(db: SnapshotSessionDep, principal: SignedIn) -> DashboardReader:
    return DashboardReader(db, principal)


Reader = Annotated[DashboardReader, Depends(reader)]


@router.get("")
async def overview(request: Request, data: Reader) -> HTMLResponse:
    context = pages.overview(await data.footprint())
    return page(request, "overview.html", current="overview", principal=data.principal, **context)


@router.get("/countries/{code}")
async def country(request: Request, code: str, data: Reader) -> HTMLResponse:
    try:
        check_country(code[:20])  # the API's rule: 422, and for `mx` "use upper case: MX"
    except ValueError as exc:
        raise Unprocessable(f"{exc}.") from None
    context = pages.country(await data.country(code))
    return page(request, "country.html", current="overview", principal=data.principal, **context)


@router.get("/overlaps")
async def overlaps(
    request: Request,
    data: Reader,
    country: str = "",
    min_score: str = "0",
    include_marked: str = "",
    cursor: str | None = None,
) -> HTMLResponse:
    country = country.strip().upper()
    problems = []
    if country and country not in COUNTRY_CODES:
        problems.append(f"“{country[:20]}” is not a country code.")
    score = int(min_score) if min_score in ("0", "1", "2", "3", "4") else 0
    if min_score not in ("0", "1", "2", "3", "4", ""):
        problems.append("The minimum score is a number from 0 to 4.")
    if problems:
        cursor, country = None, ""
    countries = [country] if country else []
    flt = data.overlap_filter(countries, score, bool(include_marked))
    pairs, next_cursor, labels = await data.overlaps(flt, cursor)
    context = pages.overlaps(pairs, labels)
    return page(
        request,
        "overlaps.html",
        current="overlaps",
        principal=data.principal,
        problems=problems,
        country=country,
        min_score=score,
        include_marked=bool(include_marked),
        next_cursor=next_cursor,
        first_page=cursor is None,
        **context,
    )


@router.get("/recommendations")
async def recommendations(request: Request, data: Reader) -> HTMLResponse:
    context = pages.recommendations(await data.recommendations())
    return page(
        request, "recommendations.html", current="recommendations", principal=data.principal, **context
    )


@router.get("/deadlines")
async def deadlines(request: Request, data: Reader, within_days: int = 90) -> HTMLResponse:
    """What comes due: overdue first, then the next `within_days` days (0..3650)."""
    within_days = min(max(within_days, 0), 3650)
    context = pages.deadlines(await data.deadlines(within_days), within_days)
    return page(request, "deadlines.html", current="deadlines", principal=data.principal, **context)


@router.get("/coverage")
async def coverage(request: Request, data: Reader, currency: str = "USD") -> HTMLResponse:
    currency = currency.strip().upper()
    if currency not in CURRENCY_CODES:
        currency = "USD"
    context = pages.coverage(await data.coverage(currency), currency)
    return page(request, "coverage.html", current="coverage", principal=data.principal, **context)


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    if await session.current(request) is not None:
        return RedirectResponse(session.safe_next(next), status_code=303)
    return page(request, "login.html", next=session.safe_next(next), error=None, idp=idp.enabled(request.app))


@router.post("/login")
async def login(request: Request) -> Response:
    session.check_same_origin(request)
    body = await request.body()
    form = parse_qs(body[:LOGIN_FORM_MAX_BYTES].decode("utf-8", "replace"), max_num_fields=5)
    next_path = session.safe_next(form.get("next", [""])[0])
    signed_in = await session.sign_in(request, (form.get("key") or [""])[0])
    if signed_in is None:
        error = "That key is unknown, revoked or expired."
        return page(request, "login.html", 401, next=next_path, error=error, idp=idp.enabled(request.app))
    response = RedirectResponse(next_path, status_code=303)
    session.set_session_cookie(response, request, signed_in.key_hash or "")
    return response


@router.get("/login/idp")
async def login_at_provider(request: Request, next: str | None = None) -> Response:
    """Start signing in at the identity provider (authorization code + PKCE)."""
    if not idp.enabled(request.app):
        return error_page(request, 404, "Not Found", NO_PROVIDER)
    return await idp.start(request, session.safe_next(next), not session.is_loopback_http(request))


@router.get("/login/callback")
async def login_callback(request: Request, code: str = "", state: str = "", error: str = "") -> Response:
    """Where the identity provider sends the browser back: redeem the code, start the session."""
    if not idp.enabled(request.app):
        return error_page(request, 404, "Not Found", NO_PROVIDER)
    secure = not session.is_loopback_http(request)
    try:
        if error or not code:
            raise idp.SignInFailed("The identity provider did not sign you in; start again.")
        principal, expires, back_to = await idp.finish(request, request.app, code[:2000], state[:200])
    except idp.SignInFailed as exc:
        response: Response = error_page(request, 400, "Sign-in failed", str(exc))
    else:
        response = RedirectResponse(back_to, status_code=303)
        session.set_session_cookie(response, request, session.token_payload(principal, expires))
    idp.clear_flow(response, secure)
    return response


@router.api_route("/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    """Ends the session in this browser (GET too, so a plain link works)."""
    if request.method == "POST":
        session.check_same_origin(request)
    response = RedirectResponse(session.LOGIN_PATH, status_code=303)
    session.clear_session_cookie(response, request)
    return response


@router.get("/{rest:path}")
async def not_found(request: Request, rest: str) -> HTMLResponse:
    """Any other /dashboard path: an HTML 404 with the dashboard's headers."""
    return error_page(request, 404, "Not Found", "There is no dashboard page here.")
