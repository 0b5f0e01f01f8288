"""The `oia` command: serve, migrate, keys (and, later, seed and bulk data)."""

from __future__ import annotations

import json
import os
import secrets
import uuid
from pathlib import Path
from typing import Annotated

import typer

from service.config import get_settings
from service.dashboard.settings import SECRET_ENV, get_dashboard_settings
from service.ops.runner import configured_url, run_with_session
from service.schemas.vocab import Role, Sensitivity

app = typer.Typer(
    help="OIA Registry: the system of record for DHS international activities.",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

ROOT = Path(__file__).resolve().parent.parent


def upgrade_to_head(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")


@app.command()
def migrate() -> None:
    """Upgrade the database schema to the newest migration."""
    upgrade_to_head(configured_url())
    typer.echo("database is at head")


@app.command("replication-check")
def replication_check(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """Each database node's role and lag (DATABASE_URL, DATABASE_REPLICA_URLS); exit 1 if one is unwell."""
    from service.ops.replication import replication_check_text

    report, healthy = replication_check_text(as_json)
    typer.echo(report)
    raise typer.Exit(0 if healthy else 1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    migrate_first: Annotated[
        bool, typer.Option("--migrate", help="Upgrade the schema before serving")
    ] = False,
) -> None:
    """Serve the API with uvicorn (uvloop and httptools when installed)."""
    import uvicorn

    from service.web.server import uvicorn_options

    url = configured_url()
    # Workers inherit the resolved URL, so they all talk to the same (maybe embedded) server.
    os.environ["DATABASE_URL"] = url
    # ... and one dashboard session secret when none is configured: a cookie signed by one worker
    # is then good on the others (sessions still end when the server restarts).
    if get_dashboard_settings().dashboard_session_secret is None:
        os.environ[SECRET_ENV] = secrets.token_urlsafe(32)
    get_settings.cache_clear()
    if migrate_first:
        upgrade_to_head(url)
    uvicorn.run(
        "service.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=False,
        **uvicorn_options(),  # keep-alive, header deadline, connection cap (service.web.server)
    )


@app.command()
def seed(
    recommendations: Annotated[
        bool, typer.Option("--recommendations", help="IG report OIG-08-71 and its 18 recommendations")
    ] = False,
    demo: Annotated[
        bool, typer.Option("--demo", help="A synthetic world at the IG's 2008 size (empty database only)")
    ] = False,
    scale: Annotated[
        float, typer.Option(min=0.01, max=100, help="Size of the --demo world; 1 = 2,000 officials")
    ] = 1.0,
) -> None:
    """Load optional data sets; rows already there are left alone, so seeding twice is harmless."""
    if not recommendations and not demo:
        typer.echo("error: say what to load, e.g. --recommendations or --demo", err=True)
        raise typer.Exit(2)
    if demo:
        from service.ops.import_export import run_demo

        if code := run_demo(run_with_session, scale, typer.echo):
            raise typer.Exit(code)
    if not recommendations:
        return
    from service.ops.seed.recommendations import RECOMMENDATIONS, REPORT_NUMBER, load_recommendations

    added = run_with_session(load_recommendations)
    typer.echo(f"{REPORT_NUMBER}: added {added} of {len(RECOMMENDATIONS)} recommendations")


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .ndjson file")],
    resource: Annotated[str, typer.Option(help="The collection: activities, postings, posts, ...")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv or ndjson (default: by extension)")] = None,
) -> None:
    """Create every record in FILE, or none (one transaction, audited as the admin actor "cli")."""
    from service.ops.import_export import run_import

    raise typer.Exit(run_import(run_with_session, file, resource, fmt, typer.echo))


@app.command("export")
def export_file(
    resource: Annotated[str, typer.Argument(help="The collection: activities, postings, posts, ...")],
    fmt: Annotated[str, typer.Option("--format", help="csv or ndjson")] = "csv",
    output: Annotated[Path | None, typer.Option(help="Write here instead of standard output")] = None,
    include_archived: Annotated[bool, typer.Option(help="Also archived records")] = False,
) -> None:
    """Write every record of RESOURCE as CSV or NDJSON, streamed (as GET .../export does)."""
    from service.ops.import_export import run_export

    if fmt not in ("csv", "ndjson"):
        raise typer.BadParameter("--format must be csv or ndjson")
    raise typer.Exit(run_export(run_with_session, resource, fmt, include_archived, output, typer.echo))


@app.command()
def deadlines(
    within_days: Annotated[int, typer.Option(min=0, max=3650, help="Due within N days; overdue always")] = 90,
    component: Annotated[list[str] | None, typer.Option(help="Owning component; repeat for OR")] = None,
) -> None:
    """Print what comes due, soonest first, as GET /api/v1/deadlines lists it (every record)."""
    from service.ops.deadlines import run_deadlines

    raise typer.Exit(run_deadlines(run_with_session, within_days, component or [], typer.echo))


@app.command()
def smoke(
    base_url: Annotated[
        str, typer.Option(help="Where the API answers", envvar="OIA_BASE_URL")
    ] = "http://127.0.0.1:8000",
    key: Annotated[str, typer.Option(help="An admin key", envvar="OIA_SMOKE_KEY")] = "",
) -> None:
    """Create, read, list, update and archive one record of each resource over HTTP; exit 1 on a failure."""
    from service.ops.smoke import run_smoke

    if not key.strip():
        typer.echo("error: --key (or OIA_SMOKE_KEY) is empty; see `oia keys create --help`", err=True)
        raise typer.Exit(2)
    raise typer.Exit(run_smoke(base_url, key.strip(), out=typer.echo))


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="admin, editor or reader")],
    name: Annotated[str, typer.Option(help="Who or what uses the key")],
    component: Annotated[
        str | None, typer.Option(help="The component an editor writes for (required for editors)")
    ] = None,
    clearance: Annotated[
        Sensitivity | None,
        typer.Option(help="The most sensitive marking it may read (default: les for admin, else sbu)"),
    ] = None,
    expires_in: Annotated[
        float | None, typer.Option("--expires-in", help="Days until it stops working (fractions allowed)")
    ] = None,
) -> None:
    """Make a key; it is printed once, alone on the last line, and stored only as a hash."""
    from service.ops.keys import create_key

    if not name.strip() or len(name) > 100:
        raise typer.BadParameter("--name must be 1 to 100 characters")
    try:
        key_id, key = run_with_session(
            lambda s: create_key(
                s, name=name, role=role, component=component, clearance=clearance, expires_in_days=expires_in
            )
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created {role.value} key {key_id} ({name}); it will not be shown again:")
    typer.echo(key)


@keys_app.command("list")
def keys_list(
    as_json: Annotated[bool, typer.Option("--json", help="A JSON array instead of a table")] = False,
) -> None:
    """List keys (never the keys themselves)."""
    from service.ops.keys import list_keys

    rows = run_with_session(list_keys)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        if not row["revoked_at"] and row["expires_at"]:
            state += f", expires {row['expires_at']}"
        where = f"{row['role']:<6} {row['component'] or '-':<8} {row['clearance']:<6}"
        typer.echo(f"{row['id']}  {where} {row['name']}  ({state})")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id")]) -> None:
    """Revoke a key; API processes stop accepting it within AUTH_CACHE_SECONDS."""
    from service.ops.keys import revoke_key

    try:
        parsed = uuid.UUID(key_id)
    except ValueError as exc:
        typer.echo(f"error: {key_id!r} is not a key id", err=True)
        raise typer.Exit(2) from exc
    if not run_with_session(lambda s: revoke_key(s, parsed)):
        typer.echo(f"error: no active key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


if __name__ == "__main__":
    app()
