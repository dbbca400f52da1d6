"""Issuing the minutes and the conclusion: render, sign (drawn + PAdES), seal, verify, correct."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from inspector import canonical
from inspector.clock import to_rfc3339
from inspector.documents import RenderedDocument, render_conclusion, render_minutes
from inspector.errors import NotFoundError, RefusedError, UserError
from inspector.ids import uuid7
from inspector.services.context import ServiceContext
from inspector.services.document_content import (
    FIELD_LEADER,
    FIELD_SIGNER,
    ROLE_FIELDS,
    ConclusionDetails,
    InspectionContent,
    MinutesDetails,
    build_conclusion,
    build_minutes,
    conclusion_details,
    evidence_entries,
    minutes_details,
)
from inspector.services.evidence import EvidenceService
from inspector.services.findings import FindingService
from inspector.services.inspections import InspectionService
from inspector.services.registry import RegistryService
from inspector.services.requirements import RequirementService
from inspector.signing import (
    AppearanceSpec,
    FieldSpec,
    PinError,
    SignerSource,
    TimestampResult,
    VerificationReport,
    add_document_timestamp,
    load_pkcs12,
    open_pkcs11,
    prepare_fields,
    sign_pdf,
    verify_pdf,
)
from inspector.text import clean

__all__ = ["DocumentRecord", "DocumentService", "FileCheck", "PinError", "Pkcs11Credential", "Pkcs12Credential",
           "SignerPlan"]

REASONS = {"minutes": "Ký biên bản kiểm tra", "conclusion": "Ký kết luận kiểm tra"}


@dataclass(frozen=True)
class Pkcs12Credential:
    path: Path
    passphrase: str


@dataclass(frozen=True)
class Pkcs11Credential:
    module: str
    token_label: str
    pin: str | None  # None: a PIN pad on the token
    key_label: str | None = None


Credential = Pkcs12Credential | Pkcs11Credential


@dataclass(frozen=True)
class SignerPlan:
    """One signer of a document: a drawn signature, a digital credential, or both."""

    role: str  # unit_rep | secretary | leader | signer
    drawn_png: bytes | None = None
    credential: Credential | None = None


@dataclass(frozen=True)
class SignatureRecord:
    role: str
    field_name: str
    signer_name: str
    cert_fingerprint: str
    claimed_time: str
    method: str  # pkcs12 | pkcs11 | drawn


@dataclass(frozen=True)
class DocumentRecord:
    id: str
    inspection_id: str
    kind: str
    revision: int
    sha256: str
    status: str
    fields: tuple[str, ...]
    signatures: tuple[SignatureRecord, ...]


@dataclass(frozen=True)
class StoreMatch:
    inspection_id: str
    kind: str
    sealed: bool
    how: str  # the revision of the stored document this file equals


@dataclass(frozen=True)
class FileCheck:
    report: VerificationReport
    sha256: str
    matches: tuple[StoreMatch, ...]


@contextlib.contextmanager
def open_credential(credential: Credential) -> Iterator[tuple[SignerSource, str]]:
    if isinstance(credential, Pkcs12Credential):
        yield load_pkcs12(credential.path, credential.passphrase), "pkcs12"
    else:
        with open_pkcs11(credential.module, credential.token_label, credential.pin,
                         key_label=credential.key_label) as source:
            yield source, "pkcs11"


class DocumentService:
    def __init__(self, ctx: ServiceContext, inspections: InspectionService, findings: FindingService,
                 evidence: EvidenceService, requirements: RequirementService, registry: RegistryService) -> None:
        self.ctx = ctx
        self.inspections = inspections
        self.findings = findings
        self.evidence = evidence
        self.requirements = requirements
        self.registry = registry

    # -- details edited before issuing ------------------------------------------------------
    def minutes_details(self, inspection_id: str) -> MinutesDetails:
        return minutes_details(self.ctx.store.one("SELECT * FROM minutes WHERE inspection_id = ?", (inspection_id,)))

    def conclusion_details(self, inspection_id: str) -> ConclusionDetails:
        return conclusion_details(self.ctx.store.one("SELECT * FROM conclusions WHERE inspection_id = ?",
                                                     (inspection_id,)))

    def set_minutes_details(self, inspection_id: str, d: MinutesDetails) -> MinutesDetails:
        if not 1 <= d.copies <= 20:
            raise UserError("Số bản biên bản phải từ 1 đến 20.")
        payload = {
            "inspection_id": inspection_id,
            "number": clean(d.number, label="Số biên bản", max_length=20),
            "place_name": clean(d.place_name, label="Địa danh", max_length=100) or "Hà Nội",
            "unit_representatives": [{"name": clean(n, label="Họ tên đại diện đơn vị", required=True, max_length=120),
                                      "position": clean(p, label="Chức vụ", max_length=200)}
                                     for n, p in d.unit_representatives],
            "other_participants": [{"name": clean(n, label="Họ tên", required=True, max_length=120),
                                    "position": clean(p, label="Chức vụ", max_length=200),
                                    "role": clean(r, label="Vai trò", max_length=100)}
                                   for n, p, r in d.other_participants],
            "copies": d.copies,
            "refusals": [{"name": clean(n, label="Người không ký", required=True, max_length=120),
                          "reason": clean(r, label="Lý do không ký", required=True, max_length=1000)}
                         for n, r in d.refusals],
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
            raise UserError("Loại văn bản “{kind}” không hợp lệ.", kind=d.doc_type)
        texts = {k: clean(getattr(d, k), label=label, max_length=30000, multiline=True) for k, label in (
            ("findings_summary", "Tóm tắt kết quả"), ("strengths", "Ưu điểm"), ("shortcomings", "Hạn chế, vi phạm"),
            ("causes", "Nguyên nhân, trách nhiệm"), ("follow_up", "Tổ chức thực hiện"))}
        payload = {
            "inspection_id": inspection_id, "doc_type": d.doc_type, **texts,
            "superior_body": clean(d.superior_body, label="Cơ quan chủ quản", max_length=200),
            "issuing_body": clean(d.issuing_body, label="Cơ quan ban hành", max_length=200),
            "number": clean(d.number, label="Số văn bản", max_length=20),
            "place_name": clean(d.place_name, label="Địa danh", max_length=100) or "Hà Nội",
            "issue_date": d.issue_date,
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

    # -- content and rendering --------------------------------------------------------------
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
        return InspectionContent(
            inspection=insp, checklist=checklist, catalog=catalog, matrix=self.findings.matrix(inspection_id),
            evidence=refs, unit_name=unit.name, unit_address=unit.address,
            superior_unit=(path[-2].name if len(path) > 1 else unit.name).upper(),
            requirements=self.requirements.of_inspection(inspection_id),
            minutes=self.minutes_details(inspection_id), conclusion=self.conclusion_details(inspection_id),
            entries=evidence_entries(self.ctx.vault, refs),
        )

    def preview(self, inspection_id: str, kind: str) -> RenderedDocument:
        content = self.content(inspection_id)
        if kind == "minutes":
            return render_minutes(build_minutes(content))
        if kind == "conclusion":
            return render_conclusion(build_conclusion(content))
        raise UserError("Loại văn bản “{kind}” không hợp lệ; chọn minutes hoặc conclusion.", kind=kind)

    # -- issuing: render, sign in order, seal ------------------------------------------------
    def _gate(self, content: InspectionContent, kind: str, plans: Sequence[SignerPlan]) -> None:
        """Refuse to sign what is not ready: the signing gate (sync-reliability M2)."""
        insp = content.inspection
        if kind == "minutes":
            self.inspections.require_editable(self.inspections._row(insp.id))
            if insp.actual_start is None:
                raise RefusedError("Chưa ghi thời gian bắt đầu kiểm tra; biên bản chưa ký được.",
                                   hint="Bấm “Bắt đầu kiểm tra” hoặc “Sửa giờ…” ở màn hình Ghi nhận.")
            if not content.minutes.unit_representatives:
                raise RefusedError("Biên bản chưa có đại diện đơn vị được kiểm tra.",
                                   hint="Nhập họ tên, chức vụ người đại diện ở phần thông tin biên bản.")
        else:
            if insp.status not in ("sealed",) or insp.superseded_by:
                raise RefusedError("Chỉ ký kết luận sau khi biên bản đã được ký và niêm phong.",
                                   hint="Ký biên bản kiểm tra trước.")
        disagreements = content.matrix.disagreements()
        if disagreements:
            code, _ = disagreements[0]
            raise RefusedError("Còn {count} ô có kết quả khác nhau giữa các thành viên (ví dụ mục {code}).",
                               hint="Thống nhất kết quả ở màn hình Ghi nhận trước khi ký.",
                               count=len(disagreements), code=code)
        for ref in content.evidence:
            if not self.ctx.vault.verify(ref.sha256, ref.size):
                raise RefusedError("Tệp minh chứng “{name}” bị thiếu hoặc hỏng; chưa ký được.",
                                   hint="Chạy “Kiểm tra toàn vẹn dữ liệu” và đính kèm lại tệp.", name=ref.file_name)
        principal = "leader" if kind == "minutes" else "signer"
        roles = [p.role for p in plans]
        if len(set(roles)) != len(roles) or any(r not in ROLE_FIELDS for r in roles):
            raise UserError("Danh sách người ký không hợp lệ.")
        lead = next((p for p in plans if p.role == principal), None)
        if lead is None or lead.credential is None:
            who = "Trưởng đoàn" if kind == "minutes" else "Người ký kết luận"
            raise RefusedError("{who} phải ký bằng chữ ký số (tệp chứng thư hoặc USB token).",
                               hint="Chữ ký vẽ tay chỉ là hình ảnh, không thay được chữ ký số.", who=who)

    def _store_blob(self, conn: Any, data: bytes) -> str:
        blob = self.ctx.vault.put_bytes(data)
        now = to_rfc3339(self.ctx.clock.now())
        conn.execute("INSERT INTO blobs (sha256, size, state, stored_at, verified_at) VALUES (?,?, 'ok', ?, ?)"
                     " ON CONFLICT (sha256) DO NOTHING", (blob.sha256, blob.size, now, now))
        return blob.sha256

    def issue(self, inspection_id: str, kind: str, plans: Sequence[SignerPlan]) -> DocumentRecord:
        """Render the document, sign it left to right, and (minutes) seal the inspection version.

        All or nothing: a wrong PIN half-way leaves no document and no partial signature.
        """
        content = self.content(inspection_id)
        self._gate(content, kind, plans)
        drawn_only = {p.role: p.drawn_png for p in plans if p.credential is None and p.drawn_png}
        created = self.ctx.clock.now()
        if kind == "minutes":
            rendered = render_minutes(build_minutes(content, drawn=drawn_only, created=created))
        else:
            rendered = render_conclusion(build_conclusion(content, created=created,
                                                          drawn=drawn_only.get("signer")))
        boxes = {f.name: f for f in rendered.fields}
        digital = [p for p in plans if p.credential is not None and ROLE_FIELDS[p.role] in boxes]
        order = [f.name for f in rendered.fields]  # left to right, the leader last
        digital.sort(key=lambda p: order.index(ROLE_FIELDS[p.role]))
        specs = [FieldSpec(name, f.page_index, f.box) for name, f in boxes.items()]
        prepared = prepare_fields(rendered.pdf, specs)
        revisions: list[tuple[SignerPlan, Any, str, bytes]] = []
        current = prepared
        for plan in digital:
            assert plan.credential is not None
            with open_credential(plan.credential) as (source, method):
                result = sign_pdf(current, ROLE_FIELDS[plan.role], source,
                                  appearance=AppearanceSpec(signature_png=plan.drawn_png), reason=REASONS[kind])
            current = result.pdf
            revisions.append((plan, result, method, current))
        document_id = uuid7()
        revision = int(self.ctx.store.scalar(
            "SELECT count(*) FROM documents WHERE inspection_id = ? AND kind = ?", (inspection_id, kind))) + 1
        with self.ctx.store.transaction() as conn:
            prepared_sha = self._store_blob(conn, prepared)
            self.ctx.record(conn, "document.prepared", document_id, {
                "inspection_id": inspection_id, "kind": kind, "revision": revision, "sha256": prepared_sha,
                "fields": [{"name": s.name, "page": s.page_index, "box": [round(v * 100) for v in s.box]}
                           for s in specs]})
            for role, png in drawn_only.items():
                self.ctx.record(conn, "document.signed", document_id, {
                    "inspection_id": inspection_id, "signature_id": uuid7(), "role": role,
                    "field_name": ROLE_FIELDS[role], "signer_name": self._role_name(content, role),
                    "claimed_time": to_rfc3339(created), "drawn_sha256": self._store_blob(conn, png),
                    "sha256": prepared_sha, "method": "drawn", "complete": False})
            final_sha = prepared_sha
            for n, (plan, result, method, pdf) in enumerate(revisions, start=1):
                final_sha = self._store_blob(conn, pdf)
                self.ctx.record(conn, "document.signed", document_id, {
                    "inspection_id": inspection_id, "signature_id": uuid7(), "role": plan.role,
                    "field_name": ROLE_FIELDS[plan.role], "signer_name": result.signer_name,
                    "cert_subject": result.cert_subject, "cert_fingerprint": result.cert_fingerprint,
                    "claimed_time": to_rfc3339(result.claimed_time),
                    "drawn_sha256": self._store_blob(conn, plan.drawn_png) if plan.drawn_png else None,
                    "sha256": final_sha, "method": method, "complete": n == len(revisions)})
            principal = FIELD_LEADER if kind == "minutes" else FIELD_SIGNER
            if kind == "minutes" and any(ROLE_FIELDS[p.role] == principal for p, *_ in revisions):
                self.ctx.record(conn, "inspection.sealed", inspection_id, {
                    "document_id": document_id, "pdf_sha256": final_sha,
                    "snapshot_hash": self._snapshot_hash(conn, inspection_id, final_sha)})
            elif kind == "conclusion":
                self.ctx.record(conn, "inspection.status_changed", inspection_id, {"status": "concluded"})
        return self.document(document_id)

    @staticmethod
    def _role_name(content: InspectionContent, role: str) -> str:
        team = content.inspection.team
        if role == "unit_rep":
            reps = content.minutes.unit_representatives
            return reps[0][0] if reps else ""
        wanted = {"leader": "leader", "secretary": "secretary"}.get(role)
        if team is not None and wanted:
            return next((m.full_name for m in team.members if m.role == wanted), "")
        return content.conclusion.signer_name

    def _snapshot_hash(self, conn: Any, inspection_id: str, pdf_sha256: str) -> str:
        """What the seal covers: the inspection's events, its evidence hashes, the signed PDF."""
        events = sorted(r[0] for r in conn.execute(
            "SELECT hash FROM events WHERE entity_id = ? OR json_extract(payload, '$.inspection_id') = ?",
            (inspection_id, inspection_id)))
        evidence = sorted(r[0] for r in conn.execute(
            "SELECT DISTINCT sha256 FROM evidence WHERE inspection_id = ? AND removed = 0", (inspection_id,)))
        return canonical.digest({"inspection": inspection_id, "events": events, "evidence": evidence,
                                 "pdf": pdf_sha256})

    def sign_existing(self, document_id: str, plan: SignerPlan) -> DocumentRecord:
        """A later approval signature on an empty field (e.g. the unit's representative with a token)."""
        doc = self.document(document_id)
        field = ROLE_FIELDS.get(plan.role)
        if plan.credential is None or field not in doc.fields:
            raise UserError("Văn bản không có ô chữ ký số dành cho vai trò này.")
        if any(s.field_name == field and s.method != "drawn" for s in doc.signatures):
            raise RefusedError("Ô chữ ký này đã được ký.")
        current = self.ctx.vault.read_bytes(doc.sha256)
        with open_credential(plan.credential) as (source, method):
            result = sign_pdf(current, field, source, appearance=AppearanceSpec(signature_png=plan.drawn_png),
                              reason=REASONS[doc.kind])
        with self.ctx.store.transaction() as conn:
            sha = self._store_blob(conn, result.pdf)
            self.ctx.record(conn, "document.signed", document_id, {
                "inspection_id": doc.inspection_id, "signature_id": uuid7(), "role": plan.role, "field_name": field,
                "signer_name": result.signer_name, "cert_subject": result.cert_subject,
                "cert_fingerprint": result.cert_fingerprint, "claimed_time": to_rfc3339(result.claimed_time),
                "drawn_sha256": self._store_blob(conn, plan.drawn_png) if plan.drawn_png else None,
                "sha256": sha, "method": method, "complete": doc.status == "signed"})
        return self.document(document_id)

    def timestamp(self, document_id: str, tsa_url: str) -> TimestampResult:
        """Add a document timestamp when online: proof of existence, signatures stay valid."""
        doc = self.document(document_id)
        result = add_document_timestamp(self.ctx.vault.read_bytes(doc.sha256), tsa_url)
        with self.ctx.store.transaction() as conn:
            sha = self._store_blob(conn, result.pdf)
            self.ctx.record(conn, "document.timestamped", document_id, {
                "inspection_id": doc.inspection_id, "sha256": sha, "time": to_rfc3339(result.time),
                "tsa": result.tsa_name})
        return result

    # -- reading ------------------------------------------------------------------------------
    def document(self, document_id: str) -> DocumentRecord:
        row = self.ctx.store.one("SELECT * FROM documents WHERE id = ?", (document_id,))
        if row is None:
            raise NotFoundError("Không tìm thấy văn bản “{id}”.", id=document_id)
        sigs = self.ctx.store.query("SELECT * FROM signatures WHERE document_id = ? ORDER BY created_at, id",
                                    (document_id,))
        return DocumentRecord(row["id"], row["inspection_id"], row["kind"], row["revision"], row["current_sha256"],
                              row["status"], tuple(f["name"] for f in json.loads(row["fields"])),
                              tuple(SignatureRecord(s["role"], s["field_name"], s["signer_name"],
                                                    s["cert_fingerprint"], s["claimed_time"], s["method"])
                                    for s in sigs))

    def documents(self, inspection_id: str, kind: str | None = None) -> list[DocumentRecord]:
        rows = self.ctx.store.query(
            "SELECT id FROM documents WHERE inspection_id = :i AND (:k IS NULL OR kind = :k) ORDER BY revision",
            {"i": inspection_id, "k": kind})
        return [self.document(r["id"]) for r in rows]

    def export(self, inspection_id: str, kind: str) -> bytes:
        """The latest issued document of that kind, or a fresh unsigned rendering if none yet."""
        issued = self.documents(inspection_id, kind)
        if issued:
            return self.ctx.vault.read_bytes(issued[-1].sha256)
        return self.preview(inspection_id, kind).pdf

    def check_file(self, pdf: bytes, trust_roots: Sequence[x509.Certificate]) -> FileCheck:
        """Verify a PDF's signatures and say whether it is a revision of a document in this store."""
        report = verify_pdf(pdf, trust_roots)
        sha = hashlib.sha256(pdf).hexdigest()
        rows = self.ctx.store.query(
            "SELECT d.inspection_id, d.kind, d.revision, i.seal_hash IS NOT NULL AS sealed,"
            " CASE WHEN d.current_sha256 = :s THEN 'current' WHEN d.prepared_sha256 = :s THEN 'prepared'"
            " ELSE 'signature' END AS how"
            " FROM documents d JOIN inspections i ON i.id = d.inspection_id"
            " WHERE d.current_sha256 = :s OR d.prepared_sha256 = :s"
            " OR d.id IN (SELECT document_id FROM signatures WHERE pdf_sha256 = :s)", {"s": sha})
        matches = tuple(StoreMatch(r["inspection_id"], r["kind"], bool(r["sealed"]), r["how"]) for r in rows)
        return FileCheck(report, sha, matches)

    # -- corrections ------------------------------------------------------------------------
    def correct(self, inspection_id: str) -> str:
        """A correction: a new version that supersedes the sealed one, with all its content copied."""
        old = self.inspections._row(inspection_id)
        if old["superseded_by"]:
            raise RefusedError("Đợt kiểm tra này đã có bản đính chính; hãy đính chính bản mới nhất.",
                               hint="Mở bản đính chính mới nhất.")
        if old["status"] not in ("sealed", "concluded", "closed"):
            raise RefusedError("Chỉ tạo bản đính chính cho đợt kiểm tra đã ký biên bản.",
                               hint="Đợt kiểm tra chưa ký thì sửa trực tiếp.")
        insp = self.inspections.get(inspection_id)
        matrix = self.findings.matrix(inspection_id)
        new_id = uuid7()
        fields = ("title", "decision_no", "decision_date", "decision_issuer", "kind", "regime", "unit_id",
                  "checklist_id", "checklist_version", "team_id", "planned_date", "location", "actual_start",
                  "actual_end", "explanation", "team_remarks", "item_count")
        with self.ctx.store.transaction() as conn:
            self.ctx.record(conn, "inspection.created", new_id, {
                **{k: old[k] for k in fields}, "legal_basis": json.loads(old["legal_basis"]),
                "status": "recorded" if old["actual_end"] else "in_progress",
                "supersedes": inspection_id, "version_no": old["version_no"] + 1})
            subject_map = {}
            for subj in insp.subjects:
                subject_map[subj.id] = uuid7()
                self.ctx.record(conn, "subject.added", subject_map[subj.id], {
                    "inspection_id": new_id, "ordinal": subj.ordinal, "kind": subj.kind, "person_id": subj.person_id,
                    "name": subj.name, "position": subj.position, "holds_leadership": subj.holds_leadership})
            finding_map = {}
            for (code, sid), findings in matrix.cells.items():
                if sid not in subject_map:
                    continue
                f = findings[0]
                finding_map[f.id] = uuid7()
                self.ctx.record(conn, "finding.set", finding_map[f.id], {
                    "inspection_id": new_id, "item_code": code, "subject_id": subject_map[sid], "level": f.level,
                    "note": f.note, "parent": None, "copied_from": f.id})
            for ref in self.evidence.of_inspection(inspection_id):
                if ref.kind == "signature":
                    continue
                self.ctx.record(conn, "evidence.added", uuid7(), {
                    "inspection_id": new_id,
                    "finding_id": finding_map.get(ref.finding_id) if ref.finding_id else None,
                    "sha256": ref.sha256, "size": ref.size, "file_name": ref.file_name,
                    "media_type": ref.media_type, "kind": ref.kind, "caption": ref.caption,
                    "captured_at": ref.captured_at})
            for req in self.requirements.of_inspection(inspection_id):
                payload = {k: v for k, v in asdict(req).items() if k not in ("id", "inspection_id")}
                self.ctx.record(conn, "requirement.set", uuid7(), {**payload, "inspection_id": new_id})
            for table, event in (("minutes", "minutes.set"), ("conclusions", "conclusion.set")):
                row = conn.execute(f"SELECT * FROM {table} WHERE inspection_id = ?", (inspection_id,)).fetchone()
                if row is None:
                    continue
                cols = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
                data = dict(zip(cols, row, strict=True))
                json_cols = ("unit_representatives", "other_participants", "refusals", "recipients")
                payload = {k: (json.loads(v) if k in json_cols else (bool(v) if k == "with_secretary" else v))
                           for k, v in data.items() if k not in ("inspection_id", "updated_at")}
                self.ctx.record(conn, event, f"{table}:{new_id}", {**payload, "inspection_id": new_id})
        return new_id

    def file_bytes(self, document_id: str) -> bytes:
        """The current file of an issued document (its latest signed revision)."""
        return self.ctx.vault.read_bytes(self.document(document_id).sha256)

    def findings_summary(self, inspection_id: str) -> str:
        """The conclusion's automatic summary of the findings, as prose."""
        from inspector.services.document_content import summary_of_findings

        return summary_of_findings(self.content(inspection_id))

    def check_file_trusting(self, pdf: bytes, trust_dir: str) -> FileCheck:
        """`check_file` against the trust roots in a folder (none: trust not checked)."""
        from inspector.signing import load_trust_roots

        return self.check_file(pdf, load_trust_roots(Path(trust_dir)) if trust_dir else [])
