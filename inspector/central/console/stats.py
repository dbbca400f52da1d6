"""Statistics and the dashboard: counts grouped in SQL (portable: GROUP BY, count, CASE, substr),
then mapped from item codes to manifestation codes in Python with the catalogs (`store.Codes`):
the codes are the aggregation key across checklists and their versions."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from inspector.central.console.store import REQ_STATUS, Codes, Scope, units

LEVEL_LABELS = {0: "Không có biểu hiện", 1: "Mức 1", 2: "Mức 2", 3: "Mức 3"}


@dataclass(frozen=True)
class Period:
    start: str  # ISO date, inclusive
    end: str  # ISO date, inclusive
    label: str


def period_of(text: str, today: date) -> Period:
    """`2026`, `2026-Q3`, `2026-11` or '' (this year)."""
    value = text.strip()
    try:
        if len(value) == 4 and value.isdigit():
            return Period(f"{value}-01-01", f"{value}-12-31", f"Năm {value}")
        if len(value) == 7 and value[4:6] == "-Q" and value[6] in "1234":
            q = int(value[6])
            end_month = 3 * q
            last = (date(int(value[:4]) + (end_month == 12), end_month % 12 + 1, 1) - timedelta(days=1)).day
            return Period(f"{value[:4]}-{end_month - 2:02d}-01", f"{value[:4]}-{end_month:02d}-{last:02d}",
                          f"Quý {q} năm {value[:4]}")
        if len(value) == 7 and value[4] == "-" and value[:4].isdigit() and 1 <= int(value[5:]) <= 12:
            y, m = int(value[:4]), int(value[5:])
            last = (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)).day
            return Period(f"{value}-01", f"{value}-{last:02d}", f"Tháng {m} năm {y}")
    except ValueError:
        pass
    return Period(f"{today.year}-01-01", f"{today.year}-12-31", f"Năm {today.year}")


def _base(scope: Scope, period: Period) -> tuple[str, list[Any]]:
    cond, params = scope.inspections("i.id")
    return (f"{cond} AND i.superseded_by IS NULL AND i.decision_date >= ? AND i.decision_date <= ?",
            [*params, period.start, period.end])


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    value: int
    href: str = ""


def _cube(scope: Scope, period: Period) -> tuple[str, list[Any]]:
    """The summary's rows of this period (months) and scope (the owning team)."""
    where, params = "month >= ? AND month <= ?", [period.start[:7], period.end[:7]]
    if scope.team is not None:
        where += " AND team = ?"
        params.append(scope.team)
    return where, params


def by_item(conn: sqlite3.Connection, scope: Scope, period: Period) -> list[tuple[str, int, str, int, int]]:
    """Findings by checklist version, item code and level (from the summary: `summary.refresh` first)."""
    where, params = _cube(scope, period)
    return [(r[0], int(r[1]), r[2], int(r[3]), int(r[4])) for r in conn.execute(
        "SELECT checklist_id, checklist_version, item_code, level, sum(n) FROM console_item_cube"
        f" WHERE {where} GROUP BY checklist_id, checklist_version, item_code, level HAVING sum(n) > 0", params)]


def by_manifestation(grouped: list[tuple[str, int, str, int, int]], codes: Codes) -> Counter[tuple[str, int]]:
    """(manifestation code, level) -> findings (level >= 1); an item of several codes counts for each."""
    out: Counter[tuple[str, int]] = Counter()
    for checklist, version, item, level, count in grouped:
        if level < 1:
            continue
        for code in codes.items.get((checklist, version, item), ()) or (item,):
            out[(code, level)] += count
    return out


def by_level(grouped: list[tuple[str, int, str, int, int]]) -> dict[int, int]:
    out = dict.fromkeys(LEVEL_LABELS, 0)
    for _, _, _, level, count in grouped:
        out[level] = out.get(level, 0) + count
    return out


@dataclass(frozen=True)
class UnitStat:
    unit_id: str
    name: str
    depth: int
    inspections: int  # its own and its subtree's
    findings: int


def by_unit(conn: sqlite3.Connection, scope: Scope, period: Period) -> list[UnitStat]:
    """Inspections and findings (level >= 1) per unit, rolled up along the registry tree."""
    where, params = _cube(scope, period)
    own_inspections: dict[str, int] = {}
    own_findings: dict[str, int] = {}
    for unit, count, found in conn.execute("SELECT unit_id, sum(inspections), sum(findings) FROM console_unit_cube"
                                           f" WHERE {where} GROUP BY unit_id HAVING sum(inspections) > 0", params):
        own_inspections[unit], own_findings[unit] = int(count), int(found)
    tree = units(conn)
    parent = {uid: p for uid, p, _ in tree}
    names = {uid: name for uid, _, name in tree}
    total_i: Counter[str] = Counter()
    total_f: Counter[str] = Counter()
    for uid in set(own_inspections) | set(own_findings):
        node: str | None = uid
        seen = set()
        while node is not None and node not in seen:
            seen.add(node)
            total_i[node] += int(own_inspections.get(uid, 0))
            total_f[node] += int(own_findings.get(uid, 0))
            node = parent.get(node)
    children: dict[str | None, list[str]] = {}
    for uid, p, _ in tree:
        children.setdefault(p if p in names else None, []).append(uid)
    out: list[UnitStat] = []

    def walk(node: str, depth: int) -> None:
        if total_i[node] == 0 and total_f[node] == 0:
            return
        out.append(UnitStat(node, names[node], depth, total_i[node], total_f[node]))
        for child in sorted(children.get(node, []), key=lambda c: names[c]):
            walk(child, depth + 1)

    for root in sorted(children.get(None, []), key=lambda c: names[c]):
        walk(root, 0)
    return out


def by_month(conn: sqlite3.Connection, scope: Scope, period: Period) -> list[tuple[str, int, int]]:
    where, params = _cube(scope, period)
    return [(r[0], int(r[1]), int(r[2] or 0)) for r in conn.execute(
        f"SELECT month, sum(inspections), sum(findings) FROM console_unit_cube WHERE {where} GROUP BY month"
        " HAVING sum(inspections) > 0 ORDER BY month", params)]


@dataclass(frozen=True)
class Dashboard:
    period: Period
    by_status: dict[str, int]
    inspections: int
    units_inspected: int
    subjects: int
    groups: dict[str, dict[int, int]]  # group code -> level -> findings
    due_soon: int
    overdue: int
    reported: int
    quarantined: int
    devices: list[tuple[str, str, str, str | None, str]]  # id, team, label, last seen, status


def dashboard(conn: sqlite3.Connection, scope: Scope, period: Period, codes: Codes, today: date) -> Dashboard:
    where, params = _base(scope, period)
    by_status = {r[0]: int(r[1]) for r in conn.execute(
        f"SELECT i.status, count(*) FROM inspections i WHERE {where} GROUP BY i.status", params)}
    row = conn.execute(f"SELECT count(*), count(DISTINCT i.unit_id), sum(i.subject_count) FROM inspections i"
                       f" WHERE {where}", params).fetchone()
    groups: dict[str, dict[int, int]] = {}
    for (code, level), count in by_manifestation(by_item(conn, scope, period), codes).items():
        group = codes.group_of.get(code, code.split("-")[0])
        bucket = groups.setdefault(group, dict.fromkeys((1, 2, 3), 0))
        bucket[level] = bucket.get(level, 0) + count
    cond, rparams = scope.inspections("r.inspection_id")
    day, soon = today.isoformat(), (today + timedelta(days=14)).isoformat()
    req = conn.execute(
        f"SELECT sum(CASE WHEN {REQ_STATUS} = 'open' AND r.deadline < ? THEN 1 ELSE 0 END),"
        f" sum(CASE WHEN {REQ_STATUS} = 'open' AND r.deadline >= ? AND r.deadline <= ? THEN 1 ELSE 0 END),"
        f" sum(CASE WHEN {REQ_STATUS} = 'reported' THEN 1 ELSE 0 END)"
        " FROM requirements r JOIN inspections i ON i.id = r.inspection_id"
        " LEFT JOIN remediation m ON m.requirement_id = r.id"
        f" WHERE r.removed = 0 AND i.superseded_by IS NULL AND {cond}", [day, day, soon, *rparams]).fetchone()
    dev_cond, dev_params = ("1 = 1", []) if scope.team is None else ("team = ?", [scope.team])
    devices = [(r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(
        f"SELECT device_id, team, label, last_seen, status FROM central_devices WHERE {dev_cond}"
        " ORDER BY last_seen DESC NULLS LAST, device_id", dev_params)]  # never seen: last on both engines
    quarantined = 0 if scope.team is not None else int(
        conn.execute("SELECT count(*) FROM quarantine").fetchone()[0])
    return Dashboard(period, by_status, int(row[0]), int(row[1]), int(row[2] or 0), groups, int(req[1] or 0),
                     int(req[0] or 0), int(req[2] or 0), quarantined, devices)
