"""Font subset tags that differ whenever the subsets differ (PDF/A: ISO 19005-2, 6.2.11.4.2).

reportlab tags the first subset of every face "AAAAAA+", so the document and each signature
stamp (a separate little reportlab PDF imported into the signed file) all carry, say,
"AAAAAA+LiberationSerif" with different glyphs inside. PDF/A requires distinct subsets to have
distinct names, so each tag is derived from the embedded font program itself: equal subsets keep
equal tags, different subsets get different ones, and the output stays deterministic.
"""

from __future__ import annotations

import hashlib

import pikepdf

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _tag(seed: bytes) -> str:
    digest = hashlib.sha256(seed).digest()
    return "".join(_LETTERS[b % 26] for b in digest[:6])


def retag_font_subsets(pdf: pikepdf.Pdf) -> int:
    """Rename every subset font (BaseFont "XXXXXX+Name") after its font program; returns the count."""
    renamed = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
            continue
        base = str(obj.get("/BaseFont", ""))
        if len(base) < 8 or base[7] != "+":
            continue
        descriptor = obj.get("/FontDescriptor")
        if descriptor is None:
            continue
        program = next((descriptor[k] for k in ("/FontFile2", "/FontFile", "/FontFile3") if k in descriptor), None)
        if program is None:
            continue
        name = base[8:]
        new = f"/{_tag(program.read_bytes() + name.encode())}+{name}"
        obj.BaseFont = pikepdf.Name(new)
        descriptor.FontName = pikepdf.Name(new)
        renamed += 1
    return renamed
