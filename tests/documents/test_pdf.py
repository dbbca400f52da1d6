"""File-level properties: embedded fonts only, PDF/A-2b metadata, determinism, NFC, the big matrix."""

from __future__ import annotations

import io
import time
import unicodedata
from collections import Counter
from dataclasses import fields, is_dataclass, replace
from typing import Any

import pikepdf
import pytest
from PIL import Image

from inspector.documents import EvidenceEntry, PdfInfo, RenderedDocument, render_conclusion, render_minutes
from inspector.documents.pdfa import srgb_profile
from tests.documents import builders
from tests.documents.builders import flat, pdftotext

LEVELS = {"0", "1", "2", "3", "—"}


@pytest.fixture(scope="module")
def samples() -> dict[str, RenderedDocument]:
    drawn = builders.signature_png()
    return {
        "minutes-state": render_minutes(builders.minutes("state", drawn=drawn)),
        "minutes-party": render_minutes(builders.minutes("party", number="")),
        "conclusion-party": render_conclusion(builders.conclusion("party")),
        "conclusion-state": render_conclusion(builders.conclusion("state")),
    }


@pytest.fixture(scope="module")
def big() -> RenderedDocument:
    return render_minutes(builders.minutes("state", items=41, subjects=30, photos=50, results=12))


def test_every_font_is_embedded_and_none_is_standard(samples: dict[str, RenderedDocument]) -> None:
    for name, rendered in samples.items():
        found = builders.fonts(rendered.pdf)
        assert found, name
        assert builders.font_problems(rendered.pdf) == [], name
        assert {base.split("+")[-1] for base, _, _ in found} <= {
            "LiberationSerif", "LiberationSerif-Bold", "LiberationSerif-Italic", "LiberationSerif-BoldItalic"}


def test_pdfa_metadata_and_output_intent(samples: dict[str, RenderedDocument]) -> None:
    for name, rendered in samples.items():
        with builders.open_pdf(rendered.pdf) as pdf:
            assert not pdf.is_encrypted and "/Encrypt" not in pdf.trailer
            meta = pdf.open_metadata()
            assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B", name
            info = pdf.docinfo
            assert meta["dc:title"] == str(info.Title)
            assert meta["dc:creator"] == [str(info.Author)]
            assert meta["pdf:Producer"] == str(info.Producer)
            assert meta["xmp:CreateDate"] == "2024-08-07T11:15:00+07:00"
            assert str(info.CreationDate) == "D:20240807111500+07'00'"
            assert "/Filter" not in pdf.Root.Metadata  # PDF/A: the XMP stream stays readable
            (intent,) = pdf.Root.OutputIntents
            assert intent.S == "/GTS_PDFA1" and intent.OutputConditionIdentifier == "sRGB IEC61966-2.1"
            profile = intent.DestOutputProfile
            assert profile.N == 3 and profile.read_bytes() == srgb_profile()
            assert str(pdf.Root.Lang) == "vi-VN"


def test_title_and_author_default_from_the_document(samples: dict[str, RenderedDocument]) -> None:
    with builders.open_pdf(samples["conclusion-party"].pdf) as pdf:
        assert str(pdf.docinfo.Title).startswith("Kết luận: Kết luận kiểm tra đột xuất")
        assert str(pdf.docinfo.Author) == "Thành ủy Hà Nội"
        assert str(pdf.docinfo.Subject) == "Số 12-KL/TU"


def test_identical_input_gives_identical_bytes() -> None:
    doc = builders.minutes("party", drawn=builders.signature_png())
    first = render_minutes(doc)
    time.sleep(1.1)  # anything stamped with the clock (an ICC header did) would now differ
    second = render_minutes(doc)
    assert first.pdf == second.pdf and first.fields == second.fields
    other_id = render_minutes(replace(doc, info=replace(doc.info, document_id="another")))
    with builders.open_pdf(first.pdf) as a, builders.open_pdf(other_id.pdf) as b:
        assert bytes(a.trailer.ID[0]) != bytes(b.trailer.ID[0])


def _nfd(value: Any) -> Any:
    """The same value with every string decomposed (as some keyboards and pasted text deliver it)."""
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, tuple):
        return tuple(_nfd(v) for v in value)
    if isinstance(value, dict):
        return {k: _nfd(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _nfd(getattr(value, f.name)) for f in fields(value)
                   if f.name not in ("field_name", "regime", "authority")}
        return replace(value, **changes)
    return value


def test_nfd_input_renders_exactly_like_nfc_input() -> None:
    doc = builders.minutes("state", drawn=builders.signature_png())
    decomposed = _nfd(doc)
    assert decomposed.team[0].name != doc.team[0].name  # really decomposed
    nfd_pdf = render_minutes(decomposed).pdf
    text = pdftotext(nfd_pdf)
    assert not any(unicodedata.combining(c) for c in text)
    assert builders.LEADER in flat(text) and builders.FINDING_NOTE in flat(text)
    assert nfd_pdf == render_minutes(doc).pdf
    conclusion = builders.conclusion("party")
    assert render_conclusion(_nfd(conclusion)).pdf == render_conclusion(conclusion).pdf


def test_big_minutes_matrix_is_complete(big: RenderedDocument) -> None:
    doc = builders.minutes("state", items=41, subjects=30, photos=0)
    assert doc.matrix is not None
    expected = Counter("—" if doc.matrix.level(i, j) is None else str(doc.matrix.level(i, j))
                       for i in range(41) for j in range(30))
    assert sum(expected.values()) == 41 * 30
    with builders.open_pdf(big.pdf) as pdf:
        landscape = [n for n, page in enumerate(pdf.pages) if page.mediabox[2] > page.mediabox[3]]
        heights = {n: float(pdf.pages[n].mediabox[3]) for n in landscape}
    assert landscape, "the matrix goes on landscape pages"
    runs = builders.text_runs(big.pdf)
    found: Counter[str] = Counter()
    for n in landscape:
        for text, _x, y, rotated in runs[n]:
            if text in LEVELS and not rotated and y < heights[n] - 56:  # not the page number
                found[text] += 1
    assert found == expected
    text = flat(pdftotext(big.pdf))
    for name in builders.subject_names(30):
        assert name in text
    for code in doc.matrix.item_codes:
        assert text.count(code) >= 2  # once per column chunk
    assert "Bảng 1/2: đối tượng 1–15" in text and "Bảng 2/2: đối tượng 16–30" in text
    assert text.count("Ghi chú: 0 – không có biểu hiện") == 1  # once, before the tables


def test_big_minutes_embeds_the_50_photos_as_they_are(big: RenderedDocument) -> None:
    doc = builders.minutes("state", items=0, subjects=0, photos=50)
    originals = {entry.thumbnail_jpeg for entry in doc.evidence}
    with builders.open_pdf(big.pdf) as pdf:
        jpegs = {bytes(image.read_raw_bytes()) for image in pdf.objects
                 if isinstance(image, pikepdf.Stream) and image.get("/Subtype") == "/Image"
                 and image.get("/Filter") in ("/DCTDecode", pikepdf.Array([pikepdf.Name.DCTDecode]))}
    assert originals <= jpegs and len(originals) == 50
    text = flat(pdftotext(big.pdf))
    for entry in doc.evidence:
        assert entry.sha256 in text and entry.file_name in text
    assert builders.font_problems(big.pdf) == []


def test_non_jpeg_thumbnail_still_renders() -> None:
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 10)).save(png, "PNG")
    doc = builders.minutes("state", items=0, photos=0)
    entries = (EvidenceEntry("scan.png", "ab" * 32, "07/8/2024 09:00", "Bản chụp", png.getvalue()),
               EvidenceEntry("note.txt", "cd" * 32, "", "Tệp văn bản", None),
               EvidenceEntry("broken.png", "ef" * 32, "", "Ảnh hỏng", b"\x89PNG\r\n\x1a\n-not-really"))
    rendered = render_minutes(replace(doc, evidence=entries, info=PdfInfo()))
    text = flat(pdftotext(rendered.pdf))
    assert "scan.png" in text and "broken.png" in text and text.count("(không có ảnh xem trước)") == 2
    page = builders.render_pages(rendered.pdf)[-1]
    colors = page.getcolors(maxcolors=1 << 20) or []
    assert any(rgb[1] > 180 and rgb[0] < 60 for _, rgb in colors)
