"""Small custom flowables: measured rules, signature boxes that record where they landed, JPEG
thumbnails embedded as they are, rotated column headings, and the page-numbering restart mark."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from PIL import Image as PILImage
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc, pdfutils
from reportlab.platypus import Flowable, Paragraph

from inspector.documents.model import FieldBox


class RuledParagraph(Flowable):  # type: ignore[misc]
    """A centred paragraph with a solid rule under it, `fraction` × the width of its widest line.

    ND30 wants the rule under the Tiêu ngữ as long as the text and the one under the issuing body
    1/3–1/2 of it, so the length is measured, not fixed.
    """

    def __init__(self, para: Paragraph, fraction: float, thickness: float, gap: float) -> None:
        super().__init__()
        self.para = para
        self.fraction = fraction
        self.thickness = thickness
        self.gap = gap
        self._text_width = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        _, height = self.para.wrap(avail_width, avail_height)
        widths = self.para.getActualLineWidths0() or [0.0]
        self._text_width = max(widths)
        self.width = avail_width
        self.height = height + self.gap + self.thickness
        return self.width, self.height

    def draw(self) -> None:
        self.para.drawOn(self.canv, 0, self.gap + self.thickness)
        length = self._text_width * self.fraction
        if length <= 0:
            return
        x = (self.width - length) / 2
        y = self.thickness / 2
        self.canv.setLineWidth(self.thickness)
        self.canv.line(x, y, x + length, y)


class SignatureBox(Flowable):  # type: ignore[misc]
    """The empty rectangle of one signature field. It records its own position when drawn, so the
    signing code gets the rectangle where the box actually landed, on the page it landed on."""

    def __init__(self, name: str, width: float, height: float, recorder: list[FieldBox],
                 drawn_png: bytes | None = None, inset: float = 0.0) -> None:
        super().__init__()
        self.name = name
        self.width = width
        self.height = height
        self.recorder = recorder
        self.drawn_png = drawn_png
        self.inset = inset
        self.hAlign = "CENTER"

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        canv = self.canv
        x1, y1 = canv.absolutePosition(0, 0)
        x2, y2 = canv.absolutePosition(self.width, self.height)
        box = (round(min(x1, x2), 3), round(min(y1, y2), 3), round(max(x1, x2), 3), round(max(y1, y2), 3))
        self.recorder.append(FieldBox(self.name, canv.getPageNumber() - 1, box))
        if self.drawn_png:
            inner_w, inner_h = self.width - 2 * self.inset, self.height - 2 * self.inset
            canv.drawImage(ImageReader(BytesIO(self.drawn_png)), self.inset, self.inset, inner_w, inner_h,
                           preserveAspectRatio=True, anchor="c", mask="auto")


@dataclass(frozen=True)
class JpegInfo:
    width: int
    height: int
    components: int


_COLOR_SPACES = {1: "DeviceGray", 3: "DeviceRGB", 4: "DeviceCMYK"}


def jpeg_info(data: bytes) -> JpegInfo | None:
    """Size and colour components from the JPEG header, without decoding; None if not a JPEG."""
    try:
        width, height, components, _ = pdfutils.readJPEGInfo(BytesIO(data))
    except Exception:  # reportlab raises struct.error, PDFError… on anything that is not a JPEG
        return None
    if not (width and height) or components not in _COLOR_SPACES:
        return None
    return JpegInfo(int(width), int(height), int(components))


def draw_jpeg(canv: Any, data: bytes, info: JpegInfo, x: float, y: float, width: float,
              height: float) -> None:
    """Place JPEG bytes as a DCTDecode image XObject, without decoding or re-encoding them.

    canvas.drawImage() decodes every image to hash its pixels and ASCII85-encodes JPEG data; for 50
    photo thumbnails that is most of the rendering time. Identical bytes share one XObject.
    """
    name = "jpeg" + hashlib.sha256(data).hexdigest()[:32]
    doc = canv._doc
    reg_name = doc.getXObjectName(name)
    if not doc.idToObject.get(reg_name):
        image = pdfdoc.PDFImageXObject(name)
        image.width, image.height = info.width, info.height
        image.bitsPerComponent = 8
        image.colorSpace = _COLOR_SPACES[info.components]
        if info.components == 4:
            image._dotrans = 1  # Adobe CMYK JPEGs are stored inverted, as reportlab assumes too
        image.streamContent = data
        image._filters = ("DCTDecode",)
        image.mask = None
        canv._setXObjects(image)
        doc.Reference(image, reg_name)
        doc.addForm(name, image)
    canv.saveState()
    canv.translate(x, y)
    canv.scale(width, height)
    canv._code.append(f"/{reg_name} Do")
    canv.restoreState()
    canv._formsinuse.append(name)


def decoded_size(data: bytes) -> tuple[int, int] | None:
    """Pixel size of any image Pillow can fully decode; None for damaged or unknown data."""
    try:
        with PILImage.open(BytesIO(data)) as image:
            image.load()
            return image.size
    except (OSError, ValueError, PILImage.DecompressionBombError):
        return None


class Thumbnail(Flowable):  # type: ignore[misc]
    """An image scaled to fit a box, keeping its aspect ratio. JPEG passes straight through."""

    def __init__(self, data: bytes, info: JpegInfo | None, size: tuple[int, int], max_width: float,
                 max_height: float) -> None:
        super().__init__()
        self.data = data
        self._jpeg = info
        px_w, px_h = size
        scale = min(max_width / px_w, max_height / px_h)
        self.width = px_w * scale
        self.height = px_h * scale
        self.hAlign = "CENTER"

    @classmethod
    def create(cls, data: bytes, max_width: float, max_height: float) -> Thumbnail | None:
        """None when the bytes are not a readable image: the list then says so instead of failing."""
        info = jpeg_info(data)
        size = (info.width, info.height) if info else decoded_size(data)
        return cls(data, info, size, max_width, max_height) if size else None

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        if self._jpeg is not None:
            draw_jpeg(self.canv, self.data, self._jpeg, 0, 0, self.width, self.height)
        else:
            self.canv.drawImage(ImageReader(BytesIO(self.data)), 0, 0, self.width, self.height,
                                mask="auto")


class VerticalText(Flowable):  # type: ignore[misc]
    """A paragraph turned 90° (reading bottom to top): subject names as narrow column headings."""

    def __init__(self, para: Paragraph, length: float) -> None:
        super().__init__()
        self.para = para
        self.length = length
        self._thickness = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        _, self._thickness = self.para.wrap(self.length, 10_000)
        self.width, self.height = self._thickness, self.length
        return self.width, self.height

    def draw(self) -> None:
        self.canv.saveState()
        self.canv.rotate(90)
        self.para.drawOn(self.canv, 0, -self._thickness)
        self.canv.restoreState()


@dataclass
class Numbering:
    """Per-build page-numbering state: the page where the current numbering sequence started."""

    start_page: int = 1


class RestartNumbering(Flowable):  # type: ignore[misc]
    """Zero-size mark at the top of an appendix: ND30 numbers appendix pages on their own."""

    def __init__(self, numbering: Numbering) -> None:
        super().__init__()
        self.numbering = numbering
        self.width = self.height = 0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.numbering.start_page = self.canv.getPageNumber()
