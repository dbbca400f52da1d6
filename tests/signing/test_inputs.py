"""Bad inputs the user can cause: wrong files, wrong passphrases, broken PDFs, bad trust folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from inspector.errors import BugError, StorageError, UserError
from inspector.signing import (
    FieldSpec,
    load_pkcs12,
    load_trust_roots,
    prepare_fields,
    sign_pdf,
    signature_fields,
    verify_pdf,
)
from tests.signing import docs
from tests.signing.pki import PASSPHRASE, Pki


def test_wrong_passphrase_and_wrong_files(tmp_path: Path, p12_path: Path) -> None:
    with pytest.raises(UserError, match=r"Mật khẩu .* không đúng"):
        load_pkcs12(p12_path, "sai mật khẩu")
    not_p12 = tmp_path / "anh.pfx"
    not_p12.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(UserError, match="không phải tệp chứng thư số PKCS#12"):
        load_pkcs12(not_p12, PASSPHRASE)
    with pytest.raises(StorageError, match="Không đọc được tệp chứng thư số"):
        load_pkcs12(tmp_path / "khong-co.p12", PASSPHRASE)


def test_pkcs12_without_private_key_is_refused(tmp_path: Path, pki: Pki) -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    path = tmp_path / "chi-co-chung-thu.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        None, None, None, [pki.signer.cert], BestAvailableEncryption(PASSPHRASE.encode())))
    with pytest.raises(UserError, match="không chứa khóa bí mật"):
        load_pkcs12(path, PASSPHRASE)


@pytest.mark.parametrize("data", [
    b"", b"hello, not a pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF",
    b"\x00" * 4096, b"%PDF-1.4\n" + bytes(range(256)) * 20,
], ids=["empty", "text", "skeleton", "zeros", "binary"])
def test_non_pdf_input_gives_a_vietnamese_user_error(data: bytes) -> None:
    with pytest.raises(UserError, match="không phải là PDF"):
        verify_pdf(data, [])
    with pytest.raises(UserError, match="không phải là PDF"):
        prepare_fields(data, docs.FIELDS)
    with pytest.raises(UserError, match="không phải là PDF"):
        signature_fields(data)


def test_truncated_signed_pdf_gives_a_user_error(prepared_pdf: bytes, p12_path: Path,
                                                 pki: Pki) -> None:
    with load_pkcs12(p12_path, PASSPHRASE) as source:
        signed = sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason="Ký").pdf
        with pytest.raises(UserError, match="không phải là PDF"):
            sign_pdf(signed[: len(signed) // 2], "Sig_DaiDienDonVi", source, reason="Ký")
    for cut in (len(signed) // 3, len(signed) - 40):
        with pytest.raises(UserError, match="không phải là PDF"):
            verify_pdf(signed[:cut], [pki.root.cert])


def test_damaged_signature_contents_are_reported_not_raised(prepared_pdf: bytes, p12_path: Path,
                                                           pki: Pki) -> None:
    with load_pkcs12(p12_path, PASSPHRASE) as source:
        signed = bytearray(sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason="Ký").pdf)
    start = signed.index(b"/Contents <", len(prepared_pdf)) + len(b"/Contents <")
    signed[start:start + 40] = b"0" * 40  # destroy the CMS header, keep the file parseable
    report = verify_pdf(bytes(signed), [pki.root.cert])
    assert not report.ok
    (sig,) = report.signatures
    assert not sig.intact and "dữ liệu chữ ký bị hỏng" in sig.problems[0]


def test_unsigned_pdf_is_not_ok(prepared_pdf: bytes) -> None:
    report = verify_pdf(prepared_pdf, [])
    assert not report.ok and report.signatures == ()
    assert report.problems == ("Tài liệu chưa có chữ ký số nào.",)


def test_field_specs_from_code_are_checked(prepared_pdf: bytes) -> None:
    pdf = docs.minutes_pdf()
    for bad in ([FieldSpec("Sig_A", 5, (1, 1, 50, 50))], [FieldSpec("Sig_A", 0, (50, 50, 10, 10))],
                [FieldSpec("Sig.A", 0, (1, 1, 50, 50))],
                [FieldSpec("Sig_A", 0, (1, 1, 50, 50)), FieldSpec("Sig_A", 1, (1, 1, 50, 50))]):
        with pytest.raises(BugError):
            prepare_fields(pdf, bad)
    assert prepare_fields(pdf, []) == pdf


def test_trust_roots_from_a_folder(tmp_path: Path, pki: Pki) -> None:
    folder = tmp_path / "roots"
    folder.mkdir()
    (folder / "bundle.pem").write_bytes(pki.root.cert.public_bytes(Encoding.PEM)
                                        + pki.other_root.cert.public_bytes(Encoding.PEM))
    (folder / "ROOT.CER").write_bytes(pki.root.cert.public_bytes(Encoding.DER))  # duplicate
    (folder / "issuing.der").write_bytes(pki.intermediate.cert.public_bytes(Encoding.DER))
    (folder / "README.txt").write_text("chứng thư gốc của Ban Cơ yếu")
    roots = load_trust_roots(folder)
    assert {r.subject.rfc4514_string() for r in roots} == {
        pki.root.cert.subject.rfc4514_string(), pki.other_root.cert.subject.rfc4514_string(),
        pki.intermediate.cert.subject.rfc4514_string()}
    assert len(roots) == 3

    (folder / "hong.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    with pytest.raises(UserError, match=r"“hong\.crt”"):
        load_trust_roots(folder)
    with pytest.raises(StorageError, match="Không tìm thấy thư mục"):
        load_trust_roots(tmp_path / "khong-co")
