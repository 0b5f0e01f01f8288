"""Component schemas: the DHS organizations that own records."""

from __future__ import annotations

from pydantic import Field

from service.schemas.base import RecordMeta, StrictModel, partial
from service.schemas.types import ComponentCode, Flag, Text


class ComponentCreate(StrictModel):
    """A DHS component; a retired one names its successor."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "code": "NPPD",
                    "name": "National Protection and Programs Directorate",
                    "active": False,
                    "successor_code": "CISA",
                }
            ]
        }
    }

    code: ComponentCode
    name: Text(200, 1)
    active: Flag = True
    successor_code: ComponentCode | None = Field(
        default=None, description="For a retired component: where its work went"
    )


ComponentPatch = partial(ComponentCreate, "ComponentPatch")


class ComponentRead(RecordMeta, ComponentCreate):
    model_config = {"extra": "ignore"}
