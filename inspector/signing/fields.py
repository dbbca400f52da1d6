"""Empty signature fields, all added in one "prepare" revision before anyone signs.

Creating every field up front (rather than one per signature) keeps each later signature a pure
form-filling update, which is exactly what pyHanko's modification analysis (and Acrobat) accept
for approval signatures that follow each other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec, append_signature_field, enumerate_sig_fields

from inspector.errors import BugError, UserError
from inspector.signing import _pdf

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FieldSpec:
    """A visible signature field: `box` is (x1, y1, x2, y2) in PDF points, origin bottom-left."""

    name: str
    page_index: int
    box: Box


@dataclass(frozen=True)
class FieldState:
    name: str
    signed: bool
    page_index: int | None  # None when the widget is not on any page (invisible field)
    box: Box | None


def _check_specs(reader: PdfFileReader, fields: Sequence[FieldSpec]) -> None:
    """Bad names or rectangles come from our own layout code, so they are bugs, not user errors."""
    pages = int(reader.root["/Pages"]["/Count"])
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise BugError(f"duplicate signature field names: {names}")
    for f in fields:
        if not f.name or "." in f.name or not f.name.isascii():
            raise BugError(f"signature field name must be plain ASCII without dots: {f.name!r}")
        if not 0 <= f.page_index < pages:
            raise BugError(f"field {f.name}: page {f.page_index} outside 0..{pages - 1}")
        x1, y1, x2, y2 = f.box
        if not all(math.isfinite(v) for v in f.box) or x2 <= x1 or y2 <= y1:
            raise BugError(f"field {f.name}: bad rectangle {f.box}")


def signature_fields(pdf: bytes) -> list[FieldState]:
    """Every signature field of the document with whether it is signed (for the signing UI)."""
    reader = _pdf.open_reader(pdf)
    page_refs = [reader.find_page_for_modification(i)[0]  # type: ignore[no-untyped-call]
                 for i in range(int(reader.root["/Pages"]["/Count"]))]
    out = []
    for name, value, ref in enumerate_sig_fields(reader):
        field = ref.get_object()
        widget = field if "/Rect" in field else _first_kid(field)
        page_index = box = None
        if widget is not None:
            rect = [float(v) for v in widget.get("/Rect", [0, 0, 0, 0])]
            if rect[2] - rect[0] > 0 and rect[3] - rect[1] > 0:
                box = (min(rect[0], rect[2]), min(rect[1], rect[3]),
                       max(rect[0], rect[2]), max(rect[1], rect[3]))
            page = widget.raw_get("/P") if "/P" in widget else None
            if page is not None and page.reference in [r.reference for r in page_refs]:
                page_index = [r.reference for r in page_refs].index(page.reference)
        out.append(FieldState(str(name), value is not None, page_index, box))
    return out


def _first_kid(field: Any) -> Any:
    kids = field.get("/Kids")
    return kids[0].get_object() if kids else None


def prepare_fields(pdf: bytes, fields: Sequence[FieldSpec]) -> bytes:
    """Append one incremental revision holding the empty fields (widgets printable, locked).

    Existing bytes are kept as they are, so PDF/A metadata written earlier (XMP, OutputIntent)
    stays; pyHanko only refreshes the modification date in both the Info dictionary and XMP.
    """
    writer = _pdf.open_writer(pdf)
    reader = writer.prev
    _check_specs(reader, fields)
    existing = {str(name): value is not None for name, value, _ in enumerate_sig_fields(reader)}
    if any(existing.values()):
        raise UserError("Tài liệu đã có chữ ký số nên không thể thêm ô chữ ký mới.",
                        hint="Chỉ tạo ô chữ ký cho bản PDF chưa ai ký.")
    for f in fields:
        if f.name in existing:
            raise UserError("Tài liệu đã có ô chữ ký “{name}”.",
                            hint="Dùng bản PDF gốc chưa tạo ô chữ ký.", name=f.name)
    if not fields:
        return pdf
    for f in fields:
        append_signature_field(writer, SigFieldSpec(
            sig_field_name=f.name, on_page=f.page_index,
            box=f.box,  # type: ignore[arg-type]  # pyHanko annotates ints; floats are written fine
        ))
    return _pdf.write(writer)
