"""Issue 2 benchmarks: recording a finding, opening a big inspection, listing 2,000 inspections."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from inspector.demo import load_demo
from inspector.keys import Unlocker
from inspector.services.inspections import InspectionQuery
from inspector.store.db import connect
from inspector.workspace import Workspace
from tests.benchmarks.harness import Result, percentile, timed
from tests.factories import make_inspection


def _raw_commit_samples(path: Path, n: int, key: bytes | None = None) -> list[float]:
    """Baseline: a bare insert + commit with exactly the store's pragmas and cipher (SQLCipher, same key)."""
    conn: sqlite3.Connection = connect(path, key=key)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT)")
    counter = iter(range(10**9))

    def once() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (a, b, c) VALUES (?, ?, ?)", ("LD-01", next(counter), "ghi chú"))
        conn.execute("COMMIT")

    samples = timed(once, n)
    conn.close()
    return samples


def bench_record(root: Path, quick: bool) -> list[Result]:
    n = 40 if quick else 600
    with Workspace.open(root / "rec") as ws:
        s = ws.services
        insp = make_inspection(s, subjects=30)
        items = [i.code for i in s.ctx.checklist(insp.summary.checklist_id, insp.summary.checklist_version).items]
        cells = [(c, subj.id) for c in items for subj in insp.subjects]
        it = iter(range(10**9))

        def once() -> None:
            k = next(it)
            code, sid = cells[k % len(cells)]
            s.findings.record(insp.id, code, sid, level=k % 4, note=f"ghi chú {k}")

        ours = timed(once, n)
        key = ws.keys.db
    raw = _raw_commit_samples(root / "raw.db", n, key)
    out = []
    for p in (50, 99):
        ours_p, raw_p = percentile(ours, p), percentile(raw, p)
        out.append(Result(f"record one finding → durable commit, p{p}", ours_p, raw_p, "ms",
                          f"raw SQLCipher insert+commit, same pragmas and key, p{p}",
                          "p99 ≤ 3× raw" if p == 99 else "(reported)",
                          ours_p <= 3 * raw_p if p == 99 else True))
    return out


def bench_open(root: Path, quick: bool) -> list[Result]:
    with Workspace.open(root / "open") as ws:
        s = ws.services
        insp = make_inspection(s, subjects=30)
        checklist = s.ctx.checklist(insp.summary.checklist_id, insp.summary.checklist_version)
        with s.ctx.store.batch():
            for n, item in enumerate(checklist.items):
                for subj in insp.subjects:
                    s.findings.record(insp.id, item.code, subj.id, level=n % 4, note="")
        repeat = 5 if quick else 30
        ours = percentile(timed(lambda: s.findings.open(insp.id), repeat), 50)
        conn = s.ctx.store.conn
        raw = percentile(timed(lambda: conn.execute(
            "SELECT * FROM findings WHERE inspection_id = ?", (insp.id,)).fetchall(), repeat), 50)
    return [Result(f"open inspection {len(checklist.items)} items × 30 subjects", ours, raw, "ms",
                   "raw SELECT of its findings rows", "≤ 100 ms", ours <= 100)]


def bench_list(root: Path, quick: bool) -> list[Result]:
    count = 200 if quick else 2000
    with Workspace.open(root / "list") as ws:
        s = ws.services
        load_demo(s, inspections=count, subjects=2, photos=0)
        repeat = 5 if quick else 20
        queries = [InspectionQuery(), InspectionQuery(search="hoan kiem"),
                   InspectionQuery(statuses=("recorded",), sort="unit"),
                   InspectionQuery(date_from="01/04/2026", date_to="30/06/2026", kind="surprise")]
        ours = max(percentile(timed(lambda q=q: s.inspections.find(q), repeat), 50) for q in queries)
        counts = percentile(timed(lambda: s.inspections.status_counts(), repeat), 50)
        conn = s.ctx.store.conn
        raw = percentile(timed(lambda: conn.execute("SELECT * FROM inspections").fetchall(), repeat), 50)
        assert len(s.inspections.find()) > count * 0.8  # a few demo inspections are archived
    return [Result(f"list+filter {count} inspections (slowest of 4 queries)", ours, raw, "ms",
                   "raw SELECT * FROM inspections", "≤ 100 ms", ours <= 100),
            Result(f"status counts over {count} inspections", counts, raw, "ms",
                   "raw SELECT * FROM inspections", "(reported)", True)]


def bench_unlock(root: Path, quick: bool) -> list[Result]:
    """Opening stays cheap with encryption: each connection gets the raw key (no KDF); the
    passphrase KDF runs once per process."""
    data = root / "unlock"
    Workspace.open(data, unlocker=Unlocker(passphrase="mật khẩu đo thời gian", prefer="passphrase")).close()
    unlocker = Unlocker(passphrase="mật khẩu đo thời gian")
    repeat = 3 if quick else 10
    kdf = percentile(timed(lambda: unlocker.unlock(data), repeat), 50)
    unlocked = unlocker.unlock(data)
    assert unlocked is not None
    keys = unlocked.keys
    ours = percentile(timed(lambda: Workspace.open(data, keys=keys, install_builtins=False).close(), repeat * 3), 50)
    plain = root / "plain.db"
    connect(plain).close()
    raw = percentile(timed(lambda: connect(plain).close(), repeat * 3), 50)
    return [Result("open the workspace again with its raw keys", ours, raw, "ms",
                   "plain sqlite3 connect with the same pragmas", "(reported)", True),
            Result("unlock with a passphrase (Argon2id, once per process)", kdf, raw, "ms",
                   "plain sqlite3 connect with the same pragmas", "(reported)", True)]


def run(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        root = Path(tmp)
        return (bench_record(root, quick) + bench_open(root, quick) + bench_list(root, quick)
                + bench_unlock(root, quick))
