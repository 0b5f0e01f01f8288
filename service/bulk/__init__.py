"""Bulk data: streamed export (CSV / NDJSON) and all-or-nothing import through PostgreSQL's fast paths."""
