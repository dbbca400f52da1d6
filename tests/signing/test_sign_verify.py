"""PKCS#12 signing, co-signing and what verification reports after tampering."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from inspector.clock import VIETNAM_TZ
from inspector.errors import UserError
from inspector.signing import (
    Coverage,
    FieldSpec,
    load_pkcs12,
    prepare_fields,
    sign_pdf,
    signature_fields,
    verify_pdf,
)
from tests.signing import docs
from tests.signing.pki import (
    EXPIRED_SIGNER_NAME,
    PASSPHRASE,
    SECOND_SIGNER_NAME,
    SIGNER_NAME,
    Pki,
    _issue,
    _name,
)

REASON = "Ký biên bản kiểm tra"


def _sign(pdf: bytes, field: str, p12: Path, **kwargs: object) -> bytes:
    with load_pkcs12(p12, PASSPHRASE) as source:
        return sign_pdf(pdf, field, source, reason=REASON, **kwargs).pdf  # type: ignore[arg-type]


def test_pkcs12_signature_is_intact_valid_and_trusted_only_by_its_root(
        prepared_pdf: bytes, p12_path: Path, pki: Pki) -> None:
    when = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    with load_pkcs12(p12_path, PASSPHRASE) as source:
        assert source.certificate.common_name == SIGNER_NAME
        assert source.warnings == ()
        result = sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason=REASON,
                          signing_time=when)
    assert result.signer_name == SIGNER_NAME
    assert result.claimed_time == when.astimezone(VIETNAM_TZ)
    assert result.pdf.startswith(prepared_pdf)  # incremental: earlier bytes untouched

    report = verify_pdf(result.pdf, [pki.root.cert])
    assert report.ok and report.trusted, report
    (sig,) = report.signatures
    assert (sig.field_name, sig.intact, sig.valid, sig.trusted) == ("Sig_TruongDoan", True, True, True)
    assert sig.signer_name == SIGNER_NAME and unicodedata.is_normalized("NFC", sig.signer_name)
    assert sig.coverage is Coverage.ENTIRE_FILE and sig.modification_level == "NONE"
    assert sig.claimed_time == when and sig.proven_time is None
    assert sig.cert_fingerprint == result.cert_fingerprint
    assert (sig.reason, sig.location, sig.problems) == (REASON, "Hà Nội", ())

    elsewhere = verify_pdf(result.pdf, [pki.other_root.cert])
    assert elsewhere.ok and not elsewhere.trusted
    assert not elsewhere.signatures[0].trusted
    assert "chứng thư gốc" in elsewhere.signatures[0].problems[0]

    no_roots = verify_pdf(result.pdf, [])
    assert not no_roots.signatures[0].trusted
    assert "chưa cấu hình" in no_roots.signatures[0].problems[0]


def test_second_signer_keeps_the_first_signature_valid(
        prepared_pdf: bytes, p12_path: Path, second_p12_path: Path, pki: Pki) -> None:
    once = _sign(prepared_pdf, "Sig_TruongDoan", p12_path)
    twice = _sign(once, "Sig_DaiDienDonVi", second_p12_path)
    report = verify_pdf(twice, [pki.root.cert])
    assert report.ok and report.trusted, report
    first, second = report.signatures
    assert (first.signer_name, second.signer_name) == (SIGNER_NAME, SECOND_SIGNER_NAME)
    assert first.coverage is Coverage.ENTIRE_REVISION
    assert first.modification_level == "FORM_FILLING" and first.modifications_ok
    assert second.coverage is Coverage.ENTIRE_FILE
    assert {f.name: f.signed for f in signature_fields(twice)} == {
        "Sig_TruongDoan": True, "Sig_DaiDienDonVi": True}


def test_flipping_one_signed_byte_breaks_integrity(prepared_pdf: bytes, p12_path: Path,
                                                   pki: Pki) -> None:
    signed = bytearray(_sign(prepared_pdf, "Sig_TruongDoan", p12_path))
    at = signed.index(b"stream", 200) + 40  # inside the first page's compressed content
    signed[at] ^= 0x01
    report = verify_pdf(bytes(signed), [pki.root.cert])
    assert not report.ok
    sig = report.signatures[0]
    assert not sig.intact and not sig.ok
    assert "bị thay đổi sau khi ký" in sig.problems[0]


def test_appended_garbage_is_reported(prepared_pdf: bytes, p12_path: Path, pki: Pki) -> None:
    signed = _sign(prepared_pdf, "Sig_TruongDoan", p12_path)
    report = verify_pdf(signed + b"\n<script>junk appended by someone</script>", [pki.root.cert])
    assert report.unsigned_tail > 0 and not report.ok
    assert report.signatures[0].intact and report.signatures[0].valid
    assert any("byte lạ" in p for p in report.problems)
    assert verify_pdf(signed + b"\r\n", [pki.root.cert]).ok  # trailing newlines are harmless


def test_content_changed_in_a_later_revision_is_not_ok(prepared_pdf: bytes, p12_path: Path,
                                                       pki: Pki) -> None:
    signed = _sign(prepared_pdf, "Sig_TruongDoan", p12_path)
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    page_ref = writer.find_page_for_modification(0)[0]  # type: ignore[no-untyped-call]
    stream = generic.StreamObject(stream_data=b"BT /F1 30 Tf 100 700 Td (Sua) Tj ET")
    page = page_ref.get_object()
    page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), writer.add_object(stream)])
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    report = verify_pdf(out.getvalue(), [pki.root.cert])
    sig = report.signatures[0]
    assert sig.intact and sig.valid  # the signed revision itself is untouched...
    assert not sig.modifications_ok and not report.ok  # ...but what is shown now is not it
    assert sig.modification_level == "OTHER"
    assert any("bị sửa sau khi ký" in p for p in sig.problems)
    assert any("lần cập nhật" in p for p in report.problems)


def test_decomposed_vietnamese_name_is_reported_in_nfc(tmp_path: Path, prepared_pdf: bytes,
                                                       pki: Pki) -> None:
    nfd = unicodedata.normalize("NFD", "Phạm Thị Hồng Nhung")
    identity = _issue(_name(nfd), pki.signer.key, pki.intermediate, ca=False, signing=True)
    path = tmp_path / "nfd.p12"
    path.write_bytes(identity.pkcs12())
    signed = _sign(prepared_pdf, "Sig_TruongDoan", path)
    name = verify_pdf(signed, [pki.root.cert]).signatures[0].signer_name
    assert name == unicodedata.normalize("NFC", nfd) and name != nfd


def test_no_certification_lock_is_applied(prepared_pdf: bytes, p12_path: Path) -> None:
    signed = _sign(prepared_pdf, "Sig_TruongDoan", p12_path)
    reader = PdfFileReader(BytesIO(signed))
    assert "/Perms" not in reader.root
    sig = reader.embedded_signatures[0]
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert "/Reference" not in sig.sig_object
    assert sig.md_algorithm == "sha256"


def test_expired_certificate_loads_with_a_warning_but_cannot_sign(
        tmp_path: Path, prepared_pdf: bytes, pki: Pki) -> None:
    path = tmp_path / "expired.p12"
    path.write_bytes(pki.expired_signer.pkcs12())
    with load_pkcs12(path, PASSPHRASE) as source:
        assert source.certificate.common_name == EXPIRED_SIGNER_NAME
        assert any("hết hạn" in w for w in source.warnings)
        with pytest.raises(UserError, match="hết hạn"):
            sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason=REASON)
        # while it was still valid it could sign; verification today says it has expired
        old = sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason=REASON,
                       signing_time=datetime.now(UTC) - timedelta(days=30))
    sig = verify_pdf(old.pdf, [pki.root.cert]).signatures[0]
    assert sig.intact and sig.valid and not sig.trusted
    assert "hết hạn" in sig.problems[0]


def test_field_errors_are_user_errors(prepared_pdf: bytes, p12_path: Path) -> None:
    signed = _sign(prepared_pdf, "Sig_TruongDoan", p12_path)
    with load_pkcs12(p12_path, PASSPHRASE) as source:
        with pytest.raises(UserError, match="đã được ký"):
            sign_pdf(signed, "Sig_TruongDoan", source, reason=REASON)
        with pytest.raises(UserError, match="không có ô chữ ký “Sig_ThuKy”"):
            sign_pdf(signed, "Sig_ThuKy", source, reason=REASON)
    with pytest.raises(UserError, match="đã có chữ ký"):
        prepare_fields(signed, [FieldSpec("Sig_ThuKy", 1, (10, 10, 100, 60))])
    with pytest.raises(UserError, match="đã có ô chữ ký"):
        prepare_fields(prepared_pdf, [FieldSpec("Sig_TruongDoan", 1, (10, 10, 100, 60))])


def test_plain_reportlab_pdf_can_be_prepared_and_signed(p12_path: Path, pki: Pki) -> None:
    pdf = prepare_fields(docs.minutes_pdf(pages=1), [FieldSpec("Sig_NguoiKy", 0, docs.LEADER_BOX)])
    assert verify_pdf(_sign(pdf, "Sig_NguoiKy", p12_path), [pki.root.cert]).trusted
