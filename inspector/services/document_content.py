"""From the store to the document models: what the minutes and the conclusion say.

Pure reading: nothing here writes. The wording follows the document brief §4 and §8; every
sentence that is not the user's own text is built here, in one place.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from inspector.catalog.model import Catalog, Checklist
from inspector.clock import VIETNAM_TZ, parse_rfc3339
from inspector.documents import (
    ConclusionDocument,
    EvidenceEntry,
    Header,
    LevelMatrix,
    MinutesDocument,
    Participant,
    PdfInfo,
    Refusal,
    RequirementRow,
    ResultSection,
    SignatureBlock,
    document_time,
)
from inspector.documents.model import Regime
from inspector.domain import TEAM_ROLES, EvidenceRef, FindingsMatrix, Inspection
from inspector.errors import NotFoundError
from inspector.text import document_date, ui_date
from inspector.vault import Vault

FIELD_UNIT = "Sig_DaiDienDonVi"
FIELD_SECRETARY = "Sig_ThuKy"
FIELD_LEADER = "Sig_TruongDoan"
FIELD_SIGNER = "Sig_NguoiKy"
ROLE_FIELDS = {"unit_rep": FIELD_UNIT, "secretary": FIELD_SECRETARY, "leader": FIELD_LEADER, "signer": FIELD_SIGNER}
ROLE_LABELS = {"unit_rep": "Đại diện đơn vị được kiểm tra", "secretary": "Thư ký Đoàn",
               "leader": "Trưởng đoàn", "signer": "Người ký kết luận"}
THUMBNAIL_PX = 240


@dataclass(frozen=True)
class MinutesDetails:
    number: str = ""
    place_name: str = "Hà Nội"
    unit_representatives: tuple[tuple[str, str], ...] = ()   # (name, position)
    other_participants: tuple[tuple[str, str, str], ...] = ()  # (name, position, role)
    copies: int = 2
    refusals: tuple[tuple[str, str], ...] = ()  # (name, reason)
    with_secretary: bool = True
    recipients: tuple[str, ...] = ()
    strengths: str = ""
    immediate_requests: str = ""


@dataclass(frozen=True)
class ConclusionDetails:
    doc_type: str = "conclusion"  # conclusion (KẾT LUẬN) | notice (THÔNG BÁO kết luận)
    superior_body: str = ""
    issuing_body: str = ""
    number: str = ""
    place_name: str = "Hà Nội"
    issue_date: str = ""
    findings_summary: str = ""
    strengths: str = ""
    shortcomings: str = ""
    causes: str = ""
    follow_up: str = ""
    signer_authority: str = "on_behalf"  # a key of the regime's authority prefixes, or ""
    signer_authority_body: str = ""
    signer_position: str = ""
    signer_name: str = ""
    recipients: tuple[str, ...] = ()


def minutes_details(row: dict[str, Any] | None) -> MinutesDetails:
    if row is None:
        return MinutesDetails()
    return MinutesDetails(
        number=row["number"], place_name=row["place_name"],
        unit_representatives=tuple((p["name"], p.get("position", "")) for p in json.loads(row["unit_representatives"])),
        other_participants=tuple((p["name"], p.get("position", ""), p.get("role", ""))
                                 for p in json.loads(row["other_participants"])),
        copies=row["copies"],
        refusals=tuple((r["name"], r["reason"]) for r in json.loads(row["refusals"])),
        with_secretary=bool(row["with_secretary"]),
        recipients=tuple(json.loads(row["recipients"])),
        strengths=row["strengths"], immediate_requests=row["immediate_requests"],
    )


def conclusion_details(row: dict[str, Any] | None) -> ConclusionDetails:
    if row is None:
        return ConclusionDetails()
    return ConclusionDetails(
        doc_type=row["doc_type"], superior_body=row["superior_body"], issuing_body=row["issuing_body"],
        number=row["number"], place_name=row["place_name"], issue_date=row["issue_date"],
        findings_summary=row["findings_summary"], strengths=row["strengths"], shortcomings=row["shortcomings"],
        causes=row["causes"], follow_up=row["follow_up"], signer_authority=row["signer_authority"],
        signer_authority_body=row["signer_authority_body"], signer_position=row["signer_position"],
        signer_name=row["signer_name"],
        recipients=tuple(json.loads(row["recipients"])),
    )


def paragraphs(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _local(moment: str | None) -> datetime | None:
    return parse_rfc3339(moment).astimezone(VIETNAM_TZ) if moment else None


def _regime(value: str) -> Regime:
    return "party" if value == "party" else "state"


def _basis(lines: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(line if line.lower().startswith("căn cứ") else f"Căn cứ {line}" for line in lines)


def _abbreviation(body: str, fallback: str) -> str:
    """'ĐOÀN KIỂM TRA CÔNG VỤ' → 'ĐKTCV'; the document symbol part after the type."""
    letters = "".join(word[0] for word in body.split() if word[:1].isalpha())
    return letters.upper() if 2 <= len(letters) <= 8 else fallback


@dataclass
class InspectionContent:
    """Everything the documents draw on, read once."""

    inspection: Inspection
    checklist: Checklist
    catalog: Catalog | None
    matrix: FindingsMatrix
    evidence: list[EvidenceRef]
    unit_name: str
    unit_address: str
    superior_unit: str
    requirements: list[Any]
    minutes: MinutesDetails
    conclusion: ConclusionDetails
    entries: tuple[EvidenceEntry, ...]  # the evidence appendix, thumbnails made once


def summary_of_findings(content: InspectionContent) -> str:
    """The automatic summary the team edits: by group, by level, by subject; levels 2–3 listed."""
    insp, checklist, matrix = content.inspection, content.checklist, content.matrix
    subjects = {s.id: s for s in insp.subjects}
    counts = {lv: 0 for lv in (0, 1, 2, 3)}
    by_group: dict[str, dict[int, int]] = {}
    serious: list[str] = []
    for item in checklist.items:
        for sid, subject in subjects.items():
            finding = matrix.get(item.code, sid)
            if finding is None or finding.level is None:
                continue
            counts[finding.level] += 1
            if finding.level:
                group = by_group.setdefault(item.group_code, {1: 0, 2: 0, 3: 0})
                group[finding.level] += 1
            if finding.level >= 2:
                note = f": {finding.note}" if finding.note else ""
                serious.append(f"- {item.code} ({item.text}) — {subject.name}, mức {finding.level}{note}")
    total = sum(counts.values())
    cells = len(checklist.items) * len(subjects)
    lines = [
        f"Đoàn kiểm tra đã đánh giá {total}/{cells} nội dung (theo {len(checklist.items)} mục của bộ câu hỏi"
        f" đối với {len(subjects)} đối tượng): {counts[0]} nội dung không có biểu hiện; {counts[1]} ở mức 1;"
        f" {counts[2]} ở mức 2; {counts[3]} ở mức 3.",
    ]
    titles = {g.code: g.title for g in content.catalog.groups} if content.catalog else {}
    for code, levels in sorted(by_group.items()):
        lines.append(f"Nhóm {code} ({titles.get(code, code)}): mức 1: {levels[1]}, mức 2: {levels[2]},"
                     f" mức 3: {levels[3]}.")
    for sid, subject in subjects.items():
        found = [f for item in checklist.items if (f := matrix.get(item.code, sid)) and f.level]
        if found:
            worst = max(f.level or 0 for f in found)
            lines.append(f"{subject.name} ({subject.position}): {len(found)} biểu hiện, cao nhất mức {worst}.")
    if serious:
        lines.append("Các biểu hiện ở mức 2 và mức 3:")
        lines += serious
    return "\n".join(lines)


def _thumbnail(vault: Vault, ref: EvidenceRef) -> bytes | None:
    if not ref.media_type.startswith("image/"):
        return None
    try:
        from PIL import Image, ImageOps

        with vault.open_blob(ref.sha256) as blob, Image.open(blob) as source:
            img = ImageOps.exif_transpose(source).convert("RGB")
            img.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=78)
            return out.getvalue()
    except Exception:  # an unreadable photo still gets its row, hash and name
        return None


def evidence_entries(vault: Vault, refs: list[EvidenceRef]) -> tuple[EvidenceEntry, ...]:
    out = []
    for ref in refs:
        if ref.kind == "signature":
            continue
        moment = _local(ref.captured_at)
        out.append(EvidenceEntry(ref.file_name, ref.sha256, moment.strftime("%d/%m/%Y %H:%M") if moment else "",
                                 ref.caption, _thumbnail(vault, ref)))
    return tuple(out)


def level_matrix(content: InspectionContent) -> LevelMatrix:
    items = content.checklist.items
    subjects = content.inspection.subjects
    levels = {}
    for i, item in enumerate(items):
        for j, subject in enumerate(subjects):
            finding = content.matrix.get(item.code, subject.id)
            if finding is not None and finding.level is not None:
                levels[(i, j)] = finding.level
    return LevelMatrix(tuple(i.code for i in items), tuple(i.text for i in items),
                       tuple(s.name for s in subjects), levels)


def _results(content: InspectionContent) -> tuple[ResultSection, ...]:
    subjects = {s.id: s for s in content.inspection.subjects}
    by_finding: dict[str, list[EvidenceRef]] = {}
    for ref in content.evidence:
        if ref.finding_id:
            by_finding.setdefault(ref.finding_id, []).append(ref)
    titles = {g.code: g.title for g in content.catalog.groups} if content.catalog else {}
    groups: dict[str, list[Any]] = {}
    for item in content.checklist.items:
        groups.setdefault(item.group_code, []).append(item)
    sections = []
    for code, items in groups.items():
        lines, files = [], []
        clean = 0
        for item in items:
            noted = []
            for sid, subject in subjects.items():
                f = content.matrix.get(item.code, sid)
                if f is None or f.level is None:
                    continue
                if f.level == 0 and not f.note:
                    continue
                level = "không có biểu hiện" if f.level == 0 else f"mức {f.level}"
                noted.append(f"{subject.name}: {level}" + (f" — {f.note}" if f.note else ""))
                files += [f"{r.file_name} ({item.code}, {subject.name}; SHA-256 {r.sha256[:16]}…)"
                          for r in by_finding.get(f.id, [])]
            if noted:
                lines.append(f"{item.code}. {item.text} " + "; ".join(noted) + ".")
            else:
                clean += 1
        if clean:
            lines.append(f"Các nội dung còn lại của nhóm ({clean} nội dung): chưa phát hiện biểu hiện"
                         " hoặc chưa đủ căn cứ để nhận diện.")
        sections.append(ResultSection(f"{code} — {titles.get(code, code)}", tuple(lines), tuple(files)))
    return tuple(sections)


def build_minutes(content: InspectionContent, *, drawn: dict[str, bytes] | None = None,
                  created: datetime | None = None) -> MinutesDocument:
    """The minutes; `drawn` holds hand-drawn signatures (by role) of people who sign by hand only."""
    insp, m = content.inspection, content.minutes
    s = insp.summary
    team = insp.team
    if team is None or not team.members:
        raise NotFoundError("Đợt kiểm tra chưa có Đoàn kiểm tra; biên bản cần thành phần Đoàn.",
                            hint="Chọn đoàn kiểm tra trong phần “Sửa thông tin đợt kiểm tra”.")
    leader = next((x for x in team.members if x.role == "leader"), None)
    if leader is None:
        raise NotFoundError("Đoàn kiểm tra chưa có Trưởng đoàn.", hint="Chọn Trưởng đoàn ở màn hình Đơn vị và cán bộ.")
    start, end = _local(insp.actual_start), _local(insp.actual_end)
    issuing = team.issuing_body or "ĐOÀN KIỂM TRA"
    header = Header(_regime(s.regime), team.superior_body or content.superior_unit, issuing, "BB",
                    _abbreviation(issuing, "ĐKT"), m.number, m.place_name,
                    start.date() if start else None, show_place_date=False)
    where = insp.location or content.unit_address or content.unit_name
    if start is not None:
        opening = (f"Hôm nay, vào hồi {document_time(start.time())}, {document_date(start.date().isoformat())},"
                   f" tại {where}, Đoàn kiểm tra tiến hành kiểm tra {'đột xuất' if s.kind == 'surprise' else ''}"
                   f" tại {content.unit_name}.").replace("  ", " ")
    else:
        opening = f"Hôm nay, ngày …/…/……, tại {where}, Đoàn kiểm tra tiến hành kiểm tra tại {content.unit_name}."
    subjects_text = tuple(
        f"{n}. {'Tập thể ' if x.kind == 'collective' else 'Ông/Bà '}{x.name}"
        + (f" – {x.position}" if x.position else "") for n, x in enumerate(insp.subjects, start=1))
    intro = (f"Nội dung kiểm tra: việc chấp hành kỷ cương, kỷ luật và trách nhiệm trong thực thi công vụ theo"
             f" {content.checklist.title} (phiên bản {content.checklist.version}), gồm {len(content.checklist.items)}"
             f" nội dung, mỗi nội dung được nhận diện theo 3 mức độ.",)
    secretary = next((x for x in team.members if x.role == "secretary"), None)
    reps = [Participant(n, p) for n, p in m.unit_representatives]
    rep = reps[0] if reps else None
    drawn = drawn or {}
    blocks = [SignatureBlock(FIELD_UNIT, "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA", rep.name if rep else "",
                             drawn_signature_png=drawn.get("unit_rep"))]
    if m.with_secretary and secretary is not None:
        blocks.append(SignatureBlock(FIELD_SECRETARY, "THƯ KÝ", secretary.full_name,
                                     drawn_signature_png=drawn.get("secretary")))
    blocks.append(SignatureBlock(FIELD_LEADER, "TRƯỞNG ĐOÀN", leader.full_name, authority="on_behalf",
                                 authority_body="ĐOÀN KIỂM TRA", drawn_signature_png=drawn.get("leader")))
    ended = (f"Buổi kiểm tra kết thúc vào hồi {document_time(end.time())} cùng ngày." if end is not None
             else "Buổi kiểm tra kết thúc vào hồi …… giờ …… phút cùng ngày.")
    copies = max(1, m.copies)
    closing = (ended, "Biên bản đã được đọc lại cho các thành phần tham dự cùng nghe, thống nhất nội dung và ký tên.",
               f"Biên bản được lập thành {copies:02d} bản có giá trị như nhau; Đoàn kiểm tra giữ 01 bản, đơn vị"
               f" được kiểm tra giữ {max(1, copies - 1):02d} bản.")
    return MinutesDocument(
        header=header,
        summary=s.title,
        legal_basis=_basis(insp.legal_basis),
        opening=(opening,),
        team=tuple(Participant(x.full_name, x.position, TEAM_ROLES[x.role]) for x in team.members),
        signatures=tuple(blocks),
        unit_representatives=tuple(reps),
        others=tuple(Participant(n, p, r) for n, p, r in m.other_participants),
        subjects_text=subjects_text,
        content_intro=intro,
        results=_results(content),
        explanation=paragraphs(insp.explanation),
        strengths=paragraphs(m.strengths),
        shortcomings=paragraphs(insp.team_remarks),
        immediate_requests=paragraphs(m.immediate_requests),
        closing=closing,
        refusals=tuple(Refusal(n, r) for n, r in m.refusals),
        recipients=m.recipients,
        matrix=level_matrix(content),
        evidence=content.entries,
        info=PdfInfo(created=created, document_id=f"{insp.id}-minutes",
                     title=f"Biên bản kiểm tra — {content.unit_name}", author=issuing,
                     keywords=("Chỉ thị 24-CT/TU", "biên bản kiểm tra")),
    )


def build_conclusion(content: InspectionContent, *, created: datetime | None = None,
                     drawn: bytes | None = None) -> ConclusionDocument:
    insp, c = content.inspection, content.conclusion
    s = insp.summary
    team = insp.team
    notice = c.doc_type == "notice" or s.regime == "state"
    issuing = c.issuing_body or (team.issuing_body if team else "") or "ĐOÀN KIỂM TRA"
    issue_day = date.fromisoformat(c.issue_date) if c.issue_date else None
    header = Header(_regime(s.regime), c.superior_body or (team.superior_body if team else "") or content.superior_unit,
                    issuing, "TB" if notice else "KL", _abbreviation(issuing, "TU"), c.number, c.place_name,
                    issue_day, show_place_date=True)
    start = _local(insp.actual_start)
    when = f"ngày {start:%d/%m/%Y}" if start else "trong thời gian kiểm tra"
    lead = (f"Thực hiện Quyết định số {s.decision_no} ngày {ui_date(s.decision_date)}"
            f"{' của ' + insp.decision_issuer if insp.decision_issuer else ''}, {when} Đoàn kiểm tra đã kiểm tra"
            f" {'đột xuất ' if s.kind == 'surprise' else ''}việc chấp hành kỷ cương, kỷ luật và trách nhiệm trong"
            f" thực thi công vụ tại {content.unit_name}. Xét báo cáo của Đoàn kiểm tra, {issuing.capitalize()}"
            " kết luận như sau:",)
    rows = tuple(RequirementRow(r.content, r.responsible, date.fromisoformat(r.deadline),
                                date.fromisoformat(r.report_back_date)) for r in content.requirements)
    report_back = max((r.report_back for r in rows if r.report_back), default=None)
    sentence = (f"{content.unit_name} báo cáo kết quả khắc phục bằng văn bản về {issuing.capitalize()} trước"
                f" ngày {report_back:%d/%m/%Y}." if report_back else "")
    summary_text = c.findings_summary or summary_of_findings(content)
    signature = SignatureBlock(FIELD_SIGNER, c.signer_position or "TRƯỞNG ĐOÀN", c.signer_name or (
        next((x.full_name for x in team.members if x.role == "leader"), "") if team else ""),
        authority=c.signer_authority, authority_body=c.signer_authority_body or issuing,
        drawn_signature_png=drawn)
    return ConclusionDocument(
        header=header,
        summary=f"Kết luận kiểm tra {'đột xuất ' if s.kind == 'surprise' else ''}đối với {content.unit_name}",
        legal_basis=_basis(insp.legal_basis),
        lead=lead,
        signature=signature,
        findings_summary=paragraphs(summary_text),
        strengths=paragraphs(c.strengths),
        shortcomings=paragraphs(c.shortcomings),
        causes=paragraphs(c.causes),
        requirements=rows,
        report_back_sentence=sentence,
        follow_up=paragraphs(c.follow_up),
        recipients=c.recipients or (f"{content.unit_name};", "Lưu: VT, ĐKT."),
        matrix=level_matrix(content),
        evidence=content.entries,
        type_name="THÔNG BÁO" if notice else "KẾT LUẬN",
        info=PdfInfo(created=created, document_id=f"{insp.id}-conclusion",
                     title=f"Kết luận kiểm tra — {content.unit_name}", author=issuing,
                     keywords=("Chỉ thị 24-CT/TU", "kết luận kiểm tra")),
    )
