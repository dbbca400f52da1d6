"""`inspector backup --to DIR` and `inspector restore --from DIR --data-dir NEW`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from inspector.backup import backup_workspace, restore
from inspector.cli.common import open_workspace, print_json, unlocker
from inspector.paths import resolve_data_dir


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    b = sub.add_parser("backup", parents=[common],
                       help="sao lưu thư mục dữ liệu (vẫn mã hóa) ra một thư mục hoặc USB, rồi kiểm tra lại")
    b.add_argument("--to", required=True, metavar="THƯ_MỤC",
                   help="thư mục đích (mới hoặc trống; nếu đã có tệp, tạo thư mục con theo ngày giờ)")
    b.add_argument("--json", action="store_true", help="in dạng JSON")
    b.set_defaults(handler=_backup)
    r = sub.add_parser("restore", parents=[common],
                       help="khôi phục một bản sao lưu vào thư mục dữ liệu mới hoặc trống (--data-dir)")
    r.add_argument("--from", dest="source", required=True, metavar="THƯ_MỤC", help="thư mục bản sao lưu")
    r.add_argument("--json", action="store_true", help="in dạng JSON")
    r.set_defaults(handler=_restore)


def _backup(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        result = backup_workspace(ws, Path(args.to).expanduser().resolve())
    if args.json:
        print_json({"path": str(result.path), "files": result.files, "bytes": result.bytes,
                    "events": result.events, "evidence": result.evidence, "verified": result.verified})
    else:
        print(f"Đã sao lưu vào {result.path}: {result.events} sự kiện, {result.evidence} minh chứng,"
              f" {result.files} tệp ({result.bytes / 1_000_000:.1f} MB). Đã đọc lại và kiểm tra: toàn vẹn.")
        print("Bản sao lưu vẫn được mã hóa: cần mật khẩu hoặc khóa khôi phục để khôi phục trên máy khác.")
    return 0


def _restore(args: argparse.Namespace) -> int:
    target = resolve_data_dir(getattr(args, "data_dir", None))
    result = restore(Path(args.source).expanduser().resolve(), target, unlocker())
    if args.json:
        print_json({"data_dir": str(result.data_dir), "files": result.files, "events": result.events,
                    "epoch": result.epoch})
    else:
        print(f"Đã khôi phục {result.events} sự kiện vào {result.data_dir}.")
        print(f"Máy này ghi tiếp ở lượt mới (epoch {result.epoch}) để không trùng với dữ liệu ghi sau lần sao"
              " lưu; văn phòng trung tâm cần cấp mã đăng ký mới (inspector enroll) trước khi đồng bộ.")
    return 0
