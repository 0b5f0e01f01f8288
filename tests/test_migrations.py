"""Migrations are the only source of the schema: head matches the models, and down/up round-trips."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from tests.conftest import ROOT, _admin, migrate, server_url


@pytest.fixture
def scratch_url() -> Iterator[str]:
    server = server_url()
    name = f"oia_migr_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_upgrade_check_downgrade_upgrade(scratch_url: str) -> None:
    migrate(scratch_url)
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = scratch_url
    config.attributes["configure_logger"] = False
    command.check(config)  # raises if the models and the migrated schema differ
    migrate(scratch_url, "base", "downgrade")
    migrate(scratch_url)
    command.check(config)
