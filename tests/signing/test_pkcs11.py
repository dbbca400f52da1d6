"""Signing through a real PKCS#11 module (SoftHSM2), and every way opening a token can fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes

from inspector.errors import UserError
from inspector.signing import PinError, open_pkcs11, sign_pdf, verify_pdf
from tests.signing.conftest import Token
from tests.signing.pki import SIGNER_NAME, Pki


def test_token_signature_embeds_the_chain_and_verifies(softhsm_token: Token, prepared_pdf: bytes,
                                                       pki: Pki) -> None:
    with open_pkcs11(softhsm_token.module, softhsm_token.label, softhsm_token.pin) as source:
        assert source.kind == "pkcs11"
        assert source.certificate.common_name == SIGNER_NAME
        assert source.certificate.fingerprint_sha256 == pki.signer.cert.fingerprint(
            hashes.SHA256()).hex()
        assert {c.common_name for c in source.chain} == {"Inspector Test Issuing CA",
                                                          "Inspector Test Root CA"}
        result = sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason="Ký biên bản kiểm tra")
    assert source.closed
    # only the root is configured: the intermediate must come from the signature itself
    report = verify_pdf(result.pdf, [pki.root.cert])
    assert report.ok and report.trusted, report
    assert report.signatures[0].signer_name == SIGNER_NAME


def test_explicit_labels_select_key_and_certificate(softhsm_token: Token, prepared_pdf: bytes,
                                                   pki: Pki) -> None:
    with open_pkcs11(softhsm_token.module, softhsm_token.label, softhsm_token.pin,
                     key_label="signer", cert_label="signer") as source:
        signed = sign_pdf(prepared_pdf, "Sig_DaiDienDonVi", source, reason="Ký").pdf
    assert verify_pdf(signed, [pki.root.cert]).trusted
    with pytest.raises(UserError, match="Không tìm thấy khóa ký trên token với nhãn “khac”"):
        open_pkcs11(softhsm_token.module, softhsm_token.label, softhsm_token.pin, key_label="khac")


def test_wrong_pin_warns_about_the_three_attempt_lock(softhsm_token: Token) -> None:
    with pytest.raises(PinError) as info:
        open_pkcs11(softhsm_token.module, softhsm_token.label, "000000")
    message = info.value.render()
    assert "Mã PIN không đúng" in message and "3 lần" in message
    assert not info.value.locked
    with pytest.raises(PinError) as again:  # SoftHSM now reports an earlier failure
        open_pkcs11(softhsm_token.module, softhsm_token.label, "111111")
    assert "đã có lần nhập sai" in again.value.render()
    # the right PIN still works afterwards
    with open_pkcs11(softhsm_token.module, softhsm_token.label, softhsm_token.pin) as source:
        assert source.certificate.common_name == SIGNER_NAME


def test_unknown_token_lists_the_tokens_present(softhsm_token: Token) -> None:
    with pytest.raises(UserError, match="Không tìm thấy token “Token Khác”") as info:
        open_pkcs11(softhsm_token.module, "Token Khác", softhsm_token.pin)
    assert "“Inspector Token”" in info.value.render()


def test_missing_or_broken_module(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="Không tìm thấy thư viện PKCS#11"):
        open_pkcs11(str(tmp_path / "khong-co.so"), "x", "1")
    fake = tmp_path / "fake.so"
    fake.write_bytes(b"not a shared library")
    with pytest.raises(UserError, match="Không nạp được thư viện PKCS#11"):
        open_pkcs11(str(fake), "x", "1")


def test_tokens_are_listed_and_the_certificate_read_without_pin(softhsm_token: Token, pki: Pki) -> None:
    from inspector.signing import list_tokens, token_certificate

    (token,) = list_tokens(softhsm_token.module)
    assert token.label == softhsm_token.label and token.manufacturer and not token.pin_pad
    cert = token_certificate(softhsm_token.module, slot=token.slot)  # no PIN asked, no login
    assert cert.common_name == SIGNER_NAME and cert.fingerprint_sha256 == pki.signer.cert.fingerprint(
        hashes.SHA256()).hex()
    assert token_certificate(softhsm_token.module).common_name == SIGNER_NAME  # the only token present


def test_token_chosen_by_slot(softhsm_token: Token, prepared_pdf: bytes, pki: Pki) -> None:
    from inspector.signing import list_tokens

    (token,) = list_tokens(softhsm_token.module)
    with open_pkcs11(softhsm_token.module, None, softhsm_token.pin, slot=token.slot) as source:
        signed = sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason="Ký").pdf
    assert verify_pdf(signed, [pki.root.cert]).trusted
    with pytest.raises(UserError, match=f"Không có token nào trong khe {token.slot + 999}") as info:
        open_pkcs11(softhsm_token.module, None, softhsm_token.pin, slot=token.slot + 999)
    assert f"(khe {token.slot})" in info.value.render()  # lists what is plugged in, with slots
