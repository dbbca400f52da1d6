"""Statistics, exports and the periodic report against counts taken straight from the store:
by manifestation (the item → code mapping of the catalogs), by level, by unit rolled up along the
registry tree; the list's filters; every list as XLSX read back with openpyxl; the summary
report as XLSX and as a PDF/A read back with poppler; the staff CLI."""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from inspector.central.console import stats, summary
from inspector.central.console import store as q
from inspector.central.console.store import Scope
from inspector.central.storage import ENV_VAR
from tests.central.fixtures import DatabaseFactory
from tests.console.conftest import Office
from tests.documents.builders import pdftotext


def _conn(office: Office) -> sqlite3.Connection:
    return office.reader()


def test_statistics_match_the_store(office: Office) -> None:
    office.server.call(lambda c: summary.refresh(c.store))
    conn = _conn(office)
    codes = q.codes(conn, q.Codes())
    period = stats.period_of("2026", date(2026, 12, 1))
    grouped = stats.by_item(conn, Scope(None), period)
    levels = stats.by_level(grouped)
    for level in (0, 1, 2, 3):
        direct = conn.execute("SELECT count(*) FROM findings f JOIN inspections i ON i.id = f.inspection_id"
                              " WHERE f.removed = 0 AND f.level = ? AND i.decision_date LIKE '2026-%'"
                              " AND i.superseded_by IS NULL", (level,)).fetchone()[0]
        assert levels[level] == direct, level
    by_code = stats.by_manifestation(grouped, codes)
    # one code by hand: every finding >= 1 on an item that lists it
    code = sorted({c for c, _ in by_code})[0]
    expected = 0
    for checklist, version, item, count in conn.execute(
            "SELECT i.checklist_id, i.checklist_version, f.item_code, count(*) FROM findings f JOIN inspections i"
            " ON i.id = f.inspection_id WHERE f.removed = 0 AND f.level >= 1 AND i.decision_date LIKE '2026-%'"
            " AND i.superseded_by IS NULL GROUP BY 1, 2, 3"):
        if code in codes.items[(checklist, version, item)]:
            expected += count
    assert sum(by_code[(code, lv)] for lv in (1, 2, 3)) == expected > 0
    units = stats.by_unit(conn, Scope(None), period)
    total = conn.execute("SELECT count(*) FROM inspections WHERE decision_date LIKE '2026-%'"
                         " AND superseded_by IS NULL").fetchone()[0]
    roots = [u for u in units if u.depth == 0]
    assert sum(u.inspections for u in roots) == total  # the roll-up loses and doubles nothing
    for parent in units:
        children = [u for u in units if u.depth == parent.depth + 1 and _is_child(conn, u.unit_id, parent.unit_id)]
        own = conn.execute("SELECT count(*) FROM inspections WHERE unit_id = ? AND decision_date LIKE '2026-%'"
                           " AND superseded_by IS NULL", (parent.unit_id,)).fetchone()[0]
        assert parent.inspections == own + sum(c.inspections for c in children), parent.name
    doan2 = stats.by_level(stats.by_item(conn, Scope("doan-2"), period))
    assert sum(doan2.values()) < sum(levels.values())  # a team's statistics are its own


def _is_child(conn: sqlite3.Connection, child: str, parent: str) -> bool:
    row = conn.execute("SELECT parent_id FROM units WHERE id = ?", (child,)).fetchone()
    return bool(row and row[0] == parent)


def test_filters_and_click_through(office: Office) -> None:
    admin = office.login("admin")
    conn = _conn(office)
    everything = admin.get("/inspections").text
    total = int(re.search(r"\(([\d.]+)\)</span></h1>", everything).group(1).replace(".", ""))  # type: ignore[union-attr]
    assert total == conn.execute("SELECT count(*) FROM inspections WHERE superseded_by IS NULL").fetchone()[0]
    stats_page = admin.get("/statistics?period=2026").text
    link = re.search(r'<a href="(/inspections\?from=[^"]*manifestation=([^"&]+))"', stats_page)
    assert link
    listed = admin.get(link.group(1).replace("&amp;", "&")).text
    ids = set(re.findall(r'href="/inspections/([0-9a-f-]{36})"', listed))
    code = link.group(2)
    codes = q.codes(conn, q.Codes())
    items = codes.item_codes_for(code)
    marks = ", ".join("?" for _ in items)
    expected = {r[0] for r in conn.execute(
        f"SELECT DISTINCT i.id FROM inspections i JOIN findings f ON f.inspection_id = i.id WHERE f.removed = 0"
        f" AND f.level >= 1 AND f.item_code IN ({marks}) AND i.decision_date LIKE '2026-%'"
        " AND i.superseded_by IS NULL", items)}
    assert ids == expected and ids
    level3 = admin.get("/inspections?level=3").text
    assert set(re.findall(r'href="/inspections/([0-9a-f-]{36})"', level3)) == {r[0] for r in conn.execute(
        "SELECT DISTINCT inspection_id FROM findings WHERE level = 3 AND removed = 0")}
    unit = conn.execute("SELECT id FROM units WHERE parent_id IS NULL AND name = 'Thành phố Hà Nội'").fetchone()[0]
    subtree = admin.get(f"/inspections?unit={unit}").text
    assert "Không có đợt kiểm tra nào" not in subtree  # the city's wards' inspections are its own


def test_exports_read_back(office: Office) -> None:
    admin = office.login("admin")
    for name, header in (("inspections", "Số quyết định"), ("requirements", "Số quyết định"),
                         ("devices", "Mã thiết bị"), ("audit", "Thời điểm"), ("catalogs", "Loại")):
        answer = admin.get(f"/export/{name}.xlsx")
        assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
        rows = list(load_workbook(io.BytesIO(answer.content), read_only=True).active.iter_rows(values_only=True))
        assert rows[0][0] == header and len(rows) > 1, name
    requirements = list(load_workbook(io.BytesIO(admin.get("/export/requirements.xlsx?view=overdue").content),
                                      read_only=True).active.iter_rows(values_only=True))
    assert all(r[7] == "Quá hạn" for r in requirements[1:])
    quarantine = admin.get("/export/quarantine.xlsx")
    sheet = load_workbook(io.BytesIO(quarantine.content), read_only=True).active
    assert next(sheet.iter_rows(values_only=True))[0] == "Thiết bị"
    clerk = office.login("clerk")
    assert clerk.get("/export/audit.xlsx").status_code == 404  # admins only
    assert clerk.get("/export/quarantine.xlsx").status_code == 404  # not for a team's account


def test_periodic_report_as_xlsx_and_pdf(office: Office) -> None:
    admin = office.login("admin")
    conn = _conn(office)
    count = conn.execute("SELECT count(*) FROM inspections WHERE decision_date LIKE '2026-%'"
                         " AND superseded_by IS NULL").fetchone()[0]
    book = load_workbook(io.BytesIO(admin.get("/report.xlsx?period=2026").content), read_only=True)
    figures = {r[0]: r[1] for r in book["Tổng hợp"].iter_rows(values_only=True) if r and len(r) > 1}
    assert figures["Số đợt kiểm tra"] == count
    answer = admin.get("/report.pdf?period=2026")
    assert answer.headers["content-type"] == "application/pdf" and answer.content.startswith(b"%PDF")
    text = pdftotext(answer.content)
    assert "BÁO CÁO TỔNG HỢP KẾT QUẢ KIỂM TRA" in text and "Năm 2026" in text
    assert re.search(rf"Số đợt kiểm tra\s+{count}\b", pdftotext(answer.content, layout=True))
    fonts = subprocess.run(["pdffonts", "-"], input=answer.content, capture_output=True, check=False).stdout.decode()
    assert "Liberation" in fonts and "Helvetica" not in fonts


def test_staff_cli(tmp_path: Path, make_database: DatabaseFactory) -> None:
    database = make_database(tmp_path / "srv")
    env = {**os.environ, "NEW_PASSWORD": "mot-mat-khau-dai-2026"}
    env.pop(ENV_VAR, None)
    if database.url is not None:
        env[ENV_VAR] = database.url

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "inspector", "central", "user", *args,
                               "--data-dir", str(tmp_path / "srv")], env=env, capture_output=True, text=True,
                              check=False, stdin=subprocess.DEVNULL)

    added = run("add", "lan.nt", "--role", "clerk", "--team", "doan-1", "--password-env", "NEW_PASSWORD")
    assert added.returncode == 0 and "lan.nt" in added.stdout, added.stderr
    again = run("add", "lan.nt", "--role", "clerk", "--password-env", "NEW_PASSWORD")
    assert again.returncode != 0 and "Đã có tài khoản" in again.stdout + again.stderr
    assert "Traceback" not in again.stderr
    no_terminal = run("add", "minh", "--role", "viewer")
    assert no_terminal.returncode != 0 and "--password-env" in no_terminal.stdout + no_terminal.stderr
    short = run("add", "minh", "--role", "viewer", "--password-env", "SHORT")
    assert short.returncode != 0
    listed = json.loads(run("list", "--json").stdout)
    assert [(u["username"], u["role"], u["team"], u["active"]) for u in listed] == [("lan.nt", "clerk", "doan-1", True)]
    assert run("disable", "lan.nt").returncode == 0
    assert json.loads(run("list", "--json").stdout)[0]["active"] is False
    assert run("reset", "lan.nt", "--password-env", "NEW_PASSWORD").returncode == 0
    user = json.loads(run("list", "--json").stdout)[0]
    assert user["active"] is True and user["must_change"] is True
    store = database.open(read_only=True)
    try:
        digest = store.conn.execute("SELECT password_hash FROM staff_users").fetchone()[0]
        actions = [r[0] for r in store.conn.execute("SELECT action FROM staff_audit ORDER BY id")]
    finally:
        store.close()
    assert digest.startswith("$argon2id$") and "mot-mat-khau" not in digest
    assert actions == ["user.add", "user.disable", "user.reset"]


def _levels(html: str) -> dict[str, int]:
    pattern = r'aria-label="(Không có biểu hiện|Mức [123]): (\d+)"'
    return {m.group(1): int(m.group(2)) for m in re.finditer(pattern, html)}


def test_statistics_follow_what_laptops_send_next(office: Office) -> None:
    from inspector.workspace import Workspace

    admin = office.login("admin")
    ws = Workspace.open(office.root / "demo")
    try:
        cell = ws.services.ctx.store.one(
            "SELECT f.inspection_id, f.item_code, f.subject_id, i.decision_date FROM findings f JOIN inspections i"
            " ON i.id = f.inspection_id WHERE i.status IN ('in_progress', 'recorded') AND f.level = 0"
            " AND f.removed = 0 LIMIT 1")
        assert cell is not None
        url = f"/statistics?period={cell['decision_date'][:4]}"
        before = _levels(admin.get(url).text)
        ws.services.findings.record(cell["inspection_id"], cell["item_code"], cell["subject_id"], level=3,
                                    note="Phát hiện thêm khi rà soát.")
        ws.services.sync.sync()
    finally:
        ws.close()
    after = _levels(admin.get(url).text)
    assert after["Mức 3"] == before["Mức 3"] + 1
    assert after["Không có biểu hiện"] == before["Không có biểu hiện"] - 1
