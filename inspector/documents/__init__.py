"""Official documents as PDF/A-2b: the inspection minutes and the conclusion.

A pure library: the caller fills the model (plain values), the renderer lays it out with the
regime's style table and returns the PDF plus the rectangles where signature fields go.
"""

from __future__ import annotations

from inspector.documents.model import (
    ConclusionDocument,
    EvidenceEntry,
    FieldBox,
    Header,
    LevelMatrix,
    MinutesDocument,
    Participant,
    PdfInfo,
    Refusal,
    RenderedDocument,
    RequirementRow,
    ResultSection,
    SignatureBlock,
    document_time,
)
from inspector.documents.render import render_conclusion, render_minutes
from inspector.documents.styles import Style, load_style, load_style_file

__all__ = [
    "ConclusionDocument",
    "EvidenceEntry",
    "FieldBox",
    "Header",
    "LevelMatrix",
    "MinutesDocument",
    "Participant",
    "PdfInfo",
    "Refusal",
    "RenderedDocument",
    "RequirementRow",
    "ResultSection",
    "SignatureBlock",
    "Style",
    "document_time",
    "load_style",
    "load_style_file",
    "render_conclusion",
    "render_minutes",
]
