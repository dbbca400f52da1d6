"""Test input PDFs: a 2-page A4 minutes-like document in Liberation Serif, made PDF/A-2b-ish."""

from __future__ import annotations

import unicodedata
from io import BytesIO

import pikepdf
from PIL import ImageCms
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from inspector.paths import resources_dir
from inspector.signing import FieldSpec

FONT = "TestLiberationSerif"
FONT_BOLD = "TestLiberationSerif-Bold"

#: 45 × 25 mm boxes on the last page (document brief §8.2), like the renderer will produce.
LEADER_BOX = (120 * mm, 40 * mm, 165 * mm, 65 * mm)
UNIT_BOX = (35 * mm, 40 * mm, 80 * mm, 65 * mm)
FIELDS = (FieldSpec("Sig_TruongDoan", 1, LEADER_BOX), FieldSpec("Sig_DaiDienDonVi", 1, UNIT_BOX))


def register_fonts() -> None:
    fonts = resources_dir() / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "LiberationSerif-Regular.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(fonts / "LiberationSerif-Bold.ttf")))


def minutes_pdf(pages: int = 2) -> bytes:
    """Plain reportlab output (no PDF/A metadata)."""
    register_fonts()
    buf = BytesIO()
    c = Canvas(buf, pagesize=A4, initialFontName=FONT)
    width, height = A4
    for page in range(pages):
        c.setFont(FONT_BOLD, 14)
        c.drawCentredString(width / 2, height - 30 * mm, "BIÊN BẢN KIỂM TRA")
        c.setFont(FONT, 13)
        last = page == pages - 1
        for i in range(18 if last else 30):  # the last page keeps its signature area blank
            text = unicodedata.normalize(
                "NFC", f"Trang {page + 1}, dòng {i + 1}: Đoàn kiểm tra ghi nhận việc thực hiện "
                       "nhiệm vụ, công vụ tại đơn vị.")
            c.drawString(30 * mm, height - (45 + i * 7) * mm, text)
        if last:
            c.setFont(FONT_BOLD, 13)
            c.drawCentredString(57.5 * mm, 70 * mm, "ĐẠI DIỆN ĐƠN VỊ")
            c.drawCentredString(142.5 * mm, 70 * mm, "TRƯỞNG ĐOÀN")
        c.showPage()
    c.save()
    return buf.getvalue()


def pdfa_like(pdf: bytes) -> bytes:
    """pikepdf post-processing as the renderer does it: XMP pdfaid 2B and an sRGB OutputIntent."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    with pikepdf.open(BytesIO(pdf)) as doc:
        with doc.open_metadata() as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
            meta["dc:title"] = "Biên bản kiểm tra"
        profile = doc.make_stream(icc)
        profile["/N"] = 3
        intent = pikepdf.Dictionary(Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1,
                                    OutputConditionIdentifier=pikepdf.String("sRGB"),
                                    DestOutputProfile=profile)
        doc.Root.OutputIntents = pikepdf.Array([doc.make_indirect(intent)])
        out = BytesIO()
        doc.save(out)
        return out.getvalue()


def has_pdfa_markers(pdf: bytes) -> bool:
    with pikepdf.open(BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        return (meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "B"
                and "/OutputIntents" in doc.Root and len(doc.Root.OutputIntents) == 1)


def unembedded_fonts(pdf: bytes) -> list[str]:
    """Every font dictionary reachable in the file whose glyphs are not embedded."""
    bad = []
    with pikepdf.open(BytesIO(pdf)) as doc:
        for obj in doc.objects:
            if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
                continue
            is_type0 = obj.get("/Subtype") == "/Type0"
            descendants = list(obj.DescendantFonts) if is_type0 else [obj]
            for font in descendants:
                desc = font.get("/FontDescriptor")
                if desc is None or not any(k in desc for k in ("/FontFile", "/FontFile2",
                                                                "/FontFile3")):
                    bad.append(str(font.get("/BaseFont")))
    return bad
