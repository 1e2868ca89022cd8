"""The receipts of one notice as an Excel workbook (what a secretary hands on): one row per
recipient within the person's scope, grouped by unit. Names, units and reasons are typed
by people, so every text cell goes through ``safe_row`` (never a formula)."""

from __future__ import annotations

import io
import re

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cms.core.spreadsheets import safe_row

from .models import Notice
from .selectors import NoticeScope, is_done, recipients_in

HEADERS = ["所在组织", "姓名", "工号", "阅读时间", "确认时间", "回执", "不参加原因", "回执时间", "最近提醒", "是否完成"]
WIDTHS = [20, 12, 14, 18, 18, 8, 30, 18, 18, 10]
_FILE_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def _local(value):
    # Excel has no time zones: write the wall-clock time people saw in Beijing.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def workbook_bytes(notice: Notice, scope: NoticeScope) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "回执情况"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in recipients_in(notice, scope):
        sheet.append(
            safe_row(
                [
                    row.unit.name if row.unit else "",
                    row.user.display_name,
                    row.user.username,
                    _local(row.read_at),
                    _local(row.confirmed_at),
                    row.get_reply_display() if row.reply else "",
                    row.reason,
                    _local(row.replied_at),
                    _local(row.last_reminded_at),
                    "是" if is_done(row, notice) else "否",
                ]
            )
        )
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for column in ("D", "E", "H", "I"):
        for cell in sheet[column][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(sheet.max_row, 1)}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def file_name(notice: Notice) -> str:
    title = _FILE_FORBIDDEN.sub("_", notice.title).strip() or "通知"
    return f"通知回执-{title[:40]}-{timezone.localdate():%Y%m%d}.xlsx"
