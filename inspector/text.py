"""Text and date handling at the model boundary: NFC, trimming, limits, Vietnamese formats."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from inspector.clock import VIETNAM_TZ, parse_rfc3339
from inspector.errors import UserError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(
    value: str | None,
    *,
    label: str,
    max_length: int = 500,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """NFC-normalise and trim user text; refuse control characters and over-long input."""
    text = unicodedata.normalize("NFC", value or "").strip()
    # Single-line fields collapse all whitespace; notes keep their line breaks.
    text = text.replace("\r\n", "\n").replace("\r", "\n") if multiline else " ".join(text.split())
    if _CONTROL.search(text):
        raise UserError("“{label}” chứa ký tự điều khiển không hợp lệ.",
                        hint="Xóa ký tự lạ (thường do dán từ phần mềm khác) rồi nhập lại.", label=label)
    if required and not text:
        raise UserError("“{label}” không được để trống.", hint="Nhập “{label}” rồi thử lại.", label=label)
    if len(text) > max_length:
        raise UserError("“{label}” quá dài: {length} ký tự, tối đa {limit}.",
                        hint="Rút gọn nội dung rồi thử lại.", label=label, length=len(text),
                        limit=max_length)
    return text


def parse_date(value: str | date | None, *, label: str, required: bool = True) -> str:
    """Accept dd/mm/yyyy or yyyy-mm-dd (or a date); return ISO yyyy-mm-dd ('' if optional and empty)."""
    if isinstance(value, date):
        return value.isoformat()
    text = (value or "").strip()
    if not text:
        if required:
            raise UserError("“{label}” không được để trống.", hint="Nhập ngày dạng dd/mm/yyyy.", label=label)
        return ""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise UserError("“{label}”: “{value}” không phải là ngày hợp lệ.",
                    hint="Nhập ngày dạng dd/mm/yyyy, ví dụ 07/08/2023.", label=label, value=text[:40])


def fold(text: str | None) -> str:
    """Accent- and case-insensitive search key: “Hoàn Kiếm” → “hoan kiem”."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").casefold()


def ui_date(iso: str | None) -> str:
    """yyyy-mm-dd → dd/mm/yyyy (the UI format); '' stays ''."""
    if not iso:
        return ""
    return date.fromisoformat(iso[:10]).strftime("%d/%m/%Y")


def ui_datetime(rfc3339: str | None) -> str:
    """A stored UTC timestamp shown in Vietnam time: dd/mm/yyyy HH:MM."""
    if not rfc3339:
        return ""
    return parse_rfc3339(rfc3339).astimezone(VIETNAM_TZ).strftime("%d/%m/%Y %H:%M")


def ui_clock(rfc3339: str) -> str:
    """A stored UTC timestamp as the Vietnam wall-clock time of day: HH:MM."""
    return parse_rfc3339(rfc3339).astimezone(VIETNAM_TZ).strftime("%H:%M")


def human_size(n: int) -> str:
    """A byte count as people read it, Vietnamese decimal comma: 820 B, 12 KB, 1,5 MB, 2,3 GB."""
    if n < 1024:
        return f"{n} B"
    for unit, scale in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3)):
        if n < scale * 1024 or unit == "GB":
            value = n / scale
            text = f"{value:.0f}" if value >= 100 or unit == "KB" else f"{value:.1f}"
            return f"{text.replace('.', ',')} {unit}"
    raise AssertionError("unreachable")


def document_date(iso: str) -> str:
    """Official document style: 'ngày 07 tháng 8 năm 2023' (month padded only for 1 and 2)."""
    d = date.fromisoformat(iso[:10])
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"
