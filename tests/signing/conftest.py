"""Real parts only: a generated PKI, SoftHSM2 tokens made per test, and an RFC 3161 TSA on HTTP."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pkcs11
import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pkcs11 import Attribute, CertificateType, ObjectClass
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from inspector.signing import prepare_fields
from tests.signing import docs
from tests.signing.pki import PASSPHRASE, Pki, make_pki

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_LABEL = "Inspector Token"
USER_PIN = "246810"
SO_PIN = "13579111"


@pytest.fixture(scope="session")
def pki() -> Pki:
    return make_pki()


@pytest.fixture(scope="session")
def prepared_pdf() -> bytes:
    """The 2-page minutes, PDF/A-2b-ish, with both signature fields: the usual input to sign."""
    return prepare_fields(docs.pdfa_like(docs.minutes_pdf()), docs.FIELDS)


@pytest.fixture
def p12_path(tmp_path: Path, pki: Pki) -> Path:
    path = tmp_path / "nguyen-van-hung.p12"
    path.write_bytes(pki.signer.pkcs12(PASSPHRASE))
    return path


@pytest.fixture
def second_p12_path(tmp_path: Path, pki: Pki) -> Path:
    path = tmp_path / "tran-thi-anh-tuyet.pfx"
    path.write_bytes(pki.second_signer.pkcs12(PASSPHRASE))
    return path


@dataclass(frozen=True)
class Token:
    module: str
    label: str
    pin: str


def _run(*args: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{args[:2]} failed: {result.stdout}{result.stderr}"


@pytest.fixture
def softhsm_token(tmp_path: Path, pki: Pki, monkeypatch: pytest.MonkeyPatch) -> Iterator[Token]:
    """A fresh SoftHSM2 token holding the signer's key (imported) and certificate chain.

    Missing softhsm2-util makes the test fail, never skip: the token path is a production path.
    """
    assert shutil.which("softhsm2-util"), "softhsm2-util is not installed (Debian package softhsm2)"
    assert Path(SOFTHSM_MODULE).is_file(), f"{SOFTHSM_MODULE} missing (Debian package softhsm2)"
    tokens = tmp_path / "softhsm-tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\nslots.removable = false\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    _run("softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", USER_PIN,
         "--so-pin", SO_PIN)
    key_pem = tmp_path / "signer-key.pem"
    key_pem.write_bytes(pki.signer.key_pkcs8_pem())
    _run("softhsm2-util", "--import", str(key_pem), "--token", TOKEN_LABEL, "--label", "signer",
         "--id", "01", "--pin", USER_PIN)
    key_pem.unlink()
    lib = pkcs11.lib(SOFTHSM_MODULE)
    lib.reinitialize()  # SoftHSM reads SOFTHSM2_CONF in C_Initialize; the lib object is cached
    token = lib.get_token(token_label=TOKEN_LABEL)
    with token.open(rw=True, user_pin=USER_PIN) as session:
        certs = [("signer", b"\x01", pki.signer.cert), ("ca-issuing", b"\x02", pki.intermediate.cert),
                 ("ca-root", b"\x03", pki.root.cert)]
        for label, cid, cert in certs:
            session.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: cid,
                Attribute.SUBJECT: cert.subject.public_bytes(),
                Attribute.VALUE: cert.public_bytes(Encoding.DER)})
    yield Token(SOFTHSM_MODULE, TOKEN_LABEL, USER_PIN)
    lib.reinitialize()  # drop any session the test left open before the token dir goes away


class TsaServer:
    """An RFC 3161 TSA on 127.0.0.1. `mode` = "ok", "garbage" or "error" (HTTP 500).

    `delay_s` makes it a slow TSA (a bad mobile link): it answers after that long, or as soon as
    `release` is set; `answered` counts the answers sent."""

    def __init__(self, pki: Pki) -> None:
        def asn1(cert: x509.Certificate) -> Any:
            return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))

        self.stamper = DummyTimeStamper(
            tsa_cert=asn1(pki.tsa.cert),
            tsa_key=asn1_keys.PrivateKeyInfo.load(pki.tsa.key_pkcs8_der()),
            certs_to_embed=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [asn1(pki.intermediate.cert)]))
        self.mode = "ok"
        self.requests = 0
        self.answered = 0
        self.delay_s = 0.0
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                server.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if server.delay_s:
                    server.release.wait(server.delay_s)
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self._reply(415, b"", "text/plain")
                elif server.mode == "error":
                    self._reply(500, b"boom", "text/plain")
                elif server.mode == "garbage":
                    self._reply(200, b"\x30\x03garbage", "application/timestamp-reply")
                else:
                    response = server.stamper.request_tsa_response(tsp.TimeStampReq.load(body))
                    self._reply(200, response.dump(), "application/timestamp-reply")

            def _reply(self, code: int, data: bytes, ctype: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                server.answered += 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/tsa"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def tsa(pki: Pki) -> Iterator[TsaServer]:
    server = TsaServer(pki)
    yield server
    server.close()


@pytest.fixture
def closed_port_url() -> str:
    """A URL on which nothing listens (the port was just released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"
