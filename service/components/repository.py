"""Component SQL: successor checks and the list's filters."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.components.params import ComponentParams
from service.components.schemas import ComponentCreate, ComponentPatch, ComponentRead
from service.errors import invalid
from service.models import Component
from service.records.params import CollectionParams
from service.records.references import check_components
from service.records.spec import ResourceSpec, Row
from service.records.store import RecordStore, Where


class ComponentStore(RecordStore):
    spec = ResourceSpec(
        name="components",
        table=Component.__table__,
        key="code",
        unique_label="a component with this code",
        sortable=("code", "name", "updated_at"),
        archivable=False,  # components retire (active=false), they are never archived
    )
    read_model = ComponentRead
    create_model = ComponentCreate
    patch_model = ComponentPatch
    params = ComponentParams
    default_sort = "code"
    singular = "component"
    list_doc = "List DHS components, sorted by code unless asked otherwise (code, name, updated_at)."

    async def check_references(self, session: AsyncSession, values: Row, current: Row | None) -> None:
        successor = values["successor_code"]
        if successor is None:
            return
        if successor == values["code"]:
            raise invalid(["body", "successor_code"], "a component cannot succeed itself")
        await check_components(
            session,
            "successor_code",
            [successor],
            scalar=True,
            allow_retired=frozenset([successor]),
        )

    async def where(self, session: AsyncSession, params: CollectionParams) -> Where:
        assert isinstance(params, ComponentParams)
        where = await super().where(session, params)
        if params.active is not None:
            where.append(self.spec.table.c.active.is_(params.active))
        return where


store = ComponentStore()
