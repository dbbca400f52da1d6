"""Is this certificate allowed to sign this slot? Holder, validity and key usage, before signing.

The stamp prints "Ký bởi: <certificate holder>" above the printed name of the slot's person, so
a certificate of somebody else would make the document say two different things. Names are
compared the way people write them: NFC, spaces collapsed, case ignored, and where the tone mark
sits ignored ("Thuỷ" = "Thủy"). A name written without any diacritics (some CAs issue
"NGUYEN VAN HUNG") matches on the fully folded form (`inspector.text.fold`); two names that both
carry diacritics must agree on them, so "Hùng" does not pass for "Hưng". A mismatch can
only go ahead with a typed reason (someone signs on behalf of the person named), which the caller
records and `verify` shows. Expired, not-yet-valid and non-signing certificates are refused.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from inspector.errors import UserError
from inspector.signing.certs import CertificateInfo
from inspector.text import fold

MIN_REASON = 10
MAX_REASON = 500


_TONES = frozenset({"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"})  # huyền, sắc, ngã, hỏi, nặng


def name_key(name: str) -> str:
    """The loose key of a person's name: NFC, single spaces, no case, no diacritics at all."""
    return fold(" ".join(unicodedata.normalize("NFC", name).split()))


def _syllables(name: str) -> tuple[tuple[str, str], ...]:
    """Per word: the letters with their vowel marks (ă â ê ô ơ ư đ) and the word's tone mark,
    wherever it was placed, so "oà"/"òa" and "uỷ"/"ủy" give the same key."""
    out = []
    for word in unicodedata.normalize("NFC", name).casefold().split():
        decomposed = unicodedata.normalize("NFD", word)
        tones = "".join(sorted({c for c in decomposed if c in _TONES}))
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out.append((base, tones))
    return tuple(out)


def _unmarked(name: str) -> bool:
    return name_key(name) == " ".join(unicodedata.normalize("NFC", name).casefold().split())


def names_match(holder: str, expected: str) -> bool:
    if not name_key(expected) or not name_key(holder):
        return False
    if _unmarked(holder) or _unmarked(expected):  # one side has no diacritics at all
        return name_key(holder) == name_key(expected)
    return _syllables(holder) == _syllables(expected)


@dataclass(frozen=True)
class Binding:
    """The outcome of a successful check: who holds the certificate, who the slot names, and the
    override reason when they differ (empty when they match)."""

    certificate: CertificateInfo
    expected_name: str
    override_reason: str = ""

    @property
    def overridden(self) -> bool:
        return bool(self.override_reason)


def check_usable(cert: CertificateInfo, at: datetime) -> None:
    """Refuse a certificate that cannot sign at `at`: not yet valid, expired, or not for signing."""
    problem = cert.validity_problem(at)
    if problem:
        template, params = problem
        raise UserError(template, hint="Dùng chứng thư số còn hiệu lực (liên hệ nơi cấp để gia hạn).", **params)
    if not cert.can_sign:
        raise UserError("Chứng thư số của {name} không được cấp để ký số văn bản (mục đích sử dụng khóa: {usage}).",
                        hint="Dùng chứng thư số ký (thường có mục đích “ký số” hoặc “chống chối bỏ”) do nơi cấp"
                             " chứng thư cung cấp.", name=cert.common_name, usage=cert.key_usage_text)


def check_binding(cert: CertificateInfo, expected_name: str, at: datetime, *, slot_label: str,
                  override_reason: str = "") -> Binding:
    """The certificate may sign the slot of `expected_name` at `at`, or a UserError says why not."""
    check_usable(cert, at)
    expected = unicodedata.normalize("NFC", " ".join(expected_name.split()))
    if not expected:
        raise UserError("Ô chữ ký “{slot}” chưa có họ tên người ký.",
                        hint="Nhập họ tên người ký trong thông tin văn bản trước khi ký.", slot=slot_label)
    if names_match(cert.common_name, expected):
        return Binding(cert, expected)
    reason = unicodedata.normalize("NFC", " ".join(override_reason.split()))
    if not reason:
        raise UserError(
            "Chứng thư số là của “{holder}”, không phải của “{expected}” ({slot}); chưa ký.",
            hint="Dùng chứng thư số của chính người ký. Nếu người khác được ủy quyền ký thay, ghi rõ lý do"
                 " ký thay để tiếp tục; lý do được lưu lại và hiện khi kiểm tra chữ ký.",
            holder=cert.common_name, expected=expected, slot=slot_label)
    if len(reason) < MIN_REASON:
        raise UserError("Lý do ký thay quá ngắn ({length} ký tự, cần ít nhất {minimum}).",
                        hint="Ghi rõ ai ủy quyền, theo văn bản nào.", length=len(reason), minimum=MIN_REASON)
    if len(reason) > MAX_REASON:
        raise UserError("Lý do ký thay quá dài ({length} ký tự, tối đa {maximum}).",
                        hint="Rút gọn lý do rồi thử lại.", length=len(reason), maximum=MAX_REASON)
    return Binding(cert, expected, reason)
