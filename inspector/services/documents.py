"""The minutes and the conclusion: details, preview, the review before sealing, issuing (prepare on
the read pool, commit on the writer), timestamps, verification and corrections."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509

from inspector.clock import to_rfc3339
from inspector.documents import RenderedDocument, render_conclusion, render_minutes
from inspector.errors import NotFoundError, RefusedError, UserError
from inspector.issuers import clean_abbreviation
from inspector.services.context import ServiceContext
from inspector.services.document_content import (
    ConclusionDetails,
    InspectionContent,
    MinutesDetails,
    build_conclusion,
    build_minutes,
    conclusion_details,
    evidence_entries,
    minutes_details,
    summary_of_findings,
)
from inspector.services.document_corrections import copy_as_correction
from inspector.services.document_issue import DocumentIssuer, PreparedIssue, SignerPlan
from inspector.services.document_records import (
    DocumentRecord,
    FileCheck,
    matches_of,
    read_document,
    read_documents,
)
from inspector.services.document_review import KINDS, ContentRevision, DocumentReview, review_of
from inspector.services.evidence import EvidenceService
from inspector.services.findings import FindingService
from inspector.services.inspections import InspectionService
from inspector.services.registry import RegistryService
from inspector.services.requirements import RequirementService
from inspector.services.signing_identities import (
    Credential,
    DetectedModule,
    Pkcs11Credential,
    Pkcs12Credential,
    SigningIdentity,
    TokenInfo,
    credential_certificate,
    detected_modules,
    last_signing_identity,
    tokens,
)
from inspector.signing import (
    CertificateInfo,
    PinError,
    TimestampResult,
    add_document_timestamp,
    load_trust_roots,
    verify_pdf,
)
from inspector.text import clean, parse_date
from inspector.worker import WorkerStopped

if TYPE_CHECKING:
    from inspector.ops import Committer

# Values the app and the CLI use together with this service, importable from one place.
__all__ = ["CertificateInfo", "ConclusionDetails", "DetectedModule", "DocumentRecord", "DocumentReview",
           "DocumentService", "FileCheck", "MinutesDetails", "PinError", "Pkcs11Credential", "Pkcs12Credential",
           "PreparedIssue", "PreparedTimestamp", "SignerPlan", "SigningIdentity", "TokenInfo"]

_HONORIFICS = ("", "Ông", "Bà")


@dataclass(frozen=True)
class PreparedTimestamp:
    """A document timestamp fetched from the TSA and already in the vault, not yet recorded."""

    document_id: str
    inspection_id: str
    base_sha256: str  # the file it stamps: the commit refuses if the document moved on
    sha256: str
    size: int
    result: TimestampResult


def _honorific(value: str, label: str) -> str:
    text = " ".join((value or "").split())
    if text not in _HONORIFICS:
        raise UserError("Danh xưng của {who} “{value}” không hợp lệ.", hint="Chọn “Ông”, “Bà” hoặc để trống.",
                        who=label, value=text)
    return text


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise UserError("Loại văn bản “{kind}” không hợp lệ; chọn minutes hoặc conclusion.", kind=kind)
    return kind


class DocumentService:
    def __init__(self, ctx: ServiceContext, inspections: InspectionService, findings: FindingService,
                 evidence: EvidenceService, requirements: RequirementService, registry: RegistryService) -> None:
        self.ctx = ctx
        self.inspections = inspections
        self.findings = findings
        self.evidence = evidence
        self.requirements = requirements
        self.registry = registry
        self.issuer = DocumentIssuer(ctx, self.content, self.revision, self._review_for, self.document)

    # -- details edited before issuing ------------------------------------------------------
    def minutes_details(self, inspection_id: str) -> MinutesDetails:
        return minutes_details(self.ctx.store.one("SELECT * FROM minutes WHERE inspection_id = ?", (inspection_id,)))

    def conclusion_details(self, inspection_id: str) -> ConclusionDetails:
        return conclusion_details(self.ctx.store.one("SELECT * FROM conclusions WHERE inspection_id = ?",
                                                     (inspection_id,)))

    def set_minutes_details(self, inspection_id: str, d: MinutesDetails) -> MinutesDetails:
        if not 1 <= d.copies <= 20:
            raise UserError("Số bản biên bản phải từ 1 đến 20.", hint="Nhập số bản từ 1 đến 20.")

        def person(row: tuple[str, ...], n_fields: int, label: str) -> dict[str, Any]:
            name = clean(row[0] if row else "", label=label, required=True, max_length=120)
            out = {"name": name, "position": clean(row[1] if len(row) > 1 else "", label="Chức vụ", max_length=200)}
            if n_fields == 3:
                out["role"] = clean(row[2] if len(row) > 2 else "", label="Vai trò", max_length=100)
            honorific = _honorific(row[n_fields] if len(row) > n_fields else "", name)
            if honorific:
                out["honorific"] = honorific
            return out

        payload = {
            "inspection_id": inspection_id,
            "number": clean(d.number, label="Số biên bản", max_length=20),
            "place_name": clean(d.place_name, label="Địa danh", max_length=100) or "Hà Nội",
            "unit_representatives": [person(r, 2, "Họ tên đại diện đơn vị") for r in d.unit_representatives],
            "other_participants": [person(r, 3, "Họ tên") for r in d.other_participants],
            "copies": d.copies,
            "refusals": [{"name": clean(r[0] if r else "", label="Người không ký", required=True, max_length=120),
                          "reason": clean(r[1] if len(r) > 1 else "", label="Lý do không ký", required=True,
                                          max_length=1000)}
                         for r in d.refusals],
            "with_secretary": d.with_secretary,
            "recipients": [clean(x, label="Nơi nhận", max_length=300) for x in d.recipients if x.strip()],
            "strengths": clean(d.strengths, label="Ưu điểm", max_length=20000, multiline=True),
            "immediate_requests": clean(d.immediate_requests, label="Yêu cầu khắc phục ngay", max_length=20000,
                                        multiline=True),
        }
        with self.ctx.store.transaction() as conn:
            self.inspections.editable_row(conn, inspection_id)
            self.ctx.record(conn, "minutes.set", f"minutes:{inspection_id}", payload)
        return self.minutes_details(inspection_id)

    def set_conclusion_details(self, inspection_id: str, d: ConclusionDetails) -> ConclusionDetails:
        if d.doc_type not in ("conclusion", "notice"):
            raise UserError("Loại văn bản “{kind}” không hợp lệ.", hint="Chọn Kết luận hoặc Thông báo kết luận.",
                            kind=d.doc_type)
        texts = {k: clean(getattr(d, k), label=label, max_length=30000, multiline=True) for k, label in (
            ("findings_summary", "Tóm tắt kết quả"), ("strengths", "Ưu điểm"), ("shortcomings", "Hạn chế, vi phạm"),
            ("causes", "Nguyên nhân, trách nhiệm"), ("follow_up", "Tổ chức thực hiện"))}
        payload = {
            "inspection_id": inspection_id, "doc_type": d.doc_type, **texts,
            "superior_body": clean(d.superior_body, label="Cơ quan chủ quản", max_length=200),
            "issuing_body": clean(d.issuing_body, label="Cơ quan ban hành", max_length=200),
            "issuing_abbr": clean_abbreviation(d.issuing_abbr, label="Ký hiệu cơ quan ban hành"),
            "concluding_body": clean(d.concluding_body, label="Tập thể kết luận", max_length=200),
            "report_number": clean(d.report_number, label="Số báo cáo của Đoàn", max_length=40),
            "report_date": parse_date(d.report_date, label="Ngày báo cáo của Đoàn", required=False),
            "number": clean(d.number, label="Số văn bản", max_length=20),
            "place_name": clean(d.place_name, label="Địa danh", max_length=100) or "Hà Nội",
            "issue_date": parse_date(d.issue_date, label="Ngày ban hành", required=False),
            "signer_authority": d.signer_authority, "signer_authority_body": clean(
                d.signer_authority_body, label="Tập thể ký thay mặt", max_length=200),
            "signer_position": clean(d.signer_position, label="Chức vụ người ký", max_length=200),
            "signer_name": clean(d.signer_name, label="Họ tên người ký", max_length=120),
            "recipients": [clean(x, label="Nơi nhận", max_length=300) for x in d.recipients if x.strip()],
        }
        with self.ctx.store.transaction() as conn:
            row = self.inspections._row(inspection_id)
            if row["status"] in ("concluded", "closed") or row["superseded_by"]:
                raise RefusedError("Kết luận đã được ký ban hành; không sửa được.",
                                   hint="Tạo bản đính chính nếu cần thay đổi.")
            self.ctx.record(conn, "conclusion.set", f"conclusion:{inspection_id}", payload)
        return self.conclusion_details(inspection_id)

    # -- content, revision, preview, review --------------------------------------------------
    def content(self, inspection_id: str) -> InspectionContent:
        insp = self.inspections.get(inspection_id)
        s = insp.summary
        checklist = self.ctx.checklist(s.checklist_id, s.checklist_version)
        try:
            catalog = self.ctx.catalog(checklist.catalog_id, checklist.catalog_version)
        except NotFoundError:
            catalog = None
        path = self.registry.unit_path(s.unit_id)
        unit = path[-1]
        refs = self.evidence.of_inspection(inspection_id)
        people = {x.person_id for x in insp.subjects if x.person_id}
        honorifics: dict[str, str] = {}
        for person_id in people:
            try:
                honorifics[person_id] = self.registry.person(person_id).honorific
            except NotFoundError:
                continue
        if insp.team is not None:
            honorifics |= {m.person_id: m.honorific for m in insp.team.members}
        return InspectionContent(
            inspection=insp, checklist=checklist, catalog=catalog, matrix=self.findings.matrix(inspection_id),
            evidence=refs, unit_name=unit.name, unit_address=unit.address,
            superior_unit=(path[-2].name if len(path) > 1 else unit.name).upper(),
            requirements=self.requirements.of_inspection(inspection_id),
            minutes=self.minutes_details(inspection_id), conclusion=self.conclusion_details(inspection_id),
            entries=evidence_entries(self.ctx.vault, refs), honorifics=honorifics,
        )

    def revision(self, conn: sqlite3.Connection, inspection_id: str) -> ContentRevision:
        """The newest events behind the documents (see ContentRevision); two indexed look-ups."""
        row = conn.execute("SELECT unit_id, team_id FROM inspections WHERE id = ?", (inspection_id,)).fetchone()
        if row is None:
            raise NotFoundError("Không tìm thấy đợt kiểm tra “{id}”.", id=inspection_id)
        own = conn.execute(
            "SELECT COALESCE(MAX(local_order), 0) FROM events WHERE entity_id IN (?, ?, ?)"
            " OR json_extract(payload, '$.inspection_id') = ?",
            (inspection_id, f"minutes:{inspection_id}", f"conclusion:{inspection_id}", inspection_id)).fetchone()[0]
        entities = [row[0], *(r[0] for r in conn.execute(
            "WITH RECURSIVE up(id, parent) AS (SELECT id, parent_id FROM units WHERE id = ?"
            " UNION ALL SELECT u.id, u.parent_id FROM units u JOIN up ON u.id = up.parent) SELECT id FROM up",
            (row[0],)))]
        if row[1]:
            entities.append(row[1])
            entities += [r[0] for r in conn.execute("SELECT person_id FROM team_members WHERE team_id = ?", (row[1],))]
        entities += [r[0] for r in conn.execute("SELECT person_id FROM subjects WHERE inspection_id = ?"
                                                " AND person_id IS NOT NULL", (inspection_id,))]
        marks = ",".join("?" for _ in entities)
        registry = conn.execute(f"SELECT COALESCE(MAX(local_order), 0) FROM events WHERE entity_id IN ({marks})",
                                entities).fetchone()[0]
        return ContentRevision(int(own), int(registry))

    def preview(self, inspection_id: str, kind: str) -> RenderedDocument:
        content = self.content(inspection_id)
        if _kind(kind) == "minutes":
            return render_minutes(build_minutes(content))
        return render_conclusion(build_conclusion(content))

    def review(self, inspection_id: str, kind: str, *, certificates: Mapping[str, CertificateInfo] | None = None,
               unassessed_reason: str = "") -> DocumentReview:
        """Before any seal: per subject the cells not assessed, the documents' empty fields, what
        blocks signing, and for each slot whether the offered certificate may sign it."""
        return self._review_for(inspection_id, kind, certificates=certificates, unassessed_reason=unassessed_reason)

    def _review_for(self, inspection_id: str, kind: str, *, certificates: Mapping[str, CertificateInfo] | None = None,
                    unassessed_reason: str = "", content: InspectionContent | None = None) -> DocumentReview:
        revision = self.revision(self.ctx.store.conn, inspection_id)
        return review_of(content or self.content(inspection_id), _kind(kind), self.ctx.vault,
                         at=self.ctx.clock.now(), certificates=certificates, unassessed_reason=unassessed_reason,
                         revision=revision)

    # -- issuing -------------------------------------------------------------------------------
    def prepare_issue(self, inspection_id: str, kind: str, plans: Sequence[SignerPlan], *,
                      unassessed_reason: str = "") -> PreparedIssue:
        """Read, check, render and sign (slow, read-only): run it on the read pool."""
        return self.issuer.prepare(inspection_id, _kind(kind), plans, unassessed_reason=unassessed_reason)

    def prepare_countersign(self, document_id: str, plan: SignerPlan) -> PreparedIssue:
        """A later digital signature on an empty field of an issued document (read-only, slow)."""
        return self.issuer.prepare_countersign(self.document(document_id), plan)

    def commit_issue(self, prepared: PreparedIssue) -> DocumentRecord:
        """Record a prepared issue in one short transaction (run it on the writer)."""
        return self.issuer.commit(prepared)

    def issue(self, inspection_id: str, kind: str, plans: Sequence[SignerPlan], *, unassessed_reason: str = "",
              committer: Committer | None = None) -> DocumentRecord:
        """Prepare here, then commit through `committer` (inline when None)."""
        prepared = self.prepare_issue(inspection_id, kind, plans, unassessed_reason=unassessed_reason)
        if committer is None:
            return self.commit_issue(prepared)
        return committer(lambda s: s.documents.commit_issue(prepared))

    def prepare_timestamp(self, document_id: str, tsa_url: str) -> PreparedTimestamp:
        """Ask the TSA for a document timestamp (network, slow, read-only): the bytes go to the vault."""
        doc = self.document(document_id)
        try:  # the PDF is parsed, stamped and checked: CPU-heavy, so in the worker like signing
            result = self.ctx.worker.call(add_document_timestamp, self.ctx.vault.read_bytes(doc.sha256), tsa_url)
        except WorkerStopped as exc:
            raise UserError("Tiến trình lấy dấu thời gian bị dừng đột ngột; văn bản không thay đổi.",
                            hint="Thử lấy dấu thời gian lại.") from exc
        blob = self.ctx.vault.put_bytes(result.pdf)
        return PreparedTimestamp(doc.id, doc.inspection_id, doc.sha256, blob.sha256, blob.size, result)

    def commit_timestamp(self, prepared: PreparedTimestamp) -> TimestampResult:
        """Record it in one short transaction; refused if the document changed since the request."""
        p = prepared
        with self.ctx.store.transaction() as conn:
            row = conn.execute("SELECT current_sha256 FROM documents WHERE id = ?", (p.document_id,)).fetchone()
            if row is None or row[0] != p.base_sha256:
                raise RefusedError("Văn bản đã thay đổi trong lúc chờ dấu thời gian; dấu thời gian chưa được lưu.",
                                   hint="Lấy dấu thời gian lại cho bản mới nhất.")
            now = to_rfc3339(self.ctx.clock.now())
            conn.execute("INSERT INTO blobs (sha256, size, state, stored_at, verified_at) VALUES (?,?, 'ok', ?, ?)"
                         " ON CONFLICT (sha256) DO NOTHING", (p.sha256, p.size, now, now))
            self.ctx.record(conn, "document.timestamped", p.document_id, {
                "inspection_id": p.inspection_id, "sha256": p.sha256, "time": to_rfc3339(p.result.time),
                "tsa": p.result.tsa_name})
        return p.result

    def timestamp(self, document_id: str, tsa_url: str, *, committer: Committer | None = None) -> TimestampResult:
        """Add a document timestamp when online: proof of existence, signatures stay valid."""
        prepared = self.prepare_timestamp(document_id, tsa_url)
        if committer is None:
            return self.commit_timestamp(prepared)
        return committer(lambda s: s.documents.commit_timestamp(prepared))

    # -- signing identities (no secret is ever stored) ----------------------------------------
    def signing_certificate(self, credential: Credential) -> CertificateInfo:
        """Holder, issuer, serial, validity and key usage of what would sign (a token's certificate
        is read without its PIN; a PKCS#12 file needs its password)."""
        return credential_certificate(credential)

    def token_libraries(self) -> list[DetectedModule]:
        """PKCS#11 libraries of Vietnamese CA token drivers found in their usual places."""
        return detected_modules()

    def tokens(self, module: str) -> list[TokenInfo]:
        """Tokens plugged in behind a PKCS#11 library: slot, label, maker, serial, PIN pad."""
        return tokens(module)

    def last_signing_identity(self, person_name: str) -> SigningIdentity | None:
        """The file or token this person signed with last on this laptop (recorded at each commit)."""
        return last_signing_identity(self.ctx.store, person_name)

    # -- reading ------------------------------------------------------------------------------
    def document(self, document_id: str) -> DocumentRecord:
        return read_document(self.ctx.store, document_id)

    def documents(self, inspection_id: str, kind: str | None = None) -> list[DocumentRecord]:
        return read_documents(self.ctx.store, inspection_id, kind)

    def export(self, inspection_id: str, kind: str) -> bytes:
        """The latest issued document of that kind, or a fresh unsigned rendering if none yet."""
        issued = self.documents(inspection_id, kind)
        if issued:
            return self.ctx.vault.read_bytes(issued[-1].sha256)
        return self.preview(inspection_id, kind).pdf

    def check_file(self, pdf: bytes, trust_roots: Sequence[x509.Certificate]) -> FileCheck:
        """Verify a PDF's signatures and say whether it is a revision of a document in this store
        (with any signature made by somebody other than the person the slot names, and why)."""
        report = verify_pdf(pdf, trust_roots)
        sha = hashlib.sha256(pdf).hexdigest()
        return FileCheck(report, sha, matches_of(self.ctx.store, sha))

    # -- corrections ------------------------------------------------------------------------
    def correct(self, inspection_id: str) -> str:
        """A correction: a new version that supersedes the sealed one, with all its content copied."""
        return copy_as_correction(self.ctx, self.inspections, self.findings, self.evidence, self.requirements,
                                  inspection_id)

    def file_bytes(self, document_id: str) -> bytes:
        """The current file of an issued document (its latest signed revision)."""
        return self.ctx.vault.read_bytes(self.document(document_id).sha256)

    def findings_summary(self, inspection_id: str) -> str:
        """The conclusion's automatic summary of the findings, as prose."""
        return summary_of_findings(self.content(inspection_id))

    def check_file_trusting(self, pdf: bytes, trust_dir: str) -> FileCheck:
        """`check_file` against the trust roots in a folder (none: trust not checked)."""
        return self.check_file(pdf, load_trust_roots(Path(trust_dir)) if trust_dir else [])
