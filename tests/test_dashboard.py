"""The dashboard over HTTP (in-process): sign-in and its cookie, revocation, cross-site forms, the
security headers, and each page's numbers against the JSON view they come from."""

from __future__ import annotations

import json
import re
import time
from datetime import date, timedelta
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession

from service.dashboard import session as dashboard_session
from service.dashboard.settings import session_secret
from service.dashboard.worldmap import ASSET, world
from service.ops.keys import revoke_key
from service.schemas.types import COUNTRY_CODES
from tests.conftest import Keys
from tests.test_coordination_world import add_activity, add_post, add_posting, add_recommendation, partner

PAGES = [
    "/dashboard",
    "/dashboard/countries/MX",
    "/dashboard/overlaps",
    "/dashboard/recommendations",
    "/dashboard/deadlines",
    "/dashboard/coverage",
]
COOKIE = dashboard_session.COOKIE


def key_of(keys: Keys, label: str) -> str:
    return keys[label]["Authorization"].removeprefix("Bearer ")


def set_cookie(response: httpx.Response) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


async def sign_in(client: httpx.AsyncClient, key: str, **headers: str) -> dict[str, str]:
    """The Cookie header of a new session (sent by hand: httpx keeps Secure cookies off http)."""
    response = await client.post("/dashboard/login", data={"key": key}, headers=headers)
    assert response.status_code == 303, response.text
    return {"Cookie": f"{COOKIE}={set_cookie(response)[COOKIE].value}"}


def metrics(html: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r'data-metric="([a-z_]+)" data-value="([0-9.]+)"', html)}


def check_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    assert response.headers["referrer-policy"] == "same-origin"


@pytest.fixture
async def world_data(session: AsyncSession) -> None:
    city, hague = await add_post(session, "MX", "Mexico City"), await add_post(session, "NL", "The Hague")
    singapore = await add_post(session, "SG", "Singapore")
    await add_posting(session, city, "CBP", "filled", "1")
    await add_posting(session, city, "ICE", "filled", "0.5")
    await add_posting(session, city, "ICE", "vacant")
    await add_posting(session, hague, "CBP", "filled", "0.75")
    await add_posting(session, singapore, "TSA", "filled", "1")
    shared = [partner("Aduanas", "MX")]
    await add_activity(session, "CBP", ["MX"], foreign_partners=shared, strategic_goal_codes=["QHSR23-M1"])
    await add_activity(session, "ICE", ["MX"], foreign_partners=shared)
    today = date.today()
    await add_recommendation(
        session, "CBP", "open_unresolved", today - timedelta(days=400), target_date=today - timedelta(days=10)
    )
    await add_recommendation(session, "ICE", "closed_implemented", today - timedelta(days=30))
    await session.commit()


async def test_every_page_redirects_to_sign_in_when_signed_out(client: httpx.AsyncClient) -> None:
    for path in PAGES:
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/dashboard/login?next={path}"
        check_headers(response)
    response = await client.get("/dashboard/overlaps?country=MX&min_score=1")
    assert (
        response.headers["location"]
        == "/dashboard/login?next=/dashboard/overlaps%3Fcountry%3DMX%26min_score%3D1"
    )


async def test_sign_in_sets_a_strict_http_only_cookie_without_the_key(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    form = await client.get("/dashboard/login")
    assert form.status_code == 200 and 'name="key"' in form.text
    key = key_of(keys, "reader")
    response = await client.post("/dashboard/login", data={"key": key, "next": "/dashboard/coverage"})
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/coverage"
    cookie = set_cookie(response)[COOKIE]
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict" and cookie["secure"]
    assert cookie["path"] == "/dashboard" and cookie["max-age"] == str(8 * 3600)
    # Neither the key nor anything it could be rebuilt from: the payload is the key's hash.
    assert key not in cookie.value and key.removeprefix("oia_") not in cookie.value
    payload = URLSafeTimedSerializer(session_secret(), salt=dashboard_session.SALT).loads(cookie.value)
    assert set(payload) == {"k"} and payload["k"] != key and len(payload["k"]) == 64


@pytest.mark.parametrize(
    ("base_url", "secure"),
    [("http://127.0.0.1:8000", False), ("http://localhost:8000", False), ("https://oia.example", True)],
)
async def test_secure_is_left_off_only_on_plain_http_loopback(
    app: Any, keys: Keys, base_url: str, secure: bool
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as local:
        response = await local.post("/dashboard/login", data={"key": key_of(keys, "reader")})
    assert bool(set_cookie(response)[COOKIE]["secure"]) is secure


async def test_a_wrong_key_is_refused_with_the_form_again(client: httpx.AsyncClient, keys: Keys) -> None:
    for key in ("oia_not-a-real-key", "nonsense", ""):
        response = await client.post("/dashboard/login", data={"key": key})
        assert response.status_code == 401
        assert "unknown, revoked or expired" in response.text and 'name="key"' in response.text
        assert COOKIE not in response.headers.get("set-cookie", "")
        check_headers(response)


async def test_the_session_carries_the_keys_principal(client: httpx.AsyncClient, keys: Keys) -> None:
    cookie = await sign_in(client, key_of(keys, "cbp"))
    response = await client.get("/dashboard", headers=cookie)
    assert response.status_code == 200
    assert "test-cbp" in response.text and "(editor, CBP)" in response.text
    assert response.headers["cache-control"] == "no-store"


async def test_revoking_the_key_ends_its_sessions(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    cookie = await sign_in(client, key_of(keys, "reader"))
    assert (await client.get("/dashboard", headers=cookie)).status_code == 200
    assert await revoke_key(session, keys.ids["reader"])
    await session.commit()
    response = await client.get("/dashboard", headers=cookie)
    assert response.status_code == 303 and response.headers["location"].startswith("/dashboard/login")
    assert set_cookie(response)[COOKIE]["max-age"] == "0"  # the stale cookie is dropped


class _NineHoursAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 9 * 3600


async def test_altered_foreign_and_expired_cookies_are_refused(client: httpx.AsyncClient, keys: Keys) -> None:
    good = (await sign_in(client, key_of(keys, "admin")))["Cookie"]
    payload = URLSafeTimedSerializer(session_secret(), salt=dashboard_session.SALT).loads(
        good.split("=", 1)[1]
    )
    expired = URLSafeTimedSerializer(session_secret(), salt=dashboard_session.SALT, signer=_NineHoursAgo)
    foreign = URLSafeTimedSerializer(b"another secret entirely, 32 bytes", salt=dashboard_session.SALT)
    for value in (
        good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        expired.dumps(payload),
        foreign.dumps(payload),
        URLSafeTimedSerializer(session_secret(), salt=dashboard_session.SALT).dumps({"k": "0" * 64}),
        "",
    ):
        cookie = value if value.startswith(f"{COOKIE}=") else f"{COOKIE}={value}"
        response = await client.get("/dashboard", headers={"Cookie": cookie})
        assert response.status_code == 303, value


async def test_form_posts_from_another_site_are_forbidden(client: httpx.AsyncClient, keys: Keys) -> None:
    key = key_of(keys, "admin")
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://test.evil.example"},
        {"Origin": "http://test", "Sec-Fetch-Site": "cross-site"},
    ):
        for path in ("/dashboard/login", "/dashboard/logout"):
            response = await client.post(path, data={"key": key}, headers=headers)
            assert response.status_code == 403, (path, headers)
            assert "set-cookie" not in response.headers
            assert response.headers["content-type"].startswith("text/html")
            check_headers(response)
    # This site's own form (and a client that sends no Origin at all) gets through.
    assert (await sign_in(client, key, Origin="http://test", **{"Sec-Fetch-Site": "same-origin"})) is not None
    assert (await client.post("/dashboard/login", data={"key": key})).status_code == 303


async def test_sign_out_deletes_the_cookie(client: httpx.AsyncClient, keys: Keys) -> None:
    cookie = await sign_in(client, key_of(keys, "admin"))
    for method in ("POST", "GET"):
        response = await client.request(
            method, "/dashboard/logout", headers={**cookie, "Origin": "http://test"}
        )
        assert response.status_code == 303 and response.headers["location"] == "/dashboard/login"
        assert set_cookie(response)[COOKIE]["max-age"] == "0"


async def test_after_sign_in_it_goes_only_to_a_dashboard_page(client: httpx.AsyncClient, keys: Keys) -> None:
    key = key_of(keys, "admin")
    for wanted, lands in (
        ("/dashboard/countries/MX", "/dashboard/countries/MX"),
        ("/dashboard/overlaps?country=MX", "/dashboard/overlaps?country=MX"),
        ("//evil.example/dashboard", "/dashboard"),
        ("https://evil.example/dashboard", "/dashboard"),
        ("/dashboardevil", "/dashboard"),
        ("/dashboard\\@evil.example", "/dashboard"),
        ("/api/v1/footprint", "/dashboard"),
    ):
        response = await client.post("/dashboard/login", data={"key": key, "next": wanted})
        assert response.headers["location"] == lands, wanted


async def test_security_headers_on_every_dashboard_response(client: httpx.AsyncClient, keys: Keys) -> None:
    cookie = await sign_in(client, key_of(keys, "admin"))
    responses = [await client.get(path, headers=cookie) for path in PAGES]
    responses += [
        await client.get("/dashboard/login"),
        await client.get("/dashboard/static/dashboard.css"),
        await client.get("/dashboard/static/dashboard.js"),
        await client.get("/dashboard/no-such-page", headers=cookie),
        await client.get("/dashboard/countries/ZZ", headers=cookie),
    ]
    for response in responses:
        check_headers(response)
    assert [r.status_code for r in responses] == [200] * 9 + [404, 422]
    assert "<h1>Not Found</h1>" in responses[-2].text  # HTML pages, not problem+json
    assert "<h1>Unprocessable Content</h1>" in responses[-1].text
    # The API is untouched: no dashboard policy on it.
    api = await client.get("/api/v1/footprint", headers=keys["admin"])
    assert "content-security-policy" not in api.headers


async def test_no_page_uses_inline_script_or_style(client: httpx.AsyncClient, keys: Keys) -> None:
    cookie = await sign_in(client, key_of(keys, "admin"))
    for path, headers in [*((p, cookie) for p in PAGES), ("/dashboard/login", {})]:
        html = (await client.get(path, headers=headers)).text
        assert " style=" not in html and "<style" not in html, path
        assert re.findall(r"<script[^>]*>", html) == ['<script src="/dashboard/static/dashboard.js" defer>']
        assert not re.search(r"""(src|href|action)=["']?(https?:)?//""", html), path  # nothing off-site


@pytest.mark.usefixtures("world_data")
async def test_overview_numbers_are_the_footprint_views(client: httpx.AsyncClient, keys: Keys) -> None:
    cookie = await sign_in(client, key_of(keys, "reader"))
    html = (await client.get("/dashboard", headers=cookie)).text
    footprint = (await client.get("/api/v1/footprint", headers=keys["reader"])).json()
    shown = metrics(html)
    shown_keys = ("officials", "travelers_abroad", "components", "posts", "cities", "countries")
    assert shown == {k: footprint[k] for k in shown_keys}
    assert shown["officials"] == 3.25
    for row in footprint["by_component"]:
        assert re.search(
            rf'<th scope="row">{row["component"]}</th>\s*<td class="num" data-value="{row["officials"]}">',
            html,
        )
    # The map: one link per drawn country, named with its number and shaded; Singapore has a dot.
    assert html.count('<a class="country ') == len(world().shapes)
    assert 'aria-label="Mexico: 1.5 officials"' in html
    assert re.search(r'<a class="country shade-[1-5]" href="/dashboard/countries/SG"[^>]*>.*?<circle', html)
    assert re.search(
        r'<a class="country shade-0" href="/dashboard/countries/FR" aria-label="France: no', html
    )


@pytest.mark.usefixtures("world_data")
async def test_country_page_is_the_country_profile(client: httpx.AsyncClient, keys: Keys) -> None:
    cookie = await sign_in(client, key_of(keys, "reader"))
    html = (await client.get("/dashboard/countries/MX", headers=cookie)).text
    profile = (await client.get("/api/v1/countries/MX", headers=keys["reader"])).json()
    assert metrics(html) == {"officials": profile["officials"]}
    assert "<h1>Mexico <span" in html and "Aduanas" in html
    assert re.search(r'<th scope="row">ICE</th><td class="num">0</td><td class="num">0</td>'
                     r'<td class="num">1</td><td class="num">1</td>', html)  # fmt: skip
    missing = await client.get("/dashboard/countries/XX", headers=cookie)
    assert missing.status_code == 422 and "not an ISO 3166-1 alpha-2" in missing.text
    lower = await client.get("/dashboard/countries/mx", headers=cookie)
    assert lower.status_code == 422 and "use upper case: MX" in lower.text


@pytest.mark.usefixtures("world_data")
async def test_recommendations_overlaps_and_coverage_pages(client: httpx.AsyncClient, keys: Keys) -> None:
    cookie = await sign_in(client, key_of(keys, "reader"))
    html = (await client.get("/dashboard/recommendations", headers=cookie)).text
    summary = (await client.get("/api/v1/recommendations/summary", headers=keys["reader"])).json()
    totals = dict(re.findall(r'data-status="([a-z_]+)" data-value="(\d+)"', html))
    assert {k: int(v) for k, v in totals.items()} == summary["by_status"]
    assert (
        '<table id="overdue">' in html
        and "Days overdue" in html
        and '<table id="open-over-one-year">' in html
    )

    html = (await client.get("/dashboard/overlaps", headers=cookie)).text
    assert "WORLD-ACT-" in html and "shared partner: Aduanas (MX)" in html
    assert "No pairs" in (await client.get("/dashboard/overlaps?country=NL", headers=cookie)).text
    bad = await client.get("/dashboard/overlaps?country=QQ&min_score=9", headers=cookie)
    assert bad.status_code == 200 and "not a country code" in bad.text and "0 to 4" in bad.text
    forged = await client.get("/dashboard/overlaps?cursor=forged", headers=cookie)
    assert forged.status_code == 400 and forged.headers["content-type"].startswith("text/html")

    html = (await client.get("/dashboard/coverage", headers=cookie)).text
    coverage = (await client.get("/api/v1/strategic-goals/coverage", headers=keys["reader"])).json()
    assert metrics(html) == {"unaligned": coverage["unaligned"]["count"]}
    assert '<th scope="row">QHSR23-M1</th>' in html


async def test_deadlines_page_lists_what_the_api_lists(
    client: httpx.AsyncClient, keys: Keys, world_data: None
) -> None:
    cookie = await sign_in(client, key_of(keys, "reader"))
    response = await client.get("/dashboard/deadlines?within_days=365", headers=cookie)
    assert response.status_code == 200
    api = (await client.get("/api/v1/deadlines?within_days=365&limit=200", headers=keys["reader"])).json()
    assert api["items"], "the world has an overdue recommendation"
    shown = re.findall(r'<tr data-kind="([a-z_0-9]+)" data-id="([0-9a-f-]+)">', response.text)
    assert shown == [(item["kind"], item["id"]) for item in api["items"]]
    # Overdue is said in words, not only by position.
    overdue = [item for item in api["items"] if item["days_left"] < 0]
    assert overdue and f"{-overdue[0]['days_left']} days overdue" in response.text
    quiet = await client.get("/dashboard/deadlines?within_days=0", headers=cookie)
    assert "Nothing comes due in that time." in quiet.text


async def test_the_dashboard_is_not_part_of_the_api_contract(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if p.startswith("/dashboard")]


def test_the_map_asset_is_small_and_keyed_by_alpha_2() -> None:
    raw = json.loads(ASSET.read_text())
    assert ASSET.stat().st_size < 300_000
    codes = set(raw["countries"])
    assert codes <= COUNTRY_CODES and len(codes) > 200
    # Kosovo is drawn; countries too small for a shape at world scale are there, with a dot.
    assert raw["countries"]["XK"]["d"]
    for code in ("SG", "BH", "MT", "HK", "VA"):
        assert "marker" in raw["countries"][code], code
    assert "AQ" not in codes
