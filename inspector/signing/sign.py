"""PAdES B-B approval signatures, one incremental update per signer.

Approval only (no certification, no DocMDP lock): co-signers and the office clerk's organisation
signature must still be able to follow (ND30 Art. 14–17). The signing time is the device clock,
which nobody vouches for; a later document timestamp (timestamp.py) proves when the file existed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.stamp import BaseStampStyle

from inspector.clock import VIETNAM_TZ
from inspector.errors import BugError, UserError
from inspector.signing import _pdf
from inspector.signing.appearance import AppearanceSpec, render_stamp_pdf, stamp_style
from inspector.signing.binding import check_usable
from inspector.signing.certs import nfc
from inspector.signing.identity import SignerSource


@dataclass(frozen=True)
class SignResult:
    pdf: bytes
    field_name: str
    signer_name: str        # certificate CN, NFC
    cert_subject: str
    cert_fingerprint: str   # SHA-256 hex
    claimed_time: datetime  # device clock, Vietnam time: "thời gian ký do thiết bị tự khai"
    input_sha256: str       # for the audit log: exactly which bytes were signed
    output_sha256: str


class _TimedPdfSigner(PdfSigner):
    """PdfSigner whose session uses our signing time, so the stamp, /M and the CMS agree exactly.

    pyHanko takes `datetime.now(tzlocal)` inside the session and offers no parameter for it.
    """

    def __init__(self, *args: Any, signing_time: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signing_time = signing_time

    def init_signing_session(self, pdf_out: BasePdfFileWriter,
                             existing_fields_only: bool = False) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        session.system_time = self._signing_time
        return session


def _field_rect(writer: Any, field_name: str) -> tuple[float, float]:
    """Width and height of the empty field; refuses unknown or already signed fields."""
    for _name, value, ref in enumerate_sig_fields(writer, with_name=field_name):
        if value is not None:
            raise UserError("Ô chữ ký “{name}” đã được ký.",
                            hint="Chọn ô chữ ký còn trống.", name=field_name)
        field = ref.get_object()
        widget = field if "/Rect" in field else field["/Kids"][0].get_object()
        x1, y1, x2, y2 = (float(v) for v in widget.get("/Rect", [0, 0, 0, 0]))
        return abs(x2 - x1), abs(y2 - y1)
    raise UserError("Tài liệu không có ô chữ ký “{name}”.",
                    hint="Tạo lại tài liệu để có đủ các ô chữ ký.", name=field_name)


def _moment(signing_time: datetime | None) -> datetime:
    if signing_time is not None and signing_time.utcoffset() is None:
        raise BugError("signing_time must be timezone-aware")
    # Whole seconds: the PDF /M date has no fractions, and the stamp must show the same time.
    return (signing_time or datetime.now(UTC)).astimezone(VIETNAM_TZ).replace(microsecond=0)


def sign_pdf(pdf: bytes, field_name: str, source: SignerSource, *,
             appearance: AppearanceSpec | None = None, reason: str, location: str = "Hà Nội",
             signing_time: datetime | None = None) -> SignResult:
    """Sign the empty field `field_name` (PAdES, ETSI.CAdES.detached, SHA-256).

    The stamp (drawn signature or "(Đã ký số)", name, time) is built here, after the certificate
    was read, so it always names the certificate that actually signs. `appearance=None` draws the
    stamp without a handwritten signature.
    """
    if source.closed:
        raise BugError("sign_pdf called with a closed SignerSource")
    moment = _moment(signing_time)
    check_usable(source.certificate, moment)
    writer = _pdf.open_writer(pdf)
    width, height = _field_rect(writer, field_name)
    style: BaseStampStyle | None = None
    if width > 0 and height > 0:
        spec = appearance or AppearanceSpec()
        style = stamp_style(render_stamp_pdf(
            width, height, signer_name=source.certificate.common_name, signing_time=moment,
            signature_png=spec.signature_png))
    meta = PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
        reason=nfc(reason), location=nfc(location), certify=False)
    signer = _TimedPdfSigner(meta, source.signer, stamp_style=style, signing_time=moment)
    try:
        out = signer.sign_pdf(writer, existing_fields_only=True)
    except SigningError as exc:  # e.g. an earlier certification signature forbids more signatures
        raise UserError("Không thể ký vào tài liệu này: tài liệu đã bị khóa, không cho ký thêm.",
                        hint="Dùng bản PDF chưa bị khóa (chưa có chữ ký chứng nhận).") from exc
    except RuntimeError as exc:  # python-pkcs11 errors: token pulled out, session lost...
        if source.kind != "pkcs11":
            raise
        raise UserError("Token báo lỗi khi ký; có thể token đã bị rút ra.",
                        hint="Cắm lại token, mở lại phiên ký rồi thử lại.") from exc
    signed = out.getvalue()
    cert = source.certificate
    return SignResult(
        pdf=signed, field_name=field_name, signer_name=cert.common_name, cert_subject=cert.subject,
        cert_fingerprint=cert.fingerprint_sha256, claimed_time=moment,
        input_sha256=hashlib.sha256(pdf).hexdigest(),
        output_sha256=hashlib.sha256(signed).hexdigest())
