"""A quiz's report as an Excel workbook: 成绩 (everyone in the audience within the viewer's
scope), 未参加, 成绩分布 and, for contests, 排名. Numbers stay numbers; every cell people
typed goes through ``safe_row``."""

from __future__ import annotations

import io
import re

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from cms.core.spreadsheets import safe_row

from .reports import QuizReport

_FILE_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def _sheet(book, title, headers, rows, *, first=False):
    sheet = book.active if first else book.create_sheet()
    sheet.title = title
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(safe_row(row))
    sheet.freeze_panes = "A2"
    return sheet


def _local(moment):
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def workbook_bytes(report: QuizReport, ranking=None) -> bytes:
    book = Workbook()
    results = []
    for row in report.rows:
        best = row.best
        results.append(
            [
                row.user.display_name,
                row.user.username,
                row.unit_name,
                row.membership.get_status_display(),
                len(row.submitted),
                float(best.score) if best else None,
                ("及格" if best.passed else "不及格") if best and best.passed is not None else "",
                "是" if best and best.late else "",
                _local(best.submitted_at) if best else None,
            ]
        )
    _sheet(
        book,
        "成绩",
        ["姓名", "工号", "所在组织", "身份", "作答次数", "最高分", "是否及格", "超时", "交卷时间"],
        results,
        first=True,
    )
    _sheet(
        book,
        "未参加",
        ["姓名", "工号", "所在组织", "身份"],
        [
            [r.user.display_name, r.user.username, r.unit_name, r.membership.get_status_display()]
            for r in report.not_taken
        ],
    )
    _sheet(book, "成绩分布", ["分数段", "人数"], report.distribution)
    if ranking is not None:
        _sheet(
            book,
            "排名",
            ["名次", "姓名", "所在组织", "得分", "用时（秒）"],
            [[e.rank, e.name, e.unit, float(e.score), e.seconds] for e in ranking],
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def file_name(report: QuizReport) -> str:
    title = _FILE_FORBIDDEN.sub("_", report.quiz.title).strip() or "测验"
    return f"测评统计-{title}-{timezone.localdate():%Y%m%d}.xlsx"
