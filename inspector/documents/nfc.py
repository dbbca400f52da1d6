"""The one place where text on its way into the PDF is NFC-normalised (and escaped for markup).

reportlab does no shaping: decomposed (NFD) Vietnamese renders with misplaced tone marks, and a
stray '<' or '&' in a user's note would break Paragraph markup.
"""

from __future__ import annotations

import unicodedata
from xml.sax.saxutils import escape


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def markup(text: str) -> str:
    """User text as Paragraph markup: NFC, XML-escaped."""
    return escape(nfc(text))


def upper(text: str) -> str:
    """Upper case for header lines; NFC again afterwards, as the brief advises."""
    return nfc(nfc(text).upper())
