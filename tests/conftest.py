"""Shared fixtures. Every test uses real parts: a real SQLite file in a temporary directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.workspace import Services, Workspace

# Offscreen Qt with a realistic 1920×1080 screen (the default 800×600 clamps window geometry).
_SCREEN = Path(__file__).with_name("offscreen-screen.json")
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"


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
