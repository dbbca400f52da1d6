"""Issue 16 benchmarks: the office console on a central store of 10,000 inspections and
1,000,000 findings (`--quick`: 500 and 50,000), on SQLite and on PostgreSQL in the same run (the
generated SQLite store is moved to a fresh PostgreSQL database with `inspector central migrate`'s
code). Each figure is the server's answer over HTTP on loopback (the server in its own process on
that backend, signed in as an administrator), against the raw SQL of the same queries run on a
direct connection to the same database of the same backend in the same run:

* the inspection list (first page, no filter, and filtered by a manifestation code): ≤ 200 ms;
* the dashboard (this year): ≤ 300 ms;
* the statistics page (four charts; target for one statistics query: ≤ 500 ms), whose counts come
  from the summary (`console.summary`): building that summary from scratch is measured too,
  against the raw GROUP BY of every finding (it happens once; later requests re-count only the
  inspections that new events touch).

The store is generated straight into the projection tables (the console only reads those): the
real catalog and checklists are published through the server's own use case, then units, teams,
inspections, subjects, findings and requirements are bulk-inserted in one transaction, and the
file is cached under build/bench/ keyed by this file and the schemas.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

from inspector.central import admin
from inspector.central.console import stats, summary
from inspector.central.console import store as q
from inspector.central.console.accounts import Accounts
from inspector.central.console.store import Filters, Scope
from inspector.central.migrate import migrate_store
from inspector.central.schema import CENTRAL_SCHEMA_VERSION, open_central_store
from inspector.central.server import Central
from inspector.central.storage import Database
from inspector.clock import SystemClock
from inspector.paths import resources_dir
from inspector.store.migrations import LATEST
from tests.benchmarks.harness import Result
from tests.central.pg import PgServer
from tests.sync.harness import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "bench"
PASSWORD = "mat-khau-do-hieu-nang"
SUBJECTS = 5
_SOURCES = ("tests/benchmarks/bench_console.py", "inspector/store/migrations.py", "inspector/central/schema.py",
            "inspector/central/console/tables.py")
NOW = "2026-12-01T00:00:00Z"


def _key(inspections: int) -> str:
    digest = hashlib.sha256(f"{inspections}/{LATEST}/{CENTRAL_SCHEMA_VERSION}".encode())
    for name in _SOURCES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:12]


def _generate(data_dir: Path, inspections: int) -> None:
    central = Central(data_dir)
    try:
        for folder in ("catalogs", "checklists"):
            for path in sorted((resources_dir() / folder).glob("*.json")):
                admin.publish_catalog(central, path)
        Accounts(central.clock).add(central.store, "bench", PASSWORD, "admin", None)
        codes = q.codes(central.store.conn, q.Codes())
    finally:
        central.close()
    rng = random.Random(16)
    conn = sqlite3.connect(data_dir / "central.db")
    conn.execute("PRAGMA synchronous = OFF")
    checklists = sorted(codes.order)
    with conn:
        units = [("u-city", None, "Thành phố Hà Nội", "city")]
        for w in range(30):
            units.append((f"u-w{w}", "u-city", f"Phường số {w + 1}", "ward"))
            units += [(f"u-w{w}-a{a}", f"u-w{w}", f"Cơ quan {a + 1} phường số {w + 1}", "agency") for a in range(3)]
        conn.executemany("INSERT INTO units (id, parent_id, name, unit_type, created_at, updated_at)"
                         " VALUES (?, ?, ?, ?, ?, ?)", [(*u, NOW, NOW) for u in units])
        agencies = [u[0] for u in units if u[3] == "agency"]
        conn.executemany("INSERT INTO teams (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                         [(f"t{n}", f"Đoàn kiểm tra số {n + 1}", NOW, NOW) for n in range(5)])
        statuses = ["recorded", "sealed", "concluded", "closed", "in_progress"]
        day0 = date(2026, 1, 1)
        for n in range(inspections):
            iid = f"i{n:07d}"
            checklist, version = checklists[n % len(checklists)]
            items = codes.order[(checklist, version)]
            decided = (day0 + timedelta(days=rng.randrange(334))).isoformat()
            conn.execute(
                "INSERT INTO inspections (id, title, decision_no, decision_date, kind, regime, unit_id, checklist_id,"
                " checklist_version, team_id, status, item_count, subject_count, assessed_count, created_at,"
                " created_by, updated_at) VALUES (?, ?, ?, ?, 'surprise', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'bench', ?)",
                (iid, f"Kiểm tra đột xuất số {n + 1}", f"{n + 1}/QĐ-ĐKT", decided, rng.choice(("state", "party")),
                 rng.choice(agencies), checklist, version, f"t{n % 5}", rng.choice(statuses), len(items), SUBJECTS,
                 min(20, len(items)) * SUBJECTS, NOW, NOW))
            conn.execute("INSERT INTO entity_owners (entity_id, kind, device_id, team) VALUES (?, 'inspection', ?, ?)",
                         (iid, f"d{n % 5}", f"doan-{n % 5 + 1}"))
            conn.executemany("INSERT INTO subjects (id, inspection_id, ordinal, kind, name, created_at, updated_at)"
                             " VALUES (?, ?, ?, 'person', ?, ?, ?)",
                             [(f"{iid}-s{s}", iid, s + 1, f"Cán bộ {s + 1}", NOW, NOW) for s in range(SUBJECTS)])
            conn.executemany(
                "INSERT INTO findings (id, inspection_id, item_code, subject_id, level, author_id, author_name,"
                " origin_device, head_hash, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'a', 'bench', 'd', 'h', ?, ?)",
                [(f"{iid}-f{i}-{s}", iid, item, f"{iid}-s{s}", rng.choices((0, 1, 2, 3), (70, 20, 8, 2))[0], NOW, NOW)
                 for i, item in enumerate(items[:20]) for s in range(SUBJECTS)])
            conn.executemany(
                "INSERT INTO requirements (id, inspection_id, ordinal, content, responsible, deadline,"
                " report_back_date, status, created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, ?, 'open', ?, ?)",
                [(f"{iid}-r{r}", iid, r + 1, f"Yêu cầu {r + 1}", d, d, NOW, NOW) for r in range(3)
                 for d in [(date.fromisoformat(decided) + timedelta(days=30 * (r + 1))).isoformat()]])
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def store_of(root: Path, inspections: int) -> Path:
    """A copy of the cached generated store (generated first if absent)."""
    cached = CACHE / f"console-{inspections}-{_key(inspections)}"
    if not (cached / "central.db").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix="console-", dir=CACHE))
        start = time.perf_counter()
        _generate(building, inspections)
        print(f"generated console store ({inspections} inspections) in {time.perf_counter() - start:.1f} s")
        shutil.rmtree(cached, ignore_errors=True)
        building.rename(cached)
    target = root / "server"
    shutil.copytree(cached, target)
    return target


def _median_ms(fn: object, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _login(client: httpx.Client) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    answer = client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf": token.group(1),
                                         "next": "/"})
    assert answer.status_code == 303, answer.text[:300]


def _on_postgresql(data_dir: Path, pg: PgServer) -> tuple[Path, Database]:
    """The same generated store on PostgreSQL (moved by `inspector central migrate`'s code), with a
    data directory of its own (server identity, blobs) next to it."""
    target_dir = data_dir.parent / "server-pg"
    shutil.copytree(data_dir, target_dir, ignore=shutil.ignore_patterns("central.db*"))
    database = Database(url=pg.create_database("console"))
    start = time.perf_counter()
    report = migrate_store(Database(path=data_dir / "central.db"), database)
    # the generated rows have no events behind them (the projection audit says so); no count differs
    copied = [p.render() for p in report.problems if "được thêm ngoài phần mềm" not in p.template]
    assert not copied and report.counts["findings"] > 0, copied
    store = database.open(migrate=False)
    try:
        store.conn.execute("ANALYZE")
    finally:
        store.close()
    print(f"moved the console store to PostgreSQL in {time.perf_counter() - start:.1f} s")
    return target_dir, database


def _measure(label: str, data_dir: Path, database: Database, quick: bool) -> list[Result]:
    """Every figure on one backend: the server over HTTP against the same queries run directly on
    a connection to the same database (no HTTP, no templates), in the same run."""
    repeat = 5 if quick else 15
    store = open_central_store(database)
    try:
        start = time.perf_counter()
        summary.refresh(store)  # what the first statistics request after an upgrade does
        built = (time.perf_counter() - start) * 1000
    finally:
        store.close()
    reader = database.open(read_only=True)
    try:
        raw = reader.conn
        direct = _median_ms(lambda: raw.execute(
            "SELECT inspection_id, item_code, level, count(*) FROM findings WHERE removed = 0 AND level IS NOT NULL"
            " GROUP BY inspection_id, item_code, level").fetchall(), 1 if not quick else 3)
        findings = raw.execute("SELECT count(*) FROM findings").fetchone()[0]
        inspections = raw.execute("SELECT count(*) FROM inspections").fetchone()[0]
        codes = q.codes(raw, q.Codes())
        code = sorted(codes.titles)[0]
        today = SystemClock().now().date()
        period = stats.period_of(str(today.year if today.year == 2026 else 2026), today)
        filtered = Filters(item_codes=tuple(codes.item_codes_for(code)), manifestation=code)
        baselines = {
            "list": lambda: q.list_inspections(raw, Scope(None), Filters(), 1),
            "list_filtered": lambda: q.list_inspections(raw, Scope(None), filtered, 1),
            "dashboard": lambda: stats.dashboard(raw, Scope(None), period, codes, today),
            "statistic": lambda: stats.by_item(raw, Scope(None), period),
        }
        base = {name: _median_ms(fn, repeat) for name, fn in baselines.items()}
    finally:
        reader.close()
    with (ServerProcess(data_dir, database=database) as server,
          httpx.Client(base_url=server.url, timeout=120) as client):
        _login(client)
        urls = {"list": "/inspections", "list_filtered": f"/inspections?manifestation={code}",
                "dashboard": f"/?period={period.start[:4]}", "statistics": f"/statistics?period={period.start[:4]}"}
        for url in urls.values():  # warm: the catalogs are parsed once per process
            assert client.get(url).status_code == 200, url
        served = {name: _median_ms(lambda u=url: client.get(u).raise_for_status(), repeat)
                  for name, url in urls.items()}
    size = f"{inspections:,} inspections, {findings:,} findings"
    raw_sql = f"raw SQL on {label}"
    return [
        Result(f"console summary built from scratch, {label} ({size})", built, direct, "ms",
               f"raw GROUP BY of every finding on {label}", "once, at the first statistics request", True),
        Result(f"console list page, {label}", served["list"], base["list"], "ms",
               f"{raw_sql}: the list (count + page)", "≤ 200 ms", served["list"] <= 200),
        Result(f"console list filtered by manifestation, {label}", served["list_filtered"], base["list_filtered"],
               "ms", f"{raw_sql}: the filtered list", "≤ 200 ms", served["list_filtered"] <= 200),
        Result(f"console dashboard (year), {label}", served["dashboard"], base["dashboard"], "ms",
               f"{raw_sql}: the dashboard's queries", "≤ 300 ms", served["dashboard"] <= 300),
        Result(f"console statistics page (4 charts), {label}", served["statistics"], base["statistic"], "ms",
               f"{raw_sql}: findings by item code and level (summary)", "≤ 500 ms (one statistics query)",
               served["statistics"] <= 500),
    ]


def run(quick: bool) -> list[Result]:
    inspections = 500 if quick else 10_000
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        data_dir = store_of(Path(tmp), inspections)
        pg = PgServer().start()
        try:
            pg_dir, pg_database = _on_postgresql(data_dir, pg)  # before the SQLite run adds its summary
            results = _measure("SQLite", data_dir, Database(path=data_dir / "central.db"), quick)
            return results + _measure("PostgreSQL", pg_dir, pg_database, quick)
        finally:
            pg.stop()
