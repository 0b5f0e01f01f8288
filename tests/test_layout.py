"""The tree's arrows point down: shared machinery never imports what builds on it."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.database import ROOT

SERVICE = ROOT / "service"
# package -> what it may never import (the layers above it). From the bottom: schemas and models;
# web (HTTP plumbing: request context, problem+json, docs); records (the machinery every resource
# uses); the resources; bulk, changes and coordination; ops; the app's wiring.
ABOVE = {
    "schemas": ("records", "web", "ops", "bulk", "changes", "coordination", "resources", "main", "cli"),
    "models": ("records", "web", "ops", "bulk", "changes", "coordination", "resources", "main", "cli"),
    "records": ("ops", "bulk", "changes", "coordination", "resources", "main", "cli"),
    "web": ("records", "ops", "bulk", "changes", "coordination", "resources", "main", "cli"),
}
RESOURCES = ("activities", "postings", "trips", "recommendations", "posts", "components", "strategic_goals")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("service."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("service.")}
    return found


def test_shared_packages_import_nothing_above_them() -> None:
    wrong = []
    for package, forbidden in ABOVE.items():
        for path in (SERVICE / package).rglob("*.py"):
            bad = imports_of(path) & {*forbidden, *RESOURCES}
            if bad:
                wrong.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert wrong == []


def test_service_root_holds_only_the_wiring() -> None:
    loose = {p.name for p in SERVICE.glob("*.py")}
    assert loose == {
        "__init__.py",
        "main.py",
        "config.py",
        "db.py",
        "errors.py",
        "auth.py",
        "cli.py",
        "resources.py",
    }


def test_every_module_is_short() -> None:
    long = [str(p.relative_to(ROOT)) for p in SERVICE.rglob("*.py") if len(p.read_text().splitlines()) > 250]
    assert long == []
