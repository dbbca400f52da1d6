"""Date sanity of an inspection: one rule set for the services, which refuse, and for the dialogs,
which show the same messages next to the field while the user types.

Dates are ISO `yyyy-mm-dd` (a decision, a planned day); moments are RFC 3339 UTC (the actual start
and end). "Today" is the Vietnam calendar day of the injected clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from inspector.clock import VIETNAM_TZ, parse_rfc3339
from inspector.errors import UserError
from inspector.text import ui_date, ui_datetime

EARLIEST = date(2000, 1, 1)            # older than any decision this app will hold: a mistyped year
PLANNED_HORIZON = timedelta(days=3 * 366)  # a planned visit further ahead is a mistyped year too
# A time typed to the minute may run a few seconds ahead of the clock that checks it.
FUTURE_SLACK = timedelta(minutes=2)

DECISION_DATE = "decision_date"
PLANNED_DATE = "planned_date"
ACTUAL_START = "actual_start"
ACTUAL_END = "actual_end"


class DateError(UserError):
    """A date or time that breaks a rule; `field` names the input it belongs to."""

    def __init__(self, message: str, *, field: str, hint: str = "", **params: Any) -> None:
        self.field = field
        super().__init__(message, hint=hint, **params)


def local_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM_TZ).date()


def _day(value: str) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def preparation_problems(decision_date: str, planned_date: str, today: date, *,
                         actual_start: str | None = None) -> list[DateError]:
    """What is wrong with a decision date and a planned date (ISO), in field order."""
    problems: list[DateError] = []
    decision = _day(decision_date)
    planned = _day(planned_date)
    if decision is not None:
        if decision > today:
            problems.append(DateError(
                "Ngày quyết định {date} là ngày trong tương lai (hôm nay là {today}).", field=DECISION_DATE,
                hint="Nhập ngày ký quyết định. Nếu “hôm nay” ở đây sai, hãy chỉnh lại đồng hồ của máy tính.",
                date=ui_date(decision_date), today=today.strftime("%d/%m/%Y")))
        elif decision < EARLIEST:
            problems.append(DateError(
                "Ngày quyết định {date} quá xa trong quá khứ.", field=DECISION_DATE,
                hint="Kiểm tra lại năm của ngày quyết định.", date=ui_date(decision_date)))
        elif actual_start and decision > local_day(parse_rfc3339(actual_start)):
            problems.append(DateError(
                "Ngày quyết định {date} sau ngày bắt đầu kiểm tra thực tế {start}.", field=DECISION_DATE,
                hint="Đoàn chỉ kiểm tra sau khi có quyết định: kiểm tra lại ngày quyết định hoặc thời gian"
                     " bắt đầu.", date=ui_date(decision_date), start=ui_datetime(actual_start)))
    if planned is not None:
        if decision is not None and planned < decision:
            problems.append(DateError(
                "Ngày dự kiến kiểm tra {planned} trước ngày quyết định {date}.", field=PLANNED_DATE,
                hint="Chọn ngày dự kiến từ ngày quyết định trở đi.", planned=ui_date(planned_date),
                date=ui_date(decision_date)))
        elif planned > today + PLANNED_HORIZON:
            problems.append(DateError(
                "Ngày dự kiến kiểm tra {planned} quá xa trong tương lai.", field=PLANNED_DATE,
                hint="Kiểm tra lại năm của ngày dự kiến.", planned=ui_date(planned_date)))
        elif planned < EARLIEST:
            problems.append(DateError(
                "Ngày dự kiến kiểm tra {planned} quá xa trong quá khứ.", field=PLANNED_DATE,
                hint="Kiểm tra lại năm của ngày dự kiến.", planned=ui_date(planned_date)))
    return problems


def time_problems(start: str | None, end: str | None, now: datetime, decision_date: str) -> list[DateError]:
    """What is wrong with the actual start and end (RFC 3339) of an inspection decided on `decision_date`."""
    problems: list[DateError] = []
    latest = now + FUTURE_SLACK
    shown_now = ui_datetime(now.isoformat())
    if start is not None:
        begun = parse_rfc3339(start)
        decision = _day(decision_date)
        if begun > latest:
            problems.append(DateError(
                "Thời gian bắt đầu {start} ở trong tương lai (bây giờ là {now}).", field=ACTUAL_START,
                hint="Ghi thời gian bắt đầu khi Đoàn đã bắt đầu làm việc. Nếu “bây giờ” ở đây sai, hãy chỉnh lại"
                     " đồng hồ của máy tính.",
                start=ui_datetime(start), now=shown_now))
        elif decision is not None and local_day(begun) < decision:
            problems.append(DateError(
                "Thời gian bắt đầu {start} trước ngày quyết định kiểm tra {date}.", field=ACTUAL_START,
                hint="Kiểm tra lại ngày bắt đầu, hoặc sửa ngày quyết định trong thông tin đợt kiểm tra.",
                start=ui_datetime(start), date=ui_date(decision_date)))
    if end is not None:
        ended = parse_rfc3339(end)
        if start is None:
            problems.append(DateError(
                "Cần có thời gian bắt đầu trước khi ghi thời gian kết thúc.", field=ACTUAL_END,
                hint="Ghi thời gian bắt đầu trước."))
        elif ended < parse_rfc3339(start):
            problems.append(DateError(
                "Thời gian kết thúc {end} trước thời gian bắt đầu {start}.", field=ACTUAL_END,
                hint="Kiểm tra lại giờ kết thúc.", end=ui_datetime(end), start=ui_datetime(start)))
        if ended > latest:
            problems.append(DateError(
                "Thời gian kết thúc {end} ở trong tương lai (bây giờ là {now}).", field=ACTUAL_END,
                hint="Ghi giờ kết thúc khi Đoàn đã kết thúc làm việc. Nếu “bây giờ” ở đây sai, hãy chỉnh lại đồng hồ"
                     " của máy tính.",
                end=ui_datetime(end), now=shown_now))
    return problems


def refuse_first(problems: list[DateError]) -> None:
    if problems:
        raise problems[0]
