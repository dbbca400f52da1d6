"""The one place that opens SQLite databases, and the one transaction context manager.

Every connection gets the same pragmas (WAL, synchronous=FULL, foreign keys, busy timeout), so
durability and encryption at rest are decided here and nowhere else. With a key, the connection
is SQLCipher's (`sqlcipher3`: AES-256 pages with an HMAC each); the key is raw (derived once per
process, `inspector.keys`), so opening a connection costs no key derivation. Without a key
(the central store, which is a server's business) it is the standard library's sqlite3.

`sqlite_utils` (~90 ms to import, a tax on the app's cold start) is imported only when a helper of
it is used (`Store.db`); the rows of `Store.query` and `Store.one` come from `inspector.store.rows`,
which keeps sqlite-utils' query semantics without importing it.
"""

from __future__ import annotations

import errno
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlcipher3 import dbapi2 as sqlcipher  # re-exported for the migration of plain data

from inspector.durable import fsync_dir, make_dirs
from inspector.errors import BugError, StorageError
from inspector.store.migrations import migrate
from inspector.store.rows import query_rows
from inspector.text import fold

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 5000
SQLITE_HEADER = b"SQLite format 3\x00"

# Both drivers raise their own classes; code that catches database errors catches these.
DatabaseErrors: tuple[type[Exception], ...] = (sqlite3.DatabaseError, sqlcipher.DatabaseError)
IntegrityErrors: tuple[type[Exception], ...] = (sqlite3.IntegrityError, sqlcipher.IntegrityError)
OperationalErrors: tuple[type[Exception], ...] = (sqlite3.OperationalError, sqlcipher.OperationalError)
Errors: tuple[type[Exception], ...] = (sqlite3.Error, sqlcipher.Error)


def is_plain_sqlite(path: Path) -> bool:
    """True if `path` is an unencrypted SQLite database (its header is readable text)."""
    try:
        with path.open("rb") as fh:
            return fh.read(16) == SQLITE_HEADER
    except FileNotFoundError:
        return False


def _apply_pragmas(conn: sqlite3.Connection, *, durable: bool) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if durable:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StorageError(
                "Không bật được chế độ ghi nhật ký WAL cho cơ sở dữ liệu.",
                hint="Thư mục dữ liệu phải nằm trên ổ đĩa cục bộ của máy, không phải ổ mạng.",
            )
        conn.execute("PRAGMA synchronous = FULL")
        if sys.platform == "darwin":
            conn.execute("PRAGMA fullfsync = ON")
            conn.execute("PRAGMA checkpoint_fullfsync = ON")
    else:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA foreign_keys = ON")


def _apply_key(conn: sqlite3.Connection, key: bytes, path: Path) -> None:
    conn.execute("PRAGMA cipher_log_level = NONE")  # SQLCipher would print to stderr on a wrong key
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute("PRAGMA cipher_memory_security = OFF")  # key material stays locked; pages need not be
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except DatabaseErrors as exc:
        conn.close()
        raise StorageError(
            "Không giải mã được cơ sở dữ liệu {path} bằng khóa của thư mục dữ liệu này.",
            hint="Tệp inspector.keys và inspector.db phải cùng một thư mục dữ liệu; nếu đã chép từ nơi khác,"
                 " hãy khôi phục từ bản sao lưu (inspector restore).",
            path=str(path),
        ) from exc


def connect(path: Path, *, durable: bool = True, read_only: bool = False,
            key: bytes | None = None) -> sqlite3.Connection:
    """Open a raw connection with our pragmas. Transactions are explicit (isolation_level=None).

    `read_only` connections (the app's read pool) refuse every write: `PRAGMA query_only`.
    `key`: SQLCipher's raw key (the laptop's encrypted store); None opens plain SQLite.
    """
    try:
        if key is None:
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                                   check_same_thread=True)
        else:
            conn = cast(sqlite3.Connection, sqlcipher.connect(str(path), isolation_level=None,
                                                              timeout=BUSY_TIMEOUT_MS / 1000,
                                                              check_same_thread=True))
            _apply_key(conn, key, path)
        _apply_pragmas(conn, durable=durable)
        if read_only:
            conn.execute("PRAGMA query_only = ON")
        conn.create_function("inspector_fold", 1, fold, deterministic=True)
    except DatabaseErrors as exc:
        raise StorageError(
            "Không mở được cơ sở dữ liệu {path}: {reason}.",
            hint="Kiểm tra quyền ghi vào thư mục dữ liệu và dung lượng ổ đĩa.",
            path=str(path),
            reason=str(exc),
        ) from exc
    return conn


def translate_os_error(exc: BaseException) -> StorageError | None:
    """Turn disk-full and permission failures into a user error; None for anything else."""
    text = str(exc).lower()
    full = (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "database or disk is full" in text
    if full:
        return StorageError(
            "Ổ đĩa đã đầy; thao tác vừa rồi chưa được lưu, dữ liệu trước đó vẫn nguyên vẹn.",
            hint="Giải phóng dung lượng ổ đĩa rồi thực hiện lại thao tác.",
        )
    denied = (isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)) or (
        "readonly database" in text
    )
    if denied:
        return StorageError(
            "Không có quyền ghi vào thư mục dữ liệu; thao tác vừa rồi chưa được lưu.",
            hint="Kiểm tra quyền ghi hoặc chọn thư mục dữ liệu khác bằng --data-dir.",
        )
    return None


class Store:
    """One SQLite database file plus its sqlite-utils view (built on first use). Used from one thread
    at a time."""

    def __init__(self, path: Path, conn: sqlite3.Connection, key: bytes | None = None, *,
                 read_only: bool = False) -> None:
        self.path = path
        self.conn = conn
        self.key = key  # SQLCipher's raw key (None: plain); scratch copies of this store use it too
        self.read_only = read_only  # the app's read pool: a write here is a bug, said at once
        self._db: sqlite_utils.Database | None = None
        self._depth = 0
        self._batch = False
        self.commits = 0  # durable commits made through transaction(); read by tests and benches

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils' helpers on this connection (its own query and transaction rules apply)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False, recursive_triggers=False)
        return self._db

    @contextmanager
    def batch(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing bulk action (demo data, an import) spanning many service calls.

        Service transactions inside the batch join it instead of committing on their own.
        """
        with self.transaction() as conn:
            self._batch = True
            try:
                yield conn
            finally:
                self._batch = False

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One user action = one `BEGIN IMMEDIATE … COMMIT`. Nesting is a bug, not a savepoint."""
        if self._batch:
            yield self.conn
            return
        if self.read_only:
            raise BugError("a write was attempted on a read-only connection: writes run on the writer")
        if self._depth:
            raise BugError("nested Store.transaction(): one user action must be one transaction")
        self._depth = 1
        try:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except OperationalErrors as exc:
                raise translate_os_error(exc) or exc from exc
            try:
                yield self.conn
                if not self.conn.in_transaction:
                    raise BugError("the transaction was committed early by a helper")
                self.conn.execute("COMMIT")
                self.commits += 1
            except BaseException as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, (*Errors, OSError)):
                    user = translate_os_error(exc)
                    if user is not None:
                        raise user from exc
                raise
        finally:
            self._depth = 0

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        return list(query_rows(self.conn, sql, params))

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> dict[str, Any] | None:
        for row in query_rows(self.conn, sql, params):
            return row
        return None

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        self.conn.close()


def open_store(path: Path, *, key: bytes | None = None, read_only: bool = False) -> Store:
    """The factory: open (creating if needed) and migrate the database at `path` (encrypted with `key`).

    A `read_only` store is opened on a database the writer has already created and migrated.
    """
    try:
        make_dirs(path.parent)
    except OSError as exc:
        raise translate_os_error(exc) or StorageError(
            "Không tạo được thư mục dữ liệu {path}.",
            hint="Chọn thư mục khác bằng --data-dir.",
            path=str(path.parent),
        ) from exc
    if read_only and not path.exists():
        raise BugError("a read-only store was opened before the writer created the database")
    created = not path.exists()
    conn = connect(path, read_only=read_only, key=key)
    store = Store(path, conn, key, read_only=read_only)
    if not read_only:
        migrate(conn)
    if created:  # SQLite syncs the directory for its journal files, never for the database's own name
        fsync_dir(path.parent)
    return store


def open_scratch(path: Path, *, key: bytes | None = None) -> Store:
    """A throw-away database (rebuild checks, staging): same schema, no durability cost.

    Give it the key of the store it copies: a scratch copy holds the same data."""
    conn = connect(path, durable=False, key=key)
    store = Store(path, conn, key)
    migrate(conn)
    return store
