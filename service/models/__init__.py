"""All tables, imported in one place so Alembic sees the whole metadata."""

from service.models.activities import Activity
from service.models.base import Base
from service.models.postings import Posting
from service.models.recommendations import Recommendation, RecommendationUpdate
from service.models.reference import Component, Post, StrategicGoal
from service.models.system import ApiKey, AuditEntry, IdempotencyRecord, OverlapMark, ServiceSecret
from service.models.trips import Trip
from service.models.webhooks import WebhookCursor, WebhookDelivery, WebhookSubscription

__all__ = [
    "Activity",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Component",
    "IdempotencyRecord",
    "OverlapMark",
    "Post",
    "Posting",
    "Recommendation",
    "RecommendationUpdate",
    "ServiceSecret",
    "StrategicGoal",
    "Trip",
    "WebhookCursor",
    "WebhookDelivery",
    "WebhookSubscription",
]
