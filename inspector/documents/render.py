"""Entry points: a document value in, a PDF/A-2b file and its signature rectangles out."""

from __future__ import annotations

from datetime import datetime

from reportlab.platypus import Flowable

from inspector.clock import VIETNAM_TZ
from inspector.documents.appendix import Reference, appendices
from inspector.documents.blocks import Kit
from inspector.documents.conclusion import conclusion_story
from inspector.documents.fonts import register_fonts
from inspector.documents.layout import build
from inspector.documents.minutes import PAGES_PROBE, minutes_story
from inspector.documents.model import (
    ConclusionDocument,
    Header,
    MinutesDocument,
    PdfInfo,
    RenderedDocument,
    SignatureBlock,
)
from inspector.documents.nfc import nfc
from inspector.documents.pdfa import PdfaInfo, to_pdfa
from inspector.documents.styles import Style, load_style
from inspector.errors import BugError


def render_minutes(doc: MinutesDocument, style: Style | None = None) -> RenderedDocument:
    """Render the inspection minutes. `style` defaults to the bundled table of the header's regime.

    With a page-count line, the minutes (without appendices) are laid out once to count their
    pages; the probe prints "00", which has the width of any two digits, so the real layout is
    the same. Appendices, the expensive part, are laid out once.
    """
    chosen = style or load_style(doc.header.regime)
    pages: int | None = None
    if "{pages}" in doc.page_count_line:
        probe = _kit(doc.header, chosen)
        _, pages = build(probe, minutes_story(probe, doc, PAGES_PROBE), title="", author="", subject="")
    kit = _kit(doc.header, chosen)
    ref = Reference(doc.type_ref, doc.issuer_name, doc.header)
    story = minutes_story(kit, doc, pages) + appendices(kit, ref, doc.matrix, doc.evidence)
    return _finish(kit, story, doc.header, doc.type_ref, doc.summary, doc.info, doc.signatures)


def render_conclusion(doc: ConclusionDocument, style: Style | None = None) -> RenderedDocument:
    """Render the conclusion or notice of conclusion (one signer, Nơi nhận beside the signature)."""
    kit = _kit(doc.header, style)
    ref = Reference(doc.type_ref, doc.issuer_name or doc.header.issuing_body, doc.header)
    story = conclusion_story(kit, doc) + appendices(kit, ref, doc.matrix, doc.evidence)
    return _finish(kit, story, doc.header, doc.type_ref, doc.summary, doc.info, (doc.signature,))


def _kit(header: Header, style: Style | None) -> Kit:
    chosen = style or load_style(header.regime)
    if chosen.regime != header.regime:
        raise BugError(f"style for {chosen.regime!r} used on a {header.regime!r} document")
    return Kit(chosen, register_fonts())


def _finish(kit: Kit, story: list[Flowable], header: Header, type_ref: str, summary: str,
            info: PdfInfo, blocks: tuple[SignatureBlock, ...]) -> RenderedDocument:
    symbol = " ".join(f"{kit.style.header.number_prefix} {kit.number_symbol(header)}".split())
    title = info.title or f"{nfc(type_ref).strip()}: {summary.strip()}"
    author = info.author or nfc(header.issuing_body).strip()
    subject = info.subject or symbol
    raw, pages = build(kit, story, title=title, author=author, subject=subject)
    landed = {f.name for f in kit.fields}
    missing = [b.field_name for b in blocks if b.field_name not in landed]
    if missing:
        raise BugError(f"signature boxes never drawn: {missing}")
    created = info.created or datetime.now(VIETNAM_TZ)
    if created.tzinfo is None:
        created = created.replace(tzinfo=VIETNAM_TZ)
    pdf = to_pdfa(raw, PdfaInfo(title=title, author=author, subject=subject, keywords=info.keywords,
                                created=created, document_id=info.document_id))
    return RenderedDocument(pdf=pdf, fields=tuple(kit.fields), page_count=pages)
