"""`inspector central user add|list|disable|reset`: staff accounts of the office console."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from inspector.central.console.accounts import ROLES, Accounts
from inspector.central.server import Central
from inspector.cli.common import CliError, print_json, print_table, terminal_prompt
from inspector.text import ui_datetime

Opener = Callable[[argparse.Namespace], AbstractContextManager[Central]]


def register_user(csub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser, opener: Opener) -> None:
    """`opener`: how `central` commands open the server directory (`central_cmds.open_central`)."""
    u = csub.add_parser("user", parents=[common], help="tài khoản cán bộ dùng trang quản lý (trình duyệt)")
    u.set_defaults(opener=opener)
    usub = u.add_subparsers(dest="user_command", metavar="LỆNH", required=True)
    add = usub.add_parser("add", parents=[common], help="tạo tài khoản")
    add.add_argument("name", metavar="TÊN_ĐĂNG_NHẬP")
    add.add_argument("--role", required=True, choices=sorted(ROLES), help="admin, clerk hoặc viewer")
    add.add_argument("--team", default=None, metavar="ĐOÀN", help="chỉ xem dữ liệu của đoàn này")
    add.add_argument("--display-name", default="", metavar="HỌ_TÊN")
    add.add_argument("--password-env", default=None, metavar="BIẾN", help="đọc mật khẩu từ biến môi trường này")
    add.set_defaults(handler=_add)
    lst = usub.add_parser("list", parents=[common], help="danh sách tài khoản")
    lst.add_argument("--json", action="store_true", help="in dạng JSON")
    lst.set_defaults(handler=_list)
    dis = usub.add_parser("disable", parents=[common], help="khoá tài khoản và đóng mọi phiên")
    dis.add_argument("name", metavar="TÊN_ĐĂNG_NHẬP")
    dis.set_defaults(handler=_disable)
    res = usub.add_parser("reset", parents=[common], help="đặt lại mật khẩu (mở lại tài khoản)")
    res.add_argument("name", metavar="TÊN_ĐĂNG_NHẬP")
    res.add_argument("--password-env", default=None, metavar="BIẾN", help="đọc mật khẩu từ biến môi trường này")
    res.set_defaults(handler=_reset)


def _password(args: argparse.Namespace) -> str:
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise CliError(f"Lỗi: biến môi trường {args.password_env} trống hoặc không có; chưa có gì thay đổi.")
        return value
    typed = terminal_prompt("Mật khẩu cho tài khoản", confirm=True)
    if typed is None:
        raise CliError("Lỗi: không có màn hình để nhập mật khẩu; dùng --password-env TÊN_BIẾN.")
    return typed


def _accounts() -> Accounts:
    from inspector.clock import SystemClock

    return Accounts(SystemClock())


def _add(args: argparse.Namespace) -> int:
    password = _password(args)
    with args.opener(args) as central:
        user = _accounts().add(central.store, args.name, password, args.role, args.team, args.display_name)
    print(f"Đã tạo tài khoản “{user.username}” ({user.role_label}, đoàn: {user.team or 'tất cả'}).")
    return 0


def _list(args: argparse.Namespace) -> int:
    with args.opener(args) as central:
        users = _accounts().list(central.store)
    if args.json:
        print_json(users)
        return 0
    print_table(["Tên đăng nhập", "Họ tên", "Vai trò", "Đoàn", "Trạng thái", "Đổi mật khẩu lúc"],
                [[u.username, u.display_name, u.role_label, u.team or "tất cả",
                  "hoạt động" if u.active else "đã khoá", ui_datetime(u.password_changed_at)] for u in users])
    return 0


def _disable(args: argparse.Namespace) -> int:
    with args.opener(args) as central:
        user = _accounts().disable(central.store, args.name)
    print(f"Đã khoá tài khoản “{user.username}”; mọi phiên đăng nhập của tài khoản đã bị đóng.")
    return 0


def _reset(args: argparse.Namespace) -> int:
    password = _password(args)
    with args.opener(args) as central:
        user = _accounts().reset(central.store, args.name, password)
    print(f"Đã đặt lại mật khẩu cho “{user.username}”; người dùng phải đổi mật khẩu ở lần đăng nhập tới.")
    return 0
