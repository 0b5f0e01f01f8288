"""Turn one run's measurements into ratios, target verdicts, a printed table, JSON and markdown."""

from __future__ import annotations

import json
from typing import Any

from bench.common import RESULTS

# scenario -> (same-work ORM reference, same-work raw asyncpg reference); every scenario is also
# compared with the HTTP floor (/health/live).
REFERENCES: dict[str, tuple[str | None, str | None]] = {
    "get_by_id": ("orm_by_id", "raw_by_id"),
    "list_page1": ("orm_list_page1", "raw_page"),
    "list_deep": ("orm_list_page1", "raw_page"),
    "list_filtered": ("orm_list_filtered", "raw_page_filtered"),
}
FLOOR = "health_live"


def rate(row: dict[str, Any] | None) -> float | None:
    return row.get("rps") if row else None


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def add_ratios(rows: dict[str, dict[str, Any]]) -> None:
    for name, row in rows.items():
        orm, raw = REFERENCES.get(name, (None, None))
        row["x_orm"] = ratio(rate(row), rate(rows.get(orm or "")))
        row["x_raw"] = ratio(rate(row), rate(rows.get(raw or "")))
        row["x_floor"] = ratio(rate(row), rate(rows.get(FLOOR)))


def cost(row: dict[str, Any] | None) -> float | None:
    """CPU ms one request costs the whole machine (workers + PostgreSQL): req/s on a saturated box
    is about 2 cores / cost, and unlike req/s it hardly moves when something else takes the cores."""
    if not row or row.get("skipped") or row.get("app_cpu_ms") is None:
        return None
    return row["app_cpu_ms"] + row["db_cpu_ms"]


def _check(
    name: str, value: float | None, limit: float, above: bool, by_cpu: float | None = None
) -> dict[str, Any]:
    met = None if value is None else (value >= limit if above else value <= limit)
    sign = ">=" if above else "<="
    return {"target": name, "value": value, "by_cpu": by_cpu, "limit": f"{sign} {limit}", "met": met}


def targets(
    rows: dict[str, dict[str, Any]],
    bulk: dict[str, Any],
    rss_after: dict[str, float],
    plans: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met (None = not measured)."""
    get = rows.get("get_by_id", {})
    p1, deep = rows.get("list_page1", {}), rows.get("list_deep", {})
    post, filtered = rows.get("post_create", {}), rows.get("list_filtered", {})

    def p50(name: str) -> float | None:
        return rows[name]["p50_ms"] if name in rows and not rows[name].get("skipped") else None

    def cheaper(name: str, than: str) -> float | None:
        """How many times less CPU `name` costs than `than` (the throughput ratio, measured by CPU)."""
        return ratio(cost(rows.get(than)), cost(rows.get(name)))

    post_ratio = ratio(rate(post), rate(get))
    if post_ratio is not None and post.get("errors"):
        post_ratio = 0.0  # "without errors" is part of the target
    imp, exp = bulk.get("import") or {}, bulk.get("export") or {}
    seq_scans = sum(p["seq_scan_activities"] for p in plans.values()) if plans else None
    largest = max(rss_after.values(), default=None)
    floor, page_cost = cheaper("get_by_id", "health_live"), ratio(cost(deep), cost(p1))
    post_cpu = cheaper("post_create", "get_by_id")
    return [
        _check("GET by id vs ORM by id (x)", get.get("x_orm"), 3, True, cheaper("get_by_id", "orm_by_id")),
        _check("GET by id vs HTTP floor (x)", get.get("x_floor"), 0.3, True, floor),
        _check("GET by id p99 at 16 connections (ms)", get.get("p99_ms"), 50, False),
        _check(
            "List, two filters, vs ORM list (x)",
            filtered.get("x_orm"),
            2.5,
            True,
            cheaper("list_filtered", "orm_list_filtered"),
        ),
        _check("Page 1,000 cost vs page 1 (x)", ratio(rate(p1), rate(deep)), 1.2, False, page_cost),
        _check("POST with audit vs GET by id (x, no errors)", post_ratio, 0.4, True, post_cpu),
        _check("Footprint p50, one request at a time (ms)", p50("footprint"), 300, False),
        _check("Country profile p50, one request at a time (ms)", p50("country_profile"), 300, False),
        _check("Overlaps for one country p50, one at a time (ms)", p50("overlaps"), 500, False),
        _check("Deadlines (100k postings, 100k trips) p50, one at a time (ms)", p50("deadlines"), 300, False),
        _check("Search p50, 16 connections, 6 queries (ms; issue: at large)", p50("search"), 150, False),
        _check("Dashboard overview p50, one at a time (ms)", p50("dashboard_overview"), 300, False),
        _check("Dashboard country page p50, one at a time (ms)", p50("dashboard_country"), 300, False),
        _check("Dashboard deadlines p50, one at a time (ms)", p50("dashboard_deadlines"), 300, False),
        _check("List queries with a sequential scan of activities", seq_scans, 0, False),
        _check("Import of the bulk rows (s)", imp.get("seconds"), 15, False),
        _check(
            "Upsert of the bulk rows, 10 % changed (s)", (bulk.get("upsert") or {}).get("seconds"), 20, False
        ),
        _check("Export peak RSS growth (MB)", exp.get("peak_rss_growth_mb"), 50, False),
        _check("Largest worker RSS after the run (MB)", largest, 200, False),
    ]


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(result: dict[str, Any]) -> str:
    """The run as markdown: scenarios with ratios, bulk, targets, memory."""
    out = [
        "| scenario | req/s | p50 ms | p99 ms | errors | x ORM | x raw | x HTTP floor "
        "| app CPU ms/req | PG CPU ms/req | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in result["scenarios"].items():
        if r.get("skipped"):
            out.append(f"| {name} |{' - |' * 9} skipped: {r['note']} |")
            continue
        cells = [_fmt(r["rps"], 0 if r["rps"] >= 10 else 1), _fmt(r["p50_ms"]), _fmt(r["p99_ms"])]
        cells.append(_fmt(r["errors"]))
        cells += [_fmt(r.get("x_orm"), 2), _fmt(r.get("x_raw"), 2), _fmt(r.get("x_floor"), 2)]
        cells += [_fmt(r.get("app_cpu_ms"), 2), _fmt(r.get("db_cpu_ms"), 2)]
        out.append(f"| {name} | {' | '.join(cells)} | {r.get('note', '')} |")
    for kind, b in result["bulk"].items():
        if b:
            extra = f", first byte {b['first_byte_s']} s" if "first_byte_s" in b else ""
            out.append(
                f"\n**{kind}**: {b['rows']:,} rows in {b['seconds']} s ({b['rows_per_s']:,} rows/s{extra}), "
                f"peak worker RSS growth {b['peak_rss_growth_mb']} MB, status {b['status']}"
            )
    out += ["", "| target | measured | same, by CPU per request | limit | met |", "|---|---:|---:|---:|---|"]
    for t in result["targets"]:
        verdict = {True: "yes", False: "**no**", None: "not measured"}[t["met"]]
        by_cpu = _fmt(t.get("by_cpu"), 2)
        out.append(f"| {t['target']} | {_fmt(t['value'], 2)} | {by_cpu} | {t['limit']} | {verdict} |")
    if over := result.get("overload"):
        share = f"{over['share_2xx_under_1s'] * 100:.1f} %"
        out.append(
            f"\n**Overload** ({over['seconds']:.0f} s, one key misbehaving: stalled exports and imports, "
            f"30 searches at a time, strangers' uploads): {share} of {over['ordinary_requests']:,} ordinary "
            f"requests answered 2xx in under 1 s (p50 {over['p50_ms']} ms, p99 {over['p99_ms']} ms; "
            f"statuses {over['ordinary_statuses']}); the bad key got {over['bad_key_got']}"
        )
    if rep := result.get("replica"):
        ratios = ", ".join(
            f"{n} {r['standby_rps']:,.0f} vs {r['single_rps']:,.0f} req/s (x{r['ratio']})"
            for n, r in rep.items()
            if isinstance(r, dict)
        )
        out.append(
            f"\n**Read replica** (one standby serving reads vs all on the primary, same throw-away pair, "
            f"same 2 cores: overhead, not scale): {ratios}; index scans on the standby "
            f"{rep['standby_index_scans']:,}"
        )
    rss = ", ".join(f"{k} {v} MB" for k, v in result["rss_after_mb"].items())
    out.append(f"\nWorker RSS after the run: {rss}")
    if result.get("plans"):
        out.append("\nPlans of the list-shaped SQL (EXPLAIN ANALYZE):\n")
        for name, plan in result["plans"].items():
            out.append(f"- {name}: {plan['ms']} ms, {' > '.join(plan['nodes'])}")
    for name, prof in (result.get("profiles") or {}).items():
        if "self" in prof:
            top = ", ".join(f"{f} {p}%" for f, p in prof["self"][:8])
            out.append(f"\nProfile of {name} ({prof['samples']} samples), most self time: {top}")
    return "\n".join(out) + "\n"


def write(result: dict[str, Any]) -> str:
    """bench/results/<scale>-<stamp>.{json,md}, and latest-<scale>.* for a full run; returns the markdown."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = markdown(result)
    stems = [f"{result['scale']}-{result['run_id']}"]
    if not result.get("partial"):  # a run of some phases only does not replace the latest full run
        stems.append(f"latest-{result['scale']}")
    for stem in stems:
        (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2, default=str))
        (RESULTS / f"{stem}.md").write_text(text)
    return text


def main() -> None:
    """Re-render a saved run (e.g. after the report's format changed): python -m bench.report FILE.json"""
    import sys
    from pathlib import Path

    result = json.loads(Path(sys.argv[1]).read_text())
    add_ratios(result["scenarios"])
    service_rss = {k: v for k, v in result["rss_after_mb"].items() if k.startswith("service")}
    result["targets"] = targets(result["scenarios"], result["bulk"], service_rss, result.get("plans"))
    print(write(result))


if __name__ == "__main__":
    main()
