"""Yêu cầu khắc phục: the list (all, due within 14 days, overdue, reported, accepted), one
requirement with its follow-up, and the office's report-back / accept / return forms."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from inspector.central.console import followup
from inspector.central.console.followup import ReportFile
from inspector.central.console.store import PAGE_SIZE, REQ_LABELS
from inspector.central.console.web import Ctx
from inspector.errors import UserError
from inspector.store.db import Store

VIEWS = {"all": "Tất cả", "due": "Đến hạn trong 14 ngày", "overdue": "Quá hạn", "open": "Chưa báo cáo",
         "reported": "Chờ xét", "accepted": "Đã chấp nhận"}


async def requirements(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    view = params.get("view", "all")
    view = view if view in VIEWS else "all"
    raw_page = params.get("page", "1")
    page = min(int(raw_page), 100_000) if raw_page.isdigit() and raw_page != "0" else 1
    today = ctx.today
    found, total = await ctx.runtime.read(
        lambda store: followup.list_requirements(store.conn, ctx.scope, view, today, page))
    return ctx.render("requirements.html", title="Yêu cầu khắc phục", rows=found, total=total, view=view,
                      views=VIEWS, labels=REQ_LABELS, page=page, pages=max(1, -(-total // PAGE_SIZE)))


async def requirement(ctx: Ctx) -> Response:
    requirement_id = ctx.request.path_params["requirement_id"]
    today = ctx.today

    def read(store: Store) -> Any:
        return followup.requirement(store.conn, ctx.scope, requirement_id, today)

    row = await ctx.runtime.read(read)
    notice = {"reported": "Đã ghi báo cáo của đơn vị.", "accepted": "Đã chấp nhận kết quả khắc phục.",
              "returned": "Đã trả lại báo cáo để đơn vị bổ sung."}.get(ctx.request.query_params.get("done", ""))
    return ctx.render("requirement.html", title=f"Yêu cầu số {row.ordinal}", row=row, labels=REQ_LABELS,
                      notice=notice)


async def requirement_action(ctx: Ctx) -> Response:
    requirement_id = ctx.request.path_params["requirement_id"]
    action = ctx.field("action")
    files: list[ReportFile] = []
    assert ctx.form is not None
    for upload in ctx.form.getlist("files"):
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(followup.MAX_REPORT_FILE + 1)
            files.append(ReportFile(upload.filename, upload.content_type or "application/octet-stream", data))
    central, user, scope, text = ctx.runtime.central, ctx.user, ctx.scope, ctx.field("text")
    try:
        await ctx.runtime.write(lambda: followup.record(central, user, scope, requirement_id, action, text, files,
                                                        ctx.address))
    except UserError as exc:
        today = ctx.today
        row = await ctx.runtime.read(lambda store: followup.requirement(store.conn, scope, requirement_id, today))
        return ctx.render("requirement.html", 400, title=f"Yêu cầu số {row.ordinal}", row=row, labels=REQ_LABELS,
                          message=exc.render(), text=text)
    return RedirectResponse(f"/requirements/{requirement_id}?done={action}", status_code=303)
