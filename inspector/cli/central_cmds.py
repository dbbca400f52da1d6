"""`inspector central …`: run and administer the central server (`--data-dir` = server directory)."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs

from inspector.central import admin
from inspector.central.auth import create_token
from inspector.central.bundles import import_bundle, write_receipt_file
from inspector.central.server import Central
from inspector.central.storage import ENV_VAR, Database
from inspector.cli.central_user_cmds import register_user
from inspector.cli.common import print_json, print_table
from inspector.domain import STATUSES
from inspector.text import ui_date, ui_datetime

CENTRAL_DIR_ENV = "INSPECTOR_CENTRAL_DIR"


def central_dir(args: argparse.Namespace) -> Path:
    value = getattr(args, "data_dir", None) or os.environ.get(CENTRAL_DIR_ENV)
    if value:
        return Path(value).expanduser().resolve()
    return Path(platformdirs.user_data_dir("InspectorCentral", "Inspector", roaming=False))


def central_database(args: argparse.Namespace) -> Database:
    """`--database` (or INSPECTOR_CENTRAL_DATABASE): a SQLite path, the default
    DATA_DIR/central.db, or a postgresql:// URL."""
    return Database.of(getattr(args, "database", None), central_dir(args))


@contextlib.contextmanager
def open_central(args: argparse.Namespace) -> Iterator[Central]:
    central = Central(central_dir(args), database=central_database(args))
    try:
        yield central
    finally:
        central.close()


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    c = sub.add_parser("central", parents=[common], help="máy chủ trung tâm (chạy và quản trị)")
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--database", default=None, metavar="CSDL",
                          help="cơ sở dữ liệu: đường dẫn tệp SQLite (mặc định THƯ_MỤC/central.db) hoặc"
                               f" postgresql://…; hoặc biến môi trường {ENV_VAR}")
    csub = c.add_subparsers(dest="central_command", metavar="LỆNH", required=True)
    serve = csub.add_parser("serve", parents=[common, database], help="chạy máy chủ đồng bộ")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--trusted-proxy", action="append", default=[], metavar="ĐỊA_CHỈ_IP",
                       help="proxy (TLS) được tin để đọc X-Forwarded-For; lặp lại cho nhiều proxy")
    serve.add_argument("--tls-cert", type=Path, default=None, metavar="TỆP",
                       help="chứng chỉ TLS (PEM) để phục vụ HTTPS trực tiếp; cần cả --tls-key")
    serve.add_argument("--tls-key", type=Path, default=None, metavar="TỆP", help="khóa riêng của chứng chỉ (PEM)")
    serve.set_defaults(handler=_serve)
    tok = csub.add_parser("enroll-token", parents=[common, database],
                          help="cấp mã đăng ký thiết bị (dùng một lần, 24 giờ)")
    tok.add_argument("--team", required=True, metavar="ĐOÀN")
    tok.add_argument("--server", default=None, metavar="ĐỊA_CHỈ", help="đưa địa chỉ máy chủ vào mã QR")
    tok.add_argument("--no-qr", action="store_true", help="không in mã QR")
    tok.add_argument("--out", type=Path, default=None, metavar="TỆP",
                     help="ghi tệp đăng ký (khóa máy chủ, mã một lần, hạn dùng) để đăng ký không cần mạng")
    tok.add_argument("--days", type=int, default=7, metavar="NGÀY",
                     help="hạn dùng của tệp đăng ký, 1–30 ngày (mặc định 7)")
    tok.set_defaults(handler=_token)
    dev = csub.add_parser("devices", parents=[common, database], help="các thiết bị đã đăng ký")
    dev.add_argument("--json", action="store_true", help="in dạng JSON")
    dev.set_defaults(handler=_devices)
    rev = csub.add_parser("revoke", parents=[common, database], help="thu hồi quyền đồng bộ của một thiết bị")
    rev.add_argument("device", metavar="THIẾT_BỊ")
    rev.add_argument("--reason", default="", metavar="LÝ_DO")
    rev.set_defaults(handler=_revoke)
    qua = csub.add_parser("quarantine", parents=[common, database],
                          help="các thay đổi bị từ chối vì thiết bị lệch với máy chủ (giữ để đối chiếu)")
    qua.add_argument("--json", action="store_true", help="in dạng JSON")
    qua.set_defaults(handler=_quarantine)
    ins = csub.add_parser("inspections", parents=[common, database],
                          help="các đợt kiểm tra: đủ dữ liệu chưa, yêu cầu khắc phục, quá hạn")
    ins.add_argument("--json", action="store_true", help="in dạng JSON")
    ins.set_defaults(handler=_inspections)
    imp = csub.add_parser("import-bundle", parents=[common, database], help="nhập gói dữ liệu từ USB, ghi biên nhận")
    imp.add_argument("file", type=Path, metavar="TỆP")
    imp.add_argument("-o", "--receipt", type=Path, default=None, metavar="BIÊN_NHẬN",
                     help="tệp biên nhận (mặc định: cạnh tệp gói, đuôi .receipt.inspb)")
    imp.set_defaults(handler=_import_bundle)
    pub = csub.add_parser("publish-catalog", parents=[common, database],
                          help="công bố danh mục hoặc bộ câu hỏi cho các thiết bị")
    pub.add_argument("file", type=Path, metavar="TỆP")
    pub.set_defaults(handler=_publish)
    exr = csub.add_parser("export-receipt", parents=[common, database], help="ghi biên nhận cho một thiết bị")
    exr.add_argument("--device", required=True, metavar="THIẾT_BỊ")
    exr.add_argument("-o", "--output", required=True, type=Path, metavar="TỆP")
    exr.set_defaults(handler=_export_receipt)
    ver = csub.add_parser("verify", parents=[common, database],
                          help="kiểm tra chuỗi sự kiện, các bảng và băm lại mọi tệp minh chứng của máy chủ")
    ver.add_argument("--quick", action="store_true", help="bỏ qua việc băm lại các tệp minh chứng")
    ver.set_defaults(handler=_verify)
    register_user(csub, common, open_central)
    mig = csub.add_parser("migrate", parents=[common],
                          help="chuyển kho dữ liệu máy chủ sang cơ sở dữ liệu khác (ví dụ SQLite → PostgreSQL)")
    mig.add_argument("--from", dest="source", required=True, metavar="NGUỒN",
                     help="tệp SQLite hoặc postgresql://… đang dùng")
    mig.add_argument("--to", dest="target", required=True, metavar="ĐÍCH",
                     help="cơ sở dữ liệu mới, trống (postgresql://… hoặc tệp SQLite)")
    mig.set_defaults(handler=_migrate)


def _serve(args: argparse.Namespace) -> int:
    from inspector.central.serve import TlsFiles, serve
    from inspector.errors import UserError
    from inspector.sync.tls import show_fingerprint

    if (args.tls_cert is None) != (args.tls_key is None):
        raise UserError("Cần cả “--tls-cert” và “--tls-key” để phục vụ HTTPS.",
                        hint="Chỉ định cả hai tệp, hoặc bỏ cả hai để chạy HTTP trong mạng nội bộ.")
    tls = TlsFiles(args.tls_cert, args.tls_key) if args.tls_cert is not None else None
    directory = central_dir(args)
    database = central_database(args)
    scheme = "https" if tls else "http"

    def ready() -> None:  # said once the store is open and this process may serve it
        print(f"Máy chủ trung tâm: dữ liệu tại {directory}, cơ sở dữ liệu {database.display()}; lắng nghe"
              f" {scheme}://{args.host}:{args.port} (Ctrl+C để dừng).", flush=True)
        if tls is not None:
            print(f"Vân tay chứng chỉ TLS: {show_fingerprint(tls.check())} (mã và tệp đăng ký mang vân tay này).",
                  flush=True)

    serve(directory, args.host, args.port, trusted_proxies=tuple(args.trusted_proxy), tls=tls, database=database,
          on_ready=ready)
    return 0


def _token(args: argparse.Namespace) -> int:
    if args.out is not None:
        return _token_file(args)
    from inspector.central.enrollment import served_fingerprint
    from inspector.sync.tls import show_fingerprint

    with open_central(args) as central:
        token = create_token(central.store, args.team.strip(), central.clock)
        pin = served_fingerprint(central.data_dir)
    print(f"Mã đăng ký cho đoàn “{token.team}” (dùng một lần, hết hạn"
          f" {ui_datetime(token.expires_at.isoformat().replace('+00:00', 'Z'))}):")
    print(f"    {token.token}")
    if pin is not None:
        print(f"Vân tay chứng chỉ TLS của máy chủ: {show_fingerprint(pin)}")
        print(f"    (nhập cùng mã: “--token {token.token}#{pin}”)")
    if not args.no_qr:
        import segno

        text = token.token if pin is None else f"{token.token}#{pin}"
        content = text if not args.server else f"inspector-enroll:{args.server}#{text}"
        buffer = io.StringIO()
        segno.make(content, error="m").terminal(out=buffer, compact=True)
        print(buffer.getvalue())
    return 0


def _token_file(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from inspector.central.enrollment import write_enrollment_file

    with open_central(args) as central:
        offer = write_enrollment_file(central, args.team, args.out, url=args.server or "",
                                      lifetime=timedelta(days=args.days))
    print(f"Đã ghi tệp đăng ký cho đoàn “{offer.team}” vào {args.out} (dùng cho một máy, hết hạn"
          f" {ui_datetime(offer.expires_at)}). Tệp chứa mã đăng ký: giữ như mật khẩu.")
    print(f"Trên máy của cán bộ: “inspector enroll --file {args.out.name}”; gói đầu tiên của máy đó phải"
          " về tới văn phòng trước khi tệp hết hạn.")
    return 0


def _devices(args: argparse.Namespace) -> int:
    with open_central(args) as central:
        rows = admin.devices(central)
    if args.json:
        print_json([{**d.__dict__, "public_key": d.public_key.hex(), "x25519_public": d.x25519_public.hex()}
                    for d in rows])
        return 0
    print_table(["Thiết bị", "Tên", "Đoàn", "Kỷ nguyên", "Trạng thái", "Đăng ký", "Lần cuối"],
                [[d.device_id, d.label, d.team, d.epoch, "hoạt động" if d.active else "đã thu hồi",
                  ui_datetime(d.enrolled_at), ui_datetime(d.last_seen) if d.last_seen else ""] for d in rows])
    return 0


def _quarantine(args: argparse.Namespace) -> int:
    with open_central(args) as central:
        rows = admin.quarantined(central)
    if args.json:
        print_json([r.__dict__ for r in rows])
        return 0
    if not rows:
        print("Không có thay đổi nào bị giữ lại.")
        return 0
    print_table(["Thiết bị", "Kỷ nguyên", "Số", "Loại", "Đợt kiểm tra", "Người ghi", "Lúc ghi", "Nhận từ", "Lúc nhận"],
                [[r.device_id[:12], r.epoch, r.seq, r.type, (r.inspection_id or "")[:13], r.author_name,
                  ui_datetime(r.at), r.source[:24], ui_datetime(r.received_at)] for r in rows])
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with open_central(args) as central:
        device = admin.revoke(central, args.device, args.reason)
    print(f"Đã thu hồi thiết bị {device.device_id} ({device.label}). Các thiết bị khác sẽ nhận"
          " thông tin này ở lần đồng bộ tới.")
    return 0


def _inspections(args: argparse.Namespace) -> int:
    with open_central(args) as central:
        rows = admin.inspections(central)
    if args.json:
        print_json([r.__dict__ for r in rows])
        return 0
    print_table(["Đơn vị", "Số QĐ", "Trạng thái", "Thiết bị", "Sự kiện", "Thiếu minh chứng", "Đủ",
                 "YC mở", "Quá hạn", "Hạn gần nhất"],
                [[r.unit_name, r.decision_no, STATUSES.get(r.status, r.status), len(r.devices),
                  r.events, r.missing_evidence, "có" if r.complete else "chưa", r.open_requirements,
                  r.overdue_requirements,
                  ui_date(r.next_deadline) if r.next_deadline else ""] for r in rows])
    return 0


def _import_bundle(args: argparse.Namespace) -> int:
    path: Path = args.file
    target = args.receipt or path.with_name(path.name.removesuffix(".inspb") + ".receipt.inspb")
    with open_central(args) as central:
        result = import_bundle(central, path)
        write_receipt_file(central, result.receipt, target)
    if result.imported:
        print(f"Đã nhập gói {result.bundle_id} của thiết bị {result.device_id[:12]}…:"
              f" {result.events_inserted} sự kiện mới, {result.blobs_stored} tệp minh chứng.")
    else:
        print(f"Gói {result.bundle_id} đã được nhập trước đó; không thay đổi gì.")
    print(f"Biên nhận: {target} — chép vào USB và nhập trên máy gửi bằng “inspector bundle import”.")
    return 0


def _publish(args: argparse.Namespace) -> int:
    with open_central(args) as central:
        result = admin.publish_catalog(central, args.file)
    label = "danh mục" if result.kind == "catalog" else "bộ câu hỏi"
    if result.imported:
        print(f"Đã công bố {label} “{result.id}” phiên bản {result.version}; các thiết bị nhận được ở"
              " lần đồng bộ tới.")
    else:
        print(f"{label.capitalize()} “{result.id}” phiên bản {result.version} đã được công bố; không"
              " thay đổi gì.")
    return 0


def _export_receipt(args: argparse.Namespace) -> int:
    with open_central(args) as central:
        receipt = admin.export_receipt(central, args.device, args.output)
    print(f"Đã ghi biên nhận cho thiết bị {receipt.device_id[:12]}… vào {args.output}.")
    return 0


def _verify(args: argparse.Namespace) -> int:
    shown = {"at": 0.0}

    def progress(done: int, total: int) -> None:
        if done == total or time.monotonic() - shown["at"] >= 1.0:
            print(f"Đang băm lại tệp minh chứng: {done}/{total}", flush=True)
            shown["at"] = time.monotonic()

    with open_central(args) as central:
        report = admin.verify(central, quick=args.quick, progress=progress)
    for p in report.audit.chain_problems + report.audit.projection_problems:
        print(p.render())
    labels = {"missing": "không có trên đĩa", "corrupt": "nội dung không khớp mã băm"}
    for b in report.blob_problems:
        print(f"Tệp minh chứng {b.sha256}: {labels[b.problem]}.")
    blobs = ("bỏ qua băm lại tệp minh chứng (--quick)" if report.quick
             else f"{report.blobs_checked} tệp minh chứng, {len(report.blob_problems)} tệp lỗi")
    print(f"{'Hợp lệ' if report.ok else 'KHÔNG hợp lệ'}: {report.audit.event_count} sự kiện; {blobs};"
          f" kiểm tra tệp cơ sở dữ liệu: {report.integrity}.")
    return 0 if report.ok else 1


def _migrate(args: argparse.Namespace) -> int:
    from inspector.central.migrate import migrate_store

    directory = central_dir(args)
    source, target = Database.of(args.source, directory), Database.of(args.target, directory)
    print(f"Chuyển kho dữ liệu máy chủ từ {source.display()} sang {target.display()}…", flush=True)
    report = migrate_store(source, target, progress=lambda table, rows: print(f"  {table}: {rows} dòng", flush=True))
    for problem in report.problems:
        print(problem.render())
    if not report.ok:
        print(f"KHÔNG hợp lệ: đích khác nguồn ({len(report.problems)} lỗi); đừng dùng cơ sở dữ liệu đích.")
        return 1
    print(f"Đã chuyển {report.events} sự kiện, {sum(report.counts.values())} dòng trong {len(report.counts)} bảng;"
          " mọi chuỗi sự kiện hợp lệ, số dòng từng bảng khớp. Chạy máy chủ với --database"
          f" {target.display()} (hoặc biến môi trường {ENV_VAR}); thư mục tệp minh chứng giữ nguyên.")
    return 0
