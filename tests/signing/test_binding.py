"""The certificate is checked against the printed signer before signing: holder name (NFC, case- and
tone-insensitive), validity window, key usage; a mismatch only with a typed reason."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inspector.errors import UserError
from inspector.signing import CertificateInfo, check_binding, load_pkcs12, names_match, sign_pdf
from tests.signing.pki import PASSPHRASE, SIGNER_NAME, Pki, make_signer

NOW = datetime.now(UTC)


def _info(pki: Pki, name: str, **kwargs: object) -> CertificateInfo:
    return CertificateInfo.from_cryptography(make_signer(pki, name, **kwargs).cert)  # type: ignore[arg-type]


@pytest.mark.parametrize(("holder", "expected"), [
    ("NGUYỄN VĂN HÙNG", "Nguyễn Văn Hùng"),
    ("NGUYEN VAN HUNG", "Nguyễn Văn Hùng"),  # CAs that drop tone marks
    (unicodedata.normalize("NFD", "Nguyễn Văn Hùng"), "Nguyễn Văn Hùng"),
    ("Nguyễn  Văn   Hùng ", "nguyễn văn hùng"),
    ("Đặng Thị Hà", "DANG THI HA"),
    ("Nguyễn Thị Thuỷ", "Nguyễn Thị Thủy"),  # the old and the new tone-mark placement
    ("Lê Hoà", "LÊ HÒA"),
])
def test_names_match_as_people_write_them(holder: str, expected: str) -> None:
    assert names_match(holder, expected)


@pytest.mark.parametrize(("holder", "expected"), [
    ("Nguyễn Văn Hùng", "Nguyễn Văn Hưng"),  # both written with diacritics: they must agree
    ("Lê Thị Hà", "Lê Thị Hạ"),
    ("Trần Thị Ánh Tuyết", "Nguyễn Văn Hùng"), ("Nguyễn Văn", "Nguyễn Văn Hùng"), ("Nguyễn Văn Hùng", ""),
])
def test_different_people_do_not_match(holder: str, expected: str) -> None:
    assert not names_match(holder, expected)


def test_mismatch_is_refused_with_both_names_and_the_slot(pki: Pki) -> None:
    cert = CertificateInfo.from_cryptography(pki.second_signer.cert)
    with pytest.raises(UserError) as info:
        check_binding(cert, SIGNER_NAME, NOW, slot_label="Trưởng đoàn")
    text = info.value.render()
    assert "Trần Thị Ánh Tuyết" in text and SIGNER_NAME in text and "Trưởng đoàn" in text
    assert "lý do" in text  # says how to go ahead legitimately


def test_override_needs_a_real_reason_and_is_kept(pki: Pki) -> None:
    cert = CertificateInfo.from_cryptography(pki.second_signer.cert)
    with pytest.raises(UserError, match="quá ngắn"):
        check_binding(cert, SIGNER_NAME, NOW, slot_label="Trưởng đoàn", override_reason="ủy quyền")
    binding = check_binding(cert, SIGNER_NAME, NOW, slot_label="Trưởng đoàn",
                            override_reason="  Được ủy quyền theo Giấy ủy quyền số 12/GUQ  ")
    assert binding.overridden and binding.override_reason == "Được ủy quyền theo Giấy ủy quyền số 12/GUQ"
    same = check_binding(CertificateInfo.from_cryptography(pki.signer.cert), SIGNER_NAME.upper(), NOW,
                         slot_label="Trưởng đoàn", override_reason="không cần vì đúng người ký")
    assert not same.overridden  # a reason given for the right person is not recorded as an override


def test_expired_not_yet_valid_and_non_signing_keys_are_refused_even_with_a_reason(pki: Pki) -> None:
    reason = "Được ủy quyền theo Giấy ủy quyền số 12/GUQ"
    expired = CertificateInfo.from_cryptography(pki.expired_signer.cert)
    with pytest.raises(UserError, match="đã hết hạn"):
        check_binding(expired, expired.common_name, NOW, slot_label="Thư ký", override_reason=reason)
    future = _info(pki, SIGNER_NAME, not_before=NOW + timedelta(days=3), not_after=NOW + timedelta(days=300))
    with pytest.raises(UserError, match="chưa có hiệu lực"):
        check_binding(future, SIGNER_NAME, NOW, slot_label="Thư ký", override_reason=reason)
    encrypt_only = _info(pki, SIGNER_NAME, can_sign=False)
    assert not encrypt_only.can_sign and "thỏa thuận khóa" in encrypt_only.key_usage_text
    with pytest.raises(UserError, match="không được cấp để ký số"):
        check_binding(encrypt_only, SIGNER_NAME, NOW, slot_label="Thư ký", override_reason=reason)


def test_sign_pdf_itself_refuses_a_key_not_meant_for_signing(pki: Pki, tmp_path: Path, prepared_pdf: bytes) -> None:
    p12 = tmp_path / "ma-hoa.p12"
    p12.write_bytes(make_signer(pki, SIGNER_NAME, can_sign=False).pkcs12(PASSPHRASE))
    with load_pkcs12(p12, PASSPHRASE) as source, pytest.raises(UserError, match="không được cấp để ký số"):
        sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason="Ký")


def test_certificate_facts_shown_before_signing(pki: Pki) -> None:
    cert = CertificateInfo.from_cryptography(pki.signer.cert)
    assert cert.common_name == SIGNER_NAME and "Inspector Test Issuing CA" in cert.issuer
    assert cert.serial_hex.replace(" ", "") == f"{pki.signer.cert.serial_number:X}".rjust(
        len(cert.serial_hex.replace(" ", "")), "0")
    assert cert.not_before < NOW < cert.not_after and cert.can_sign
    assert "chống chối bỏ" in cert.key_usage_text and "ký số" in cert.key_usage_text
