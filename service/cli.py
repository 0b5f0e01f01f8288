"""The `oia` command: serve, migrate, keys (and, later, seed and bulk data)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from service.config import get_settings
from service.dashboard.settings import SECRET_ENV, get_dashboard_settings
from service.ops.keys_cli import keys_app
from service.ops.runner import configured_url, run_with_session

app = typer.Typer(
    help="OIA Registry: the system of record for DHS international activities.",
    no_args_is_help=True,
)
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
    worker: Annotated[bool, typer.Option(help="Run a webhook dispatcher in-process")] = True,
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
    os.environ["OIA_IN_PROCESS_WORKER"] = "1" if worker else "0"  # read by the app's lifespan
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


@app.command("worker")
def worker_command() -> None:
    """Run a webhook dispatcher alone (any number may run beside `oia serve`)."""
    import asyncio

    from service.webhooks.worker import run_worker

    asyncio.run(run_worker())


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
    mode: Annotated[str, typer.Option(help="create, or upsert: replace records whose key exists")] = "create",
) -> None:
    """Create (or upsert) every record in FILE, or none (one transaction, audited as the admin "cli")."""
    from service.ops.import_export import run_import

    raise typer.Exit(run_import(run_with_session, file, resource, fmt, typer.echo, mode))


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


if __name__ == "__main__":
    app()
