"""Turn world-atlas's Natural Earth TopoJSON (countries-50m.json) into the dashboard's map asset.

Run through scripts/build-world-map, which installs world-atlas into a temporary directory first.
The output (service/dashboard/world/countries.json) holds, per ISO 3166-1 alpha-2 code, one SVG path
already projected (Equal Earth) and quantized to integers, so the server only pastes strings together.

How it stays small and seamless: shared borders are arcs in TopoJSON, so each arc is simplified once
(Douglas-Peucker, endpoints kept) and every country using it gets the same simplified line: no gaps
or slivers between neighbours. Rings smaller than a few grid units are dropped (a country always
keeps its largest), and a country too small to see or click at world scale (Singapore, Bahrain,
Malta, ...) also gets a marker: a dot at its centre that the renderer draws on top.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path
from typing import Any

import pycountry

Point = tuple[float, float]
# The grid the paths are written on: 4,000 units wide (the SVG's viewBox), integers only.
GRID_WIDTH = 4000
TOLERANCE = 0.8  # grid units a simplified arc may stray from the original
MIN_RING = 3.0  # rings whose bounding box is smaller than this (both sides) are dropped
MARKER_BELOW = 14.0  # a country whose shape is smaller than this (both sides) gets a dot
# Natural Earth features without an ISO numeric id in world-atlas, or parts of another country.
BY_NAME = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO", "Ashmore and Cartier Is.": "AU"}
LEFT_OUT = {"AQ"}  # Antarctica: no posts, and a third of the map's height
# Equal Earth projection constants (Šavrič, Patterson, Jenny 2018).
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> Point:
    """Equal Earth on the unit sphere; y grows northwards."""
    theta = math.asin(M * math.sin(math.radians(lat)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = math.radians(lon) * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """Every arc as (lon, lat) points: quantized, delta-encoded integers undone."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker, iterative; the first and last points are always kept."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        worst, at = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if length == 0:
                distance = math.hypot(px - ax, py - ay)
            else:
                distance = abs(dy * (px - ax) - dx * (py - ay)) / length
            if distance > worst:
                worst, at = distance, i
        if at > 0 and worst > tolerance:
            keep[at] = True
            stack.extend(((first, at), (at, last)))
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def simplify_arc(points: list[Point], tolerance: float) -> list[Point]:
    """Simplified piece by piece between antimeridian jumps, so both sides of a jump are kept."""
    pieces, start = [], 0
    for i in range(1, len(points)):
        if is_jump(points[i - 1], points[i]):
            pieces.append(simplify(points[start:i], tolerance))
            start = i
    pieces.append(simplify(points[start:], tolerance))
    return [p for piece in pieces for p in piece]


def is_jump(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """A step from one edge of the map to the other: Natural Earth rings crossing the antimeridian
    (Russia, Fiji) run to 180 and continue from -180."""
    return abs(a[0] - b[0]) > GRID_WIDTH / 4


def split_at_antimeridian(points: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """A ring that jumps across the map becomes one ring per side: its runs on each side, joined
    in order (the closing edges run along the map's edge)."""
    runs, start = [], 0
    for i in range(1, len(points)):
        if is_jump(points[i - 1], points[i]):
            runs.append(points[start:i])
            start = i
    if not runs:
        return [points]
    runs.append(points[start:])
    east = [p for run in runs if run[0][0] > 0 for p in run]
    west = [p for run in runs if run[0][0] <= 0 for p in run]
    return [side + side[:1] for side in (east, west) if len(side) >= 3]


def code_of(geometry: dict[str, Any]) -> str | None:
    name = geometry.get("properties", {}).get("name", "")
    if name in BY_NAME:
        return BY_NAME[name]
    if "id" not in geometry:
        return None
    country = pycountry.countries.get(numeric=geometry["id"])
    return country.alpha_2 if country else None


def rings_of(geometry: dict[str, Any]) -> list[list[int]]:
    if geometry["type"] == "Polygon":
        return list(geometry["arcs"])
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["arcs"] for ring in polygon]
    return []


def ring_points(ring: list[int], arcs: list[list[Point]]) -> list[Point]:
    """A ring's points from its arcs (~i is arc i reversed); shared endpoints written once."""
    points: list[Point] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def quantize(points: list[Point]) -> list[tuple[int, int]]:
    """Rounded to the grid, consecutive duplicates removed."""
    out: list[tuple[int, int]] = []
    for x, y in points:
        q = (round(x), round(y))
        if not out or q != out[-1]:
            out.append(q)
    return out


def extent(points: list[tuple[int, int]]) -> tuple[int, int, int, int]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def numbers(values: list[int]) -> str:
    """SVG number list: a minus sign separates on its own, so only non-negatives need a space."""
    text = ""
    for value in values:
        text += str(value) if value < 0 or not text else f" {value}"
    return text


def ring_path(points: list[tuple[int, int]]) -> str:
    (x0, y0), deltas = points[0], list[int]()
    for (ax, ay), (bx, by) in itertools.pairwise(points):
        deltas.extend((bx - ax, by - ay))
    if points[-1] == points[0]:
        deltas = deltas[:-2]  # `z` closes it
    return f"M{numbers([x0, y0])}l{numbers(deltas)}z"


def area(points: list[tuple[int, int]]) -> float:
    closed = [*points, points[0]]
    return abs(sum(ax * by - bx * ay for (ax, ay), (bx, by) in itertools.pairwise(closed)))


def centroid(points: list[tuple[int, int]]) -> tuple[int, int]:
    x0, y0, x1, y1 = extent(points)
    return (x0 + x1) // 2, (y0 + y1) // 2


def build(topology: dict[str, Any]) -> dict[str, Any]:
    geometries = topology["objects"]["countries"]["geometries"]
    lonlat = decode_arcs(topology)
    projected = [[equal_earth(lon, lat) for lon, lat in arc] for arc in lonlat]
    # The scale puts the whole globe's width (lon -180..180 on the equator) on GRID_WIDTH units.
    scale = GRID_WIDTH / (2 * equal_earth(180, 0)[0])
    grid = [[(x * scale, -y * scale) for x, y in arc] for arc in projected]
    arcs = [simplify_arc(arc, TOLERANCE) for arc in grid]

    rings_by_code: dict[str, list[list[tuple[int, int]]]] = {}
    unsimplified: dict[str, list[tuple[int, int]]] = {}  # for a country whose rings all collapse
    for geometry in geometries:
        code = code_of(geometry)
        if code is None or code in LEFT_OUT:
            continue
        for ring in rings_of(geometry):
            unsimplified.setdefault(code, []).extend(quantize(ring_points(ring, grid)))
            for points in split_at_antimeridian(quantize(ring_points(ring, arcs))):
                if len(points) >= 4:  # a closed ring with an area: three corners and the way back
                    rings_by_code.setdefault(code, []).append(points)

    countries: dict[str, dict[str, Any]] = {}
    for code in sorted(unsimplified):
        rings = rings_by_code.get(code, [])
        largest = max(rings, key=area) if rings else None
        kept = [r for r in rings if r is largest or _big_enough(r)]
        x0, y0, x1, y1 = extent([p for r in kept for p in r] or unsimplified[code])
        entry: dict[str, Any] = {"d": "".join(ring_path(r) for r in kept)}
        if x1 - x0 < MARKER_BELOW and y1 - y0 < MARKER_BELOW:
            entry["marker"] = list(centroid(largest or unsimplified[code]))
        countries[code] = entry

    x0, y0, x1, y1 = extent([p for points in unsimplified.values() for p in points])
    pad = 10
    return {
        "source": "Natural Earth 1:50m admin-0 countries (public domain) via world-atlas 2.0.2 (ISC)",
        "projection": "Equal Earth",
        "view_box": [x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad],
        "countries": countries,
    }


def _big_enough(ring: list[tuple[int, int]]) -> bool:
    x0, y0, x1, y1 = extent(ring)
    return x1 - x0 >= MIN_RING or y1 - y0 >= MIN_RING


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="world-atlas's countries-50m.json")
    parser.add_argument("output", type=Path, help="where to write the asset")
    args = parser.parse_args(argv)
    asset = build(json.loads(args.source.read_text()))
    text = json.dumps(asset, separators=(",", ":"), sort_keys=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n")
    markers = sorted(code for code, c in asset["countries"].items() if "marker" in c)
    size = f"{len(asset['countries'])} countries, {len(text):,} bytes"
    print(f"{args.output}: {size}; markers: {' '.join(markers)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
