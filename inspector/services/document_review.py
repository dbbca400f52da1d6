"""The review before any seal: what is not assessed, what is empty, who will sign with what.

A pure function of what was read (content, certificates offered): the app shows it before the
user confirms, and `prepare_issue` refuses with the first blocker. Blockers are RefusedError
values (message and what to do, translatable); empty fields that do not block are Problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from inspector.errors import Problem, RefusedError, UserError
from inspector.services.document_content import (
    ROLE_LABELS,
    InspectionContent,
    conclusion_issuer,
    conclusion_regime,
    minutes_regime,
    signer_name,
)
from inspector.services.document_prose import not_assessed_cells
from inspector.signing import CertificateInfo, check_binding, names_match
from inspector.vault import Vault

KINDS = ("minutes", "conclusion")
PRINCIPAL = {"minutes": "leader", "conclusion": "signer"}
ROLES = {"minutes": ("unit_rep", "secretary", "leader"), "conclusion": ("signer",)}


@dataclass(frozen=True)
class ContentRevision:
    """The newest event that touched what a document is rendered from: the inspection and its
    documents, the team, its members and the unit. Equal revisions mean the same content."""

    inspection: int
    registry: int


@dataclass(frozen=True)
class SubjectGap:
    subject_id: str
    name: str
    not_assessed: int
    total: int


@dataclass(frozen=True)
class SignerCheck:
    """One signature slot: the person it names and, if a certificate was offered, whether it may
    sign it (`problem` None = it may; `override_needed` = only with a typed reason)."""

    role: str
    expected_name: str
    certificate: CertificateInfo | None = None
    problem: UserError | None = None
    override_needed: bool = False


@dataclass(frozen=True)
class DocumentReview:
    inspection_id: str
    kind: str
    regime: str
    subjects: tuple[SubjectGap, ...]
    empty_fields: tuple[Problem, ...]
    blockers: tuple[RefusedError, ...]
    signers: tuple[SignerCheck, ...]
    needs_reason: bool  # cells are not assessed: sealing needs a typed reason (recorded, printed)
    revision: ContentRevision = field(default=ContentRevision(0, 0))

    @property
    def not_assessed(self) -> int:
        return sum(s.not_assessed for s in self.subjects)

    @property
    def ready(self) -> bool:
        return not self.blockers


def _gaps(content: InspectionContent) -> tuple[SubjectGap, ...]:
    insp, checklist = content.inspection, content.checklist
    missing = not_assessed_cells(checklist, insp.subjects, content.matrix)
    return tuple(SubjectGap(s.id, s.name, len(missing.get(s.id, ())), len(checklist.items)) for s in insp.subjects)


def _common_blockers(content: InspectionContent, vault: Vault) -> list[RefusedError]:
    out = []
    disagreements = content.matrix.disagreements()
    if disagreements:
        code, _ = disagreements[0]
        out.append(RefusedError("Còn {count} ô có kết quả khác nhau giữa các thành viên (ví dụ mục {code}).",
                                hint="Thống nhất kết quả ở màn hình Ghi nhận trước khi ký.",
                                count=len(disagreements), code=code))
    for ref in content.evidence:
        if not vault.verify(ref.sha256, ref.size):
            out.append(RefusedError("Tệp minh chứng “{name}” bị thiếu hoặc hỏng; chưa ký được.",
                                    hint="Chạy “Kiểm tra toàn vẹn dữ liệu” và đính kèm lại tệp.", name=ref.file_name))
    return out


def _minutes_checks(content: InspectionContent, reason: str) -> tuple[list[RefusedError], list[Problem]]:
    insp, m = content.inspection, content.minutes
    blockers: list[RefusedError] = []
    empty: list[Problem] = []
    if insp.superseded_by:
        blockers.append(RefusedError("Đợt kiểm tra này đã được thay thế bằng một bản đính chính; không ký được.",
                                     hint="Mở bản đính chính mới nhất."))
    elif not insp.editable:
        blockers.append(RefusedError("Biên bản của đợt kiểm tra này đã được ký và niêm phong.",
                                     hint="Tạo bản đính chính nếu cần thay đổi."))
    if insp.team is None or not any(x.role == "leader" for x in insp.team.members):
        blockers.append(RefusedError("Đoàn kiểm tra chưa có Trưởng đoàn.",
                                     hint="Chọn Trưởng đoàn ở màn hình Đơn vị và cán bộ."))
    if insp.actual_start is None:
        blockers.append(RefusedError("Chưa ghi thời gian bắt đầu kiểm tra; biên bản chưa ký được.",
                                     hint="Bấm “Bắt đầu kiểm tra” hoặc “Sửa giờ…” ở màn hình Ghi nhận."))
    if not m.unit_representatives:
        blockers.append(RefusedError("Biên bản chưa có đại diện đơn vị được kiểm tra.",
                                     hint="Nhập họ tên, chức vụ người đại diện ở phần thông tin biên bản."))
    gaps = sum(g.not_assessed for g in _gaps(content))
    if gaps and not reason.strip():
        blockers.append(RefusedError("Còn {count} ô chưa đánh giá; cần ghi lý do trước khi niêm phong biên bản.",
                                     hint="Đánh giá nốt các ô, hoặc ghi lý do (lý do được in trong biên bản).",
                                     count=gaps))
    if not m.number.strip():
        empty.append(Problem("Số biên bản", "để trống: văn thư ghi số sau"))
    if not insp.explanation.strip():
        empty.append(Problem("Ý kiến của đơn vị được kiểm tra", "để trống: biên bản ghi “Không có ý kiến.”"))
    for where, text in (("Ưu điểm", m.strengths), ("Hạn chế, khuyết điểm", insp.team_remarks),
                        ("Yêu cầu khắc phục ngay", m.immediate_requests)):
        if not text.strip():
            empty.append(Problem(where, "để trống: mục không được in"))
    if minutes_regime(content) == "state":
        people = [(r[0], r[2] if len(r) > 2 else "") for r in m.unit_representatives]
        people += [(x.full_name, x.honorific) for x in (insp.team.members if insp.team else ())]
        for name, honorific in people:
            if not honorific:
                empty.append(Problem(name, "chưa ghi danh xưng (Ông/Bà): biên bản chỉ ghi họ tên"))
    return blockers, empty


def _conclusion_checks(content: InspectionContent) -> tuple[list[RefusedError], list[Problem]]:
    insp, c = content.inspection, content.conclusion
    blockers: list[RefusedError] = []
    empty: list[Problem] = []
    if insp.status != "sealed" or insp.superseded_by:
        blockers.append(RefusedError("Chỉ ký kết luận sau khi biên bản đã được ký và niêm phong.",
                                     hint="Ký biên bản kiểm tra trước."))
    body, _ = conclusion_issuer(content)
    if not body.strip():
        blockers.append(RefusedError("Chưa ghi cơ quan ban hành kết luận (cơ quan đã lập Đoàn kiểm tra).",
                                     hint="Nhập cơ quan ban hành ở phần thông tin kết luận."))
    if not c.report_number.strip() or not c.report_date:
        blockers.append(RefusedError("Kết luận chưa dẫn số và ngày của Báo cáo kết quả kiểm tra của Đoàn.",
                                     hint="Nhập số và ngày báo cáo của Đoàn ở phần thông tin kết luận."))
    for section, text in (("Ưu điểm", c.strengths), ("Hạn chế, khuyết điểm, vi phạm", c.shortcomings),
                          ("Nguyên nhân, trách nhiệm", c.causes)):
        if not text.strip():
            blockers.append(RefusedError("Mục “{section}” của kết luận đang trống; chưa ký được.",
                                         hint="Nhập nội dung mục này (mục bắt buộc của kết luận).", section=section))
    if not content.requirements:
        blockers.append(RefusedError("Mục “{section}” của kết luận đang trống; chưa ký được.",
                                     hint="Thêm ít nhất một yêu cầu khắc phục (nội dung, trách nhiệm, thời hạn).",
                                     section="Yêu cầu, kiến nghị"))
    if not c.signer_name.strip() or not c.signer_position.strip():
        blockers.append(RefusedError("Chưa ghi họ tên và chức vụ người ký kết luận.",
                                     hint="Nhập người ký ở phần thông tin kết luận."))
    if not c.number.strip():
        empty.append(Problem("Số kết luận", "để trống: văn thư ghi số sau"))
    if not c.issue_date:
        empty.append(Problem("Ngày ban hành", "để trống: văn thư ghi ngày sau"))
    if not c.follow_up.strip():
        empty.append(Problem("Tổ chức thực hiện", "để trống: mục không được in"))
    return blockers, empty


def signer_check(content: InspectionContent, kind: str, role: str, cert: CertificateInfo | None,
                 at: datetime, override_reason: str = "") -> SignerCheck:
    expected, _ = signer_name(content, kind, role)
    if cert is None:
        return SignerCheck(role, expected)
    try:
        check_binding(cert, expected, at, slot_label=ROLE_LABELS[role], override_reason=override_reason)
    except UserError as exc:
        mismatch = bool(expected.strip()) and not names_match(cert.common_name, expected) and \
            cert.validity_problem(at) is None and cert.can_sign
        return SignerCheck(role, expected, cert, exc, override_needed=mismatch and not override_reason.strip())
    return SignerCheck(role, expected, cert)


def review_of(content: InspectionContent, kind: str, vault: Vault, *, at: datetime,
              certificates: Mapping[str, CertificateInfo] | None = None, unassessed_reason: str = "",
              revision: ContentRevision = ContentRevision(0, 0)) -> DocumentReview:
    if kind not in KINDS:
        raise UserError("Loại văn bản “{kind}” không hợp lệ; chọn minutes hoặc conclusion.", kind=kind)
    certificates = certificates or {}
    if kind == "minutes":
        blockers, empty = _minutes_checks(content, unassessed_reason)
        regime = minutes_regime(content)
    else:
        blockers, empty = _conclusion_checks(content)
        regime = conclusion_regime(content)
    blockers += _common_blockers(content, vault)
    gaps = _gaps(content)
    signers = tuple(signer_check(content, kind, role, certificates.get(role), at) for role in ROLES[kind])
    return DocumentReview(content.inspection.id, kind, regime, gaps, tuple(empty), tuple(blockers), signers,
                          needs_reason=kind == "minutes" and any(g.not_assessed for g in gaps), revision=revision)
