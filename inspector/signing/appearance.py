"""The visible part of a signature: a tiny reportlab PDF imported as a static stamp.

Why not pyHanko's TextStampStyle: it writes glyph widths in font units for 2048-UPM fonts such as
Liberation Serif, so Vietnamese text comes out letter-spaced and overflowing (document brief §6.3).
Drawing the stamp with reportlab, like the rest of the document, gives correct Vietnamese with
the bundled font embedded, and pyHanko imports that page as a form XObject (vectors, not pixels).
"""

from __future__ import annotations

import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from io import BytesIO

from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import content, layout
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.stamp import StaticStampStyle

from inspector.errors import UserError
from inspector.paths import resources_dir
from inspector.signing.certs import nfc, vn_time

REGULAR = "InspectorSigSerif"
ITALIC = "InspectorSigSerif-Italic"
PADDING = 2.0
LINE_SIZES = (8.0, 7.5, 7.0, 6.5, 6.0, 5.5)  # 7–8 pt wanted; smaller only for very narrow boxes
INK_BLUE = (0.05, 0.15, 0.65)
MAX_IMAGE_PX = 900  # a drawn signature never needs more; keeps the signed file small


@dataclass(frozen=True)
class AppearanceSpec:
    """What the signer adds to the stamp. The certificate's name and the time are always drawn.

    `signature_png` is the person's handwritten signature (blue on transparent, ND30 App. I);
    without it the stamp reads "(Đã ký số)".
    """

    signature_png: bytes | None = None


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = resources_dir() / "fonts"
    pdfmetrics.registerFont(TTFont(REGULAR, str(fonts / "LiberationSerif-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(ITALIC, str(fonts / "LiberationSerif-Italic.ttf")))


def _load_png(data: bytes) -> Image.Image:
    try:
        with Image.open(BytesIO(data)) as img:
            img.load()
            picture = img.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UserError("Không đọc được ảnh chữ ký tay.",
                        hint="Chọn lại tệp ảnh PNG nền trong suốt.") from exc
    picture.thumbnail((MAX_IMAGE_PX, MAX_IMAGE_PX))
    return picture


def _fit_line(text: str, max_width: float) -> tuple[str, float]:
    """The largest size in LINE_SIZES at which `text` fits; truncate with … if none does."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for size in LINE_SIZES:
        if stringWidth(text, REGULAR, size) <= max_width:
            return text, size
    size = LINE_SIZES[-1]
    while len(text) > 1 and stringWidth(text + "…", REGULAR, size) > max_width:
        text = text[:-1]
    return text + "…", size


def render_stamp_pdf(width: float, height: float, *, signer_name: str, signing_time: datetime,
                     signature_png: bytes | None = None) -> bytes:
    """A one-page PDF of exactly width × height points (no border: ND30 shows none)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    _register_fonts()
    picture = _load_png(signature_png) if signature_png is not None else None
    buf = BytesIO()
    canvas = Canvas(buf, pagesize=(width, height), initialFontName=REGULAR, invariant=True,
                    pageCompression=1)
    inner = width - 2 * PADDING
    lines = [_fit_line(nfc(f"Ký bởi: {signer_name}"), inner),
             _fit_line(f"Thời gian: {vn_time(signing_time)}", inner)]
    size = min(s for _, s in lines)
    leading = size * 1.2
    canvas.setFillColorRGB(0, 0, 0)
    y = PADDING + size * 0.25
    for text, _ in reversed(lines):
        canvas.setFont(REGULAR, size)
        canvas.drawString(PADDING, y, text)
        y += leading
    top, bottom = height - PADDING, y + 1
    area_h = max(top - bottom, 1.0)
    if picture is not None:
        scale = min(inner / picture.width, area_h / picture.height)
        w, h = picture.width * scale, picture.height * scale
        canvas.drawImage(ImageReader(picture), (width - w) / 2, bottom + (area_h - h) / 2, w, h,
                         mask="auto")
    else:
        label = "(Đã ký số)"
        label_size = min(12.0, area_h * 0.7)
        label_size = min(label_size, label_size * inner / stringWidth(label, ITALIC, label_size))
        canvas.setFillColorRGB(*INK_BLUE)
        canvas.setFont(ITALIC, label_size)
        canvas.drawCentredString(width / 2, bottom + (area_h - label_size * 0.7) / 2, label)
    canvas.showPage()
    canvas.save()
    return _distinct_subsets(buf.getvalue())


def _distinct_subsets(stamp: bytes) -> bytes:
    """reportlab tags every first subset "AAAAAA+", like the document's own fonts: rename them."""
    import pikepdf

    from inspector.documents.subsets import retag_font_subsets

    with pikepdf.open(BytesIO(stamp)) as pdf:
        retag_font_subsets(pdf)
        out = BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


class _ImportedPdfBytes(content.ImportedPdfPage):
    """pyHanko's ImportedPdfPage reads from a file name; this one reads from memory."""

    def __init__(self, pdf: bytes) -> None:
        super().__init__(file_name="<memory>", page_ix=0)  # type: ignore[no-untyped-call]
        self._pdf = pdf

    def render(self) -> bytes:
        writer = self._ensure_writer
        xobj = writer.import_page_as_xobject(PdfFileReader(BytesIO(self._pdf)), page_ix=0)
        resource_name = b"/Import" + binascii.hexlify(uuid.uuid4().bytes)
        self.resources.xobject[resource_name.decode("ascii")] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return bytes(resource_name + b" Do")


def stamp_style(stamp_pdf: bytes) -> StaticStampStyle:
    """Fill the field exactly: no pyHanko border, margins or transparency."""
    return StaticStampStyle(
        border_width=0,
        background=_ImportedPdfBytes(stamp_pdf),
        background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(0, 0, 0, 0)),
    )
