"""Encryption at rest on the laptop: SQLCipher store, sealed vault, key slots, recovery, migration.

Real parts: real SQLCipher files, real sealed vault files, the real CLI in a subprocess. The OS
key store is the tests' file-backed keyring (tests/keyring_file.py): CI has no Secret Service.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from inspector.clock import SystemClock
from inspector.errors import UserError
from inspector.keys import KEY_FILE, KeyFile, Unlocker
from inspector.services.context import ServiceContext, Session
from inspector.services.settings import load_identity
from inspector.store.db import is_plain_sqlite, open_store
from inspector.store.device import ensure_device
from inspector.vault import Vault
from inspector.workspace import Services, Workspace, build_services
from tests.factories import make_inspection

ROOT = Path(__file__).resolve().parents[2]
NOTE = "Bà Nguyễn Thị Bích Ngọc nhận hồ sơ nhưng không hẹn ngày trả"
PASSPHRASE = "mật khẩu đủ dài 2026"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (20, 30, 200)).save(out, "PNG")
    return out.getvalue()


def _record(s: Services) -> None:
    insp = make_inspection(s, subjects=2)
    change = s.findings.record(insp.id, "LD-01", insp.subjects[0].id, level=2, note=NOTE)
    s.evidence.attach_bytes(insp.id, _jpeg(), "anh-mot-cua.jpg", finding_id=change.finding_id)
    s.evidence.attach_bytes(insp.id, _png(), "so-theo-doi.png")
    s.evidence.attach_bytes(insp.id, b"%PDF-1.7\n% bien ban\n" + NOTE.encode(), "bien-ban.pdf")


def _leaks(data_dir: Path, secrets: list[bytes]) -> list[str]:
    """Every file in the directory that shows a SQLite header, an image or PDF header, or a secret."""
    # Signatures long enough that random ciphertext does not contain them by chance.
    needles = [b"SQLite format 3\x00", b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\x89PNG\r\n\x1a\n", b"%PDF-1.", *secrets]
    found = []
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path.relative_to(data_dir)}: {n[:24]!r}" for n in needles if n in data]
    return found


def _secrets(ws: Workspace) -> list[bytes]:
    names = ["Nguyễn Thị Bích Ngọc", "Lê Văn Nam", "Hoàn Kiếm", "le van nam", "hoan kiem"]
    return [n.encode("utf-8") for n in names] + [ws.services.ctx.device.private_key]


def make_plain_data_dir(data_dir: Path) -> list[str]:
    """A data directory as versions before encryption wrote it: plain SQLite, plain vault."""
    store = open_store(data_dir / "inspector.db")
    clock = SystemClock()
    ctx = ServiceContext(store=store, vault=Vault(data_dir / "vault"),
                         session=Session(load_identity(store), ensure_device(store, clock)), clock=clock)
    s = build_services(ctx)
    s.catalogs.install_builtins()
    _record(s)
    hashes = [r[0] for r in store.conn.execute("SELECT hash FROM events ORDER BY local_order")]
    store.close()
    return hashes


def test_nothing_of_an_inspection_is_readable_in_the_data_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Workspace.open(data_dir) as ws:
        _record(ws.services)
        secrets = _secrets(ws)
        assert ws.services.verify_events().ok  # the rebuild's scratch copy is encrypted too
        assert _leaks(data_dir, secrets) == []  # while open: the -wal file as well
        assert ws.services.evidence.verify_all().ok
    assert _leaks(data_dir, secrets) == []
    assert sorted(p.name for p in data_dir.iterdir()) == ["evidence", "inspector.db", KEY_FILE]
    # The scan can fail: the same data written the old way shows all of it.
    plain = tmp_path / "plain"
    make_plain_data_dir(plain)
    leaks = "\n".join(_leaks(plain, secrets[:-1]))
    for needle in ("SQLite format 3", "JFIF", "PNG", "%PDF", r"L\xc3\xaa V\xc4\x83n Nam"):
        assert needle in leaks


def test_vault_files_are_authenticated_and_bound_to_their_address(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "data") as ws:
        vault = ws.services.ctx.vault
        a = vault.put_bytes(b"a" * 200_000)
        b = vault.put_bytes(b"b" * 10)
        empty = vault.put_bytes(b"")
        assert vault.put_bytes(b"a" * 200_000).already_present  # dedupe by content
        assert vault.read_bytes(a.sha256) == b"a" * 200_000 and vault.read_bytes(empty.sha256) == b""
        assert vault.size_of(a.sha256) == 200_000
        with vault.open_blob(a.sha256) as fh:  # seekable plaintext (resumed uploads)
            fh.seek(150_000)
            assert fh.read(5) == b"aaaaa"
        path = vault.path_for(a.sha256)
        sealed = path.read_bytes()
        for damage in (sealed[:-1], sealed[:100], sealed[:40] + bytes([sealed[40] ^ 1]) + sealed[41:]):
            path.write_bytes(damage)
            assert not vault.verify(a.sha256)
            with pytest.raises(UserError, match="bị hỏng"):
                vault.read_bytes(a.sha256)
        path.write_bytes(vault.path_for(b.sha256).read_bytes())  # a valid file under another name
        assert not vault.verify(a.sha256)
        with pytest.raises(UserError, match="không khớp mã băm"):
            vault.read_bytes(a.sha256)


def _cli(*args: str, env: dict[str, str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("INSPECTOR_") or k == "INSPECTOR_TEST_KEYRING"}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "inspector", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env=full, cwd=ROOT, stdin=subprocess.DEVNULL, timeout=120)


def _snapshot(data_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in data_dir.rglob("*") if p.is_file()}


def test_passphrase_wrong_or_missing_exits_1_and_changes_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = _cli("demo", "--inspections", "2", env={"INSPECTOR_KEY_STORE": "passphrase",
                                                     "INSPECTOR_PASSPHRASE": PASSPHRASE}, data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    assert "KHÓA KHÔI PHỤC" in first.stdout
    recovery = next(line.strip() for line in first.stdout.splitlines() if line.count("-") == 7)
    key_file = KeyFile.load(data_dir)
    assert key_file is not None and key_file.kinds() == ["passphrase", "recovery"]
    before = _snapshot(data_dir)
    for env, message in (({"INSPECTOR_PASSPHRASE": "không phải mật khẩu"}, "Mật khẩu không đúng"),
                         ({}, "chưa có mật khẩu"),
                         ({"INSPECTOR_RECOVERY_KEY": "AAAA-BBBB"}, "không đúng định dạng"),
                         ({"INSPECTOR_RECOVERY_KEY": "AAAA-" * 7 + "AAAA"}, "Khóa khôi phục không đúng")):
        done = _cli("inspection", "list", env=env, data_dir=data_dir)
        assert done.returncode == 1 and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and "Error" not in done.stderr
        assert _snapshot(data_dir) == before
    ok = _cli("inspection", "list", "--json", env={"INSPECTOR_PASSPHRASE": PASSPHRASE}, data_dir=data_dir)
    assert ok.returncode == 0 and len(json.loads(ok.stdout)) == 2, ok.stderr
    # Passphrase forgotten: the recovery key opens the data and sets a new passphrase.
    new = "một mật khẩu mới khác"
    rec = _cli("keys", "recover", "--passphrase",
               env={"INSPECTOR_RECOVERY_KEY": recovery, "INSPECTOR_PASSPHRASE": new}, data_dir=data_dir)
    assert rec.returncode == 0, rec.stderr
    assert _cli("inspection", "list", env={"INSPECTOR_PASSPHRASE": new}, data_dir=data_dir).returncode == 0
    assert _cli("inspection", "list", env={"INSPECTOR_PASSPHRASE": PASSPHRASE}, data_dir=data_dir).returncode == 1


def test_os_key_store_lost_then_recovery_key_opens_the_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = _cli("demo", "--inspections", "1", env={}, data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    recovery = next(line.strip() for line in first.stdout.splitlines() if line.count("-") == 7)
    key_file = KeyFile.load(data_dir)
    assert key_file is not None and key_file.kinds() == ["keyring", "recovery"]
    other_account = {"INSPECTOR_TEST_KEYRING": str(tmp_path / "new-os-account.json")}
    lost = _cli("inspection", "list", env=other_account, data_dir=data_dir)
    assert lost.returncode == 1 and "kho khóa của hệ điều hành" in lost.stderr, lost.stderr
    rec = _cli("keys", "recover", env={**other_account, "INSPECTOR_RECOVERY_KEY": recovery}, data_dir=data_dir)
    assert rec.returncode == 0 and "kho khóa của hệ điều hành" in rec.stdout, rec.stderr
    again = _cli("inspection", "list", "--json", env=other_account, data_dir=data_dir)
    assert again.returncode == 0 and len(json.loads(again.stdout)) == 1
    status = _cli("keys", "status", "--json", env=other_account, data_dir=data_dir)
    assert json.loads(status.stdout)["protected_by"] == ["recovery", "keyring"]


def test_a_key_file_from_another_data_directory_is_refused(tmp_path: Path) -> None:
    for name in ("a", "b"):
        Workspace.open(tmp_path / name).close()
    (tmp_path / "b" / KEY_FILE).write_bytes((tmp_path / "a" / KEY_FILE).read_bytes())
    with pytest.raises(UserError, match="Không giải mã được cơ sở dữ liệu"):
        Workspace.open(tmp_path / "b")
    (tmp_path / "b" / KEY_FILE).unlink()
    with pytest.raises(UserError, match="Thiếu tệp khóa"):
        Workspace.open(tmp_path / "b")


def test_a_plain_data_directory_is_encrypted_in_place(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    hashes = make_plain_data_dir(data_dir)
    assert is_plain_sqlite(data_dir / "inspector.db")
    with Workspace.open(data_dir) as ws:
        assert ws.recovery_key  # keys were created: shown once
        assert [r[0] for r in ws.store.conn.execute("SELECT hash FROM events ORDER BY local_order")] == hashes
        assert ws.services.verify_events().ok and ws.services.evidence.verify_all().ok
        refs = ws.store.query("SELECT sha256 FROM evidence")
        assert len(refs) == 3 and all(ws.services.ctx.vault.verify(r["sha256"]) for r in refs)
        secrets = _secrets(ws)
    assert not (data_dir / "vault").exists() and not is_plain_sqlite(data_dir / "inspector.db")
    assert _leaks(data_dir, secrets) == []
    with Workspace.open(data_dir) as ws:  # opening again does nothing more
        assert ws.recovery_key is None and ws.store.scalar("SELECT count(*) FROM evidence") == 3


def test_unlocking_derives_the_passphrase_key_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import inspector.keys as keys

    calls = []
    real = keys.passphrase_kek
    monkeypatch.setattr(keys, "passphrase_kek", lambda *a: calls.append(1) or real(*a))
    data_dir = tmp_path / "data"
    first = Workspace.open(data_dir, unlocker=Unlocker(passphrase=PASSPHRASE, prefer="passphrase"))
    assert calls == [1]
    others = [Workspace.open(data_dir, keys=first.keys) for _ in range(3)]  # threads, read pool
    assert calls == [1]
    for ws in [first, *others]:
        ws.close()
