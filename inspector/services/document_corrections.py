"""A correction (bản đính chính): a new version of a sealed inspection, with everything copied.

The sealed version stays as it is (its documents are signed); the new one supersedes it and is
editable again. Copying goes through events, like every change, in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from inspector.errors import RefusedError
from inspector.ids import uuid7
from inspector.services.context import ServiceContext
from inspector.services.evidence import EvidenceService
from inspector.services.findings import FindingService
from inspector.services.inspections import InspectionService
from inspector.services.requirements import RequirementService

_JSON_COLUMNS = ("unit_representatives", "other_participants", "refusals", "recipients")


def copy_as_correction(ctx: ServiceContext, inspections: InspectionService, findings: FindingService,
                       evidence: EvidenceService, requirements: RequirementService, inspection_id: str) -> str:
    old = inspections._row(inspection_id)
    if old["superseded_by"]:
        raise RefusedError("Đợt kiểm tra này đã có bản đính chính; hãy đính chính bản mới nhất.",
                           hint="Mở bản đính chính mới nhất.")
    if old["status"] not in ("sealed", "concluded", "closed"):
        raise RefusedError("Chỉ tạo bản đính chính cho đợt kiểm tra đã ký biên bản.",
                           hint="Đợt kiểm tra chưa ký thì sửa trực tiếp.")
    insp = inspections.get(inspection_id)
    matrix = findings.matrix(inspection_id)
    new_id = uuid7()
    fields = ("title", "decision_no", "decision_date", "decision_issuer", "kind", "regime", "unit_id",
              "checklist_id", "checklist_version", "team_id", "planned_date", "location", "actual_start",
              "actual_end", "explanation", "team_remarks", "item_count")
    with ctx.store.transaction() as conn:
        ctx.record(conn, "inspection.created", new_id, {
            **{k: old[k] for k in fields}, "legal_basis": json.loads(old["legal_basis"]),
            "status": "recorded" if old["actual_end"] else "in_progress",
            "supersedes": inspection_id, "version_no": old["version_no"] + 1})
        subject_map = {}
        for subj in insp.subjects:
            subject_map[subj.id] = uuid7()
            ctx.record(conn, "subject.added", subject_map[subj.id], {
                "inspection_id": new_id, "ordinal": subj.ordinal, "kind": subj.kind, "person_id": subj.person_id,
                "name": subj.name, "position": subj.position, "holds_leadership": subj.holds_leadership})
        finding_map = {}
        for (code, sid), cell in matrix.cells.items():
            if sid not in subject_map:
                continue
            f = cell[0]
            finding_map[f.id] = uuid7()
            ctx.record(conn, "finding.set", finding_map[f.id], {
                "inspection_id": new_id, "item_code": code, "subject_id": subject_map[sid], "level": f.level,
                "note": f.note, "parent": None, "copied_from": f.id})
        for ref in evidence.of_inspection(inspection_id):
            if ref.kind == "signature":
                continue
            ctx.record(conn, "evidence.added", uuid7(), {
                "inspection_id": new_id,
                "finding_id": finding_map.get(ref.finding_id) if ref.finding_id else None,
                "sha256": ref.sha256, "size": ref.size, "file_name": ref.file_name,
                "media_type": ref.media_type, "kind": ref.kind, "caption": ref.caption,
                "captured_at": ref.captured_at})
        for req in requirements.of_inspection(inspection_id):
            payload = {k: v for k, v in asdict(req).items() if k not in ("id", "inspection_id")}
            ctx.record(conn, "requirement.set", uuid7(), {**payload, "inspection_id": new_id})
        for table, event in (("minutes", "minutes.set"), ("conclusions", "conclusion.set")):
            row = conn.execute(f"SELECT * FROM {table} WHERE inspection_id = ?", (inspection_id,)).fetchone()
            if row is None:
                continue
            cols = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
            data = dict(zip(cols, row, strict=True))
            payload = {k: (json.loads(v) if k in _JSON_COLUMNS else (bool(v) if k == "with_secretary" else v))
                       for k, v in data.items() if k not in ("inspection_id", "updated_at")}
            ctx.record(conn, event, f"{table}:{new_id}", {**payload, "inspection_id": new_id})
    return new_id
