"""The central store's one storage interface: SQLite (a file, the default) or PostgreSQL.

Everything above this package writes SQL once, in SQLite's dialect with `?` parameters, against
a `Store` whose `conn` has sqlite3's calling style; on PostgreSQL `conn` is a `PgConnection`
that translates each statement once (`dialect.translate`). See docs/central-storage.md.

* `Database.of(value, data_dir)`: a `--database` value (or INSPECTOR_CENTRAL_DATABASE), a SQLite
  path or a `postgresql://` URL; None is `DATA_DIR/central.db`.
* `Database.open(read_only=…)`: a migrated `Store` on it (laptop schema plus server tables; the
  server tables are migrated by `inspector.central.schema`).
* `table_exists`, `is_postgres`: the two questions portable code asks about its backend.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from inspector.central.storage.dialect import translate_ddl
from inspector.central.storage.pg import MIGRATE_LOCK, PgConnection
from inspector.errors import StorageError
from inspector.store.db import Store, connect, open_store
from inspector.store.migrations import LATEST, MIGRATIONS

ENV_VAR = "INSPECTOR_CENTRAL_DATABASE"
DB_NAME = "central.db"


@dataclass(frozen=True)
class Database:
    """Where the central store lives: `url` is a `postgresql://` URL, or `path` a SQLite file."""

    path: Path | None = None
    url: str | None = None

    @staticmethod
    def of(value: str | None, data_dir: Path) -> Database:
        value = value or os.environ.get(ENV_VAR) or None
        if value is None:
            return Database(path=data_dir / DB_NAME)
        if value.startswith(("postgresql://", "postgres://")):
            return Database(url=value)
        if "://" in value:
            raise StorageError("Địa chỉ cơ sở dữ liệu “{value}” không được hỗ trợ.",
                               hint="Dùng đường dẫn tệp SQLite hoặc địa chỉ dạng postgresql://người-dùng@máy/tên-csdl.",
                               value=value.split("://")[0] + "://…")
        return Database(path=Path(value).expanduser())

    @property
    def postgres(self) -> bool:
        return self.url is not None

    def display(self) -> str:
        """The URL without its password (for logs and messages)."""
        if self.url is None:
            return str(self.path)
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))

    def open(self, *, read_only: bool = False, migrate: bool = True) -> Store:
        """A store on this database; a writer (read_only=False) creates and migrates it, unless
        `migrate` is False (an extra writable connection on a store that is already open)."""
        if self.url is None:
            assert self.path is not None
            if read_only:
                store = Store(self.path, connect(self.path), read_only=False)
                store.conn.execute("PRAGMA query_only = ON")
                return store
            return open_store(self.path)
        try:
            conn = PgConnection(self.url, read_only=read_only)
        except sqlite3.Error as exc:
            raise StorageError("Không kết nối được cơ sở dữ liệu {url}: {reason}.",
                               hint="Kiểm tra địa chỉ, người dùng, mật khẩu và máy chủ PostgreSQL.",
                               url=self.display(), reason=_why(str(exc))) from exc
        store = PgStore(self, conn)
        if not read_only and migrate:
            try:
                migrate_pg(conn)
            except BaseException:
                conn.close()
                raise
        return store


_REASONS = (
    ("password authentication failed", "sai người dùng hoặc mật khẩu"),
    ("does not exist", "người dùng hoặc cơ sở dữ liệu không tồn tại"),
    ("connection refused", "máy chủ PostgreSQL không nhận kết nối (chưa chạy, hoặc sai máy/cổng)"),
    ("timeout", "máy chủ PostgreSQL không trả lời"),
    ("could not translate host name", "không tìm thấy tên máy chủ"),
    ("no pg_hba.conf entry", "máy chủ PostgreSQL không cho phép kết nối từ máy này (pg_hba.conf)"),
)


def _why(driver_message: str) -> str:
    """The driver's English reason, said in Vietnamese for the operator."""
    text = driver_message.lower()
    for needle, reason in _REASONS:
        if needle in text:
            return reason
    return "lỗi kết nối (xem nhật ký của máy chủ PostgreSQL)"


class PgStore(Store):
    """`Store` on PostgreSQL: the same transaction discipline, `query`/`one` without sqlite-utils."""

    def __init__(self, database: Database, conn: PgConnection) -> None:
        # not Store.__init__: sqlite-utils wraps only sqlite3 connections
        self.database = database
        self.path = Path(database.display())
        self.conn = cast(sqlite3.Connection, conn)
        self.key = None
        self.read_only = False
        self._depth = 0
        self._batch = False
        self.commits = 0

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None


def is_postgres(conn: sqlite3.Connection | PgConnection) -> bool:
    return isinstance(conn, PgConnection)


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    if is_postgres(conn):
        return conn.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()[0] is True
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (name,)).fetchone() is not None


def run_ddl(conn: sqlite3.Connection, statement: str) -> None:
    """One schema statement written in SQLite's dialect, on either backend."""
    if is_postgres(conn):
        cast(PgConnection, conn).executescript(translate_ddl(statement))
    else:
        conn.execute(statement)


def migrate_pg(conn: PgConnection) -> None:
    """The laptop store's schema steps (inspector.store.migrations), translated, on PostgreSQL:
    one transaction per step, under an advisory lock so concurrent processes migrate once."""
    with conn.locked(MIGRATE_LOCK):
        conn.execute("CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = conn.execute("SELECT value FROM store_meta WHERE key = 'user_version'").fetchone()
    current = 0 if row is None else int(row[0])
    if current > LATEST:
        raise StorageError("Cơ sở dữ liệu được tạo bởi phiên bản mới hơn của phần mềm (lược đồ {found} > {known}).",
                           hint="Cài phiên bản phần mềm mới nhất cho máy chủ rồi chạy lại.",
                           found=current, known=LATEST)
    for version, script in MIGRATIONS:
        if version <= current:
            continue
        with conn.locked(MIGRATE_LOCK):
            row = conn.execute("SELECT value FROM store_meta WHERE key = 'user_version'").fetchone()
            if row is not None and int(row[0]) >= version:
                continue  # another process got there first
            conn.executescript(translate_ddl(script))
            conn.execute("INSERT INTO store_meta (key, value) VALUES ('user_version', ?) ON CONFLICT (key)"
                         " DO UPDATE SET value = excluded.value", (str(version),))
