"""Schema migrations keyed on `PRAGMA user_version`; each step runs in one transaction.

A step is one SQL script run by SQLite itself (`executescript`, wrapped in BEGIN IMMEDIATE …
COMMIT with the new user_version), never split by hand. This module works on a bare connection
and imports nothing from the store, so the store factory can call it without an import cycle.

Tables fall in two kinds. Local state (device, settings, blobs, sync bookkeeping) belongs to this
machine only. Projections (everything listed in PROJECTION_TABLES) are derived from the event log
and must equal a rebuild from it.
"""

from __future__ import annotations

import sqlite3

from inspector.errors import StorageError

PROJECTION_TABLES: tuple[str, ...] = (
    "catalog_versions",
    "units",
    "people",
    "teams",
    "team_members",
    "inspections",
    "subjects",
    "findings",
    "evidence",
    "requirements",
    "minutes",
    "conclusions",
    "documents",
    "signatures",
    "team_devices",
)

_V1 = """
CREATE TABLE device (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    public_key BLOB NOT NULL,
    private_key BLOB NOT NULL,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE events (
    local_order INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 1),
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    hlc INTEGER NOT NULL,
    at TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (device_id, epoch, seq)
);
CREATE INDEX events_entity ON events (entity_id);
CREATE INDEX events_order ON events (hlc, device_id, seq);
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('ok', 'corrupt', 'missing')),
    stored_at TEXT NOT NULL,
    verified_at TEXT
);

CREATE TABLE catalog_versions (
    kind TEXT NOT NULL CHECK (kind IN ('catalog', 'checklist')),
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    document TEXT NOT NULL,
    source TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    PRIMARY KEY (kind, id, version)
);
CREATE TABLE units (
    id TEXT PRIMARY KEY,
    parent_id TEXT REFERENCES units (id),
    name TEXT NOT NULL,
    unit_type TEXT NOT NULL,
    code TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    archived INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX units_parent ON units (parent_id);
CREATE TABLE people (
    id TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    position TEXT NOT NULL DEFAULT '',
    unit_id TEXT REFERENCES units (id),
    holds_leadership INTEGER NOT NULL DEFAULT 0,
    archived INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX people_unit ON people (unit_id);
CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    issuing_body TEXT NOT NULL DEFAULT '',
    superior_body TEXT NOT NULL DEFAULT '',
    archived INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    role TEXT NOT NULL CHECK (role IN ('leader', 'deputy', 'member', 'secretary')),
    ordinal INTEGER NOT NULL,
    PRIMARY KEY (team_id, person_id)
);
CREATE TABLE inspections (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    decision_no TEXT NOT NULL,
    decision_date TEXT NOT NULL,
    decision_issuer TEXT NOT NULL DEFAULT '',
    legal_basis TEXT NOT NULL DEFAULT '[]',
    kind TEXT NOT NULL CHECK (kind IN ('surprise', 'regular')),
    regime TEXT NOT NULL CHECK (regime IN ('party', 'state')),
    unit_id TEXT NOT NULL REFERENCES units (id),
    checklist_id TEXT NOT NULL,
    checklist_version INTEGER NOT NULL,
    team_id TEXT REFERENCES teams (id),
    planned_date TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    actual_start TEXT,
    actual_end TEXT,
    explanation TEXT NOT NULL DEFAULT '',
    team_remarks TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    archived INTEGER NOT NULL DEFAULT 0,
    version_no INTEGER NOT NULL DEFAULT 1,
    supersedes TEXT,
    superseded_by TEXT,
    sealed_at TEXT,
    seal_hash TEXT,
    item_count INTEGER NOT NULL,
    subject_count INTEGER NOT NULL DEFAULT 0,
    assessed_count INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX inspections_unit ON inspections (unit_id);
CREATE INDEX inspections_decision_date ON inspections (decision_date);
CREATE TABLE subjects (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    ordinal INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('person', 'collective')),
    person_id TEXT REFERENCES people (id),
    name TEXT NOT NULL,
    position TEXT NOT NULL DEFAULT '',
    holds_leadership INTEGER NOT NULL DEFAULT 0,
    removed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX subjects_inspection ON subjects (inspection_id);
CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    item_code TEXT NOT NULL,
    subject_id TEXT NOT NULL REFERENCES subjects (id),
    level INTEGER CHECK (level BETWEEN 0 AND 3),
    note TEXT NOT NULL DEFAULT '',
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    origin_device TEXT NOT NULL,
    head_hash TEXT NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX findings_cell ON findings (inspection_id, item_code, subject_id);
CREATE TABLE evidence (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    finding_id TEXT REFERENCES findings (id),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    kind TEXT NOT NULL,
    caption TEXT NOT NULL DEFAULT '',
    captured_at TEXT,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,
    removed_at TEXT,
    removed_by TEXT,
    removed_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX evidence_inspection ON evidence (inspection_id);
CREATE INDEX evidence_sha ON evidence (sha256);
CREATE TABLE requirements (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    ordinal INTEGER NOT NULL,
    content TEXT NOT NULL,
    responsible TEXT NOT NULL,
    responsible_unit_id TEXT REFERENCES units (id),
    responsible_person_id TEXT REFERENCES people (id),
    deadline TEXT NOT NULL,
    report_back_date TEXT NOT NULL,
    status TEXT NOT NULL,
    status_note TEXT NOT NULL DEFAULT '',
    removed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX requirements_inspection ON requirements (inspection_id);
CREATE INDEX requirements_deadline ON requirements (deadline);
"""

# Documents: the details of the minutes and the conclusion, generated PDFs and their signatures.
_V2 = """
CREATE TABLE minutes (
    inspection_id TEXT PRIMARY KEY REFERENCES inspections (id),
    number TEXT NOT NULL DEFAULT '',
    place_name TEXT NOT NULL DEFAULT 'Hà Nội',
    unit_representatives TEXT NOT NULL DEFAULT '[]',
    other_participants TEXT NOT NULL DEFAULT '[]',
    copies INTEGER NOT NULL DEFAULT 2,
    refusals TEXT NOT NULL DEFAULT '[]',
    with_secretary INTEGER NOT NULL DEFAULT 1,
    recipients TEXT NOT NULL DEFAULT '[]',
    strengths TEXT NOT NULL DEFAULT '',
    immediate_requests TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE TABLE conclusions (
    inspection_id TEXT PRIMARY KEY REFERENCES inspections (id),
    doc_type TEXT NOT NULL DEFAULT 'conclusion' CHECK (doc_type IN ('conclusion', 'notice')),
    superior_body TEXT NOT NULL DEFAULT '',
    issuing_body TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL DEFAULT '',
    place_name TEXT NOT NULL DEFAULT 'Hà Nội',
    issue_date TEXT NOT NULL DEFAULT '',
    findings_summary TEXT NOT NULL DEFAULT '',
    strengths TEXT NOT NULL DEFAULT '',
    shortcomings TEXT NOT NULL DEFAULT '',
    causes TEXT NOT NULL DEFAULT '',
    follow_up TEXT NOT NULL DEFAULT '',
    signer_authority TEXT NOT NULL DEFAULT '',
    signer_authority_body TEXT NOT NULL DEFAULT '',
    signer_position TEXT NOT NULL DEFAULT '',
    signer_name TEXT NOT NULL DEFAULT '',
    recipients TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL
);
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    inspection_id TEXT NOT NULL REFERENCES inspections (id),
    kind TEXT NOT NULL CHECK (kind IN ('minutes', 'conclusion')),
    revision INTEGER NOT NULL,
    prepared_sha256 TEXT NOT NULL,
    current_sha256 TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('prepared', 'signing', 'signed')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX documents_inspection ON documents (inspection_id);
CREATE TABLE signatures (
    id TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents (id),
    role TEXT NOT NULL,
    field_name TEXT NOT NULL,
    signer_name TEXT NOT NULL,
    cert_subject TEXT NOT NULL DEFAULT '',
    cert_fingerprint TEXT NOT NULL DEFAULT '',
    claimed_time TEXT NOT NULL,
    drawn_sha256 TEXT,
    pdf_sha256 TEXT NOT NULL,
    method TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX signatures_document ON signatures (document_id);
"""

# Sync: the team roster and revocations (a projection of the server's reference-data chain), and
# this machine's sync bookkeeping (what the server acknowledged, signed chain heads, receipts).
_V3 = """
CREATE TABLE team_devices (
    device_id TEXT PRIMARY KEY,
    epoch INTEGER NOT NULL,
    team TEXT NOT NULL,
    label TEXT NOT NULL,
    public_key TEXT NOT NULL,
    x25519_public TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    revoked_at TEXT,
    revoked_reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE sync_server (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    url TEXT NOT NULL,
    server_id TEXT NOT NULL,
    server_public_key BLOB NOT NULL,
    server_x25519 BLOB NOT NULL,
    team TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    clock_offset_ms INTEGER NOT NULL DEFAULT 0,
    fork TEXT
);
CREATE TABLE sync_acks (
    device_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (device_id, epoch)
);
CREATE TABLE sync_blobs (
    sha256 TEXT PRIMARY KEY,
    server_has INTEGER NOT NULL,
    checked_at TEXT NOT NULL
);
CREATE TABLE chain_heads (
    device_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (device_id, epoch)
);
CREATE TABLE sync_receipts (
    receipt_id TEXT PRIMARY KEY,
    issued_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    via TEXT NOT NULL,
    body TEXT NOT NULL,
    signature BLOB NOT NULL
);
CREATE TABLE imported_bundles (
    bundle_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    source_device TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE INDEX events_inspection ON events (json_extract(payload, '$.inspection_id'));
"""

# Documents a clerk accepts: honorifics of people, document-symbol abbreviations of teams and of
# the conclusion's issuing body, the team report the conclusion cites, who a certificate was
# expected to belong to (and why someone else signed), and why cells were left unassessed.
_V4 = """
ALTER TABLE people ADD COLUMN honorific TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN issuing_abbr TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN superior_abbr TEXT NOT NULL DEFAULT '';
ALTER TABLE conclusions ADD COLUMN issuing_abbr TEXT NOT NULL DEFAULT '';
ALTER TABLE conclusions ADD COLUMN concluding_body TEXT NOT NULL DEFAULT '';
ALTER TABLE conclusions ADD COLUMN report_number TEXT NOT NULL DEFAULT '';
ALTER TABLE conclusions ADD COLUMN report_date TEXT NOT NULL DEFAULT '';
ALTER TABLE signatures ADD COLUMN expected_name TEXT NOT NULL DEFAULT '';
ALTER TABLE signatures ADD COLUMN override_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE inspections ADD COLUMN seal_reason TEXT NOT NULL DEFAULT '';
"""

# The central registry (units and people are the office's reference data: a laptop's new entry
# is a proposal the server merges into an existing one or registers), corrections found without
# reading the log, an index on every foreign-key column that had none (inserting a parent row
# while a scoped re-projection has deferred violations pending searches its children: without
# an index that is a scan of the whole table per row), and chains the server refused to take
# from this device (not sent again).
_V5 = """
ALTER TABLE units ADD COLUMN merged_into TEXT;
ALTER TABLE units ADD COLUMN central INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people ADD COLUMN merged_into TEXT;
ALTER TABLE people ADD COLUMN central INTEGER NOT NULL DEFAULT 0;
CREATE INDEX inspections_supersedes ON inspections (supersedes);
CREATE INDEX inspections_team ON inspections (team_id);
CREATE INDEX findings_subject ON findings (subject_id);
CREATE INDEX subjects_person ON subjects (person_id);
CREATE INDEX evidence_finding ON evidence (finding_id);
CREATE INDEX requirements_unit ON requirements (responsible_unit_id);
CREATE INDEX requirements_person ON requirements (responsible_person_id);
CREATE INDEX team_members_person ON team_members (person_id);
CREATE TABLE sync_refused (
    device_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    refused_at TEXT NOT NULL,
    PRIMARY KEY (device_id, epoch)
);
"""

# An enrollment from a file (no network): the request the laptop's bundles carry until the
# central registers it (its receipt comes back). Never the token itself: a proof bound to the keys.
# The server's TLS certificate fingerprint (SHA-256 of DER) from the token or file, and the
# certificate itself once seen with that fingerprint: the one trust anchor of its HTTPS.
_V6 = """
CREATE TABLE sync_enrollment (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    server_id TEXT NOT NULL,
    request TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE sync_server ADD COLUMN tls_fingerprint TEXT;
ALTER TABLE sync_server ADD COLUMN tls_certificate TEXT;
"""

# Each entry: (version it produces, SQL script). Append only; never edit a shipped step.
MIGRATIONS: list[tuple[int, str]] = [(1, _V1), (2, _V2), (3, _V3), (4, _V4), (5, _V5), (6, _V6)]
LATEST = MIGRATIONS[-1][0]


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database to LATEST, one transaction per step (a crash leaves a whole step or none)."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if current > LATEST:
        raise StorageError(
            "Cơ sở dữ liệu được tạo bởi phiên bản mới hơn của phần mềm (lược đồ {found} > {known}).",
            hint="Cài phiên bản phần mềm mới nhất rồi mở lại.",
            found=current,
            known=LATEST,
        )
    for version, script in MIGRATIONS:
        if version <= current:
            continue
        try:
            conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
