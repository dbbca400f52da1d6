"""`inspector enroll | sync | sync-status | conflicts | bundle export|inspect|import`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from inspector.cli.common import open_workspace, print_json, print_table
from inspector.errors import UserError
from inspector.ops import inline_committer
from inspector.sync.progress import SyncProgress
from inspector.sync.state import STATE_LABELS
from inspector.sync.tls import show_fingerprint
from inspector.text import human_size, ui_datetime


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    en = sub.add_parser("enroll", parents=[common], help="đăng ký thiết bị với máy chủ trung tâm")
    en.add_argument("--server", default=None, metavar="ĐỊA_CHỈ", help="ví dụ http://10.0.0.5:8765")
    en.add_argument("--token", default=None, metavar="MÃ", help="mã đăng ký một lần do trung tâm cấp")
    en.add_argument("--tls-fingerprint", default=None, metavar="VÂN_TAY",
                    help="vân tay chứng chỉ TLS của máy chủ (https://), nếu mã không kèm sẵn")
    en.add_argument("--file", type=Path, default=None, metavar="TỆP",
                    help="tệp đăng ký do trung tâm cấp (không cần mạng; dùng thay cho --server và --token)")
    en.add_argument("--label", default=None, metavar="TÊN", help="tên thiết bị (mặc định: tên máy)")
    en.set_defaults(handler=_enroll)
    sy = sub.add_parser("sync", parents=[common], help="đồng bộ với máy chủ trung tâm")
    sy.add_argument("--server", default=None, metavar="ĐỊA_CHỈ",
                    help="địa chỉ máy chủ (mặc định: địa chỉ lúc đăng ký)")
    sy.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    sy.set_defaults(handler=_sync)
    st = sub.add_parser("sync-status", parents=[common], help="tình trạng đồng bộ của từng đợt kiểm tra")
    st.add_argument("--json", action="store_true", help="in dạng JSON")
    st.set_defaults(handler=_status)
    cf = sub.add_parser("conflicts", parents=[common],
                        help="các chỉnh sửa xung đột và kết quả ghi nhận không thống nhất sau khi gộp")
    cf.add_argument("inspection", nargs="?", default=None, metavar="MÃ_ĐỢT")
    cf.add_argument("--json", action="store_true", help="in dạng JSON")
    cf.set_defaults(handler=_conflicts)
    bundle = sub.add_parser("bundle", parents=[common], help="gói dữ liệu chuyển bằng USB")
    bsub = bundle.add_subparsers(dest="bundle_command", metavar="LỆNH", required=True)
    ex = bsub.add_parser("export", parents=[common],
                         help="xuất mọi dữ liệu máy chủ chưa xác nhận vào một gói mã hóa")
    ex.add_argument("--to", required=True, type=Path, metavar="TỆP")
    ex.add_argument("--for", dest="for_device", default=None, metavar="THIẾT_BỊ",
                    help="gửi cho máy của trưởng đoàn (mã thiết bị) thay vì máy chủ trung tâm")
    ex.set_defaults(handler=_export)
    ins = bsub.add_parser("inspect", parents=[common], help="xem phần mô tả của một gói")
    ins.add_argument("file", type=Path, metavar="TỆP")
    ins.add_argument("--json", action="store_true", help="in dạng JSON")
    ins.set_defaults(handler=_inspect)
    im = bsub.add_parser("import", parents=[common],
                         help="nhập biên nhận của máy chủ, hoặc gói của thành viên trong đoàn")
    im.add_argument("file", type=Path, metavar="TỆP")
    im.set_defaults(handler=_import)


def _enroll(args: argparse.Namespace) -> int:
    by_network = args.server is not None or args.token is not None
    if (args.file is not None) == by_network or (by_network and not (args.server and args.token)):
        raise UserError("Cần đúng một cách đăng ký: “--file TỆP” (tệp đăng ký, không cần mạng), hoặc cả"
                        " “--server ĐỊA_CHỈ” và “--token MÃ”.", hint="Xem “inspector enroll --help”.")
    with open_workspace(args) as ws:
        if args.file is not None:
            result = ws.services.sync.enroll_from_file(args.file, args.label,
                                                       commit=inline_committer(ws.services))
        else:
            result = ws.services.sync.enroll(args.server, args.token, args.label,
                                             commit=inline_committer(ws.services),
                                             tls_fingerprint=args.tls_fingerprint)
    if result.pending:
        print(f"Đã đọc tệp đăng ký: thiết bị {result.device_id} (kỷ nguyên {result.epoch}) vào đoàn"
              f" “{result.team}”.")
        print("Có thể xuất gói dữ liệu ra USB ngay (“inspector bundle export”). Văn phòng trung tâm hoàn tất"
              f" đăng ký khi nhập gói đầu tiên, trước {ui_datetime(result.expires_at)}; nhập biên nhận mang"
              " về bằng “inspector bundle import”.")
        print(f"Vân tay khóa máy chủ: {result.server_fingerprint} — đối chiếu với văn phòng trung tâm.")
        return 0
    print(f"Đã đăng ký thiết bị {result.device_id} (kỷ nguyên {result.epoch}) vào đoàn “{result.team}”.")
    print(f"Vân tay khóa máy chủ: {result.server_fingerprint} — đối chiếu với văn phòng trung tâm.")
    if result.tls_fingerprint:
        print(f"Kết nối HTTPS chỉ tin chứng chỉ có vân tay {show_fingerprint(result.tls_fingerprint)}.")
    return 0


class _Printer:
    """Progress lines for a terminal: every phase change, at most one line a second otherwise."""

    def __init__(self) -> None:
        self.phase = ""
        self.last = 0.0
        self.pending = ""  # the latest line not printed yet (shown when its phase ends)

    def __call__(self, p: SyncProgress) -> None:
        now = time.monotonic()
        if p.phase != self.phase and self.pending:
            print(self.pending, flush=True)
        if p.phase != self.phase or now - self.last >= 1.0 or p.phase == "done":
            print(p.message, flush=True)
            self.phase, self.last, self.pending = p.phase, now, ""
        else:
            self.pending = p.message


def _sync(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        result = ws.services.sync.sync(None if args.json else _Printer(), server_url=args.server,
                                       commit=inline_committer(ws.services))
    if args.json:
        print_json(result.__dict__)
        return 0
    for warning in result.warnings:
        print(f"Cảnh báo: {warning}")
    print(f"Tổng kết: đã gửi {result.events_sent} sự kiện, {result.blobs_uploaded} tệp minh chứng"
          f" ({human_size(result.bytes_uploaded)}); nhận {result.refdata_events} thay đổi"
          f" danh mục. Đợt kiểm tra đủ trên máy chủ: {result.complete_inspections}, gửi một phần:"
          f" {result.partial_inspections}, chỉ có trên máy: {result.local_inspections}.")
    return 0


def _status(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        overview = ws.services.sync.overview()
        statuses = ws.services.sync.inspection_statuses()
        titles = {r["id"]: r["title"] for r in ws.store.query("SELECT id, title FROM inspections")}
    if args.json:
        print_json({"overview": overview.__dict__, "inspections": [s.__dict__ for s in statuses.values()]})
        return 0
    if not overview.enrolled:
        print("Thiết bị chưa đăng ký với máy chủ trung tâm.")
    else:
        print(f"Máy chủ: {overview.server_url} — đoàn “{overview.team}” — biên nhận gần nhất:"
              f" {ui_datetime(overview.last_receipt_at) if overview.last_receipt_at else 'chưa có'}")
    if overview.enrollment_pending:
        print("Đăng ký bằng tệp đang chờ văn phòng trung tâm: nhập biên nhận của gói đầu tiên để hoàn tất.")
    print(f"Chưa gửi: {overview.unsent_events} sự kiện, {overview.unsent_blobs} tệp minh chứng.")
    if overview.fork:
        print("CẢNH BÁO: dữ liệu trên máy đã rẽ nhánh so với máy chủ. Ngừng ghi nhận và đăng ký lại"
              " thiết bị.")
    print_table(["Đợt kiểm tra", "Tình trạng", "Sự kiện chưa gửi", "Minh chứng còn thiếu"],
                [[titles.get(s.inspection_id, s.inspection_id), STATE_LABELS[s.state], s.unsent_events,
                  s.missing_blobs] for s in statuses.values()])
    return 1 if overview.fork else 0


def _conflicts(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        conflicts = ws.services.sync.conflicts(args.inspection)
        disagreements = ws.services.sync.disagreements(args.inspection)
    if args.json:
        print_json({"conflicts": [{**c.__dict__, "leaves": [r.__dict__ for r in c.leaves]} for c in conflicts],
                    "disagreements": [d.__dict__ for d in disagreements]})
        return 0
    for c in conflicts:
        print(f"Xung đột chỉnh sửa: mục {c.item_code}, đối tượng {c.subject_id}:")
        for r in c.leaves:
            value = "đã xóa" if r.removed else f"mức {r.level}, ghi chú “{r.note}”"
            print(f"  - {r.author_name} ({r.device_id[:8]}…, {ui_datetime(r.at)}): {value}")
    for d in disagreements:
        kind = "trùng lặp" if d.identical else "không thống nhất"
        print(f"Kết quả {kind}: mục {d.item_code}, đối tượng {d.subject_id}: mức {list(d.levels)}")
    if not conflicts and not disagreements:
        print("Không có xung đột hay kết quả không thống nhất.")
    return 0


def _export(args: argparse.Namespace) -> int:
    started = time.monotonic()
    state = {"bytes": 0, "last": 0.0}

    def progress(n: int) -> None:
        state["bytes"] += n
        if time.monotonic() - state["last"] >= 1.0:
            print(f"Đang ghi gói… {human_size(int(state['bytes']))}", flush=True)
            state["last"] = time.monotonic()

    with open_workspace(args) as ws:
        result = ws.services.sync.export_bundle(args.to, for_device=args.for_device, progress=progress)
    print(f"Đã ghi gói {result.path} ({result.events} sự kiện, {result.blobs} tệp minh chứng,"
          f" {human_size(result.bytes)}) trong {time.monotonic() - started:.1f} giây.")
    print("Đã đọc lại và kiểm tra toàn bộ gói: an toàn để rút USB.")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        info = ws.services.sync.inspect_bundle(args.file)
    if args.json:
        print_json(info.__dict__)
        return 0
    labels = {"device-to-server": "gửi máy chủ trung tâm", "device-to-peer": "gửi trưởng đoàn",
              "receipt": "biên nhận của máy chủ"}
    signature = {"valid": "hợp lệ", "invalid": "KHÔNG HỢP LỆ",
                 "unknown signer": "hợp lệ, nhưng người ký chưa có trong danh sách tin cậy"}
    print(f"Gói: {labels.get(info.kind, info.kind)} — mã {info.bundle_id}, tạo lúc {ui_datetime(info.created_at)}")
    print(f"Nguồn: thiết bị {info.source_device} (vân tay {info.source_fingerprint}); chữ ký:"
          f" {signature[info.signature]}")
    print(f"Nội dung: {info.event_count} sự kiện, {info.blob_count} tệp minh chứng"
          f" ({human_size(info.blob_bytes)}); tệp {human_size(info.file_size)}.")
    for r in info.event_ranges:
        print(f"  chuỗi {r['device'][:12]}… kỷ nguyên {r['epoch']}: số {r['from']}–{r['to']}")
    return 0 if info.signature != "invalid" else 1


def _import(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        outcome = ws.services.sync.import_bundle(args.file, commit=inline_committer(ws.services))
    if outcome.kind == "receipt" and outcome.receipt is not None:
        r = outcome.receipt
        done = sum(1 for i in r.inspections if i.complete)
        print(f"Đã nhập biên nhận ngày {ui_datetime(r.issued_at)}: máy chủ giữ"
              f" {sum(c.seq for c in r.chains if c.device_id == outcome.receipt.device_id)} sự kiện"
              f" của thiết bị này và {len(r.blobs)} tệp minh chứng; {done}/{len(r.inspections)} đợt"
              " kiểm tra đã đủ trên máy chủ.")
    elif not outcome.imported:
        print("Gói này đã được nhập trước đó; không thay đổi gì.")
    else:
        print(f"Đã nhập gói của thiết bị {outcome.source_device[:12]}…: {outcome.events} sự kiện mới,"
              f" {outcome.blobs} tệp minh chứng.")
    return 0
