"""`Store.query`/`Store.one` rows come from `inspector.store.rows`, not from sqlite-utils (whose import
the app's cold start no longer pays): the same statements give the same rows, errors and database
state through both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from inspector.store.db import Store, connect, open_store
from inspector.store.rows import query_rows

KEY = bytes(range(32))

STATEMENTS: list[tuple[str, Any]] = [
    ("SELECT key, value FROM settings ORDER BY key", ()),
    ("SELECT value FROM settings WHERE key = ?", ("a",)),
    ("SELECT value FROM settings WHERE key = :k", {"k": "b"}),
    ("  -- a comment\n/* another */ ;SELECT 1 AS x, 2 AS x, 3 AS x_2", ()),  # duplicate column names
    ("PRAGMA user_version", ()),
    ("PRAGMA table_info(settings)", ()),
    ("WITH t(n) AS (VALUES (1), (2)) SELECT n FROM t", ()),
    ("INSERT INTO settings VALUES ('c', '3') RETURNING key", ()),  # a write with RETURNING takes effect
    ("INSERT INTO settings VALUES ('d', '4')", ()),  # no rows: refused and rolled back
    ("UPDATE settings SET value = 'x'", ()),
    ("PRAGMA foreign_keys = ON", ()),  # a row-less PRAGMA takes effect, then ValueError
    ("BEGIN", ()),
    ("COMMIT", ()),
    ("VACUUM", ()),
    ("ATTACH ':memory:' AS other", ()),
    ("SELECT * FROM no_such_table", ()),
    ("", ()),
]


def _outcome(run: Any, store: Store, sql: str, params: Any, in_transaction: bool) -> tuple[Any, ...]:
    if in_transaction:
        store.conn.execute("BEGIN IMMEDIATE")
    try:
        result: Any = ("rows", list(run(sql, params)))
    except Exception as exc:
        result = ("error", type(exc).__name__, str(exc))
    state = (store.conn.in_transaction,
             store.conn.execute("SELECT key, value FROM settings ORDER BY key").fetchall())
    if store.conn.in_transaction:
        store.conn.execute("ROLLBACK")
    return result, state


@pytest.mark.parametrize("in_transaction", [False, True])
@pytest.mark.parametrize("key", [None, KEY], ids=["sqlite3", "sqlcipher"])
@pytest.mark.parametrize(("sql", "params"), STATEMENTS)
def test_rows_are_sqlite_utils_rows(tmp_path: Path, sql: str, params: Any, key: bytes | None,
                                    in_transaction: bool) -> None:
    outcomes = []
    for name in ("ours", "sqlite_utils"):
        store = open_store(tmp_path / f"{name}.db", key=key)
        store.conn.execute("INSERT INTO settings VALUES ('a', '1'), ('b', '2')")
        if name == "ours":
            def run(s: str, p: Any, conn: Any = store.conn) -> Any:
                return query_rows(conn, s, p)
        else:
            db = sqlite_utils.Database(store.conn, execute_plugins=False, recursive_triggers=False)
            run = db.query
        outcomes.append(_outcome(run, store, sql, params, in_transaction))
        store.close()
    assert outcomes[0] == outcomes[1]


def test_store_one_and_query_read_through_rows(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db", connect(tmp_path / "x.db"))
    store.conn.execute("CREATE TABLE t (a, b)")
    store.conn.execute("INSERT INTO t VALUES (1, 'x'), (2, 'y')")
    assert store.query("SELECT a, b FROM t ORDER BY a") == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert store.one("SELECT b FROM t WHERE a = ?", (2,)) == {"b": "y"}
    assert store.one("SELECT b FROM t WHERE a = ?", (3,)) is None
    with pytest.raises(ValueError):
        store.query("DELETE FROM t")
    assert store.scalar("SELECT count(*) FROM t") == 2
    store.close()


def test_opening_and_reading_a_store_does_not_import_sqlite_utils(tmp_path: Path) -> None:
    code = ("import sys\nfrom pathlib import Path\nfrom inspector.store.db import open_store\n"
            f"s = open_store(Path({str(tmp_path / 'x.db')!r}))\n"
            "s.query('SELECT * FROM settings'); s.one('PRAGMA user_version')\n"
            "assert 'sqlite_utils' not in sys.modules, 'sqlite_utils was imported'\n"
            "s.db['settings'].insert({'key': 'k', 'value': 'v'})\n"
            "assert 'sqlite_utils' in sys.modules and s.scalar('SELECT value FROM settings') == 'v'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
