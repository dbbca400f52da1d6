"""SQL written once, in SQLite's dialect, run on PostgreSQL: the few rewrites that need.

The store's SQL (laptop projections, merge, central tables) is SQLite's; it is nearly all
standard. What differs is rewritten here, mechanically and cached per statement:

* parameters: `?` → `%s`, `?N` → `%(pN)s`, `:name` → `%(name)s` (a literal `%` is doubled);
* `INSERT OR IGNORE INTO …` → `INSERT INTO … ON CONFLICT DO NOTHING`;
* `json_extract(col, '$.k')` → `(replace(col, '\u0000', '')::json ->> 'k')`: payloads are JSON
  text in both stores, and PostgreSQL refuses to parse the escape `\u0000` anywhere in a document,
  so it is dropped before parsing (a text field holding a literal backslash before `u0000` would
  then fail to parse: such a push is refused, nothing is stored);
  `json_each(col, '$.k') p` → `json_array_elements_text(… -> 'k') AS p(value)`;
* `instr(a, b)` → `strpos(a, b)`; `group_concat(x[, sep])` → `string_agg(x, sep or ',')`;
* a parameter tested for NULL (`? IS NULL`) is cast to text (PostgreSQL cannot type it otherwise);
* SQLite's null-safe `a IS b` / `a IS NOT b` → `a IS [NOT] DISTINCT FROM b`;
* `PRAGMA defer_foreign_keys = ON` → `SET CONSTRAINTS ALL DEFERRED`, `PRAGMA table_info(t)` → the
  same columns from information_schema; any other PRAGMA is a bug on PostgreSQL.

Schema scripts (`translate_ddl`) also map types: INTEGER → BIGINT (SQLite integers are 64-bit),
BLOB → BYTEA, a lone `INTEGER PRIMARY KEY` (SQLite's row id) → an identity column, and every
foreign key becomes DEFERRABLE so `SET CONSTRAINTS ALL DEFERRED` works as SQLite's pragma does.
Anything else SQLite-only (`INSERT OR REPLACE`, `rowid`, `sqlite_master`, `GLOB`) is refused
loudly rather than half-translated: write the portable form instead (docs/central-storage.md).
"""

from __future__ import annotations

import functools
import re

from inspector.errors import BugError

_JSON_EXTRACT = re.compile(r"json_extract\(\s*([\w.]+)\s*,\s*'\$\.(\w+)'\s*\)", re.IGNORECASE)
_JSON_EACH = re.compile(r"json_each\(\s*([\w.]+)\s*,\s*'\$\.(\w+)'\s*\)\s+(?:AS\s+)?(\w+)", re.IGNORECASE)
_INSERT_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_IS_NOT = re.compile(r"\bIS\s+NOT\s+(?!NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.IGNORECASE)
_IS = re.compile(r"\bIS\s+(?!NOT\b|NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.IGNORECASE)
_GROUP_CONCAT_SEP = re.compile(r"\bgroup_concat\(\s*([\w.]+)\s*,", re.IGNORECASE)
_GROUP_CONCAT = re.compile(r"\bgroup_concat\(\s*(DISTINCT\s+)?([\w.]+)\s*\)", re.IGNORECASE)
_NULL_TEST = re.compile(r"(%\(\w+\)s|%s)\s+IS\s+(NOT\s+)?NULL\b", re.IGNORECASE)
_INSTR = re.compile(r"\binstr\(", re.IGNORECASE)
_TABLE_INFO = re.compile(r"^\s*PRAGMA\s+table_info\(\s*(\w+)\s*\)\s*$", re.IGNORECASE)
_DEFER = re.compile(r"^\s*PRAGMA\s+defer_foreign_keys\s*=\s*(ON|1|TRUE)\s*$", re.IGNORECASE)
_REFUSED = re.compile(r"\b(?:INSERT|UPDATE)\s+OR\s+(?:REPLACE|IGNORE|ABORT|FAIL|ROLLBACK)\b|\browid\b"
                      r"|\bsqlite_master\b|\bGLOB\b|\bREPLACE\s+INTO\b", re.IGNORECASE)
_ROWID_KEY = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b(?!\s*\()", re.IGNORECASE)
_INTEGER = re.compile(r"\bINTEGER\b", re.IGNORECASE)
_BLOB = re.compile(r"\bBLOB\b", re.IGNORECASE)
_REFERENCES = re.compile(r"(\bREFERENCES\s+\w+\s*\(\s*\w+\s*\))", re.IGNORECASE)

TABLE_INFO_SQL = ("SELECT ordinal_position - 1, column_name, data_type, CASE is_nullable WHEN 'NO' THEN 1"
                  " ELSE 0 END, column_default, 0 FROM information_schema.columns"
                  " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position")


def _placeholders(sql: str) -> tuple[str, bool]:
    """`?`/`?N` outside string literals → psycopg's; True if numbered (named) parameters."""
    out: list[str] = []
    named = False
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i:end + 1].replace("%", "%%"))
            i = end + 1
        elif ch == "?":
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            if j > i + 1:
                named = True
                out.append(f"%(p{sql[i + 1:j]})s")
            else:
                out.append("%s")
            i = j
        elif ch == ":" and i + 1 < n and sql[i + 1] == ":":
            out.append("::")
            i += 2
        elif ch == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            out.append(f"%({sql[i + 1:j]})s")
            i = j
        elif ch == "%":
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out), named


@functools.lru_cache(maxsize=4096)
def translate(sql: str) -> tuple[str, bool, str | None]:
    """(PostgreSQL statement, whether parameters are numbered, table of a `PRAGMA table_info`)."""
    info = _TABLE_INFO.match(sql)
    if info:
        return TABLE_INFO_SQL, False, info.group(1)
    if _DEFER.match(sql):
        return "SET CONSTRAINTS ALL DEFERRED", False, None
    if sql.lstrip().upper().startswith("PRAGMA"):
        raise BugError(f"SQLite-only statement on PostgreSQL: {sql.strip()[:80]}")
    text = sql
    if _INSERT_IGNORE.match(text):
        text = _INSERT_IGNORE.sub("INSERT INTO", text, count=1).rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    if _REFUSED.search(text):
        raise BugError(f"SQLite-only construct on PostgreSQL (see docs/central-storage.md): {sql.strip()[:120]}")
    text = _JSON_EACH.sub(r"json_array_elements_text(replace(\1, '\\u0000', '')::json -> '\2') AS \3(value)", text)
    text = _JSON_EXTRACT.sub(r"(replace(\1, '\\u0000', '')::json ->> '\2')", text)
    text = _INSTR.sub("strpos(", text)
    text = _GROUP_CONCAT_SEP.sub(r"string_agg(\1,", text)
    text = _GROUP_CONCAT.sub(r"string_agg(\1\2, ',')", text)
    text = _IS_NOT.sub("IS DISTINCT FROM ", text)
    text = _IS.sub("IS NOT DISTINCT FROM ", text)
    text, named = _placeholders(text)
    text = _NULL_TEST.sub(r"CAST(\1 AS TEXT) IS \2NULL", text)  # an untyped parameter has no type to test
    return text, named, None


def translate_ddl(script: str) -> str:
    """A schema script (CREATE/ALTER/INDEX, as SQLite runs it) for PostgreSQL; no parameters."""
    text = _ROWID_KEY.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", script)
    text = _INTEGER.sub("BIGINT", text)
    text = _BLOB.sub("BYTEA", text)
    text = _REFERENCES.sub(r"\1 DEFERRABLE INITIALLY IMMEDIATE", text)
    text = _JSON_EXTRACT.sub(r"(replace(\1, '\\u0000', '')::json ->> '\2')", text)
    statements = [s.strip() for s in text.split(";") if s.strip()]
    out = []
    for statement in statements:
        if _INSERT_IGNORE.match(statement):
            statement = _INSERT_IGNORE.sub("INSERT INTO", statement, count=1) + " ON CONFLICT DO NOTHING"
        out.append(_INSTR.sub("strpos(", statement))
    return ";\n".join(out) + ";\n"
