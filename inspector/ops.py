"""How work reaches the core: read operations, write operations and what a write changed.

The desktop app runs every read on a pool of threads whose connections are opened with
`PRAGMA query_only=ON`, and every write on one writer thread that does the database
transaction and nothing else. Long work (render a PDF, sign, timestamp, talk to the network)
runs as a read on the pool and hands its short database step to a `Committer`, which runs
it on the writer and returns its result. The CLI runs everything inline on one thread.

A write's `Changes` (see `inspector.changes`) are read back from the event log it appended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from inspector.changes import NOTHING, Changes, changes_since, log_position

if TYPE_CHECKING:
    from inspector.workspace import Services

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A committed write: the domain value the service returned and what the commit changed."""

    value: T
    changes: Changes = field(default=NOTHING)


class Committer(Protocol):
    """Runs a short database step on the one writer and returns its result.

    Long operations running on the read pool receive one, so their writes never happen on a
    read-only connection and never wait behind (or hold up) anything but other short writes.
    """

    def __call__(self, fn: Callable[[Services], T], /) -> T: ...


def run_write(services: Services, fn: Callable[[Services], T]) -> Outcome[T]:
    """Run one write on `services` (the writer's) and read back what it changed."""
    conn = services.ctx.store.conn
    start = log_position(conn)
    services.ctx.take_touched()
    value = fn(services)
    return Outcome(value, changes_since(conn, start) | services.ctx.take_touched())


def inline_committer(services: Services) -> Committer:
    """The CLI's committer: one thread, so a write runs right where it is asked for."""

    class _Inline:
        def __call__(self, fn: Callable[[Services], T], /) -> T:
            return fn(services)

    return _Inline()
