"""Building blocks shared by both documents: paragraphs, header, title, legal basis, headings,
lists, signature blocks and recipients, all driven by the regime's style table."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from inspector.documents.flowables import Numbering, RuledParagraph, SignatureBox, decoded_size
from inspector.documents.fonts import FontSet
from inspector.documents.model import FieldBox, Header, Participant, SignatureBlock
from inspector.documents.nfc import markup, nfc, upper
from inspector.documents.styles import FontSpec, Style
from inspector.errors import UserError
from inspector.text import document_date

_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
          (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
NBSP = "\u00a0"


def roman(number: int) -> str:
    out = []
    for value, letters in _ROMAN:
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def capitalize_first(text: str) -> str:
    """Upper-case the first letter only ("đồng chí Lan" → "Đồng chí Lan"); unlike str.capitalize(),
    every other letter keeps its case, so proper nouns stay as written."""
    return text[:1].upper() + text[1:] if text else text


def with_honorific(honorific: str, name: str) -> str:
    return " ".join(part for part in (honorific.strip(), name.strip()) if part)


def blank_runs(text: str, factor: int = 2) -> str:
    """Runs of two or more spaces become non-breaking spaces (twice as many), so a blank left for
    handwriting ("ngày     tháng     năm 20…") keeps its room instead of collapsing to one space."""
    return re.sub(r" {2,}", lambda m: NBSP * (len(m.group(0)) * factor), text)


def end_mark(text: str) -> str:
    """The last sentence of a document body ends with "./." (its own final punctuation replaced)."""
    return text.rstrip().rstrip(".;,:") + "./."


def split_paragraphs(texts: Iterable[str]) -> list[str]:
    """Each given string, and each line inside one, becomes a paragraph; blank lines are dropped."""
    return [line.strip() for text in texts for line in text.splitlines() if line.strip()]


def punctuate(items: Sequence[str], separator: str, terminator: str, prefix: str = "") -> list[str]:
    """'- a;' … '- z.' as ND30 and HD36 write lists; the user's own end punctuation is replaced."""
    cleaned = [item.strip().rstrip(";.,:") for item in items if item.strip()]
    last = len(cleaned) - 1
    return [f"{prefix}{item}{terminator if n == last else separator}" for n, item in enumerate(cleaned)]


@dataclass
class Kit:
    """Everything one render needs: style, fonts, paragraph styles, and where boxes landed."""

    style: Style
    fonts: FontSet
    fields: list[FieldBox] = field(default_factory=list)
    numbering: Numbering = field(default_factory=Numbering)
    _cache: dict[tuple[Any, ...], ParagraphStyle] = field(default_factory=dict)

    # --- paragraphs -------------------------------------------------------------------------

    def pstyle(self, font: FontSpec, *, align: int = TA_LEFT, first_indent: float = 0.0,
               left_indent: float = 0.0, before: float = 0.0, after: float = 0.0,
               keep_with_next: bool = False) -> ParagraphStyle:
        key = (font, align, first_indent, left_indent, before, after, keep_with_next)
        found = self._cache.get(key)
        if found is None:
            found = ParagraphStyle(
                f"s{len(self._cache)}", fontName=self.fonts.face(bold=font.bold, italic=font.italic),
                fontSize=font.size, leading=font.leading, alignment=align, firstLineIndent=first_indent,
                leftIndent=left_indent, spaceBefore=before, spaceAfter=after,
                bulletFontName=self.fonts.regular, allowWidows=0, allowOrphans=0,
                keepWithNext=int(keep_with_next),
            )
            self._cache[key] = found
        return found

    def para(self, text: str, font: FontSpec, **kw: Any) -> Paragraph:
        """A paragraph of user or label text: NFC, escaped; underline from the style."""
        body = markup(text)
        if font.underline:
            body = f"<u>{body}</u>"
        return Paragraph(body, self.pstyle(font, **kw))

    def body(self, text: str, *, indent: bool = True) -> Paragraph:
        b = self.style.body
        return self.para(text, b.font, align=TA_JUSTIFY, first_indent=b.first_line_indent if indent else 0,
                         before=b.space_before, after=b.space_after)

    def bodies(self, texts: Iterable[str]) -> list[Flowable]:
        return [self.body(t) for t in split_paragraphs(texts)]

    def centred(self, text: str, font: FontSpec, *, before: float = 0.0) -> Paragraph:
        return self.para(text, font, align=TA_CENTER, before=before)

    def table(self, data: list[list[Any]], widths: Sequence[float], commands: Iterable[tuple[Any, ...]] = (),
              *, font: FontSpec | None = None, repeat_rows: int = 0, align: str = "CENTER") -> Table:
        """Every table names an embedded font, or reportlab falls back to base-14 Helvetica.

        A table with a heading row never leaves a single body row alone on a page: the first two
        and the last two body rows are kept together (reportlab's NOSPLIT), so a split always
        puts at least two rows on each side.
        """
        f = font or self.style.table.font
        table = Table(data, colWidths=list(widths), repeatRows=repeat_rows, hAlign=align)
        keep: list[tuple[Any, ...]] = []
        body_rows = len(data) - repeat_rows
        if repeat_rows and body_rows >= 2:
            keep = [("NOSPLIT", (0, repeat_rows), (-1, repeat_rows + 1)), ("NOSPLIT", (0, -2), (-1, -1))]
        table.setStyle(TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), self.fonts.face(bold=f.bold, italic=f.italic)),
            ("FONTSIZE", (0, 0), (-1, -1), f.size),
            ("LEADING", (0, 0), (-1, -1), f.leading),
            *keep,
            *commands,
        ]))
        return table

    # --- headings ---------------------------------------------------------------------------

    def section(self, number: int, title: str) -> Paragraph:
        h = self.style.headings
        text = h.section_pattern.format(roman=roman(number), title=upper(title) if h.section_upper else title)
        return self.para(text, h.section, align=TA_JUSTIFY, first_indent=h.indent, before=h.space_before * 1.5,
                         keep_with_next=True)

    def clause(self, number: int, title: str) -> Paragraph:
        h = self.style.headings
        return self.para(h.clause_pattern.format(number=number, title=title), h.clause, align=TA_JUSTIFY,
                         first_indent=h.indent, before=h.space_before, keep_with_next=True)

    def point(self, number: int, title: str) -> Paragraph:
        h = self.style.headings
        letter = "abcdefghiklmnopqrstuvxy"[(number - 1) % 23]
        return self.para(h.point_pattern.format(letter=letter, title=title), h.point, align=TA_JUSTIFY,
                         first_indent=h.indent, before=h.space_before, keep_with_next=True)

    # --- lists ------------------------------------------------------------------------------

    def items(self, texts: Sequence[str]) -> list[Flowable]:
        lst = self.style.lists
        return [self.body(t) for t in punctuate(texts, lst.separator, lst.terminator, lst.prefix)]

    def honorific(self, own: str) -> str:
        """The regime's honorific for everybody (Party: "đồng chí"), else the person's own."""
        return self.style.lists.honorific or own

    def who(self, name: str, honorific: str = "") -> str:
        """A person as a sentence starts with them: "Đồng chí Hà", "Bà Lan", or the bare name."""
        return capitalize_first(with_honorific(self.honorific(honorific), name))

    def participants(self, people: Sequence[Participant]) -> list[Flowable]:
        lst = self.style.lists
        lines = []
        for p in people:
            parts = [self.who(p.name, p.honorific), p.position.strip(), p.role.strip()]
            lines.append(lst.participant_separator.join(x for x in parts if x))
        return self.items(lines)

    def legal_basis(self, lines: Sequence[str]) -> list[Flowable]:
        b = self.style.basis
        return [self.para(text, b.font, align=TA_JUSTIFY, first_indent=b.first_line_indent,
                          before=b.space_before)
                for text in punctuate(split_paragraphs(lines), b.separator, b.terminator, b.prefix)]

    # --- header and title -------------------------------------------------------------------

    def number_symbol(self, header: Header) -> str:
        """'05/BB-ĐKT' (State) or '05-BB/ĐKT' (Party); a fixed-width blank when there is no number."""
        h = self.style.header
        number = nfc(header.number).strip()
        if number.isdigit() and int(number) < 10:
            number = f"{int(number):02d}"
        if not number:
            font = self.fonts.face(bold=h.number.bold, italic=h.number.italic)
            count = max(3, round(h.number_blank / stringWidth(NBSP, font, h.number.size)))
            number = NBSP * count
        # Abbreviations are used as given: ND30 has mixed-case ones ("TTr", "QyĐ").
        return h.number_pattern.format(number=number, doc_type=nfc(header.doc_type_abbr).strip(),
                                       body=nfc(header.body_abbr).strip())

    def date_text(self, header: Header) -> str:
        """The document's date in the one date style, or the blank a clerk fills in by hand."""
        return document_date(header.date.isoformat()) if header.date else blank_runs(self.style.header.blank_date)

    def place_date(self, header: Header) -> str:
        return self.style.header.place_date_pattern.format(place=header.place_name.strip(),
                                                           date=self.date_text(header))

    def header(self, header: Header) -> Table:
        h = self.style.header

        def rule(text: str, font: FontSpec, fraction: float) -> Flowable:
            return RuledParagraph(self.centred(text, font), fraction, h.rule_width, h.rule_gap)

        left: list[Flowable] = []
        superior, issuing = upper(header.superior_body).strip(), upper(header.issuing_body).strip()
        if superior:
            left.append(self.centred(superior, self.fit(superior, h.superior, h.left_width)))
        issuing_font = self.fit(issuing, h.issuing, h.left_width)
        if h.issuing_rule > 0:
            left.append(rule(issuing, issuing_font, h.issuing_rule))
        else:
            left.append(self.centred(issuing, issuing_font))
        if h.issuing_mark:
            left.append(self.centred(h.issuing_mark, h.issuing))
        right: list[Flowable] = [
            rule(line.text, line.font, line.rule) if line.rule > 0 else self.centred(line.text, line.font)
            for line in h.national
        ]
        number = self.centred(f"{h.number_prefix} {self.number_symbol(header)}", h.number, before=4)
        date_line: Flowable = (self.centred(self.place_date(header), h.place_date, before=4)
                               if header.show_place_date else Spacer(1, 1))
        return self.table(
            [[left, right], [number, date_line]], [h.left_width, h.right_width],
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
             ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
             ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)],
            align="LEFT",
        )

    def fit(self, text: str, font: FontSpec, width: float) -> FontSpec:
        """Shrink a header line (down to the style's minimum) so it stays on one line if it can."""
        face = self.fonts.face(bold=font.bold, italic=font.italic)
        size = font.size
        while size > self.style.header.shrink_min and stringWidth(nfc(text), face, size) > width:
            size = max(self.style.header.shrink_min, size - 0.5)
        if size == font.size:
            return font
        return replace(font, size=size, leading=font.leading * size / font.size)

    def title(self, type_name: str, summary: str) -> list[Flowable]:
        t = self.style.title
        out: list[Flowable] = [Spacer(1, self.style.header.space_after),
                               self.centred(upper(type_name), t.type)]
        if summary.strip():
            if t.summary_rule > 0:
                out.append(RuledParagraph(self.centred(summary, t.summary), t.summary_rule,
                                          self.style.header.rule_width, self.style.header.rule_gap + 1))
            else:
                out.append(self.centred(summary, t.summary))
            if t.summary_mark:
                out.append(self.centred(t.summary_mark, t.summary))
        out.append(Spacer(1, t.space_after))
        return out

    # --- signatures and recipients ----------------------------------------------------------

    def authority_line(self, block: SignatureBlock) -> str:
        prefixes = self.style.signature.authority_prefixes
        body = upper(block.authority_body.strip())
        if not block.authority:
            return body
        if block.authority not in prefixes:
            raise UserError(
                "Hình thức ký “{kind}” không dùng được cho loại văn bản này (được dùng: {allowed}).",
                hint="Chọn lại hình thức ký của người ký.", kind=block.authority,
                allowed=", ".join(sorted(prefixes)))
        return f"{prefixes[block.authority]} {body}".strip()

    def signature_rows(self, blocks: Sequence[SignatureBlock | None]) -> list[list[Any]]:
        """Three rows (heading lines, box, name) so boxes line up across columns."""
        s = self.style.signature
        rows: list[list[Any]] = [[], [], []]
        for block in blocks:
            if block is None:
                rows[0].append("")
                rows[1].append("")
                rows[2].append("")
                continue
            if block.drawn_signature_png is not None and decoded_size(block.drawn_signature_png) is None:
                raise UserError("Ảnh chữ ký tay của {name} bị hỏng hoặc không phải tệp ảnh.",
                                hint="Ký lại trên màn hình hoặc chọn một tệp PNG khác.", name=block.name)
            heading: list[Flowable] = []
            authority = self.authority_line(block)
            if authority:
                heading.append(self.centred(authority, s.authority))
            heading += [self.centred(upper(line), s.position) for line in split_paragraphs([block.title_line])]
            rows[0].append(heading)
            rows[1].append(SignatureBox(block.field_name, s.box_width, s.box_height, self.fields,
                                        block.drawn_signature_png, s.image_inset))
            rows[2].append(self.centred(block.name, s.name))
        return rows

    def signature_table(self, blocks: Sequence[SignatureBlock | None], widths: Sequence[float]) -> Table:
        return self.table(self.signature_rows(blocks), widths, [
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
            ("VALIGN", (0, 1), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 2), ("TOPPADDING", (0, 2), (-1, 2), 2),
        ], align="LEFT")

    def recipients(self, names: Sequence[str]) -> list[Flowable]:
        r = self.style.recipients
        lines = punctuate(split_paragraphs(names), r.separator, r.terminator, r.prefix)
        if not lines:
            return []
        return [self.para(r.label, r.label_font)] + [self.para(line, r.font) for line in lines]
