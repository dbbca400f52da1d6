"""Shared fixtures. Every test uses real parts: a real SQLite file in a temporary directory."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.workspace import Services, Workspace
from tests.keyring_file import use_file_keyring

pytest_plugins = ("tests.central.fixtures",)  # the central store's backends (SQLite, PostgreSQL)

# Offscreen Qt with a realistic 1920×1080 screen (the default 800×600 clamps window geometry).
_SCREEN = Path(__file__).with_name("offscreen-screen.json")
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"


# Data directories are encrypted; their key goes to the OS key store. CI has none (no Secret
# Service), so the tests use a file-backed keyring (tests/keyring_file.py), through the
# environment so that subprocesses (CLI, crash and power-loss children) find it too.
_KEYRING_DIR = Path(tempfile.mkdtemp(prefix="inspector-test-keyring-"))
use_file_keyring(_KEYRING_DIR)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_KEYRING_DIR, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """No test may be skipped: a skip hides a missing dependency or an unfinished feature."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped tests are not allowed in this project: {report.longrepr}"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def workspace(data_dir: Path) -> Iterator[Workspace]:
    ws = Workspace.open(data_dir)
    yield ws
    ws.close()


@pytest.fixture
def services(workspace: Workspace) -> Services:
    return workspace.services
