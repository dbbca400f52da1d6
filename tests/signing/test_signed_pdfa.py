"""PDF/A-2b survives signing: the real minutes, signed twice (one with a drawn signature) and then
timestamped, checked revision by revision: Info and XMP agree, subset tags are distinct, the
output intent's ICC profile is version 2, every font is embedded, qpdf finds no error."""

from __future__ import annotations

import hashlib
import io
import subprocess
from datetime import datetime
from pathlib import Path

import pikepdf
import pytest

from inspector.documents import render_minutes
from inspector.signing import (
    AppearanceSpec,
    FieldSpec,
    add_document_timestamp,
    load_pkcs12,
    prepare_fields,
    sign_pdf,
)
from tests.documents import builders
from tests.signing.conftest import TsaServer
from tests.signing.pki import PASSPHRASE, Pki


@pytest.fixture(scope="module")
def signed_revisions(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    tmp = tmp_path_factory.mktemp("pdfa")
    first, second = tmp / "a.p12", tmp / "b.p12"
    first.write_bytes(pki.signer.pkcs12(PASSPHRASE))
    second.write_bytes(pki.second_signer.pkcs12(PASSPHRASE))
    rendered = render_minutes(builders.minutes("state", photos=2))
    pdf = prepare_fields(rendered.pdf, [FieldSpec(f.name, f.page_index, f.box) for f in rendered.fields])
    with load_pkcs12(second, PASSPHRASE) as source:
        pdf = sign_pdf(pdf, "Sig_DaiDienDonVi", source, reason="Ký").pdf
    with load_pkcs12(first, PASSPHRASE) as source:
        pdf = sign_pdf(pdf, "Sig_TruongDoan", source, reason="Ký",
                       appearance=AppearanceSpec(signature_png=builders.signature_png())).pdf
    tsa = TsaServer(pki)
    try:
        pdf = add_document_timestamp(pdf, tsa.url).pdf
    finally:
        tsa.close()
    ends = [i + 5 for i in range(len(pdf)) if pdf.startswith(b"%%EOF", i)]
    return [pdf[:end] for end in ends]


def _instant(info_date: str) -> datetime:
    text = info_date.removeprefix("D:").replace("'", "")
    if text.endswith("Z"):
        text = text[:-1] + "+0000"
    return datetime.strptime(text, "%Y%m%d%H%M%S%z")


def test_every_revision_keeps_info_and_xmp_equal(signed_revisions: list[bytes]) -> None:
    assert len(signed_revisions) >= 5  # render, fields, two signatures, timestamp
    for n, revision in enumerate(signed_revisions):
        with pikepdf.open(io.BytesIO(revision)) as pdf:
            info = pdf.trailer.Info
            meta = pdf.open_metadata()
            assert str(info.Producer) == meta["pdf:Producer"], n
            assert _instant(str(info.ModDate)) == datetime.fromisoformat(meta["xmp:ModifyDate"]), n
            assert str(info.Title) == meta["dc:title"] and meta["pdfaid:part"] == "2", n
            assert meta["pdfaid:conformance"] == "B", n


def test_subset_tags_are_distinct_for_distinct_subsets(signed_revisions: list[bytes]) -> None:
    programs: dict[str, set[str]] = {}
    with pikepdf.open(io.BytesIO(signed_revisions[-1])) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and "/FontDescriptor" in obj:
                descriptor = obj.FontDescriptor
                assert "/FontFile2" in descriptor, obj.BaseFont  # embedded
                name = str(obj.BaseFont)
                assert name[7] == "+" and name[1:7].isupper() and str(descriptor.FontName) == name
                programs.setdefault(name, set()).add(hashlib.sha256(descriptor.FontFile2.read_bytes()).hexdigest())
    assert len(programs) >= 6  # the document's faces and each signature stamp's
    assert all(len(found) == 1 for found in programs.values()), programs


def test_output_intent_profile_is_icc_version_2(signed_revisions: list[bytes]) -> None:
    from PIL import ImageCms

    with pikepdf.open(io.BytesIO(signed_revisions[-1])) as pdf:
        (intent,) = pdf.Root.OutputIntents
        data = intent.DestOutputProfile.read_bytes()
    assert data[8] == 2 and data[36:40] == b"acsp" and data[12:20] == b"mntrRGB "
    profile = ImageCms.ImageCmsProfile(io.BytesIO(data)).profile
    assert profile.version < 3 and profile.profile_description == "sRGB IEC61966-2.1"


def test_qpdf_finds_no_error_in_the_signed_file(signed_revisions: list[bytes], tmp_path: Path) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed_revisions[-1])
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert builders.font_problems(signed_revisions[-1]) == []
