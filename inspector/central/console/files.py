"""Downloads (signed documents, evidence, report-back files) and XLSX exports of every list.
Each download is checked against the account's scope and recorded in the audit log."""

from __future__ import annotations

import io
import urllib.parse
import warnings
from collections.abc import Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from PIL import Image
from starlette.responses import Response

from inspector.central import admin
from inspector.central.console import followup
from inspector.central.console import store as q
from inspector.central.console.accounts import audit
from inspector.central.console.pages import filters_of
from inspector.central.console.store import REQ_LABELS
from inspector.central.console.web import Ctx, audit_label, source_label
from inspector.central.schema import all_devices
from inspector.central.server import Central
from inspector.domain import REGIMES, STATUSES
from inspector.errors import NotFoundError
from inspector.store.db import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LIMIT = 200_000
KIND_NAMES = {"minutes": "bien-ban", "conclusion": "ket-luan"}


def attachment(data: bytes, media_type: str, filename: str, *, inline: bool = False) -> Response:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = "inline" if inline else "attachment"
    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f"{disposition}; filename=\"{ascii_name}\";"
                               f" filename*=UTF-8''{urllib.parse.quote(filename)}"})


async def _audit(ctx: Ctx, action: str, target: str, detail: str = "") -> None:
    central = ctx.runtime.central

    def run() -> None:
        with central.store.transaction() as conn:
            audit(conn, central.now(), ctx.user.username, action, target, detail, ctx.address)

    await ctx.runtime.write(run)


async def document_file(ctx: Ctx) -> Response:
    inspection_id, document_id = ctx.request.path_params["inspection_id"], ctx.request.path_params["document_id"]

    def read(store: Store) -> dict[str, Any]:
        if not q.visible(store.conn, ctx.scope, inspection_id):
            raise NotFoundError("Không tìm thấy văn bản này.")
        doc = q.one(store.conn, "SELECT d.kind, d.revision, d.current_sha256, b.state, i.decision_no FROM documents d"
                    " JOIN inspections i ON i.id = d.inspection_id LEFT JOIN blobs b ON b.sha256 = d.current_sha256"
                    " WHERE d.id = ? AND d.inspection_id = ?", (document_id, inspection_id))
        if doc is None or doc["state"] != "ok":
            raise NotFoundError("Máy chủ chưa có tệp của văn bản này.", hint="Chờ thiết bị đồng bộ xong rồi thử lại.")
        return doc

    doc = await ctx.runtime.read(read)
    data = await ctx.runtime.io_call(lambda: ctx.runtime.central.vault.read_bytes(doc["current_sha256"]))
    await _audit(ctx, "document.download", document_id, doc["current_sha256"])
    number = "".join(c if c.isalnum() else "-" for c in doc["decision_no"])[:40] or inspection_id[:8]
    return attachment(data, "application/pdf", f"{KIND_NAMES.get(doc['kind'], doc['kind'])}-{number}"
                                               f"-lan{doc['revision']}.pdf")


async def evidence_file(ctx: Ctx) -> Response:
    inspection_id, sha = ctx.request.path_params["inspection_id"], ctx.request.path_params["sha256"]

    def read(store: Store) -> dict[str, Any]:
        item = q.evidence_item(store.conn, inspection_id, sha) if q.visible(store.conn, ctx.scope, inspection_id) \
            else None
        if item is None:
            raise NotFoundError("Không tìm thấy tệp minh chứng này.")
        return item

    item = await ctx.runtime.read(read)
    media = item["media_type"] or "application/octet-stream"
    inline = media in ("image/jpeg", "image/png", "image/webp")
    if inline and ctx.request.query_params.get("thumb") == "1":
        small = await ctx.runtime.io_call(lambda: thumbnail(ctx.runtime.central, sha))
        if small is None:
            raise NotFoundError("Không tạo được ảnh thu nhỏ cho tệp này.", hint="Mở tệp gốc.")
        return Response(small, media_type="image/jpeg")
    data = await ctx.runtime.io_call(lambda: ctx.runtime.central.vault.read_bytes(sha))
    await _audit(ctx, "evidence.download", sha, inspection_id)
    return attachment(data, media if inline else "application/octet-stream", item["file_name"] or sha[:12],
                      inline=inline)


THUMB_PX = 320
THUMB_MAX_SOURCE = 40 * 1024 * 1024
THUMB_MAX_PIXELS = 60_000_000


def thumbnail(central: Central, sha256: str) -> bytes | None:
    """A 320 px JPEG of a stored photo, made once and kept next to the blobs (`thumbs/`). A file a
    device sent is not trusted: too large, too many pixels or unreadable gives no thumbnail."""
    cached = central.data_dir / "thumbs" / f"{sha256}.jpg"
    if cached.is_file():
        return cached.read_bytes()
    size = central.vault.size_of(sha256)
    if size is None or size > THUMB_MAX_SOURCE:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # over PIL's limit: refuse, quietly
            image = Image.open(io.BytesIO(central.vault.read_bytes(sha256)))
        with image:
            if image.width * image.height > THUMB_MAX_PIXELS:
                return None
            image.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    cached.parent.mkdir(exist_ok=True)
    partial = cached.with_suffix(".part")
    partial.write_bytes(out.getvalue())
    partial.replace(cached)
    return out.getvalue()


async def report_file(ctx: Ctx) -> Response:
    requirement_id, sha = ctx.request.path_params["requirement_id"], ctx.request.path_params["sha256"]
    found = await ctx.runtime.read(lambda store: followup.report_file(store.conn, ctx.scope, requirement_id, sha))
    if found is None:
        raise NotFoundError("Không tìm thấy tệp đính kèm này.")
    data = await ctx.runtime.io_call(lambda: ctx.runtime.central.vault.read_bytes(sha))
    await _audit(ctx, "report.download", sha, requirement_id)
    return attachment(data, "application/octet-stream", str(found.get("name") or sha[:12]))


def workbook(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def export(ctx: Ctx) -> Response:
    name = ctx.request.path_params["name"]
    params, today = ctx.request.query_params, ctx.today

    def read(store: Store) -> tuple[str, list[str], list[list[Any]]]:
        conn = store.conn
        if name == "inspections":
            f, _ = filters_of(conn, params, q.codes(conn, ctx.state.codes), today)
            listed, _ = q.list_inspections(conn, ctx.scope, f, 1, EXPORT_LIMIT)
            return ("Đợt kiểm tra", ["Số quyết định", "Ngày quyết định", "Tên đợt", "Đơn vị", "Đoàn", "Văn bản",
                                     "Trạng thái", "Biểu hiện (mức 1–3)", "Mã"],
                    [[r.decision_no, r.decision_date, r.title, r.unit_name, r.team_name,
                      REGIMES.get(r.regime, r.regime), STATUSES.get(r.status, r.status), r.findings, r.id]
                     for r in listed])
        if name == "requirements":
            view = params.get("view", "all")
            found, _ = followup.list_requirements(conn, ctx.scope, view, today, 1, EXPORT_LIMIT)
            return ("Yêu cầu khắc phục", ["Số quyết định", "Đơn vị", "STT", "Nội dung", "Người/đơn vị chịu trách nhiệm",
                                          "Hạn", "Hạn báo cáo", "Trạng thái", "Báo cáo lúc", "Xét lúc"],
                    [[r.decision_no, r.unit_name, r.ordinal, r.content, r.responsible_unit or r.responsible,
                      r.deadline, r.report_back_date, REQ_LABELS.get(r.state, r.state), r.reported_at or "",
                      r.decided_at or ""] for r in found])
        if name == "devices":
            team = ctx.user.team
            return ("Thiết bị", ["Mã thiết bị", "Tên", "Đoàn", "Người dùng", "Trạng thái", "Đăng ký lúc", "Lần cuối"],
                    [[d.device_id, d.label, d.team, d.person_name or "", "hoạt động" if d.active else "đã thu hồi",
                      d.enrolled_at, d.last_seen or ""] for d in all_devices(conn) if team is None or d.team == team])
        if name == "catalogs":
            versions = q.rows(conn, "SELECT kind, id, version, title, source, imported_at FROM catalog_versions"
                              " ORDER BY kind, id, version DESC")
            return ("Danh mục", ["Loại", "Mã", "Phiên bản", "Tên", "Nguồn", "Nhập lúc"],
                    [["Danh mục biểu hiện" if v["kind"] == "catalog" else "Bộ câu hỏi", v["id"], v["version"],
                      v["title"], source_label(v["source"]), v["imported_at"]] for v in versions])
        if name == "quarantine" and ctx.user.team is None:
            return ("Thay đổi bị cách ly", ["Thiết bị", "Lượt", "Số thứ tự", "Thay đổi", "Người thực hiện", "Lúc",
                                            "Nhận lúc", "Nguyên nhân", "Chi tiết"],
                    [[e.device_id, e.epoch, e.seq, e.type, e.author_name, e.at, e.received_at, e.cause, e.detail]
                     for e in admin.quarantined_in(conn)])
        if name == "audit" and ctx.user.is_admin:
            entries = q.rows(conn, "SELECT at, username, action, target, detail, address FROM staff_audit"
                             " ORDER BY id DESC LIMIT ?", (EXPORT_LIMIT,))
            return ("Nhật ký", ["Thời điểm", "Tài khoản", "Thao tác", "Đối tượng", "Chi tiết", "Địa chỉ"],
                    [[e["at"], e["username"], audit_label(e["action"]), e["target"], e["detail"], e["address"]]
                     for e in entries])
        raise NotFoundError("Không có danh sách “{name}” để xuất.", name=name[:40])

    if name == "inspections":
        await ctx.fresh_summary()
    title, headers, found = await ctx.runtime.read(read)
    data = await ctx.runtime.io_call(lambda: workbook(title, headers, found))
    await _audit(ctx, "export.xlsx", name, f"{len(found)} dòng")
    return attachment(data, XLSX, f"{name}-{date.today().isoformat()}.xlsx")
