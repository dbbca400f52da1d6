"""A PostgreSQL connection with sqlite3's calling style, so the store's SQL runs unchanged.

`PgConnection.execute(sql, params)` takes SQLite-dialect SQL with `?` placeholders (translated
once per statement by `dialect.translate`) and returns a cursor whose rows are tuples, like
sqlite3's; `executemany`, `in_transaction`, `total_changes` and `close` behave the same. Driver
errors are raised as the standard library's `sqlite3` error classes (IntegrityError,
OperationalError, DatabaseError), so every `except IntegrityErrors` in the store keeps working.

Transactions stay explicit (the connection is in autocommit mode and the store says BEGIN and
COMMIT itself, as with `isolation_level=None`):

* `BEGIN IMMEDIATE` (every write transaction, `Store.transaction`) becomes `BEGIN` plus a
  transaction-scoped advisory lock (`WRITE_LOCK`): writers are serialised across every server
  process exactly as SQLite serialises them, so read-then-write code stays correct.
* a plain `BEGIN` (a read snapshot) becomes `BEGIN ISOLATION LEVEL REPEATABLE READ`: several
  queries see one committed state, as in SQLite's WAL mode.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.pq import TransactionStatus

from inspector.central.storage.dialect import translate

WRITE_LOCK = 0x1A5EC7  # pg_advisory_xact_lock key of the central store's single-writer lock
MIGRATE_LOCK = 0x1A5EC8  # held while a process migrates the schema

_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE")
_IN_TRANSACTION = (TransactionStatus.INTRANS, TransactionStatus.INERROR, TransactionStatus.ACTIVE)


class _NumericLoader(Loader):
    """sum() and avg() of integers are NUMERIC in PostgreSQL; the store expects int (or float)."""

    def load(self, data: Any) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


class _BoolDumper(Dumper):
    """Python bools as an untyped '1'/'0': SQLite stores booleans as integers, and an untyped
    literal is read as whatever the context wants (an INTEGER column, or `OR ?`)."""

    oid = 0

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


def _sqlite_error(exc: psycopg.Error) -> sqlite3.Error:
    message = str(exc).strip() or type(exc).__name__
    if isinstance(exc, psycopg.IntegrityError):
        return sqlite3.IntegrityError(message)
    if isinstance(exc, psycopg.DataError) and "NUL" in message:
        # PostgreSQL text cannot hold U+0000 (SQLite can): data carrying it is refused as
        # invalid, like a constraint violation (the push or import is refused, nothing stored)
        return sqlite3.IntegrityError(message)
    if isinstance(exc, psycopg.OperationalError | psycopg.errors.LockNotAvailable):
        return sqlite3.OperationalError(message)
    if isinstance(exc, psycopg.ProgrammingError | psycopg.errors.SyntaxError):
        return sqlite3.OperationalError(message)
    return sqlite3.DatabaseError(message)


def _params(params: Sequence[Any] | dict[str, Any], named: bool) -> Sequence[Any] | dict[str, Any]:
    if isinstance(params, dict):
        return params
    if named:
        return {f"p{i}": v for i, v in enumerate(params, start=1)}
    return params


class PgConnection:
    """One PostgreSQL session, used from one thread at a time (like a sqlite3 connection)."""

    def __init__(self, conninfo: str, *, read_only: bool = False, application: str = "inspector-central") -> None:
        self.conninfo = conninfo
        self.application = application
        self.read_only = read_only
        self.total_changes = 0  # rows changed by INSERT/UPDATE/DELETE through this connection
        self.raw = self._connect()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            raw = psycopg.connect(self.conninfo, autocommit=True, application_name=self.application,
                                  connect_timeout=10)
            raw.adapters.register_loader("numeric", _NumericLoader)
            raw.adapters.register_dumper(bool, _BoolDumper)
            if self.read_only:
                raw.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        except psycopg.Error as exc:
            raise _sqlite_error(exc) from exc
        return raw

    def _alive(self) -> None:
        """A connection the server dropped (restart, fail-over) is replaced before the next
        statement outside a transaction; the statement that met the break has already failed,
        so no transaction is ever continued on a new connection."""
        if self.raw.broken or self.raw.closed:
            with contextlib.suppress(Exception):
                self.raw.close()
            self.raw = self._connect()

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status in _IN_TRANSACTION

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> psycopg.Cursor[Any]:
        word = sql.lstrip()[:16].upper()
        if word.startswith("BEGIN") or (not self.in_transaction and (self.raw.broken or self.raw.closed)):
            self._alive()
        try:
            if word.startswith("BEGIN IMMEDIATE"):
                cur = self.raw.execute("BEGIN")
                self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                return cur
            if word.rstrip(" ;") == "BEGIN":
                return self.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            text, named, info_table = translate(sql)
            if info_table is not None:
                return self.raw.execute(text, (info_table,))
            cur = self.raw.execute(text, _params(params, named) if params else None)
        except psycopg.Error as exc:
            raise _sqlite_error(exc) from exc
        if cur.rowcount > 0 and word.startswith(_WRITE_VERBS):
            self.total_changes += cur.rowcount
        return cur

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        text, named, _ = translate(sql)
        cur = self.raw.cursor()
        rows = [_params(p, named) for p in seq]
        if not rows:
            return cur
        try:
            cur.executemany(text, rows)
        except psycopg.Error as exc:
            raise _sqlite_error(exc) from exc
        if cur.rowcount > 0:
            self.total_changes += cur.rowcount
        return cur

    def executescript(self, script: str) -> None:
        """Several statements without parameters (schema scripts already in PostgreSQL's dialect)."""
        try:
            self.raw.execute(script.encode())
        except psycopg.Error as exc:
            raise _sqlite_error(exc) from exc

    def close(self) -> None:
        self.raw.close()

    @contextmanager
    def locked(self, key: int) -> Iterator[None]:
        """A transaction holding advisory lock `key` (released at its end, or if the process dies)."""
        try:
            self.raw.execute("BEGIN")
            self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
        except psycopg.Error as exc:
            raise _sqlite_error(exc) from exc
        try:
            yield
            self.execute("COMMIT")
        except BaseException:
            if self.in_transaction:
                self.execute("ROLLBACK")
            raise
