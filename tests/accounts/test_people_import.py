import datetime
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from cms.accounts.models import BranchRole, MemberStatus, OrganisationUnit, StatusChange, User
from cms.accounts.services import import_people
from tests.factories import MembershipFactory, OrganisationUnitFactory, UserFactory

pytestmark = pytest.mark.django_db
HEADER = "姓名,工号,支部,身份,入党时间,角色"


@pytest.fixture
def branches():
    committee = OrganisationUnitFactory(name="集团党委", kind=OrganisationUnit.Kind.COMMITTEE)
    return {
        "第一党支部": OrganisationUnitFactory(name="第一党支部", parent=committee),
        "第二党支部": OrganisationUnitFactory(name="第二党支部", parent=committee),
    }


@pytest.fixture
def admin():
    return UserFactory(username="admin")


def csv_file(*lines: str, encoding="utf-8-sig") -> io.BytesIO:
    data = io.BytesIO("\r\n".join(lines).encode(encoding))
    data.name = "名单.csv"
    return data


CLEAN = [
    HEADER,
    "张三,1001,第一党支部,正式党员,2010-07-01,支部书记",
    "欧阳娜娜,1002,第一党支部,预备党员,2025/7/1,",
    "李四,1003,第二党支部,入党积极分子,,",
]


def test_clean_csv_creates_people_with_membership_and_history(branches, admin):
    report = import_people(csv_file(*CLEAN), dry_run=False, by=admin)
    assert report.ok and report.committed
    assert (report.to_create, report.to_update) == (3, 0)
    zhang = User.objects.get(username="1001")
    assert zhang.display_name == "张三"
    assert zhang.organisation == branches["第一党支部"]
    assert zhang.membership.status == MemberStatus.FULL
    assert zhang.membership.role == BranchRole.SECRETARY
    assert zhang.membership.joined_party_on == datetime.date(2010, 7, 1)
    assert not zhang.has_usable_password()
    ouyang = User.objects.get(username="1002")
    assert (ouyang.last_name, ouyang.first_name) == ("欧阳", "娜娜")
    assert ouyang.membership.role == BranchRole.MEMBER
    change = StatusChange.objects.get(membership__user=zhang)
    assert (change.from_status, change.to_status, change.note, change.recorded_by) == (
        "",
        MemberStatus.FULL,
        "批量导入",
        admin,
    )


def test_dry_run_reports_counts_and_writes_nothing(branches, admin):
    report = import_people(csv_file(*CLEAN), dry_run=True, by=admin)
    assert report.ok and not report.committed
    assert report.to_create == 3
    assert "检查通过（尚未导入）" in report.summary()
    assert not User.objects.filter(username__in=["1001", "1002", "1003"]).exists()


def test_bad_rows_are_reported_by_line_and_nothing_is_written(branches, admin):
    report = import_people(
        csv_file(
            HEADER,
            "张三,1001,第一党支部,正式党员,2010-07-01,",
            "李四,1002,第九党支部,正式党员,,",  # line 3: unknown branch
            "王五,1003,第二党支部,党小组长,,",  # line 4: unknown status
            "赵六,1004,第二党支部,正式党员,2020-13-45,",  # line 5: bad date
            "孙七,1001,第二党支部,入党申请人,,",  # line 6: duplicate 工号
            ",1006,第二党支部,入党申请人,,",  # line 7: missing name
        ),
        dry_run=False,
        by=admin,
    )
    assert not report.ok and not report.committed
    assert [(p.line, p.reason) for p in report.errors] == [
        (3, "未知的支部「第九党支部」，请先在“党组织”中建立"),
        (4, "未知的身份「党小组长」（可填：入党申请人、入党积极分子、发展对象、预备党员、正式党员、已转出）"),
        (5, "入党时间「2020-13-45」不是有效日期（例如 2020-07-01）"),
        (6, "工号「1001」与第2行重复"),
        (7, "缺少姓名"),
    ]
    assert "未导入任何数据" in report.summary()
    assert not User.objects.filter(username__startswith="100").exists()


def test_missing_columns_are_reported_on_the_header_line(branches, admin):
    report = import_people(csv_file("姓名,支部", "张三,第一党支部"), dry_run=True, by=admin)
    assert [p.line for p in report.errors] == [1]
    assert "缺少必填列：工号（或手机号）、身份" in report.errors[0].reason


def test_people_belong_to_branches_only(branches, admin):
    report = import_people(csv_file(HEADER, "张三,1001,集团党委,正式党员,,"), dry_run=True, by=admin)
    assert [str(p) for p in report.errors] == ["第2行：「集团党委」是党委，党员只能编入党支部"]


def test_gbk_csv_from_chinese_excel_and_phone_numbers_as_key(branches, admin):
    data = csv_file(
        "姓名,手机号,支部,身份",
        "张三,13800138000,第一党支部,发展对象",
        "李四,1380013,第一党支部,发展对象",
        encoding="gbk",
    )
    report = import_people(data, dry_run=True, by=admin)
    assert [str(p) for p in report.errors] == ["第3行：手机号「1380013」格式不正确，应为 11 位数字"]


def test_xlsx_works(branches, admin):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "工号", "支部", "身份", "入党时间", "角色"])
    sheet.append(["张三", 1001, "第一党支部", "正式党员", datetime.datetime(2010, 7, 1), "组织委员"])
    sheet.append(["李四", "1002", "第二党支部", "入党申请人", None, None])
    sheet.append([None, None, None, None, None, None])  # blank line: ignored
    sheet.append(["王五", 1003.0, "第二党支部", "预备党员", "2025年7月1日", "党员"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "名单.xlsx"

    report = import_people(buffer, dry_run=False, by=admin)
    assert report.ok, report.errors
    assert report.to_create == 3
    zhang = User.objects.get(username="1001")
    assert zhang.membership.joined_party_on == datetime.date(2010, 7, 1)
    assert zhang.membership.role == BranchRole.ORGANISATION
    assert User.objects.get(username="1003").membership.joined_party_on == datetime.date(2025, 7, 1)


def test_xlsx_errors_use_excel_line_numbers(branches, admin):
    book = openpyxl.Workbook()
    book.active.append(["姓名", "工号", "支部", "身份"])
    book.active.append(["张三", 1001, "第一党支部", "正式党员"])
    book.active.append(["李四", 1002, "第一党支部", "群众"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_people(buffer.getvalue(), dry_run=True, by=admin)
    assert [p.line for p in report.errors] == [3]


def test_reimport_updates_instead_of_duplicating(branches, admin):
    import_people(csv_file(*CLEAN), dry_run=False, by=admin)
    users = User.objects.count()
    report = import_people(
        csv_file(
            HEADER,
            "张三,1001,第一党支部,正式党员,2010-07-01,支部书记",  # unchanged
            "欧阳娜娜,1002,第二党支部,正式党员,2025/7/1,",  # moved and promoted
            "李四,1003,第二党支部,入党积极分子,,",  # unchanged
        ),
        dry_run=False,
        by=admin,
    )
    assert report.ok
    assert (report.to_create, report.to_update, report.unchanged) == (0, 1, 2)
    assert User.objects.count() == users
    ouyang = User.objects.get(username="1002")
    assert ouyang.organisation == branches["第二党支部"]
    assert ouyang.membership.status == MemberStatus.FULL
    assert list(ouyang.membership.status_changes.values_list("from_status", "to_status")) == [
        ("", MemberStatus.PROBATIONARY),
        (MemberStatus.PROBATIONARY, MemberStatus.FULL),
    ]


def test_existing_user_without_a_record_gets_one(branches, admin):
    UserFactory(username="1001", last_name="张", first_name="三")
    MembershipFactory(user=UserFactory(username="1002"), status=MemberStatus.ACTIVIST)
    report = import_people(
        csv_file(HEADER, "张三,1001,第一党支部,发展对象,,", "李四,1002,第一党支部,发展对象,,"), dry_run=False, by=admin
    )
    assert (report.to_create, report.to_update) == (0, 2)
    assert User.objects.get(username="1001").membership.status == MemberStatus.CANDIDATE


def test_command_is_a_dry_run_unless_told_to_commit(branches, tmp_path, capsys):
    path = tmp_path / "名单.csv"
    path.write_text("\n".join(CLEAN), encoding="utf-8")
    call_command("import_people", str(path))
    out = capsys.readouterr().out
    assert "将新建 3 人" in out and "试运行" in out
    assert not User.objects.filter(username="1001").exists()
    call_command("import_people", str(path), "--commit")
    assert "导入完成：新建 3 人" in capsys.readouterr().out
    assert User.objects.filter(username__in=["1001", "1002", "1003"]).count() == 3


def test_command_fails_with_the_report_on_errors(branches, tmp_path, capsys):
    path = tmp_path / "名单.csv"
    path.write_text(HEADER + "\n张三,1001,第九党支部,正式党员,,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 处错误"):
        call_command("import_people", str(path), "--commit")
    assert "第2行\t未知的支部「第九党支部」" in capsys.readouterr().out
    assert not User.objects.filter(username="1001").exists()


def test_administrators_may_import_people(home):
    from cms.accounts.roles import ADMINISTRATOR, EDITOR

    assert UserFactory(groups=[ADMINISTRATOR]).has_perm("accounts.import_people")
    assert not UserFactory(groups=[EDITOR]).has_perm("accounts.import_people")
