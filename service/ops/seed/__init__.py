"""Data an admin may load with `oia seed`: reference-like records that are not reference data
(those ship in migrations), loaded idempotently through the same audited write path as the API."""
