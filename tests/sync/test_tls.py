"""HTTPS without a proxy or a public CA: a real TLS server on loopback with a self-signed
certificate made here, the laptop pinning its fingerprint from the token or the enrollment file,
and a second certificate refused before anything is sent."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from inspector.central import admin
from inspector.central.bundles import import_bundle, write_receipt_file
from inspector.central.enrollment import enrollment_file, record_served_certificate, served_fingerprint
from inspector.central.serve import TlsFiles
from inspector.cli import main
from inspector.errors import UserError
from inspector.sync.tls import CertificateError, certificate_fingerprint
from inspector.workspace import Workspace
from tests.sync.conftest import DeviceFactory
from tests.sync.data import record
from tests.sync.harness import LiveServer, wait_until


def make_certificate(directory: Path, name: str = "server") -> TlsFiles:
    """A self-signed certificate for 127.0.0.1 and localhost, as a small office would make one."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"inspector-{name}")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / f"{name}.crt", directory / f"{name}.key")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return files


def test_the_pinned_certificate_is_the_only_one_trusted(tmp_path: Path, make_device: DeviceFactory) -> None:
    first, second = make_certificate(tmp_path / "tls", "first"), make_certificate(tmp_path / "tls", "second")
    pin, other_pin = certificate_fingerprint(first.cert), certificate_fingerprint(second.cert)
    ws = make_device()
    with LiveServer(tmp_path / "server", tls=first) as server:
        assert server.url.startswith("https://")
        with pytest.raises(CertificateError, match="khác với chứng chỉ"):  # a wrong pin: nothing is sent
            ws.services.sync.enroll(server.url, f"{server.token()}#{other_pin}")
        with pytest.raises(UserError, match="không được xác nhận"):  # no pin: public CAs only
            ws.services.sync.enroll(server.url, server.token())
        assert server.call(admin.devices) == []
        result = ws.services.sync.enroll(server.url, f"{server.token()}#{pin}")
        assert result.tls_fingerprint == pin and ws.services.sync.overview().tls_pinned
        insp = record(ws, 6, photos=2)
        done = ws.services.sync.sync()
        assert done.events_sent > 0 and done.blobs_uploaded == 2
        assert ws.services.sync.inspection_status(insp.id).state == "complete"
    # Someone else answers at the server's address with their own certificate (same data here,
    # to show that it is the certificate alone that is refused).
    with LiveServer(tmp_path / "server", tls=second) as impostor:
        record(ws, 2, seed=7, inspection=insp)
        with pytest.raises(CertificateError, match="khác với chứng chỉ đã ghi nhận") as caught:
            ws.services.sync.sync(server_url=impostor.url)
        assert "Error" not in caught.value.render() and "văn phòng trung tâm" in caught.value.hint()
        held = impostor.call(lambda c: c.store.scalar("SELECT count(*) FROM events WHERE device_id = ?",
                                                      (ws.services.ctx.device.device_id,)))
    assert held == done.events_sent  # the two new edits never left the laptop
    with LiveServer(tmp_path / "server", tls=first) as server:
        assert ws.services.sync.sync(server_url=server.url).events_sent == 2


def test_the_enrollment_file_carries_the_fingerprint(tmp_path: Path, make_device: DeviceFactory) -> None:
    tls = make_certificate(tmp_path / "tls")
    ws = make_device()
    with LiveServer(tmp_path / "server", tls=tls) as server:
        record_served_certificate(server.data_dir, tls.cert, tls.check())  # as `central serve` does
        assert served_fingerprint(server.data_dir) == certificate_fingerprint(tls.cert)
        path = tmp_path / "enroll.json"
        path.write_bytes(server.call(lambda c: enrollment_file(c, "doan-1", url=server.url)))
        result = ws.services.sync.enroll_from_file(path)
        assert result.tls_fingerprint == certificate_fingerprint(tls.cert)
        record(ws, 3)
        ws.services.sync.export_bundle(tmp_path / "b.inspb")

        def deliver(central: object) -> None:
            outcome = import_bundle(central, tmp_path / "b.inspb")  # type: ignore[arg-type]
            write_receipt_file(central, outcome.receipt, tmp_path / "r.inspb")  # type: ignore[arg-type]

        server.call(deliver)
        ws.services.sync.import_bundle(tmp_path / "r.inspb")
        assert ws.services.sync.sync().events_sent == 0  # first contact over HTTPS: pinned from the file
        assert ws.store.scalar("SELECT tls_certificate FROM sync_server") == tls.cert.read_text()


def test_plain_http_still_works_without_tls(tmp_path: Path, make_device: DeviceFactory) -> None:
    ws = make_device()
    with LiveServer(tmp_path / "server") as server:
        assert served_fingerprint(server.data_dir) is None
        server.enroll(ws)
        record(ws, 2)
        assert ws.services.sync.sync().events_sent > 0
        assert not ws.services.sync.overview().tls_pinned


def test_bad_certificate_files_are_refused_with_a_message(tmp_path: Path) -> None:
    first, second = make_certificate(tmp_path, "first"), make_certificate(tmp_path, "second")
    with pytest.raises(CertificateError, match="khóa không khớp"):
        TlsFiles(first.cert, second.key).check()
    with pytest.raises(CertificateError, match="khóa không khớp"):
        TlsFiles(tmp_path / "missing.crt", first.key).check()


def test_central_serve_https_as_a_process(tmp_path: Path, make_device: DeviceFactory,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    tls = make_certificate(tmp_path / "tls")
    central_dir, root = tmp_path / "central", Path(__file__).resolve().parents[2]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "central", "serve", "--data-dir", str(central_dir),
                             "--port", str(port), "--tls-cert", str(tls.cert), "--tls-key", str(tls.key)],
                            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"https://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: proc.poll() is not None or served_fingerprint(central_dir) is not None, 30)
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/health", timeout=2)  # not trusted by public CAs: it really is TLS
        assert wait_until(lambda: proc.poll() is not None or _health_unverified(url), 30) and proc.poll() is None
        assert main(["central", "enroll-token", "--team", "doan-1", "--no-qr", "--data-dir", str(central_dir)]) == 0
        out = capsys.readouterr().out
        token = re.search(r"--token (\S+)”", out).group(1)  # type: ignore[union-attr]
        assert token.endswith(certificate_fingerprint(tls.cert))
        laptop = tmp_path / "laptop"
        assert main(["enroll", "--server", url, "--token", token, "--data-dir", str(laptop)]) == 0
        with Workspace.open(laptop) as ws:
            record(ws, 2)
        assert main(["sync", "--data-dir", str(laptop)]) == 0
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def _health_unverified(url: str) -> bool:
    try:
        httpx.get(url + "/health", timeout=1, verify=False).raise_for_status()
    except httpx.HTTPError:
        return False
    return True
