"""The periodic summary report (quarter or year): inspections, units, subjects, findings by
manifestation and level, requirements issued, done and overdue; as XLSX and as a PDF/A in the
office's document format (the documents' fonts, style table and PDF/A finishing)."""

from __future__ import annotations

import io
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from reportlab.lib.enums import TA_CENTER
from reportlab.platypus import Flowable, Spacer
from starlette.responses import Response

from inspector.central.console import stats
from inspector.central.console import store as q
from inspector.central.console.files import XLSX, _audit, attachment
from inspector.central.console.store import REQ_STATUS, Codes, Scope
from inspector.central.console.web import Ctx
from inspector.clock import VIETNAM_TZ
from inspector.documents.blocks import Kit
from inspector.documents.fonts import register_fonts
from inspector.documents.layout import build
from inspector.documents.pdfa import PdfaInfo, to_pdfa
from inspector.documents.styles import load_style
from inspector.store.db import Store


@dataclass(frozen=True)
class Summary:
    period: stats.Period
    inspections: int
    units: int
    subjects: int
    findings: dict[int, int]
    manifestations: list[tuple[str, str, int, int, int]]  # code, title, level 1, 2, 3
    issued: int
    accepted: int
    overdue: int


def summary(conn: sqlite3.Connection, scope: Scope, period: stats.Period, codes: Codes, today: date) -> Summary:
    board = stats.dashboard(conn, scope, period, codes, today)
    grouped = stats.by_item(conn, scope, period)
    by_code = stats.by_manifestation(grouped, codes)
    rows = [(c, codes.titles.get(c, ""), by_code.get((c, 1), 0), by_code.get((c, 2), 0), by_code.get((c, 3), 0))
            for c in sorted({c for c, _ in by_code})]
    cond, params = scope.inspections("i.id")
    req = conn.execute(
        f"SELECT count(*), sum(CASE WHEN {REQ_STATUS} = 'accepted' THEN 1 ELSE 0 END),"
        f" sum(CASE WHEN {REQ_STATUS} = 'open' AND r.deadline < ? THEN 1 ELSE 0 END)"
        " FROM requirements r JOIN inspections i ON i.id = r.inspection_id"
        " LEFT JOIN remediation m ON m.requirement_id = r.id WHERE r.removed = 0 AND i.superseded_by IS NULL"
        f" AND i.decision_date >= ? AND i.decision_date <= ? AND {cond}",
        [today.isoformat(), period.start, period.end, *params]).fetchone()
    return Summary(period, board.inspections, board.units_inspected, board.subjects, stats.by_level(grouped), rows,
                   int(req[0] or 0), int(req[1] or 0), int(req[2] or 0))


def _figures(s: Summary) -> list[tuple[str, int]]:
    return [("Số đợt kiểm tra", s.inspections), ("Số đơn vị được kiểm tra", s.units),
            ("Số người được kiểm tra", s.subjects), ("Biểu hiện mức 1", s.findings.get(1, 0)),
            ("Biểu hiện mức 2", s.findings.get(2, 0)), ("Biểu hiện mức 3", s.findings.get(3, 0)),
            ("Yêu cầu khắc phục đã ban hành", s.issued), ("Yêu cầu đã hoàn thành (chấp nhận)", s.accepted),
            ("Yêu cầu quá hạn", s.overdue)]


def xlsx(s: Summary) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Tổng hợp"
    sheet.append([f"Báo cáo tổng hợp kết quả kiểm tra — {s.period.label}"])
    sheet.append([f"Từ {s.period.start} đến {s.period.end}"])
    sheet.append([])
    for label, value in _figures(s):
        sheet.append([label, value])
    codes = book.create_sheet("Theo biểu hiện")
    codes.append(["Mã", "Biểu hiện", "Mức 1", "Mức 2", "Mức 3", "Cộng"])
    for code, title, a, b, c in s.manifestations:
        codes.append([code, title, a, b, c, a + b + c])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdf(s: Summary, office: str) -> bytes:
    kit = Kit(load_style("state"), register_fonts())
    st = kit.style
    width = st.content_width
    story: list[Flowable] = [
        kit.centred(office.upper(), st.title.type),
        Spacer(1, 12),
        kit.centred("BÁO CÁO TỔNG HỢP KẾT QUẢ KIỂM TRA", st.title.type),
        kit.centred(f"{s.period.label} (từ {_vn(s.period.start)} đến {_vn(s.period.end)})", st.title.summary),
        Spacer(1, 12),
        kit.section(1, "Số liệu chung"),
    ]
    header = st.table.header_font
    heading = [kit.para("Chỉ tiêu", header, align=TA_CENTER), kit.para("Số lượng", header, align=TA_CENTER)]
    story.append(kit.table([heading, *[[kit.para(label, st.table.font), kit.para(str(value), st.table.font,
                                                                                  align=TA_CENTER)]
                                       for label, value in _figures(s)]],
                           [width * 0.75, width * 0.25], [("GRID", (0, 0), (-1, -1), st.table.grid, "black")],
                           repeat_rows=1))
    story += [Spacer(1, 12), kit.section(2, "Biểu hiện theo mã và mức độ")]
    if s.manifestations:
        cells = [[kit.para(t, header, align=TA_CENTER) for t in ("Mã", "Biểu hiện", "Mức 1", "Mức 2", "Mức 3")]]
        for code, title, a, b, c in s.manifestations:
            cells.append([kit.para(code, st.table.font), kit.para(title, st.table.font),
                          *[kit.para(str(v), st.table.font, align=TA_CENTER) for v in (a, b, c)]])
        story.append(kit.table(cells, [width * 0.12, width * 0.52, width * 0.12, width * 0.12, width * 0.12],
                               [("GRID", (0, 0), (-1, -1), st.table.grid, "black")], repeat_rows=1))
    else:
        story.append(kit.body("Không ghi nhận biểu hiện nào trong kỳ."))
    raw, _ = build(kit, story, title=f"Báo cáo tổng hợp kết quả kiểm tra — {s.period.label}", author=office,
                   subject=s.period.label)
    info = PdfaInfo(f"Báo cáo tổng hợp kết quả kiểm tra — {s.period.label}", office, s.period.label,
                    ("Chỉ thị 24-CT/TU", "báo cáo tổng hợp"), datetime.now(VIETNAM_TZ), f"report-{s.period.start}")
    return to_pdfa(raw, info)


def _vn(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"


async def _summary(ctx: Ctx) -> Summary:
    period_text, today = ctx.request.query_params.get("period", ""), ctx.today

    def read(store: Store) -> Summary:
        codes = q.codes(store.conn, ctx.state.codes)
        return summary(store.conn, ctx.scope, stats.period_of(period_text, today), codes, today)

    await ctx.fresh_summary()
    result: Summary = await ctx.runtime.read(read)
    return result


async def report_xlsx(ctx: Ctx) -> Response:
    s = await _summary(ctx)
    data = await ctx.runtime.io_call(lambda: xlsx(s))
    await _audit(ctx, "report.xlsx", s.period.label)
    return attachment(data, XLSX, f"bao-cao-{s.period.start}-{s.period.end}.xlsx")


async def report_pdf(ctx: Ctx) -> Response:
    s = await _summary(ctx)
    office: Any = "Văn phòng Đoàn kiểm tra"
    data = await ctx.runtime.io_call(lambda: pdf(s, office))
    await _audit(ctx, "report.pdf", s.period.label)
    return attachment(data, "application/pdf", f"bao-cao-{s.period.start}-{s.period.end}.pdf")
