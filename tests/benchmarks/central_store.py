"""A large, realistic central store for the benchmarks, built fast and cached under `build/`.

One real inspection (units, people, a team, ten subjects, ~500 finding edits) is recorded once
with the real services; the store is that chain copied for many enrolled devices and
inspections, with fresh ids, fresh hashes and a hybrid clock spread over the past year. Every
copy is projected by the real reducers and indexed by the server's own bookkeeping
(`record_refs`, owners, enrolled persons), so a push into it does exactly what it would do in
production. Bulk inserts run in one transaction per device with durability off; the file is
then checkpointed and cached, keyed by this file's text and the schema versions, and copied
for each run.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from inspector.central.registry import settle_proposals
from inspector.central.schema import CENTRAL_SCHEMA_VERSION, record_refs, remember_name, set_owner
from inspector.central.server import Central
from inspector.clock import to_rfc3339
from inspector.ids import uuid7
from inspector.store import projection
from inspector.store.device import device_id_for
from inspector.store.events import EVENT_COLUMNS, HLC_SHIFT, Event, iter_events
from inspector.store.migrations import LATEST
from inspector.workspace import Workspace
from tests.sync.data import record

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "build" / "bench"
EVENTS_PER_COPY_TARGET = 500
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HASH = re.compile(r"\b[0-9a-f]{64}\b")


# What the built file depends on: this builder, the schemas, the reducers and the registry.
_SOURCES = ("tests/benchmarks/central_store.py", "inspector/store/migrations.py", "inspector/store/projection.py",
            "inspector/central/schema.py", "inspector/central/registry.py")


def _key(events: int) -> str:
    digest = hashlib.sha256(f"{events}/{LATEST}/{CENTRAL_SCHEMA_VERSION}".encode())
    for name in _SOURCES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:12]


def _template(root: Path) -> list[Event]:
    """One device's chain for one inspection, recorded with the real services (no catalogs)."""
    with Workspace.open(root / "template") as ws:
        record(ws, EVENTS_PER_COPY_TARGET - 20, subjects=10)
        own = ws.services.ctx.device.device_id
        return [e for e in iter_events(ws.store.conn, "WHERE device_id = ?", (own,))
                if e.type != "catalog.imported"]


def _dumps(value: object) -> str:
    """Canonical JSON without the input checks: the template came out of the real services."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _copy(template: list[tuple[Event, str]], device_id: str, start_seq: int, prev: str, hlc: int, step: int,
          author: tuple[str, str]) -> tuple[list[Event], list[tuple[object, ...]]]:
    """The template with fresh ids (consistently), this device's chain position, clock and author:
    the events (for the reducers) and their rows. The body is hashed from its canonical text,
    assembled around the payload text (keys in canonical order) rather than re-encoded."""
    ids: dict[str, str] = {}
    hashes: dict[str, str] = {}

    def fresh(match: re.Match[str]) -> str:
        old = match.group()
        if old not in ids:
            ids[old] = uuid7()
        return ids[old]

    who = _dumps({"id": author[0], "name": author[1]})
    events, rows = [], []
    for n, (event, payload) in enumerate(template):
        text = _HASH.sub(lambda m: hashes.get(m.group(), m.group()), _UUID.sub(fresh, payload))
        at_hlc = hlc + n * step
        at = to_rfc3339(datetime.fromtimestamp((at_hlc >> HLC_SHIFT) / 1000, UTC))
        entity = _UUID.sub(fresh, event.entity_id)
        seq = start_seq + n
        body = (f'{{"at":"{at}","author":{who},"device":"{device_id}","entity":{_dumps(entity)},"epoch":1,'
                f'"hlc":{at_hlc},"payload":{text},"prev":"{prev}","seq":{seq},"type":"{event.type}","v":1}}')
        digest = hashlib.sha256(body.encode()).hexdigest()
        events.append(Event(device_id, 1, seq, prev, at_hlc, at, author[0], author[1], event.type, entity,
                            json.loads(text), digest))
        rows.append((device_id, 1, seq, prev, digest, at_hlc, at, author[0], author[1], event.type, entity, text))
        hashes[event.hash] = digest
        prev = digest
    return events, rows


def build(target: Path, events: int) -> None:
    """A central data directory at `target` holding about `events` events of enrolled devices."""
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        template = [(e, _dumps(e.payload)) for e in _template(Path(tmp))]
    central = Central(target)
    try:
        conn = central.store.conn
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -1000000")
        copies = max(1, events // len(template))
        devices = max(1, min(200, copies // 5))
        per_device = max(1, copies // devices)
        start = datetime.now(UTC) - timedelta(days=365)
        span_ms = int(timedelta(days=364).total_seconds() * 1000)
        step = max(1, (span_ms << HLC_SHIFT) // (devices * per_device * len(template)))
        now = to_rfc3339(datetime.now(UTC))
        for d in range(devices):
            key = Ed25519PrivateKey.generate()
            public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            device_id = device_id_for(public)
            person = (uuid7(), f"Cán bộ số {d + 1}")
            team = f"doan-{d % 40 + 1}"
            with central.store.transaction() as tx:
                tx.execute("INSERT INTO central_devices (device_id, public_key, x25519_public, team, label, epoch,"
                           " status, enrolled_at, person_id, person_name) VALUES (?,?,?,?,?,1,'active',?,?,?)",
                           (device_id, public, public, team, f"máy {d + 1}", now, *person))
                remember_name(tx, person[0], person[1], device_id, now)
                seq, prev = 1, "0" * 64
                for c in range(per_device):
                    hlc = (int(start.timestamp() * 1000) << HLC_SHIFT) + (c * devices + d) * len(template) * step
                    chain, rows = _copy(template, device_id, seq, prev, hlc, step, person)
                    tx.executemany(f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
                    for event in chain:
                        projection.apply(tx, event)
                        if event.type in ("inspection.created", "team.created"):
                            set_owner(tx, event.entity_id, event.type.split(".")[0], device_id, team)
                    settle_proposals(central.ctx, tx, chain, central.server_id, now)
                    record_refs(tx, chain)
                    seq, prev = chain[-1].seq + 1, chain[-1].hash
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        central.close()


def prepared(events: int) -> Path:
    """The cached store for `events` (built on first use); copy it before serving it."""
    path = CACHE / f"central-{events}-{_key(events)}"
    if not (path / "central.db").is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        for old in CACHE.glob(f"central-{events}-*"):
            shutil.rmtree(old, ignore_errors=True)
        partial = path.with_name(path.name + ".part")
        shutil.rmtree(partial, ignore_errors=True)
        started = time.perf_counter()
        build(partial, events)
        partial.rename(path)
        print(f"built a {events}-event central store in {time.perf_counter() - started:.0f} s: {path}", flush=True)
    return path


def copy_of(events: int, target: Path) -> Path:
    shutil.copytree(prepared(events), target)
    return target
