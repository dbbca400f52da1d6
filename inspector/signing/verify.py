"""Offline verification: per signature, what holds (integrity, trust, time) and, in Vietnamese, what not.

Why not pyHanko's AdES engine: for a B-B signature followed by a document timestamp it answers
INDETERMINATE ("no signature timestamp", a TODO in validation/ades.py), although ETSI practice
counts a covering DocTimeStamp as proof of existence (document brief §6.3 item 4). So each
signature is checked with `validate_pdf_signature`, each DocTimeStamp with
`validate_pdf_timestamp`, and "proven time" = the earliest trusted DocTimeStamp signed after the
signature's revision. The certificate is then judged at that proven time, which is what lets an
old, timestamped signature stay trusted after its certificate expired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    SignatureCoverageLevel,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext

from inspector.clock import VIETNAM_TZ
from inspector.signing import _pdf
from inspector.signing.certs import CertificateInfo, nfc, vn_time
from inspector.signing.reasons import (
    BROKEN,
    modification_text,
    trust_problem_text,
)

#: Vietnamese certificates carry nonRepudiation and/or digitalSignature; accept either.
KEY_USAGE = KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"},
                                match_all_key_usages=False)
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "


class Verdict(StrEnum):
    """The three plain answers, per signature and for the whole file."""

    VALID_TRUSTED = "valid_trusted"        # intact, valid, and chains to a configured root
    INTACT_UNTRUSTED = "intact_untrusted"  # intact and valid, but trust not established or not checked
    INVALID = "invalid"                    # modified after signing, broken, or not a valid signature

    @property
    def label(self) -> str:
        return {
            "valid_trusted": "Hợp lệ và tin cậy",
            "intact_untrusted": "Nguyên vẹn nhưng chưa xác nhận được độ tin cậy",
            "invalid": "Không hợp lệ hoặc đã bị sửa đổi",
        }[self.value]

    @property
    def exit_code(self) -> int:
        """For the command line: 0 valid and trusted, 1 invalid or modified, 4 intact but not trusted."""
        return {"valid_trusted": 0, "invalid": 1, "intact_untrusted": 4}[self.value]


#: What changed after a signature, said to a user (pyHanko's ModificationLevel names are never shown).
MODIFICATION_LABELS = {
    "NONE": "không có thay đổi nào sau khi ký",
    "LTA_UPDATES": "chỉ thêm dấu thời gian hoặc dữ liệu xác thực",
    "FORM_FILLING": "chỉ thêm chữ ký vào các ô chữ ký có sẵn",
    "ANNOTATIONS": "có thêm ghi chú trên trang",
    "OTHER": "nội dung trang hoặc cấu trúc tệp đã bị sửa",
}


class Coverage(StrEnum):
    ENTIRE_FILE = "ENTIRE_FILE"          # nothing was added after this signature
    ENTIRE_REVISION = "ENTIRE_REVISION"  # later incremental updates exist (judged separately)
    PARTIAL = "PARTIAL"                  # does not cover its own revision: never acceptable

    @property
    def label(self) -> str:
        """How the coverage is said to a user."""
        return {
            "ENTIRE_FILE": "toàn bộ tệp",
            "ENTIRE_REVISION": "toàn bộ nội dung đến lúc ký (sau đó có cập nhật thêm, được đánh giá riêng)",
            "PARTIAL": "chỉ một phần nội dung (không chấp nhận được)",
        }[self.value]


@dataclass(frozen=True)
class TimestampReport:
    field_name: str
    time: datetime | None  # Vietnam time
    tsa_name: str          # common name of the TSA certificate, NFC
    intact: bool
    valid: bool
    trusted: bool
    revision: int
    problems: tuple[str, ...]

    @property
    def proves(self) -> bool:
        return self.intact and self.valid and self.trusted and self.time is not None


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer_name: str       # certificate CN, NFC ('' if the signature could not be read)
    cert_subject: str
    cert_fingerprint: str
    intact: bool           # the signed bytes still hash to the signed digest
    valid: bool            # the cryptographic signature over that digest checks out
    trusted: bool          # chains to a given root, usable for signing, at the judged time
    claimed_time: datetime | None  # the signer's device clock, Vietnam time
    proven_time: datetime | None   # earliest trusted DocTimeStamp covering it, Vietnam time
    coverage: Coverage
    modification_level: str | None  # NONE, LTA_UPDATES, FORM_FILLING, ANNOTATIONS, OTHER
    modifications_ok: bool
    reason: str
    location: str
    revision: int
    problems: tuple[str, ...]  # Vietnamese sentences; trust problems included

    @property
    def ok(self) -> bool:
        """Integrity only; trust is reported separately (it depends on configured roots)."""
        return self.intact and self.valid and self.modifications_ok

    @property
    def verdict(self) -> Verdict:
        if not self.ok:
            return Verdict.INVALID
        return Verdict.VALID_TRUSTED if self.trusted else Verdict.INTACT_UNTRUSTED

    @property
    def modification_label(self) -> str:
        if self.modification_level is None:
            return "không xác định được"
        return MODIFICATION_LABELS.get(self.modification_level, MODIFICATION_LABELS["OTHER"])


@dataclass(frozen=True)
class VerificationReport:
    signatures: tuple[SignatureReport, ...]
    timestamps: tuple[TimestampReport, ...]
    unsigned_tail: int            # stray bytes after the file's last %%EOF
    problems: tuple[str, ...]     # document-level Vietnamese sentences

    @property
    def ok(self) -> bool:
        """At least one signature, every one intact, valid and not illegally modified afterwards,
        and no stray bytes appended. A file without signatures is not "ok": it proves nothing."""
        return bool(self.signatures) and all(s.ok for s in self.signatures) and not self.unsigned_tail

    @property
    def trusted(self) -> bool:
        return self.ok and all(s.trusted for s in self.signatures)

    @property
    def verdict(self) -> Verdict:
        """Valid and trusted only if every signature and every document timestamp is; invalid as
        soon as one of them is broken or the file was modified, or when there is no signature."""
        if not self.ok or any(not (t.intact and t.valid) for t in self.timestamps):
            return Verdict.INVALID
        if all(s.trusted for s in self.signatures) and all(t.proves for t in self.timestamps):
            return Verdict.VALID_TRUSTED
        return Verdict.INTACT_UNTRUSTED


def _to_asn1(certs: Sequence[x509.Certificate]) -> list[Any]:
    from asn1crypto import x509 as asn1_x509

    return [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in certs]


def _vn(moment: datetime | None) -> datetime | None:
    return moment.astimezone(VIETNAM_TZ) if moment is not None else None


def _coverage(level: SignatureCoverageLevel | None) -> Coverage:
    if level == SignatureCoverageLevel.ENTIRE_FILE:
        return Coverage.ENTIRE_FILE
    if level == SignatureCoverageLevel.ENTIRE_REVISION:
        return Coverage.ENTIRE_REVISION
    return Coverage.PARTIAL


class _Verifier:
    def __init__(self, pdf: bytes, trust_roots: Sequence[x509.Certificate]) -> None:
        self.pdf = pdf
        self.reader = _pdf.open_reader(pdf)
        self.roots = _to_asn1(trust_roots)
        self.now_context = self._context(None)

    def _context(self, moment: datetime | None) -> ValidationContext:
        # soft-fail revocation and no fetching: we are offline; revocation is "not checked".
        return ValidationContext(trust_roots=self.roots, allow_fetching=False, moment=moment)

    def embedded(self) -> tuple[list[EmbeddedPdfSignature], list[str]]:
        sigs, broken = [], []
        for name, _value, ref in enumerate_sig_fields(self.reader, filled_status=True):
            try:
                sigs.append(EmbeddedPdfSignature(self.reader, ref, str(name)))
            except Exception:  # a damaged /Contents must not hide the others
                broken.append(str(name))
        sigs.sort(key=lambda s: s.signed_revision)
        return sigs, broken

    def timestamp(self, emb: EmbeddedPdfSignature) -> TimestampReport:
        try:
            st = validate_pdf_timestamp(emb, validation_context=self.now_context)
        except Exception:  # damaged timestamp data
            return TimestampReport(emb.field_name, None, "", False, False, False,
                                   emb.signed_revision, (BROKEN.format(name=emb.field_name),))
        problems = []
        if not (st.intact and st.valid):
            problems.append("Dấu thời gian không khớp với nội dung tài liệu hoặc chữ ký của máy "
                            "chủ cấp dấu thời gian không hợp lệ.")
        elif not st.trusted:
            problems.append("Máy chủ cấp dấu thời gian " + trust_problem_text(
                st.trust_problem_indic, bool(self.roots), subject="chứng thư của máy chủ"))
        return TimestampReport(emb.field_name, _vn(st.timestamp),
                               CertificateInfo.from_asn1(st.signing_cert).common_name, st.intact,
                               st.valid, st.trusted, emb.signed_revision, tuple(problems))

    def signature(self, emb: EmbeddedPdfSignature,
                  stamps: Sequence[TimestampReport]) -> SignatureReport:
        covering = [t.time for t in stamps if t.proves and t.revision > emb.signed_revision
                    and t.time is not None]
        proven = min(covering) if covering else None
        context = self._context(proven) if proven is not None else self.now_context
        try:
            st = validate_pdf_signature(emb, signer_validation_context=context,
                                        key_usage_settings=KEY_USAGE)
        except Exception:  # damaged signature data
            return _broken(emb.field_name, emb.signed_revision)
        cert = CertificateInfo.from_asn1(st.signing_cert)
        level = st.modification_level.name if st.modification_level is not None else None
        mods_ok = st.docmdp_ok is not False and st.coverage in (
            SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION)
        problems = []
        if not st.intact:
            problems.append("Nội dung tài liệu đã bị thay đổi sau khi ký: mã băm không còn khớp "
                            "với chữ ký.")
        elif not st.valid:
            problems.append("Chữ ký số không hợp lệ về mặt mật mã (không khớp với chứng thư).")
        if _coverage(st.coverage) is Coverage.PARTIAL:
            problems.append("Chữ ký không bao phủ trọn vẹn phiên bản tài liệu đã ký; tệp có dấu "
                            "hiệu bị can thiệp.")
        elif not mods_ok:
            problems.append(modification_text(level))
        if st.intact and st.valid and not st.trusted:
            problems.append("Chứng thư của người ký " + trust_problem_text(
                st.trust_problem_indic, bool(self.roots), subject="chứng thư",
                at_proven_time=proven is not None))
        claimed = _vn(st.signer_reported_dt)
        if claimed is not None and proven is not None and claimed > proven:
            problems.append(f"Thời gian ký do thiết bị tự khai ({vn_time(claimed)}) muộn hơn dấu "
                            f"thời gian ({vn_time(proven)}): đồng hồ máy ký có thể bị sai.")
        sig_obj = emb.sig_object
        return SignatureReport(
            field_name=emb.field_name, signer_name=cert.common_name, cert_subject=cert.subject,
            cert_fingerprint=cert.fingerprint_sha256, intact=st.intact, valid=st.valid,
            trusted=st.trusted, claimed_time=claimed, proven_time=proven,
            coverage=_coverage(st.coverage), modification_level=level, modifications_ok=mods_ok,
            reason=nfc(str(sig_obj.get("/Reason", ""))), location=nfc(str(sig_obj.get("/Location", ""))),
            revision=emb.signed_revision, problems=tuple(problems))

    def unsigned_tail(self) -> int:
        end = self.pdf.rfind(b"%%EOF")
        return len(self.pdf[end + 5:].strip(_PDF_WHITESPACE)) if end >= 0 else len(self.pdf)

    def last_revision(self) -> int:
        return int(self.reader.xrefs.total_revisions) - 1


def _broken(name: str, revision: int) -> SignatureReport:
    return SignatureReport(name, "", "", "", False, False, False, None, None, Coverage.PARTIAL,
                           None, False, "", "", revision, (BROKEN.format(name=name),))


def verify_pdf(pdf: bytes, trust_roots: Sequence[x509.Certificate]) -> VerificationReport:
    """Check every signature and document timestamp; never raises on bad input except UserError.

    Pass the configured roots (see trust.load_trust_roots). With none, signatures can still be
    intact and valid, but `trusted` is False with a sentence saying no roots are configured.
    """
    v = _Verifier(pdf, trust_roots)
    embedded, broken = v.embedded()
    stamps = tuple(v.timestamp(e) for e in embedded if e.sig_object_type == "/DocTimeStamp")
    sigs = [v.signature(e, stamps) for e in embedded if e.sig_object_type != "/DocTimeStamp"]
    sigs += [_broken(name, -1) for name in broken]
    problems = []
    if not sigs:
        problems.append("Tài liệu chưa có chữ ký số nào.")
    tail = v.unsigned_tail()
    if tail:
        problems.append(f"Có {tail} byte lạ được nối vào cuối tệp sau chữ ký cuối cùng; phần này "
                        "không được chữ ký nào bảo vệ (nội dung đã ký phía trước vẫn còn nguyên).")
    covered = max((e.signed_revision for e in embedded), default=-1)
    later = v.last_revision() - covered
    if embedded and later > 0:
        problems.append(f"Tệp có {later} lần cập nhật sau chữ ký hoặc dấu thời gian cuối cùng, "
                        "không được chữ ký nào bảo vệ; xem mức thay đổi ở từng chữ ký.")
    return VerificationReport(tuple(sigs), stamps, tail, tuple(problems))
