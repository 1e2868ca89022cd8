"""Spreadsheets in and out, the one way every import and export uses.

* **Reading** (``read_rows``): XLSX is streamed (openpyxl read-only) and reading stops at
  the row limit without parsing the rest; the archive's unpacked size is checked before
  anything is parsed, so a small file that unpacks to gigabytes (a "zip bomb") is refused
  at once. CSV in UTF-8 (with or without BOM) or the GBK/GB18030 Excel writes on Chinese
  Windows. Refusals are ``SpreadsheetError`` with a Chinese message.
* **Writing** (``safe_cell``): a text cell that begins with ``=``, ``+``, ``-``, ``@``, tab
  or carriage return would be taken for a formula by Excel or LibreOffice (a name such as
  ``=HYPERLINK("http://evil.example/","赵")`` becomes a live link): it is written as text
  with a leading apostrophe (OWASP, CSV/formula injection). ``excel_time``, ``sheet_title``,
  ``finish_sheet``, ``xlsx_bytes``, ``file_name_part`` and ``xlsx_response`` are what the
  exports have in common.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class SpreadsheetError(ValueError):
    """A file that cannot be read as a table; the message is for the person who uploaded it."""


def safe_cell(value):
    """``value`` as a cell that no spreadsheet program evaluates."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_row(values) -> list:
    return [safe_cell(value) for value in values]


def excel_time(value):
    """An aware date-time as the wall-clock time people saw (Excel has no time zones); empty
    stays empty."""
    return timezone.localtime(value).replace(tzinfo=None) if value else None


TIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Characters no file system likes in a download's name.
_FILE_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
#: Characters Excel refuses in sheet names.
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_title(text: str, fallback: str) -> str:
    """``text`` (a title people typed) as a sheet name Excel accepts: none of ``[]:*?/\\``,
    at most 31 characters; ``fallback`` if nothing is left."""
    return (_SHEET_FORBIDDEN.sub(" ", text).strip() or fallback)[:31]


def finish_sheet(sheet, widths, *, time_columns=()) -> None:
    """The finish a report sheet gets once its rows are in: the header row (row 1) bold and
    frozen, the column widths, ``TIME_FORMAT`` on the ``time_columns`` (letters) below the
    header, and a filter over the whole table."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for column in time_columns:
        for cell in sheet[column][1:]:
            cell.number_format = TIME_FORMAT
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(sheet.max_column)}{max(sheet.max_row, 1)}"


def xlsx_bytes(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def file_name_part(text: str, fallback: str) -> str:
    """``text`` (a title people typed) made fit for a file name; ``fallback`` if nothing is left."""
    return _FILE_FORBIDDEN.sub("_", text).strip() or fallback


def read_bytes(file) -> tuple[bytes, str]:
    """(content, file name) of a path, bytes or an uploaded file, refusing files over
    ``SPREADSHEET_MAX_BYTES`` before reading them whole."""
    limit = settings.SPREADSHEET_MAX_BYTES
    if isinstance(file, (str, Path)):
        path = Path(file)
        if path.stat().st_size > limit:
            raise SpreadsheetError(_too_big(limit))
        return path.read_bytes(), path.name
    if isinstance(file, bytes):
        data, name = file, ""
    else:
        size = getattr(file, "size", None)
        if size is not None and size > limit:
            raise SpreadsheetError(_too_big(limit))
        data = file.read(limit + 1)
        name = getattr(file, "name", "") or ""
        if isinstance(data, str):
            data = data.encode("utf-8")
    if len(data) > limit:
        raise SpreadsheetError(_too_big(limit))
    return data, name


def _too_big(limit: int) -> str:
    return f"文件超过 {limit // (1024 * 1024)} MB，请分批导入。"


def read_rows(file, *, max_rows: int) -> list[list]:
    """The rows of the first sheet (XLSX) or of the CSV, as lists of cell values: at most
    ``max_rows`` rows, header included; more is refused without reading on."""
    data, name = read_bytes(file)
    if not data.strip():
        raise SpreadsheetError("文件是空的。")
    if data[:4] == b"PK\x03\x04" or name.lower().endswith(".xlsx"):
        return _read_xlsx(data, max_rows)
    if name.lower().endswith(".xls") or data[:4] == b"\xd0\xcf\x11\xe0":
        raise SpreadsheetError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV。")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SpreadsheetError("无法识别 CSV 文件的编码，请保存为 UTF-8 或 GBK。")
    rows = []
    for row in csv.reader(io.StringIO(text, newline="")):
        rows.append(row)
        if len(rows) > max_rows:
            raise SpreadsheetError(_too_many(max_rows))
    return rows


def _too_many(max_rows: int) -> str:
    return f"一次最多导入 {max_rows - 1} 行数据，请分批导入。"


def _read_xlsx(data: bytes, max_rows: int) -> list[list]:
    import openpyxl

    unreadable = "无法读取 Excel 文件，请确认是 .xlsx 格式（旧版 .xls 请另存为 .xlsx）。"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise SpreadsheetError(unreadable) from exc
    if unpacked > settings.SPREADSHEET_MAX_UNPACKED_BYTES:
        raise SpreadsheetError(
            f"Excel 文件解压后超过 {settings.SPREADSHEET_MAX_UNPACKED_BYTES // (1024 * 1024)} MB，"
            "请删除多余的工作表和空行，或分批导入。"
        )
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a damaged file
        raise SpreadsheetError(unreadable) from exc
    try:
        rows, filled = [], 0
        for row in book.worksheets[0].iter_rows(values_only=True):
            rows.append(list(row))  # empty rows too: line numbers in messages stay right
            # Excel often reports thousands of formatted but empty rows: they do not count.
            if any(value not in (None, "") for value in row):
                filled += 1
                if filled > max_rows:
                    raise SpreadsheetError(_too_many(max_rows))
        return rows
    except SpreadsheetError:
        raise
    except Exception as exc:
        raise SpreadsheetError(unreadable) from exc
    finally:
        book.close()


def xlsx_response(data: bytes, name: str, ascii_fallback: str) -> HttpResponse:
    """The download of a workbook: ``name`` (Chinese) through ``content_disposition``."""
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(name, ascii_fallback)
    return response


def content_disposition(name: str, ascii_fallback: str) -> str:
    """``attachment`` with the Chinese name as RFC 5987 ``filename*`` and an ASCII
    ``filename`` for the rare client that cannot read it."""
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
