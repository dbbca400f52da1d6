"""`inspector catalog validate|import|list|show`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from inspector.catalog.model import AUDIENCES
from inspector.cli.common import open_workspace, print_json, print_table
from inspector.errors import UserError, ValidationError


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    catalog = sub.add_parser("catalog", parents=[common], help="danh mục biểu hiện và bộ câu hỏi")
    csub = catalog.add_subparsers(dest="catalog_command", metavar="LỆNH", required=True)
    v = csub.add_parser("validate", parents=[common], help="kiểm tra tệp mà không nhập")
    v.add_argument("files", nargs="+", type=Path, metavar="TỆP")
    v.set_defaults(handler=_validate)
    i = csub.add_parser("import", parents=[common], help="nhập tệp danh mục hoặc bộ câu hỏi")
    i.add_argument("files", nargs="+", type=Path, metavar="TỆP")
    i.set_defaults(handler=_import)
    ls = csub.add_parser("list", parents=[common], help="liệt kê các phiên bản đã có")
    ls.add_argument("--json", action="store_true", help="in dạng JSON")
    ls.set_defaults(handler=_list)
    show = csub.add_parser("show", parents=[common], help="xem nội dung một danh mục hoặc bộ câu hỏi")
    show.add_argument("ref", metavar="MÃ[@PHIÊN_BẢN]")
    show.add_argument("--json", action="store_true", help="in dạng JSON")
    show.set_defaults(handler=_show)


def _report(exc: UserError) -> None:
    print(f"Lỗi: {exc.render()}", file=sys.stderr)


def _validate(args: argparse.Namespace) -> int:
    failed = 0
    with open_workspace(args) as ws:
        for path in args.files:
            try:
                kind, doc, present = ws.services.catalogs.validate_file(path)
            except UserError as exc:
                _report(exc)
                failed += 1
                continue
            label = "danh mục" if kind == "catalog" else "bộ câu hỏi"
            note = " (đã có sẵn trong máy, giống hệt)" if present else ""
            print(f"{path.name}: hợp lệ — {label} “{doc['id']}” phiên bản {doc['version']}{note}.")
    return 1 if failed else 0


def _import(args: argparse.Namespace) -> int:
    failed = 0
    with open_workspace(args) as ws:
        for path in args.files:
            try:
                result = ws.services.catalogs.import_file(path)
            except ValidationError as exc:
                _report(exc)
                failed += 1
                continue
            label = "Danh mục" if result.kind == "catalog" else "Bộ câu hỏi"
            if result.imported:
                print(f"Đã nhập {label.lower()} “{result.id}” phiên bản {result.version}: {result.title}.")
            else:
                print(f"{label} “{result.id}” phiên bản {result.version} đã có sẵn; không thay đổi gì.")
    return 1 if failed else 0


def _list(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        versions = ws.services.catalogs.list_versions()
    if args.json:
        print_json([v.__dict__ for v in versions])
        return 0
    print_table(
        ["Loại", "Mã", "Phiên bản", "Số mục", "Nguồn", "Tiêu đề"],
        [["danh mục" if v.kind == "catalog" else "bộ câu hỏi", v.id, v.version, v.entry_count,
          {"builtin": "có sẵn", "file": "nhập từ tệp"}.get(v.source, v.source), v.title]
         for v in versions],
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        kind, doc_id, version = ws.services.catalogs.resolve(args.ref)
        if kind == "catalog":
            catalog = ws.services.catalogs.catalog(doc_id, version)
            if args.json:
                print_json(ws.services.ctx._document("catalog", doc_id, version))
                return 0
            print(f"{catalog.title}\nMã: {catalog.id} — phiên bản {catalog.version}")
            print(f"Chỉ thị số {catalog.directive_number} ngày {catalog.directive_date}, "
                  f"{catalog.directive_issuer}")
            if catalog.wording_note:
                print(f"Ghi chú: {catalog.wording_note}")
            for group in catalog.groups:
                print(f"\n[{group.code}] {group.title} ({len(group.manifestations)} biểu hiện)")
                for m in group.manifestations:
                    print(f"  {m.code}  {m.title}")
            print("\nNhóm nhiệm vụ:")
            for t in catalog.task_groups:
                print(f"  {t.code}  {t.title}")
            return 0
        checklist = ws.services.catalogs.checklist(doc_id, version)
        if args.json:
            print_json(ws.services.ctx._document("checklist", doc_id, version))
            return 0
        print(f"{checklist.title}\nMã: {checklist.id} — phiên bản {checklist.version} — "
              f"dùng danh mục {checklist.catalog_id} phiên bản {checklist.catalog_version}")
        print(f"Đối tượng: {AUDIENCES.get(checklist.audience, checklist.audience)}; "
              f"{len(checklist.items)} mục")
        for item in checklist.items:
            print(f"\n{item.code}  {item.text}  [{', '.join(item.manifestations)}]")
            for n, text in enumerate(item.levels, start=1):
                print(f"    Mức {n}: {text}")
    return 0
