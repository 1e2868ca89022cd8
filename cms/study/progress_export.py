"""The drill-down table of the 学习进度 report as an Excel workbook (what secretaries hand
on to the Party committee). Numbers stay numbers so the sheet can be summed and sorted."""

from __future__ import annotations

import io
import re

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from cms.core.spreadsheets import safe_row

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
#: Characters Excel refuses in sheet names, and those no file system likes in file names.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def workbook_bytes(report: CourseReport) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = (_SHEET_FORBIDDEN.sub(" ", report.course.title).strip() or "学习进度")[:31]
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in report.rows:
        progress = row.progress
        last = progress.last_active_at
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
                    # Excel has no time zones: write the wall-clock time people saw in Beijing.
                    timezone.localtime(last).replace(tzinfo=None) if last else None,
                    progress.state_label,
                    "已逾期" if progress.overdue else "",
                ]
            )
        )
        if progress.overdue:
            for cell in sheet[sheet.max_row]:
                cell.fill = OVERDUE_FILL
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for cell in sheet["H"][1:]:
        cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(sheet.max_row, 1)}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def file_name(report: CourseReport) -> str:
    title = _FILE_FORBIDDEN.sub("_", report.course.title).strip() or "课程"
    return f"学习进度-{title}-{timezone.localdate():%Y%m%d}.xlsx"
