"""How stale a standby is, in seconds, from the primary's recent WAL positions.

`now() - pg_last_xact_replay_timestamp()` on the standby is the usual measure and the wrong one
here: it grows while the primary is idle, flagging a caught-up standby as lagging, and it says
nothing about WAL the standby has not even received. Instead the router samples the primary's
flush LSN every health tick and remembers when the primary was where. A standby that has replayed
position R has everything the primary had at any sampled moment whose LSN was <= R, so its data is
at least as fresh as the newest such moment: staleness <= now - that moment. The bound is exact to
one sampling interval, is zero-ish for an idle primary, and grows for a paused or cut-off standby
as soon as the primary writes anything a standby lacks (if the primary writes nothing, a
disconnected standby is not stale).
"""

from __future__ import annotations

from collections import deque


class PrimaryTimeline:
    """Recent (monotonic time, flush LSN) samples of the primary."""

    def __init__(self, retention_seconds: float) -> None:
        self._retention = retention_seconds
        self._samples: deque[tuple[float, int]] = deque()

    def record(self, at: float, lsn: int) -> None:
        if self._samples and lsn < self._samples[-1][1]:
            # The primary is now a node that is behind the old one (an asynchronous standby was
            # promoted and lost the tail): old positions no longer describe this history.
            self._samples.clear()
        self._samples.append((at, lsn))
        while len(self._samples) > 2 and self._samples[1][0] < at - self._retention:
            self._samples.popleft()  # keep one sample older than the window as the floor

    @property
    def latest(self) -> tuple[float, int] | None:
        return self._samples[-1] if self._samples else None

    def fresh_as_of(self, replayed: int) -> float | None:
        """The newest sampled moment whose primary state `replayed` fully contains (None: older
        than everything remembered, or nothing sampled yet)."""
        for at, lsn in reversed(self._samples):
            if lsn <= replayed:
                return at
        return None

    def lag_seconds(self, replayed: int, measured_at: float) -> float | None:
        """The staleness estimate to report: interpolated between the samples around `replayed`
        (the bound from fresh_as_of can overstate a standby a few milliseconds behind under
        steady writes by a whole interval). None if there is nothing to compare with."""
        if not self._samples:
            return None
        newest_lsn = self._samples[-1][1]
        if replayed >= newest_lsn:
            return 0.0
        later: tuple[float, int] | None = None
        for at, lsn in reversed(self._samples):
            if lsn <= replayed:
                assert later is not None
                share = (replayed - lsn) / (later[1] - lsn)
                passed_at = at + share * (later[0] - at)  # when the primary passed `replayed`
                return max(0.0, measured_at - passed_at)
            later = (at, lsn)
        return max(0.0, measured_at - self._samples[0][0])  # at least this old
