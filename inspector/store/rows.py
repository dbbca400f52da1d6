"""Rows of a query as dictionaries, as `sqlite_utils.Database.query` gives them, without importing
sqlite-utils (its import, ~90 ms with click, dateutil and pluggy, was paid by every cold start of the
app for this one function).

The semantics are sqlite-utils 4.2's, kept on purpose (`tests/core/test_store_rows.py` compares
both): a statement that cannot return rows (BEGIN, COMMIT, ATTACH, VACUUM…) is refused before it
runs; any other statement runs inside a savepoint, so one that turns out to return no rows is rolled
back before the ValueError; a PRAGMA runs outside the savepoint (some refuse to run in a
transaction); duplicate column names get `_2`, `_3`… suffixes instead of overwriting each other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

_REJECTED = {"ATTACH", "BEGIN", "COMMIT", "DETACH", "END", "RELEASE", "ROLLBACK", "SAVEPOINT", "VACUUM"}
_MESSAGE = "query() can only be used with SQL that returns rows - use execute() for other statements"


def first_keyword(sql: str) -> str:
    """The statement's first keyword, uppercased, after whitespace, comments, bare `;` and a BOM."""
    i, n = 0, len(sql)
    while i < n:
        if sql[i].isspace() or sql[i] in (";", "\ufeff"):
            i += 1
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            if newline == -1:
                return ""
            i = newline + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end == -1:
                return ""
            i = end + 2
        else:
            break
    j = i
    while j < n and (sql[j].isalpha() or sql[j] == "_"):
        j += 1
    return sql[i:j].upper()


def dedupe_keys(keys: Iterable[str]) -> list[str]:
    """Column names made unique: later duplicates get `_2`, `_3`… (skipping names already taken)."""
    names = list(keys)
    taken = set(names)
    if len(taken) == len(names):
        return names
    seen: set[str] = set()
    result = []
    for key in names:
        if key in seen:
            new_key, suffix = key, 2
            while new_key in seen or new_key in taken:
                new_key = f"{key}_{suffix}"
                suffix += 1
            key = new_key
        seen.add(key)
        result.append(key)
    return result


def query_rows(conn: sqlite3.Connection, sql: str,
               params: Sequence[Any] | dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Run `sql` now and return its rows (fetched lazily) as dictionaries."""
    keyword = first_keyword(sql)
    if keyword in _REJECTED:
        raise ValueError(_MESSAGE)
    args: tuple[Any, ...] = (params,) if params is not None else ()
    if keyword == "PRAGMA":
        if conn.in_transaction:
            cursor = conn.execute(sql, *args)
        else:
            old = conn.isolation_level
            try:
                conn.isolation_level = None
                cursor = conn.execute(sql, *args)
            finally:
                conn.isolation_level = old
        if cursor.description is None:
            raise ValueError(_MESSAGE)
        keys = dedupe_keys(d[0] for d in cursor.description)
        return (dict(zip(keys, row, strict=False)) for row in cursor)
    conn.execute('SAVEPOINT "sqlite_utils_query"')
    released = False
    try:
        cursor = conn.execute(sql, *args)
        if cursor.description is None:
            raise ValueError(_MESSAGE)
        keys = dedupe_keys(d[0] for d in cursor.description)
        try:
            conn.execute('RELEASE "sqlite_utils_query"')
            released = True
        except sqlite3.OperationalError:
            # A write with RETURNING whose rows are not all fetched: fetch them so it completes. Only
            # the standard driver's error, as in sqlite-utils: on SQLCipher the statement fails.
            fetched = cursor.fetchall()
            conn.execute('RELEASE "sqlite_utils_query"')
            released = True
            return (dict(zip(keys, row, strict=False)) for row in fetched)
        return (dict(zip(keys, row, strict=False)) for row in cursor)
    finally:
        if not released and conn.in_transaction:
            conn.execute('ROLLBACK TO "sqlite_utils_query"')
            conn.execute('RELEASE "sqlite_utils_query"')
