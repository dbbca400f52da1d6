"""Fixtures for the sync tests: a live server on loopback, devices, clocks, seeded randomness."""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inspector.central.storage import Database
from inspector.clock import Clock
from inspector.workspace import Workspace
from tests.sync.harness import LiveServer

DeviceFactory = Callable[..., Workspace]


class ShiftClock:
    """The system clock plus an adjustable offset (a laptop with a wrong clock, token expiry)."""

    def __init__(self, offset: timedelta = timedelta()) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def server_clock() -> ShiftClock:
    return ShiftClock()


@pytest.fixture
def server(tmp_path: Path, server_clock: ShiftClock, central_database: Database) -> Iterator[LiveServer]:
    """A live server on the test's backend (every test using it runs on SQLite and PostgreSQL)."""
    with LiveServer(tmp_path / "server", clock=server_clock, database=central_database) as live:
        yield live


@pytest.fixture
def make_device(tmp_path: Path) -> Iterator[DeviceFactory]:
    opened: list[Workspace] = []

    def make(name: str = "device", clock: Clock | None = None) -> Workspace:
        ws = Workspace.open(tmp_path / name, clock=clock)
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()


@pytest.fixture
def rng() -> random.Random:
    """Seeded randomness; the seed is printed (shown on failure) and can be replayed with SYNC_SEED."""
    seed = int(os.environ.get("SYNC_SEED") or random.randrange(2**32))
    print(f"random seed: {seed} (replay with SYNC_SEED={seed})")
    return random.Random(seed)
