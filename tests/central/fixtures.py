"""Backend fixtures for every central test (a pytest plugin, loaded by tests/conftest.py).

* `pg_server` (session): one real PostgreSQL server for the whole run, started only if a test
  asks for the PostgreSQL backend.
* `backend`: "sqlite" or "postgresql" — a test taking it (directly or through `make_database`,
  `central_database` or the sync `server` fixture) runs once on each.
* `make_database(data_dir)`: a fresh, empty central database of the test's backend (SQLite:
  DATA_DIR/central.db; PostgreSQL: a new database on the session's server, dropped afterwards).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from inspector.central.storage import Database
from tests.central.pg import PgServer

BACKENDS = ("sqlite", "postgresql")
DatabaseFactory = Callable[[Path], Database]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def database_factory(backend: str, request: pytest.FixtureRequest) -> Iterator[DatabaseFactory]:
    """The body of `make_database` (also used by module-scoped overrides, e.g. tests/console)."""
    created: list[str] = []
    pg: PgServer | None = request.getfixturevalue("pg_server") if backend == "postgresql" else None

    def make(data_dir: Path) -> Database:
        if pg is None:
            return Database.of(None, data_dir)
        url = pg.create_database()
        created.append(url)
        return Database(url=url)

    yield make
    if pg is not None:
        for url in created:
            pg.drop_database(url)


@pytest.fixture
def make_database(backend: str, request: pytest.FixtureRequest) -> Iterator[DatabaseFactory]:
    yield from database_factory(backend, request)


@pytest.fixture
def central_database(make_database: DatabaseFactory, tmp_path: Path) -> Database:
    """The database of the test's server at tmp_path/server."""
    return make_database(tmp_path / "server")
