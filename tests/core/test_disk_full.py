"""A full disk gives a clear Vietnamese error, loses nothing committed, and recording resumes
once space is freed. Runs the worker on a 4 MB tmpfs in a private mount namespace (unshare)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_full_disk_is_reported_and_nothing_committed_is_lost(tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    assert unshare, "util-linux `unshare` is required for the disk-full test"
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    script = (f"mount -t tmpfs -o size=4m tmpfs '{mount_point}' && "
              f"exec '{sys.executable}' -m tests.core.diskfull_worker '{mount_point}'")
    result = subprocess.run([unshare, "--mount", "--map-root-user", "sh", "-c", script], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    observed = json.loads(result.stdout.strip().splitlines()[-1])
    assert "Ổ đĩa đã đầy" in observed["evidence_error"]
    assert observed["record_error"] and "Ổ đĩa đã đầy" in observed["record_error"]
    assert observed["vault_tmp_left"] == []
    assert observed["resumed"] and observed["earlier_present"] and observed["events_grew"]
    assert observed["integrity"] == "ok" and observed["verify_ok"]
