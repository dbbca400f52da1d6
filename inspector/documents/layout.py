"""Page geometry and the build: A4 portrait (landscape allowed for the appendix matrix), the
style's margins, page numbers centred in the top margin from the second page of each sequence."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any

from reportlab import rl_config
from reportlab.lib.pagesizes import A4, landscape
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from inspector.documents.blocks import Kit
from inspector.errors import BugError

PORTRAIT = "portrait"
LANDSCAPE = "landscape"


def frame_width(kit: Kit, template: str) -> float:
    page = kit.style.page
    width = (landscape(A4) if template == LANDSCAPE else A4)[0]
    return float(width - page.margin_left - page.margin_right)


def _page_template(kit: Kit, template: str) -> PageTemplate:
    page = kit.style.page
    size = landscape(A4) if template == LANDSCAPE else A4
    frame = Frame(page.margin_left, page.margin_bottom, size[0] - page.margin_left - page.margin_right,
                  size[1] - page.margin_top - page.margin_bottom, id=template,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)

    def number_page(canv: Any, doc: Any) -> None:
        shown = canv.getPageNumber() - kit.numbering.start_page + 1
        if shown < 2:
            return
        font = page.number
        canv.saveState()
        canv.setFont(kit.fonts.face(bold=font.bold, italic=font.italic), font.size)
        canv.drawCentredString(size[0] / 2, size[1] - page.number_from_top - font.size * 0.35, str(shown))
        canv.restoreState()

    return PageTemplate(id=template, frames=[frame], pagesize=size, onPageEnd=number_page)


@contextmanager
def _without_ascii85() -> Iterator[None]:
    """Skip reportlab's ASCII85 stream encoding (pure Python in reportlab 5: a third of the build).

    reportlab reads this switch only from rl_config, so it is flipped for the build and restored.
    The switch cannot change the result: qpdf (pdfa.py) decodes and re-deflates every stream when
    it rewrites the file, so a concurrent build that sees the other value gives the same bytes.
    """
    previous = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = previous


def build(kit: Kit, story: list[Flowable], *, title: str, author: str, subject: str) -> tuple[bytes, int]:
    """Lay the story out; return the raw PDF and its page count. Fields land in `kit.fields`."""
    buffer = BytesIO()
    body = kit.style.body.font
    doc = BaseDocTemplate(
        buffer, pagesize=A4, invariant=1,
        leftMargin=kit.style.page.margin_left, rightMargin=kit.style.page.margin_right,
        topMargin=kit.style.page.margin_top, bottomMargin=kit.style.page.margin_bottom,
        # The canvas's initial font is otherwise Helvetica, which ends up in every page's resources.
        initialFontName=kit.fonts.regular, initialFontSize=body.size, initialLeading=body.leading,
        title=title, author=author, subject=subject, creator="Inspector", lang="vi-VN",
    )
    doc.addPageTemplates([_page_template(kit, PORTRAIT), _page_template(kit, LANDSCAPE)])
    with _without_ascii85():
        doc.build(story)
    names = [f.name for f in kit.fields]
    if len(names) != len(set(names)):
        raise BugError(f"signature boxes drawn more than once: {names}")
    return buffer.getvalue(), int(doc.page)

