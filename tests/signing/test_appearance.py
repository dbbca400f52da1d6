"""What the signed page looks like, and that the file stays archivable (fonts, PDF/A markers)."""

from __future__ import annotations

import subprocess
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageDraw

from inspector.errors import UserError
from inspector.signing import AppearanceSpec, load_pkcs12, sign_pdf
from tests.signing import docs
from tests.signing.pki import PASSPHRASE

DPI = 100


def _render_last_page(pdf: bytes, tmp_path: Path, name: str) -> Image.Image:
    src = tmp_path / f"{name}.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", "2", "-l", "2", str(src),
                    str(tmp_path / name)], check=True, timeout=60)
    (png,) = tmp_path.glob(f"{name}-*.png")
    return Image.open(png).convert("RGB")


def _field_pixels(image: Image.Image, box: tuple[float, float, float, float]) -> list[tuple[int, ...]]:
    scale = DPI / 72
    x1, y1, x2, y2 = box
    height_pt = image.height / scale
    crop = image.crop((round(x1 * scale), round((height_pt - y2) * scale),
                       round(x2 * scale), round((height_pt - y1) * scale)))
    return [tuple(p) for p in crop.get_flattened_data()]  # type: ignore[arg-type]


def _dark(pixels: list[tuple[int, ...]]) -> int:
    return sum(1 for p in pixels if sum(p) < 3 * 110)


def _blue(pixels: list[tuple[int, ...]]) -> int:
    return sum(1 for r, g, b in pixels if b > 120 and b > r + 60 and b > g + 40)


def _signature_png() -> bytes:
    img = Image.new("RGBA", (600, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.line([(30, 180), (140, 40), (220, 200), (330, 60), (450, 190), (570, 90)],
              fill=(20, 40, 200, 255), width=14)
    buf = BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_stamp_is_drawn_inside_the_field(prepared_pdf: bytes, p12_path: Path, tmp_path: Path) -> None:
    before = _field_pixels(_render_last_page(prepared_pdf, tmp_path, "before"), docs.LEADER_BOX)
    assert _dark(before) == 0  # the field area is blank before signing
    with load_pkcs12(p12_path, PASSPHRASE) as source:
        signed = sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason="Ký").pdf
    page = _render_last_page(signed, tmp_path, "after")
    assert _dark(_field_pixels(page, docs.LEADER_BOX)) > 150  # "Ký bởi…", "Thời gian…"
    assert _blue(_field_pixels(page, docs.LEADER_BOX)) > 50   # "(Đã ký số)"
    assert _dark(_field_pixels(page, docs.UNIT_BOX)) == 0     # the other field stays empty
    page.crop((0, page.height // 2, page.width, page.height)).save(tmp_path / "stamp-preview.png")


def test_handwritten_signature_image_is_drawn(prepared_pdf: bytes, p12_path: Path,
                                              tmp_path: Path) -> None:
    with load_pkcs12(p12_path, PASSPHRASE) as source:
        signed = sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason="Ký",
                          appearance=AppearanceSpec(signature_png=_signature_png())).pdf
    pixels = _field_pixels(_render_last_page(signed, tmp_path, "image"), docs.LEADER_BOX)
    assert _blue(pixels) > 400 and _dark(pixels) > 150


def test_bad_signature_image_is_a_user_error(prepared_pdf: bytes, p12_path: Path) -> None:
    with load_pkcs12(p12_path, PASSPHRASE) as source, pytest.raises(UserError, match="ảnh chữ ký"):
        sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason="Ký",
                 appearance=AppearanceSpec(signature_png=b"not a png"))


def test_signed_file_keeps_fonts_embedded_pdfa_markers_and_printable_widgets(
        prepared_pdf: bytes, p12_path: Path, second_p12_path: Path) -> None:
    assert docs.has_pdfa_markers(prepared_pdf)
    with load_pkcs12(p12_path, PASSPHRASE) as source:
        signed = sign_pdf(prepared_pdf, "Sig_TruongDoan", source, reason="Ký",
                          appearance=AppearanceSpec(signature_png=_signature_png())).pdf
    with load_pkcs12(second_p12_path, PASSPHRASE) as source:
        signed = sign_pdf(signed, "Sig_DaiDienDonVi", source, reason="Ký").pdf
    assert docs.unembedded_fonts(signed) == []
    assert docs.has_pdfa_markers(signed)
    with pikepdf.open(BytesIO(signed)) as doc:
        widgets = [a for a in doc.pages[1].Annots if a.get("/Subtype") == "/Widget"]
        assert len(widgets) == 2
        for widget in widgets:
            assert int(widget.F) & 4, "Print flag"
            assert "/AP" in widget and "/N" in widget.AP
        font_names = {str(f.get("/BaseFont")) for f in doc.objects
                      if isinstance(f, pikepdf.Dictionary) and f.get("/Type") == "/Font"}
    assert not any("Helvetica" in name for name in font_names)
    assert any("LiberationSerif-Italic" in name for name in font_names)
