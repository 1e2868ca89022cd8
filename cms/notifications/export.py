"""The receipts of one notice as an Excel workbook (what a secretary hands on): one row per
recipient within the person's scope, grouped by unit. Names, units and reasons are typed
by people, so every text cell goes through ``safe_row`` (never a formula)."""

from __future__ import annotations

from django.utils import timezone
from openpyxl import Workbook

from cms.core.spreadsheets import excel_time, file_name_part, finish_sheet, safe_row, xlsx_bytes

from .models import Notice
from .selectors import NoticeScope, is_done, recipients_in

HEADERS = ["所在组织", "姓名", "工号", "阅读时间", "确认时间", "回执", "不参加原因", "回执时间", "最近提醒", "是否完成"]
WIDTHS = [20, 12, 14, 18, 18, 8, 30, 18, 18, 10]


def workbook_bytes(notice: Notice, scope: NoticeScope) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "回执情况"
    sheet.append(HEADERS)
    for row in recipients_in(notice, scope):
        sheet.append(
            safe_row(
                [
                    row.unit.name if row.unit else "",
                    row.user.display_name,
                    row.user.username,
                    excel_time(row.read_at),
                    excel_time(row.confirmed_at),
                    row.get_reply_display() if row.reply else "",
                    row.reason,
                    excel_time(row.replied_at),
                    excel_time(row.last_reminded_at),
                    "是" if is_done(row, notice) else "否",
                ]
            )
        )
    finish_sheet(sheet, WIDTHS, time_columns="DEHI")
    return xlsx_bytes(book)


def file_name(notice: Notice) -> str:
    return f"通知回执-{file_name_part(notice.title, '通知')[:40]}-{timezone.localdate():%Y%m%d}.xlsx"
