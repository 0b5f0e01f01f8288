"""Postings: positions DHS holds abroad (never the people in them)."""
