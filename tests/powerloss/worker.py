"""Child process of the power-loss test: records until the power goes.

It records findings, attaches evidence, issues signed minutes (the documents service's export
path: render, PAdES with a PKCS#12 file, store, seal) and runs USB sync rounds (bundle export onto
the "stick", import on the central store, receipt back to the laptop), all on powerfs. After each
action returns it writes what was committed to its pipe: the parent's list of promises.

    FINDING <event hash>                 the finding event is in the laptop's log
    EVIDENCE <evidence id> <sha256>      the evidence row and its vault file
    DOCUMENT <document id> <sha256>      the issued document and its PDF in the vault
    CENTRAL <device> <epoch> <seq> <sha256,…|->  the central store holds the chain up to seq and the blobs
    ACK <device> <epoch> <seq>           the laptop recorded the server's acknowledgement
"""

from __future__ import annotations

import os
import random
import traceback
from pathlib import Path
from typing import TextIO

from inspector.central.bundles import import_bundle, write_receipt_file
from inspector.central.server import Central
from inspector.domain import Inspection
from inspector.services.document_content import MinutesDetails
from inspector.services.documents import Pkcs12Credential, SignerPlan
from inspector.services.inspections import InspectionDraft, InspectionQuery, SubjectSpec
from inspector.workspace import Services, Workspace


class Reporter:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def __call__(self, *words: object) -> None:
        self.out.write(" ".join(str(w) for w in words) + "\n")
        self.out.flush()


def recording_target(s: Services) -> Inspection:
    for summary in s.inspections.find(InspectionQuery(include_archived=True)):
        if summary.status != "sealed" and summary.subject_count >= 4:
            return s.inspections.get(summary.id)
    raise SystemExit("the prepared data directory has no open inspection")


def issue_minutes(s: Services, like: Inspection, p12: Path, passphrase: str, n: int) -> tuple[str, str]:
    """A small inspection of the same unit and team, recorded and its minutes issued (sealed)."""
    insp = s.inspections.create(InspectionDraft(
        decision_no=f"{n}/QĐ-ĐKT", decision_date="2026-11-02", decision_issuer="Chủ tịch UBND thành phố Hà Nội",
        unit_id=like.summary.unit_id, checklist_id=like.summary.checklist_id, regime=like.summary.regime,
        team_id=like.team.id if like.team else None, location="Trụ sở UBND phường",
        subjects=[SubjectSpec("Lê Văn Nam", "Phó Chủ tịch UBND phường", True)]))
    s.inspections.start(insp.id, "2026-11-03T01:30:00Z")
    s.findings.record(insp.id, "LD-01", insp.subjects[0].id, level=1, note="Đến muộn 20 phút")
    s.documents.set_minutes_details(insp.id, MinutesDetails(
        unit_representatives=(("Phạm Văn Bình", "Phó Chủ tịch UBND phường"),)))
    doc = s.documents.issue(insp.id, "minutes", [SignerPlan("leader", credential=Pkcs12Credential(p12, passphrase))],
                            unassessed_reason="Đợt thử mất điện: chỉ đánh giá một ô")
    return doc.id, doc.sha256


def sync_round(ws: Workspace, central: Central, stick: Path, say: Reporter) -> None:
    s = ws.services
    overview = s.sync.overview()
    if not overview.unsent_events and not overview.unsent_blobs:
        return
    bundle = stick / "goi.inspb"
    s.sync.export_bundle(bundle)
    result = import_bundle(central, bundle)
    for chain in result.receipt.chains:
        say("CENTRAL", chain.device_id, chain.epoch, chain.seq, ",".join(result.receipt.blobs) or "-")
    write_receipt_file(central, result.receipt, stick / "bien-nhan.inspb")
    outcome = s.sync.import_bundle(stick / "bien-nhan.inspb")
    assert outcome.receipt is not None
    for chain in outcome.receipt.chains:
        if chain.device_id == s.ctx.device.device_id:
            say("ACK", chain.device_id, chain.epoch, chain.seq)


def run(root: Path, seed: int, p12: Path, passphrase: str, say: Reporter) -> None:
    rng = random.Random(seed)
    base = root
    ws = Workspace.open(base / "laptop")
    central = Central(base / "central")
    s = ws.services
    insp = recording_target(s)
    items = [i.code for i in s.ctx.checklist(insp.summary.checklist_id, insp.summary.checklist_version).items]
    say("READY")
    n = 0
    while True:
        n += 1
        roll = rng.random()
        if roll < 0.12:
            finding = s.findings.matrix(insp.id).get(rng.choice(items), rng.choice(insp.subjects).id)
            payload = b"\xff\xd8\xff\xe0" + os.urandom(rng.randint(8 * 1024, 300 * 1024))
            ref = s.evidence.attach_bytes(insp.id, payload, f"anh-{n}.jpg",
                                          finding_id=finding.id if finding else None)
            say("EVIDENCE", ref.id, ref.sha256)
        elif roll < 0.15:
            say("DOCUMENT", *issue_minutes(s, insp, p12, passphrase, n))
        elif roll < 0.22:
            sync_round(ws, central, base / "stick", say)
        else:
            level = rng.choice([None, 0, 1, 2, 3])
            change = s.findings.record(insp.id, rng.choice(items), rng.choice(insp.subjects).id,
                                       level=level, note=f"ghi chú lần {n}")
            say("FINDING", change.event_hash)


def spawn(root: Path, seed: int, p12: Path, passphrase: str) -> tuple[int, int]:
    """Fork a worker from this process (everything is imported already: a child starts in
    milliseconds, not the seconds a new interpreter needs). Returns its pid and the read end of
    the pipe it reports on. The caller must hold no open file on the file system under test."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_end)
        return pid, read_end
    os.close(read_end)
    code = 0
    try:
        with os.fdopen(write_end, "w") as out:
            try:
                run(root, seed, p12, passphrase, Reporter(out))
            except BaseException:
                out.write("ERROR " + traceback.format_exc().replace("\n", "\nERROR ") + "\n")
                out.flush()
                code = 3
    finally:
        os._exit(code)
