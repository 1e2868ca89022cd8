"""The drill-down table of the 学习进度 report as an Excel workbook (what secretaries hand
on to the Party committee). Numbers stay numbers so the sheet can be summed and sorted."""

from __future__ import annotations

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from cms.core.spreadsheets import excel_time, file_name_part, finish_sheet, safe_row, sheet_title, xlsx_bytes

from .selectors import CourseReport

HEADERS = [
    "姓名",
    "工号",
    "所在组织",
    "身份",
    "已学课时",
    "课时总数",
    "学习时长（分钟）",
    "最近学习",
    "学习状态",
    "是否逾期",
]
WIDTHS = [12, 14, 20, 12, 10, 10, 16, 18, 10, 10]
OVERDUE_FILL = PatternFill("solid", fgColor="FDE2E1")


def workbook_bytes(report: CourseReport) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(report.course.title, "学习进度")
    sheet.append(HEADERS)
    for row in report.rows:
        progress = row.progress
        # Names and units are typed by people (a name may be "=HYPERLINK(…)"): never formulas.
        sheet.append(
            safe_row(
                [
                    row.user.display_name,
                    row.user.username,
                    row.unit_name,
                    row.membership.get_status_display(),
                    progress.lessons_completed,
                    progress.lessons_total,
                    round(progress.seconds_spent / 60, 1),
                    excel_time(progress.last_active_at),
                    progress.state_label,
                    "已逾期" if progress.overdue else "",
                ]
            )
        )
        if progress.overdue:
            for cell in sheet[sheet.max_row]:
                cell.fill = OVERDUE_FILL
    finish_sheet(sheet, WIDTHS, time_columns="H")
    return xlsx_bytes(book)


def file_name(report: CourseReport) -> str:
    return f"学习进度-{file_name_part(report.course.title, '课程')}-{timezone.localdate():%Y%m%d}.xlsx"
