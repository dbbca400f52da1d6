"""Trust anchors from a folder the office manages (Ban Cơ yếu roots, NEAC root and its CAs).

Roots are always passed explicitly: pyHanko's fallback to the operating system's TLS trust list
is deprecated, and TLS roots say nothing about who may sign Vietnamese official documents.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from inspector.errors import StorageError, UserError

SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})


def _parse(data: bytes) -> list[x509.Certificate]:
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def load_trust_roots(directory: Path) -> list[x509.Certificate]:
    """Every certificate in the folder's .pem/.crt/.cer/.der files (PEM may hold several).

    Other files are ignored so a README can sit next to the certificates. One unreadable file
    fails the whole load, naming the file: silently dropping a root would make valid documents
    look untrusted with no clue why.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise StorageError("Không tìm thấy thư mục chứng thư gốc “{folder}”.",
                           hint="Chọn lại thư mục chứa chứng thư gốc trong phần Cài đặt.",
                           folder=str(folder))
    roots: dict[bytes, x509.Certificate] = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file()):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StorageError("Không đọc được tệp chứng thư gốc “{file}”.",
                               hint="Kiểm tra quyền đọc tệp.", file=path.name) from exc
        try:
            certs = _parse(data)
        except ValueError as exc:
            raise UserError("Tệp “{file}” không phải chứng thư số hợp lệ (PEM hoặc DER).",
                            hint="Xóa hoặc thay tệp này bằng chứng thư gốc lấy từ nơi cấp.",
                            file=path.name) from exc
        for cert in certs:
            roots.setdefault(cert.public_bytes(Encoding.DER), cert)
    return list(roots.values())
