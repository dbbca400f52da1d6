"""Issuing a document in two steps that fit the app's threading contract (inspector/ops.py).

`prepare` only reads and does the slow work: render, sign with every credential (left to right,
the principal last), put the PDF revisions into the content-addressed vault. It returns an
immutable `PreparedIssue` that says what the commit must find unchanged. `commit` is one short
transaction on the writer: it refuses if the inspection (or its team) changed since the read,
then records the blobs and the events (prepared, signed, sealed) and remembers the identities.
A wrong PIN half-way, or a refused commit, leaves no document and no partial signature.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inspector import canonical
from inspector.clock import to_rfc3339
from inspector.documents import ConclusionDocument, MinutesDocument
from inspector.errors import RefusedError, UserError
from inspector.ids import uuid7
from inspector.services.context import ServiceContext
from inspector.services.document_content import (
    FIELD_LEADER,
    ROLE_FIELDS,
    ROLE_LABELS,
    InspectionContent,
    build_conclusion,
    build_minutes,
    signer_name,
)
from inspector.services.document_records import DocumentRecord
from inspector.services.document_review import PRINCIPAL, ContentRevision, DocumentReview
from inspector.services.issue_work import IssueWork, SignedRevision, SignRequest, render_and_sign, sign_revisions
from inspector.services.signing_identities import Credential, SigningIdentity, remember_signing_identity
from inspector.signing import FieldSpec
from inspector.text import clean

REASONS = {"minutes": "Ký biên bản kiểm tra", "conclusion": "Ký kết luận kiểm tra"}


@dataclass(frozen=True)
class SignerPlan:
    """One signer of a document: a drawn signature, a digital credential, or both.

    `override_reason` lets a certificate whose holder is not the slot's person sign anyway (a
    person authorised to sign on their behalf); it is recorded and shown by verification.
    """

    role: str  # unit_rep | secretary | leader | signer
    drawn_png: bytes | None = None
    credential: Credential | None = None
    override_reason: str = ""


@dataclass(frozen=True)
class PreparedSignature:
    role: str
    field_name: str
    signer_name: str          # certificate holder (CN)
    cert_subject: str
    cert_fingerprint: str
    claimed_time: str         # RFC 3339, the device clock
    method: str               # pkcs12 | pkcs11 | drawn
    expected_name: str        # the person the slot names
    override_reason: str
    drawn_sha256: str | None
    pdf_sha256: str           # the file after this signature ("" for a drawn-only signature)
    identity: SigningIdentity | None = None


@dataclass(frozen=True)
class PreparedIssue:
    """Everything the commit records; the PDF bytes are already in the vault."""

    inspection_id: str
    kind: str
    document_id: str
    new_document: bool        # False: a later signature on an existing document
    document_revision: int
    content: ContentRevision  # what the commit must still find
    created: str
    prepared_sha256: str
    prepared_size: int
    field_specs: tuple[FieldSpec, ...]
    signatures: tuple[PreparedSignature, ...]
    blobs: tuple[tuple[str, int], ...]  # every blob written: (sha256, size)
    seal: bool
    unassessed_reason: str
    pdf: bytes                # the final file, for whoever asked (the CLI writes it out)

    @property
    def final_sha256(self) -> str:
        return next((s.pdf_sha256 for s in reversed(self.signatures) if s.pdf_sha256), self.prepared_sha256)


def _clean_reason(text: str, label: str) -> str:
    return clean(text, label=label, max_length=1000, multiline=True)


class DocumentIssuer:
    """Prepare and commit. `content` reads an inspection's content; `revision` its ContentRevision
    (on any connection); `document` reads a stored document back."""

    def __init__(self, ctx: ServiceContext, content: Callable[[str], InspectionContent],
                 revision: Callable[[sqlite3.Connection, str], ContentRevision],
                 review: Callable[..., DocumentReview], document: Callable[[str], DocumentRecord]) -> None:
        self.ctx = ctx
        self._content = content
        self._revision = revision
        self._review = review
        self._document = document

    # -- prepare (reads, renders, signs; no database write) -------------------------------------
    def prepare(self, inspection_id: str, kind: str, plans: Sequence[SignerPlan], *,
                unassessed_reason: str = "") -> PreparedIssue:
        roles = [p.role for p in plans]
        if len(set(roles)) != len(roles) or any(r not in ROLE_FIELDS for r in roles):
            raise UserError("Danh sách người ký không hợp lệ.", hint="Mỗi vai trò ký chỉ xuất hiện một lần.")
        reason = _clean_reason(unassessed_reason, "Lý do còn ô chưa đánh giá")
        revision = self._revision(self.ctx.store.conn, inspection_id)
        content = self._content(inspection_id)
        review = self._review(inspection_id, kind, unassessed_reason=reason, content=content)
        if review.blockers:
            raise review.blockers[0]
        principal = PRINCIPAL[kind]
        lead = next((p for p in plans if p.role == principal), None)
        if lead is None or lead.credential is None:
            who = "Trưởng đoàn" if kind == "minutes" else "Người ký kết luận"
            raise RefusedError("{who} phải ký bằng chữ ký số (tệp chứng thư hoặc USB token).",
                               hint="Chữ ký vẽ tay chỉ là hình ảnh, không thay được chữ ký số.", who=who)
        now = self.ctx.clock.now()
        drawn_only = {p.role: p.drawn_png for p in plans if p.credential is None and p.drawn_png}
        document: MinutesDocument | ConclusionDocument
        if kind == "minutes":
            document = build_minutes(content, drawn=drawn_only, created=now, unassessed_reason=reason)
        else:
            document = build_conclusion(content, created=now, drawn=drawn_only.get("signer"))
        requests = [self._request(content, kind, p) for p in plans if p.credential is not None]
        # Render and sign in the worker (a child process in the app: see inspector.worker).
        work = self.ctx.worker.call(render_and_sign, document, requests)
        return self._prepared(content, kind, work, plans, drawn_only, now, revision, reason)

    def _request(self, content: InspectionContent, kind: str, plan: SignerPlan) -> SignRequest:
        assert plan.credential is not None
        expected, _ = signer_name(content, kind, plan.role)
        return SignRequest(plan.role, ROLE_FIELDS[plan.role], plan.credential, expected, ROLE_LABELS[plan.role],
                           _clean_reason(plan.override_reason, "Lý do ký thay"), REASONS[kind], plan.drawn_png,
                           self.ctx.clock.now())

    def _prepared(self, content: InspectionContent, kind: str, work: IssueWork, plans: Sequence[SignerPlan],
                  drawn_only: dict[str, bytes], now: datetime, revision: ContentRevision,
                  reason: str) -> PreparedIssue:
        """Put what the worker made into the vault and say what the commit records."""
        inspection_id = content.inspection.id
        blobs = [self._put(work.prepared)]
        signatures: list[PreparedSignature] = []
        for role, png in drawn_only.items():
            name, _ = signer_name(content, kind, role)
            blob = self._put(png)
            signatures.append(PreparedSignature(role, ROLE_FIELDS[role], name, "", "", to_rfc3339(now), "drawn",
                                                name, "", blob[0], ""))
            blobs.append(blob)
        by_role = {p.role: p for p in plans}
        current = work.prepared
        for signed in work.revisions:
            plan = by_role[signed.role]
            signature = self._signature(signed, plan)
            signatures.append(signature)
            blobs.append((signature.pdf_sha256, len(signed.pdf)))
            if plan.drawn_png and signature.drawn_sha256:
                blobs.append((signature.drawn_sha256, len(plan.drawn_png)))
            current = signed.pdf
        count = int(self.ctx.store.scalar("SELECT count(*) FROM documents WHERE inspection_id = ? AND kind = ?",
                                          (inspection_id, kind)))
        seal = kind == "minutes" and any(s.field_name == FIELD_LEADER and s.method != "drawn" for s in signatures)
        return PreparedIssue(inspection_id, kind, uuid7(), True, count + 1, revision, to_rfc3339(now),
                             blobs[0][0], blobs[0][1], work.field_specs, tuple(signatures),
                             tuple(dict.fromkeys(blobs)), seal, reason if seal else "", current)

    def _signature(self, signed: SignedRevision, plan: SignerPlan) -> PreparedSignature:
        """A digital signature the worker made, its file and drawn image put into the vault."""
        assert plan.credential is not None
        sha, _ = self._put(signed.pdf)
        drawn = self._put(plan.drawn_png)[0] if plan.drawn_png else None
        return PreparedSignature(
            signed.role, signed.field_name, signed.signer_name, signed.cert_subject, signed.cert_fingerprint,
            to_rfc3339(signed.claimed_time), signed.method, signed.expected_name, signed.override_reason, drawn,
            sha, SigningIdentity.of(plan.credential, signed.certificate))

    def prepare_countersign(self, document: DocumentRecord, plan: SignerPlan) -> PreparedIssue:
        """A later approval signature on an empty field of an issued document (e.g. the unit's
        representative signing with their own token after the leader sealed the minutes)."""
        field = ROLE_FIELDS.get(plan.role)
        if plan.credential is None or field not in document.fields:
            raise UserError("Văn bản không có ô chữ ký số dành cho vai trò này.",
                            hint="Chọn đúng vai trò người ký (Trưởng đoàn, Thư ký, đại diện đơn vị,"
                                 " người ký kết luận).")
        if any(s.field_name == field and s.method != "drawn" for s in document.signatures):
            raise RefusedError("Ô chữ ký này đã được ký.", hint="Mỗi ô chữ ký chỉ ký một lần.")
        revision = self._revision(self.ctx.store.conn, document.inspection_id)
        content = self._content(document.inspection_id)
        current = self.ctx.vault.read_bytes(document.sha256)
        (signed,) = self.ctx.worker.call(sign_revisions, current, [self._request(content, document.kind, plan)])
        signature = self._signature(signed, plan)
        blobs = [(signature.pdf_sha256, len(signed.pdf))]
        if plan.drawn_png and signature.drawn_sha256:
            blobs.append((signature.drawn_sha256, len(plan.drawn_png)))
        return PreparedIssue(document.inspection_id, document.kind, document.id, False, document.revision, revision,
                             signature.claimed_time, document.sha256, 0, (), (signature,), tuple(blobs), False, "",
                             signed.pdf)

    def _put(self, data: bytes) -> tuple[str, int]:
        blob = self.ctx.vault.put_bytes(data)
        return blob.sha256, blob.size

    # -- commit (one short transaction on the writer) -------------------------------------------
    def commit(self, prepared: PreparedIssue) -> DocumentRecord:
        p = prepared
        with self.ctx.store.transaction() as conn:
            if self._revision(conn, p.inspection_id) != p.content:
                raise RefusedError("Đợt kiểm tra đã thay đổi trong lúc văn bản đang được ký; văn bản chưa được lưu.",
                                   hint="Ký lại để văn bản có nội dung mới nhất.")
            now = to_rfc3339(self.ctx.clock.now())
            for sha, size in p.blobs:
                if not self.ctx.vault.verify(sha, size):
                    raise RefusedError("Tệp văn bản đã ký bị thiếu trong kho lưu trữ; văn bản chưa được lưu.",
                                       hint="Kiểm tra dung lượng đĩa rồi ký lại.")
                conn.execute("INSERT INTO blobs (sha256, size, state, stored_at, verified_at) VALUES (?,?, 'ok', ?, ?)"
                             " ON CONFLICT (sha256) DO NOTHING", (sha, size, now, now))
            if p.new_document:
                self.ctx.record(conn, "document.prepared", p.document_id, {
                    "inspection_id": p.inspection_id, "kind": p.kind, "revision": p.document_revision,
                    "sha256": p.prepared_sha256, "unassessed_reason": p.unassessed_reason,
                    "fields": [{"name": s.name, "page": s.page_index, "box": [round(v * 100) for v in s.box]}
                               for s in p.field_specs]})
            digital = [s for s in p.signatures if s.method != "drawn"]
            for s in p.signatures:
                self.ctx.record(conn, "document.signed", p.document_id, self._signed_payload(p, s, digital))
                if s.identity is not None:
                    remember_signing_identity(conn, s.expected_name, s.identity)
            if p.new_document and p.kind == "minutes" and p.seal:
                self.ctx.record(conn, "inspection.sealed", p.inspection_id, {
                    "document_id": p.document_id, "pdf_sha256": p.final_sha256,
                    "unassessed_reason": p.unassessed_reason,
                    "snapshot_hash": self._snapshot_hash(conn, p.inspection_id, p.final_sha256)})
            elif p.new_document and p.kind == "conclusion":
                self.ctx.record(conn, "inspection.status_changed", p.inspection_id, {"status": "concluded"})
        return self._document(p.document_id)

    @staticmethod
    def _signed_payload(p: PreparedIssue, s: PreparedSignature,
                        digital: list[PreparedSignature]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "inspection_id": p.inspection_id, "signature_id": uuid7(), "role": s.role, "field_name": s.field_name,
            "signer_name": s.signer_name, "claimed_time": s.claimed_time, "drawn_sha256": s.drawn_sha256,
            "sha256": s.pdf_sha256 or p.prepared_sha256, "method": s.method, "expected_name": s.expected_name,
            "complete": s.method != "drawn" and s is digital[-1] if digital else False}
        if s.method != "drawn":
            payload |= {"cert_subject": s.cert_subject, "cert_fingerprint": s.cert_fingerprint}
        if s.override_reason:
            payload["override_reason"] = s.override_reason
        return payload

    @staticmethod
    def _snapshot_hash(conn: sqlite3.Connection, inspection_id: str, pdf_sha256: str) -> str:
        """What the seal covers: the inspection's events, its evidence hashes, the signed PDF."""
        events = sorted(r[0] for r in conn.execute(
            "SELECT hash FROM events WHERE entity_id = ? OR json_extract(payload, '$.inspection_id') = ?",
            (inspection_id, inspection_id)))
        evidence = sorted(r[0] for r in conn.execute(
            "SELECT DISTINCT sha256 FROM evidence WHERE inspection_id = ? AND removed = 0", (inspection_id,)))
        return canonical.digest({"inspection": inspection_id, "events": events, "evidence": evidence,
                                 "pdf": pdf_sha256})
