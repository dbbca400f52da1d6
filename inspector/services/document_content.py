"""From the store to the document models: what the minutes and the conclusion say.

Pure reading: nothing here writes. The wording follows the document brief §4 and §8; every
sentence that is not the user's own text is built here (findings prose in document_prose.py).
The regime of a document follows its issuing body (issuers.py); names keep the capitals they
were typed with; every date is written "ngày 07 tháng 8 năm 2024".
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    SignatureBlock,
    document_time,
    load_style,
)
from inspector.documents.model import Regime
from inspector.domain import TEAM_ROLES, EvidenceRef, FindingsMatrix, Inspection, Requirement
from inspector.errors import NotFoundError
from inspector.issuers import abbreviate, document_regime
from inspector.services.document_prose import (
    People,
    clause,
    findings_summary,
    not_assessed_paragraphs,
    results_sections,
    sentence,
)
from inspector.text import document_date
from inspector.vault import Vault

FIELD_UNIT = "Sig_DaiDienDonVi"
FIELD_SECRETARY = "Sig_ThuKy"
FIELD_LEADER = "Sig_TruongDoan"
FIELD_SIGNER = "Sig_NguoiKy"
ROLE_FIELDS = {"unit_rep": FIELD_UNIT, "secretary": FIELD_SECRETARY, "leader": FIELD_LEADER, "signer": FIELD_SIGNER}
ROLE_LABELS = {"unit_rep": "Đại diện đơn vị được kiểm tra", "secretary": "Thư ký Đoàn",
               "leader": "Trưởng đoàn", "signer": "Người ký kết luận"}
THUMBNAIL_PX = 240
BLANK = "……"


@dataclass(frozen=True)
class MinutesDetails:
    """What the team fills in for the minutes. People are tuples so a table editor can hold them:
    representatives (name, position[, honorific]), others (name, position, role[, honorific]),
    refusals (name, reason); the honorific is "Ông", "Bà" or "" (not recorded)."""

    number: str = ""
    place_name: str = "Hà Nội"
    unit_representatives: tuple[tuple[str, str] | tuple[str, str, str], ...] = ()
    other_participants: tuple[tuple[str, str, str] | tuple[str, str, str, str], ...] = ()
    copies: int = 2
    refusals: tuple[tuple[str, str], ...] = ()
    with_secretary: bool = True
    recipients: tuple[str, ...] = ()
    strengths: str = ""
    immediate_requests: str = ""


@dataclass(frozen=True)
class ConclusionDetails:
    """The conclusion is issued by the body that set up the team (`issuing_body`, defaulting to the
    team's superior body), in that body's regime, citing the team's report by number and date.
    `concluding_body` is how the text names the deciding collective ("Ban Thường vụ Thành ủy Hà
    Nội"); it defaults to the inspection's decision issuer."""

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
    issuing_abbr: str = ""
    concluding_body: str = ""
    report_number: str = ""
    report_date: str = ""


def _person_rows(raw: str, keys: tuple[str, ...]) -> tuple[Any, ...]:
    rows = []
    for p in json.loads(raw):
        values = [str(p.get(k, "")) for k in keys]
        while values and not values[-1] and len(values) > len(keys) - 1:
            values.pop()  # the honorific is optional: (name, position) when it is not recorded
        rows.append(tuple(values))
    return tuple(rows)


def minutes_details(row: dict[str, Any] | None) -> MinutesDetails:
    if row is None:
        return MinutesDetails()
    return MinutesDetails(
        number=row["number"], place_name=row["place_name"],
        unit_representatives=_person_rows(row["unit_representatives"], ("name", "position", "honorific")),
        other_participants=_person_rows(row["other_participants"], ("name", "position", "role", "honorific")),
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
        signer_name=row["signer_name"], recipients=tuple(json.loads(row["recipients"])),
        issuing_abbr=row["issuing_abbr"], concluding_body=row["concluding_body"],
        report_number=row["report_number"], report_date=row["report_date"],
    )


def paragraphs(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _local(moment: str | None) -> datetime | None:
    return parse_rfc3339(moment).astimezone(VIETNAM_TZ) if moment else None


def _basis(lines: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(line if line.lower().startswith("căn cứ") else f"Căn cứ {line}" for line in lines)


def _pick(row: tuple[str, ...], index: int) -> str:
    return row[index] if len(row) > index else ""


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
    requirements: list[Requirement]
    minutes: MinutesDetails
    conclusion: ConclusionDetails
    entries: tuple[EvidenceEntry, ...]  # the evidence appendix, thumbnails made once
    honorifics: Mapping[str, str] = field(default_factory=dict)  # person id -> "Ông" | "Bà"


# -- who issues, who signs -------------------------------------------------------------------

def minutes_regime(content: InspectionContent) -> Regime:
    team = content.inspection.team
    bodies = (team.issuing_body, team.superior_body) if team else ()
    return document_regime(content.inspection.summary.regime, *bodies)


def conclusion_issuer(content: InspectionContent) -> tuple[str, str]:
    """(issuing body as the header prints it, its document-symbol abbreviation)."""
    c, team = content.conclusion, content.inspection.team
    body = c.issuing_body or (team.superior_body if team else "")
    if c.issuing_abbr:
        abbr = c.issuing_abbr
    elif team and team.superior_abbr and body == team.superior_body:
        abbr = team.superior_abbr
    else:
        abbr = abbreviate(body)
    return body, abbr


def conclusion_regime(content: InspectionContent) -> Regime:
    body, _ = conclusion_issuer(content)
    return document_regime(content.inspection.summary.regime, body, content.conclusion.superior_body)


def concluding_body(content: InspectionContent) -> str:
    c = content.conclusion
    return c.concluding_body or content.inspection.decision_issuer or conclusion_issuer(content)[0]


def signer_name(content: InspectionContent, kind: str, role: str) -> tuple[str, str]:
    """(name printed under the slot, honorific) of the person who signs `role`."""
    team = content.inspection.team
    if kind == "conclusion":
        return content.conclusion.signer_name, ""
    if role == "unit_rep":
        reps = content.minutes.unit_representatives
        return (_pick(reps[0], 0), _pick(reps[0], 2)) if reps else ("", "")
    wanted = {"leader": "leader", "secretary": "secretary"}.get(role)
    if team is not None and wanted:
        member = next((m for m in team.members if m.role == wanted), None)
        if member is not None:
            return member.full_name, member.honorific
    return "", ""


def _people(content: InspectionContent, regime: Regime) -> People:
    return People(load_style(regime).lists.honorific, content.honorifics)


# -- evidence ------------------------------------------------------------------------------------

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
        when = f"{document_time(moment.time())}, {document_date(moment.date().isoformat())}" if moment else ""
        out.append(EvidenceEntry(ref.file_name, ref.sha256, when, ref.caption, _thumbnail(vault, ref)))
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


def summary_of_findings(content: InspectionContent) -> str:
    """The automatic summary of findings the team edits for the conclusion (prose)."""
    insp = content.inspection
    return findings_summary(content.checklist, content.catalog, insp.subjects, content.matrix,
                            _people(content, conclusion_regime(content)))


# -- the minutes ---------------------------------------------------------------------------------

def _opening(content: InspectionContent, start: datetime | None) -> str:
    s, insp = content.inspection.summary, content.inspection
    where = insp.location or content.unit_address or content.unit_name
    kind = "đột xuất " if s.kind == "surprise" else ""
    when = (f"vào hồi {document_time(start.time())}, {document_date(start.date().isoformat())}" if start
            else f"vào hồi {BLANK} giờ {BLANK} phút, ngày {BLANK} tháng {BLANK} năm {BLANK}")
    return sentence(f"Hôm nay, {when}, tại {clause(where)}, Đoàn kiểm tra tiến hành kiểm tra {kind}"
                    f"tại {clause(content.unit_name)}")


def build_minutes(content: InspectionContent, *, drawn: dict[str, bytes] | None = None,
                  created: datetime | None = None, unassessed_reason: str = "") -> MinutesDocument:
    """The minutes; `drawn` holds hand-drawn signatures (by role) of people who sign by hand only;
    `unassessed_reason` is the reason typed when sealing with cells not assessed (printed)."""
    insp, m = content.inspection, content.minutes
    s = insp.summary
    team = insp.team
    if team is None or not team.members:
        raise NotFoundError("Đợt kiểm tra chưa có Đoàn kiểm tra; biên bản cần thành phần Đoàn.",
                            hint="Chọn đoàn kiểm tra trong phần “Sửa thông tin đợt kiểm tra”.")
    leader = next((x for x in team.members if x.role == "leader"), None)
    if leader is None:
        raise NotFoundError("Đoàn kiểm tra chưa có Trưởng đoàn.", hint="Chọn Trưởng đoàn ở màn hình Đơn vị và cán bộ.")
    regime = minutes_regime(content)
    people = _people(content, regime)
    start, end = _local(insp.actual_start), _local(insp.actual_end)
    issuing = team.issuing_body or "ĐOÀN KIỂM TRA"
    header = Header(regime, team.superior_body or content.superior_unit, issuing, "BB",
                    team.issuing_abbr or abbreviate(issuing), m.number, m.place_name,
                    start.date() if start else None, show_place_date=False)
    subjects_text = tuple(f"{n}. {people.line(x)}" for n, x in enumerate(insp.subjects, start=1))
    checklist = content.checklist
    intro = (f"Nội dung kiểm tra: việc chấp hành kỷ cương, kỷ luật và trách nhiệm trong thực thi công vụ theo"
             f" {clause(checklist.title)} (phiên bản {checklist.version}), gồm {len(checklist.items)} nội dung,"
             " mỗi nội dung được nhận diện theo 3 mức độ.",)
    secretary = next((x for x in team.members if x.role == "secretary"), None)
    reps = [Participant(_pick(r, 0), _pick(r, 1), honorific=_pick(r, 2)) for r in m.unit_representatives]
    others = [Participant(_pick(r, 0), _pick(r, 1), _pick(r, 2), _pick(r, 3)) for r in m.other_participants]
    honorific_of = {p.name: p.honorific for p in [*reps, *others]}
    honorific_of |= {x.full_name: x.honorific for x in team.members}
    drawn = drawn or {}
    rep = reps[0] if reps else None
    blocks = [SignatureBlock(FIELD_UNIT, "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA", rep.name if rep else "",
                             drawn_signature_png=drawn.get("unit_rep"))]
    if m.with_secretary and secretary is not None:
        blocks.append(SignatureBlock(FIELD_SECRETARY, "THƯ KÝ", secretary.full_name,
                                     drawn_signature_png=drawn.get("secretary")))
    blocks.append(SignatureBlock(FIELD_LEADER, "TRƯỞNG ĐOÀN", leader.full_name, authority="on_behalf",
                                 authority_body="ĐOÀN KIỂM TRA", drawn_signature_png=drawn.get("leader")))
    ended = (f"Buổi kiểm tra kết thúc vào hồi {document_time(end.time())} cùng ngày." if end is not None
             else f"Buổi kiểm tra kết thúc vào hồi {BLANK} giờ {BLANK} phút cùng ngày.")
    copies = max(1, m.copies)
    closing = (ended, "Biên bản đã được đọc lại cho các thành phần tham dự cùng nghe, thống nhất nội dung và ký tên.",
               f"Biên bản được lập thành {copies:02d} bản có giá trị như nhau; Đoàn kiểm tra giữ 01 bản, đơn vị"
               f" được kiểm tra giữ {max(1, copies - 1):02d} bản.")
    matrix = level_matrix(content)
    has_appendix = bool(matrix.item_codes and matrix.subject_names) or bool(content.entries)
    return MinutesDocument(
        header=header,
        summary=s.title,
        legal_basis=_basis(insp.legal_basis),
        opening=(_opening(content, start),),
        team=tuple(Participant(x.full_name, x.position, TEAM_ROLES[x.role], x.honorific) for x in team.members),
        signatures=tuple(blocks),
        unit_representatives=tuple(reps),
        others=tuple(others),
        subjects_text=subjects_text,
        content_intro=intro,
        results=results_sections(checklist, content.catalog, insp.subjects, content.matrix, content.evidence,
                                 people),
        not_assessed=not_assessed_paragraphs(checklist, insp.subjects, content.matrix, people, unassessed_reason),
        explanation=paragraphs(insp.explanation),
        strengths=paragraphs(m.strengths),
        shortcomings=paragraphs(insp.team_remarks),
        immediate_requests=paragraphs(m.immediate_requests),
        closing=closing,
        refusals=tuple(Refusal(_pick(r, 0), _pick(r, 1), honorific_of.get(_pick(r, 0), "")) for r in m.refusals),
        recipients=m.recipients,
        matrix=matrix,
        evidence=content.entries,
        type_ref="Biên bản",
        issuer_name=team.name,
        page_count_line="Biên bản gồm {pages} trang" + (" (không kể phụ lục)." if has_appendix else "."),
        info=PdfInfo(created=created, document_id=f"{insp.id}-minutes",
                     title=f"Biên bản kiểm tra — {content.unit_name}", author=issuing,
                     keywords=("Chỉ thị 24-CT/TU", "biên bản kiểm tra")),
    )


# -- the conclusion ------------------------------------------------------------------------------

def _report(c: ConclusionDetails) -> str:
    number = c.report_number.strip() or BLANK
    when = document_date(c.report_date) if c.report_date else f"ngày {BLANK}"
    return f"Báo cáo số {number} {when}"


def build_conclusion(content: InspectionContent, *, created: datetime | None = None,
                     drawn: bytes | None = None) -> ConclusionDocument:
    insp, c = content.inspection, content.conclusion
    s = insp.summary
    team = insp.team
    regime = conclusion_regime(content)
    style = load_style(regime)
    notice = regime == "state" or c.doc_type == "notice"
    issuing, abbr = conclusion_issuer(content)
    body = concluding_body(content)
    issue_day = date.fromisoformat(c.issue_date) if c.issue_date else None
    header = Header(regime, c.superior_body, issuing or BLANK, "TB" if notice else "KL", abbr, c.number,
                    c.place_name, issue_day, show_place_date=True)
    team_name = team.name if team else "Đoàn kiểm tra"
    kind = "đột xuất" if s.kind == "surprise" else ""
    start, end = _local(insp.actual_start), _local(insp.actual_end)
    if start and end and end.date() != start.date():
        when = f"từ {document_date(start.date().isoformat())} đến {document_date(end.date().isoformat())}"
    elif start:
        when = document_date(start.date().isoformat())
    else:
        when = "trong thời gian kiểm tra"
    decision = f"Quyết định số {clause(s.decision_no)}"
    if s.decision_date:
        decision += f" {document_date(s.decision_date)}"
    if insp.decision_issuer:
        decision += f" của {clause(insp.decision_issuer)}"
    verb = "thông báo kết luận" if notice else "kết luận"
    lead = (f"Thực hiện {decision} về việc thành lập Đoàn kiểm tra, {when}, {clause(team_name)} đã kiểm tra"
            f" {kind + ' ' if kind else ''}việc chấp hành kỷ cương, kỷ luật và trách nhiệm trong thực thi công vụ"
            f" tại {clause(content.unit_name)}. Xét {_report(c)} của {clause(team_name)}, {clause(body)} {verb}"
            " như sau:",)
    rows = tuple(RequirementRow(r.content, r.responsible, date.fromisoformat(r.deadline),
                                date.fromisoformat(r.report_back_date) if r.report_back_date else None)
                 for r in content.requirements)
    report_back = max((r.report_back for r in rows if r.report_back), default=None)
    report_sentence = (sentence(f"{clause(content.unit_name)} báo cáo kết quả thực hiện bằng văn bản về"
                                f" {clause(body)} trước {document_date(report_back.isoformat())}")
                       if report_back else "")
    summary_text = c.findings_summary or summary_of_findings(content)
    summary_key = "notice_summary" if notice else "conclusion_summary"
    title = " ".join(style.label(summary_key, body=clause(body), kind=kind, unit=clause(content.unit_name)).split())
    signature = SignatureBlock(FIELD_SIGNER, c.signer_position or BLANK, c.signer_name or BLANK,
                               authority=c.signer_authority, authority_body=c.signer_authority_body or body,
                               drawn_signature_png=drawn)
    recipients = c.recipients or tuple(
        line.format(unit=clause(content.unit_name), issuer=clause(issuing), abbr=abbr)
        for line in style.recipients.conclusion_default)
    return ConclusionDocument(
        header=header,
        summary=title[:1].upper() + title[1:] if regime == "state" else title,
        legal_basis=_basis(insp.legal_basis),
        lead=lead,
        signature=signature,
        findings_summary=paragraphs(summary_text),
        strengths=paragraphs(c.strengths),
        shortcomings=paragraphs(c.shortcomings),
        causes=paragraphs(c.causes),
        requirements=rows,
        report_back_sentence=report_sentence,
        follow_up=paragraphs(c.follow_up),
        recipients=recipients,
        matrix=level_matrix(content),
        evidence=content.entries,
        type_name="THÔNG BÁO" if notice else "KẾT LUẬN",
        type_ref="Thông báo" if notice else "Kết luận",
        issuer_name=clause(body),
        info=PdfInfo(created=created, document_id=f"{insp.id}-conclusion",
                     title=f"Kết luận kiểm tra — {content.unit_name}", author=issuing,
                     keywords=("Chỉ thị 24-CT/TU", "kết luận kiểm tra")),
    )
