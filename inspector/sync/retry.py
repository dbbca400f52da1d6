"""One retry policy for every sync step that talks to the server (tenacity).

A transient failure (network, 5xx, a busy upload) is retried with exponential back-off and
jitter; a refusal is not. Every wait is `cancel.wait(delay)`: pressing "Dừng" ends a wait at
once (`SyncCancelled`), never after the back-off ran out. tenacity rather than our own loop: it
is small, widely used, and takes the sleep function as a parameter, which is exactly what a
cancellable wait needs (stamina's waits cannot be replaced per call outside its test mode).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from inspector.sync.progress import SyncCancelled

T = TypeVar("T")


def wait_or_cancel(cancel: threading.Event | None, seconds: float) -> None:
    """Sleep `seconds`, or end at once with `SyncCancelled` when `cancel` is set."""
    if cancel is None:
        threading.Event().wait(seconds)
    elif cancel.wait(seconds) or cancel.is_set():
        raise SyncCancelled()


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries in all (the first one included)
    initial_s: float = 0.5  # the first wait; it doubles each time, with up to `jitter_s` added
    max_s: float = 30.0
    jitter_s: float = 0.25

    def call(self, fn: Callable[[int], T], *, retry_if: Callable[[BaseException], bool],
             cancel: threading.Event | None = None) -> T:
        """`fn(attempt)` (1, 2, …) until it returns, raises something `retry_if` refuses, or the
        attempts run out (the last error is raised as it is)."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(max(1, self.attempts)),
            wait=tenacity.wait_exponential_jitter(multiplier=self.initial_s, max=self.max_s, jitter=self.jitter_s),
            retry=tenacity.retry_if_exception(lambda exc: not isinstance(exc, SyncCancelled) and retry_if(exc)),
            sleep=lambda seconds: wait_or_cancel(cancel, seconds), reraise=True)
        for attempt in retrying:
            with attempt:
                return fn(attempt.retry_state.attempt_number)
        raise AssertionError("unreachable")  # tenacity either returned or raised
