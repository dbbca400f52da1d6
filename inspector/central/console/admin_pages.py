"""Thiết bị (devices: enrollment tokens, revoke, last seen, quarantine review), Danh mục (catalog
and checklist versions, publish) and Nhật ký (the staff audit log)."""

from __future__ import annotations

import io
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import segno
from markupsafe import Markup
from starlette.datastructures import UploadFile
from starlette.responses import Response

from inspector.central import admin
from inspector.central.auth import create_token
from inspector.central.console import store as q
from inspector.central.console.accounts import audit
from inspector.central.console.web import Ctx
from inspector.central.enrollment import enrollment_file, served_fingerprint
from inspector.central.schema import all_devices
from inspector.errors import RefusedError, UserError
from inspector.store.db import Store
from inspector.sync.tls import show_fingerprint

MAX_CATALOG = 4 * 1024 * 1024


def _devices(store: Store, team: str | None) -> dict[str, Any]:
    devices = [d for d in all_devices(store.conn) if team is None or d.team == team]
    quarantine = [] if team is not None else admin.quarantined_in(store.conn)
    return {"devices": devices, "quarantine": quarantine}


async def devices(ctx: Ctx, *, status: int = 200, **extra: Any) -> Response:
    team = ctx.user.team
    values = await ctx.runtime.read(lambda store: _devices(store, team))
    return ctx.render("devices.html", status, title="Thiết bị", **values, **extra)


async def enroll_token(ctx: Ctx) -> Response:
    team = (ctx.user.team or ctx.field("team")).strip()
    if not team or len(team) > 60:
        return await devices(ctx, status=400, message="Nhập mã đoàn (tối đa 60 ký tự) để cấp mã đăng ký.")
    central = ctx.runtime.central

    def make() -> Any:
        token = create_token(central.store, team, central.clock)
        with central.store.transaction() as conn:
            audit(conn, central.now(), ctx.user.username, "device.token", team, "", ctx.address)
        return token

    token = await ctx.runtime.write(make)
    pin = served_fingerprint(central.data_dir)
    server = f"{ctx.request.url.scheme}://{ctx.request.url.netloc}"
    text = token.token if pin is None else f"{token.token}#{pin}"  # the TLS pin travels with the token
    svg = io.BytesIO()
    segno.make(f"inspector-enroll:{server}#{text}", error="m").save(svg, kind="svg", scale=5, xmldecl=False,
                                                                    svgns=True, title="Mã QR đăng ký thiết bị")
    return await devices(ctx, token=token, token_text=text, qr=Markup(svg.getvalue().decode()), server=server,
                         pin=show_fingerprint(pin) if pin else "")


async def enroll_file(ctx: Ctx) -> Response:
    """An enrollment file (signed by the server: its keys, a one-time token, expiry, address, TLS
    pin) for a laptop with no network: `inspector enroll --file` or the app's sync page."""
    team = (ctx.user.team or ctx.field("team")).strip()
    raw_days = ctx.field("days", "7")
    days = int(raw_days) if raw_days.isdigit() and len(raw_days) <= 2 else 0
    if not team or len(team) > 60 or not 1 <= days <= 30:
        return await devices(ctx, status=400, message="Nhập mã đoàn (tối đa 60 ký tự) và hạn dùng từ 1 đến 30 ngày.")
    central = ctx.runtime.central
    server = f"{ctx.request.url.scheme}://{ctx.request.url.netloc}"

    def make() -> bytes:
        data = enrollment_file(central, team, url=server, lifetime=timedelta(days=days))
        with central.store.transaction() as conn:
            audit(conn, central.now(), ctx.user.username, "device.file", team, f"{days} ngày", ctx.address)
        return data

    try:
        data = await ctx.runtime.write(make)
    except UserError as exc:
        return await devices(ctx, status=400, message=exc.render())
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in team)[:40]
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="dang-ky-{safe}.inspector-enroll"'})


async def revoke(ctx: Ctx) -> Response:
    device_id = ctx.request.path_params["device_id"]
    central, team, reason = ctx.runtime.central, ctx.user.team, ctx.field("reason")

    def run() -> Any:
        device = admin.find_device(central, device_id)
        if team is not None and device.team != team:
            raise RefusedError("Thiết bị này không thuộc đoàn của bạn.")
        revoked = admin.revoke(central, device.device_id, reason)
        with central.store.transaction() as conn:
            audit(conn, central.now(), ctx.user.username, "device.revoke", device.device_id, reason[:200], ctx.address)
        return revoked

    try:
        device = await ctx.runtime.write(run)
    except UserError as exc:
        return await devices(ctx, status=400, message=exc.render())
    return await devices(ctx, notice=f"Đã thu hồi thiết bị {device.label} ({device.device_id[:12]}…).")


async def catalogs(ctx: Ctx, *, status: int = 200, **extra: Any) -> Response:
    def read(store: Store) -> Any:
        return q.rows(store.conn, "SELECT kind, id, version, title, source, imported_at, imported_by"
                      " FROM catalog_versions ORDER BY kind, id, version DESC")

    versions = await ctx.runtime.read(read)
    return ctx.render("catalogs.html", status, title="Danh mục", versions=versions, **extra)


async def publish(ctx: Ctx) -> Response:
    assert ctx.form is not None
    upload = ctx.form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await catalogs(ctx, status=400, message="Chọn tệp danh mục hoặc bộ câu hỏi (.json) để công bố.")
    data = await upload.read(MAX_CATALOG + 1)
    if len(data) > MAX_CATALOG:
        return await catalogs(ctx, status=400, message="Tệp lớn hơn 4 MB; đây không phải tệp danh mục.")
    central = ctx.runtime.central

    def run() -> Any:
        with tempfile.TemporaryDirectory(dir=central.vault.tmp) as tmp:
            path = Path(tmp) / "catalog.json"
            path.write_bytes(data)
            result = admin.publish_catalog(central, path)
        with central.store.transaction() as conn:
            audit(conn, central.now(), ctx.user.username, "catalog.publish",
                  f"{result.kind}:{result.id}@{result.version}", "", ctx.address)
        return result

    try:
        result = await ctx.runtime.write(run)
    except UserError as exc:
        return await catalogs(ctx, status=400, message=exc.render())
    said = "Đã công bố" if result.imported else "Phiên bản này đã được công bố trước đó:"
    return await catalogs(ctx, notice=f"{said} {result.title} (phiên bản {result.version}).")


async def audit_log(ctx: Ctx) -> Response:
    raw = ctx.request.query_params.get("page", "1")
    page = min(int(raw), 100_000) if raw.isdigit() and raw != "0" else 1

    def read(store: Store) -> Any:
        total = int(store.conn.execute("SELECT count(*) FROM staff_audit").fetchone()[0])
        entries = q.rows(store.conn, "SELECT at, username, action, target, detail, address FROM staff_audit"
                         " ORDER BY id DESC LIMIT ? OFFSET ?", (q.PAGE_SIZE, (page - 1) * q.PAGE_SIZE))
        return total, entries

    total, entries = await ctx.runtime.read(read)
    return ctx.render("audit.html", title="Nhật ký thao tác", entries=entries, total=total, page=page,
                      pages=max(1, -(-total // q.PAGE_SIZE)))
