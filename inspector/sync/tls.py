"""HTTPS without a public CA: the laptop pins the central's own certificate.

The enrollment token (text or QR) and the enrollment file carry the SHA-256 fingerprint of the
server's certificate (DER). At first contact the laptop fetches the certificate the server shows,
without trusting anything yet, and keeps it only if it has that fingerprint; from then on the
pinned certificate is the one trust anchor of every connection (`pinned_context`): the TLS
handshake itself fails against any other certificate, before a byte of the request is sent.
The host name is not checked: a small office reaches its server by a LAN address, and trusting
exactly one certificate is stronger than any name check.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from inspector.errors import UserError
from inspector.sync.keys import is_hex


class CertificateError(UserError):
    """A certificate file cannot be used, or the server shows another certificate than the pinned one."""


def fingerprint_of_pem(pem: str | bytes) -> str:
    """SHA-256 of the certificate's DER form, lower-case hex."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError as exc:
        raise CertificateError("Tệp chứng chỉ TLS không đọc được (cần chứng chỉ dạng PEM).",
                               hint="Kiểm tra lại tệp chứng chỉ của máy chủ.") from exc
    return cert.fingerprint(hashes.SHA256()).hex()


def certificate_fingerprint(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CertificateError("Không đọc được tệp chứng chỉ TLS {path}: {reason}.", path=str(path),
                               reason=exc.strerror or str(exc), hint="Kiểm tra đường dẫn tệp chứng chỉ.") from exc
    return fingerprint_of_pem(data)


def parse_fingerprint(text: str) -> str:
    """A fingerprint as printed (groups, colons, upper case) → 64 lower-case hex digits."""
    value = "".join(c for c in text.lower() if c not in ": -")
    if not is_hex(value, 64):
        raise CertificateError("Vân tay chứng chỉ TLS “{text}” không hợp lệ (cần 64 chữ số hệ 16).",
                               hint="Chép lại vân tay từ văn phòng trung tâm.", text=text[:80])
    return value


def show_fingerprint(value: str) -> str:
    """Readable: groups of four hex digits."""
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4)).upper()


class UnreachableError(UserError):
    def __init__(self, url: str) -> None:
        super().__init__("Không mở được kết nối bảo mật tới máy chủ {url}.",
                         hint="Kiểm tra mạng và địa chỉ máy chủ (bắt đầu bằng https://), rồi thử lại; nếu không"
                              " có mạng, dùng “Xuất gói dữ liệu ra USB”.", url=url)


def is_https(url: str) -> bool:
    return url.lower().startswith("https://")


def mismatch(url: str) -> CertificateError:
    return CertificateError(
        "Máy chủ {url} đưa ra chứng chỉ bảo mật (TLS) khác với chứng chỉ đã ghi nhận khi đăng ký;"
        " không gửi dữ liệu nào.",
        hint="Có thể có máy khác đang giả danh máy chủ. Báo văn phòng trung tâm; nếu văn phòng vừa thay"
             " chứng chỉ, xin mã đăng ký mới và đăng ký lại thiết bị.", url=url)


def fetch_certificate(url: str, expected: str, timeout: float = 10.0) -> str:
    """The certificate the server shows (PEM), accepted only if it has the expected fingerprint."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    try:
        pem = ssl.get_server_certificate((host, port), timeout=timeout)
    except (OSError, ssl.SSLError) as exc:
        raise UnreachableError(url) from exc
    if fingerprint_of_pem(pem) != expected:
        raise mismatch(url)
    return pem


def pinned_context(pem: str) -> ssl.SSLContext:
    """Trust exactly this certificate (as the only anchor; a leaf is enough: partial chains)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    context.load_verify_locations(cadata=pem)
    return context
