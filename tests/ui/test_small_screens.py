"""Every main screen and dialog is fully usable on small laptop screens: 1366×768, and 1280×720
logical pixels (a 1920×1080 laptop at 150 %), with the Windows taskbar taking 40 px.

Each size runs in its own process (the offscreen screen's size is fixed when Qt starts); the PNGs
land in build/screenshots/small/ for people to look at."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TASKBAR = 40


@pytest.mark.parametrize("screen", [(1366, 768), (1280, 720)], ids=["1366x768", "1280x720"])
def test_every_screen_fits_a_small_laptop(screen: tuple[int, int], tmp_path: Path, screenshot_dir: Path) -> None:
    width, height = screen[0], screen[1] - TASKBAR
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    out = screenshot_dir / "small"
    result = subprocess.run([sys.executable, "-m", "tests.ui.screens_at_size", str(width), str(height), str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    screens = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(screens) == 15, result.stdout
    problems = {s["screen"]: s["clipped"] for s in screens if s["clipped"]}
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    too_big = [s["screen"] for s in screens if not s["fits"]]
    assert too_big == []
    matrix = next(s for s in screens if s["screen"] == "02-ghi-nhan")
    assert matrix["subject_columns_shown"] >= 6 and matrix["item_column"] >= 200, matrix
    for s in screens:
        assert (out / f"{width}x{height}-{s['screen']}.png").stat().st_size > 5000
