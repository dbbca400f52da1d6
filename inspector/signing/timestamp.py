"""A later RFC 3161 document timestamp: proof that the signed file existed at the TSA's time.

Inspection teams sign offline (PAdES B-B, the laptop's clock is only a claim). When the laptop is
back online, one DocTimeStamp over the whole file turns each signature into B-T-equivalent proof
of existence (ETSI EN 319 142-1 accepts a document timestamp for this; see verify.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext

from inspector.clock import VIETNAM_TZ
from inspector.errors import UserError
from inspector.signing import _pdf
from inspector.signing.certs import CertificateInfo

_UNREACHABLE_HINT = ("Kiểm tra kết nối mạng và địa chỉ máy chủ dấu thời gian trong Cài đặt, "
                     "rồi thử lại sau. Tài liệu không bị thay đổi.")


@dataclass(frozen=True)
class TimestampResult:
    pdf: bytes
    time: datetime  # the TSA's time, Vietnam time zone
    tsa_name: str   # common name of the TSA certificate, NFC


def add_document_timestamp(pdf: bytes, tsa_url: str, *, timeout: float = 20,
                           auth: tuple[str, str] | None = None) -> TimestampResult:
    """Append a DocTimeStamp (ETSI.RFC3161, SHA-256) in a new incremental revision.

    Any failure raises a UserError and returns nothing, so the caller's bytes stay as they were.
    The TSA's answer is checked (digest and TSA signature) before it is handed back: a broken
    TSA must not leave a useless timestamp in an archived document.
    """
    if not tsa_url.startswith(("http://", "https://")):
        raise UserError("Địa chỉ máy chủ dấu thời gian “{url}” không hợp lệ.",
                        hint="Nhập địa chỉ dạng http://… hoặc https://… trong Cài đặt.", url=tsa_url)
    writer = _pdf.open_writer(pdf)
    stamper = PdfTimeStamper(HTTPTimeStamper(tsa_url, timeout=timeout, auth=auth))
    try:
        out = stamper.timestamp_pdf(writer, "sha256").getvalue()
    except (OSError, TimeoutError) as exc:  # TimestampRequestError is an IOError
        raise UserError("Không lấy được dấu thời gian từ máy chủ “{url}”.",
                        hint=_UNREACHABLE_HINT, url=tsa_url) from exc
    except Exception as exc:  # a malformed TSA answer fails deep inside asn1crypto
        raise UserError("Máy chủ dấu thời gian “{url}” trả về dữ liệu không hợp lệ.",
                        hint=_UNREACHABLE_HINT, url=tsa_url) from exc
    return _checked(out, tsa_url)


def _checked(out: bytes, tsa_url: str) -> TimestampResult:
    try:
        reader = PdfFileReader(BytesIO(out), strict=True)
        stamp = [s for s in reader.embedded_signatures if s.sig_object_type == "/DocTimeStamp"][-1]
        # Integrity only: anchoring on the TSA's own certificate skips path building (and its
        # noisy log); whether that TSA is trusted is the verifier's business.
        context = ValidationContext(trust_roots=[stamp.signer_cert])
        status = validate_pdf_timestamp(stamp, validation_context=context, skip_diff=True)
        ok = status.intact and status.valid
    except Exception as exc:  # same as above
        raise UserError("Máy chủ dấu thời gian “{url}” trả về dữ liệu không hợp lệ.",
                        hint=_UNREACHABLE_HINT, url=tsa_url) from exc
    if not ok:
        raise UserError("Dấu thời gian do máy chủ “{url}” cấp không khớp với tài liệu.",
                        hint=_UNREACHABLE_HINT, url=tsa_url)
    return TimestampResult(out, status.timestamp.astimezone(VIETNAM_TZ),
                           CertificateInfo.from_asn1(status.signing_cert).common_name)
