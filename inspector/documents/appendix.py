"""Appendices: the findings matrix (item × subject → level) and the evidence list.

A 41 × 30 matrix does not fit one page: subjects are split into column chunks of equal size,
each chunk a table whose heading row repeats on every page, on landscape pages if the style
allows (ND30 permits landscape for wide tables). Subject names stand vertically in the heading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, NextPageTemplate, PageBreak, Spacer

from inspector.documents.blocks import Kit, roman
from inspector.documents.flowables import RestartNumbering, Thumbnail, VerticalText
from inspector.documents.layout import LANDSCAPE, PORTRAIT, frame_width
from inspector.documents.model import EvidenceEntry, Header, LevelMatrix
from inspector.documents.nfc import nfc, upper
from inspector.documents.styles import FontSpec

MIN_HEADING_SIZE = 5.5


@dataclass(frozen=True)
class Reference:
    """What each appendix heading cites: "(Kèm theo Biên bản số 05/BB-ĐKT ngày … của …)"."""

    type_ref: str
    issuer_name: str
    header: Header


def appendices(kit: Kit, ref: Reference, matrix: LevelMatrix | None,
               evidence: tuple[EvidenceEntry, ...]) -> list[Flowable]:
    story: list[Flowable] = []
    number = 0
    if matrix is not None and matrix.item_codes and matrix.subject_names:
        number += 1
        template = LANDSCAPE if kit.style.appendix.matrix_landscape else PORTRAIT
        story += _opening(kit, number, template, kit.style.label("matrix_title"), ref)
        story += matrix_tables(kit, matrix, frame_width(kit, template))
    if evidence:
        number += 1
        story += _opening(kit, number, PORTRAIT, kit.style.label("evidence_title"), ref)
        story.append(evidence_table(kit, evidence, frame_width(kit, PORTRAIT)))
    return story


def _opening(kit: Kit, number: int, template: str, title: str, ref: Reference) -> list[Flowable]:
    a = kit.style.appendix
    out: list[Flowable] = [NextPageTemplate(template), PageBreak()]
    if kit.style.page.appendix_restarts_numbering:
        out.append(RestartNumbering(kit.numbering))
    reference = kit.style.label("appendix_reference", type=ref.type_ref.strip(),
                                number=kit.number_symbol(ref.header),
                                date=kit.date_text(ref.header), issuer=ref.issuer_name.strip())
    out += [kit.centred(kit.style.label("appendix_label", roman=roman(number)), a.label),
            kit.centred(upper(title), a.title, before=2),
            kit.centred(reference, a.reference, before=2),
            Spacer(1, 8)]
    return out


def _chunks(count: int, per_chunk_max: int) -> list[range]:
    """Split `count` subjects into the fewest chunks that fit, all of (nearly) the same size."""
    parts = max(1, math.ceil(count / max(1, per_chunk_max)))
    size = math.ceil(count / parts)
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def _heading(kit: Kit, text: str, length: float, thickness: float, font: FontSpec) -> VerticalText:
    """A vertical subject name, shrunk until it fits the column (long collective names)."""
    size = font.size
    while True:
        f = replace(font, size=size, leading=size * font.leading / font.size)
        para = kit.para(text, f, align=TA_CENTER)
        _, needed = para.wrap(length, 10_000)
        if needed <= thickness or size <= MIN_HEADING_SIZE:
            return VerticalText(para, length)
        size -= 0.5


def matrix_tables(kit: Kit, matrix: LevelMatrix, width: float) -> list[Flowable]:
    a = kit.style.appendix
    label = kit.style.label
    per_chunk_max = max(1, int((width - a.matrix_code - a.matrix_text) // a.matrix_subject))
    chunks = _chunks(len(matrix.subject_names), per_chunk_max)
    col = a.matrix_subject
    # The item text takes whatever the subject columns leave: fewer wrapped lines, fewer pages.
    text_width = width - a.matrix_code - col * max(len(c) for c in chunks)
    pad = 2.0
    head_font = a.matrix_header_font
    not_assessed = nfc(label("matrix_not_assessed"))
    shades = [colors.Color(s, s, s) for s in a.matrix_level_shades]
    legend_font = replace(a.matrix_font, italic=True)
    # The legend comes first: after the last rows it could be left alone on a page.
    out: list[Flowable] = [kit.para(label("matrix_legend"), legend_font, after=4)]
    for part, subjects in enumerate(chunks, 1):
        if len(chunks) > 1:
            caption = label("matrix_part", part=part, parts=len(chunks), first=subjects[0] + 1,
                            last=subjects[-1] + 1)
            out.append(kit.para(caption, replace(a.matrix_font, bold=True), before=6 if part > 1 else 0,
                                after=3))
        header: list[Any] = [kit.para(label("matrix_code"), head_font, align=TA_CENTER),
                             kit.para(label("matrix_item"), head_font, align=TA_CENTER)]
        header += [_heading(kit, f"{j + 1}. {matrix.subject_names[j]}", a.matrix_header_height - 2 * pad,
                            col - 2 * pad, head_font) for j in subjects]
        rows: list[list[Any]] = [header]
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), a.matrix_grid, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (2, 0), (-1, -1), "CENTER"),
            ("LEFTPADDING", (0, 0), (-1, -1), pad), ("RIGHTPADDING", (0, 0), (-1, -1), pad),
            ("TOPPADDING", (0, 0), (-1, -1), pad), ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
        ]
        for i, code in enumerate(matrix.item_codes):
            row: list[Any] = [kit.para(code, a.matrix_font, align=TA_CENTER),
                              kit.para(matrix.item_texts[i], a.matrix_font)]
            for c, j in enumerate(subjects, start=2):
                level = matrix.level(i, j)
                row.append(not_assessed if level is None else str(level))
                if level is not None and a.matrix_level_shades[level] < 1.0:
                    commands.append(("BACKGROUND", (c, i + 1), (c, i + 1), shades[level]))
            rows.append(row)
        widths = [a.matrix_code, text_width] + [col] * len(subjects)
        table = kit.table(rows, widths, commands, font=a.matrix_level_font, repeat_rows=1, align="LEFT")
        out.append(table)
    return out


def evidence_table(kit: Kit, entries: tuple[EvidenceEntry, ...], width: float) -> Flowable:
    a = kit.style.appendix
    label = kit.style.label
    pad = 3.0
    head = kit.style.table.header_font
    thumb_col = a.evidence_thumb_width + 2 * pad
    number_col = 10 * mm
    rows: list[list[Any]] = [[
        kit.para(label("evidence_number"), head, align=TA_CENTER),
        kit.para(label("evidence_thumbnail"), head, align=TA_CENTER),
        kit.para(label("evidence_description"), head, align=TA_CENTER),
    ]]
    bold = replace(a.evidence_font, bold=True)
    for n, entry in enumerate(entries, 1):
        thumbnail = (Thumbnail.create(entry.thumbnail_jpeg, a.evidence_thumb_width, a.evidence_thumb_height)
                     if entry.thumbnail_jpeg else None)
        picture: Flowable = thumbnail or kit.para(label("evidence_no_thumbnail"),
                                                  replace(a.evidence_font, italic=True), align=TA_CENTER)
        text: list[Flowable] = [kit.para(entry.file_name, bold)]
        if entry.caption.strip():
            text.append(kit.para(entry.caption, a.evidence_font))
        if entry.captured_at_text.strip():
            text.append(kit.para(label("evidence_captured", time=entry.captured_at_text), a.evidence_font))
        text.append(kit.para(label("evidence_hash", sha256=entry.sha256.lower()), a.evidence_hash_font))
        rows.append([kit.para(str(n), a.evidence_font, align=TA_CENTER), picture, text])
    return kit.table(rows, [number_col, thumb_col, width - number_col - thumb_col], [
        ("GRID", (0, 0), (-1, -1), kit.style.table.grid, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad), ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), pad), ("BOTTOMPADDING", (0, 0), (-1, -1), pad),
    ], font=a.evidence_font, repeat_rows=1, align="LEFT")
