"""Opening PDF bytes for pyHanko, with every parse failure turned into one Vietnamese UserError.

PDFs reach this library from disk, from USB bundles and from other offices, so a damaged or
foreign file is a normal event, not a bug. pyHanko raises a zoo of exceptions on malformed
input (PdfReadError, KeyError, ValueError, IndexError...), hence the deliberately broad catch.
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
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


def open_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """An incremental writer: everything we add goes after the existing bytes, never inside."""
    _check_magic(pdf)
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=True)
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
