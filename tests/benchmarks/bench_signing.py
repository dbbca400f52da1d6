"""Signing benchmarks: one PKCS#12 signature and one verification on a large, photo-heavy PDF.

Targets (signing issue): sign ≤ 0.3 s, verify ≤ 0.2 s. Same-run baselines are the irreducible
work: SHA-256 over the whole file plus one raw signature (or verification) with `cryptography`
using the same RSA-2048 key.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
from io import BytesIO
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils
from PIL import Image, ImageDraw, ImageFilter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Image as RLImage
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from inspector.signing import FieldSpec, load_pkcs12, prepare_fields, sign_pdf, verify_pdf
from tests.benchmarks.harness import Result, percentile, timed
from tests.signing import docs
from tests.signing.pki import PASSPHRASE, make_pki

SIGN_TARGET_MS = 300
VERIFY_TARGET_MS = 200


def _photo(seed: int, target_bytes: int = 40_000) -> bytes:
    """A photo-like JPEG (gradient, shapes, grain) of roughly `target_bytes`."""
    rng = random.Random(seed)
    img = Image.new("RGB", (800, 600))
    draw = ImageDraw.Draw(img)
    top, bottom = [rng.randrange(256) for _ in range(3)], [rng.randrange(256) for _ in range(3)]
    for y in range(600):
        t = y / 599
        draw.line([(0, y), (800, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom,
                                                                                        strict=True)))
    for _ in range(25):
        x, y = rng.randrange(800), rng.randrange(600)
        draw.ellipse([x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 150)],
                     fill=tuple(rng.randrange(256) for _ in range(3)))
    img = img.filter(ImageFilter.GaussianBlur(2))
    noise = Image.effect_noise((800, 600), 18).convert("RGB")
    img = Image.blend(img, noise, 0.12)
    best = b""
    for quality in range(90, 10, -5):
        buf = BytesIO()
        img.save(buf, "JPEG", quality=quality)
        best = buf.getvalue()
        if len(best) <= target_bytes:
            break
    return best


def large_pdf(text_pages: int, photos: int) -> bytes:
    """Text tables over `text_pages` pages, then the photo annex, then the signature page."""
    docs.register_fonts()
    body = ParagraphStyle("body", fontName=docs.FONT, fontSize=12, leading=15)
    cell = ParagraphStyle("cell", fontName=docs.FONT, fontSize=10, leading=12)
    story: list[object] = []
    for page in range(text_pages):
        story.append(Paragraph(f"Phụ lục {page + 1}: kết quả kiểm tra chi tiết", body))
        rows = [["STT", "Nội dung kiểm tra", "Kết quả", "Ghi chú"]]
        for i in range(32):
            rows.append([str(i + 1), Paragraph(f"Việc thực hiện nhiệm vụ số {i + 1} của bộ phận "
                                               "một cửa", cell), "Đạt" if i % 3 else "Chưa đạt",
                         Paragraph("Đã lập biên bản, yêu cầu khắc phục", cell)])
        table = Table(rows, colWidths=[12 * mm, 80 * mm, 25 * mm, 48 * mm])
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), docs.FONT),
                                   ("FONTSIZE", (0, 0), (-1, -1), 10),
                                   ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
        story += [table, PageBreak()]
    for i in range(photos):
        story.append(RLImage(BytesIO(_photo(i)), width=80 * mm, height=60 * mm))
        story.append(Paragraph(f"Ảnh {i + 1}: hiện trạng hồ sơ tại bộ phận một cửa", cell))
    story += [PageBreak(), Spacer(1, 200 * mm), Paragraph("TRƯỞNG ĐOÀN", body)]
    buf = BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, initialFontName=docs.FONT).build(story)
    return docs.pdfa_like(buf.getvalue())


def run(quick: bool) -> list[Result]:
    pki = make_pki()
    repeat = 3 if quick else 15
    pdf = large_pdf(text_pages=3 if quick else 12, photos=10 if quick else 50)
    last = _page_count(pdf) - 1
    prepared = prepare_fields(pdf, [FieldSpec("Sig_TruongDoan", last, docs.LEADER_BOX),
                                    FieldSpec("Sig_DaiDienDonVi", last, docs.UNIT_BOX)])
    size_mb = len(prepared) / 1e6
    with tempfile.TemporaryDirectory(prefix="bench-signing-") as tmp:
        p12 = Path(tmp) / "signer.p12"
        p12.write_bytes(pki.signer.pkcs12())
        with load_pkcs12(p12, PASSPHRASE) as source:
            signed = sign_pdf(prepared, "Sig_TruongDoan", source, reason="Ký").pdf  # warm-up
            sign_ms = percentile(timed(lambda: sign_pdf(prepared, "Sig_TruongDoan", source,
                                                        reason="Ký biên bản kiểm tra"), repeat), 50)
            # co-signed file: verifying the first signature now runs pyHanko's diff analysis
            cosigned = sign_pdf(signed, "Sig_DaiDienDonVi", source, reason="Ký").pdf
    key = pki.signer.key

    def raw_sign() -> bytes:
        digest = hashlib.sha256(prepared).digest()
        return key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))

    raw_sign_ms = percentile(timed(raw_sign, repeat * 3), 50)
    roots = [pki.root.cert]
    report = verify_pdf(signed, roots)
    assert report.trusted, report
    verify_ms = percentile(timed(lambda: verify_pdf(signed, roots), repeat), 50)
    signature = key.sign(hashlib.sha256(signed).digest(), padding.PKCS1v15(),
                         utils.Prehashed(hashes.SHA256()))
    public = key.public_key()

    def raw_verify() -> None:
        digest = hashlib.sha256(signed).digest()
        public.verify(signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))

    raw_verify_ms = percentile(timed(raw_verify, repeat * 3), 50)
    assert verify_pdf(cosigned, roots).trusted
    cosigned_ms = percentile(timed(lambda: verify_pdf(cosigned, roots), repeat), 50)
    return [
        Result(f"sign PKCS#12 RSA-2048, {size_mb:.1f} MB PDF, p50", sign_ms, raw_sign_ms, "ms",
               "SHA-256 of file + 1 raw RSA sign", f"≤ {SIGN_TARGET_MS} ms", sign_ms <= SIGN_TARGET_MS),
        Result(f"verify 1 signature, {size_mb:.1f} MB PDF, p50", verify_ms, raw_verify_ms, "ms",
               "SHA-256 of file + 1 raw RSA verify", f"≤ {VERIFY_TARGET_MS} ms",
               verify_ms <= VERIFY_TARGET_MS),
        Result("verify 2 signatures (incl. diff analysis), p50", cosigned_ms, 2 * raw_verify_ms,
               "ms", "2 × (SHA-256 of file + 1 raw RSA verify)", "(reported)", True),
    ]


def _page_count(pdf: bytes) -> int:
    import pikepdf

    with pikepdf.open(BytesIO(pdf)) as doc:
        return len(doc.pages)
