"""问卷结果 as an Excel workbook: one row per readable response. Named forms carry the person
and the time; anonymous and public forms carry the answers only, in random order (the
responses' UUID order), so rows cannot be lined up with who answered when."""

from __future__ import annotations

from django.utils import timezone
from openpyxl import Workbook

from cms.core.spreadsheets import excel_time, file_name_part, finish_sheet, safe_row, sheet_title, xlsx_bytes

from .models import FieldType
from .results import FormResults, answer_text, peer_names_of
from .selectors import form_definition


def workbook_bytes(results: FormResults) -> bytes:
    definition = [spec for spec in form_definition(results.form) if spec["type"] != FieldType.SECTION]
    names = peer_names_of(definition, results.responses)
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(results.form.title, "问卷结果")
    personal = ["姓名", "工号", "所在组织", "提交时间"] if results.shows_names else ["提交日期"]
    # The question labels are typed by people too, so the header goes through safe_row.
    sheet.append(safe_row(personal + [spec["label"] for spec in definition]))
    for response in results.responses:
        if results.shows_names:
            user = response.user
            lead = [
                user.display_name,
                user.username,
                user.organisation.name if user.organisation else "",
                excel_time(response.updated_at or response.submitted_at),
            ]
        else:
            lead = [response.submitted_on]
        # Answers are typed by people (a text may be "=HYPERLINK(…)"): never formulas.
        sheet.append(
            safe_row(lead + [answer_text(spec, response.answers.get(spec["name"]), names) for spec in definition])
        )
    finish_sheet(sheet, [18] * (len(personal) + len(definition)), time_columns="D" if results.shows_names else "")
    return xlsx_bytes(book)


def file_name(results: FormResults) -> str:
    return f"问卷结果-{file_name_part(results.form.title, '问卷')}-{timezone.localdate():%Y%m%d}.xlsx"
