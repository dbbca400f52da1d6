"""`inspector …`: the headless command line. Exit codes: 0 ok, 1 user error, 2 usage, 3 bug."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from inspector.cli import (
    backup_cmds,
    catalog_cmds,
    central_cmds,
    demo_cmd,
    document_cmds,
    events_cmds,
    inspection_cmds,
    keys_cmds,
    sync_cmds,
)
from inspector.cli.common import CliError, common_parser
from inspector.errors import UserError

EXIT_OK, EXIT_USER, EXIT_USAGE, EXIT_BUG = 0, 1, 2, 3

COMMAND_MODULES = (catalog_cmds, inspection_cmds, events_cmds, demo_cmd, document_cmds, sync_cmds, central_cmds,
                   keys_cmds, backup_cmds)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"Lỗi cú pháp lệnh: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    common = common_parser()
    parser = _Parser(prog="inspector", parents=[common],
                     description="Inspector: ghi nhận kiểm tra đột xuất theo Chỉ thị 24-CT/TU.")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH", parser_class=_Parser)
    sub.required = True
    for module in COMMAND_MODULES:
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
        return code
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USER
    except UserError as exc:
        print(f"Lỗi: {exc.render()}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("Đã dừng theo yêu cầu.", file=sys.stderr)
        return EXIT_USER
    except Exception:
        print("Lỗi không mong đợi trong phần mềm (không phải do dữ liệu của bạn). Dữ liệu đã lưu"
              " vẫn an toàn. Vui lòng gửi báo cáo dưới đây cho bộ phận hỗ trợ:", file=sys.stderr)
        traceback.print_exc()
        return EXIT_BUG
