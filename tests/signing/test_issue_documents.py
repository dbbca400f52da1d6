"""Issuing documents from a stored inspection: review, binding of the certificate to the printed
signer, prepare on the read side and a short commit that refuses stale content, drawn + PAdES
signatures, sealing (with a typed reason for cells not assessed), later signatures, timestamps,
verification and corrections. Real store, real vault, fixture PKI, SoftHSM2 token, local TSA."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from inspector.errors import RefusedError, UserError
from inspector.ops import inline_committer
from inspector.services.document_content import ConclusionDetails, MinutesDetails
from inspector.services.documents import Pkcs11Credential, Pkcs12Credential, SignerPlan
from inspector.services.requirements import RequirementSpec
from inspector.services.signing_identities import credential_certificate, last_signing_identity
from inspector.signing import Verdict
from inspector.worker import Worker
from inspector.workspace import Services, Workspace
from tests.documents.builders import flat, pdftotext
from tests.factories import make_inspection
from tests.signing.pki import PASSPHRASE, SECOND_SIGNER_NAME, SIGNER_NAME, Pki

REASON = "Đồng chí Trưởng đoàn đi công tác, ủy quyền theo Giấy ủy quyền số 07/GUQ"


def drawn(color: tuple[int, int, int] = (20, 40, 200)) -> bytes:
    image = Image.new("RGBA", (300, 150), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 120), (80, 20), (150, 110), (290, 30)], fill=(*color, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(params=["inline", "child"])
def ws(request: pytest.FixtureRequest, tmp_path: Path) -> Workspace:
    """Every test here runs twice: rendering and signing inline (the CLI) and in the signing
    child process (the app), which must give the same documents, errors and messages."""
    worker = Worker.child() if request.param == "child" else Worker.inline()
    workspace = Workspace.open(tmp_path / "data", worker=worker)
    yield workspace  # type: ignore[misc]
    workspace.close()
    worker.shutdown()


def recorded(s: Services, *, complete: bool = True) -> str:
    """An inspection of 3 subjects; `complete` assesses every cell (else only one per subject)."""
    insp = make_inspection(s, subjects=3)
    s.inspections.start(insp.id, "2026-11-03T01:30:00Z")
    checklist = s.ctx.checklist(insp.summary.checklist_id, insp.summary.checklist_version)
    for n, subject in enumerate(insp.subjects):
        for i, item in enumerate(checklist.items if complete else checklist.items[:1]):
            level = (n + 1) if i == n else 0
            s.findings.record(insp.id, item.code, subject.id, level=level, note=f"Nhận xét số {n + 1}" if level else "")
    s.inspections.set_explanation(insp.id, "Đơn vị tiếp thu và cam kết khắc phục.")
    s.inspections.finish(insp.id, "2026-11-03T04:10:00Z")
    s.documents.set_minutes_details(insp.id, MinutesDetails(
        unit_representatives=(("Phạm Văn Bình", "Phó Chủ tịch UBND phường", "Ông"),),
        strengths="Chấp hành tốt giờ giấc."))
    return insp.id


def leader_plan(p12: Path, **kw: Any) -> SignerPlan:
    return SignerPlan("leader", credential=Pkcs12Credential(p12, PASSPHRASE), **kw)


def test_minutes_signed_by_hand_and_pkcs12_seal_the_inspection(ws: Workspace, pki: Pki, p12_path: Path) -> None:
    s = ws.services
    inspection_id = recorded(s)
    review = s.documents.review(inspection_id, "minutes",
                                certificates={"leader": s.documents.signing_certificate(
                                    Pkcs12Credential(p12_path, PASSPHRASE))})
    assert review.ready and review.not_assessed == 0 and not review.needs_reason
    (leader,) = [c for c in review.signers if c.role == "leader"]
    assert leader.expected_name == SIGNER_NAME and leader.problem is None and leader.certificate is not None
    plans = [SignerPlan("unit_rep", drawn_png=drawn()), leader_plan(p12_path, drawn_png=drawn())]
    doc = s.documents.issue(inspection_id, "minutes", plans, committer=inline_committer(s))
    assert doc.kind == "minutes" and doc.status == "signed"
    assert {(x.role, x.method) for x in doc.signatures} == {("unit_rep", "drawn"), ("leader", "pkcs12")}
    insp = s.inspections.get(inspection_id)
    assert insp.status == "sealed" and insp.seal_hash
    pdf = ws.services.ctx.vault.read_bytes(doc.sha256)
    check = s.documents.check_file(pdf, [pki.root.cert])
    assert check.verdict is Verdict.VALID_TRUSTED and check.report.signatures[0].signer_name == SIGNER_NAME
    assert [(m.inspection_id, m.sealed, m.how, m.overrides) for m in check.matches] == [
        (inspection_id, True, "current", ())]
    identity = s.documents.last_signing_identity(SIGNER_NAME.upper())  # remembered per person, no secret
    assert identity is not None and identity.kind == "pkcs12" and identity.path == str(p12_path)
    assert PASSPHRASE not in repr(identity)
    subject = insp.subjects[0].id
    with pytest.raises(RefusedError, match="niêm phong"):
        s.findings.record(inspection_id, "LD-09", subject, level=1)
    new_id = s.documents.correct(inspection_id)
    new = s.inspections.get(new_id)
    assert new.supersedes == inspection_id and new.version_no == 2 and new.editable
    assert new.summary.assessed_count == insp.summary.assessed_count
    with pytest.raises(RefusedError, match="bản đính chính"):
        s.documents.correct(inspection_id)
    assert s.verify_events().ok
    tampered = bytearray(pdf)
    tampered[len(tampered) // 3] ^= 0x01
    bad = s.documents.check_file(bytes(tampered), [pki.root.cert])
    assert bad.verdict is Verdict.INVALID and bad.matches == ()


def test_another_persons_certificate_is_refused_unless_a_reason_is_typed(ws: Workspace, pki: Pki,
                                                                         second_p12_path: Path) -> None:
    s = ws.services
    inspection_id = recorded(s)
    other = Pkcs12Credential(second_p12_path, PASSPHRASE)
    review = s.documents.review(inspection_id, "minutes", certificates={"leader": credential_certificate(other)})
    (leader,) = [c for c in review.signers if c.role == "leader"]
    assert leader.override_needed and leader.problem is not None and SECOND_SIGNER_NAME in leader.problem.render()
    events = s.ctx.store.scalar("SELECT count(*) FROM events")
    with pytest.raises(UserError) as info:
        s.documents.issue(inspection_id, "minutes", [SignerPlan("leader", credential=other)])
    assert SECOND_SIGNER_NAME in info.value.render() and SIGNER_NAME in info.value.render()
    assert s.ctx.store.scalar("SELECT count(*) FROM events") == events and s.documents.documents(inspection_id) == []
    doc = s.documents.issue(inspection_id, "minutes", [SignerPlan("leader", credential=other, override_reason=REASON)])
    (signature,) = doc.signatures
    assert (signature.signer_name, signature.expected_name, signature.override_reason) == (
        SECOND_SIGNER_NAME, SIGNER_NAME, REASON)
    event = s.ctx.store.one("SELECT payload FROM events WHERE type = 'document.signed'")
    assert event is not None and REASON in event["payload"]  # recorded as an event, so it syncs
    check = s.documents.check_file(s.ctx.vault.read_bytes(doc.sha256), [pki.root.cert])
    (match,) = check.matches
    assert [(o.signer_name, o.expected_name, o.override_reason) for o in match.overrides] == [
        (SECOND_SIGNER_NAME, SIGNER_NAME, REASON)]
    assert REASON in check.report.signatures[0].reason  # and it travels inside the file, in /Reason
    assert s.verify_events().ok


def test_cells_not_assessed_need_a_typed_reason_recorded_and_printed(ws: Workspace, p12_path: Path) -> None:
    s = ws.services
    inspection_id = recorded(s, complete=False)
    review = s.documents.review(inspection_id, "minutes")
    assert review.needs_reason and not review.ready
    assert [g.not_assessed for g in review.subjects] == [g.total - 1 for g in review.subjects]
    with pytest.raises(RefusedError, match="chưa đánh giá; cần ghi lý do"):
        s.documents.issue(inspection_id, "minutes", [leader_plan(p12_path)])
    reason = "Đối tượng nghỉ phép, Đoàn sẽ kiểm tra bổ sung"
    assert s.documents.review(inspection_id, "minutes", unassessed_reason=reason).ready
    doc = s.documents.issue(inspection_id, "minutes", [leader_plan(p12_path)], unassessed_reason=reason)
    text = flat(pdftotext(s.ctx.vault.read_bytes(doc.sha256)))
    assert f"Lý do chưa đánh giá: {reason}." in text
    assert "chưa được đánh giá (không được coi là không có biểu hiện)" in text
    row = s.ctx.store.one("SELECT seal_reason FROM inspections WHERE id = ?", (inspection_id,))
    assert row is not None and row["seal_reason"] == reason
    assert s.verify_events().ok  # the projection of the reason equals a rebuild from the events


def test_commit_refuses_when_the_inspection_changed_after_prepare(ws: Workspace, p12_path: Path) -> None:
    s = ws.services
    inspection_id = recorded(s)
    prepared = s.documents.prepare_issue(inspection_id, "minutes", [leader_plan(p12_path)])
    assert s.documents.documents(inspection_id) == []  # prepare wrote nothing to the database
    s.inspections.set_explanation(inspection_id, "Ý kiến bổ sung sau khi ký")  # typed during the signature
    with pytest.raises(RefusedError, match="đã thay đổi trong lúc văn bản đang được ký"):
        s.documents.commit_issue(prepared)
    assert s.documents.documents(inspection_id) == [] and s.inspections.get(inspection_id).status == "recorded"
    again = s.documents.prepare_issue(inspection_id, "minutes", [leader_plan(p12_path)])
    calls: list[str] = []

    def committer(fn: Callable[[Services], Any]) -> Any:  # what the app's writer thread does
        calls.append("writer")
        return fn(s)

    doc = s.documents.issue(inspection_id, "minutes", [leader_plan(p12_path)], committer=committer)
    assert calls == ["writer"] and doc.status == "signed"
    with pytest.raises(RefusedError):  # the first prepared value is stale now too
        s.documents.commit_issue(again)


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


def test_conclusion_required_sections_block_signing_by_name(ws: Workspace, p12_path: Path) -> None:
    s = ws.services
    inspection_id = recorded(s)
    s.documents.issue(inspection_id, "minutes", [leader_plan(p12_path)])
    details = ConclusionDetails(report_number="05/BC-ĐKTCV", report_date="2026-11-10", signer_position="PHÓ CHỦ TỊCH",
                                signer_name=SIGNER_NAME, strengths="Đơn vị chấp hành tốt.", causes="Thiếu kiểm tra.")
    s.documents.set_conclusion_details(inspection_id, details)
    review = s.documents.review(inspection_id, "conclusion")
    messages = [b.render() for b in review.blockers]
    assert any("“Hạn chế, khuyết điểm, vi phạm”" in m for m in messages)
    assert any("“Yêu cầu, kiến nghị”" in m for m in messages)
    with pytest.raises(RefusedError, match="Hạn chế, khuyết điểm, vi phạm"):
        s.documents.issue(inspection_id, "conclusion",
                          [SignerPlan("signer", credential=Pkcs12Credential(p12_path, PASSPHRASE))])
    preview = flat(pdftotext(s.documents.preview(inspection_id, "conclusion").pdf))
    # The empty sections keep their place and number; nothing after them is renumbered.
    assert "II. HẠN CHẾ, KHUYẾT ĐIỂM, VI PHẠM (Chưa có nội dung: phải nhập trước khi ký.)" in preview
    assert "III. NGUYÊN NHÂN, TRÁCH NHIỆM Thiếu kiểm tra." in preview and "IV. YÊU CẦU, KIẾN NGHỊ" in preview


def test_pkcs11_leader_then_conclusion_and_timestamp(ws: Workspace, pki: Pki, softhsm_token, tsa,  # type: ignore[no-untyped-def]
                                                    p12_path: Path) -> None:
    s = ws.services
    inspection_id = recorded(s)
    token = Pkcs11Credential(softhsm_token.module, softhsm_token.label, softhsm_token.pin)
    minutes = s.documents.issue(inspection_id, "minutes", [SignerPlan("unit_rep", drawn_png=drawn()),
                                                           SignerPlan("leader", credential=token)])
    assert minutes.signatures[-1].method == "pkcs11"
    remembered = last_signing_identity(s.ctx.store, SIGNER_NAME)
    assert remembered is not None and remembered.kind == "pkcs11" and remembered.module == softhsm_token.module
    (plugged,) = s.documents.tokens(softhsm_token.module)
    assert plugged.label == softhsm_token.label
    assert all(m.path and m.vendor for m in s.documents.token_libraries())
    s.requirements.add(inspection_id, RequirementSpec("Kiểm điểm trách nhiệm", "UBND phường", "2026-12-31",
                                                      "2027-01-05"))
    s.documents.set_conclusion_details(inspection_id, ConclusionDetails(
        report_number="05/BC-ĐKTCV", report_date="2026-11-10", signer_position="PHÓ CHỦ TỊCH",
        signer_name=SIGNER_NAME, strengths="Đơn vị chấp hành tốt.", shortcomings="Còn hồ sơ chậm.",
        causes="Người đứng đầu chưa kiểm tra thường xuyên.", issue_date="2026-11-20"))
    conclusion = s.documents.issue(inspection_id, "conclusion",
                                   [SignerPlan("signer", credential=Pkcs12Credential(p12_path, PASSPHRASE))])
    assert s.inspections.get(inspection_id).status == "concluded"
    stamped = s.documents.timestamp(conclusion.id, tsa.url)
    after = s.documents.document(conclusion.id)
    assert after.sha256 != conclusion.sha256
    report = s.documents.check_file(ws.services.ctx.vault.read_bytes(after.sha256), [pki.root.cert]).report
    assert report.verdict is Verdict.VALID_TRUSTED and report.signatures[0].proven_time is not None
    assert stamped.time is not None
    assert s.verify_events().ok


def test_a_later_signature_on_an_issued_document(ws: Workspace, pki: Pki, p12_path: Path, tmp_path: Path) -> None:
    """The unit's representative signs afterwards with their own certificate (binding checked)."""
    from tests.signing.pki import make_signer

    s = ws.services
    inspection_id = recorded(s)
    doc = s.documents.issue(inspection_id, "minutes", [leader_plan(p12_path)])
    rep_p12 = tmp_path / "pham-van-binh.p12"
    rep_p12.write_bytes(make_signer(pki, "PHAM VAN BINH").pkcs12(PASSPHRASE))
    plan = SignerPlan("unit_rep", credential=Pkcs12Credential(rep_p12, PASSPHRASE))
    with pytest.raises(RefusedError, match="đã được ký"):
        s.documents.prepare_countersign(doc.id, leader_plan(p12_path))
    after = s.documents.commit_issue(s.documents.prepare_countersign(doc.id, plan))
    assert [x.role for x in after.signatures] == ["leader", "unit_rep"] and after.sha256 != doc.sha256
    report = s.documents.check_file(s.ctx.vault.read_bytes(after.sha256), [pki.root.cert]).report
    assert report.verdict is Verdict.VALID_TRUSTED and len(report.signatures) == 2
    assert s.verify_events().ok


def test_a_timestamp_is_fetched_off_the_writer_and_refused_if_the_file_moved_on(  # type: ignore[no-untyped-def]
        ws: Workspace, pki: Pki, p12_path: Path, tmp_path: Path, tsa) -> None:
    from tests.signing.pki import make_signer

    s = ws.services
    inspection_id = recorded(s)
    doc = s.documents.issue(inspection_id, "minutes", [leader_plan(p12_path)])
    stamped = s.documents.prepare_timestamp(doc.id, tsa.url)  # the network call, nothing recorded yet
    assert s.documents.document(doc.id).sha256 == doc.sha256
    rep_p12 = tmp_path / "rep.p12"
    rep_p12.write_bytes(make_signer(pki, "Phạm Văn Bình").pkcs12(PASSPHRASE))
    s.documents.commit_issue(s.documents.prepare_countersign(
        doc.id, SignerPlan("unit_rep", credential=Pkcs12Credential(rep_p12, PASSPHRASE))))
    with pytest.raises(RefusedError, match="dấu thời gian chưa được lưu"):
        s.documents.commit_timestamp(stamped)
    result = s.documents.timestamp(doc.id, tsa.url, committer=inline_committer(s))
    after = s.documents.check_file(s.documents.file_bytes(doc.id), [pki.root.cert]).report
    assert result.time is not None and len(after.timestamps) == 1 and after.verdict is Verdict.VALID_TRUSTED
