"""Three verdicts per signature and for the file, the exit codes, silence on stderr, and attacks by
incremental update, each cross-checked with tools that share no code with ours: pyHanko's own
validator, poppler's pdfsig (with an NSS trust store made from the test root) and qpdf --check."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import ArrayObject, DictionaryObject, FloatObject, NameObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from inspector.signing import Verdict, load_pkcs12, sign_pdf, verify_pdf
from tests.signing.pki import PASSPHRASE, Pki


@pytest.fixture(scope="module")
def signed(pki: Pki, prepared_pdf: bytes, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    p12 = tmp_path_factory.mktemp("p12") / "s.p12"
    p12.write_bytes(pki.signer.pkcs12(PASSPHRASE))
    with load_pkcs12(p12, PASSPHRASE) as source:
        return sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason="Ký biên bản kiểm tra").pdf


def _append(pdf: bytes, change: Callable[[IncrementalPdfFileWriter], None]) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page_text(writer: IncrementalPdfFileWriter) -> None:
    page_ref, _ = writer.find_page_for_modification(0)
    page = page_ref.get_object()
    overlay = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 20 Tf 100 700 Td (KHONG VI PHAM) Tj ET"))
    contents = page.raw_get("/Contents")
    page[NameObject("/Contents")] = ArrayObject([*(contents if isinstance(contents, ArrayObject) else [contents]),
                                                 overlay])
    writer.update_container(page)


def _annotation(writer: IncrementalPdfFileWriter) -> None:
    page_ref, _ = writer.find_page_for_modification(1)
    page = page_ref.get_object()
    annot = writer.add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Text"),
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (100, 100, 120, 120)]),
        NameObject("/Contents"): generic.TextStringObject("Đã duyệt")}))
    annots = page.get("/Annots")
    if annots is None:
        page[NameObject("/Annots")] = ArrayObject([annot])
    else:
        annots.get_object().append(annot)
    writer.update_container(page)


def _overlay_on_empty_field(writer: IncrementalPdfFileWriter) -> None:
    """A fake "signature" image on the unit's empty field: a widget appearance, no signature."""
    for name, _value, ref in enumerate_sig_fields(writer.prev):
        if name == "Sig_DaiDienDonVi":
            field = ref.get_object()
            look = generic.StreamObject(stream_data=b"0 0 1 rg 0 0 120 60 re f")
            look[NameObject("/Type")] = NameObject("/XObject")
            look[NameObject("/Subtype")] = NameObject("/Form")
            look[NameObject("/BBox")] = ArrayObject([FloatObject(v) for v in (0, 0, 120, 60)])
            field[NameObject("/AP")] = DictionaryObject({NameObject("/N"): writer.add_object(look)})
            writer.update_container(field)


ATTACKS = {"page content": _page_text, "annotation": _annotation, "overlay on an empty field": _overlay_on_empty_field}


def test_three_verdicts(pki: Pki, signed: bytes) -> None:
    assert verify_pdf(signed, [pki.root.cert]).verdict is Verdict.VALID_TRUSTED
    untrusted = verify_pdf(signed, [pki.other_root.cert])
    assert untrusted.verdict is Verdict.INTACT_UNTRUSTED and untrusted.signatures[0].verdict is Verdict.INTACT_UNTRUSTED
    assert verify_pdf(signed, []).verdict is Verdict.INTACT_UNTRUSTED  # trust not checked
    tampered = bytearray(signed)
    tampered[len(tampered) // 3] ^= 0x01
    assert verify_pdf(bytes(tampered), [pki.root.cert]).verdict is Verdict.INVALID
    assert [v.exit_code for v in Verdict] == [0, 4, 1]
    labels = {v.label for v in Verdict}
    assert labels == {"Hợp lệ và tin cậy", "Nguyên vẹn nhưng chưa xác nhận được độ tin cậy",
                      "Không hợp lệ hoặc đã bị sửa đổi"}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_incremental_update_attacks_are_reported_modified(pki: Pki, signed: bytes, attack: str) -> None:
    attacked = _append(signed, ATTACKS[attack])
    report = verify_pdf(attacked, [pki.root.cert])
    (signature,) = report.signatures
    assert signature.intact and signature.valid  # the signed bytes are untouched …
    assert signature.verdict is Verdict.INVALID and report.verdict is Verdict.INVALID  # … but the file was modified
    assert signature.modification_label == "nội dung trang hoặc cấu trúc tệp đã bị sửa"
    assert any("sửa sau khi ký" in p for p in signature.problems)
    # pyHanko's own validator, used directly, agrees that this is not an allowed change.
    embedded = PdfFileReader(io.BytesIO(attacked)).embedded_signatures[0]
    roots = [asn1_x509.Certificate.load(pki.root.cert.public_bytes(Encoding.DER))]
    status = validate_pdf_signature(embedded, ValidationContext(trust_roots=roots))
    assert status.intact and status.valid and status.modification_level.name == "OTHER"


def test_a_second_signature_is_an_allowed_change(pki: Pki, signed: bytes, tmp_path: Path) -> None:
    p12 = tmp_path / "b.p12"
    p12.write_bytes(pki.second_signer.pkcs12(PASSPHRASE))
    with load_pkcs12(p12, PASSPHRASE) as source:
        both = sign_pdf(signed, "Sig_DaiDienDonVi", source, reason="Ký").pdf
    report = verify_pdf(both, [pki.root.cert])
    assert report.verdict is Verdict.VALID_TRUSTED
    assert report.signatures[0].modification_label == "chỉ thêm chữ ký vào các ô chữ ký có sẵn"


def _nss_db(tmp_path: Path, pki: Pki) -> Path:
    db = tmp_path / "nss"
    db.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root.cert.public_bytes(Encoding.PEM))
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "test-root", "-t", "CT,C,C", "-i", str(root)],
                   check=True, capture_output=True)
    return db


def test_poppler_pdfsig_and_qpdf_agree(pki: Pki, signed: bytes, tmp_path: Path) -> None:
    assert shutil.which("pdfsig") and shutil.which("qpdf") and shutil.which("certutil"), \
        "poppler-utils, qpdf and libnss3-tools are installed by ./dev (APT_PACKAGES)"
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout
    untrusted = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in untrusted and "Certificate issuer isn't Trusted." in untrusted
    # (no -no-ocsp: with it poppler 22 reports "Unknown issue"; the test certificates name no OCSP server)
    trusted = subprocess.run(["pdfsig", "-nssdir", f"sql:{_nss_db(tmp_path, pki)}", str(path)],
                             capture_output=True, text=True).stdout
    assert "Signature is Valid." in trusted and "Certificate is Trusted." in trusted
    tampered = bytearray(signed)
    tampered[len(tampered) // 3] ^= 0x01
    path.write_bytes(bytes(tampered))
    broken = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid." not in broken


def test_nothing_reaches_stderr_in_normal_runs(pki: Pki, signed: bytes, tmp_path: Path) -> None:
    """Untrusted chains and attacked files make pyHanko log English tracebacks; users never see
    them. Run as a user does (a separate process: pytest's own log capture would hide the problem)."""
    import sys

    attacked = tmp_path / "sua.pdf"
    attacked.write_bytes(_append(signed, _annotation))
    untrusted = tmp_path / "ky.pdf"
    untrusted.write_bytes(signed)
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "khac.pem").write_bytes(pki.other_root.cert.public_bytes(Encoding.PEM))
    for path, code in ((untrusted, 4), (attacked, 1)):
        run = subprocess.run([sys.executable, "-m", "inspector", "verify", str(path), "--trust", str(trust),
                              "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, timeout=120)
        assert run.returncode == code, run.stdout + run.stderr
        assert run.stderr == ""
        assert "Traceback" not in run.stdout and "NONE" not in run.stdout and "OTHER" not in run.stdout
