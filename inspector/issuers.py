"""Issuing bodies: their document-symbol abbreviation ("Số 05/BB-ĐKT") and the regime they write in.

Plain Python on purpose (no reportlab): the registry validates abbreviations at start-up speed.

A body's abbreviation is data (registry and document details, editable): clerks write it without
tone marks, keeping only Đ ("UBND", "TU", "UBKTTU", "ĐKT"). When none was entered, `abbreviate`
offers the usual one for the common body names and tone-free initials otherwise; it never
builds initials that keep diacritics ("ỦBKTTỦ").

Which regime a document follows is a property of who issues it: a Party body (Thành ủy, Đảng
ủy, Ủy ban Kiểm tra, Ban Thường vụ …) writes Party documents, a State body (UBND, Sở …) State
ones. `body_regime` recognises the usual names; a neutral name ("Đoàn kiểm tra số 3") says
nothing and the inspection's own choice applies.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from inspector.errors import UserError
from inspector.text import fold

Regime = Literal["party", "state"]

MAX_ABBREVIATION = 20

# (folded name prefix, abbreviation), longest first where one prefix contains another.
_KNOWN_PREFIXES: tuple[tuple[str, str], ...] = (
    ("uy ban kiem tra thanh uy", "UBKTTU"),
    ("uy ban kiem tra tinh uy", "UBKTTU"),
    ("uy ban kiem tra quan uy", "UBKTQU"),
    ("uy ban kiem tra huyen uy", "UBKTHU"),
    ("uy ban kiem tra dang uy", "UBKTĐU"),
    ("uy ban kiem tra", "UBKT"),
    ("ban thuong vu thanh uy", "TU"),
    ("thuong truc thanh uy", "TU"),
    ("van phong thanh uy", "VPTU"),
    ("thanh uy", "TU"),
    ("tinh uy", "TU"),
    ("thi uy", "TU"),
    ("quan uy", "QU"),
    ("huyen uy", "HU"),
    ("dang uy", "ĐU"),
    ("chi bo", "CB"),
    ("uy ban nhan dan", "UBND"),
    ("ubnd", "UBND"),
    ("hoi dong nhan dan", "HĐND"),
    ("doan kiem tra", "ĐKT"),
    ("thanh tra", "TTr"),
)

_PARTY = ("dang cong san", "dang bo", "dang uy", "thanh uy", "tinh uy", "quan uy", "huyen uy", "thi uy",
          "chi bo", "ban thuong vu", "thuong truc thanh uy", "ban chap hanh", "uy ban kiem tra",
          "ban to chuc", "ban tuyen giao", "ban dan van", "ban noi chinh")
_STATE = ("uy ban nhan dan", "ubnd", "hoi dong nhan dan", "hdnd")
_STATE_WORDS = ("sở",)  # kept with its tone mark: folded "so" is also "số" ("Đoàn kiểm tra số 3")

_ALLOWED = re.compile(r"^[A-Za-zĐđ0-9]+(?:-[A-Za-zĐđ0-9]+)*$")


def _words(name: str) -> str:
    return " ".join(fold(name).split())


def _has(haystack: str, phrase: str) -> bool:
    return re.search(rf"(?:^| ){re.escape(phrase)}(?: |$)", haystack) is not None


def body_regime(name: str) -> Regime | None:
    """'party' or 'state' when the name says it (THÀNH ỦY HÀ NỘI, UBND PHƯỜNG …), else None."""
    folded = _words(name)
    if not folded:
        return None
    if any(_has(folded, p) for p in _PARTY):
        return "party"
    lowered = " ".join(unicodedata.normalize("NFC", name).casefold().split())
    if any(_has(folded, p) for p in _STATE) or any(_has(lowered, w) for w in _STATE_WORDS):
        return "state"
    return None


def document_regime(default: str, *bodies: str) -> Regime:
    """The regime of the first body (issuing body first) whose name tells it; else `default`."""
    for body in bodies:
        found = body_regime(body)
        if found is not None:
            return found
    return "party" if default == "party" else "state"


def _tone_free(text: str) -> str:
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in "Đđ":
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn")
        out.append(base)
    return "".join(out)


def abbreviate(name: str) -> str:
    """The usual abbreviation of a body name, tone-free with Đ kept: "ỦY BAN KIỂM TRA THÀNH ỦY
    HÀ NỘI" → "UBKTTU", "THÀNH ỦY HÀ NỘI" → "TU", "SỞ NỘI VỤ" → "SNV". A suggestion only."""
    folded = _words(name)
    for prefix, abbreviation in _KNOWN_PREFIXES:
        if folded == prefix or folded.startswith(prefix + " "):
            return abbreviation
    words = [w for w in _tone_free(name).split() if w[:1].isalpha()]
    return "".join(w[0] for w in words).upper()[:8]


def clean_abbreviation(value: str, *, label: str) -> str:
    """Validate an abbreviation typed by a user: letters without tone marks (Đ allowed), digits and
    inner hyphens, as document symbols are written. Empty means "not set"."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if not text:
        return ""
    if len(text) > MAX_ABBREVIATION:
        raise UserError("“{label}” quá dài: {length} ký tự, tối đa {limit}.", hint="Rút gọn chữ viết tắt.",
                        label=label, length=len(text), limit=MAX_ABBREVIATION)
    if not _ALLOWED.match(text):
        raise UserError("“{label}” = “{value}” không đúng cách viết ký hiệu văn bản.",
                        hint="Viết chữ cái không dấu như văn thư ghi (UBND, TU, UBKTTU), riêng chữ Đ giữ nguyên"
                             " (ĐKT); không dùng khoảng trắng hay dấu thanh.", label=label, value=text)
    return text
