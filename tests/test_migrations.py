"""Migrations are the only source of the schema: head matches the models, and down/up round-trips."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config

from tests.support.database import ROOT, fresh_database, migrate


@pytest.fixture
def scratch_url() -> Iterator[str]:
    with fresh_database("oia_migr", migrated=False) as url:
        yield url


def test_upgrade_check_downgrade_upgrade(scratch_url: str) -> None:
    migrate(scratch_url)
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["database_url"] = scratch_url
    config.attributes["configure_logger"] = False
    command.check(config)  # raises if the models and the migrated schema differ
    migrate(scratch_url, "base", "downgrade")
    migrate(scratch_url)
    command.check(config)
