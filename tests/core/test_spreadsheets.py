"""Spreadsheets in and out (cms/core/spreadsheets.py): imports are size- and row-limited and
streamed; exported text is never a formula."""

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from cms.core.spreadsheets import (
    XLSX_CONTENT_TYPE,
    SpreadsheetError,
    excel_time,
    file_name_part,
    finish_sheet,
    read_rows,
    safe_cell,
    safe_row,
    sheet_title,
    xlsx_bytes,
    xlsx_response,
)

SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:A{rows}"/><sheetData>'
)


def xlsx(rows: int, *, tail: str = "</sheetData></worksheet>", filler: str = "") -> bytes:
    """A minimal .xlsx of `rows` rows of inline strings, its sheet ending in `tail`."""
    body = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>第{n}行{filler}</t></is></c></row>' for n in range(1, rows + 1)
    )
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="人员" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": SHEET_HEAD.format(rows=rows) + body + tail,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://evil.example/","赵")', '\'=HYPERLINK("http://evil.example/","赵")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("张三", "张三"),
        ("第一党支部", "第一党支部"),
        (-3, -3),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_text_that_a_spreadsheet_would_evaluate_is_written_as_text(value, expected):
    assert safe_cell(value) == expected


def test_xlsx_and_csv_rows_are_read(settings):
    assert read_rows(xlsx(3), max_rows=10) == [["第1行"], ["第2行"], ["第3行"]]
    assert read_rows("姓名,工号\n张三,001\n".encode("utf-8-sig"), max_rows=10) == [["姓名", "工号"], ["张三", "001"]]
    assert read_rows("姓名\n李四\n".encode("gb18030"), max_rows=10) == [["姓名"], ["李四"]]


def test_reading_stops_at_the_row_limit_without_parsing_the_rest():
    # Rows past the limit are followed by a broken sheet: had the reader gone on, it would
    # have said the file is damaged. It refuses for the row count instead.
    broken = xlsx(20_000, tail="<row><c><is><t>未闭合")
    with pytest.raises(SpreadsheetError, match="一次最多导入 9 行数据"):
        read_rows(broken, max_rows=10)
    with pytest.raises(SpreadsheetError, match="无法读取 Excel 文件"):
        read_rows(broken, max_rows=100_000)  # read to the end, the file is damaged
    with pytest.raises(SpreadsheetError, match="一次最多导入 9 行数据"):
        read_rows(("x\n" * 50).encode(), max_rows=10)


def test_a_small_file_that_unpacks_to_a_lot_is_refused_before_parsing(settings):
    settings.SPREADSHEET_MAX_UNPACKED_BYTES = 1024 * 1024
    bomb = xlsx(2000, filler=" " * 1000)
    assert len(bomb) < 100 * 1024
    with pytest.raises(SpreadsheetError, match="解压后超过 1 MB"):
        read_rows(bomb, max_rows=100_000)


def test_files_over_the_size_limit_are_refused_before_reading(settings, tmp_path):
    settings.SPREADSHEET_MAX_BYTES = 1024 * 1024
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" * 400_000)
    with pytest.raises(SpreadsheetError, match="文件超过 1 MB"):
        read_rows(path, max_rows=10)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "文件是空的"),
        (b"\xd0\xcf\x11\xe0old", "不支持旧版 .xls"),
        (b"PK\x03\x04broken", "无法读取 Excel 文件"),
        (b"\xff\xfe\x00\x81\x30", "无法识别 CSV 文件的编码"),
    ],
)
def test_unreadable_files_get_a_chinese_reason(data, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_rows(data, max_rows=10)


def test_an_openpyxl_workbook_keeps_escaped_cells_as_text():
    book = openpyxl.Workbook()
    book.active.append([safe_cell('=HYPERLINK("http://evil.example/","赵")')])
    buffer = io.BytesIO()
    book.save(buffer)
    cell = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active["A1"]
    assert cell.data_type == "s" and cell.value.startswith("'=")


def test_a_finished_report_sheet_reads_like_every_other_export():
    """Bold frozen header with a filter, wall-clock times, a sheet name Excel accepts and a
    Chinese download name: what every report export gives."""
    moment = dt.datetime(2026, 7, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 in Beijing
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_title("党史/学习[第一期]", "学习进度")
    sheet.append(["姓名", "提交时间"])
    sheet.append(safe_row(["=赵", excel_time(moment)]))
    finish_sheet(sheet, [12, 18], time_columns="B")
    response = xlsx_response(xlsx_bytes(book), "问卷结果-党史.xlsx", ascii_fallback="results.xlsx")

    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="results.xlsx"; filename*=UTF-8')
    read = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert read.title == "党史 学习 第一期"
    assert read["A1"].font.bold and read.freeze_panes == "A2" and read.auto_filter.ref == "A1:B2"
    assert read["A2"].value == "'=赵"
    assert read["B2"].value == dt.datetime(2026, 7, 1, 9, 30) and read["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert read.column_dimensions["B"].width == 18


def test_a_title_with_nothing_left_gets_the_fallback():
    assert sheet_title(" /?* ", "问卷结果") == "问卷结果"
    assert sheet_title("学" * 40, "问卷结果") == "学" * 31  # Excel's limit
    assert file_name_part("  ", "问卷") == "问卷"
    assert file_name_part('党史:"学习"?', "问卷") == "党史__学习__"
