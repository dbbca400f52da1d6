"""Time: one injectable clock, so tests and the crash harness can control it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: datetime, step: timedelta = timedelta(seconds=1)) -> None:
        self._now = start
        self._step = step

    def now(self) -> datetime:
        value = self._now
        self._now += self._step
        return value


def to_rfc3339(moment: datetime) -> str:
    """UTC RFC 3339 with milliseconds, e.g. 2026-11-22T03:04:05.123Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
