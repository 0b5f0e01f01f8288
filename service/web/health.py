"""Liveness and readiness probes (open, no key)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from service.replication.queries import NODE_STATE
from service.replication.report import NodeReport
from service.replication.wiring import replication_report
from service.web.problems import problem_response

router = APIRouter(prefix="/health", tags=["health"])

# The newest migration, read from the scripts shipped with the service.
_ALEMBIC_DIR = Path(__file__).resolve().parents[2] / "alembic"


class HealthStatus(BaseModel):
    status: str
    database: str | None = None
    migration: str | None = None
    replication: list[NodeReport] | None = Field(
        default=None,
        description="Each database node: its role (primary or standby), whether it serves reads, and how far "
        "behind the primary it is (a standby down or lagging past REPLICA_MAX_LAG_SECONDS is skipped)",
    )


# The schema's revision, and the primary's own line of the replication report, in one round trip.
READY_SQL = f"""
SELECT version_num, n.in_recovery, n.position AS lsn, n.server
FROM alembic_version, ({NODE_STATE}) AS n
"""


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(_ALEMBIC_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    return head or ""


@router.get("/live", response_model=HealthStatus, operation_id="health_live")
async def live() -> HealthStatus:
    """The process answers; touches nothing else."""
    return HealthStatus(status="ok")


@router.get(
    "/ready",
    response_model=HealthStatus,
    operation_id="health_ready",
    responses={503: {"description": "Database unreachable or migrations not at head"}},
)
async def ready(request: Request) -> JSONResponse:
    """The database answers within 2 s and its schema is at the newest migration."""
    maker = request.app.state.sessionmaker
    try:
        async with maker() as session:
            await session.execute(text("SET LOCAL statement_timeout = 2000"))
            row = (await session.execute(text(READY_SQL))).one()
            current = row.version_num
    except Exception:
        return problem_response(
            request,
            503,
            "Service Unavailable",
            "not-ready",
            "The database is unreachable.",
            headers={"Retry-After": "5"},
        )
    expected = request.app.state.head_revision
    if current != expected:
        return problem_response(
            request,
            503,
            "Service Unavailable",
            "not-ready",
            f"Migrations are not at head (database {current}, code {expected}); run `oia migrate`.",
            headers={"Retry-After": "5"},
        )
    # A standby down or lagging does not make the service unready: its reads go to the primary. No
    # I/O here beyond the query above: the standbys' state is the health loop's.
    nodes = [n.as_dict() for n in replication_report(request.app, row.in_recovery, row.lsn, row.server)]
    return JSONResponse({"status": "ok", "database": "ok", "migration": current, "replication": nodes})
