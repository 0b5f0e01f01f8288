"""The world map: countries shaded by a number, each a link to its page, drawn as inline SVG.

Shapes come from world/countries.json (Natural Earth 1:50m, public domain, projected and simplified
by scripts/build-world-map): one path per ISO 3166-1 alpha-2 code, and a dot for countries too small
to see or click at world scale. Nothing is fetched at run time.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup, escape

from service.schemas.types import country_name

from .charts import number

ASSET = Path(__file__).parent / "world" / "countries.json"
SHADES = 5
MARKER_RADIUS = 13


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    svg: str  # the path (and dot) inside the country's link


@dataclass(frozen=True)
class World:
    view_box: str
    shapes: tuple[Shape, ...]  # countries with a dot last, so no neighbour is drawn over a dot
    source: str

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(s.code for s in self.shapes)


@lru_cache
def world() -> World:
    """The asset, read once per process."""
    raw = json.loads(ASSET.read_text())
    shapes = []
    for code, entry in sorted(raw["countries"].items(), key=lambda kv: ("marker" in kv[1], kv[0])):
        svg = f'<path d="{entry["d"]}"/>' if entry["d"] else ""
        if "marker" in entry:
            x, y = entry["marker"]
            svg += f'<circle class="dot" cx="{x}" cy="{y}" r="{MARKER_RADIUS}"/>'
        shapes.append(Shape(code, country_name(code) or code, svg))
    return World(" ".join(str(v) for v in raw["view_box"]), tuple(shapes), raw["source"])


@dataclass(frozen=True)
class Legend:
    """Upper bounds of shades 1..n (shade 0 is "none")."""

    bounds: tuple[float, ...]

    def shade(self, value: float) -> int:
        if value <= 0:
            return 0
        return min(bisect.bisect_left(self.bounds, value) + 1, len(self.bounds))

    def entries(self) -> list[tuple[int, str]]:
        """(shade, label) for the legend, "none" first."""
        rows, low = [(0, "none")], 0.0
        for i, high in enumerate(self.bounds, start=1):
            rows.append((i, f"{number(low)} to {number(high)}" if low else f"up to {number(high)}"))
            low = high
        return rows


def legend_for(values: Mapping[str, float]) -> Legend:
    """Up to five shades, each holding about as many countries (quantiles of the non-zero values)."""
    positive = sorted(v for v in values.values() if v > 0)
    if not positive:
        return Legend(())
    bounds: list[float] = []
    for i in range(1, SHADES + 1):
        bound = positive[min(len(positive) - 1, round(i * len(positive) / SHADES) - 1)]
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
    return Legend(tuple(bounds))


def world_map(
    values: Mapping[str, float],
    legend: Legend,
    href: Callable[[str], str],
    describe: Callable[[str, float], str],
    title: str,
    desc: str,
) -> Markup:
    """The SVG: one focusable link per country, named by `describe(name, value)`."""
    parts = [
        f'<svg class="world-map" id="world-map" viewBox="{world().view_box}" role="group" '
        'aria-labelledby="world-map-title" aria-describedby="world-map-desc">'
        f'<title id="world-map-title">{escape(title)}</title><desc id="world-map-desc">{escape(desc)}</desc>'
    ]
    for shape in world().shapes:
        value = values.get(shape.code, 0.0)
        label = escape(describe(shape.name, value))
        parts.append(
            f'<a class="country shade-{legend.shade(value)}" href="{escape(href(shape.code))}" '
            f'aria-label="{label}" data-country="{shape.code}"><title>{label}</title>{shape.svg}</a>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
