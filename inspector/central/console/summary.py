"""Pre-aggregated findings for the statistics and the dashboard, kept in step with the event log.

Counting a million findings per request takes seconds; the charts only need counts by month,
owning team, checklist version, item code and level (`console_item_cube`) and by month, team and
unit (`console_unit_cube`). Each inspection's own contribution is kept (`console_inspection_keys`,
`console_inspection_counts`), so when new events touch an inspection its old contribution is
subtracted and the new one added: the cost follows what changed, not the store's size.

`refresh` runs on the writer thread before a statistics read: it looks at events recorded since
the last watermark (`events.local_order`), re-counts the inspections they touch, and rebuilds
everything when the registry was re-pointed (a unit merged) or on first use. Portable SQL only.
"""

from __future__ import annotations

import sqlite3

from inspector.store.db import Store

WATERMARK = "summary_watermark"
REBUILD_TYPES = ("unit.merged", "unit.registered", "person.merged")
_KEY_SELECT = ("SELECT i.id, substr(i.decision_date, 1, 7), coalesce(o.team, ''), i.unit_id, i.checklist_id,"
               " i.checklist_version, CASE WHEN i.superseded_by IS NULL THEN 1 ELSE 0 END FROM inspections i"
               " LEFT JOIN entity_owners o ON o.entity_id = i.id AND o.kind = 'inspection'")


def refresh(store: Store) -> int:
    """Bring the summary up to date (writer thread); the number of inspections re-counted."""
    conn = store.conn
    newest = int(conn.execute("SELECT coalesce(max(local_order), 0) FROM events").fetchone()[0])
    row = conn.execute("SELECT value FROM central_meta WHERE key = ?", (WATERMARK,)).fetchone()
    seen = int(row[0]) if row is not None else -1
    if seen == newest:
        return 0
    with store.transaction() as tx:
        marks = ", ".join("?" for _ in REBUILD_TYPES)
        if seen < 0 or tx.execute(f"SELECT 1 FROM events WHERE local_order > ? AND type IN ({marks}) LIMIT 1",
                                  (seen, *REBUILD_TYPES)).fetchone():
            count = _rebuild(tx)
        else:
            touched = [r[0] for r in tx.execute(
                "SELECT DISTINCT x.inspection_id FROM events e JOIN event_inspections x ON x.device_id = e.device_id"
                " AND x.epoch = e.epoch AND x.seq = e.seq WHERE e.local_order > ?", (seen,))]
            for inspection_id in touched:
                _remove(tx, inspection_id)
                _add(tx, inspection_id)
            count = len(touched)
        tx.execute("INSERT INTO central_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
                   " value = excluded.value", (WATERMARK, str(newest)))
    return count


def _rebuild(tx: sqlite3.Connection) -> int:
    for table in ("console_item_cube", "console_unit_cube", "console_inspection_counts", "console_inspection_keys"):
        tx.execute(f"DELETE FROM {table}")
    tx.execute("INSERT INTO console_inspection_keys (inspection_id, month, team, unit_id, checklist_id,"
               f" checklist_version, live) {_KEY_SELECT}")
    tx.execute("INSERT INTO console_inspection_counts (inspection_id, item_code, level, n)"
               " SELECT inspection_id, item_code, level, count(*) FROM findings WHERE removed = 0"
               " AND level IS NOT NULL GROUP BY inspection_id, item_code, level")
    tx.execute("INSERT INTO console_item_cube (month, team, checklist_id, checklist_version, item_code, level, n)"
               " SELECT k.month, k.team, k.checklist_id, k.checklist_version, c.item_code, c.level, sum(c.n)"
               " FROM console_inspection_counts c JOIN console_inspection_keys k ON k.inspection_id = c.inspection_id"
               " WHERE k.live = 1 GROUP BY k.month, k.team, k.checklist_id, k.checklist_version, c.item_code, c.level")
    tx.execute("INSERT INTO console_unit_cube (month, team, unit_id, inspections, findings)"
               " SELECT k.month, k.team, k.unit_id, count(*), sum(coalesce(p.n, 0)) FROM console_inspection_keys k"
               " LEFT JOIN (SELECT inspection_id, sum(n) AS n FROM console_inspection_counts WHERE level >= 1"
               " GROUP BY inspection_id) p ON p.inspection_id = k.inspection_id WHERE k.live = 1"
               " GROUP BY k.month, k.team, k.unit_id")
    return int(tx.execute("SELECT count(*) FROM console_inspection_keys").fetchone()[0])


def _remove(tx: sqlite3.Connection, inspection_id: str) -> None:
    key = tx.execute("SELECT month, team, unit_id, checklist_id, checklist_version, live FROM console_inspection_keys"
                     " WHERE inspection_id = ?", (inspection_id,)).fetchone()
    if key is not None and key[5]:
        month, team, unit, checklist, version = key[:5]
        counts = tx.execute("SELECT item_code, level, n FROM console_inspection_counts WHERE inspection_id = ?",
                            (inspection_id,)).fetchall()
        tx.executemany("UPDATE console_item_cube SET n = n - ? WHERE month = ? AND team = ? AND checklist_id = ?"
                       " AND checklist_version = ? AND item_code = ? AND level = ?",
                       [(n, month, team, checklist, version, item, level) for item, level, n in counts])
        positive = sum(n for _, level, n in counts if level >= 1)
        tx.execute("UPDATE console_unit_cube SET inspections = inspections - 1, findings = findings - ?"
                   " WHERE month = ? AND team = ? AND unit_id = ?", (positive, month, team, unit))
    tx.execute("DELETE FROM console_inspection_counts WHERE inspection_id = ?", (inspection_id,))
    tx.execute("DELETE FROM console_inspection_keys WHERE inspection_id = ?", (inspection_id,))


def _add(tx: sqlite3.Connection, inspection_id: str) -> None:
    key = tx.execute(f"{_KEY_SELECT} WHERE i.id = ?", (inspection_id,)).fetchone()
    if key is None:
        return
    tx.execute("INSERT INTO console_inspection_keys (inspection_id, month, team, unit_id, checklist_id,"
               " checklist_version, live) VALUES (?, ?, ?, ?, ?, ?, ?)", key)
    counts = tx.execute("SELECT item_code, level, count(*) FROM findings WHERE inspection_id = ? AND removed = 0"
                        " AND level IS NOT NULL GROUP BY item_code, level", (inspection_id,)).fetchall()
    tx.executemany("INSERT INTO console_inspection_counts (inspection_id, item_code, level, n) VALUES (?, ?, ?, ?)",
                   [(inspection_id, *c) for c in counts])
    if not key[6]:
        return
    _, month, team, unit, checklist, version, _ = key
    tx.executemany("INSERT INTO console_item_cube (month, team, checklist_id, checklist_version, item_code, level, n)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (month, team, checklist_id, checklist_version, item_code,"
                   " level) DO UPDATE SET n = console_item_cube.n + excluded.n",
                   [(month, team, checklist, version, item, level, n) for item, level, n in counts])
    positive = sum(n for _, level, n in counts if level >= 1)
    tx.execute("INSERT INTO console_unit_cube (month, team, unit_id, inspections, findings) VALUES (?, ?, ?, 1, ?)"
               " ON CONFLICT (month, team, unit_id) DO UPDATE SET inspections = console_unit_cube.inspections + 1,"
               " findings = console_unit_cube.findings + excluded.findings", (month, team, unit, positive))
