"""The story of the inspection minutes (biên bản kiểm tra), block by block (brief §8.2)."""

from __future__ import annotations

from dataclasses import replace

from reportlab.lib.enums import TA_JUSTIFY
from reportlab.platypus import Flowable, KeepTogether, Spacer

from inspector.documents.blocks import Kit, end_mark, split_paragraphs
from inspector.documents.model import MinutesDocument, SignatureBlock

KEEP_WITH_SIGNATURES = 3  # the closing paragraphs (refusal, page count, copies) stay with the signatures
PAGES_PROBE = 0  # renders "00": digits share one width, so the probe lays out like the real text


def closing_paragraphs(kit: Kit, doc: MinutesDocument, pages: int | None) -> list[str]:
    """closing[:-1], the refusals, the page-count line (minutes of 2+ pages), closing[-1] + "./."."""
    label = kit.style.label
    closing = split_paragraphs(doc.closing)
    out = closing[:-1]
    for refusal in doc.refusals:
        text = label("refusal", who=kit.who(refusal.name, refusal.honorific),
                     reason=refusal.reason.strip().rstrip("."))
        out.append(text.rstrip(".") + ".")
    if doc.page_count_line and pages is not None and (pages == PAGES_PROBE or pages > 1):
        out.append(doc.page_count_line.replace("{pages}", f"{pages:02d}"))
    if closing:
        out.append(closing[-1])
    if out:
        out[-1] = end_mark(out[-1])
    return out


def minutes_story(kit: Kit, doc: MinutesDocument, pages: int | None = None) -> list[Flowable]:
    """The minutes without appendices; `pages` is the page count of this story (None: unknown)."""
    label = kit.style.label
    story: list[Flowable] = [kit.header(doc.header), *kit.title(doc.type_name, doc.summary)]
    story += kit.legal_basis(doc.legal_basis)
    story += kit.bodies(doc.opening)
    sections = 0

    def section(title: str) -> None:
        nonlocal sections
        sections += 1
        story.append(kit.section(sections, title))

    section(label("composition"))
    groups = [(label("team"), doc.team), (label("unit_representatives"), doc.unit_representatives),
              (label("others"), doc.others)]
    for number, (title, people) in enumerate([g for g in groups if g[1]], 1):
        story.append(kit.clause(number, title))
        story += kit.participants(people)

    if split_paragraphs(doc.subjects_text + doc.content_intro):
        section(label("scope"))
        story += kit.bodies(doc.subjects_text + doc.content_intro)

    if doc.results:
        section(label("results"))
    italic = replace(kit.style.body.font, italic=True)
    for number, result in enumerate(doc.results, 1):
        story.append(kit.clause(number, result.title))
        story += kit.bodies(result.paragraphs)
        if split_paragraphs(result.evidence_lines):
            story.append(kit.para(label("evidence_lines"), italic, align=TA_JUSTIFY,
                                  first_indent=kit.style.body.first_line_indent,
                                  before=kit.style.body.space_before, keep_with_next=True))
            story += kit.items(split_paragraphs(result.evidence_lines))
    story += kit.bodies(doc.not_assessed)

    section(label("explanation"))
    story += kit.bodies(doc.explanation) or [kit.body(label("nothing"))]

    remarks = [(label("strengths"), doc.strengths), (label("shortcomings"), doc.shortcomings),
               (label("immediate_requests"), doc.immediate_requests)]
    remarks = [(title, paras) for title, paras in remarks if split_paragraphs(paras)]
    if remarks:
        section(label("remarks"))
        for number, (title, paras) in enumerate(remarks, 1):
            story.append(kit.clause(number, title))
            story += kit.bodies(paras)

    story += [kit.body(text) for text in closing_paragraphs(kit, doc, pages)]

    signatures = _signatures(kit, doc.signatures)
    keep = story[-KEEP_WITH_SIGNATURES:]
    del story[-KEEP_WITH_SIGNATURES:]
    story.append(KeepTogether([*keep, Spacer(1, kit.style.signature.space_before), signatures]))
    recipients = kit.recipients(doc.recipients)
    if recipients:
        story += [Spacer(1, 12), KeepTogether(recipients)]
    return story


def _signatures(kit: Kit, blocks: tuple[SignatureBlock, ...]) -> Flowable:
    """Unit representative left, team leader right (room for the seal on the leader's left)."""
    widths = kit.style.signature.columns[len(blocks)]
    placed: list[SignatureBlock | None] = [None, *blocks] if len(blocks) == 1 else list(blocks)
    return kit.signature_table(placed, widths)
