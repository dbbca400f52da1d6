"""`inspector inspection list|show`."""

from __future__ import annotations

import argparse
from typing import Any

from inspector.cli.common import open_workspace, print_json, print_table
from inspector.cli.document_cmds import register_export
from inspector.domain import INSPECTION_KINDS, STATUSES, TEAM_ROLES
from inspector.services.inspections import InspectionQuery
from inspector.text import ui_date, ui_datetime


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("inspection", parents=[common], help="các đợt kiểm tra")
    isub = p.add_subparsers(dest="inspection_command", metavar="LỆNH", required=True)
    ls = isub.add_parser("list", parents=[common], help="liệt kê và lọc các đợt kiểm tra")
    ls.add_argument("--search", default="", help="tìm theo trích yếu, số quyết định, tên đơn vị")
    ls.add_argument("--status", action="append", choices=sorted(STATUSES), default=[],
                    help="lọc theo trạng thái (lặp lại để chọn nhiều)")
    ls.add_argument("--unit", default=None, help="mã đơn vị (gồm cả đơn vị cấp dưới)")
    ls.add_argument("--kind", choices=sorted(INSPECTION_KINDS), default=None)
    ls.add_argument("--from", dest="date_from", default="", help="quyết định từ ngày (dd/mm/yyyy)")
    ls.add_argument("--to", dest="date_to", default="", help="quyết định đến ngày (dd/mm/yyyy)")
    ls.add_argument("--archived", action="store_true", help="chỉ các đợt đã lưu trữ")
    ls.add_argument("--json", action="store_true", help="in dạng JSON")
    ls.set_defaults(handler=_list)
    show = isub.add_parser("show", parents=[common], help="xem chi tiết một đợt kiểm tra")
    show.add_argument("id", metavar="MÃ")
    show.add_argument("--json", action="store_true", help="in dạng JSON")
    show.set_defaults(handler=_show)
    register_export(isub, common)


def _list(args: argparse.Namespace) -> int:
    query = InspectionQuery(search=args.search, statuses=args.status, unit_id=args.unit,
                            kind=args.kind, date_from=args.date_from, date_to=args.date_to,
                            only_archived=args.archived)
    with open_workspace(args) as ws:
        rows = ws.services.inspections.find(query)
    if args.json:
        print_json([{**r.__dict__, "total_cells": r.total_cells} for r in rows])
        return 0
    print_table(
        ["Mã", "Quyết định", "Ngày", "Đơn vị", "Hình thức", "Trạng thái", "Tiến độ"],
        [[r.id, r.decision_no, ui_date(r.decision_date), r.unit_name, INSPECTION_KINDS[r.kind],
          STATUSES[r.status], f"{r.assessed_count}/{r.total_cells}"] for r in rows],
        max_col=40,
    )
    print(f"\nTổng cộng: {len(rows)} đợt kiểm tra.")
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        s = ws.services
        insp = s.inspections.get(args.id)
        checklist = s.ctx.checklist(insp.summary.checklist_id, insp.summary.checklist_version)
        matrix = s.findings.matrix(insp.id)
        evidence = s.evidence.of_inspection(insp.id)
        requirements = s.requirements.of_inspection(insp.id)
        if args.json:
            print_json({
                "inspection": {**insp.summary.__dict__, **{k: v for k, v in insp.__dict__.items()
                                                          if k not in ("summary", "team", "subjects")}},
                "team": insp.team,
                "subjects": [x.__dict__ for x in insp.subjects],
                "findings": [f.__dict__ for fs in matrix.cells.values() for f in fs],
                "evidence": [e.__dict__ for e in evidence],
                "requirements": [r.__dict__ for r in requirements],
            })
            return 0
        sm = insp.summary
        print(sm.title)
        issuer = f" của {insp.decision_issuer}" if insp.decision_issuer else ""
        print(f"Mã: {sm.id}\nQuyết định số {sm.decision_no} ngày {ui_date(sm.decision_date)}{issuer}")
        print(f"Đơn vị: {sm.unit_name}\nHình thức: {INSPECTION_KINDS[sm.kind]}  —  "
              f"Trạng thái: {STATUSES[sm.status]}")
        print(f"Bộ câu hỏi: {checklist.label}")
        print(f"Bắt đầu: {ui_datetime(insp.actual_start) or '—'}   Kết thúc: {ui_datetime(insp.actual_end) or '—'}")
        print("Căn cứ:")
        for line in insp.legal_basis:
            print(f"  - {line}")
        if insp.team:
            print(f"Đoàn kiểm tra: {insp.team.name}")
            for m in insp.team.members:
                print(f"  - {m.full_name}, {m.position} — {TEAM_ROLES[m.role]}")
        print(f"Đối tượng kiểm tra ({len(insp.subjects)}):")
        for x in insp.subjects:
            lead = ", giữ chức vụ lãnh đạo" if x.holds_leadership else ""
            print(f"  {x.ordinal}. {x.name} — {x.position}{lead}")
        print(f"Tiến độ: {sm.assessed_count}/{sm.total_cells} ô đã đánh giá")
        notable = [f for fs in matrix.cells.values() for f in fs if f.level is not None and f.level >= 2]
        if notable:
            names = {x.id: x.name for x in insp.subjects}
            print("Biểu hiện ở mức 2–3:")
            for f in sorted(notable, key=lambda f: (f.item_code, names.get(f.subject_id, ""))):
                print(f"  {f.item_code} — {names.get(f.subject_id, '?')}: mức {f.level}. {f.note}")
        print(f"Minh chứng: {len(evidence)} tệp; yêu cầu khắc phục: {len(requirements)}")
        if insp.explanation:
            print(f"Giải trình của đơn vị: {insp.explanation}")
    return 0
