"""Issue 15 benchmarks, SQLite and PostgreSQL in the same run:

* N devices pushing concurrently (full: 50 devices × 1,000 findings + 20 MB of evidence; quick:
  3 × 30 findings + 1 MB) to one server process on each backend, and to three processes over one
  PostgreSQL database: total throughput and p99 push latency, against a raw upload of the same
  bytes by the same number of clients to the same server.
* The raw statistics query (findings by manifestation code × level × month) over 1,000,000
  findings (quick: 20,000) on each backend, against a plain scan (count and sum) of the same
  table. The console's own statistics (from its summary table) are `bench console`'s.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

from inspector.central.auth import create_token
from inspector.central.server import Central
from inspector.central.storage import Database
from inspector.store.db import Store
from inspector.workspace import Workspace
from tests.benchmarks.bench_sync import _raw_upload
from tests.benchmarks.harness import Result, percentile, timed
from tests.central.pg import PgServer
from tests.sync.data import record
from tests.sync.harness import ServerProcess

MB = 1024 * 1024
STATS_SQL = ("SELECT f.item_code, f.level, substr(i.decision_date, 1, 7) AS month, count(*)"
             " FROM findings f JOIN inspections i ON i.id = f.inspection_id"
             " WHERE f.removed = 0 AND f.level IS NOT NULL"
             " GROUP BY f.item_code, f.level, substr(i.decision_date, 1, 7) ORDER BY 1, 2, 3")

SCAN_SQL = "SELECT count(*), sum(level) FROM findings WHERE removed = 0"  # every row read, no grouping


def _devices(root: Path, count: int, findings: int, evidence: int) -> list[Path]:
    made = []
    for n in range(count):
        path = root / f"dev{n}"
        with Workspace.open(path) as ws:
            insp = record(ws, findings, seed=n)
            for k in range(max(1, evidence // MB)):
                ws.services.evidence.attach_bytes(insp.id, b"\x89PNG\r\n\x1a\n" + os.urandom(min(evidence, MB) - 8),
                                                  f"anh-{k}.png")
        made.append(path)
    return made


def _payload(path: Path) -> tuple[list[Path], bytes]:
    with Workspace.open(path) as ws:
        files = [ws.services.ctx.vault.path_for(r[0]) for r in ws.store.conn.execute("SELECT sha256 FROM evidence")]
        events = b"".join(r[0].encode() for r in ws.store.conn.execute("SELECT payload FROM events"))
    return files, events


def _concurrent(paths: list[Path], urls: list[str], tokens: list[str]) -> tuple[float, list[float]]:
    """Every device syncs at once (each in its own thread, which opens its store); wall time, latencies."""
    for n, path in enumerate(paths):
        with Workspace.open(path) as ws:
            ws.services.sync.enroll(urls[n % len(urls)], tokens[n])
    start_line = threading.Barrier(len(paths) + 1)
    latencies: list[float] = []
    errors: list[BaseException] = []

    def device(n: int, path: Path) -> None:
        try:
            with Workspace.open(path) as ws:
                start_line.wait()
                start = time.perf_counter()
                ws.services.sync.sync(server_url=urls[n % len(urls)])
                latencies.append((time.perf_counter() - start) * 1000)
        except BaseException as exc:
            errors.append(exc)
            start_line.abort()

    threads = [threading.Thread(target=device, args=(n, p)) for n, p in enumerate(paths)]
    for thread in threads:
        thread.start()
    start_line.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start, latencies


def _raw_concurrent(url: str, payloads: list[tuple[list[Path], bytes]]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    start = time.perf_counter()
    threads = [threading.Thread(target=lambda p=p: latencies.append(_raw_upload(url, *p) * 1000)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, latencies


def bench_push(root: Path, pg: PgServer, quick: bool,
               sizes: tuple[int, int, int] | None = None) -> list[Result]:
    count, findings, evidence = sizes or ((3, 30, MB) if quick else (50, 1000, 20 * MB))
    seed = _devices(root / "seed", count, findings, evidence)
    payloads = [_payload(p) for p in seed]
    total_mb = sum(sum(f.stat().st_size for f in files) + len(ev) for files, ev in payloads) / MB
    results = []
    for label, processes, database in (("SQLite, 1 process", 1, None), ("PostgreSQL, 1 process", 1, "pg"),
                                       ("PostgreSQL, 3 processes", 3, "pg")):
        case = root / label.replace(" ", "").replace(",", "-")
        shutil.copytree(root / "seed", case)
        data_dir = case / "server"
        db = Database(url=pg.create_database("bench")) if database else Database.of(None, data_dir)
        office = Central(data_dir, database=db)
        tokens = [create_token(office.store, "doan-1", office.clock).token for _ in range(count)]
        office.close()
        servers = [ServerProcess(data_dir, raw_upload=True, database=db) for _ in range(processes)]
        for server in servers:
            server.__enter__()
        try:
            wall, latencies = _concurrent([case / p.name for p in seed], [s.url for s in servers], tokens)
            raw_wall, raw_latencies = _raw_concurrent(servers[0].url, payloads)
        finally:
            for server in servers:
                server.__exit__()
        results.append(Result(f"{count} devices push at once, {label}: MB/s", total_mb / wall, total_mb / raw_wall,
                              "MB/s", f"{count} raw streaming POSTs of the same bytes at once", "(reported)", True))
        results.append(Result(f"{count} devices push at once, {label}: p99", percentile(latencies, 99),
                              percentile(raw_latencies, 99), "ms", "p99 of the raw uploads", "(reported)", True))
    return results


def _fill(store: Store, findings: int) -> None:
    """Synthetic projection rows (the query's shape, not the event path): 100 findings per inspection."""
    rng = random.Random(1)
    now = "2026-01-01T00:00:00Z"
    inspections = max(1, findings // 100)
    with store.transaction() as conn:
        conn.execute("INSERT INTO units (id, name, unit_type, created_at, updated_at)"
                     " VALUES ('u', 'Đơn vị', 'x', ?, ?)", (now, now))
        conn.executemany(
            "INSERT INTO inspections (id, title, decision_no, decision_date, kind, regime, unit_id, checklist_id,"
            " checklist_version, status, item_count, created_at, created_by, updated_at)"
            " VALUES (?, 't', 'n', ?, 'surprise', 'party', 'u', 'c', 1, 'draft', 30, ?, 'x', ?)",
            [(f"i{n}", f"202{n % 6}-{1 + n % 12:02d}-01", now, now) for n in range(inspections)])
        conn.executemany(
            "INSERT INTO subjects (id, inspection_id, ordinal, kind, name, created_at, updated_at)"
            " VALUES (?, ?, 1, 'person', 's', ?, ?)", [(f"s{n}", f"i{n}", now, now) for n in range(inspections)])
        for start in range(0, findings, 20_000):
            conn.executemany(
                "INSERT INTO findings (id, inspection_id, item_code, subject_id, level, author_id, author_name,"
                " origin_device, head_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'a', 'a', 'd', 'h', ?, ?)",
                [(f"f{n}", f"i{n // 100}", f"LD-{rng.randrange(40):02d}", f"s{n // 100}", rng.randrange(4), now, now)
                 for n in range(start, min(findings, start + 20_000))])


def bench_statistics(root: Path, pg: PgServer, quick: bool) -> list[Result]:
    findings = 20_000 if quick else 1_000_000
    results = []
    for label, db in (("SQLite", Database(path=root / "stats" / "central.db")),
                      ("PostgreSQL", Database(url=pg.create_database("stats")))):
        store = db.open()
        try:
            _fill(store, findings)
            if db.postgres:
                store.conn.execute("ANALYZE")
            query = timed(lambda store=store: store.conn.execute(STATS_SQL).fetchall(), 5)
            scan = timed(lambda store=store: store.conn.execute(SCAN_SQL).fetchall(), 5)
        finally:
            store.close()
        # The raw GROUP BY over every finding, for the record: the console does not run it per
        # request (it reads its summary table; its pages' figures on both backends, with their
        # ≤ 500 ms target, are `./dev bench console`).
        results.append(Result(f"raw statistics GROUP BY code×level×month, {findings:,} findings, {label}",
                              percentile(query, 50), percentile(scan, 50), "ms",
                              "a plain scan of the same table", "(reported; the console: bench console)", True))
    return results


def run(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-central-pg-") as tmp:
        pg = PgServer().start()
        try:
            return bench_push(Path(tmp), pg, quick) + bench_statistics(Path(tmp), pg, quick)
        finally:
            pg.stop()
