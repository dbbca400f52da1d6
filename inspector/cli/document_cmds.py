"""`inspector verify FILE.pdf`, `inspector inspection export ID --doc … -o FILE.pdf`; the `document`
commands (issue, review, cert, tokens) are in document_issue_cmds.py."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from inspector.cli.common import CliError, open_workspace, print_json

KINDS = {"minutes": "biên bản", "conclusion": "kết luận"}


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    from inspector.cli import document_issue_cmds

    document_issue_cmds.register(sub, common)
    v = sub.add_parser("verify", parents=[common], help="kiểm tra chữ ký số của một tệp PDF (thoát 0: hợp lệ và"
                                                        " tin cậy; 1: không hợp lệ hoặc đã bị sửa; 4: nguyên vẹn"
                                                        " nhưng chưa xác nhận được độ tin cậy)")
    v.add_argument("file", type=Path, metavar="TỆP.pdf")
    v.add_argument("--trust", type=Path, default=None, metavar="THƯ_MỤC",
                   help="thư mục chứa chứng thư gốc tin cậy (.pem, .crt, .cer, .der)")
    v.add_argument("--json", action="store_true", help="in dạng JSON")
    v.set_defaults(handler=_verify)


def register_export(isub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    e = isub.add_parser("export", parents=[common], help="xuất biên bản hoặc kết luận ra tệp PDF")
    e.add_argument("id", metavar="MÃ")
    e.add_argument("--doc", choices=sorted(KINDS), required=True, help="minutes (biên bản) hoặc conclusion (kết luận)")
    e.add_argument("-o", "--output", type=Path, required=True, metavar="TỆP.pdf")
    e.set_defaults(handler=_export)


def _time(moment: Any) -> str:
    return moment.strftime("%d/%m/%Y %H:%M:%S %z") if moment else "—"


def _verify(args: argparse.Namespace) -> int:
    """Exit 0: every signature intact, valid and trusted; 1: something invalid or modified (or no
    signature at all); 4: intact but some signature or timestamp not trusted (or not checked)."""
    from inspector.signing import load_trust_roots

    try:
        pdf = args.file.read_bytes()
    except OSError as exc:
        raise CliError(f"Lỗi: không đọc được tệp {args.file}: {exc.strerror or exc}.") from exc
    roots = load_trust_roots(args.trust) if args.trust else []
    with open_workspace(args) as ws:
        check = ws.services.documents.check_file(pdf, roots)
    report = check.report
    verdict = report.verdict
    if args.json:
        print_json({
            "verdict": str(verdict), "verdict_label": verdict.label, "sha256": check.sha256,
            "signatures": [{
                "field": s.field_name, "signer": s.signer_name, "verdict": str(s.verdict),
                "verdict_label": s.verdict.label, "intact": s.intact, "valid": s.valid, "trusted": s.trusted,
                "claimed_time": s.claimed_time, "proven_time": s.proven_time, "coverage": s.coverage.label,
                "modification": s.modification_label, "problems": list(s.problems),
            } for s in report.signatures],
            "timestamps": [{"time": t.time, "tsa": t.tsa_name, "valid": t.intact and t.valid, "trusted": t.trusted}
                           for t in report.timestamps],
            "problems": list(report.problems),
            "store_matches": [{"inspection_id": m.inspection_id, "kind": m.kind, "sealed": m.sealed, "how": m.how,
                               "overrides": [{"field": o.field_name, "signer": o.signer_name,
                                              "expected": o.expected_name, "reason": o.override_reason}
                                             for o in m.overrides]} for m in check.matches],
        })
        return verdict.exit_code
    yes = {True: "có", False: "KHÔNG"}
    print(f"Tệp: {args.file.name} (SHA-256 {check.sha256})")
    if not report.signatures:
        print("Tệp không có chữ ký số nào.")
    for n, s in enumerate(report.signatures, start=1):
        print(f"\nChữ ký {n} ({s.field_name}): {s.signer_name or '(không đọc được)'} — {s.verdict.label.upper()}")
        print(f"  Nguyên vẹn: {yes[s.intact]} · Hợp lệ: {yes[s.valid]} · Tin cậy: {yes[s.trusted]}")
        print(f"  Thời điểm ký (máy người ký tự khai): {_time(s.claimed_time)}")
        print(f"  Thời điểm được chứng thực bởi dấu thời gian: {_time(s.proven_time)}")
        print(f"  Phạm vi: {s.coverage.label} · Thay đổi sau khi ký: {s.modification_label}")
        for problem in s.problems:
            print(f"  - {problem}")
    for t in report.timestamps:
        state = "hợp lệ" if t.intact and t.valid else "KHÔNG hợp lệ"
        trusted = "tin cậy" if t.trusted else "chưa xác nhận được độ tin cậy"
        print(f"\nDấu thời gian: {_time(t.time)} — {t.tsa_name} — {state}, {trusted}")
        for problem in t.problems:
            print(f"  - {problem}")
    for problem in report.problems:
        print(f"- {problem}")
    if check.matches:
        for m in check.matches:
            state = "đã niêm phong" if m.sealed else "chưa niêm phong"
            print(f"\nKhớp với {KINDS[m.kind]} của đợt kiểm tra {m.inspection_id} ({state}).")
            for o in m.overrides:
                print(f"  Ô {o.field_name}: ký bằng chứng thư của {o.signer_name}, không phải của {o.expected_name}"
                      f" (người có tên trong văn bản). Lý do ghi khi ký: {o.override_reason}")
    else:
        print("\nTệp không trùng với văn bản nào trong kho dữ liệu này.")
    if not args.trust:
        print("Chưa chỉ định thư mục chứng thư gốc (--trust): chưa kiểm tra được độ tin cậy của người ký.")
    print(f"\nKết luận: {verdict.label.upper()}.")
    return verdict.exit_code


def _export(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        data = ws.services.documents.export(args.id, args.doc)
        issued = ws.services.documents.documents(args.id, args.doc)
    try:
        tmp = args.output.with_name(args.output.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(args.output)
    except OSError as exc:
        raise CliError(f"Lỗi: không ghi được tệp {args.output}: {exc.strerror or exc}.") from exc
    state = "bản đã ký" if issued else "bản chưa ký, để xem trước"
    print(f"Đã xuất {KINDS[args.doc]} ({state}) ra {args.output} ({len(data) // 1024} KB).")
    return 0
