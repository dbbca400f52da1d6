"""Real widgets, offscreen, on a real store in a temporary directory."""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from inspector.errors import UserError
from ui.app import build_context
from ui.context import AppContext
from ui.qt_strings import QtStringsTranslator
from ui.theme import apply_theme
from ui.views.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def _themed(qapp: QApplication) -> None:
    apply_theme(qapp)
    qapp.installTranslator(QtStringsTranslator(qapp))  # as ui.app.main does for Vietnamese


@pytest.fixture
def screenshot_dir() -> Path:
    path = Path(os.environ.get("INSPECTOR_SCREENSHOTS", ROOT / "build" / "screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def open_context(data_dir: Path) -> AppContext:
    return build_context(data_dir, interactive=False)


def close_context(ctx: AppContext) -> None:
    """Shut the context down; a bug raised in any background operation fails the test here."""
    ctx.ops.shutdown()
    bugs = [e for e in ctx.errors.shown if not isinstance(e, UserError)]
    if bugs:
        raise AssertionError("an operation failed in the background:\n" + "".join(
            traceback.format_exception(type(bugs[0]), bugs[0], bugs[0].__traceback__)))


@pytest.fixture
def app_ctx(tmp_path: Path) -> Iterator[AppContext]:
    ctx = open_context(tmp_path / "data")
    yield ctx
    close_context(ctx)


def show_window(ctx: AppContext, qtbot) -> MainWindow:  # type: ignore[no-untyped-def]
    """The main window on `ctx`, shown at a laptop's size and exposed."""
    win = MainWindow(ctx)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def window(app_ctx: AppContext, qtbot) -> MainWindow:  # type: ignore[no-untyped-def]
    return show_window(app_ctx, qtbot)
