"""Saves never wait behind signing, a timestamp or the network: while a document timestamp waits on
a slow TSA (a local RFC 3161 server that holds its answer 10 s), levels typed in the matrix commit
at once. Before the operations framework the TSA request ran on the writer and every save waited."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt

from inspector.ops import Committer
from inspector.services.documents import DocumentRecord, SignerPlan
from inspector.workspace import Services
from tests.signing.conftest import TsaServer
from tests.signing.pki import PASSPHRASE, make_pki
from tests.signing.test_issue_documents import drawn, leader_plan, recorded
from tests.ui.helpers import read, settle, write
from ui.ops import TaskContext
from ui.views.main_window import MainWindow


def test_saves_commit_at_once_while_a_timestamp_waits_on_a_slow_tsa(window: MainWindow, qtbot,  # type: ignore[no-untyped-def]
                                                                    tmp_path: Path) -> None:
    ctx = window.ctx
    pki = make_pki()
    p12 = tmp_path / "truong-doan.p12"
    p12.write_bytes(pki.signer.pkcs12(PASSPHRASE))

    def issued(s: Services) -> DocumentRecord:
        inspection_id = recorded(s)
        return s.documents.issue(inspection_id, "minutes", [SignerPlan("unit_rep", drawn_png=drawn()),
                                                            leader_plan(p12, drawn_png=drawn())])

    doc = write(ctx, issued)
    # Another inspection of the same unit, being recorded meanwhile.
    other = write(ctx, lambda s: s.inspections.start(s.inspections.duplicate(doc.inspection_id).id))
    tsa = TsaServer(pki)
    tsa.delay_s = 10.0
    try:
        def stamp(s: Services, _task: TaskContext, commit: Committer) -> object:
            prepared = s.documents.prepare_timestamp(doc.id, tsa.url)
            return commit(lambda w: w.documents.commit_timestamp(prepared))

        stamped: list[object] = []
        ctx.ops.long(stamp, stamped.append)
        qtbot.waitUntil(lambda: tsa.requests == 1, timeout=10000)  # the TSA holds its answer from now on

        page = window.recording_page
        with qtbot.waitSignal(page.inspection_opened, timeout=10000):  # not settle(): the timestamp is pending
            window.open_inspection(other.id)
        view = page.view
        view.setCurrentIndex(page.model.index_for("LD-01", other.subjects[0].id))
        view.setFocus()
        committed: list[float] = []
        ctx.ops.saved.connect(lambda _at: committed.append(time.perf_counter()))
        latencies: list[float] = []
        for n in range(20):
            pressed = time.perf_counter()
            qtbot.keyClick(view, Qt.Key(Qt.Key.Key_0 + n % 4))
            qtbot.waitUntil(lambda n=n: len(committed) > n, timeout=5000)
            latencies.append(committed[n] - pressed)
        assert tsa.answered == 0 and not stamped  # all twenty committed while the TSA was still waiting
        assert max(latencies) < 1.0, latencies  # at once (the benchmark measures the p99 against 50 ms)
        assert read(ctx, lambda s: s.inspections.summary(other.id)).assessed_count == 20
    finally:
        tsa.release.set()
    qtbot.waitUntil(lambda: bool(stamped), timeout=20000)
    settle(ctx)
    assert read(ctx, lambda s: s.ctx.store.scalar(
        "SELECT count(*) FROM events WHERE type = 'document.timestamped' AND entity_id = ?", (doc.id,))) == 1
    tsa.close()
