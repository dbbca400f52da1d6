"""PDF/A-2b post-processing with pikepdf: XMP (pdfaid 2/B, Dublin Core, dates) kept identical to
the Info dictionary, an sRGB output intent, a fixed file identifier, no encryption.

reportlab has no PDF/A mode; this step adds what ISO 19005-2 level B asks of the file as a whole.
Fonts (embedded TrueType subsets) and images are taken care of by the renderer. pyHanko later
appends signatures as incremental updates, which keep all of this intact (document brief §6.3).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

import pikepdf
import reportlab

from inspector.documents.icc import srgb_v2_profile
from inspector.documents.nfc import nfc
from inspector.documents.subsets import retag_font_subsets

CREATOR_TOOL = "Inspector"
SRGB_IDENTIFIER = "sRGB IEC61966-2.1"


@dataclass(frozen=True)
class PdfaInfo:
    """Resolved metadata: no defaults left, `created` is timezone-aware."""

    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    created: datetime
    document_id: str


def producer() -> str:
    return f"ReportLab {reportlab.Version}; pikepdf {pikepdf.__version__}"


def srgb_profile() -> bytes:
    """The output intent's profile: sRGB as ICC version 2.1 (see icc.py for why not version 4)."""
    return srgb_v2_profile()


def pdf_date(moment: datetime) -> str:
    """D:YYYYMMDDHHmmSS+HH'mm' as the Info dictionary wants it."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("PDF dates need a timezone-aware datetime")
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return f"D:{moment:%Y%m%d%H%M%S}{sign}{hh:02d}'{mm:02d}'"


def xmp_date(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def file_identifier(document_id: str, raw: bytes) -> bytes:
    """16 bytes: from the caller's document id if given, else from the content (still stable)."""
    seed = document_id.encode("utf-8") if document_id else raw
    return hashlib.md5(seed, usedforsecurity=False).digest()


def to_pdfa(raw: bytes, info: PdfaInfo) -> bytes:
    created = info.created.replace(microsecond=0)
    title, author, subject = nfc(info.title), nfc(info.author), nfc(info.subject)
    keywords = nfc(", ".join(info.keywords))
    ident = file_identifier(info.document_id, raw)
    with pikepdf.open(BytesIO(raw)) as pdf:
        icc = pikepdf.Stream(pdf, srgb_profile())
        icc.N = 3
        pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1,
            OutputConditionIdentifier=SRGB_IDENTIFIER, Info=SRGB_IDENTIFIER,
            RegistryName="http://www.color.org", DestOutputProfile=icc,
        )])
        pdf.Root.Lang = pikepdf.String("vi-VN")
        retag_font_subsets(pdf)

        docinfo = pikepdf.Dictionary(
            Title=pikepdf.String(title), Author=pikepdf.String(author),
            Subject=pikepdf.String(subject), Creator=pikepdf.String(CREATOR_TOOL),
            Producer=pikepdf.String(producer()),
            CreationDate=pikepdf.String(pdf_date(created)), ModDate=pikepdf.String(pdf_date(created)),
        )
        if keywords:
            docinfo.Keywords = pikepdf.String(keywords)
        pdf.trailer.Info = pdf.make_indirect(docinfo)

        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
            meta["dc:title"] = title
            meta["dc:creator"] = [author]
            meta["dc:description"] = subject
            meta["dc:format"] = "application/pdf"
            meta["dc:language"] = ["vi-VN"]
            if keywords:
                meta["pdf:Keywords"] = keywords
            meta["pdf:Producer"] = producer()
            meta["xmp:CreatorTool"] = CREATOR_TOOL
            meta["xmp:CreateDate"] = xmp_date(created)
            meta["xmp:ModifyDate"] = xmp_date(created)
            meta["xmp:MetadataDate"] = xmp_date(created)

        pdf.trailer.ID = pikepdf.Array([pikepdf.String(ident), pikepdf.String(ident)])
        out = BytesIO()
        # qpdf decodes and re-deflates every stream, so the bytes do not depend on how reportlab
        # happened to encode them (see layout._without_ascii85).
        pdf.save(out, fix_metadata_version=False, deterministic_id=True, encryption=False,
                 stream_decode_level=pikepdf.StreamDecodeLevel.generalized, recompress_flate=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return out.getvalue()
