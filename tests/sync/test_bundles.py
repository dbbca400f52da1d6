"""USB bundles: receipts round trip, cumulative export, idempotent import, equivalence with HTTP
sync, peer merge on the leader's laptop and relay to the server, a full stick during export."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from inspector.central import admin
from inspector.central.bundles import import_bundle, write_receipt_file
from inspector.central.storage.audit import verify_central_store
from inspector.errors import UserError
from inspector.sync.bundle import read_envelope
from inspector.sync.merge import projection_digest
from inspector.workspace import Workspace
from tests.central.fixtures import DatabaseFactory
from tests.sync.conftest import DeviceFactory
from tests.sync.data import record
from tests.sync.harness import LiveServer, device_events, server_state


def _import(server: LiveServer, bundle: Path, receipt: Path | None = None) -> object:
    def run(central: object) -> object:
        result = import_bundle(central, bundle)  # type: ignore[arg-type]
        if receipt is not None:
            write_receipt_file(central, result.receipt, receipt)  # type: ignore[arg-type]
        return result
    return server.call(run)


def _blob_set(root: Path) -> set[str]:
    return {p.name for p in root.rglob("*") if p.is_file() and len(p.name) == 64}


def test_receipt_marks_exactly_what_the_server_holds(server: LiveServer, tmp_path: Path,
                                                     make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    insp = record(ws, 10, photos=2)
    first = ws.services.sync.export_bundle(tmp_path / "b1.inspb")
    assert first.verified and first.blobs == 2
    head_at_export = ws.store.scalar("SELECT max(seq) FROM events WHERE device_id = ?",
                                     (ws.services.ctx.device.device_id,))
    record(ws, 3, photos=1, seed=2, inspection=insp)  # recorded after the stick left
    _import(server, tmp_path / "b1.inspb", tmp_path / "r1.inspb")
    outcome = ws.services.sync.import_bundle(tmp_path / "r1.inspb")
    assert outcome.kind == "receipt"
    device_id = ws.services.ctx.device.device_id
    assert ws.store.scalar("SELECT seq FROM sync_acks WHERE device_id = ?", (device_id,)) == head_at_export
    held = {r[0] for r in ws.store.conn.execute("SELECT sha256 FROM sync_blobs WHERE server_has = 1")}
    assert held == _blob_set(server.data_dir / "blobs") and len(held) == 2
    overview = ws.services.sync.overview()
    assert overview.unsent_events == 4 and overview.unsent_blobs == 1  # 3 findings + 1 photo
    assert ws.services.sync.inspection_status(insp.id).state == "partial"
    second = ws.services.sync.export_bundle(tmp_path / "b2.inspb")  # only what is not receipted
    assert (second.events, second.blobs) == (4, 1)
    _import(server, tmp_path / "b2.inspb", tmp_path / "r2.inspb")
    ws.services.sync.import_bundle(tmp_path / "r2.inspb")
    assert ws.services.sync.inspection_status(insp.id).state == "complete"
    other = make_device("other")
    server.enroll(other)
    server.call(lambda c: admin.export_receipt(c, other.services.ctx.device.device_id,
                                               tmp_path / "other.inspb"))
    with pytest.raises(UserError, match="thiết bị khác"):
        ws.services.sync.import_bundle(tmp_path / "other.inspb")
    with pytest.raises(UserError, match="máy chủ trung tâm"):
        ws.services.sync.import_bundle(tmp_path / "b2.inspb")
    assert server.call(lambda c: verify_central_store(c.store)).ok


def test_reimport_and_overlapping_bundles_change_nothing(server: LiveServer, tmp_path: Path,
                                                         make_device: DeviceFactory) -> None:
    ws = make_device()
    server.enroll(ws)
    insp = record(ws, 6, photos=1)
    ws.services.sync.export_bundle(tmp_path / "b1.inspb")
    record(ws, 6, photos=1, seed=3, inspection=insp)
    ws.services.sync.export_bundle(tmp_path / "b2.inspb")  # no receipt yet: cumulative, b1 ⊂ b2
    _import(server, tmp_path / "b2.inspb")  # b1 was "lost"; b2 alone is complete
    device_id = ws.services.ctx.device.device_id
    assert device_events(server.database, device_id) == device_events(ws.store.path, device_id)
    state = server_state(server.database, server.data_dir / "blobs")
    for _ in range(10):
        assert not _import(server, tmp_path / "b2.inspb").imported  # type: ignore[attr-defined]
    assert server_state(server.database, server.data_dir / "blobs") == state
    late = _import(server, tmp_path / "b1.inspb")  # the old stick turns up: only duplicates
    assert late.events_inserted == 0 and late.blobs_stored == 0  # type: ignore[attr-defined]
    assert device_events(server.database, device_id) == device_events(ws.store.path, device_id)
    report = {r.inspection_id: r for r in server.call(admin.inspections)}[insp.id]
    assert report.complete


def test_bundle_import_equals_http_sync(tmp_path: Path, make_device: DeviceFactory,
                                        make_database: DatabaseFactory) -> None:
    ws = make_device("laptop")
    record(ws, 25, photos=3)
    ws.close()
    shutil.copytree(tmp_path / "laptop", tmp_path / "clone")
    ws, clone = make_device("laptop"), make_device("clone")
    with LiveServer(tmp_path / "http-server", database=make_database(tmp_path / "http-server")) as via_http, \
            LiveServer(tmp_path / "usb-server", database=make_database(tmp_path / "usb-server")) as via_usb:
        via_http.enroll(ws)
        via_usb.enroll(clone)
        ws.services.sync.sync()
        clone.services.sync.export_bundle(tmp_path / "b.inspb")
        _import(via_usb, tmp_path / "b.inspb")
        device_id = ws.services.ctx.device.device_id
        assert device_events(via_http.database, device_id) == device_events(
            via_usb.database, device_id)
        assert _blob_set(via_http.data_dir / "blobs") == _blob_set(via_usb.data_dir / "blobs")

        def digest(central: object) -> str:
            conn = central.store.conn  # type: ignore[attr-defined]
            conn.execute("BEGIN")
            conn.execute("DELETE FROM team_devices")  # enrollment records differ between servers
            for table in ("units", "people"):  # each server registers the proposals at its own time
                conn.execute(f"UPDATE {table} SET updated_at = ''")
            value = projection_digest(conn)
            conn.execute("ROLLBACK")
            return value

        assert via_http.call(digest) == via_usb.call(digest)
        assert [r.complete for r in via_http.call(admin.inspections)] == [
            r.complete for r in via_usb.call(admin.inspections)] == [True]


def test_peer_merge_on_the_leader_then_relay_to_the_server(server: LiveServer, tmp_path: Path,
                                                           make_device: DeviceFactory) -> None:
    leader, member = make_device("leader"), make_device("member")
    server.enroll(leader)
    server.enroll(member)
    insp = record(leader, 1, photos=1)
    cell = (insp.id, "LD-01", insp.subjects[0].id)
    leader.services.sync.sync()
    member.services.sync.sync()  # both now hold the team roster
    member_id = member.services.ctx.device.device_id
    leader_id = leader.services.ctx.device.device_id
    leader.services.sync.export_bundle(tmp_path / "to-member.inspb", for_device=member_id[:10])
    assert member.services.sync.import_bundle(tmp_path / "to-member.inspb").events > 0
    member.services.findings.record(*cell, level=3, note="thành viên sửa")  # same parent: conflict
    leader.services.findings.record(*cell, level=0, note="trưởng đoàn sửa")
    member.services.findings.record(insp.id, "LD-05", insp.subjects[1].id, level=2, note="tv")
    leader.services.findings.record(insp.id, "LD-05", insp.subjects[1].id, level=1, note="tđ")
    member.services.evidence.attach_bytes(insp.id, b"%PDF-1.4 bien ban", "bien-ban.pdf")
    member.services.sync.export_bundle(tmp_path / "to-leader.inspb", for_device=leader_id)
    merged = leader.services.sync.import_bundle(tmp_path / "to-leader.inspb")
    assert merged.imported and merged.blobs >= 1
    assert not leader.services.sync.import_bundle(tmp_path / "to-leader.inspb").imported
    conflicts = leader.services.sync.conflicts(insp.id)
    assert len(conflicts) == 1 and {r.device_id for r in conflicts[0].leaves} == {leader_id, member_id}
    disagreements = leader.services.sync.disagreements(insp.id)
    assert [(d.item_code, d.identical) for d in disagreements] == [("LD-05", False)]
    assert leader.services.verify_events().ok
    leader.services.sync.sync()  # relays the member's chain, signed by the member
    assert device_events(server.database, member_id) == device_events(
        member.store.path, member_id)
    member.services.sync.sync()  # everything is already there: duplicates, acknowledged
    report = {r.inspection_id: r for r in server.call(admin.inspections)}[insp.id]
    assert set(report.devices) == {leader_id, member_id} and report.complete
    assert server.call(lambda c: verify_central_store(c.store)).ok
    stranger = make_device("stranger")
    with pytest.raises(UserError, match=r"chưa đăng ký|không được tin cậy|danh sách"):
        stranger.services.sync.import_bundle(tmp_path / "to-leader.inspb")


def test_a_full_stick_leaves_the_old_bundle_and_no_partial_file(server: LiveServer, tmp_path: Path,
                                                               make_device: DeviceFactory) -> None:
    ws = make_device("laptop")
    server.enroll(ws)
    insp = record(ws, 3, photos=1, photo_size=50_000)
    stick = tmp_path / "stick"
    stick.mkdir()
    old = ws.services.sync.export_bundle(stick / "goi.inspb")
    record(ws, 3, photos=1, photo_size=2_000_000, seed=5, inspection=insp)
    ws.close()
    script = textwrap.dedent(f"""
        import resource, signal, sys
        from pathlib import Path
        from inspector.errors import UserError
        from inspector.workspace import Workspace
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        with Workspace.open(Path({str(tmp_path / 'laptop')!r})) as ws:
            resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
            try:
                ws.services.sync.export_bundle(Path({str(stick / 'goi.inspb')!r}))
            except UserError as exc:
                print(exc.render())
                sys.exit(7)
        sys.exit(0)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 7, done.stdout + done.stderr
    assert "Không ghi được gói" in done.stdout
    assert sorted(p.name for p in stick.iterdir()) == ["goi.inspb"]
    assert read_envelope(stick / "goi.inspb").manifest["bundle_id"] == old.bundle_id
    reopened = Workspace.open(tmp_path / "laptop")
    try:
        assert reopened.services.verify_events().ok
    finally:
        reopened.close()
