"""Building blocks for resource schemas: strict input models, the fields every record reads back
with, merge-patch models derived from create models, and list checks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Optional, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from service.schemas.types import Timestamp

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Unknown fields are a 422: no mass assignment of id, version, audit fields..."""

    model_config = ConfigDict(extra="forbid")


class RecordMeta(BaseModel):
    """Server-owned fields every record carries; clients can read them, never set them."""

    version: int
    created_at: Timestamp
    updated_at: Timestamp
    created_by: str
    updated_by: str


class ArchivedMeta(BaseModel):
    archived_at: Timestamp | None


def partial(model: type[M], name: str, validators: dict[str, Any] | None = None) -> type[BaseModel]:
    """A merge-patch model: every field of `model` optional; absent = keep, null = clear."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        inner = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        fields[field_name] = (Optional[inner], None)  # noqa: UP045 - built at runtime
    config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_patch_example(model)]})
    return create_model(name, __config__=config, __validators__=validators, **fields)


def _hinted(error: Any, hints: dict[str, str]) -> bool:
    loc = error.get("loc") or ()
    return error.get("type") == "extra_forbidden" and len(loc) == 1 and loc[0] in hints


def _explained(error: Any, hints: dict[str, str]) -> Any:
    return (
        PydanticCustomError("read_only", hints[error["loc"][0]]) if _hinted(error, hints) else error["type"]
    )


def explain_read_only(hints: dict[str, str]) -> Any:
    """A model validator: "Extra inputs are not permitted" for one of these fields says instead how the
    field does change (a recommendation's `status` moves only through its /updates)."""

    def explain(cls: type[BaseModel], data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            errors = exc.errors()
            if not any(_hinted(e, hints) for e in errors):
                raise
            details = [
                InitErrorDetails(
                    type=_explained(e, hints), loc=e["loc"], input=e["input"], ctx=e.get("ctx", {})
                )
                for e in errors
            ]
            try:
                explained = ValidationError.from_exception_data(exc.title, details)
            except (KeyError, TypeError, ValueError):
                raise exc from None  # an error type pydantic cannot rebuild: the plain message
            raise explained from None

    return model_validator(mode="wrap")(explain)


def _patch_example(model: type[BaseModel]) -> dict[str, Any]:
    """A merge patch changing two fields of the create model's own example (or its first field)."""
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    if isinstance(examples, list) and examples and isinstance(examples[0], dict):
        return dict(list(examples[0].items())[1:3])
    from_fields = {name: info.examples[0] for name, info in model.model_fields.items() if info.examples}
    return dict(list(from_fields.items())[:2])


def ensure_unique(values: list[Any] | None, field: str) -> None:
    if values and len(set(values)) != len(values):
        raise ValueError(f"{field} lists a value twice")


def _unique(value: list[Any], info: ValidationInfo) -> list[Any]:
    ensure_unique(value, str(info.field_name))
    return value


def no_repeats(*fields: str) -> Any:
    """A validator for list fields that may not name one value twice (422 at the field)."""
    return field_validator(*fields)(_unique)


__all__ = [
    "ArchivedMeta",
    "RecordMeta",
    "StrictModel",
    "datetime",
    "ensure_unique",
    "explain_read_only",
    "no_repeats",
    "partial",
]
