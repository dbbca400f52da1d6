"""What goes into the two official documents, as plain values; no database, no layout.

The caller (the services layer) fills these from the store; the renderer only lays them out.
Vietnamese strings arrive as the user wrote them: the renderer NFC-normalises and escapes them.
Every collection is a tuple so a document value can be shared between threads without copying.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Literal

from inspector.errors import BugError

Regime = Literal["party", "state"]
REGIMES: tuple[Regime, ...] = ("party", "state")
LEVELS = (0, 1, 2, 3)

_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


def document_time(value: time) -> str:
    """Clock time as documents write it: '08 giờ 30 phút'."""
    return f"{value.hour:02d} giờ {value.minute:02d} phút"


@dataclass(frozen=True)
class Header:
    """The header table. The regime decides the layout; the caller gives the parts.

    `number` may be "" so the office clerk (Văn thư) writes it in later: the number line keeps a
    blank of fixed width. Digit-only numbers below 10 are zero-padded ("5" → "05").
    """

    regime: Regime
    superior_body: str
    issuing_body: str
    doc_type_abbr: str  # "BB", "KL", "TB"
    body_abbr: str  # "ĐKT", "TU", "UBKTTU"
    number: str = ""
    place_name: str = "Hà Nội"
    date: date | None = None  # None with show_place_date: the date is left blank
    show_place_date: bool = False

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise BugError(f"unknown regime {self.regime!r}")


@dataclass(frozen=True)
class Participant:
    """One person in the composition list: '<honorific> <name> – <position> – <role>'.

    The honorific is the person's own ("Ông", "Bà") from the registry; a regime that addresses
    everybody the same way (Party: "đồng chí") overrides it through its style table. A person
    whose honorific is unknown is written by name only, never "Ông/Bà".
    """

    name: str
    position: str = ""
    role: str = ""
    honorific: str = ""


@dataclass(frozen=True)
class Refusal:
    """A participant who refused to sign, and the reason they gave (recorded in the minutes)."""

    name: str
    reason: str
    honorific: str = ""


@dataclass(frozen=True)
class SignatureBlock:
    """One signer: optional authority line, title line, a 45 × 25 mm signature field, the name.

    `authority` is a key of the style's authority prefixes ("on_behalf" → "TM." or "T/M", "deputy"
    → "KT." or "K/T" …) and `authority_body` what follows it ("ĐOÀN KIỂM TRA"). With no key,
    `authority_body` alone is printed (e.g. "ĐẠI DIỆN ĐƠN VỊ ĐƯỢC KIỂM TRA"). `field_name` names the
    PDF signature field the signing code creates at the recorded rectangle.
    """

    field_name: str
    title_line: str
    name: str
    authority: str = ""
    authority_body: str = ""
    drawn_signature_png: bytes | None = None

    def __post_init__(self) -> None:
        if not _FIELD_NAME.match(self.field_name):
            raise BugError(f"signature field name {self.field_name!r} must be ASCII [A-Za-z0-9_]")


@dataclass(frozen=True)
class ResultSection:
    """Results for one content item or group: observations, then the evidence that backs them."""

    title: str
    paragraphs: tuple[str, ...] = ()
    evidence_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class LevelMatrix:
    """Level of identification per (item, subject) for the appendix; absent or None = not assessed."""

    item_codes: tuple[str, ...]
    item_texts: tuple[str, ...]
    subject_names: tuple[str, ...]
    levels: Mapping[tuple[int, int], int | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.item_codes) != len(self.item_texts):
            raise BugError("matrix: item_codes and item_texts differ in length")
        rows, cols = len(self.item_codes), len(self.subject_names)
        for (i, j), level in self.levels.items():
            if not (0 <= i < rows and 0 <= j < cols):
                raise BugError(f"matrix: cell ({i}, {j}) outside {rows} × {cols}")
            if level is not None and level not in LEVELS:
                raise BugError(f"matrix: level {level!r} at ({i}, {j}) is not 0–3")

    def level(self, item: int, subject: int) -> int | None:
        return self.levels.get((item, subject))


@dataclass(frozen=True)
class EvidenceEntry:
    """One row of the evidence appendix. The thumbnail is JPEG so it is embedded without re-encoding."""

    file_name: str
    sha256: str
    captured_at_text: str = ""
    caption: str = ""
    thumbnail_jpeg: bytes | None = None


@dataclass(frozen=True)
class PdfInfo:
    """Document metadata (Info dictionary and XMP). Fixed values give byte-identical output.

    `created` None means "now"; `document_id` "" derives the file identifier from the content.
    Title and author default to the document's type and summary and to the issuing body.
    """

    created: datetime | None = None
    document_id: str = ""
    title: str = ""
    author: str = ""
    subject: str = ""
    keywords: tuple[str, ...] = ()


def _unique_fields(blocks: tuple[SignatureBlock, ...]) -> None:
    names = [b.field_name for b in blocks]
    if len(set(names)) != len(names):
        raise BugError(f"duplicate signature field names: {names}")


@dataclass(frozen=True)
class MinutesDocument:
    """Biên bản kiểm tra: made and signed on site (document brief §4.1, §8.2).

    `signatures` are laid out left to right: the inspected unit's representative first, the team
    leader last (the seal overlay goes left of the leader's box), an optional secretary between.
    """

    header: Header
    summary: str
    legal_basis: tuple[str, ...]
    opening: tuple[str, ...]
    team: tuple[Participant, ...]
    signatures: tuple[SignatureBlock, ...]
    unit_representatives: tuple[Participant, ...] = ()
    others: tuple[Participant, ...] = ()
    subjects_text: tuple[str, ...] = ()
    content_intro: tuple[str, ...] = ()
    results: tuple[ResultSection, ...] = ()
    not_assessed: tuple[str, ...] = ()  # the cells left "chưa đánh giá" and the reason given at sealing
    explanation: tuple[str, ...] = ()
    strengths: tuple[str, ...] = ()
    shortcomings: tuple[str, ...] = ()
    immediate_requests: tuple[str, ...] = ()
    closing: tuple[str, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    recipients: tuple[str, ...] = ()
    matrix: LevelMatrix | None = None
    evidence: tuple[EvidenceEntry, ...] = ()
    type_name: str = "BIÊN BẢN"
    type_ref: str = "Biên bản"  # how the appendix reference names the document
    issuer_name: str = "Đoàn kiểm tra"  # "… của <issuer_name>" in the appendix reference
    # The last closing paragraphs: "{pages}" is replaced by the number of pages of the minutes
    # themselves (appendices not counted) when there is more than one; otherwise the paragraph
    # holding "{pages}" is left out. The very last paragraph of the body ends with "./.".
    page_count_line: str = ""
    info: PdfInfo = PdfInfo()

    def __post_init__(self) -> None:
        if not 1 <= len(self.signatures) <= 3:
            raise BugError("minutes need 1 to 3 signature blocks")
        _unique_fields(self.signatures)


@dataclass(frozen=True)
class RequirementRow:
    """One remediation requirement: what, who, by when, and when to report back."""

    content: str
    responsible: str
    deadline: date
    report_back: date | None = None


@dataclass(frozen=True)
class ConclusionDocument:
    """Kết luận / Thông báo kết luận kiểm tra, issued after the team reports (brief §4.2, §8.3)."""

    header: Header
    summary: str
    legal_basis: tuple[str, ...]
    lead: tuple[str, ...]
    signature: SignatureBlock
    findings_summary: tuple[str, ...] = ()
    strengths: tuple[str, ...] = ()
    shortcomings: tuple[str, ...] = ()
    causes: tuple[str, ...] = ()
    requirements_intro: tuple[str, ...] = ()
    requirements: tuple[RequirementRow, ...] = ()
    report_back_sentence: str = ""
    follow_up: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    matrix: LevelMatrix | None = None
    evidence: tuple[EvidenceEntry, ...] = ()
    type_name: str = "KẾT LUẬN"  # Party "KẾT LUẬN" or "THÔNG BÁO"; state "THÔNG BÁO"
    type_ref: str = "Kết luận"
    issuer_name: str = ""
    info: PdfInfo = PdfInfo()


@dataclass(frozen=True)
class FieldBox:
    """Where a signature field goes: PDF user space points (x1, y1, x2, y2), origin bottom-left."""

    name: str
    page_index: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class RenderedDocument:
    """A finished PDF/A-2b file and the rectangles of its signature fields (not yet created)."""

    pdf: bytes
    fields: tuple[FieldBox, ...]
    page_count: int
