"""Reading pages: Tổng quan (dashboard), Đợt kiểm tra (list and detail), Thống kê (statistics).
Every query runs on a reader thread (`Runtime.read`) and goes through `console.store` with the
account's scope."""

from __future__ import annotations

import urllib.parse
from datetime import date
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import Response

from inspector.central.console import charts, stats
from inspector.central.console import store as q
from inspector.central.console.followup import requirements_of
from inspector.central.console.store import Filters
from inspector.central.console.verify import verdicts
from inspector.central.console.web import Ctx
from inspector.domain import REGIMES, STATUSES
from inspector.errors import NotFoundError
from inspector.store.db import Store


def filters_of(conn: Any, params: QueryParams, codes: q.Codes, today: date) -> tuple[Filters, dict[str, str]]:
    """The list's filters from the query string (unknown values simply match nothing)."""
    raw = {k: params.get(k, "").strip()[:80] for k in
           ("unit", "team", "from", "to", "regime", "status", "manifestation", "level", "period")}
    if raw["period"] and not (raw["from"] or raw["to"]):
        period = stats.period_of(raw["period"], today)
        raw["from"], raw["to"] = period.start, period.end
    unit_ids = q.subtree(q.units(conn), raw["unit"]) if raw["unit"] else ()
    level = int(raw["level"]) if raw["level"] in ("0", "1", "2", "3") else None
    item_codes = tuple(codes.item_codes_for(raw["manifestation"])) if raw["manifestation"] else ()
    return Filters(unit_ids, raw["team"], raw["from"], raw["to"], raw["regime"], raw["status"], item_codes,
                   raw["manifestation"], level), raw


def _page_number(params: QueryParams) -> int:
    value = params.get("page", "1")
    return min(int(value), 100_000) if value.isdigit() and value != "0" else 1


async def dashboard(ctx: Ctx) -> Response:
    period_text = ctx.request.query_params.get("period", "")
    today = ctx.today

    def read(store: Store) -> dict[str, Any]:
        codes = q.codes(store.conn, ctx.state.codes)
        period = stats.period_of(period_text, today)
        board = stats.dashboard(store.conn, ctx.scope, period, codes, today)
        rows = [charts.BarRow(f"{g} — {codes.groups.get(g, '')}".strip(" —"), tuple(
            charts.Segment(board.groups[g].get(level, 0), stats.LEVEL_LABELS[level], charts.PALETTE[level])
            for level in (1, 2, 3)), f"/statistics?period={urllib.parse.quote(period_text)}")
            for g in sorted(board.groups)]
        return {"board": board, "chart": charts.bars(rows, "Biểu hiện theo nhóm và mức độ"),
                "legend": charts.legend([stats.LEVEL_LABELS[n] for n in (1, 2, 3)], first=1)}

    await ctx.fresh_summary()
    values = await ctx.runtime.read(read)
    return ctx.render("dashboard.html", title="Tổng quan", statuses=STATUSES, period_text=period_text,
                      notice="Đã đổi mật khẩu." if ctx.request.query_params.get("notice") == "password" else None,
                      **values)


async def inspections(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    page = _page_number(params)
    today = ctx.today

    def read(store: Store) -> dict[str, Any]:
        codes = q.codes(store.conn, ctx.state.codes)
        f, raw = filters_of(store.conn, params, codes, today)
        found, total = q.list_inspections(store.conn, ctx.scope, f, page)
        return {"rows": found, "total": total, "raw": raw, "units": q.units(store.conn), "teams": q.teams(store.conn),
                "manifestations": sorted(codes.titles.items())}

    await ctx.fresh_summary()
    values = await ctx.runtime.read(read)
    query = urllib.parse.urlencode({k: v for k, v in values["raw"].items() if v})
    pages = max(1, -(-values["total"] // q.PAGE_SIZE))
    return ctx.render("inspections.html", title="Đợt kiểm tra", statuses=STATUSES, regimes=REGIMES, page=page,
                      pages=pages, query=query, **values)


async def inspection(ctx: Ctx) -> Response:
    inspection_id = ctx.request.path_params["inspection_id"]
    today = ctx.today

    def read(store: Store) -> dict[str, Any]:
        conn = store.conn
        if not q.visible(conn, ctx.scope, inspection_id):
            raise NotFoundError("Không tìm thấy đợt kiểm tra này.", hint="Quay lại danh sách đợt kiểm tra.")
        head = q.inspection(conn, inspection_id)
        assert head is not None
        codes = q.codes(conn, ctx.state.codes)
        subjects = q.subjects(conn, inspection_id)
        cells = {(f["item_code"], f["subject_id"]): f for f in q.findings(conn, inspection_id)}
        items = list(codes.order.get((head["checklist_id"], head["checklist_version"]), []))
        items += sorted({code for code, _ in cells} - set(items))
        docs = q.documents(conn, inspection_id)
        for d in docs:
            d["signatures"] = q.signatures(conn, d["id"])
        return {"head": head, "subjects": subjects, "cells": cells, "items": items, "codes": codes,
                "evidence": q.evidence(conn, inspection_id), "documents": docs,
                "history": q.history(conn, inspection_id), "missing": q.missing_files(conn, inspection_id),
                "requirements": requirements_of(conn, inspection_id, today)}

    values = await ctx.runtime.read(read)
    checks = await ctx.runtime.io_call(lambda: verdicts(ctx.runtime.central.vault, ctx.state.trust_dir,
                                                        values["documents"]))
    return ctx.render("inspection.html", title=values["head"]["title"], statuses=STATUSES, regimes=REGIMES,
                      checks=checks, **values)


async def statistics(ctx: Ctx) -> Response:
    period_text = ctx.request.query_params.get("period", "")
    today = ctx.today

    def read(store: Store) -> dict[str, Any]:
        conn = store.conn
        codes = q.codes(conn, ctx.state.codes)
        period = stats.period_of(period_text, today)
        base = f"/inspections?from={period.start}&to={period.end}"
        grouped = stats.by_item(conn, ctx.scope, period)
        by_code = stats.by_manifestation(grouped, codes)
        manifestation_rows = [charts.BarRow(
            f"{code} {codes.titles.get(code, '')}".strip(),
            tuple(charts.Segment(by_code.get((code, lv), 0), stats.LEVEL_LABELS[lv], charts.PALETTE[lv])
                  for lv in (1, 2, 3)), f"{base}&manifestation={urllib.parse.quote(code)}")
            for code in sorted({c for c, _ in by_code})]
        levels = stats.by_level(grouped)
        level_rows = [charts.BarRow(stats.LEVEL_LABELS[lv], (charts.Segment(levels.get(lv, 0), stats.LEVEL_LABELS[lv],
                                                                            charts.PALETTE[lv]),),
                                    f"{base}&level={lv}") for lv in (0, 1, 2, 3)]
        unit_rows = [charts.BarRow(u.name, (charts.Segment(u.inspections, "Đợt kiểm tra", charts.PALETTE[0]),),
                                   f"{base}&unit={urllib.parse.quote(u.unit_id)}", u.depth)
                     for u in stats.by_unit(conn, ctx.scope, period)]
        month_rows = []
        for month, count, _ in stats.by_month(conn, ctx.scope, period):
            last = stats.period_of(month, today)
            month_rows.append(charts.BarRow(last.label, (charts.Segment(count, "Đợt kiểm tra", charts.PALETTE[0]),),
                                            f"/inspections?from={last.start}&to={last.end}"))
        return {"period": period, "by_manifestation": charts.bars(manifestation_rows, "Theo biểu hiện"),
                "by_level": charts.bars(level_rows, "Theo mức độ"), "by_unit": charts.bars(unit_rows, "Theo đơn vị"),
                "by_month": charts.bars(month_rows, "Theo tháng"),
                "legend": charts.legend([stats.LEVEL_LABELS[n] for n in (1, 2, 3)], first=1)}

    await ctx.fresh_summary()
    values = await ctx.runtime.read(read)
    return ctx.render("statistics.html", title="Thống kê", period_text=period_text, **values)
