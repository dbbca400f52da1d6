"""One app per data directory, with real processes (`python main.py --data-dir D`, offscreen Qt):
a second start brings the running window forward and exits; a crashed app's lock does not block
the next start; an app that holds the folder but does not answer is reported plainly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLockFile
from PySide6.QtNetwork import QLocalSocket
from PySide6.QtWidgets import QMessageBox

from tests.ui.conftest import ROOT
from tests.ui.helpers import when_modal
from ui.app import already_open_message, bring_forward, report_already_open
from ui.instance import LOCK_NAME, Claim, InstanceGuard, server_name

START_TIMEOUT = 60  # a cold start of the app on a loaded CI machine
QUICK = 20          # what "exits quickly" means here: well under a start plus a whole answer timeout


def _app(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--data-dir", str(data_dir), *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")


def _wait_listening(data_dir: Path, process: subprocess.Popen[str]) -> None:
    """Until the running app answers on its socket (bounded)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        socket = QLocalSocket()
        socket.connectToServer(server_name(data_dir))
        if socket.waitForConnected(200):
            socket.abort()
            return
        time.sleep(0.1)
    raise AssertionError("the first app never listened")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    data_dir = tmp_path / "data"
    first = _app(data_dir)
    try:
        _wait_listening(data_dir, first)
        yield data_dir, first
    finally:
        if first.poll() is None:
            first.kill()  # the process this test started, by its id
        first.communicate(timeout=30)


def _run(data_dir: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "--data-dir", str(data_dir), *args], cwd=ROOT,
                            capture_output=True, text=True, encoding="utf-8", timeout=START_TIMEOUT)
    return result, time.monotonic() - started


def test_a_second_start_brings_the_running_window_forward(running: tuple[Path, subprocess.Popen[str]]) -> None:
    data_dir, first = running
    second, seconds = _run(data_dir)
    assert second.returncode == 0, second.stderr
    assert seconds < QUICK, f"the second start took {seconds:.1f} s"
    assert second.stderr.strip() == "" or "Traceback" not in second.stderr
    assert first.poll() is None, "the first app keeps running"
    assert not (data_dir / "logs").exists() or not any((data_dir / "logs").glob("crash*")), "no crash anywhere"


def test_a_crashed_apps_lock_does_not_block_the_next_start(running: tuple[Path, subprocess.Popen[str]]) -> None:
    data_dir, first = running
    os.kill(first.pid, signal.SIGKILL)  # power cut: no clean-up at all
    first.wait(timeout=30)
    assert (data_dir / LOCK_NAME).exists(), "the crashed app left its lock behind"
    after, seconds = _run(data_dir, "--quit-after-start")
    assert after.returncode == 0, after.stderr
    assert "đang mở" not in after.stderr
    assert seconds < START_TIMEOUT


def test_an_app_that_holds_the_folder_but_does_not_answer_is_reported(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    held = QLockFile(str(data_dir / LOCK_NAME))  # this test process: alive, listening on nothing
    held.setStaleLockTime(0)
    assert held.tryLock(0)
    try:
        second, seconds = _run(data_dir, "--quit-after-start")
    finally:
        held.unlock()
    assert second.returncode == 1
    assert seconds < QUICK, f"the refusal took {seconds:.1f} s"
    assert "Inspector đang mở với thư mục dữ liệu này" in second.stderr and str(data_dir) in second.stderr
    assert "Traceback" not in second.stderr and "Error" not in second.stderr
    assert not (data_dir / "inspector.db").exists(), "the second start never opened the database"


def test_the_running_app_answers_by_raising_its_window(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    """This process is the running app (its window minimised); a real second process asks for it."""
    from PySide6.QtWidgets import QMainWindow

    data_dir = tmp_path / "data"
    guard = InstanceGuard(data_dir)
    assert guard.claim() is Claim.PRIMARY
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    window.showMinimized()
    asked: list[bool] = []
    guard.activation_requested.connect(lambda: (asked.append(True), bring_forward(window)))
    try:
        second = _app(data_dir)
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=QUICK * 1000)
        _out, err = second.communicate(timeout=10)
        assert second.returncode == 0, err
        assert asked == [True] and not window.isMinimized()
    finally:
        guard.release()
    assert not (data_dir / LOCK_NAME).exists(), "a clean exit removes the lock"


def test_the_plain_message_is_shown_in_a_box_when_interactive(tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    from inspector.i18n import Translator

    seen: list[str] = []

    def read_and_close(box) -> None:  # type: ignore[no-untyped-def]
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        box.accept()

    when_modal(read_and_close)
    report_already_open(tmp_path, "en", interactive=True)
    assert seen == [already_open_message(Translator("en"), tmp_path)]
    assert seen[0].startswith("Inspector is already open with this data folder")


# -- Qt's own dialogs in the app's language (ui.app.main installs these at start) ------------------
def _buttons(qapp) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QDialogButtonBox

    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Yes | QDialogButtonBox.StandardButton.Cancel)
    texts = (box.button(QDialogButtonBox.StandardButton.Yes).text(),
             box.button(QDialogButtonBox.StandardButton.Cancel).text())
    box.deleteLater()
    return texts


def test_qt_dialogs_speak_the_apps_language(qapp) -> None:  # type: ignore[no-untyped-def]
    from ui.app import install_qt_translations
    from ui.qt_strings import QtStringsTranslator

    session = qapp.findChildren(QtStringsTranslator)  # installed for the whole test session (Vietnamese)
    for translator in session:
        qapp.removeTranslator(translator)
    try:
        assert _buttons(qapp) == ("&Yes", "Cancel")
        english = install_qt_translations(qapp, "en")
        try:
            assert [Path(t.filePath()).name for t in english] == ["qtbase_en.qm"], "Qt's English catalog"
            assert not any(isinstance(t, QtStringsTranslator) for t in english)
            assert _buttons(qapp) == ("&Yes", "Cancel")
        finally:
            for translator in english:
                qapp.removeTranslator(translator)
        vietnamese = install_qt_translations(qapp, "vi")  # Qt ships no Vietnamese: our table
        try:
            assert [type(t) for t in vietnamese] == [QtStringsTranslator]
            assert _buttons(qapp) == ("Có", "Hủy")
        finally:
            for translator in vietnamese:
                qapp.removeTranslator(translator)
    finally:
        for translator in session:
            qapp.installTranslator(translator)
