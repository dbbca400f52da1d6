"""`inspector demo`: load realistic demo data (also used by the benchmarks at scale)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from inspector.cli.common import CliError, open_workspace
from inspector.demo import load_demo


def _positive(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("phải là số không âm")
    return value


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[common], help="tạo dữ liệu mẫu (đơn vị, đoàn, đợt kiểm tra…)")
    p.add_argument("--inspections", type=_positive, default=6, metavar="N", help="số đợt kiểm tra (mặc định 6)")
    p.add_argument("--subjects", type=_positive, default=None, metavar="M",
                   help="số đối tượng mỗi đợt (mặc định 3–4 tùy bộ câu hỏi)")
    p.add_argument("--photos", type=_positive, default=2, metavar="K",
                   help="số ảnh minh chứng tối đa mỗi đợt (mặc định 2)")
    p.add_argument("--seed", type=int, default=24, help="hạt giống ngẫu nhiên (cùng hạt giống, cùng dữ liệu)")
    p.add_argument("--force", action="store_true", help="vẫn tạo khi thư mục dữ liệu đã có đợt kiểm tra")
    p.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        if ws.services.inspections.find() and not args.force:
            raise CliError("Thư mục dữ liệu đã có các đợt kiểm tra; không tạo thêm dữ liệu mẫu."
                           " Dùng --force nếu vẫn muốn thêm, hoặc chọn thư mục khác bằng --data-dir.")
        started = time.perf_counter()
        summary = load_demo(ws.services, inspections=args.inspections, subjects=args.subjects,
                            photos=args.photos, seed=args.seed)
        elapsed = time.perf_counter() - started
    print(f"Đã tạo dữ liệu mẫu trong {elapsed:.1f} giây: {summary.units} đơn vị, {summary.people} người,"
          f" {summary.inspections} đợt kiểm tra, {summary.findings} kết quả ghi nhận,"
          f" {summary.evidence} ảnh minh chứng, {summary.requirements} yêu cầu khắc phục.")
    print(f"Thư mục dữ liệu: {ws.data_dir}")
    return 0
