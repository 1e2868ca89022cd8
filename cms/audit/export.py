"""The filtered audit log as an Excel workbook (管理员 only; the export is itself audited).
Every text cell goes through ``cms.core.spreadsheets.safe_row``: user names, attempted log-in
names, page titles and browsers are typed by people and must never become formulas.

Unlike the report exports it is written streamed (``write_only``), so it gets no
``finish_sheet`` (that reads the finished sheet back): a log can be far longer than a report."""

from __future__ import annotations

import json

from django.utils import timezone
from openpyxl import Workbook

from cms.core.spreadsheets import excel_time, safe_row, xlsx_bytes

HEADERS = [
    "序号",
    "时间",
    "操作人 ID",
    "操作人",
    "操作代码",
    "操作",
    "对象类型",
    "对象 ID",
    "对象",
    "IP 地址",
    "浏览器",
    "详情",
    "哈希",
]


def workbook_bytes(entries) -> bytes:
    # Write-only: rows are streamed to the file, so a long log does not sit in memory twice.
    book = Workbook(write_only=True)
    sheet = book.create_sheet("审计日志")
    sheet.append(HEADERS)
    for entry in entries.iterator(chunk_size=2000):
        sheet.append(
            safe_row(
                [
                    entry.seq,
                    excel_time(entry.created_at),
                    entry.actor_id,
                    entry.actor_username,
                    entry.action,
                    entry.label,
                    entry.object_type,
                    entry.object_id,
                    entry.object_repr,
                    entry.ip_address,
                    entry.user_agent,
                    json.dumps(entry.details, ensure_ascii=False, sort_keys=True),
                    entry.entry_hash,
                ]
            )
        )
    return xlsx_bytes(book)


def file_name() -> str:
    return f"审计日志-{timezone.localdate():%Y%m%d}.xlsx"
