"""Bulk import of people from a CSV or XLSX roster (used by ``services.import_people``).

Columns (header on line 1, any order): 姓名, 工号 (or 手机号), 支部, 身份, 入党时间 (optional),
角色 (optional). People are keyed by 工号 — or 手机号 when there is no 工号 column — which
becomes the username; a person already there is updated, never duplicated.

The whole file is parsed and checked before anything is written; every problem is reported
with its line number as Excel shows it (header = line 1) and a reason in Chinese. Only a
clean file is written, inside one transaction.

An import records the state an administrator declares, so unlike ``change_status`` it may set
any 身份 directly; each change still gets a dated history row (备注 "批量导入").
New users get an unusable password: they sign in once an administrator or the single sign-on
gives them one, and must then replace it with their own (``must_change_password``,
first_login.py).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cms.core.spreadsheets import SpreadsheetError, read_rows

from .first_login import mark_initial_password
from .models import BranchRole, MemberStatus, Membership, OrganisationUnit, StatusChange, User
from .services import JOINED_PARTY_STATUSES

IMPORT_NOTE = "批量导入"

HEADER_ALIASES = {
    "姓名": "name",
    "工号": "staff_no",
    "手机号": "phone",
    "手机号码": "phone",
    "手机": "phone",
    "支部": "branch",
    "所在支部": "branch",
    "党支部": "branch",
    "身份": "status",
    "入党时间": "joined",
    "入党日期": "joined",
    "角色": "role",
    "支部职务": "role",
    "职务": "role",
}
STATUS_BY_TEXT = {**{s.label: s.value for s in MemberStatus}, **{s.value: s.value for s in MemberStatus}}
ROLE_BY_TEXT = {**{r.label: r.value for r in BranchRole}, **{r.value: r.value for r in BranchRole}}
JOINED_ALLOWED = JOINED_PARTY_STATUSES
COMPOUND_SURNAMES = {
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "令狐",
    "钟离",
    "闾丘",
    "端木",
    "南宫",
    "西门",
    "澹台",
    "公冶",
    "申屠",
    "太史",
}
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
PHONE_RE = re.compile(r"^1\d{10}$")


class ImportFileError(Exception):
    """The file cannot be read at all (not CSV/XLSX, wrong encoding, empty)."""


@dataclass
class ImportProblem:
    line: int
    reason: str

    def __str__(self):
        return f"第{self.line}行：{self.reason}"


@dataclass
class PersonRow:
    line: int
    name: str
    username: str
    branch: OrganisationUnit
    status: str
    joined: datetime.date | None
    role: str | None
    action: str = ""  # 新建 / 更新 / 无变化

    @property
    def status_label(self) -> str:
        return MemberStatus(self.status).label

    @property
    def role_label(self) -> str:
        return BranchRole(self.role).label if self.role else ""


@dataclass
class ImportReport:
    errors: list[ImportProblem] = field(default_factory=list)
    rows: list[PersonRow] = field(default_factory=list)
    key_label: str = "工号"
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def _count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def to_create(self) -> int:
        return self._count("新建")

    @property
    def to_update(self) -> int:
        return self._count("更新")

    @property
    def unchanged(self) -> int:
        return self._count("无变化")

    def summary(self) -> str:
        if self.errors:
            return f"文件中有 {len(self.errors)} 处错误，未导入任何数据；请修改后重新上传。"
        counts = f"新建 {self.to_create} 人，更新 {self.to_update} 人，无变化 {self.unchanged} 人"
        return f"导入完成：{counts}。" if self.committed else f"检查通过（尚未导入）：将{counts}。"


# Reading -------------------------------------------------------------------------------------


def read_table(file) -> list[list]:
    """The rows of the first sheet (XLSX) or of the CSV (cms/core/spreadsheets.py: streamed,
    size- and row-limited), header included."""
    try:
        return read_rows(file, max_rows=settings.IMPORT_MAX_ROWS + 1)
    except SpreadsheetError as exc:
        raise ImportFileError(str(exc)) from exc


# Cell parsing --------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 工号 / 手机号 typed as numbers in Excel
    return str(value).replace("\u3000", " ").strip()


def parse_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = DATE_RE.match(_text(value))
    if not match:
        raise ValueError(value)
    return datetime.date(*(int(part) for part in match.groups()))


def split_name(name: str) -> tuple[str, str]:
    """(family name, given name); ``User.get_full_name`` joins them back without a space."""
    surname_len = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:surname_len], name[surname_len:]


# The import ----------------------------------------------------------------------------------


def _columns(header: list) -> tuple[dict[str, int], list[str]]:
    columns, problems = {}, []
    for index, cell in enumerate(header):
        key = HEADER_ALIASES.get(re.sub(r"\s+", "", _text(cell)))
        if key and key not in columns:
            columns[key] = index
    required = [
        ("姓名", ["name"]),
        ("工号（或手机号）", ["staff_no", "phone"]),
        ("支部", ["branch"]),
        ("身份", ["status"]),
    ]
    missing = [label for label, keys in required if not any(key in columns for key in keys)]
    if missing:
        problems.append("缺少必填列：" + "、".join(missing) + "。表头应为：姓名、工号、支部、身份、入党时间、角色。")
    return columns, problems


def _check_rows(table: list[list], report: ImportReport) -> None:
    columns, problems = _columns(table[0] if table else [])
    if problems:
        report.errors.extend(ImportProblem(1, reason) for reason in problems)
        return
    key_column = "staff_no" if "staff_no" in columns else "phone"
    report.key_label = "工号" if key_column == "staff_no" else "手机号"
    units = {unit.name: unit for unit in OrganisationUnit.objects.all()}
    username_validator = UnicodeUsernameValidator()
    today = timezone.localdate()
    first_line_of: dict[str, int] = {}
    data_rows = table[1:]

    for line, raw in enumerate(data_rows, start=2):

        def cell(key):
            index = columns.get(key)
            return raw[index] if index is not None and index < len(raw) else None

        if not any(_text(value) for value in raw):
            continue  # blank lines are ignored
        reasons = []
        name = re.sub(r"\s+", "", _text(cell("name")))
        if not name:
            reasons.append("缺少姓名")
        elif len(name) > 150:
            reasons.append("姓名过长")

        key_label = report.key_label
        username = _text(cell(key_column))
        if not username:
            reasons.append(f"缺少{key_label}")
        elif key_column == "phone" and not PHONE_RE.match(username):
            reasons.append(f"手机号「{username}」格式不正确，应为 11 位数字")
        else:
            try:
                username_validator(username)
                if len(username) > 150:
                    raise ValidationError("too long")
            except ValidationError:
                reasons.append(f"{key_label}「{username}」含有不允许的字符（只能用字母、数字和 @ . + - _）")
        if username and username in first_line_of:
            reasons.append(f"{key_label}「{username}」与第{first_line_of[username]}行重复")
        elif username:
            first_line_of[username] = line

        branch_name = _text(cell("branch"))
        branch = units.get(branch_name)
        if not branch_name:
            reasons.append("缺少支部")
        elif branch is None:
            reasons.append(f"未知的支部「{branch_name}」，请先在“党组织”中建立")
        elif branch.kind != OrganisationUnit.Kind.BRANCH:
            reasons.append(f"「{branch_name}」是{branch.get_kind_display()}，党员只能编入党支部")

        status_text = _text(cell("status"))
        status = STATUS_BY_TEXT.get(status_text)
        if not status_text:
            reasons.append("缺少身份")
        elif status is None:
            reasons.append(f"未知的身份「{status_text}」（可填：{'、'.join(MemberStatus.labels)}）")

        joined = None
        joined_raw = cell("joined")
        if _text(joined_raw):
            try:
                joined = parse_date(joined_raw)
            except ValueError:
                reasons.append(f"入党时间「{_text(joined_raw)}」不是有效日期（例如 2020-07-01）")
            else:
                if joined > today:
                    reasons.append("入党时间不能晚于今天")
                elif status and status not in JOINED_ALLOWED:
                    reasons.append(f"身份为「{MemberStatus(status).label}」时不应填写入党时间")

        role_text = _text(cell("role"))
        role = ROLE_BY_TEXT.get(role_text) if role_text else None
        if role_text and role is None:
            reasons.append(f"未知的角色「{role_text}」（可填：{'、'.join(BranchRole.labels)}）")

        if reasons:
            report.errors.extend(ImportProblem(line, reason) for reason in reasons)
        else:
            report.rows.append(PersonRow(line, name, username, branch, status, joined, role))


def _plan(report: ImportReport) -> dict[str, User]:
    """Mark each row 新建 / 更新 / 无变化 against what is stored."""
    existing = {
        user.username: user
        for user in User.objects.filter(username__in=[row.username for row in report.rows]).select_related("membership")
    }
    for row in report.rows:
        user = existing.get(row.username)
        if user is None:
            row.action = "新建"
            continue
        membership = getattr(user, "membership", None)
        same = (
            user.get_full_name() == row.name
            and user.organisation_id == row.branch.pk
            and membership is not None
            and membership.status == row.status
            and (row.joined is None or membership.joined_party_on == row.joined)
            and (row.role is None or membership.role == row.role)
        )
        row.action = "无变化" if same else "更新"
    return existing


def _write(report: ImportReport, existing: dict[str, User], by: User | None) -> None:
    today = timezone.localdate()
    for row in report.rows:
        if row.action == "无变化":
            continue
        last_name, first_name = split_name(row.name)
        user = existing.get(row.username)
        if user is None:
            user = User(username=row.username, last_name=last_name, first_name=first_name, organisation=row.branch)
            user.set_unusable_password()
            mark_initial_password(user, save=False)  # whatever password they get first is not their own
            user.save()
            membership = None
        else:
            if user.get_full_name() != row.name:
                user.last_name, user.first_name = last_name, first_name
            user.organisation = row.branch
            user.save(update_fields=["last_name", "first_name", "organisation"])
            membership = getattr(user, "membership", None)
        if membership is None:
            membership = Membership.objects.create(
                user=user, status=row.status, joined_party_on=row.joined, role=row.role or BranchRole.MEMBER
            )
            StatusChange.objects.create(
                membership=membership,
                from_status="",
                to_status=row.status,
                changed_on=today,
                note=IMPORT_NOTE,
                recorded_by=by,
            )
            continue
        previous = membership.status
        membership.status = row.status
        if row.joined is not None:
            membership.joined_party_on = row.joined
        if row.role is not None:
            membership.role = row.role
        membership.save()
        if previous != row.status:
            StatusChange.objects.create(
                membership=membership,
                from_status=previous,
                to_status=row.status,
                changed_on=today,
                note=IMPORT_NOTE,
                recorded_by=by,
            )


def run_import(file, *, dry_run: bool, by: User | None) -> ImportReport:
    report = ImportReport()
    try:
        table = read_table(file)
    except ImportFileError as exc:
        report.errors.append(ImportProblem(1, str(exc)))
        return report
    _check_rows(table, report)
    if report.errors:
        report.rows = []
        return report
    if not report.rows:
        report.errors.append(ImportProblem(2, "文件中没有人员数据"))
        return report
    with transaction.atomic():
        existing = _plan(report)
        if not dry_run:
            _write(report, existing, by)
            report.committed = True
    return report
