"""Helpers shared by CLI commands: the common options, opening the workspace, printing."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

from inspector.keys import Unlocker, recovery_sheet
from inspector.paths import resolve_data_dir
from inspector.workspace import Workspace


class CliError(Exception):
    """A message already written for the user (Vietnamese)."""


def common_parser() -> argparse.ArgumentParser:
    """Options every command accepts, before or after the command name."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, metavar="THƯ_MỤC",
                        help="thư mục dữ liệu (mặc định: biến INSPECTOR_DATA_DIR hoặc thư mục"
                             " dữ liệu của người dùng)")
    return common


def terminal_prompt(why: str, confirm: bool) -> str | None:
    """Ask for the passphrase on the terminal (never echoed); None when there is no terminal."""
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass(f"{why}: ")
    if confirm and getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise CliError("Lỗi: hai lần nhập mật khẩu không giống nhau; chưa có gì được tạo. Chạy lại lệnh.")
    return first


def unlocker() -> Unlocker:
    return Unlocker.from_environment(prompt=terminal_prompt)


def show_recovery_key(ws: Workspace, *, json_output: bool = False) -> None:
    """The one time the recovery key is shown (the data directory's keys were just created): with
    the command's output, or on stderr when that output is JSON for another program."""
    if ws.recovery_key:
        print(recovery_sheet(ws.data_dir, ws.recovery_key), file=sys.stderr if json_output else sys.stdout)


def open_workspace(args: argparse.Namespace) -> Workspace:
    ws = Workspace.open(resolve_data_dir(getattr(args, "data_dir", None)), unlocker=unlocker())
    show_recovery_key(ws, json_output=bool(getattr(args, "json", False)))
    return ws


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(c) else 1 for c in text)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], max_col: int = 60) -> None:
    cells = [[str(c) if c is not None else "" for c in row] for row in rows]
    cells = [[c if len(c) <= max_col else c[: max_col - 1] + "…" for c in row] for row in cells]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))
