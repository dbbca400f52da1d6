"""The composition root of the desktop app: builds every object once and wires them together."""

from __future__ import annotations

import argparse
import gc
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QLibraryInfo, QSettings, QTimer, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from inspector import __version__
from inspector.clock import Clock
from inspector.errors import UserError
from inspector.i18n import Translator
from inspector.keys import OsKeyStore, recovery_sheet
from inspector.paths import resolve_data_dir, resources_dir
from inspector.workspace import Services, Unlocker
from ui.context import AppContext
from ui.dialogs.first_run import install_menu_action, offer_first_run
from ui.errors import ErrorPresenter
from ui.icons import configure_cache
from ui.instance import Claim, InstanceGuard
from ui.ops import Ops
from ui.qt_strings import QtStringsTranslator
from ui.theme import apply_theme
from ui.views.main_window import MainWindow

T = TypeVar("T")
WORKER_WARM_UP_MS = 2000  # after the main window is shown


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="inspector-desktop", description="Inspector — ứng dụng máy tính")
    parser.add_argument("--data-dir", default=None, metavar="THƯ_MỤC",
                        help="thư mục dữ liệu (mặc định: INSPECTOR_DATA_DIR hoặc thư mục dữ liệu người dùng)")
    parser.add_argument("--quit-after-start", action="store_true",
                        help="thoát ngay khi cửa sổ chính đã hiện và có dữ liệu (đo thời gian khởi động)")
    parser.add_argument("--self-test", metavar="TỆP.pdf", default=None,
                        help="tự kiểm tra bản cài đặt: tải dữ liệu mẫu, ghi nhận một kết quả, xuất biên bản ra"
                             " TỆP.pdf rồi thoát (mã 0 nếu mọi bước đều đạt)")
    return parser.parse_args(list(argv))


def build_context(data_dir: Path, *, interactive: bool = True, clock: Clock | None = None,
                  window: list[QWidget] | None = None) -> AppContext:
    """Open the data directory and build everything the windows need (also used by tests)."""
    holder = window if window is not None else []
    presenter = ErrorPresenter(Translator(), data_dir / "logs", lambda: holder[0] if holder else None,
                               interactive=interactive)
    def open_ops(unlocker: Unlocker) -> Ops:
        return Ops(data_dir, Translator(), clock, default_error=presenter.show, unlocker=unlocker)

    if interactive:
        from ui.dialogs.unlock import InteractiveUnlock

        opened = InteractiveUnlock(Translator(), data_dir).open_with(open_ops)
        assert isinstance(opened, Ops)
        ops = opened
    else:
        ops = open_ops(Unlocker.from_environment())
    try:
        tr = Translator(ops.read_blocking(lambda s: s.settings.language()))
    except BaseException:
        ops.shutdown()
        raise
    ops.use_translator(tr)
    presenter.tr = tr
    settings = QSettings(str(data_dir / "ui.ini"), QSettings.Format.IniFormat)
    configure_cache(data_dir / "cache")
    return AppContext(data_dir=data_dir, ops=ops, tr=tr, settings=settings, errors=presenter)


def _show_recovery_key(tr: Translator, parent: QWidget, data_dir: Path, recovery_key: str) -> None:
    """Shown once, when the keys are created: the user prints it or copies it."""
    from ui.dialogs.backup import RecoveryKeyDialog

    RecoveryKeyDialog(tr, recovery_sheet(data_dir, recovery_key), parent).exec()


def close_context(ctx: AppContext) -> None:
    ctx.ops.shutdown()


def install_qt_translations(app: QApplication, language: str) -> list[QTranslator]:
    """Qt's own dialogs and buttons (file dialogs, message boxes) in the app's language.

    Qt's catalog for the language is loaded when Qt ships one (`qtbase_en` for English); there is
    none for Vietnamese, so `ui.qt_strings` translates the strings our windows show.
    """
    installed: list[QTranslator] = []
    catalog = QTranslator(app)
    if catalog.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(catalog)
        installed.append(catalog)
    if language == "vi":
        own = QtStringsTranslator(app)
        app.installTranslator(own)
        installed.append(own)
    return installed


def bring_forward(window: QWidget | None) -> None:
    """A second start on this data directory asked for the window (and any dialog open on it, such as
    the passphrase asked before the window exists)."""
    if window is not None:
        if window.isMinimized():
            window.showNormal()
        window.show()
        window.raise_()
        window.activateWindow()
    modal = QApplication.activeModalWidget()
    if modal is not None and modal is not window:
        modal.raise_()
        modal.activateWindow()


def already_open_message(tr: Translator, data_dir: Path) -> str:
    return tr("Inspector đang mở với thư mục dữ liệu này ({path}) nhưng không trả lời. Tìm cửa sổ Inspector trên"
              " thanh tác vụ; nếu phần mềm bị treo, hãy đóng nó (hoặc khởi động lại máy) rồi mở lại. Hai cửa sổ"
              " không được cùng ghi vào một thư mục dữ liệu.").format(path=str(data_dir))


def report_already_open(data_dir: Path, language: str, *, interactive: bool) -> None:
    tr = Translator(language)
    message = already_open_message(tr, data_dir)
    print(message, file=sys.stderr, flush=True)
    if interactive:
        QMessageBox.information(None, tr("Inspector đang mở"), message)


def run_self_test(ctx: AppContext, window: MainWindow, output: Path, app: QApplication) -> None:
    """Release check of an installed build: the same code paths a user takes, then quit.

    Prints one JSON line (steps and timings); the exit code is 0 only if every step passed.
    """
    import json
    import os
    import time

    from inspector.worker import warm

    started = time.perf_counter()
    steps: dict[str, object] = {}

    def read(fn: Callable[[Services], T]) -> T:
        return ctx.ops.read_blocking(fn)

    def write(fn: Callable[[Services], T]) -> T:
        box: list[T] = []
        ctx.ops.write(fn, box.append)
        if not ctx.ops.wait_idle(60) or not box:
            raise RuntimeError("the write did not complete")
        return box[0]

    try:
        from inspector.demo import load_demo

        if not read(lambda s: s.inspections.find()):
            write(lambda s: load_demo(s, inspections=3))
        steps["demo"] = len(read(lambda s: s.inspections.find()))
        target = next(r for r in read(lambda s: s.inspections.find())
                      if r.status in ("draft", "in_progress", "recorded"))
        if target.status == "draft":
            write(lambda s: s.inspections.start(target.id))
        window.open_inspection(target.id)
        page = window.recording_page
        if not ctx.ops.wait_idle(30):
            raise RuntimeError("the inspection did not open")
        item = page.model.groups[0].items[0].code
        subject = page.model.subjects[0].id
        page.record(item, subject, level=2, note="Tự kiểm tra bản cài đặt")
        if not ctx.ops.wait_idle(30):
            raise RuntimeError("the write did not complete")
        finding = read(lambda s: s.findings.matrix(target.id).get(item, subject))
        steps["finding"] = finding is not None and finding.level == 2
        # The signing process starts in the installed build too (spawn, freeze_support in main.py).
        steps["worker"] = ctx.ops.worker.call(warm) != os.getpid()
        pdf = read(lambda s: s.documents.export(target.id, "minutes"))
        output.write_bytes(pdf)
        steps["pdf_bytes"] = len(pdf)
        steps["pdf_ok"] = pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-1024:]
        steps["events_verify"] = read(lambda s: s.verify_events().ok)
        ok = all(v for v in steps.values())
    except Exception as exc:  # reported, then a non-zero exit
        steps["error"] = repr(exc)
        ok = False
    steps["seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps({"self_test": "ok" if ok else "failed", **steps}, ensure_ascii=False), flush=True)
    app.exit(0 if ok else 1)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    data_dir = resolve_data_dir(args.data_dir)
    # The OS key store holds the data key: load it while Qt starts (it is needed right after). A
    # directory protected by a passphrase only never imports `keyring` (~0.1 s with its backend scan).
    if OsKeyStore.needed_for(data_dir):
        threading.Thread(target=OsKeyStore.warm_up, name="inspector-keyring-warm-up", daemon=True).start()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Inspector")
    app.setOrganizationName("Inspector")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "inspector-256.png")))
    app.setDesktopFileName("inspector")  # matches packaging/linux/inspector.desktop (taskbar icon on Wayland)
    apply_theme(app)
    interactive = not (args.self_test or args.quit_after_start)
    ui_state = QSettings(str(data_dir / "ui.ini"), QSettings.Format.IniFormat)
    guard = InstanceGuard(data_dir)
    try:
        claim = guard.claim(forward=interactive)
    except OSError:
        claim = Claim.PRIMARY  # the folder cannot be created: opening the store below says why
    if claim is Claim.FORWARDED:
        return 0
    if claim is Claim.ALREADY_OPEN:
        report_already_open(data_dir, str(ui_state.value("app/language", "vi")), interactive=interactive)
        return 1
    holder: list[QWidget] = []
    guard.activation_requested.connect(lambda: bring_forward(holder[0] if holder else None))
    try:
        ctx = build_context(data_dir, window=holder)
    except UserError as exc:
        guard.release()
        QMessageBox.critical(None, "Inspector", exc.render())
        return 1
    ctx.settings.setValue("app/language", ctx.tr.language)  # a second start speaks the same language
    install_qt_translations(app, ctx.tr.language)
    window = MainWindow(ctx)
    holder.append(window)
    install_menu_action(window, ctx)
    sys.excepthook = ctx.errors.excepthook
    window.show()
    if args.self_test:
        QTimer.singleShot(0, lambda: run_self_test(ctx, window, Path(args.self_test), app))
    elif args.quit_after_start:
        QTimer.singleShot(0, app.quit)
    else:
        window.restore_session()
        recovery_key = ctx.ops.recovery_key  # the data directory's keys were just created: show it once

        def welcome() -> None:  # the recovery key is read and closed before the setup assistant opens
            if recovery_key:
                _show_recovery_key(ctx.tr, window, data_dir, recovery_key)
            offer_first_run(ctx, window)

        QTimer.singleShot(0, welcome)
        # The signing process starts once the window is up and its first reads are done, so it
        # never slows the start; a signature asked for before then starts it itself.
        QTimer.singleShot(WORKER_WARM_UP_MS, ctx.ops.warm_up_worker)
    code = app.exec()
    close_context(ctx)
    ctx.settings.sync()  # on disk now (a restart reads it), not when its wrapper happens to be freed
    guard.release()  # before a restart, so the new app can take the data directory
    if window.restart_requested:
        restart(window.restart_data_dir)
    # Everything is closed, committed and written. The interpreter's teardown would walk every
    # object left (~400 modules) in its final collections, ~50 ms of a start; frozen, they are left
    # to the OS (atexit handlers, logging's flush and the standard streams' flush still run).
    gc.freeze()
    return int(code)


def restart(data_dir: Path | None = None) -> None:
    """Start the app again (after this one released its data directory): a new language, or the
    data directory a backup was just restored into."""
    from PySide6.QtCore import QProcess

    frozen = getattr(sys, "frozen", False)  # the installed build: the executable is the app
    args = list(sys.argv[1:] if frozen else sys.argv)
    if data_dir is not None:
        if "--data-dir" in args:
            at = args.index("--data-dir")
            del args[at:at + 2]
        args += ["--data-dir", str(data_dir)]
    QProcess.startDetached(sys.executable, args)
