"""The CPU-heavy steps of issuing a document, as pure functions of plain values.

These run wherever `ServiceContext.worker` runs them (`inspector.worker`): in the desktop app, in
the signing child process; in the CLI, inline. They never see the database or the vault: the
document model, the PDF bytes and the credential come in, PDF bytes and what the certificates
said go out, and the caller (`document_issue`) puts the bytes into the vault and records them.
A token session is opened and closed inside one call (`open_credential`); the PIN or the
PKCS#12 password arrives in the call's arguments and is not kept after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from inspector.documents import ConclusionDocument, MinutesDocument, render_conclusion, render_minutes
from inspector.documents.fonts import register_fonts
from inspector.services.signing_identities import Credential, open_credential
from inspector.signing import (
    AppearanceSpec,
    CertificateInfo,
    FieldSpec,
    check_binding,
    prepare_fields,
    sign_pdf,
)


@dataclass(frozen=True)
class SignRequest:
    """One digital signature: which field, with which credential, for whom."""

    role: str
    field_name: str
    credential: Credential
    expected_name: str    # the person the slot names
    slot_label: str       # the slot, as the user knows it (for messages)
    override_reason: str  # cleaned; "" unless someone signs on the person's behalf
    reason: str           # the signature's /Reason before any "ký thay" note
    drawn_png: bytes | None
    at: datetime          # when the certificate must be valid (the caller's clock)


@dataclass(frozen=True)
class SignedRevision:
    """The file after one signature and what the certificate said."""

    pdf: bytes
    role: str
    field_name: str
    signer_name: str
    cert_subject: str
    cert_fingerprint: str
    claimed_time: datetime
    method: str  # pkcs12 | pkcs11
    expected_name: str
    override_reason: str
    certificate: CertificateInfo


@dataclass(frozen=True)
class IssueWork:
    """A rendered document with its empty signature fields, then each digital revision in order."""

    prepared: bytes
    field_specs: tuple[FieldSpec, ...]
    revisions: tuple[SignedRevision, ...]


def render_and_sign(document: MinutesDocument | ConclusionDocument,
                    requests: Sequence[SignRequest]) -> IssueWork:
    """Render, add the empty signature fields, then sign left to right (the principal last).

    Requests whose field the layout did not draw are left out, as the layout decides the slots.
    """
    rendered = (render_minutes(document) if isinstance(document, MinutesDocument)
                else render_conclusion(document))
    boxes = {f.name: f for f in rendered.fields}
    order = [f.name for f in rendered.fields]
    specs = tuple(FieldSpec(name, f.page_index, f.box) for name, f in boxes.items())
    prepared = prepare_fields(rendered.pdf, specs)
    digital = sorted((r for r in requests if r.field_name in boxes), key=lambda r: order.index(r.field_name))
    return IssueWork(prepared, specs, sign_revisions(prepared, digital))


def sign_revisions(pdf: bytes, requests: Sequence[SignRequest]) -> tuple[SignedRevision, ...]:
    """Each request signs the file the previous one produced (one incremental update each)."""
    out: list[SignedRevision] = []
    current = pdf
    for request in requests:
        signed = sign_one(current, request)
        out.append(signed)
        current = signed.pdf
    return tuple(out)


def sign_one(pdf: bytes, r: SignRequest) -> SignedRevision:
    with open_credential(r.credential) as (source, method):
        binding = check_binding(source.certificate, r.expected_name, r.at, slot_label=r.slot_label,
                                override_reason=r.override_reason)
        reason = r.reason
        if binding.overridden:
            reason += f" (ký thay {binding.expected_name}: {binding.override_reason})"
        result = sign_pdf(pdf, r.field_name, source, appearance=AppearanceSpec(signature_png=r.drawn_png),
                          reason=reason)
        return SignedRevision(result.pdf, r.role, r.field_name, result.signer_name, result.cert_subject,
                              result.cert_fingerprint, result.claimed_time, method, binding.expected_name,
                              binding.override_reason, source.certificate)


def warm() -> None:
    """Load what the first document needs (the modules above, the fonts) before it is asked for."""
    register_fonts()
