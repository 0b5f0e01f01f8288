"""Coordination views: footprint, country profiles, overlaps, recommendation summary, goal coverage."""
