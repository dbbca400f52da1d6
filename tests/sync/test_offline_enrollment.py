"""Enrollment with no network at all (issue 13): the central writes an enrollment file, the laptop
reads it and exports bundles at once, the central registers the laptop when it imports the first
bundle, and the receipt goes back on the stick. Two real data directories and a real central
store; no HTTP server anywhere. Same rules as the network path: single use, expiry, revocation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from inspector.central import admin
from inspector.central.bundles import import_bundle, write_receipt_file
from inspector.central.enrollment import enrollment_file, write_enrollment_file
from inspector.central.server import Central
from inspector.central.storage import ENV_VAR
from inspector.central.storage.audit import verify_central_store
from inspector.cli import main
from inspector.errors import UserError
from inspector.sync.enrollment import EnrollmentFileError
from inspector.workspace import Workspace
from tests.central.fixtures import DatabaseFactory
from tests.sync.conftest import DeviceFactory, ShiftClock
from tests.sync.data import record


@pytest.fixture
def central_clock() -> ShiftClock:
    return ShiftClock()


@pytest.fixture
def central(tmp_path: Path, central_clock: ShiftClock, make_database: DatabaseFactory,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Central]:
    """The office's server store on the test's backend (every `central` command of the test
    finds a PostgreSQL store through the environment)."""
    database = make_database(tmp_path / "central")
    if database.url:
        monkeypatch.setenv(ENV_VAR, database.url)
    c = Central(tmp_path / "central", clock=central_clock, database=database)
    yield c
    c.close()


def _file(central: Central, path: Path, team: str = "doan-1", **options: object) -> Path:
    path.write_bytes(enrollment_file(central, team, **options))  # type: ignore[arg-type]
    return path


def _deliver(central: Central, bundle: Path, receipt: Path) -> object:
    result = import_bundle(central, bundle)
    write_receipt_file(central, result.receipt, receipt)
    return result


def _device_events(central: Central, device_id: str) -> int:
    return int(central.store.scalar("SELECT count(*) FROM events WHERE device_id = ?", (device_id,)))


def test_round_trip_with_no_network(central: Central, tmp_path: Path, make_device: DeviceFactory) -> None:
    ws = make_device("laptop")
    device_id = ws.services.ctx.device.device_id
    insp = record(ws, 8, photos=2)  # recorded before the laptop was ever enrolled
    result = ws.services.sync.enroll_from_file(_file(central, tmp_path / "enroll.json"))
    assert result.pending and result.server_id == central.server_id and result.team == "doan-1"
    assert ws.services.sync.overview().enrollment_pending
    with pytest.raises(UserError, match="Xuất gói dữ liệu ra USB"):  # no network sync until confirmed
        ws.services.sync.sync()
    first = ws.services.sync.export_bundle(tmp_path / "b1.inspb")  # at once, before any registration
    assert first.verified and first.blobs == 2
    record(ws, 2, seed=3, inspection=insp)
    second = ws.services.sync.export_bundle(tmp_path / "b2.inspb")  # before the receipt came back
    assert admin.devices(central) == []
    done = import_bundle(central, tmp_path / "b1.inspb")
    assert done.imported and done.events_inserted == first.events
    device = admin.find_device(central, device_id)
    assert device.active and device.team == "doan-1" and device.epoch == ws.services.ctx.device.epoch
    assert device.person_id == ws.services.ctx.identity.id
    enrolled = central.store.scalar("SELECT count(*) FROM events WHERE device_id = ? AND type = 'device.enrolled'"
                                    " AND entity_id = ?", (central.server_id, device_id))
    assert enrolled == 1
    _deliver(central, tmp_path / "b2.inspb", tmp_path / "r2.inspb")  # same request again: a no-op
    assert _device_events(central, device_id) == second.events == first.events + 2
    assert central.store.scalar("SELECT count(*) FROM events WHERE type = 'device.enrolled'") == 1
    ws.services.sync.import_bundle(tmp_path / "r2.inspb")
    assert ws.services.sync.pending_enrollment() is None
    assert ws.services.sync.inspection_status(insp.id).state == "complete"
    with pytest.raises(UserError, match="Không có dữ liệu mới"):
        ws.services.sync.export_bundle(tmp_path / "b3.inspb")
    assert verify_central_store(central.store).ok


def test_a_fresh_laptop_enrolls_with_its_first_bundle(central: Central, tmp_path: Path,
                                                       make_device: DeviceFactory) -> None:
    ws = make_device("laptop")
    ws.services.sync.enroll_from_file(_file(central, tmp_path / "enroll.json"))
    exported = ws.services.sync.export_bundle(tmp_path / "b.inspb")
    assert exported.blobs == 0  # only what a new data directory records about itself
    _deliver(central, tmp_path / "b.inspb", tmp_path / "r.inspb")
    assert admin.find_device(central, ws.services.ctx.device.device_id).active
    ws.services.sync.import_bundle(tmp_path / "r.inspb")
    assert not ws.services.sync.overview().enrollment_pending


def test_a_replayed_enrollment_file_is_refused(central: Central, tmp_path: Path,
                                               make_device: DeviceFactory) -> None:
    path = _file(central, tmp_path / "enroll.json")
    first, second = make_device("first"), make_device("second")
    for n, ws in enumerate((first, second)):
        ws.services.sync.enroll_from_file(path)  # nothing on a laptop can know the file was used
        record(ws, 3, seed=n)
        ws.services.sync.export_bundle(tmp_path / f"{n}.inspb")
    import_bundle(central, tmp_path / "0.inspb")
    before = central.store.scalar("SELECT count(*) FROM events")
    for _ in range(2):
        with pytest.raises(UserError, match="đã được dùng cho một thiết bị khác"):
            import_bundle(central, tmp_path / "1.inspb")
    other = second.services.sync.ctx.device.device_id
    assert central.store.scalar("SELECT count(*) FROM events") == before
    assert _device_events(central, other) == 0
    assert [d.device_id for d in admin.devices(central)] == [first.services.ctx.device.device_id]


def test_expiry_is_checked_on_the_laptop_and_on_the_central(central: Central, central_clock: ShiftClock,
                                                            tmp_path: Path, make_device: DeviceFactory) -> None:
    path = _file(central, tmp_path / "enroll.json", lifetime=timedelta(days=2))
    late = make_device("late", clock=ShiftClock(timedelta(days=3)))
    with pytest.raises(EnrollmentFileError, match="hết hạn"):
        late.services.sync.enroll_from_file(path)
    assert late.services.sync.link() is None
    ws = make_device("laptop")
    ws.services.sync.enroll_from_file(path)
    record(ws, 2)
    ws.services.sync.export_bundle(tmp_path / "b.inspb")
    central_clock.offset = timedelta(days=2, minutes=1)  # the stick came back too late
    with pytest.raises(UserError, match="hết hạn"):
        import_bundle(central, tmp_path / "b.inspb")
    assert admin.devices(central) == []
    assert central.store.scalar("SELECT count(*) FROM enroll_tokens WHERE used_at IS NOT NULL") == 0


def test_a_revoked_device_stays_out(central: Central, tmp_path: Path, make_device: DeviceFactory) -> None:
    ws = make_device("laptop")
    device_id = ws.services.ctx.device.device_id
    ws.services.sync.enroll_from_file(_file(central, tmp_path / "enroll.json"))
    insp = record(ws, 2)
    ws.services.sync.export_bundle(tmp_path / "b1.inspb")
    _deliver(central, tmp_path / "b1.inspb", tmp_path / "r1.inspb")
    admin.revoke(central, device_id, "máy bị mất")
    record(ws, 2, seed=5, inspection=insp)
    ws.services.sync.export_bundle(tmp_path / "b2.inspb")  # still carries the enrollment request
    held = _device_events(central, device_id)
    with pytest.raises(UserError, match="thu hồi"):
        import_bundle(central, tmp_path / "b2.inspb")
    ws.services.sync.import_bundle(tmp_path / "r1.inspb")
    ws.services.sync.export_bundle(tmp_path / "b3.inspb")  # without it: signed by a revoked key
    with pytest.raises(UserError, match="thu hồi"):
        import_bundle(central, tmp_path / "b3.inspb")
    assert _device_events(central, device_id) == held
    assert not admin.find_device(central, device_id).active


def test_damaged_files_and_forged_requests_are_refused(central: Central, tmp_path: Path,
                                                       make_device: DeviceFactory) -> None:
    path = _file(central, tmp_path / "enroll.json")
    doc = json.loads(path.read_bytes())
    ws = make_device("laptop")
    for name, data in [("not-json", b"\x00PK"), ("other", b'{"format": "inspector.bundle"}'),
                       ("team", json.dumps({**doc, "offer": {**doc["offer"], "team": "doan-2"}}).encode()),
                       ("big", b" " * 70_000)]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(EnrollmentFileError) as caught:
            ws.services.sync.enroll_from_file(tmp_path / name)
        assert "Error" not in caught.value.render() and caught.value.hint()
    with pytest.raises(EnrollmentFileError, match="Không đọc được"):
        ws.services.sync.enroll_from_file(tmp_path / "missing.json")
    assert ws.services.sync.link() is None
    # A token the central never issued (a file made with another server's key would not even
    # carry this server's id): the laptop's request does not prove any stored token.
    forged = json.loads(path.read_bytes())
    ws.services.sync.enroll_from_file(path)
    ws.store.conn.execute("UPDATE sync_enrollment SET request = json_set(request, '$.proof', ?)",
                          ("0" * 64,))
    record(ws, 1)
    ws.services.sync.export_bundle(tmp_path / "b.inspb")
    with pytest.raises(UserError, match="không do máy chủ này cấp"):
        import_bundle(central, tmp_path / "b.inspb")
    assert admin.devices(central) == [] and forged["offer"]["token"]
    # The manifest (and so the request) is covered by the device's signature: changing it breaks that.
    raw = bytearray((tmp_path / "b.inspb").read_bytes())
    at = raw.find(b'"proof":"') + len(b'"proof":"')
    raw[at:at + 1] = b"1"
    (tmp_path / "c.inspb").write_bytes(bytes(raw))
    with pytest.raises(UserError):
        import_bundle(central, tmp_path / "c.inspb")
    assert admin.devices(central) == []


def test_cli_enrollment_file(central: Central, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    central_dir = central.data_dir
    central.close()
    out_file, laptop = tmp_path / "usb" / "dang-ky.json", tmp_path / "laptop"
    out_file.parent.mkdir()
    code = main(["central", "enroll-token", "--team", "doan-1", "--out", str(out_file), "--days", "3",
                 "--data-dir", str(central_dir)])
    out, _ = capsys.readouterr()
    assert code == 0 and "Đã ghi tệp đăng ký" in out and out_file.is_file()
    assert main(["enroll", "--file", str(out_file), "--server", "http://x", "--data-dir", str(laptop)]) == 1
    assert "Cần đúng một cách đăng ký" in capsys.readouterr().err
    assert main(["enroll", "--file", str(out_file), "--data-dir", str(laptop)]) == 0
    assert "xuất gói dữ liệu ra USB ngay" in capsys.readouterr().out
    with Workspace.open(laptop) as ws:
        record(ws, 2)
    bundle = tmp_path / "usb" / "goi.inspb"
    assert main(["bundle", "export", "--to", str(bundle), "--data-dir", str(laptop)]) == 0
    assert main(["central", "import-bundle", str(bundle), "--data-dir", str(central_dir)]) == 0
    assert main(["bundle", "import", str(tmp_path / "usb" / "goi.receipt.inspb"), "--data-dir", str(laptop)]) == 0
    capsys.readouterr()
    assert main(["sync-status", "--data-dir", str(laptop)]) == 0
    assert "đang chờ" not in capsys.readouterr().out
    reopened = Central(central_dir)
    try:
        assert len(admin.devices(reopened)) == 1
    finally:
        reopened.close()


def test_write_enrollment_file_is_durable(central: Central, tmp_path: Path) -> None:
    offer = write_enrollment_file(central, "doan-1", tmp_path / "f.json", url="http://10.0.0.5:8765")
    assert offer.url == "http://10.0.0.5:8765" and not (tmp_path / "f.json.part").exists()
    with pytest.raises(UserError, match="30 ngày"):
        enrollment_file(central, "doan-1", lifetime=timedelta(days=90))
    with pytest.raises(UserError, match="Không ghi được"):
        write_enrollment_file(central, "doan-1", tmp_path / "no-such-dir" / "f.json")


def test_an_enrolling_bundle_is_checked_before_its_manifest_is_parsed(central: Central, tmp_path: Path) -> None:
    """The key an enrolling bundle names in its header must have signed it before anything of the
    manifest is parsed: a crafted manifest costs one hash and two signature checks."""
    import hashlib
    import struct
    import time

    manifest = b"[" * 40 + b'\\"' * 128_000
    head = b"INSPBNDL\x00" + struct.pack(">HH", 1, 1) + struct.pack(">I", len(manifest)) + manifest
    head += b"\x01" * 64 + bytes(32)
    total = len(head) + 4 + 32 + 8
    evil = tmp_path / "evil.inspb"
    evil.write_bytes(head + b"END\x00" + hashlib.sha256(manifest).digest() + struct.pack(">Q", total))
    start = time.perf_counter()
    with pytest.raises(UserError, match="chữ ký"):
        import_bundle(central, evil)
    assert time.perf_counter() - start < 1.0
    assert admin.devices(central) == []


def test_enrolling_again_from_a_file_starts_a_new_chain(central: Central, tmp_path: Path,
                                                        make_device: DeviceFactory) -> None:
    ws = make_device("laptop")
    device_id = ws.services.ctx.device.device_id
    ws.services.sync.enroll_from_file(_file(central, tmp_path / "first.json"))
    insp = record(ws, 2)
    ws.services.sync.export_bundle(tmp_path / "b1.inspb")
    _deliver(central, tmp_path / "b1.inspb", tmp_path / "r1.inspb")
    ws.services.sync.import_bundle(tmp_path / "r1.inspb")
    again = ws.services.sync.enroll_from_file(_file(central, tmp_path / "second.json"))  # e.g. after a fork
    assert again.epoch == 2 and ws.services.ctx.device.epoch == 2
    record(ws, 2, seed=4, inspection=insp)
    ws.services.sync.export_bundle(tmp_path / "b2.inspb")
    _deliver(central, tmp_path / "b2.inspb", tmp_path / "r2.inspb")
    assert admin.find_device(central, device_id).epoch == 2
    assert central.store.scalar("SELECT count(*) FROM events WHERE device_id = ? AND epoch = 2", (device_id,)) > 0
    ws.services.sync.import_bundle(tmp_path / "r2.inspb")
    assert ws.services.sync.inspection_status(insp.id).state == "complete"
