"""Issued documents as stored: their revisions, their signatures, and what a checked file matches."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from inspector.errors import NotFoundError
from inspector.signing import Verdict, VerificationReport
from inspector.store.db import Store


@dataclass(frozen=True)
class SignatureRecord:
    role: str
    field_name: str
    signer_name: str
    cert_fingerprint: str
    claimed_time: str
    method: str  # pkcs12 | pkcs11 | drawn
    expected_name: str = ""     # the person the slot names
    override_reason: str = ""   # why someone else's certificate signed (empty: the names match)


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
    overrides: tuple[SignatureRecord, ...] = ()  # signatures made with somebody else's certificate


@dataclass(frozen=True)
class FileCheck:
    report: VerificationReport
    sha256: str
    matches: tuple[StoreMatch, ...]

    @property
    def verdict(self) -> Verdict:
        return self.report.verdict


def _signature(s: dict[str, Any]) -> SignatureRecord:
    return SignatureRecord(s["role"], s["field_name"], s["signer_name"], s["cert_fingerprint"], s["claimed_time"],
                           s["method"], s["expected_name"], s["override_reason"])


def read_document(store: Store, document_id: str) -> DocumentRecord:
    row = store.one("SELECT * FROM documents WHERE id = ?", (document_id,))
    if row is None:
        raise NotFoundError("Không tìm thấy văn bản “{id}”.", id=document_id)
    # rowid: the order the signatures were recorded in (uuid7 ids of one millisecond are not ordered)
    sigs = store.query("SELECT * FROM signatures WHERE document_id = ? ORDER BY created_at, rowid", (document_id,))
    return DocumentRecord(row["id"], row["inspection_id"], row["kind"], row["revision"], row["current_sha256"],
                          row["status"], tuple(f["name"] for f in json.loads(row["fields"])),
                          tuple(_signature(s) for s in sigs))


def read_documents(store: Store, inspection_id: str, kind: str | None = None) -> list[DocumentRecord]:
    rows = store.query(
        "SELECT id FROM documents WHERE inspection_id = :i AND (:k IS NULL OR kind = :k) ORDER BY revision",
        {"i": inspection_id, "k": kind})
    return [read_document(store, r["id"]) for r in rows]


def matches_of(store: Store, sha256: str) -> tuple[StoreMatch, ...]:
    """The stored documents this file is a revision of, with their overridden signatures."""
    rows = store.query(
        "SELECT d.id, d.inspection_id, d.kind, d.revision, i.seal_hash IS NOT NULL AS sealed,"
        " CASE WHEN d.current_sha256 = :s THEN 'current' WHEN d.prepared_sha256 = :s THEN 'prepared'"
        " ELSE 'signature' END AS how"
        " FROM documents d JOIN inspections i ON i.id = d.inspection_id"
        " WHERE d.current_sha256 = :s OR d.prepared_sha256 = :s"
        " OR d.id IN (SELECT document_id FROM signatures WHERE pdf_sha256 = :s)", {"s": sha256})
    out = []
    for r in rows:
        overridden = store.query("SELECT * FROM signatures WHERE document_id = ? AND override_reason != ''"
                                 " ORDER BY created_at, rowid", (r["id"],))
        out.append(StoreMatch(r["inspection_id"], r["kind"], bool(r["sealed"]), r["how"],
                              tuple(_signature(s) for s in overridden)))
    return tuple(out)
