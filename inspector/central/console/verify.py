"""The server's verdict on each signed document it holds: the same three verdicts as
`inspector verify`, against the office's trust store (`<server dir>/trust/*.pem|crt|cer|der`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.errors import UserError
from inspector.signing import load_trust_roots
from inspector.signing.verify import Verdict, verify_pdf
from inspector.vault import Vault


@dataclass(frozen=True)
class DocumentCheck:
    verdict: str  # valid_trusted | intact_untrusted | invalid | missing
    label: str
    problems: tuple[str, ...]


MISSING = DocumentCheck("missing", "Máy chủ chưa nhận đủ tệp này", ())


def trust_roots(trust_dir: Path) -> tuple[list[Any], str]:
    """The office's roots, and a sentence when there are none (every verdict then says untrusted)."""
    if not trust_dir.is_dir():
        return [], f"Chưa cấu hình chứng thư gốc tin cậy (thư mục {trust_dir.name}/ của máy chủ)."
    try:
        return list(load_trust_roots(trust_dir)), ""
    except UserError as exc:
        return [], exc.render()


def check_bytes(pdf: bytes, roots: list[Any]) -> DocumentCheck:
    report = verify_pdf(pdf, roots)
    verdict: Verdict = report.verdict
    return DocumentCheck(verdict.value, verdict.label, tuple(report.problems))


def verdicts(vault: Vault, trust_dir: Path, documents: list[dict[str, Any]]) -> dict[str, DocumentCheck]:
    """Document id -> verdict on the file the server holds (runs on the I/O pool: reads and hashes)."""
    roots, _ = trust_roots(trust_dir)
    out = {}
    for doc in documents:
        sha = doc.get("current_sha256")
        if not sha or doc.get("state") != "ok" or not vault.has(sha):
            out[doc["id"]] = MISSING
            continue
        out[doc["id"]] = check_bytes(vault.read_bytes(sha), roots)
    return out
