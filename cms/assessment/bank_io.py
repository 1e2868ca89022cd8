"""The question bank in and out of Excel, in the layout Chinese organisations already use:

    题型 | 题干 | 选项A … 选项F | 答案 | 解析 | 知识点 | 难度

* 题型: 单选题/多选题/判断题/填空题 (or 单选, 多选, 判断, 填空);
* 答案: the notation of ``cms.assessment.answers`` (B, ACD, 正确, 1921|一九二一；上海);
* 知识点: one or more, separated by ；/; — each a path such as ``党章/党员的权利`` (missing
  points are created);
* 难度: 易/中/难 (also 简单/中等/困难, 1/2/3); empty means 中.

The import is a dry run first (every bad row with its line and a Chinese reason), then all
or nothing; the file is read through ``cms.core.spreadsheets`` (streamed, size- and
row-limited). Imported questions are drafts (审核发布 then opens them) unless the importer
may publish and asks for it. The export writes every cell through ``safe_row``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from cms.core.spreadsheets import SpreadsheetError, finish_sheet, read_rows, safe_row, xlsx_bytes

from .answers import OPTION_LETTERS, QuestionType, normalise_text, parse_answer
from .models import Difficulty, KnowledgePoint, Question, question_errors

HEADERS = ["题型", "题干", *[f"选项{letter}" for letter in OPTION_LETTERS], "答案", "解析", "知识点", "难度"]
WIDTHS = [8, 50, *[18] * len(OPTION_LETTERS), 14, 40, 24, 6]
TYPE_WORDS = {
    "单选": QuestionType.SINGLE,
    "单选题": QuestionType.SINGLE,
    "单项选择题": QuestionType.SINGLE,
    "多选": QuestionType.MULTIPLE,
    "多选题": QuestionType.MULTIPLE,
    "多项选择题": QuestionType.MULTIPLE,
    "判断": QuestionType.TRUE_FALSE,
    "判断题": QuestionType.TRUE_FALSE,
    "填空": QuestionType.FILL_BLANK,
    "填空题": QuestionType.FILL_BLANK,
}
DIFFICULTY_WORDS = {
    "易": 1,
    "简单": 1,
    "容易": 1,
    "1": 1,
    "中": 2,
    "中等": 2,
    "一般": 2,
    "2": 2,
    "难": 3,
    "困难": 3,
    "较难": 3,
    "3": 3,
    "": 2,
}
MAX_STEM = Question._meta.get_field("stem").max_length
MAX_OPTION = Question._meta.get_field("option_a").max_length
MAX_EXPLANATION = Question._meta.get_field("explanation").max_length
MAX_POINT_NAME = KnowledgePoint._meta.get_field("name").max_length


@dataclass
class ImportProblem:
    line: int
    reason: str


@dataclass
class ImportRow:
    line: int
    type: str
    stem: str
    options: dict[str, str]
    answer: str
    explanation: str
    points: list[tuple[str, ...]]
    difficulty: int

    @property
    def type_label(self) -> str:
        return QuestionType.LABELS[self.type]

    @property
    def difficulty_label(self) -> str:
        return Difficulty(self.difficulty).label

    @property
    def points_label(self) -> str:
        return "；".join("/".join(path) for path in self.points)


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[ImportProblem] = field(default_factory=list)
    new_points: list[str] = field(default_factory=list)
    committed: bool = False
    published: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def summary(self) -> str:
        if self.errors:
            return f"文件中有 {len(self.errors)} 处错误，未导入任何题目；请修改后重新上传。"
        if not self.rows:
            return "文件中没有题目。"
        points = f"，新建知识点 {len(self.new_points)} 个" if self.new_points else ""
        if self.committed:
            state = "已发布" if self.published else "为草稿，提交审核发布后才会用于测验"
            return f"导入完成：{len(self.rows)} 道题{points}（{state}）。"
        return f"检查通过（尚未导入）：将导入 {len(self.rows)} 道题{points}。"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").strip()


def _header_key(value) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _text(value))).upper()


def _columns(header: list) -> tuple[dict[str, int], list[str]]:
    wanted = {_header_key(name): name for name in HEADERS}
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = wanted.get(_header_key(cell))
        if name and name not in columns:
            columns[name] = index
    missing = [name for name in ("题型", "题干", "答案") if name not in columns]
    problems = [f"缺少必填列：{'、'.join(missing)}。表头应为：{'、'.join(HEADERS)}。"] if missing else []
    return columns, problems


def _point_paths(text: str) -> list[tuple[str, ...]]:
    paths = []
    for part in re.split(r"[;；\n]", text):
        names = tuple(name.strip() for name in re.split(r"[/／>＞]", part) if name.strip())
        if names and names not in paths:
            paths.append(names)
    return paths


def _existing_points() -> dict[tuple[str, ...], KnowledgePoint]:
    points = {p.pk: p for p in KnowledgePoint.objects.all()}
    by_path = {}
    for point in points.values():
        names, node, seen = [], point, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            names.append(node.name)
            node = points.get(node.parent_id)
        by_path[tuple(reversed(names))] = point
    return by_path


def check(table: list[list]) -> ImportReport:
    """The dry run: every row checked, nothing written."""
    report = ImportReport()
    columns, problems = _columns(table[0] if table else [])
    if problems:
        report.errors.extend(ImportProblem(1, reason) for reason in problems)
        return report
    known_points = _existing_points()
    existing_stems = {normalise_text(stem) for stem in Question.objects.values_list("stem", flat=True)}
    first_line_of: dict[str, int] = {}
    new_points: list[str] = []
    for line, raw in enumerate(table[1:], start=2):

        def cell(name):
            index = columns.get(name)
            return _text(raw[index]) if index is not None and index < len(raw) else ""

        if not any(_text(value) for value in raw):
            continue
        reasons = []
        kind = TYPE_WORDS.get(re.sub(r"\s+", "", cell("题型")))
        if kind is None:
            reasons.append(
                f"题型“{cell('题型')}”无法识别，应为单选题、多选题、判断题或填空题" if cell("题型") else "缺少题型"
            )
        stem = cell("题干")
        if not stem:
            reasons.append("缺少题干")
        elif len(stem) > MAX_STEM:
            reasons.append(f"题干超过 {MAX_STEM} 字")
        options = {letter: cell(f"选项{letter}") for letter in OPTION_LETTERS if cell(f"选项{letter}")}
        if any(len(text) > MAX_OPTION for text in options.values()):
            reasons.append(f"选项超过 {MAX_OPTION} 字")
        explanation = cell("解析")
        if len(explanation) > MAX_EXPLANATION:
            reasons.append(f"解析超过 {MAX_EXPLANATION} 字")
        difficulty = DIFFICULTY_WORDS.get(cell("难度"))
        if difficulty is None:
            reasons.append(f"难度“{cell('难度')}”无法识别，应为易、中或难")
        points = _point_paths(cell("知识点"))
        if not points:
            reasons.append("缺少知识点")
        elif any(len(name) > MAX_POINT_NAME for path in points for name in path):
            reasons.append(f"知识点名称超过 {MAX_POINT_NAME} 字")
        answer = cell("答案")
        if kind is not None:
            errors = question_errors(kind, options, answer)
            reasons.extend(message.rstrip("。") for message in errors.values())
            if not errors:
                answer = parse_answer(kind, answer, "".join(options))
                if kind == QuestionType.FILL_BLANK and stem and _blank_marks(stem) not in (0, len(answer.split(";"))):
                    reasons.append(f"题干中有 {_blank_marks(stem)} 个空，答案却有 {len(answer.split(';'))} 个")
        key = normalise_text(stem)
        if stem and key in existing_stems:
            reasons.append("题库中已有相同题干的题目")
        elif stem and key in first_line_of:
            reasons.append(f"与第{first_line_of[key]}行题干重复")
        elif stem:
            first_line_of[key] = line
        if reasons:
            report.errors.append(ImportProblem(line, "；".join(reasons) + "。"))
            continue
        for path in points:
            for depth in range(1, len(path) + 1):
                label = "/".join(path[:depth])
                if path[:depth] not in known_points and label not in new_points:
                    new_points.append(label)
        report.rows.append(ImportRow(line, kind, stem, options, answer, explanation, points, difficulty))
    report.new_points = new_points
    return report


def _blank_marks(stem: str) -> int:
    """Blanks marked in a stem: runs of underscores, or empty （ ）/( ) brackets."""
    return len(re.findall(r"_{2,}|＿{2,}|[（(]\s*[)）]", stem))


def read_table(file) -> list[list]:
    return read_rows(file, max_rows=settings.IMPORT_MAX_ROWS + 1)


def import_questions(file, *, dry_run: bool, publish: bool = False, by=None) -> ImportReport:
    """Check the file; unless ``dry_run`` and only when every row is right, write every
    question (and the missing knowledge points) in one transaction."""
    try:
        table = read_table(file)
    except SpreadsheetError as error:
        return ImportReport(errors=[ImportProblem(1, str(error))])
    report = check(table)
    if dry_run or not report.ok:
        return report
    with transaction.atomic():
        known = _existing_points()
        for row in report.rows:
            question = Question(
                type=row.type,
                stem=row.stem,
                answer=row.answer,
                explanation=row.explanation,
                difficulty=row.difficulty,
                live=False,
                **{f"option_{letter.lower()}": row.options.get(letter, "") for letter in OPTION_LETTERS},
            )
            question.full_clean(exclude=["knowledge_points"])
            question.save()
            question.knowledge_points.set([_ensure_point(path, known) for path in row.points])
            revision = question.save_revision(user=by)
            if publish:
                revision.publish(user=by)
        report.committed, report.published = True, publish
    return report


def _ensure_point(path: tuple[str, ...], known: dict) -> KnowledgePoint:
    parent = None
    for depth in range(1, len(path) + 1):
        point = known.get(path[:depth])
        if point is None:
            point = KnowledgePoint.objects.create(name=path[depth - 1], parent=parent)
            known[path[:depth]] = point
        parent = point
    return parent


def export_bytes(questions=None) -> bytes:
    """Every question (or ``questions``) in the import layout, so the file can be edited and
    imported again: the plain ``HEADERS`` and the import's own notation (answers joined by
    ；, knowledge points as paths, 难度 as its label); formula-safe."""
    questions = Question.objects.order_by("pk") if questions is None else questions
    points = _existing_points()
    names = {point.pk: "/".join(path) for path, point in points.items()}
    book = Workbook()
    sheet = book.active
    sheet.title = "题库"
    sheet.append(HEADERS)
    for question in questions.prefetch_related("knowledge_points"):
        sheet.append(
            safe_row(
                [
                    question.type_label,
                    question.stem,
                    *[getattr(question, f"option_{letter.lower()}") for letter in OPTION_LETTERS],
                    question.answer.replace(";", "；"),
                    question.explanation,
                    "；".join(names.get(point.pk, point.name) for point in question.knowledge_points.all()),
                    question.get_difficulty_display(),
                ]
            )
        )
    finish_sheet(sheet, WIDTHS)
    return xlsx_bytes(book)


def file_name() -> str:
    return f"题库-{timezone.localdate():%Y%m%d}.xlsx"
