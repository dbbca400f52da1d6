"""The installable build: `python packaging/build.py` makes a one-folder app that works.

One PyInstaller build (about a minute on 2 cores, plus ~15 s of checks), into a temporary folder
so a developer's dist/ is left alone. The build script itself runs the built app offscreen: start
time, the release self-test (demo, a finding recorded through the recording view, the minutes PDF)
and the built command line; this test checks that its report says so.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_build_script_makes_an_app_that_passes_its_self_test(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py"), "--dist", str(tmp_path / "dist"),
         "--work", str(tmp_path / "work"), "--report", str(report_file)],
        cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=1700)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "RESULT: OK" in result.stdout
    for line in ("build time", "folder size", "start time", "self-test", "command line"):
        assert f"  {line}" in result.stdout, f"report line {line!r} missing:\n{output}"

    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["ok"] is True
    folder = Path(report["folder"])
    assert folder == tmp_path / "dist" / "Inspector"
    exe = ".exe" if sys.platform == "win32" else ""
    assert (folder / f"Inspector{exe}").is_file()
    assert (folder / ("inspector-cli.exe" if exe else "inspector")).is_file()
    assert (folder / "_internal" / "resources" / "fonts" / "OFL.txt").is_file()

    self_test = report["self_test"]
    assert self_test["self_test"] == "ok"
    assert self_test["demo"] >= 1
    assert self_test["finding"] is True
    assert self_test["worker"] is True  # the signing process starts from the built executable (spawn)
    assert self_test["pdf_ok"] is True and self_test["pdf_bytes"] > 10_000
    assert self_test["events_verify"] is True
    assert report["cli"] == {"catalog_list": report["cli"]["catalog_list"], "events_verify": "ok",
                             "verify_pdf": "ok", "central_serve": "ok"}
    assert report["cli"]["catalog_list"] >= 4  # the catalog and the three checklists in resources/

    assert 50 < report["size_mb"] < 600, report["size_mb"]
    assert 0 < report["start_s"] < 20, report["start_s"]
    assert 0 < report["first_start_s"] < 30, report["first_start_s"]
    assert report["build_s"] > 0
