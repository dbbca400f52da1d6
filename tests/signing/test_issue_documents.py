"""Issuing documents from a stored inspection: render, drawn + PAdES signatures, seal, verify,
correct. Real store, real vault, fixture PKI, SoftHSM2 token, local TSA."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from inspector.errors import RefusedError, UserError
from inspector.services.document_content import ConclusionDetails, MinutesDetails
from inspector.services.documents import Pkcs11Credential, Pkcs12Credential, SignerPlan
from inspector.services.requirements import RequirementSpec
from inspector.workspace import Services, Workspace
from tests.factories import make_inspection
from tests.signing.pki import PASSPHRASE, SIGNER_NAME, Pki


def drawn(color: tuple[int, int, int] = (20, 40, 200)) -> bytes:
    image = Image.new("RGBA", (300, 150), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 120), (80, 20), (150, 110), (290, 30)], fill=(*color, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace.open(tmp_path / "data")
    yield workspace  # type: ignore[misc]
    workspace.close()


def recorded(s: Services) -> str:
    insp = make_inspection(s, subjects=3)
    s.inspections.start(insp.id, "2026-11-03T01:30:00Z")
    for n, subject in enumerate(insp.subjects):
        s.findings.record(insp.id, f"LD-0{n + 1}", subject.id, level=n + 1, note=f"Nhận xét số {n + 1}")
    s.inspections.set_explanation(insp.id, "Đơn vị tiếp thu và cam kết khắc phục.")
    s.inspections.finish(insp.id, "2026-11-03T04:10:00Z")
    s.documents.set_minutes_details(insp.id, MinutesDetails(
        unit_representatives=(("Phạm Văn Bình", "Phó Chủ tịch UBND phường"),), strengths="Chấp hành tốt giờ giấc."))
    return insp.id


def test_minutes_signed_by_hand_and_pkcs12_seal_the_inspection(ws: Workspace, pki: Pki, p12_path: Path) -> None:
    s = ws.services
    inspection_id = recorded(s)
    plans = [SignerPlan("unit_rep", drawn_png=drawn()),
             SignerPlan("leader", drawn_png=drawn(), credential=Pkcs12Credential(p12_path, PASSPHRASE))]
    doc = s.documents.issue(inspection_id, "minutes", plans)
    assert doc.kind == "minutes" and doc.status == "signed"
    assert {(x.role, x.method) for x in doc.signatures} == {("unit_rep", "drawn"), ("leader", "pkcs12")}
    insp = s.inspections.get(inspection_id)
    assert insp.status == "sealed" and insp.seal_hash
    pdf = ws.services.ctx.vault.read_bytes(doc.sha256)
    check = s.documents.check_file(pdf, [pki.root.cert])
    assert check.report.ok and check.report.signatures[0].signer_name == SIGNER_NAME
    assert check.report.signatures[0].trusted
    assert [(m.inspection_id, m.sealed, m.how) for m in check.matches] == [(inspection_id, True, "current")]
    # Nothing can change the sealed version any more …
    subject = insp.subjects[0].id
    with pytest.raises(RefusedError, match="niêm phong"):
        s.findings.record(inspection_id, "LD-09", subject, level=1)
    with pytest.raises(RefusedError):
        s.inspections.set_explanation(inspection_id, "sửa sau khi ký")
    with pytest.raises(RefusedError):
        s.evidence.attach_bytes(inspection_id, b"\xff\xd8\xffanh", "anh.jpg")
    # … but a correction can: a new version that supersedes it, with everything copied.
    new_id = s.documents.correct(inspection_id)
    new = s.inspections.get(new_id)
    assert new.supersedes == inspection_id and new.version_no == 2 and new.editable
    assert s.inspections.get(inspection_id).superseded_by == new_id
    assert new.summary.assessed_count == 3 and new.explanation == insp.explanation
    with pytest.raises(RefusedError, match="bản đính chính"):
        s.documents.correct(inspection_id)
    s.findings.record(new_id, "LD-09", new.subjects[0].id, level=2, note="Bổ sung sau đính chính")
    assert s.verify_events().ok
    # A byte changed after signing: not intact any more, and it no longer matches the store.
    tampered = bytearray(pdf)
    tampered[len(tampered) // 3] ^= 0x01
    bad = s.documents.check_file(bytes(tampered), [pki.root.cert])
    assert not bad.report.ok and bad.matches == ()


def test_signing_gate_and_all_or_nothing(ws: Workspace, p12_path: Path) -> None:
    s = ws.services
    inspection_id = recorded(s)
    with pytest.raises(RefusedError, match="chữ ký số"):
        s.documents.issue(inspection_id, "minutes", [SignerPlan("leader", drawn_png=drawn())])
    events = s.ctx.store.scalar("SELECT count(*) FROM events")
    with pytest.raises(UserError):
        s.documents.issue(inspection_id, "minutes",
                          [SignerPlan("leader", credential=Pkcs12Credential(p12_path, "sai mật khẩu"))])
    assert s.ctx.store.scalar("SELECT count(*) FROM events") == events
    assert s.documents.documents(inspection_id) == []
    with pytest.raises(RefusedError, match="biên bản đã được ký"):
        s.documents.issue(inspection_id, "conclusion",
                          [SignerPlan("signer", credential=Pkcs12Credential(p12_path, PASSPHRASE))])


def test_pkcs11_leader_then_conclusion_and_timestamp(ws: Workspace, pki: Pki, softhsm_token, tsa,  # type: ignore[no-untyped-def]
                                                    p12_path: Path) -> None:
    s = ws.services
    inspection_id = recorded(s)
    token = Pkcs11Credential(softhsm_token.module, softhsm_token.label, softhsm_token.pin)
    minutes = s.documents.issue(inspection_id, "minutes", [SignerPlan("unit_rep", drawn_png=drawn()),
                                                           SignerPlan("leader", credential=token)])
    assert minutes.signatures[-1].method == "pkcs11"
    s.requirements.add(inspection_id, RequirementSpec("Kiểm điểm trách nhiệm", "UBND phường", "2026-12-31",
                                                      "2027-01-05"))
    s.documents.set_conclusion_details(inspection_id, ConclusionDetails(
        issuing_body="BAN THƯỜNG VỤ THÀNH ỦY", signer_position="PHÓ BÍ THƯ", signer_name=SIGNER_NAME,
        strengths="Đơn vị chấp hành tốt.", shortcomings="Còn hồ sơ chậm.", issue_date="2026-11-20"))
    conclusion = s.documents.issue(inspection_id, "conclusion",
                                   [SignerPlan("signer", credential=Pkcs12Credential(p12_path, PASSPHRASE))])
    assert s.inspections.get(inspection_id).status == "concluded"
    stamped = s.documents.timestamp(conclusion.id, tsa.url)
    after = s.documents.document(conclusion.id)
    assert after.sha256 != conclusion.sha256
    report = s.documents.check_file(ws.services.ctx.vault.read_bytes(after.sha256), [pki.root.cert]).report
    assert report.ok and report.signatures[0].proven_time is not None
    assert report.signatures[0].proven_time >= report.signatures[0].claimed_time.replace(microsecond=0)
    assert stamped.time is not None
    assert s.verify_events().ok


def test_cli_verify_and_export(ws: Workspace, pki: Pki, p12_path: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from inspector.cli import main

    s = ws.services
    inspection_id = recorded(s)
    s.documents.issue(inspection_id, "minutes",
                      [SignerPlan("leader", credential=Pkcs12Credential(p12_path, PASSPHRASE))])
    data = ["--data-dir", str(ws.data_dir)]
    out_pdf = tmp_path / "bien-ban.pdf"
    assert main(["inspection", "export", inspection_id, "--doc", "minutes", "-o", str(out_pdf), *data]) == 0
    assert "bản đã ký" in capsys.readouterr().out
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "root.pem").write_bytes(pki.root.cert.public_bytes(Encoding.PEM))
    assert main(["verify", str(out_pdf), "--trust", str(trust), *data]) == 0
    out = capsys.readouterr().out
    assert SIGNER_NAME in out and "Tin cậy: có" in out and "đã niêm phong" in out
    tampered = tmp_path / "sua.pdf"
    raw = bytearray(out_pdf.read_bytes())
    raw[len(raw) // 2] ^= 0x20
    tampered.write_bytes(bytes(raw))
    assert main(["verify", str(tampered), "--trust", str(trust), *data]) == 1
    captured = capsys.readouterr()
    assert "KHÔNG HỢP LỆ" in captured.err
    assert main(["verify", str(out_pdf), "--json", *data]) == 0
    assert '"ok": true' in capsys.readouterr().out
    assert main(["inspection", "export", inspection_id, "--doc", "conclusion", "-o", str(tmp_path / "kl.pdf"),
                 *data]) == 0
    assert (tmp_path / "kl.pdf").read_bytes().startswith(b"%PDF")
