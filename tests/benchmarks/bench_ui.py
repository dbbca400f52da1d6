"""Issue 3 benchmarks: cold start, key press to durable commit, opening a big inspection."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.benchmarks.bench_store import _raw_commit_samples
from tests.benchmarks.harness import Result, percentile

ROOT = Path(__file__).resolve().parents[2]
BARE = ("from PySide6.QtWidgets import QApplication, QMainWindow\n"
        "from PySide6.QtCore import QTimer\n"
        "app = QApplication([]); w = QMainWindow(); w.show(); QTimer.singleShot(0, app.quit); app.exec()\n")


def _wall(cmd: list[str]) -> float:
    # The app as a user runs it: an installed app carries its bytecode (PyInstaller ships .pyc), so
    # the child may write its caches on the first start even where the shell forbids it
    # (PYTHONDONTWRITEBYTECODE would otherwise recompile ~70 of our modules on every start, ~0.2 s).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def bench_cold_start(root: Path, quick: bool) -> list[Result]:
    from inspector.demo import load_demo
    from inspector.workspace import Workspace

    data = root / "start"
    with Workspace.open(data) as ws:
        load_demo(ws.services, inspections=6 if quick else 30)
    app = [sys.executable, "main.py", "--data-dir", str(data), "--quit-after-start"]
    first = _wall(app)  # renders the icon cache
    runs = 2 if quick else 5
    ours = statistics.median(_wall(app) for _ in range(runs))
    bare = statistics.median(_wall([sys.executable, "-c", BARE]) for _ in range(runs))
    return [
        Result("cold start → main window with demo data", ours * 1000, bare * 1000, "ms",
               "bare QMainWindow started the same way", "≤ 4× bare and ≤ 1500 ms",
               ours <= 4 * bare and ours <= 1.5),
        Result("first start (renders the icon cache)", first * 1000, bare * 1000, "ms",
               "bare QMainWindow started the same way", "(reported)", True),
    ]


def bench_in_app(root: Path, quick: bool) -> list[Result]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from inspector.services.inspections import InspectionDraft, SubjectSpec
    from inspector.workspace import Workspace
    from ui.app import build_context, close_context
    from ui.views.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with Workspace.open(root / "app") as ws:  # the data, as a laptop holds it before the app starts
        s = ws.services
        unit = s.registry.add_unit("Ủy ban nhân dân phường Bồ Đề", "agency")
        insp = s.inspections.create(InspectionDraft(
            decision_no="9/QĐ", decision_date="2026-11-20", unit_id=unit.id, checklist_id="ct24-lanh-dao",
            subjects=[SubjectSpec(f"Cán bộ {n}", "Chuyên viên") for n in range(30)]))
        s.inspections.start(insp.id)
        checklist = s.ctx.checklist("ct24-lanh-dao", 1)
        with s.ctx.store.batch():
            for n, item in enumerate(checklist.items):
                for subj in insp.subjects:
                    s.findings.record(insp.id, item.code, subj.id, level=n % 4)
        load_only = percentile([_timed(lambda: s.findings.open(insp.id)) for _ in range(10)], 50)
    ctx = build_context(root / "app", interactive=False)
    try:
        window = MainWindow(ctx)
        window.resize(1440, 900)
        window.show()
        app.processEvents()
        page = window.recording_page
        opened_at: list[float] = []
        page.inspection_opened.connect(lambda _id: opened_at.append(time.perf_counter()))
        page_open: list[float] = []
        for n in range(3 if quick else 10):
            start = time.perf_counter()
            window.open_inspection(insp.id)  # a read on the pool, then the view fills
            while len(opened_at) <= n:  # the event loop as the app runs it: asleep until an event comes
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
            app.processEvents()  # layout and first paint
            page_open.append((time.perf_counter() - start) * 1000)
        view = page.view
        committed: list[float] = []
        marks: list[float] = []
        ctx.ops.saved.connect(lambda _at: committed.append(time.perf_counter()))
        presses = 40 if quick else 400
        items = [i.code for g in page.model.groups for i in g.items]
        for n in range(presses):
            view.setCurrentIndex(page.model.index_for(items[n % len(items)], page.model.subjects[n // len(items)].id))
            marks.append(time.perf_counter())
            QTest.keyClick(view, Qt.Key(Qt.Key.Key_0 + (n % 4)))
            while len(committed) <= n:  # wait for this commit (as a user would see "saved")
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        latencies = [(c - m) * 1000 for m, c in zip(marks, committed, strict=True)]
        during = _presses_while_signing(ctx, window, root, insp.id, items, 20 if quick else 150)
        back_to_back = {where: _presses_while_preparing(ctx, window, root, items, 20 if quick else 150, where)
                        for where in ("child", "inline")}
        window.close()
    finally:
        close_context(ctx)
    raw = _raw_commit_samples(root / "raw.db", presses)
    p99, raw99 = percentile(latencies, 99), percentile(raw, 99)
    opened = percentile(page_open, 50)
    return [
        Result("key press → durable commit, p50", percentile(latencies, 50), percentile(raw, 50), "ms",
               "raw sqlite3 insert+commit, p50", "(reported)", True),
        Result("key press → durable commit, p99", p99, raw99, "ms", "raw sqlite3 insert+commit, p99",
               "p99 ≤ 50 ms", p99 <= 50),
        Result("open 41×30 inspection into the recording view", opened, load_only, "ms",
               "loading the same data without widgets", "≤ 300 ms", opened <= 300),
        Result("key press → durable commit, p99, while signing", percentile(during, 99), p99, "ms",
               "key press → durable commit, p99, nothing else running", "p99 ≤ 50 ms",
               percentile(during, 99) <= 50),
        Result("key press → durable commit, p99, signing back to back", percentile(back_to_back["child"], 99),
               percentile(back_to_back["inline"], 99), "ms", "the same, rendering and signing in the app's process",
               "p99 ≤ 50 ms", percentile(back_to_back["child"], 99) <= 50),
        Result("key press → durable commit, p50, signing back to back", percentile(back_to_back["child"], 50),
               percentile(back_to_back["inline"], 50), "ms", "the same, rendering and signing in the app's process",
               "(reported)", True),
    ]


def _presses_while_signing(ctx, window, root: Path, inspection_id: str, items: list[str],  # type: ignore[no-untyped-def]
                           presses: int) -> list[float]:
    """Key presses recorded while, on the pool, minutes are signed (PAdES) and then timestamped by a
    slow TSA (a local RFC 3161 server holding each answer 3 s): the latency of each durable commit.

    The TSA runs in a process of its own, as a real one is on another machine: its answers (a CMS
    signature made in pure Python) would otherwise be CPU work in the app's own process."""
    from inspector.services.documents import SignerPlan
    from tests.signing.pki import PASSPHRASE, make_pki
    from tests.signing.test_issue_documents import drawn, leader_plan, recorded
    from tests.ui.helpers import write

    pki = make_pki()
    p12 = root / "leader.p12"
    p12.write_bytes(pki.signer.pkcs12(PASSPHRASE))
    # Inspections whose minutes are ready to sign: the background signs one after another, as a
    # leader issuing the day's minutes would (no correction in between: correcting is a user's
    # own action, reported by `bench documents`, not part of "sign + timestamp").
    first = write(ctx, recorded)
    queue = [first] + [write(ctx, lambda s: _recorded_like(s, first)) for _ in range(3 if presses < 50 else 11)]
    tsa = _TsaProcess()
    running: list[bool] = [True]

    def sign_and_stamp(s, _task, commit):  # type: ignore[no-untyped-def]
        plans = [SignerPlan("unit_rep", drawn_png=drawn()), leader_plan(p12, drawn_png=drawn())]
        for inspection_id in queue:  # keep the pool busy signing and waiting on the TSA
            if not running[0]:
                break
            prepared = s.documents.prepare_issue(inspection_id, "minutes", plans)
            doc = commit(lambda w, p=prepared: w.documents.commit_issue(p))
            stamp = s.documents.prepare_timestamp(doc.id, tsa.url)
            commit(lambda w, p=stamp: w.documents.commit_timestamp(p))
        return None

    ctx.ops.long(sign_and_stamp)
    try:
        return _timed_presses(ctx, window, items, presses, shift=1)
    finally:
        running[0] = False
        ctx.ops.wait_idle(60)  # the operation stops after the TSA's current answer (≤ 3 s)
        tsa.close()


def _timed_presses(ctx, window, items: list[str], presses: int, shift: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Press a level key on `presses` cells of the recording view, one after another; each one's
    latency from the key press to its durable commit (only the key presses' commits are counted:
    a background operation commits too, in between). `shift` picks the levels typed."""
    from PySide6.QtCore import QEventLoop, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    page = window.recording_page
    view = page.view
    committed: list[float] = []

    def seen(_changes, by) -> None:  # type: ignore[no-untyped-def]
        if by is page:
            committed.append(time.perf_counter())

    ctx.ops.changed.connect(seen)
    latencies: list[float] = []
    try:
        for n in range(presses):
            view.setCurrentIndex(page.model.index_for(items[n % len(items)], page.model.subjects[n // len(items)].id))
            count = len(committed)
            pressed = time.perf_counter()
            QTest.keyClick(view, Qt.Key(Qt.Key.Key_0 + (n + shift) % 4))
            while len(committed) == count:
                app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)  # type: ignore[union-attr]
            latencies.append((committed[count] - pressed) * 1000)
    finally:
        ctx.ops.changed.disconnect(seen)
    return latencies


class _TsaProcess:
    """`tests.signing.conftest.TsaServer` with a 3 s delay, in a child process: `url`, `close()`."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from tests.benchmarks.bench_ui import _serve_tsa; _serve_tsa()"],
            cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.url

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()  # the child's cue to stop
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)


def _serve_tsa() -> None:
    """The child of `_TsaProcess`: serves until its standard input closes."""
    from tests.signing.conftest import TsaServer
    from tests.signing.pki import make_pki

    tsa = TsaServer(make_pki())
    tsa.delay_s = 3.0
    print(tsa.url, flush=True)
    sys.stdin.read()
    tsa.close()


def _presses_while_preparing(ctx, window, root: Path, items: list[str], presses: int,  # type: ignore[no-untyped-def]
                             where: str) -> list[float]:
    """Key presses while the pool renders and signs minutes without pause (`prepare_issue` again
    and again, nothing committed, no network wait): every press meets the CPU-heavy work.

    `where` is "child" (the app's signing process) or "inline" (the same work on the pool
    thread, in the app's process: how it ran before the worker, the same-run baseline)."""
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from inspector.worker import Worker
    from tests.signing.pki import PASSPHRASE, make_pki
    from tests.signing.test_issue_documents import drawn, leader_plan, recorded
    from tests.ui.helpers import read, write

    app = QApplication.instance()
    p12 = root / f"leader-{where}.p12"
    p12.write_bytes(make_pki().signer.pkcs12(PASSPHRASE))
    found = read(ctx, lambda s: s.inspections.find())
    template = next((r.id for r in found if r.status in ("recorded", "sealed")), None)
    target = write(ctx, lambda s: _recorded_like(s, template) if template else recorded(s))
    running = [True]
    prepared = [0]
    started = threading.Event()

    def prepare_again_and_again(s, _task, _commit):  # type: ignore[no-untyped-def]
        kept = s.ctx.worker
        if where == "inline":
            s.ctx.worker = Worker.inline()
        try:
            plans = [leader_plan(p12, drawn_png=drawn())]
            s.documents.prepare_issue(target, "minutes", plans)  # the worker is warm before presses start
            started.set()
            while running[0]:
                s.documents.prepare_issue(target, "minutes", plans)
                prepared[0] += 1
        finally:
            s.ctx.worker = kept
        return None

    ctx.ops.long(prepare_again_and_again)
    while not started.is_set():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)  # type: ignore[union-attr]
    try:
        latencies = _timed_presses(ctx, window, items, presses, shift=2)
    finally:
        running[0] = False
        ctx.ops.wait_idle(60)
    print(f"  back to back ({where}): {prepared[0]} documents rendered and signed during {presses} presses",
          file=sys.stderr, flush=True)
    return latencies


def _recorded_like(s, template: str) -> str:  # type: ignore[no-untyped-def]
    """Another inspection of the same unit and team, recorded and finished like `recorded`'s."""
    from inspector.services.documents import MinutesDetails

    insp = s.inspections.duplicate(template)
    s.inspections.start(insp.id, "2026-11-03T01:30:00Z")
    checklist = s.ctx.checklist(insp.summary.checklist_id, insp.summary.checklist_version)
    for n, subject in enumerate(insp.subjects):
        for i, item in enumerate(checklist.items):
            s.findings.record(insp.id, item.code, subject.id, level=(n + 1) if i == n else 0)
    s.inspections.set_explanation(insp.id, "Đơn vị tiếp thu và cam kết khắc phục.")
    s.inspections.finish(insp.id, "2026-11-03T04:10:00Z")
    s.documents.set_minutes_details(insp.id, MinutesDetails(
        unit_representatives=(("Phạm Văn Bình", "Phó Chủ tịch UBND phường", "Ông"),), strengths="Tốt."))
    return str(insp.id)


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        root = Path(tmp)
        return bench_cold_start(root, quick) + bench_in_app(root, quick)
