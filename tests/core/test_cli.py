"""The command line: exit codes, --data-dir everywhere, JSON output, Vietnamese messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inspector.cli import main
from tests.storage import raw_connect


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_subprocess_entry_points(tmp_path: Path) -> None:
    env = {**os.environ, "INSPECTOR_DATA_DIR": str(tmp_path / "env-data")}
    result = subprocess.run([sys.executable, "-m", "inspector", "catalog", "list"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "ct24-lanh-dao" in result.stdout
    assert (tmp_path / "env-data" / "inspector.db").is_file()
    usage = subprocess.run([sys.executable, "-m", "inspector", "catalog", "frobnicate"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2 and "Lỗi cú pháp lệnh" in usage.stderr


def test_data_dir_before_or_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(capsys, "--data-dir", str(a), "catalog", "list")[0] == 0
    assert run(capsys, "catalog", "list", "--data-dir", str(b))[0] == 0
    assert (a / "inspector.db").is_file() and (b / "inspector.db").is_file()


def test_catalog_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = ["--data-dir", str(tmp_path)]
    code, out, _ = run(capsys, "catalog", "list", "--json", *d)
    rows = json.loads(out)
    assert code == 0 and {r["id"] for r in rows} == {"ct24-hn", "ct24-lanh-dao", "ct24-cong-chuc", "ct24-mot-cua"}
    code, out, _ = run(capsys, "catalog", "show", "ct24-hn", *d)
    assert code == 0 and "KL-12" in out and "NT-09" in out and "BV-04" in out
    code, out, _ = run(capsys, "catalog", "show", "ct24-lanh-dao@1", "--json", *d)
    assert code == 0 and len(json.loads(out)["items"]) == 41
    code, _, err = run(capsys, "catalog", "show", "khong-co", *d)
    assert code == 1 and "Không có danh mục" in err

    bad = tmp_path / "sai.json"
    bad.write_text('{"format": "inspector.checklist",', encoding="utf-8")
    before = raw_connect(tmp_path / "inspector.db").execute("SELECT count(*) FROM events").fetchone()
    code, _, err = run(capsys, "catalog", "import", str(bad), *d)
    assert code == 1 and "sai.json" in err and "dòng 1" in err
    code, _, err = run(capsys, "catalog", "validate", str(bad), *d)
    assert code == 1
    after = raw_connect(tmp_path / "inspector.db").execute("SELECT count(*) FROM events").fetchone()
    assert before == after



def test_demo_inspection_and_events_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = ["--data-dir", str(tmp_path)]
    code, out, _ = run(capsys, "demo", "--inspections", "5", *d)
    assert code == 0 and "5 đợt kiểm tra" in out
    code, _, err = run(capsys, "demo", *d)
    assert code == 1 and "--force" in err
    code, out, _ = run(capsys, "inspection", "list", "--json", *d)
    rows = json.loads(out)
    assert code == 0 and len(rows) == 5
    code, out, _ = run(capsys, "inspection", "list", "--status", "draft", *d)
    assert code == 0 and "Tổng cộng: 1" in out
    code, out, _ = run(capsys, "inspection", "show", rows[0]["id"], *d)
    assert code == 0 and rows[0]["decision_no"] in out
    code, out, _ = run(capsys, "inspection", "show", rows[0]["id"], "--json", *d)
    assert code == 0 and json.loads(out)["inspection"]["id"] == rows[0]["id"]
    code, _, err = run(capsys, "inspection", "show", "khong-ton-tai", *d)
    assert code == 1 and "Không tìm thấy" in err
    code, out, _ = run(capsys, "events", "verify", *d)
    assert code == 0 and "Hợp lệ" in out
    code, out, _ = run(capsys, "evidence", "verify", "--json", *d)
    assert code == 0 and json.loads(out)["ok"]


def test_events_verify_names_a_row_edited_behind_the_apps_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = ["--data-dir", str(tmp_path)]
    run(capsys, "demo", "--inspections", "3", *d)
    raw = raw_connect(tmp_path / "inspector.db")
    finding_id, level = raw.execute("SELECT id, level FROM findings LIMIT 1").fetchone()
    raw.execute("UPDATE findings SET level = ? WHERE id = ?", ((level + 1) % 4, finding_id))
    raw.commit()
    raw.close()
    code, out, _ = run(capsys, "events", "verify", *d)
    assert code == 1
    assert f"findings [id={finding_id}]" in out and "level" in out
    code, out, _ = run(capsys, "events", "verify", "--json", *d)
    assert code == 1 and not json.loads(out)["ok"]


def test_corrupt_evidence_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = ["--data-dir", str(tmp_path)]
    run(capsys, "demo", "--inspections", "4", "--photos", "1", *d)
    blob = next(p for p in (tmp_path / "evidence").rglob("*") if p.is_file() and p.parent.name != "tmp")
    data = bytearray(blob.read_bytes())
    data[100] ^= 0xFF
    blob.write_bytes(bytes(data))
    code, out, _ = run(capsys, "evidence", "verify", *d)
    assert code == 1 and "không khớp mã băm" in out
