"""`inspector document issue|review|cert|tokens`: scriptable signing for offices that sign on a
desktop with a token. The PIN or password is read from the terminal, or from the environment
variable named by --pin-env, never from an argument (arguments end up in shell histories and
process lists). The checks and messages are the app's: same services, same review.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from inspector.cli.common import CliError, open_workspace, print_json

KINDS = {"minutes": "biên bản", "conclusion": "kết luận"}
ROLES = {"minutes": ("leader", "secretary", "unit_rep"), "conclusion": ("signer",)}
ROLE_NAMES = {"leader": "Trưởng đoàn", "secretary": "Thư ký", "unit_rep": "đại diện đơn vị được kiểm tra",
              "signer": "người ký kết luận"}
PRINCIPAL = {"minutes": "leader", "conclusion": "signer"}


def _source_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    source = p.add_mutually_exclusive_group(required=required)
    source.add_argument("--p12", type=Path, metavar="TỆP", help="tệp chứng thư số .p12/.pfx")
    source.add_argument("--pkcs11", metavar="THƯ_VIỆN", help="thư viện PKCS#11 của trình điều khiển token")
    token = p.add_mutually_exclusive_group()
    token.add_argument("--slot", type=int, metavar="N", help="khe (slot) của token; xem `inspector document tokens`")
    token.add_argument("--token", metavar="TÊN", help="tên (label) của token")
    p.add_argument("--key", metavar="NHÃN", help="nhãn khóa ký khi token có nhiều khóa")


def register(sub: argparse._SubParsersAction[Any], common: argparse.ArgumentParser) -> None:
    d = sub.add_parser("document", parents=[common], help="ký, rà soát văn bản; xem chứng thư và token")
    dsub = d.add_subparsers(dest="document_command", metavar="LỆNH", parser_class=type(d))
    dsub.required = True

    i = dsub.add_parser("issue", parents=[common], help="ký biên bản hoặc kết luận và xuất ra tệp PDF")
    i.add_argument("id", metavar="MÃ")
    i.add_argument("--doc", choices=sorted(KINDS), required=True, help="minutes (biên bản) hoặc conclusion (kết luận)")
    i.add_argument("--as", dest="role", choices=("leader", "secretary", "unit_rep", "signer"), required=True,
                   help="ô chữ ký: leader (Trưởng đoàn), secretary (Thư ký), unit_rep (đại diện đơn vị),"
                        " signer (người ký kết luận)")
    _source_options(i, required=True)
    i.add_argument("--pin-env", metavar="BIẾN", help="đọc mã PIN/mật khẩu từ biến môi trường này (không nhập tay)")
    i.add_argument("--pin-pad", action="store_true", help="token có bàn phím nhập PIN riêng")
    i.add_argument("--drawn", type=Path, metavar="ẢNH.png", help="ảnh chữ ký tay (PNG nền trong suốt) đặt trong ô ký")
    i.add_argument("--override-reason", default="", metavar="LÝ_DO",
                   help="ký bằng chứng thư của người khác người có tên trong văn bản (ủy quyền): lý do được lưu lại")
    i.add_argument("--unassessed-reason", default="", metavar="LÝ_DO",
                   help="lý do còn ô chưa đánh giá khi niêm phong biên bản (được in trong biên bản)")
    i.add_argument("-o", "--output", type=Path, required=True, metavar="TỆP.pdf")
    i.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    i.set_defaults(handler=_issue)

    r = dsub.add_parser("review", parents=[common], help="rà soát trước khi ký: ô chưa đánh giá, mục còn trống,"
                                                          " chứng thư sẽ ký (thoát 1 nếu chưa ký được)")
    r.add_argument("id", metavar="MÃ")
    r.add_argument("--doc", choices=sorted(KINDS), required=True)
    r.add_argument("--as", dest="role", choices=("leader", "secretary", "unit_rep", "signer"),
                   help="ô chữ ký để kiểm tra chứng thư (cần --p12 hoặc --pkcs11)")
    _source_options(r, required=False)
    r.add_argument("--pin-env", metavar="BIẾN", help="mật khẩu tệp .p12 từ biến môi trường này")
    r.add_argument("--unassessed-reason", default="", metavar="LÝ_DO")
    r.add_argument("--json", action="store_true")
    r.set_defaults(handler=_review)

    c = dsub.add_parser("cert", parents=[common], help="xem chứng thư số: người được cấp, nơi cấp, số hiệu, hiệu lực")
    _source_options(c, required=True)
    c.add_argument("--pin-env", metavar="BIẾN", help="mật khẩu tệp .p12 từ biến môi trường này")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=_cert)

    t = dsub.add_parser("tokens", parents=[common],
                        help="thư viện token PKCS#11 tìm thấy trên máy và các token đang cắm")
    t.add_argument("--pkcs11", metavar="THƯ_VIỆN", help="chỉ liệt kê token của thư viện này")
    t.add_argument("--json", action="store_true")
    t.set_defaults(handler=_tokens)


def _secret(args: argparse.Namespace, what: str) -> str | None:
    """The PIN/password: from --pin-env, else typed at the terminal (never echoed)."""
    if getattr(args, "pin_pad", False):
        return None
    name = getattr(args, "pin_env", None)
    if name:
        value = os.environ.get(name)
        if value is None:
            raise CliError(f"Lỗi: biến môi trường {name} chưa được đặt. Đặt {what} vào biến đó rồi chạy lại.")
        return value
    if not sys.stdin.isatty():
        raise CliError(f"Lỗi: cần {what} nhưng không có cửa sổ lệnh để nhập. Chạy lệnh trong cửa sổ lệnh, hoặc đặt"
                       f" {what} vào một biến môi trường và thêm --pin-env TÊN_BIẾN.")
    return getpass.getpass(f"Nhập {what} (không hiện trên màn hình): ")


def _credential(args: argparse.Namespace, *, need_secret: bool) -> Any:
    from inspector.services.signing_identities import Pkcs11Credential, Pkcs12Credential

    if args.p12:
        return Pkcs12Credential(args.p12, _secret(args, "mật khẩu tệp chứng thư") or "")
    pin = _secret(args, "mã PIN của token") if need_secret else None
    return Pkcs11Credential(args.pkcs11, args.token, pin, key_label=args.key, slot=args.slot)


def _cert_lines(cert: Any) -> list[str]:
    from inspector.signing.certs import vn_time

    return [f"Người được cấp: {cert.common_name}", f"Thông tin đầy đủ: {cert.subject}", f"Nơi cấp: {cert.issuer}",
            f"Số hiệu (serial): {cert.serial_hex}",
            f"Hiệu lực: từ {vn_time(cert.not_before)} đến {vn_time(cert.not_after)}",
            f"Mục đích sử dụng khóa: {cert.key_usage_text}", f"Dấu vân tay SHA-256: {cert.fingerprint_sha256}"]


def _cert_json(cert: Any) -> dict[str, Any]:
    return {"holder": cert.common_name, "subject": cert.subject, "issuer": cert.issuer, "serial": cert.serial_hex,
            "not_before": cert.not_before, "not_after": cert.not_after, "key_usage": cert.key_usage_text,
            "can_sign": cert.can_sign, "fingerprint_sha256": cert.fingerprint_sha256}


def _write(path: Path, data: bytes) -> None:
    try:
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        raise CliError(f"Lỗi: không ghi được tệp {path}: {exc.strerror or exc}.") from exc


def _issue(args: argparse.Namespace) -> int:
    from inspector.errors import RefusedError
    from inspector.ops import inline_committer
    from inspector.services.documents import SignerPlan

    if args.role not in ROLES[args.doc]:
        allowed = ", ".join(ROLES[args.doc])
        raise CliError(f"Lỗi: {KINDS[args.doc]} không có ô chữ ký “{args.role}” (được dùng: {allowed}).")
    drawn = None
    if args.drawn:
        try:
            drawn = args.drawn.read_bytes()
        except OSError as exc:
            raise CliError(f"Lỗi: không đọc được ảnh chữ ký {args.drawn}: {exc.strerror or exc}.") from exc
    credential = _credential(args, need_secret=True)
    plan = SignerPlan(args.role, drawn_png=drawn, credential=credential, override_reason=args.override_reason)
    with open_workspace(args) as ws:
        docs = ws.services.documents
        issued = docs.documents(args.id, args.doc)
        latest = issued[-1] if issued else None
        if latest is not None:  # a later signature on the issued document's empty field
            prepared = docs.prepare_countersign(latest.id, plan)
        elif args.role == PRINCIPAL[args.doc]:
            prepared = docs.prepare_issue(args.id, args.doc, [plan], unassessed_reason=args.unassessed_reason)
        else:
            raise RefusedError("Chưa có {doc} nào được ký; {who} ký trước để tạo văn bản.",
                               hint="Chạy lại lệnh với --as {principal}.", doc=KINDS[args.doc],
                               who=ROLE_NAMES[PRINCIPAL[args.doc]], principal=PRINCIPAL[args.doc])
        record = inline_committer(ws.services)(lambda s: s.documents.commit_issue(prepared))
        sealed = ws.services.inspections.get(args.id).seal_hash is not None
    _write(args.output, prepared.pdf)  # after the commit: a file on disk is always a recorded document
    signature = prepared.signatures[-1]
    if args.json:
        print_json({"document_id": record.id, "kind": record.kind, "revision": record.revision,
                    "sha256": record.sha256, "status": record.status, "sealed": sealed, "output": str(args.output),
                    "signer": signature.signer_name, "expected": signature.expected_name,
                    "override_reason": signature.override_reason})
        return 0
    print(f"Đã ký {KINDS[args.doc]} (ô {ROLE_NAMES[args.role]}) bằng chứng thư của {signature.signer_name}.")
    if signature.override_reason:
        print(f"Ký thay {signature.expected_name}; lý do đã được lưu: {signature.override_reason}")
    print(f"Văn bản {record.id}, lần ban hành {record.revision}, SHA-256 {record.sha256}.")
    if args.doc == "minutes" and sealed:
        print("Đợt kiểm tra đã được niêm phong theo biên bản đã ký.")
    print(f"Đã ghi tệp {args.output}.")
    return 0


def _review(args: argparse.Namespace) -> int:
    from inspector.services.signing_identities import credential_certificate

    certificates = {}
    if args.p12 or args.pkcs11:
        if not args.role:
            raise CliError("Lỗi: cần --as để biết chứng thư sẽ ký ô nào.")
        certificates[args.role] = credential_certificate(_credential(args, need_secret=bool(args.p12)))
    with open_workspace(args) as ws:
        review = ws.services.documents.review(args.id, args.doc, certificates=certificates,
                                              unassessed_reason=args.unassessed_reason)
    if args.json:
        print_json({
            "ready": review.ready, "regime": review.regime, "not_assessed": review.not_assessed,
            "needs_reason": review.needs_reason,
            "subjects": [{"name": g.name, "not_assessed": g.not_assessed, "total": g.total} for g in review.subjects],
            "blockers": [b.render() for b in review.blockers],
            "empty_fields": [p.render() for p in review.empty_fields],
            "signers": [{"role": c.role, "expected": c.expected_name,
                         "certificate": _cert_json(c.certificate) if c.certificate else None,
                         "problem": c.problem.render() if c.problem else None, "override_needed": c.override_needed}
                        for c in review.signers],
        })
        return 0 if review.ready else 1
    regime = "Đảng" if review.regime == "party" else "Nhà nước"
    print(f"Rà soát {KINDS[args.doc]} (thể thức văn bản {regime}):")
    for gap in review.subjects:
        state = "đủ" if not gap.not_assessed else f"còn {gap.not_assessed}/{gap.total} nội dung chưa đánh giá"
        print(f"  - {gap.name}: {state}")
    if review.needs_reason:
        print("Còn ô chưa đánh giá: niêm phong cần ghi lý do (--unassessed-reason), lý do được in trong biên bản.")
    for problem in review.empty_fields:
        print(f"  Còn trống — {problem.render()}")
    for check in review.signers:
        line = f"  Ô ký {ROLE_NAMES[check.role]}: {check.expected_name or '(chưa có tên)'}"
        if check.certificate is not None:
            line += f"; chứng thư của {check.certificate.common_name}"
            line += f" — {check.problem.render()}" if check.problem else " — dùng được"
        print(line)
    if review.blockers:
        print("Chưa ký được:")
        for blocker in review.blockers:
            print(f"  - {blocker.render()}")
        return 1
    print("Sẵn sàng để ký.")
    return 0


def _cert(args: argparse.Namespace) -> int:
    from inspector.services.signing_identities import credential_certificate

    cert = credential_certificate(_credential(args, need_secret=bool(args.p12)))
    if args.json:
        print_json(_cert_json(cert))
        return 0
    for line in _cert_lines(cert):
        print(line)
    if not cert.can_sign:
        print("Chứng thư này không được cấp để ký số văn bản.")
    return 0


def _tokens(args: argparse.Namespace) -> int:
    from inspector.services.signing_identities import detected_modules, tokens

    modules = [(m.vendor, m.path) for m in detected_modules()]
    if args.pkcs11:
        modules = [("(chỉ định)", args.pkcs11)]
    out = []
    for vendor, path in modules:
        out.append((vendor, path, tokens(path)))
    if args.json:
        print_json([{"vendor": v, "library": p, "tokens": [t.__dict__ for t in ts]} for v, p, ts in out])
        return 0
    if not out:
        print("Không tìm thấy thư viện token PKCS#11 nào ở các vị trí thường gặp. Cài trình điều khiển token của"
              " nơi cấp chứng thư, hoặc chỉ rõ thư viện bằng --pkcs11.")
        return 0
    for vendor, path, found in out:
        print(f"{vendor}: {path}")
        for t in found:
            pad = ", có bàn phím PIN" if t.pin_pad else ""
            print(f"  khe {t.slot}: “{t.label}” ({t.manufacturer} {t.model}, số sê-ri {t.serial}{pad})")
        if not found:
            print("  (không có token nào đang cắm)")
    return 0
