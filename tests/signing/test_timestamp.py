"""Document timestamps from a real HTTP TSA: proof of existence, and failures that change nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inspector.errors import UserError
from inspector.signing import add_document_timestamp, load_pkcs12, sign_pdf, verify_pdf
from tests.signing import docs
from tests.signing.conftest import TsaServer
from tests.signing.pki import PASSPHRASE, Pki, _issue, _name


def _signed(pdf: bytes, p12: Path) -> bytes:
    with load_pkcs12(p12, PASSPHRASE) as source:
        return sign_pdf(pdf, "Sig_TruongDoan", source, reason="Ký biên bản kiểm tra").pdf


def test_document_timestamp_proves_time_and_keeps_signatures_valid(
        prepared_pdf: bytes, p12_path: Path, second_p12_path: Path, tsa: TsaServer,
        pki: Pki) -> None:
    signed = _signed(prepared_pdf, p12_path)
    with load_pkcs12(second_p12_path, PASSPHRASE) as source:
        signed = sign_pdf(signed, "Sig_DaiDienDonVi", source, reason="Ký").pdf
    stamped = add_document_timestamp(signed, tsa.url)
    assert stamped.pdf.startswith(signed)
    assert stamped.tsa_name == "Inspector Test TSA"

    report = verify_pdf(stamped.pdf, [pki.root.cert])
    assert report.ok and report.trusted, report
    (ts,) = report.timestamps
    assert ts.intact and ts.valid and ts.trusted and ts.problems == ()
    assert ts.time == stamped.time
    for sig in report.signatures:
        assert sig.coverage.value == "ENTIRE_REVISION" and sig.modifications_ok
        assert sig.proven_time == stamped.time
        assert sig.claimed_time is not None and sig.proven_time >= sig.claimed_time
    assert report.signatures[1].modification_level == "LTA_UPDATES"
    assert docs.has_pdfa_markers(stamped.pdf)


def test_untrusted_tsa_proves_nothing(prepared_pdf: bytes, p12_path: Path, tsa: TsaServer,
                                      pki: Pki) -> None:
    stamped = add_document_timestamp(_signed(prepared_pdf, p12_path), tsa.url).pdf
    report = verify_pdf(stamped, [pki.other_root.cert])
    assert report.ok and not report.timestamps[0].trusted
    assert report.signatures[0].proven_time is None
    assert "Máy chủ cấp dấu thời gian" in report.timestamps[0].problems[0]


@pytest.mark.parametrize("mode", ["garbage", "error"])
def test_bad_tsa_answer_is_a_user_error(prepared_pdf: bytes, p12_path: Path, tsa: TsaServer,
                                        mode: str) -> None:
    signed = _signed(prepared_pdf, p12_path)
    before = bytes(signed)
    tsa.mode = mode
    with pytest.raises(UserError, match="dấu thời gian") as info:
        add_document_timestamp(signed, tsa.url)
    assert "Tài liệu không bị thay đổi" in info.value.render()
    assert signed == before and tsa.requests >= 1


def test_unreachable_tsa_is_a_user_error(prepared_pdf: bytes, p12_path: Path,
                                         closed_port_url: str) -> None:
    signed = _signed(prepared_pdf, p12_path)
    with pytest.raises(UserError, match="Không lấy được dấu thời gian"):
        add_document_timestamp(signed, closed_port_url, timeout=3)
    with pytest.raises(UserError, match="không hợp lệ"):
        add_document_timestamp(signed, "ftp://tsa.example/")


def test_timestamp_keeps_a_signature_trusted_after_its_certificate_expires(
        tmp_path: Path, prepared_pdf: bytes, tsa: TsaServer, pki: Pki) -> None:
    """The point of B-T: judged at the proven time, not today."""
    now = datetime.now(UTC)
    short = _issue(_name("Đỗ Minh Khôi"), pki.second_signer.key, pki.intermediate, ca=False,
                   signing=True, not_before=now - timedelta(days=1),
                   not_after=now + timedelta(seconds=3))
    path = tmp_path / "short.p12"
    path.write_bytes(short.pkcs12())
    signed = _signed(prepared_pdf, path)
    stamped = add_document_timestamp(signed, tsa.url).pdf
    time.sleep(max(0.0, (now + timedelta(seconds=4) - datetime.now(UTC)).total_seconds()))

    plain = verify_pdf(signed, [pki.root.cert]).signatures[0]
    assert plain.ok and not plain.trusted and "hết hạn" in plain.problems[0]
    proven = verify_pdf(stamped, [pki.root.cert]).signatures[0]
    assert proven.trusted and proven.proven_time is not None, proven
