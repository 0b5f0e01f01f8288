"""What the import's speed-ups must not change: the COPYed rows, the audit rows and their order."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.activities.schemas import ActivityCreate
from service.bulk.settings import get_bulk_settings
from service.bulk.writer import _json_value, jsonb_text
from service.models import Activity, AuditEntry
from tests.conftest import Keys
from tests.factories import activity

URL = "/api/v1/activities/import"
NDJSON = {"Content-Type": "application/x-ndjson"}


def test_partners_are_written_as_the_json_they_were_written_as_before() -> None:
    partners = [
        {"name": "Agencia Nacional de Aduanas de México", "country": "MX", "partner_type": "customs"},
        {"name": 'Police "national"', "country": "GT", "partner_type": "law_enforcement"},
    ]
    values = dict(ActivityCreate.model_validate(activity(foreign_partners=partners)))
    text = jsonb_text(values["foreign_partners"])
    assert json.loads(text) == json.loads(json.dumps(values["foreign_partners"], default=_json_value))
    assert json.loads(text) == partners
    assert json.loads(jsonb_text([])) == []
    assert json.loads(jsonb_text([{"a": uuid.UUID(int=1)}])) == [{"a": str(uuid.UUID(int=1))}]


async def test_many_chunks_keep_file_order_in_the_feed_and_one_audit_row_each(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows are COPYed chunk by chunk while the next chunk is validated; the audit rows still come
    out one per record, in file order, with the changes of a single create."""
    monkeypatch.setattr(get_bulk_settings(), "import_chunk_rows", 7)
    partners = [{"name": "Aduanas", "country": "MX", "partner_type": "customs"}]
    rows = [activity(foreign_partners=partners if n % 3 == 0 else []) for n in range(40)]
    response = await client.post(
        URL, content="".join(json.dumps(r) + "\n" for r in rows).encode(), headers={**keys["cbp"], **NDJSON}
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"imported": 40, "created": 40, "updated": 0, "unchanged": 0}

    identifiers = [r["identifier"] for r in rows]
    stored = {
        row.identifier: row
        for row in (
            await session.execute(select(Activity).where(Activity.identifier.in_(identifiers)))
        ).scalars()
    }
    assert len(stored) == 40
    ids = [str(stored[i].id) for i in identifiers]
    audits = (
        await session.execute(
            select(AuditEntry).where(AuditEntry.record_id.in_(ids)).order_by(AuditEntry.seq)
        )
    ).scalars()
    entries: list[Any] = list(audits)
    assert [e.record_id for e in entries] == ids
    assert all(e.action == "create" and e.version == 1 for e in entries)
    assert entries[0].changes["foreign_partners"] == {"before": None, "after": partners}
    assert entries[1].changes["foreign_partners"] == {"before": None, "after": []}
    assert stored[identifiers[0]].foreign_partners == partners
