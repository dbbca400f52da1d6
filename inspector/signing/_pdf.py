"""Opening PDF bytes for pyHanko, with every parse failure turned into one Vietnamese UserError.

PDFs reach this library from disk, from USB bundles and from other offices, so a damaged or
foreign file is a normal event, not a bug. pyHanko raises a zoo of exceptions on malformed
input (PdfReadError, KeyError, ValueError, IndexError...), hence the deliberately broad catch.

Every revision we append keeps PDF/A-2b's metadata rule (ISO 19005-2, 6.6.2.3): the Info
dictionary and the XMP packet say the same thing. pyHanko sets XMP pdf:Producer to its own name
but appends that name to the Info /Producer, so the two would differ after the first signature.
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR
from pyhanko.pdf_utils.reader import PdfFileReader

from inspector.errors import UserError

_NOT_PDF = "Tệp không phải là PDF hoặc đã bị hỏng nên không đọc được."
_NOT_PDF_HINT = "Mở lại đúng tệp PDF gốc (tệp do ứng dụng xuất ra hoặc do đơn vị khác gửi)."


def _check_magic(pdf: bytes) -> None:
    # The PDF spec allows junk before the header; readers accept it within the first 1 KB.
    if b"%PDF-" not in pdf[:1024]:
        raise UserError(_NOT_PDF, hint=_NOT_PDF_HINT)


def open_reader(pdf: bytes) -> PdfFileReader:
    """A strict reader (hybrid-xref files are refused: they enable shadow attacks on signatures)."""
    _check_magic(pdf)
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=True)
        _ = reader.root["/Pages"]
    except Exception as exc:  # foreign input; see module docstring
        raise UserError(_NOT_PDF, hint=_NOT_PDF_HINT) from exc
    if reader.encrypted:
        raise UserError("Tệp PDF được mã hóa bằng mật khẩu; ứng dụng không ký hay kiểm tra tệp này.",
                        hint="Dùng bản PDF không đặt mật khẩu.")
    return reader


class PdfaIncrementalWriter(IncrementalPdfFileWriter):
    """Incremental writer whose Info /Producer equals the XMP pdf:Producer pyHanko writes."""

    def _update_meta(self) -> None:
        super()._update_meta()  # type: ignore[no-untyped-call]
        if self._info is None or "/Metadata" not in self.root:
            return
        info = self._info.get_object()  # type: ignore[no-untyped-call]
        if info.get("/Producer") != VENDOR:
            info["/Producer"] = generic.TextStringObject(VENDOR)
            self.mark_update(self._info)


def open_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """An incremental writer: everything we add goes after the existing bytes, never inside."""
    _check_magic(pdf)
    try:
        writer = PdfaIncrementalWriter(BytesIO(pdf), strict=True)
        _ = writer.root["/Pages"]
    except Exception as exc:  # foreign input; see module docstring
        raise UserError(_NOT_PDF, hint=_NOT_PDF_HINT) from exc
    if writer.prev.encrypted:
        raise UserError("Tệp PDF được mã hóa bằng mật khẩu; ứng dụng không ký hay kiểm tra tệp này.",
                        hint="Dùng bản PDF không đặt mật khẩu.")
    return writer


def write(writer: IncrementalPdfFileWriter) -> bytes:
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()
