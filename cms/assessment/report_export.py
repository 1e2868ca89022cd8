"""A quiz's report as an Excel workbook: 成绩 (everyone in the audience within the viewer's
scope), 未参加, 成绩分布 and, for contests, 排名. Numbers stay numbers; every cell people
typed goes through ``safe_row``."""

from __future__ import annotations

from django.utils import timezone
from openpyxl import Workbook

from cms.core.spreadsheets import excel_time, file_name_part, finish_sheet, safe_row, xlsx_bytes

from .reports import QuizReport


def _sheet(book, title, headers, rows, widths, *, time_columns="", first=False):
    sheet = book.active if first else book.create_sheet()
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append(safe_row(row))
    finish_sheet(sheet, widths, time_columns=time_columns)
    return sheet


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
                excel_time(best.submitted_at) if best else None,
            ]
        )
    _sheet(
        book,
        "成绩",
        ["姓名", "工号", "所在组织", "身份", "作答次数", "最高分", "是否及格", "超时", "交卷时间"],
        results,
        [12, 14, 20, 12, 10, 10, 10, 8, 18],
        time_columns="I",
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
        [12, 14, 20, 12],
    )
    _sheet(book, "成绩分布", ["分数段", "人数"], report.distribution, [12, 8])
    if ranking is not None:
        _sheet(
            book,
            "排名",
            ["名次", "姓名", "所在组织", "得分", "用时（秒）"],
            [[e.rank, e.name, e.unit, float(e.score), e.seconds] for e in ranking],
            [8, 12, 20, 10, 12],
        )
    return xlsx_bytes(book)


def file_name(report: QuizReport) -> str:
    return f"测评统计-{file_name_part(report.quiz.title, '测验')}-{timezone.localdate():%Y%m%d}.xlsx"
