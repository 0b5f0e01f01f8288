"""When to try a failed delivery again: exponential backoff with jitter, within the 24 h retry window."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

_SYSTEM_RANDOM = random.SystemRandom()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Nominal wait `base * 2**(n-1)` after the n-th failed attempt, capped, spread by +-`jitter`."""

    base_seconds: float = 5.0
    max_seconds: float = 3600.0
    window_seconds: float = 86_400.0
    # Proportional jitter around the nominal wait: the first retry is "about base", the mean schedule
    # still doubles, and deliveries that failed together (one receiver outage) come back spread out.
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if not (0 < self.base_seconds <= self.max_seconds) or not 0 <= self.jitter < 1:
            raise ValueError("need 0 < base_seconds <= max_seconds and 0 <= jitter < 1")

    def nominal_delay(self, failed_attempts: int) -> float:
        """The wait before the next attempt after `failed_attempts` (>= 1) failures, before jitter."""
        if failed_attempts < 1:
            raise ValueError("failed_attempts starts at 1")
        # 2**64 * base exceeds any cap; stopping there keeps the arithmetic in float range.
        return min(self.max_seconds, self.base_seconds * 2.0 ** min(failed_attempts - 1, 64))

    def delay(self, failed_attempts: int, rng: random.Random | None = None) -> float:
        """The jittered wait, uniform in nominal * [1 - jitter, 1 + jitter]."""
        nominal = self.nominal_delay(failed_attempts)
        spread = (rng or _SYSTEM_RANDOM).uniform(-self.jitter, self.jitter)
        return nominal * (1.0 + spread)

    def deadline(self, created_at: datetime) -> datetime:
        """After this instant a delivery is not tried again: it is `failed`."""
        return created_at + timedelta(seconds=self.window_seconds)

    def next_attempt_at(
        self,
        created_at: datetime,
        failed_attempts: int,
        now: datetime,
        rng: random.Random | None = None,
    ) -> datetime | None:
        """When to try again, or None when the window is over (the delivery becomes `failed`).

        A wait that would overshoot the window is cut to end at the deadline, so the last try
        happens at the 24 h mark rather than hours before it.
        """
        deadline = self.deadline(created_at)
        if now >= deadline:
            return None
        return min(now + timedelta(seconds=self.delay(failed_attempts, rng)), deadline)
