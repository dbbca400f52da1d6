"""`inspector events verify` and `inspector evidence verify`."""

from __future__ import annotations

import argparse
from typing import Any

from inspector.cli.common import open_workspace, print_json


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    ev = sub.add_parser("events", parents=[common], help="nhật ký sự kiện")
    esub = ev.add_subparsers(dest="events_command", metavar="LỆNH", required=True)
    v = esub.add_parser("verify", parents=[common],
                        help="kiểm tra chuỗi băm và đối chiếu các bảng với nhật ký sự kiện")
    v.add_argument("--json", action="store_true", help="in dạng JSON")
    v.set_defaults(handler=_verify_events)
    evd = sub.add_parser("evidence", parents=[common], help="kho minh chứng")
    vsub = evd.add_subparsers(dest="evidence_command", metavar="LỆNH", required=True)
    vv = vsub.add_parser("verify", parents=[common], help="tính lại mã băm của mọi tệp minh chứng")
    vv.add_argument("--json", action="store_true", help="in dạng JSON")
    vv.set_defaults(handler=_verify_evidence)


def _verify_events(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        report = ws.services.verify_events()
        integrity = ws.store.scalar("PRAGMA integrity_check")
    if args.json:
        print_json({
            "ok": report.ok and integrity == "ok",
            "events": report.event_count,
            "integrity_check": integrity,
            "chain_problems": [p.render() for p in report.chain_problems],
            "projection_problems": [p.render() for p in report.projection_problems],
        })
    else:
        if integrity != "ok":
            print(f"Tệp cơ sở dữ liệu bị hỏng: {integrity}")
        for p in report.chain_problems:
            print(f"Chuỗi sự kiện: {p.render()}")
        for p in report.projection_problems:
            print(f"Bảng dữ liệu: {p.render()}")
        if report.ok and integrity == "ok":
            print(f"Hợp lệ: {report.event_count} sự kiện, mọi chuỗi băm liền mạch, các bảng khớp"
                  " với nhật ký sự kiện.")
        else:
            print("Phát hiện dữ liệu không toàn vẹn (xem các dòng trên). Không sửa gì tự động;"
                  " hãy liên hệ bộ phận hỗ trợ và giữ nguyên thư mục dữ liệu.")
    return 0 if report.ok and integrity == "ok" else 1


def _verify_evidence(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        report = ws.services.evidence.verify_all()
    if args.json:
        print_json({"ok": report.ok, "checked": report.checked,
                    "bad": [{"sha256": s, "reason": r} for s, r in report.bad]})
    else:
        for sha, reason in report.bad:
            print(f"Minh chứng {sha[:16]}…: {reason}")
        print(f"Đã kiểm tra {report.checked} tệp minh chứng; {len(report.bad)} tệp có lỗi.")
    return 0 if report.ok else 1
