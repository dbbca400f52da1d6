"""Bundled Liberation Serif, registered once per process in reportlab's own font registry.

Official documents name Times New Roman, which cannot be redistributed; Liberation Serif 2.1.5 has
the same metrics and every precomposed Vietnamese letter. Registering parses four 400 KB files, so
it happens once: reportlab's registry is the cache, and this module keeps no state of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont

from inspector.errors import StorageError
from inspector.paths import resources_dir

FAMILY = "LiberationSerif"


@dataclass(frozen=True)
class FontSet:
    """The registered names of the four faces of one family."""

    regular: str
    bold: str
    italic: str
    bold_italic: str

    def face(self, *, bold: bool = False, italic: bool = False) -> str:
        if bold and italic:
            return self.bold_italic
        if bold:
            return self.bold
        return self.italic if italic else self.regular


_FACES = {
    "regular": "Regular",
    "bold": "Bold",
    "italic": "Italic",
    "bold_italic": "BoldItalic",
}


def register_fonts(directory: Path | None = None) -> FontSet:
    """Register the bundled faces (idempotent) and map <b>/<i> markup to them."""
    folder = directory or resources_dir() / "fonts"
    names = {key: f"{FAMILY}-{suffix}" for key, suffix in _FACES.items()}
    known = set(pdfmetrics.getRegisteredFontNames())
    for key, name in names.items():
        if name in known:
            continue
        path = folder / f"{FAMILY}-{_FACES[key]}.ttf"
        try:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        except OSError as exc:
            raise StorageError(
                "Không đọc được phông chữ {path}.",
                hint="Cài đặt lại ứng dụng để khôi phục thư mục phông chữ.",
                path=str(path),
            ) from exc
    fonts = FontSet(**names)
    # Map <b>/<i> markup from any face (a bold heading may contain <i>), not only the regular one.
    for family in (fonts.regular, fonts.bold, fonts.italic, fonts.bold_italic):
        registerFontFamily(family, normal=fonts.regular, bold=fonts.bold, italic=fonts.italic,
                           boldItalic=fonts.bold_italic)
    return fonts
