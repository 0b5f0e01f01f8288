"""Webhook settings read from the environment (WEBHOOK_ALLOW_HOSTS, WEBHOOK_RETRY_BASE_SECONDS, ...)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.webhooks.addresses import normalise_host
from service.webhooks.backoff import RetryPolicy
from service.webhooks.secret_box import SecretBox
from service.webhooks.transport import WebhookSender
from service.webhooks.url_policy import UrlPolicy


class WebhookSettings(BaseSettings):
    """Kept apart from service.config so the webhooks package stays self-contained; same env file."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Hosts (names or IP literals, comma-separated) exempt from the private-address check and allowed
    # plain http: on-premises receivers and the tests' local receiver (127.0.0.1).
    webhook_allow_hosts: str = ""
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    # One wait never exceeds this, so a receiver that comes back is tried again within the hour.
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(default=86_400.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_response_max_bytes: int = Field(default=4096, ge=0, le=65_536)
    # A subscription whose every attempt failed for this long is paused (active: false).
    webhook_disable_after_seconds: float = Field(default=86_400.0, gt=0)
    # How often a dispatcher looks for new audit entries and due deliveries (latency vs. idle load).
    webhook_poll_seconds: float = Field(default=0.2, gt=0, le=60)
    # Deliveries one dispatcher claims and sends at once.
    webhook_batch_size: int = Field(default=50, ge=1, le=1000)
    # Fernet keys (comma-separated; the first encrypts, all decrypt) for the signing secrets at rest.
    webhook_secret_key: SecretStr | None = None

    @property
    def allow_hosts(self) -> frozenset[str]:
        """The allow-list as normalised host names."""
        return frozenset(normalise_host(h) for h in self.webhook_allow_hosts.split(",") if h.strip())

    def url_policy(self) -> UrlPolicy:
        """The subscribe-time and per-delivery URL rules."""
        return UrlPolicy(allow_hosts=self.allow_hosts)

    def sender(self) -> WebhookSender:
        """The HTTP sender (one per process; it holds the TLS context)."""
        return WebhookSender(
            self.url_policy(),
            timeout=self.webhook_timeout_seconds,
            max_response_bytes=self.webhook_response_max_bytes,
        )

    def retry_policy(self) -> RetryPolicy:
        """The retry schedule."""
        return RetryPolicy(
            base_seconds=self.webhook_retry_base_seconds,
            max_seconds=max(self.webhook_retry_max_seconds, self.webhook_retry_base_seconds),
            window_seconds=self.webhook_retry_window_seconds,
        )

    def secret_box(self) -> SecretBox:
        """Seals and opens stored signing secrets; SecretKeyError when WEBHOOK_SECRET_KEY is unset."""
        key = self.webhook_secret_key.get_secret_value() if self.webhook_secret_key else ""
        return SecretBox.from_setting(key)


@lru_cache
def get_webhook_settings() -> WebhookSettings:
    """The process-wide webhook settings, read once."""
    return WebhookSettings()
