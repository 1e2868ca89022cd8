"""问卷结果 as an Excel workbook: one row per readable response. Named forms carry the person
and the time; anonymous and public forms carry the answers only, in random order (the
responses' UUID order), so rows cannot be lined up with who answered when."""

from __future__ import annotations

import io
import re

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cms.core.spreadsheets import safe_row

from .models import FieldType
from .results import FormResults, answer_text, peer_names_of
from .selectors import form_definition

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def workbook_bytes(results: FormResults) -> bytes:
    definition = [spec for spec in form_definition(results.form) if spec["type"] != FieldType.SECTION]
    names = peer_names_of(definition, results.responses)
    book = Workbook()
    sheet = book.active
    sheet.title = (_SHEET_FORBIDDEN.sub(" ", results.form.title).strip() or "问卷结果")[:31]
    personal = ["姓名", "工号", "所在组织", "提交时间"] if results.shows_names else ["提交日期"]
    sheet.append(safe_row(personal + [spec["label"] for spec in definition]))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for response in results.responses:
        if results.shows_names:
            user = response.user
            when = response.updated_at or response.submitted_at
            lead = [
                user.display_name,
                user.username,
                user.organisation.name if user.organisation else "",
                timezone.localtime(when).replace(tzinfo=None) if when else None,
            ]
        else:
            lead = [response.submitted_on]
        # Answers are typed by people (a text may be "=HYPERLINK(…)"): never formulas.
        sheet.append(
            safe_row(lead + [answer_text(spec, response.answers.get(spec["name"]), names) for spec in definition])
        )
    for index in range(1, len(personal) + len(definition) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 18
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def file_name(results: FormResults) -> str:
    title = _FILE_FORBIDDEN.sub("_", results.form.title).strip() or "问卷"
    return f"问卷结果-{title}-{timezone.localdate():%Y%m%d}.xlsx"
