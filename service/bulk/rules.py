"""Which resources the import checks set-based, and their per-row rules.

A resource's `check_references` is the single-record truth. For the resources that are imported by
the hundred thousand (activities, postings) the import replaces it with set-based reference checks
(service.bulk.checks) plus the store's own synchronous rules below; every other resource
(reference data, recommendations: admin-only and small) is checked by calling its
`check_references` for each row, so nothing it does is skipped.
"""

from __future__ import annotations

from collections.abc import Callable

from service.records import Row
from service.store import RecordStore


def _no_rule(values: Row) -> None:
    """Activities: check_references does nothing but look references up."""


def _posting_rule(values: Row) -> None:
    from service.postings.repository import check_nsdd38

    check_nsdd38(values)


# resource -> the synchronous part of its store's check_references.
SET_CHECKED: dict[str, Callable[[Row], None]] = {
    "activities": _no_rule,
    "postings": _posting_rule,
}


def uses_set_checks(store: RecordStore) -> bool:
    return store.spec.name in SET_CHECKED


def row_rule(store: RecordStore) -> Callable[[Row], None]:
    return SET_CHECKED.get(store.spec.name, _no_rule)
