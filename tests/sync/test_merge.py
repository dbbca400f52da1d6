"""Merging foreign events in any order gives one projection: a property test over three devices
with concurrent edits, delivered to a receiver as snapshots in random order and repetition.

Invariant: after any sequence of deliveries, the tables equal a replay of the stored events in
(hlc, device, epoch, seq) order; once everything arrived, every receiver has the same projection,
the same edit conflicts and the same disagreements. Nothing is silently dropped.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.ids import uuid7
from inspector.services.requirements import RequirementSpec
from inspector.store.db import Store, open_scratch
from inspector.store.events import Event, iter_events
from inspector.sync.conflicts import disagreements, edit_conflicts
from inspector.sync.keys import Signer
from inspector.sync.merge import ingest, projection_digest, rebuild_all
from inspector.sync.wire import EventBatch, HeadStatement, Range
from inspector.workspace import Workspace
from tests.factories import make_inspection


@dataclass(frozen=True)
class World:
    snapshots: tuple[EventBatch, ...]  # what each device held at several moments
    finals: tuple[EventBatch, ...]
    keys: dict[str, bytes]
    expected: str  # projection digest of a replay of everything
    conflicts: frozenset[tuple[str, frozenset[str]]]
    disagreements: frozenset[tuple[str, str, tuple[str, ...]]]


def _snapshot(ws: Workspace, signers: dict[str, Signer]) -> EventBatch:
    chains: dict[tuple[str, int], list[Event]] = {}
    for event in iter_events(ws.store.conn):
        chains.setdefault((event.device_id, event.epoch), []).append(event)
    ranges = []
    for (device, epoch), events in sorted(chains.items()):
        events.sort(key=lambda e: e.seq)
        head = HeadStatement(device, epoch, events[-1].seq, events[-1].hash).signed_by(signers[device])
        ranges.append(Range(head, 1, events))
    return EventBatch(ranges)


def _deliver(store: Store, batch: EventBatch, keys: dict[str, bytes]) -> None:
    with store.transaction() as conn:
        ingest(conn, batch, keys=keys.get, server_id=None)


def _conflict_set(store: Store) -> frozenset[tuple[str, frozenset[str]]]:
    return frozenset((c.finding_id, frozenset(r.event_hash for r in c.leaves))
                     for c in edit_conflicts(store.conn))


def _disagreement_set(store: Store) -> frozenset[tuple[str, str, tuple[str, ...]]]:
    return frozenset((d.item_code, d.subject_id, d.finding_ids) for d in disagreements(store.conn))


def _rebuilt_digest(store: Store) -> str:
    store.conn.execute("BEGIN")
    try:
        rebuild_all(store.conn)
        return projection_digest(store.conn)
    finally:
        store.conn.execute("ROLLBACK")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("merge")
    a, b, c = (Workspace.open(root / name) for name in "abc")
    devices = {ws.services.ctx.device.device_id: ws for ws in (a, b, c)}
    signers = {d: Signer.of(ws.services.ctx.device) for d, ws in devices.items()}
    keys = {d: s.public_key for d, s in signers.items()}
    snapshots: list[EventBatch] = []

    def share(src: Workspace, *dst: Workspace) -> None:
        batch = _snapshot(src, signers)
        snapshots.append(batch)
        for target in dst:
            _deliver(target.store, batch, keys)

    insp = make_inspection(a.services, subjects=3)
    s1, s2, s3 = (s.id for s in insp.subjects)
    f1 = a.services.findings.record(insp.id, "LD-01", s1, level=1, note="A ghi")
    f2 = a.services.findings.record(insp.id, "LD-02", s2, level=2, note="A ghi")
    a.services.evidence.attach_bytes(insp.id, b"\x89PNG\r\n\x1a\nA", "a.png", finding_id=f1.finding_id)
    share(a, b, c)
    b.services.findings.record(insp.id, "LD-01", s1, level=3, note="B sửa")      # same parent as C
    c.services.findings.record(insp.id, "LD-01", s1, level=0, note="C sửa")
    a.services.findings.record(insp.id, "LD-01", s1, level=1, note="A sửa")      # and as A
    b.services.findings.record(insp.id, "LD-05", s2, level=2, note="B")          # same cell, two ids
    c.services.findings.record(insp.id, "LD-05", s2, level=1, note="C")
    c.services.findings.remove(f2.finding_id)                                     # delete vs edit
    b.services.findings.record(insp.id, "LD-02", s2, level=3, note="B sửa tiếp")
    b.services.inspections.update_subject(insp.id, s3, __import__(
        "inspector.services.inspections", fromlist=["SubjectSpec"]).SubjectSpec("Tên mới", "Chức vụ"))
    c.services.requirements.add(insp.id, RequirementSpec("Kiểm điểm", "UBND", "2026-12-31"))
    b.services.inspections.set_explanation(insp.id, "Giải trình B")
    a.services.registry.update_unit(insp.summary.unit_id, name="UBND phường (A)", unit_type="agency")
    b.services.registry.update_unit(insp.summary.unit_id, name="UBND phường (B)", unit_type="agency")
    a.services.findings.record(insp.id, "LD-03", s3, level=1, note="A tiếp")
    share(b, c)
    c.services.findings.record(insp.id, "LD-01", s1, level=2, note="C sửa lại")  # settles B vs C only
    a.services.evidence.attach_bytes(insp.id, b"%PDF-1.4 A", "bb.pdf")
    share(c)
    share(a)
    created = next(iter_events(a.store.conn, "WHERE type = 'inspection.created'")).payload
    for ws, no in ((b, "13/QĐ-ĐKT"), (c, "14/QĐ-ĐKT")):  # two concurrent corrections of one version
        with ws.store.transaction() as conn:
            ws.services.ctx.record(conn, "inspection.created", uuid7(), {
                **created, "decision_no": no, "supersedes": insp.id, "version_no": 2})
    finals = tuple(_snapshot(ws, signers) for ws in (a, b, c))
    reference = open_scratch(root / "reference.db")
    for batch in finals:
        _deliver(reference, batch, keys)
    expected = _rebuilt_digest(reference)
    assert projection_digest(reference.conn) == expected
    world = World(tuple(snapshots), finals, keys, expected, _conflict_set(reference),
                  _disagreement_set(reference))
    # LD-01: A's edit against C's settlement of B and C; LD-02: delete against edit; LD-05: two ids
    assert len(world.conflicts) == 2 and len(world.disagreements) == 1
    assert sorted(len(leaves) for _, leaves in world.conflicts) == [2, 2]
    reference.close()
    yield world
    for ws in (a, b, c):
        ws.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_delivery_order_gives_the_same_projection(world: World, data: st.DataObject) -> None:
    pool = list(world.snapshots) + list(world.finals)
    extra = data.draw(st.lists(st.sampled_from(pool), max_size=4), label="repeats")
    order = data.draw(st.permutations(pool + extra), label="order")
    check_at = data.draw(st.integers(0, len(order) - 1), label="intermediate check")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_scratch(Path(tmp) / "receiver.db")
        try:
            for n, batch in enumerate(order):
                _deliver(store, batch, world.keys)
                if n == check_at:  # any prefix: the tables are a replay of what is stored
                    assert projection_digest(store.conn) == _rebuilt_digest(store)
            assert projection_digest(store.conn) == world.expected
            assert _conflict_set(store) == world.conflicts
            assert _disagreement_set(store) == world.disagreements
        finally:
            store.close()


def test_scoped_reprojection_matches_a_full_rebuild_on_a_big_log(world: World, tmp_path: Path) -> None:
    """Deliver newest first, then everything older: the slow path must still be exact."""
    store = open_scratch(tmp_path / "r.db")
    try:
        for batch in reversed(world.finals):
            _deliver(store, batch, world.keys)
        for batch in world.snapshots:
            _deliver(store, batch, world.keys)
        assert projection_digest(store.conn) == world.expected
    finally:
        store.close()
