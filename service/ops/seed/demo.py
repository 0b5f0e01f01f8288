"""`oia seed --demo`: a synthetic world at the size the Inspector General described in 2008 (OIG-08-71):
about 2,000 officials (the FTE of filled postings) of 18+ components in 142 cities and 79 countries,
thousands of activities, and overlaps to find (same country, different lead components, overlapping
dates, shared partners). Everything is invented and marked: every identifier, position number and post
name starts with `DEMO-`. The same scale always gives the same world (a seeded random generator, and
ids derived from it). People and activities grow with `scale`; geography grows up to scale 1.

Rows go in through the bulk import's COPY path with their audit rows, so the change feed sees them.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.activities.schemas import ActivityCreate
from service.auth import Principal
from service.bulk.writer import CopyWriter
from service.models import Activity, Component, Post, Posting
from service.postings.schemas import PostingCreate
from service.posts.schemas import PostCreate
from service.records.sql import ResourceSpec, Row
from service.schemas.vocab import Role

PREFIX = "DEMO-"
SEED = 200871  # the report's number: any constant would do
TODAY = date(2026, 1, 1)  # a fixed "now" for statuses, so the world does not change with the clock
Progress = Callable[[str, int, int], None]  # (what, done, total)

# code|name|capital;other cities (an indented line continues the list), in order of DHS presence,
# so that a small world keeps the big posts.
GEOGRAPHY = """MX|Mexico|Mexico City;Tijuana;Ciudad Juarez;Monterrey;Guadalajara
  Nuevo Laredo;Matamoros;Nogales;Hermosillo;Merida
CA|Canada|Ottawa;Toronto;Montreal;Vancouver;Calgary;Halifax;Winnipeg
GT|Guatemala|Guatemala City
HN|Honduras|Tegucigalpa
SV|El Salvador|San Salvador
CO|Colombia|Bogota;Cartagena
PA|Panama|Panama City
DO|Dominican Republic|Santo Domingo
GB|United Kingdom|London;Belfast;Edinburgh
NL|Netherlands|The Hague;Amsterdam
DE|Germany|Berlin;Frankfurt;Munich;Hamburg
BE|Belgium|Brussels
FR|France|Paris;Marseille
IT|Italy|Rome;Milan;Naples
ES|Spain|Madrid;Barcelona
CN|China|Beijing;Shanghai;Guangzhou;Shenyang
HK|Hong Kong|Hong Kong
JP|Japan|Tokyo;Osaka;Naha
KR|South Korea|Seoul;Busan
SG|Singapore|Singapore
AE|United Arab Emirates|Abu Dhabi;Dubai
SA|Saudi Arabia|Riyadh;Jeddah;Dhahran
IN|India|New Delhi;Mumbai;Chennai;Kolkata;Hyderabad
PK|Pakistan|Islamabad;Karachi;Lahore
IQ|Iraq|Baghdad;Erbil
AF|Afghanistan|Kabul
IL|Israel|Jerusalem;Tel Aviv
JO|Jordan|Amman
EG|Egypt|Cairo
TR|Turkey|Ankara;Istanbul
GR|Greece|Athens;Thessaloniki
BR|Brazil|Brasilia;Sao Paulo;Rio de Janeiro
AR|Argentina|Buenos Aires
CL|Chile|Santiago
PE|Peru|Lima
EC|Ecuador|Quito;Guayaquil
CR|Costa Rica|San Jose
NI|Nicaragua|Managua
BZ|Belize|Belmopan
JM|Jamaica|Kingston
BS|Bahamas|Nassau
HT|Haiti|Port-au-Prince
BB|Barbados|Bridgetown
TT|Trinidad and Tobago|Port of Spain
IE|Ireland|Dublin;Shannon
CH|Switzerland|Bern;Geneva
AT|Austria|Vienna
PL|Poland|Warsaw;Krakow
PT|Portugal|Lisbon;Ponta Delgada
DK|Denmark|Copenhagen
SE|Sweden|Stockholm
NO|Norway|Oslo
FI|Finland|Helsinki
CZ|Czechia|Prague
HU|Hungary|Budapest
RO|Romania|Bucharest
BG|Bulgaria|Sofia
UA|Ukraine|Kyiv
RU|Russia|Moscow
PH|Philippines|Manila
TH|Thailand|Bangkok;Chiang Mai
VN|Vietnam|Hanoi;Ho Chi Minh City
ID|Indonesia|Jakarta;Surabaya
MY|Malaysia|Kuala Lumpur
AU|Australia|Canberra;Sydney;Melbourne;Perth
NZ|New Zealand|Wellington;Auckland
QA|Qatar|Doha
KW|Kuwait|Kuwait City
BH|Bahrain|Manama
LB|Lebanon|Beirut
MA|Morocco|Rabat;Casablanca
TN|Tunisia|Tunis
DZ|Algeria|Algiers
NG|Nigeria|Abuja;Lagos
GH|Ghana|Accra
KE|Kenya|Nairobi
ZA|South Africa|Pretoria;Johannesburg;Cape Town
ET|Ethiopia|Addis Ababa
SN|Senegal|Dakar"""
PRECLEARANCE = {"Toronto", "Montreal", "Vancouver", "Calgary", "Ottawa", "Winnipeg", "Halifax"}
PRECLEARANCE |= {"Dublin", "Shannon", "Abu Dhabi", "Nassau"}
MISSIONS = {"Brussels": "the European Union", "Geneva": "the United Nations", "Vienna": "the OSCE"}

# Share of officials by component (roughly the 2008 picture: CBP, ICE and USCG hold most of them).
COMPONENT_WEIGHTS = {"CBP": 30, "ICE": 22, "USCG": 14, "TSA": 7, "USSS": 6, "USCIS": 5, "OIA": 2.5}
COMPONENT_WEIGHTS |= {"CISA": 2.5, "FLETC": 2, "FEMA": 1.5, "I&A": 1.5, "S&T": 1, "CWMD": 1, "OBIM": 1}
COMPONENT_WEIGHTS |= {"PLCY": 1, "MGMT": 1, "OPS": 0.5, "OHS": 0.5, "OGC": 0.3, "CRCL": 0.3, "PRIV": 0.2}

# type|weight|lead components|goals|partner types|title templates (on the indented lines)
ACTIVITY_TABLE = """law_enforcement_liaison|14|ICE CBP USSS USCG|QHSR23-M1|law_enforcement|
  Law enforcement liaison with {partner};Attaché liaison office, {city}
investigation|12|ICE USSS CBP|QHSR23-M1 QHSR23-M6|law_enforcement customs|
  Transnational criminal organization investigations, {country};Human smuggling investigations, {city}
  Financial crimes task force with {partner}
cargo_prescreening|8|CBP ICE TSA|QHSR23-M2|customs private_sector|
  Container Security Initiative, port of {city};Air cargo advance screening, {city}
traveler_prescreening|8|CBP TSA ICE|QHSR23-M2|immigration border aviation|
  Immigration Advisory Program, {city} airport;Joint Security Program, {city}
aviation_security|6|TSA CBP|QHSR23-M1|aviation|
  Last point of departure airport assessment, {city};Aviation security capacity building, {country}
maritime_security|7|USCG CBP|QHSR23-M2|maritime|
  Port security assessment (ISPS Code), {country};Shiprider cooperation with {partner}
critical_infrastructure|3|CISA USCG S&T|QHSR23-M4|ministry private_sector|
  Critical infrastructure resilience exchange, {country}
cybersecurity|5|CISA USSS ICE|QHSR23-M4|law_enforcement ministry|
  Cyber incident response cooperation with {partner};Cybercrime investigations, {country}
training_technical_assistance|12|FLETC CBP USCG ICE TSA|QHSR23-M2|border law_enforcement customs|
  Border security training for {partner};Law enforcement leadership course, {city}
information_sharing|7|I&A OBIM ICE CBP|QHSR23-M1|immigration law_enforcement|
  Biometric information sharing with {partner};Criminal history information sharing, {country}
immigration_services|5|USCIS ICE|QHSR23-M3|immigration international_org|
  Refugee processing support, {city};Immigration services field office, {city}
disaster_assistance|2|FEMA USCG|QHSR23-M5|ministry|
  Disaster preparedness exchange with {partner}
research_cooperation|3|S&T CWMD|QHSR23-M1 QHSR23-M4|ministry|
  Joint research on detection technology with {partner}
policy_dialogue|5|PLCY OIA||ministry|
  Homeland security dialogue with {country}
other|3|OIA MGMT OHS CRCL PRIV OPS||ministry|
  Program review, {city}"""
PARTNER_NAMES = {
    "law_enforcement": "National Police of {name}",
    "customs": "{name} Customs Administration",
    "immigration": "{name} Immigration Service",
    "border": "{name} Border Guard",
    "aviation": "{name} Civil Aviation Authority",
    "maritime": "{name} Coast Guard",
    "ministry": "Ministry of the Interior of {name}",
    "private_sector": "{name} Port Operators Association",
}
ROLES = ["component_attache", "liaison_officer", "technical_advisor", "program_officer"]
ANNUAL_COST = {
    "us_direct_hire": 600_000,
    "locally_employed": 80_000,
    "us_contractor": 240_000,
    "tdy": 100_000,
}
INTERNATIONAL = [("INTERPOL", "FR"), ("World Customs Organization", "BE"), ("UNHCR", "CH"), ("Europol", "NL")]


@dataclass(frozen=True)
class ActivityType:
    weight: int
    leads: list[str]
    goals: list[str]
    partner_types: list[str]
    titles: list[str]


def _records(table: str) -> list[list[str]]:
    """`|`-separated lines; an indented line continues the last field of the line above (`;` lists)."""
    records: list[list[str]] = []
    for line in table.splitlines():
        if line.startswith(" "):
            last = records[-1]
            last[-1] = ";".join(filter(None, [last[-1], line.strip()]))
        else:
            records.append(line.split("|"))
    return records


ACTIVITY_TYPES = {
    kind: ActivityType(int(weight), leads.split(), goals.split(), partners.split(), titles.split(";"))
    for kind, weight, leads, goals, partners, titles in _records(ACTIVITY_TABLE)
}


@dataclass(frozen=True)
class City:
    name: str
    country: str
    country_name: str
    capital: bool


@dataclass
class World:
    """Create-schema values per resource, with the ids they will have."""

    posts: list[tuple[uuid.UUID, Row]] = field(default_factory=list)
    activities: list[tuple[uuid.UUID, Row]] = field(default_factory=list)
    postings: list[tuple[uuid.UUID, Row]] = field(default_factory=list)
    overlap_twins: int = 0


@dataclass(frozen=True)
class DemoSummary:
    posts: int
    postings: int
    filled: int
    activities: int
    officials: Decimal
    components: int
    cities: int
    countries: int
    overlap_twins: int


class DemoRefused(Exception):
    """The database is not empty; `already` says it holds this demo world already."""

    def __init__(self, message: str, *, already: bool) -> None:
        super().__init__(message)
        self.already = already


def geography(scale: float) -> list[City]:
    """The capitals of the first countries, then their other cities, both growing up to scale 1."""
    countries = [(code, name, cities.split(";")) for code, name, cities in _records(GEOGRAPHY)]
    n_countries = max(2, min(len(countries), round(len(countries) * scale)))
    chosen = countries[:n_countries]
    capitals = [City(cities[0], code, name, True) for code, name, cities in chosen]
    others = [City(city, code, name, False) for code, name, cities in chosen for city in cities[1:]]
    n_cities = min(len(capitals) + len(others), round(sum(len(c[2]) for c in countries) * scale))
    return capitals + others[: max(0, n_cities - len(capitals))]


class Builder:
    """Draws the world from one seeded generator: the same scale always gives the same rows."""

    def __init__(self, scale: float, components: list[str]) -> None:
        self.rng = random.Random(f"{SEED}:{scale}")
        self.components = [c for c in COMPONENT_WEIGHTS if c in components]
        self.serial = 0
        self.world = World()

    def new_id(self) -> uuid.UUID:
        """A UUIDv7-shaped id from the generator (time part: a fixed day plus a counter)."""
        self.serial += 1
        value = (1_767_225_600_000 + self.serial) << 80 | self.rng.getrandbits(80)
        value = (value & ~(0xF << 76)) | (0x7 << 76)
        return uuid.UUID(int=(value & ~(0x3 << 62)) | (0x2 << 62))

    def day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randrange((end - start).days + 1))

    def posts(self, cities: list[City]) -> dict[str, uuid.UUID]:
        """One embassy or consulate per city, plus preclearance ports and missions; city -> main post."""
        main: dict[str, uuid.UUID] = {}
        for city in cities:
            kind = "Embassy" if city.capital else "Consulate General"
            main[city.name] = self._post(
                f"U.S. {kind} {city.name}", city, "embassy" if city.capital else "consulate"
            )
            if city.name in PRECLEARANCE:
                self._post(f"CBP Preclearance {city.name}", city, "port_of_entry")
            if city.name in MISSIONS:
                self._post(f"U.S. Mission to {MISSIONS[city.name]}, {city.name}", city, "mission")
        return main

    def _post(self, name: str, city: City, post_type: str) -> uuid.UUID:
        key = self.new_id()
        row = {"name": PREFIX + name, "city": city.name, "country": city.country, "post_type": post_type}
        self.world.posts.append((key, row))
        return key

    def partner(self, city: City, partner_type: str) -> dict[str, str]:
        if partner_type == "international_org":
            name, country = self.rng.choice(INTERNATIONAL)
            return {"name": name, "country": country, "partner_type": partner_type}
        name = PARTNER_NAMES[partner_type].format(name=city.country_name)
        return {"name": name, "country": city.country, "partner_type": partner_type}

    def activity(
        self, city: City, kind: str, lead: str, start: date, partner: dict[str, str], post: uuid.UUID
    ) -> Row:
        spec = ACTIVITY_TYPES[kind]
        n = len(self.world.activities) + 1
        end = None if self.rng.random() < 0.25 else start + timedelta(days=self.rng.randrange(365, 6 * 365))
        status = "planned" if start > TODAY else "completed" if end and end < TODAY else "active"
        if status != "completed" and self.rng.random() < 0.06:
            status = self.rng.choice(["suspended", "cancelled"])
        title = self.rng.choice(spec.titles).format(
            city=city.name, country=city.country_name, partner=partner["name"]
        )
        cost = Decimal(self.rng.randrange(50, 8000) * 1000) if self.rng.random() < 0.7 else None
        participating = [
            c for c in spec.leads if c != lead and c in self.components and self.rng.random() < 0.2
        ]
        return {
            "identifier": f"{PREFIX}{slug(lead)}-{n:05d}",
            "title": title,
            "description": f"Synthetic demo record (oia seed --demo): {title}.",
            "activity_type": kind,
            "status": status,
            "lead_component": lead,
            "participating_components": participating,
            "countries": [city.country],
            "post_ids": [post] if self.rng.random() < 0.8 else [],
            "foreign_partners": [partner],
            "strategic_goal_codes": spec.goals[: self.rng.randint(1, max(1, len(spec.goals)))],
            "start_date": start,
            "end_date": end,
            "estimated_cost": cost,
            "currency": "USD" if cost else None,
            "fiscal_year": start.year + (start.month >= 10) if cost else None,
            "sensitivity": self.rng.choices(["public", "sbu", "les"], [70, 25, 5])[0],
            "tags": ["demo", kind.split("_")[0]],
        }

    def activities(self, count: int, cities: list[City], main_post: dict[str, uuid.UUID]) -> None:
        """`count` activities; about one in six is the twin of an earlier one: same country, type,
        partner and post, overlapping dates, another lead component - an overlap for OIA to find."""
        kinds = list(ACTIVITY_TYPES)
        weights = [ACTIVITY_TYPES[k].weight for k in kinds]
        placed: list[tuple[City, str, Row]] = []
        while len(self.world.activities) < count:
            if placed and self.rng.random() < 0.16:
                city, kind, base = self.rng.choice(placed)
                leads = [
                    c
                    for c in ACTIVITY_TYPES[kind].leads
                    if c != base["lead_component"] and c in self.components
                ]
                if leads:
                    start = base["start_date"] + timedelta(days=self.rng.randrange(0, 300))
                    post = base["post_ids"][0] if base["post_ids"] else main_post[city.name]
                    row = self.activity(
                        city, kind, self.rng.choice(leads), start, base["foreign_partners"][0], post
                    )
                    self.world.activities.append((self.new_id(), row))
                    self.world.overlap_twins += 1
                    continue
            city = self.rng.choice(cities)
            kind = self.rng.choices(kinds, weights)[0]
            leads = [c for c in ACTIVITY_TYPES[kind].leads if c in self.components] or ["OIA"]
            partner = self.partner(city, self.rng.choice(ACTIVITY_TYPES[kind].partner_types))
            start = self.day(date(2012, 1, 1), date(2026, 9, 30))
            row = self.activity(city, kind, self.rng.choice(leads), start, partner, main_post[city.name])
            self.world.activities.append((self.new_id(), row))
            placed.append((city, kind, row))

    def postings(self, officials: Decimal, cities: list[City], main_post: dict[str, uuid.UUID]) -> None:
        """Filled positions until their FTE reaches `officials` (every city and component gets one
        first), then the other statuses: vacant, approved, proposed with NSDD-38 pending, abolished."""
        by_lead: dict[tuple[str, str], list[uuid.UUID]] = {}
        for key, row in self.world.activities:
            by_lead.setdefault((row["lead_component"], row["countries"][0]), []).append(key)
        weights = [COMPONENT_WEIGHTS[c] for c in self.components]
        city_weights = [3.0 if c.capital else 1.0 for c in cities]
        filled = Decimal(0)
        seeded = [(c, None) for c in self.components] + [(None, city) for city in cities]
        while filled < officials or seeded:
            component, city = seeded.pop(0) if seeded else (None, None)
            component = component or self.rng.choices(self.components, weights)[0]
            city = city or self.rng.choices(cities, city_weights)[0]
            row = self.posting(component, city, main_post[city.name], "filled")
            links = by_lead.get((component, city.country), [])
            if links and self.rng.random() < 0.6:
                row["activity_ids"] = [self.rng.choice(links)]
            filled += row["fte"]
        for _ in range(round(len(self.world.postings) * 0.28)):
            status = self.rng.choices(["vacant", "approved", "proposed", "abolished"], [35, 20, 30, 15])[0]
            city = self.rng.choices(cities, city_weights)[0]
            self.posting(self.rng.choices(self.components, weights)[0], city, main_post[city.name], status)

    def posting(self, component: str, city: City, post: uuid.UUID, status: str) -> Row:
        category = self.rng.choices(
            ["us_direct_hire", "locally_employed", "us_contractor", "tdy"], [75, 15, 5, 5]
        )[0]
        fte = Decimal("0.5") if self.rng.random() < 0.08 else Decimal(1)
        if category == "tdy":
            fte = self.rng.choice([Decimal("0.25"), Decimal("0.5")])
        pending = status == "proposed"
        nsdd38 = self.rng.choice(["draft", "submitted"]) if pending else "approved"
        if category in ("locally_employed", "us_contractor") and not pending:
            nsdd38 = "not_required"
        start = None if pending else self.day(date(2021, 6, 1), date(2025, 9, 1))
        role = "dhs_attache" if component == "OIA" else self.rng.choice(ROLES)
        row: Row = {
            "position_number": f"{PREFIX}{slug(component)}-{city.country}-{len(self.world.postings) + 1:05d}",
            "component": component,
            "post_id": post,
            "role": role,
            "employment_category": category,
            "position_title": f"{component} {role.replace('_', ' ').title().replace('Dhs', 'DHS')}",
            "fte": fte,
            "status": status,
            "nsdd38_status": nsdd38,
            "nsdd38_decided_on": start - timedelta(days=90) if start and nsdd38 == "approved" else None,
            "tour_start": start,
            "tour_end": start + timedelta(days=365 * self.rng.choice([2, 3])) if start else None,
            "annual_cost": Decimal(round(ANNUAL_COST[category] * self.rng.uniform(0.75, 1.25), -3)),
            "currency": "USD",
        }
        self.world.postings.append((self.new_id(), row))
        return row


def slug(component: str) -> str:
    return "".join(ch for ch in component if ch.isalnum())


def build_world(scale: float, components: list[str]) -> World:
    """The whole demo world as create-schema values (pure: no database)."""
    builder = Builder(scale, components)
    cities = geography(scale)
    main_post = builder.posts(cities)
    builder.activities(max(1, round(5000 * scale)), cities, main_post)
    builder.postings(Decimal(2000 * scale).quantize(Decimal(1)), cities, main_post)
    return builder.world


async def refuse_unless_empty(session: AsyncSession) -> None:
    """Demo data goes only into a registry with no activities, postings or posts of its own."""
    found: dict[str, tuple[int, int]] = {}
    for label, column in (
        ("activities", Activity.identifier),
        ("postings", Posting.position_number),
        ("posts", Post.name),
    ):
        demo = func.count().filter(column.startswith(PREFIX, autoescape=True))
        total, demos = (await session.execute(select(func.count(), demo).select_from(column.table))).one()
        found[label] = (total - demos, demos)
    real = ", ".join(f"{n} {label}" for label, (n, _) in found.items() if n)
    if real:
        raise DemoRefused(
            f"The registry is not empty ({real} that are not demo data); --demo fills only an empty one.",
            already=False,
        )
    if found["activities"][1]:
        raise DemoRefused(
            f"Demo data is already loaded ({found['activities'][1]} DEMO- activities).", already=True
        )


SCHEMAS: list[tuple[str, Any, Any]] = [
    ("posts", PostCreate, Post.__table__),
    ("activities", ActivityCreate, Activity.__table__),
    ("postings", PostingCreate, Posting.__table__),
]


async def seed_demo(
    session: AsyncSession, scale: float = 1.0, progress: Progress | None = None
) -> DemoSummary:
    """Fill an empty registry with the demo world (the caller commits)."""
    await refuse_unless_empty(session)
    active = (await session.execute(select(Component.code).where(Component.active))).scalars().all()
    world = build_world(scale, list(active))
    actor = Principal(key_id=None, name="demo-seed", role=Role.admin, component=None)  # type: ignore[arg-type]
    writers = []
    for name, schema, table in SCHEMAS:
        rows: list[tuple[uuid.UUID, Row]] = getattr(world, name)
        writer = CopyWriter(ResourceSpec(name=name, table=table), actor)
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            values = [schema.model_validate(row).model_dump() for _, row in chunk]
            await writer.write(
                session, values, list(range(start + 1, start + len(chunk) + 1)), [k for k, _ in chunk]
            )
            if progress is not None:
                progress(name, start + len(chunk), len(rows))
        writers.append(writer)
    for writer in writers:  # the audit rows last: they take the change feed's lock
        await writer.record_audit(session)
    return summarise(world)


def summarise(world: World) -> DemoSummary:
    posts = {key: row for key, row in world.posts}
    filled = [row for _, row in world.postings if row["status"] == "filled"]
    places = [posts[row["post_id"]] for row in filled]
    return DemoSummary(
        posts=len(world.posts),
        postings=len(world.postings),
        filled=len(filled),
        activities=len(world.activities),
        officials=sum((row["fte"] for row in filled), Decimal(0)),
        components=len({row["component"] for row in filled}),
        cities=len({(p["city"], p["country"]) for p in places}),
        countries=len({p["country"] for p in places}),
        overlap_twins=world.overlap_twins,
    )
