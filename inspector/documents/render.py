"""Entry points: a document value in, a PDF/A-2b file and its signature rectangles out."""

from __future__ import annotations

from datetime import datetime

from reportlab.platypus import Flowable

from inspector.clock import VIETNAM_TZ
from inspector.documents.appendix import appendices
from inspector.documents.blocks import Kit
from inspector.documents.conclusion import conclusion_story
from inspector.documents.fonts import register_fonts
from inspector.documents.layout import build
from inspector.documents.minutes import minutes_story
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
    """Render the inspection minutes. `style` defaults to the bundled table of the header's regime."""
    kit = _kit(doc.header, style)
    story = minutes_story(kit, doc) + appendices(kit, doc.type_name, doc.header, doc.matrix, doc.evidence)
    return _finish(kit, story, doc.header, doc.type_name, doc.summary, doc.info, doc.signatures)


def render_conclusion(doc: ConclusionDocument, style: Style | None = None) -> RenderedDocument:
    """Render the conclusion or notice of conclusion (one signer, Nơi nhận beside the signature)."""
    kit = _kit(doc.header, style)
    story = conclusion_story(kit, doc) + appendices(kit, doc.type_name, doc.header, doc.matrix, doc.evidence)
    return _finish(kit, story, doc.header, doc.type_name, doc.summary, doc.info, (doc.signature,))


def _kit(header: Header, style: Style | None) -> Kit:
    chosen = style or load_style(header.regime)
    if chosen.regime != header.regime:
        raise BugError(f"style for {chosen.regime!r} used on a {header.regime!r} document")
    return Kit(chosen, register_fonts())


def _finish(kit: Kit, story: list[Flowable], header: Header, type_name: str, summary: str,
            info: PdfInfo, blocks: tuple[SignatureBlock, ...]) -> RenderedDocument:
    symbol = " ".join(f"{kit.style.header.number_prefix} {kit.number_symbol(header)}".split())
    title = info.title or f"{nfc(type_name).strip().capitalize()}: {summary.strip()}"
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
