"""题库导入导出: the layout Chinese organisations use, a dry run listing every bad row with
its line and a Chinese reason, all or nothing, the row limit, and a formula-safe export."""

import io

import openpyxl
import pytest

from cms.accounts.roles import ADMINISTRATOR, EDITOR
from cms.assessment import bank_io
from cms.assessment.answers import QuestionType
from cms.assessment.models import KnowledgePoint, Question
from cms.audit.models import AuditEntry
from tests.assessment.factories import KnowledgePointFactory, QuestionFactory
from tests.factories import PASSWORD, UserFactory

IMPORT = "/admin/assessment/import/"
EXPORT = "/admin/assessment/export/"


def xlsx(rows, header=bank_io.HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(
    kind="单选题",
    stem="党的根本宗旨是？",
    options=("全心全意为人民服务", "发展经济", "", "", "", ""),
    answer="A",
    explanation="解析内容",
    points="党章/党的宗旨",
    difficulty="易",
):
    return [kind, stem, *options, answer, explanation, points, difficulty]


GOOD = [
    row(),
    row(
        kind="多选题",
        stem="党的三大作风包括？",
        options=("理论联系实际", "密切联系群众", "批评与自我批评", "铺张浪费", "", ""),
        answer="A,B,C",
        difficulty="中",
    ),
    row(kind="判断", stem="预备党员没有表决权。", options=("",) * 6, answer="对", points="党章/党员", difficulty="难"),
    row(
        kind="填空题",
        stem="中国共产党成立于____年。",
        options=("",) * 6,
        answer="1921|一九二一",
        points="党史",
        difficulty="",
    ),
]


def test_a_good_file_is_checked_then_imported_as_drafts(db, home):
    KnowledgePointFactory(name="党章")
    checked = bank_io.import_questions(xlsx(GOOD), dry_run=True)
    assert checked.ok and not checked.committed and Question.objects.count() == 0
    assert checked.new_points == ["党章/党的宗旨", "党章/党员", "党史"]
    assert checked.summary() == "检查通过（尚未导入）：将导入 4 道题，新建知识点 3 个。"

    done = bank_io.import_questions(xlsx(GOOD), dry_run=False)

    assert done.committed and Question.objects.count() == 4
    assert not Question.objects.filter(live=True).exists()  # drafts until 审核发布
    assert all(q.revisions.count() == 1 for q in Question.objects.all())
    multiple = Question.objects.get(type=QuestionType.MULTIPLE)
    assert multiple.answer == "ABC" and multiple.difficulty == 2
    assert Question.objects.get(type=QuestionType.TRUE_FALSE).answer == "正确"
    assert Question.objects.get(type=QuestionType.FILL_BLANK).answer == "1921|一九二一"
    point = KnowledgePoint.objects.get(name="党的宗旨")
    assert point.parent.name == "党章" and point.path_name == "党章 / 党的宗旨"
    assert KnowledgePoint.objects.filter(name="党章").count() == 1


def test_every_bad_row_is_listed_with_its_line_and_nothing_is_imported(db, home):
    QuestionFactory(stem="已有的题目")
    bad = GOOD + [
        row(kind="问答题"),  # line 6
        row(stem=""),  # 7
        row(stem="选项不连续", options=("甲", "", "丙", "", "", "")),  # 8
        row(stem="答案不在选项中", answer="D"),  # 9
        row(stem="单选多答", answer="AB"),  # 10
        row(kind="判断题", stem="判断答案错", options=("",) * 6, answer="也许"),  # 11
        row(stem="已有的题目"),  # 12
        row(stem="党的三大作风包括？"),  # 13 (repeats line 3)
        row(stem="无知识点", points=""),  # 14
        row(stem="难度错", difficulty="超难"),  # 15
        row(kind="填空题", stem="两个空____和____", options=("",) * 6, answer="一个"),  # 16
        [None] * 13,  # 17 blank: ignored
    ]

    report = bank_io.import_questions(xlsx(bad), dry_run=False)

    assert not report.ok and Question.objects.count() == 1 and not KnowledgePoint.objects.exists()
    reasons = {problem.line: problem.reason for problem in report.errors}
    assert sorted(reasons) == list(range(6, 17))
    assert "题型“问答题”无法识别" in reasons[6]
    assert "缺少题干" in reasons[7]
    assert "选项须从 A 开始连续填写" in reasons[8]
    assert "选项 D 没有内容" in reasons[9]
    assert "单选题的答案只能有一个选项" in reasons[10]
    assert "判断题的答案应为“正确”或“错误”" in reasons[11]
    assert "题库中已有相同题干的题目" in reasons[12]
    assert "与第3行题干重复" in reasons[13]
    assert "缺少知识点" in reasons[14]
    assert "难度“超难”无法识别" in reasons[15]
    assert "题干中有 2 个空，答案却有 1 个" in reasons[16]
    assert report.summary() == "文件中有 11 处错误，未导入任何题目；请修改后重新上传。"


def test_missing_columns_and_the_row_limit(db, home, settings):
    report = bank_io.import_questions(xlsx([row()], header=["题干", "选项A"]), dry_run=True)
    assert [p.reason for p in report.errors] == [
        "缺少必填列：题型、答案。表头应为：题型、题干、选项A、选项B、选项C、选项D、选项E、选项F、答案、解析、知识点、难度。"
    ]
    settings.IMPORT_MAX_ROWS = 3
    rows = [row(stem=f"题目{n}") for n in range(5)]
    report = bank_io.import_questions(xlsx(rows), dry_run=False)
    assert report.errors[0].reason == "一次最多导入 3 行数据，请分批导入。"
    assert not Question.objects.exists()
    broken = bank_io.import_questions(b"PK\x03\x04 not really a zip", dry_run=True)
    assert "无法读取 Excel 文件" in broken.errors[0].reason


def test_export_round_trips_and_is_formula_safe(db, home):
    point = KnowledgePointFactory(name="党纪")
    QuestionFactory(
        stem='=HYPERLINK("http://evil.example/","点我")',
        option_a="+1",
        option_b="-1",
        option_c="@SUM(A1)",
        option_d="正常",
        answer="D",
        explanation="=1+1",
        knowledge_points=[point],
    )
    QuestionFactory(
        type=QuestionType.FILL_BLANK, stem="____年和____", answer="1921|一九二一;上海", knowledge_points=[point]
    )

    sheet = openpyxl.load_workbook(io.BytesIO(bank_io.export_bytes())).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]

    assert rows[0] == bank_io.HEADERS
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example/","点我")'
    assert rows[1][2:6] == ["'+1", "'-1", "'@SUM(A1)", "正常"]
    assert rows[1][9] == "'=1+1" and rows[1][10] == "党纪" and rows[1][11] == "中"
    assert rows[2][0] == "填空题" and rows[2][8] == "1921|一九二一；上海"
    Question.objects.all().delete()
    again = bank_io.import_questions(bank_io.export_bytes(Question.objects.none()), dry_run=True)
    assert not again.rows  # an empty export imports nothing


def test_admin_import_is_dry_run_then_confirm_and_audited(client, home):
    admin = UserFactory(username="guanli", groups=[ADMINISTRATOR])
    assert client.login(username=admin.username, password=PASSWORD)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("题库.xlsx", xlsx(GOOD))
    checked = client.post(IMPORT, {"file": upload, "publish": "on"})
    assert checked.status_code == 200
    text = checked.content.decode()
    assert "检查通过（尚未导入）：将导入 4 道题" in text and "确认后题目将直接发布" in text
    assert not Question.objects.exists()

    confirmed = client.post(IMPORT, {"confirm": "1"})

    assert confirmed.status_code == 302
    assert Question.objects.filter(live=True).count() == 4
    assert AuditEntry.objects.filter(action="data.questions_imported").count() == 1
    assert client.post(IMPORT, {"confirm": "1"}).status_code == 302  # nothing pending: a message, no import
    assert Question.objects.count() == 4

    exported = client.get(EXPORT)
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/vnd.openxmlformats")
    assert AuditEntry.objects.filter(action="data.questions_exported").count() == 1


def test_an_editor_imports_drafts_even_when_asking_to_publish(client, home):
    editor = UserFactory(username="bianji", groups=[EDITOR])
    assert client.login(username=editor.username, password=PASSWORD)
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(IMPORT, {"file": SimpleUploadedFile("q.xlsx", xlsx(GOOD[:1])), "publish": "on"})
    client.post(IMPORT, {"confirm": "1"})
    assert Question.objects.count() == 1 and not Question.objects.get().live


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", "\u202e反转", "'; DROP TABLE x;--"])
def test_hostile_cells_are_text(db, home, hostile):
    report = bank_io.import_questions(
        xlsx([row(stem=f"题{hostile}", explanation=hostile, points=f"点{hostile[:20]}")]), dry_run=False
    )
    assert report.ok, report.errors
    assert Question.objects.get().explanation == hostile
