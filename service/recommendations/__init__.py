"""Recommendations of the Inspector General (and GAO) and their append-only status updates."""
