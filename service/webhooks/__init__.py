"""Webhooks: subscriptions, signed deliveries and the dispatcher that sends them (see API.md, "Webhooks")."""
