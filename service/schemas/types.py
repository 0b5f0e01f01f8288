"""Field types shared by every schema: bounded strings without NUL or lone surrogates, ISO codes,
bounded numbers and dates. Bounds are declared in the schema, so OpenAPI (and fuzzers) see them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, StringConstraints

_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Kosovo has no ISO 3166-1 code yet; XK is the user-assigned code everyone uses for it.
EXTRA_COUNTRIES = {"XK": "Kosovo"}
COUNTRY_CODES: frozenset[str] = frozenset([c.alpha_2 for c in pycountry.countries] + list(EXTRA_COUNTRIES))
CURRENCY_CODES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies)

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)


def clean_text(value: str) -> str:
    """Refuse NUL bytes and lone surrogates: PostgreSQL cannot store them."""
    if _BAD_CHARS.search(value):
        raise ValueError("text must not contain NUL characters or unpaired surrogates")
    return value


def country_name(code: str) -> str | None:
    """The English short name of a country code we accept, or None."""
    if code in EXTRA_COUNTRIES:
        return EXTRA_COUNTRIES[code]
    country = pycountry.countries.get(alpha_2=code) if code in COUNTRY_CODES else None
    return country.name if country else None


def _country(value: str) -> str:
    if value not in COUNTRY_CODES:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return value


def _upper_case_hint(value: object) -> object:
    """`mx` is a 422 that says what to send instead (codes are never silently upper-cased)."""
    if isinstance(value, str) and value != value.upper() and value.upper() in COUNTRY_CODES:
        raise ValueError(f"'{value}' is not a country code: use upper case: {value.upper()}")
    return value


def check_country(value: str) -> str:
    """The one rule for a country code wherever one is taken (bodies, filters, paths): the code, or
    ValueError with a message that says what is wrong (and, for `mx`, to use upper case: MX)."""
    _upper_case_hint(value)
    return _country(value)


def _currency(value: str) -> str:
    if value not in CURRENCY_CODES:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return value


def _iso_date_only(value: object) -> object:
    """pydantic would read 0 or "0" as a Unix time; the contract says YYYY-MM-DD."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


def _not_a_number(value: object) -> object:
    """pydantic would read 0 and 1 as false and true; JSON has real booleans (CSV cells stay text)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _date_in_range(value: date) -> date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"date must be between {MIN_DATE} and {MAX_DATE}")
    return value


def _utc_z(value: datetime) -> str:
    # Always with microseconds, exactly as PostgreSQL renders them in service.records.projection.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def Text(max_length: int, min_length: int = 0) -> Any:
    """A string of bounded length with no NUL or lone surrogate."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(clean_text),
    ]


CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    BeforeValidator(_upper_case_hint),  # wraps the pattern check: runs first, keeps it in the schema
    AfterValidator(_country),
    Field(description="ISO 3166-1 alpha-2 (XK for Kosovo)", examples=["MX"]),
]
CurrencyCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    AfterValidator(_currency),
    Field(description="ISO 4217", examples=["USD"]),
]
ComponentCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z][A-Z0-9&/-]{0,15}$"),
    Field(description="A code from GET /api/v1/components", examples=["CBP"]),
]
GoalCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"),
    Field(examples=["QHSR23-M2"]),
]
Flag = Annotated[bool, BeforeValidator(_not_a_number)]
Day = Annotated[date, BeforeValidator(_iso_date_only), AfterValidator(_date_in_range)]
Money = Annotated[
    Decimal,
    Field(ge=0, le=Decimal("99999999999999.99"), max_digits=16, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
]
FiscalYear = Annotated[int, Field(ge=1990, le=2100)]
Timestamp = Annotated[datetime, PlainSerializer(_utc_z, return_type=str)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[\w][\w .:/-]*$")]
