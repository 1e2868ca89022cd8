"""学习进度 in the admin: what a 支部书记 and a 管理员 see, the filters, the Excel export, and
that nobody outside a secretary's units ever appears."""

import datetime
import io
from urllib.parse import unquote

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cms.accounts.models import BranchRole, MemberStatus
from cms.accounts.roles import ADMINISTRATOR, EDITOR, SECRETARY
from cms.accounts.selectors import scope_of
from cms.study import selectors
from tests.access import assert_refused_in_admin, assert_sent_to_admin_log_in
from tests.factories import PASSWORD, CourseFactory, LessonFactory, UserFactory
from tests.html import error_texts, rows_by_first_cell, soup, summary, table_rows

from .conftest import study

S = MemberStatus
OVERVIEW = "/admin/study/progress/"
PARTY_STATUSES = [S.ACTIVIST, S.CANDIDATE, S.PROBATIONARY, S.FULL]


@pytest.fixture
def charter(units):
    """A required course whose deadline has passed, for activists to full members, 3 lessons."""
    course = CourseFactory(
        title="学习贯彻党章",
        required=True,
        audience_statuses=PARTY_STATUSES,
        deadline=timezone.localdate() - datetime.timedelta(days=1),
    )
    lessons = [LessonFactory(parent=course, title=f"第{n}课") for n in (1, 2, 3)]
    return course, lessons


@pytest.fixture
def people(person, charter):
    _, lessons = charter
    found = {
        "secretary": person("赵书记", "第一党支部", role=BranchRole.SECRETARY, username="1001"),
        "done": person("钱学员", "第一党支部", username="1002"),
        "started": person("孙积极", "第一党支部", status=S.ACTIVIST, username="1003"),
        "applicant": person("李申请", "第一党支部", status=S.APPLICANT, username="1004"),  # not in the audience
        "gone": person("吴转出", "第一党支部", status=S.TRANSFERRED_OUT, username="1005"),
        "inactive": person("郑停用", "第一党支部", username="1006", is_active=False),
        "second": person("周党员", "第二党支部", status=S.PROBATIONARY, username="2001"),
        "third": person("冯党员", "第三党支部", username="3001"),
    }
    for lesson in lessons:
        study(found["done"], lesson, seconds=150, complete=True)
    study(found["started"], lessons[0], seconds=90)
    study(found["second"], lessons[0], seconds=60, complete=True)
    return found


def last_report_of(people, who="started"):
    from cms.study.models import LessonProgress

    return LessonProgress.objects.filter(user=people[who]).latest("last_active_at").last_active_at


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def course_url(course, suffix=""):
    return reverse("study_course_progress", args=[course.pk]) + suffix


def test_secretary_sees_their_branch_counts(client, people, charter):
    course, _ = charter
    login(client, people["secretary"])
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    text = response.content.decode()
    assert soup(response).select_one("header h1").get_text(strip=True) == "学习进度"
    assert "统计范围：第一党支部" in text
    row = rows_by_first_cell(response)["学习贯彻党章 3 个课时"]
    assert row["应学人数"] == "3"  # 赵书记, 钱学员, 孙积极: not the applicant, 已转出 or the disabled account
    assert (row["已学完"], row["学习中"], row["未开始"], row["已逾期"]) == ("1", "1", "1", "2")
    assert row["完成率"] == "33.3%"
    assert row["学习要求"].startswith("必修")


def test_drill_down_lists_each_person_with_their_progress(client, people, charter):
    course, _ = charter
    login(client, people["secretary"])
    response = client.get(course_url(course))
    assert response.status_code == 200
    assert summary(response) == {
        "应学人数": "3",
        "已学完": "1",
        "学习中": "1",
        "未开始": "1",
        "已逾期": "2",
        "完成率": "33.3%",
    }
    rows = rows_by_first_cell(response)
    assert set(rows) == {"赵书记 1001", "钱学员 1002", "孙积极 1003"}
    done, started, idle = rows["钱学员 1002"], rows["孙积极 1003"], rows["赵书记 1001"]
    assert (done["已学课时"], done["学习时长"], done["状态"]) == ("3/3", "7 分钟", "已学完")
    assert done["所在组织"] == "第一党支部" and done["身份"] == "正式党员"
    last = timezone.localtime(last_report_of(people, "done"))
    assert done["最近学习"] == f"{last.year}年{last.month}月{last.day}日 {last:%H:%M}"
    assert (started["已学课时"], started["学习时长"], started["状态"]) == ("0/3", "1 分钟", "学习中 已逾期")
    assert (idle["已学课时"], idle["学习时长"], idle["最近学习"], idle["状态"]) == ("0/3", "—", "—", "未开始 已逾期")
    overdue_rows = soup(response).select("tbody tr.dj-overdue")
    assert len(overdue_rows) == 2


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?state=not_started", {"赵书记 1001"}),
        ("?state=in_progress", {"孙积极 1003"}),
        ("?state=completed", {"钱学员 1002"}),
        ("?state=overdue", {"赵书记 1001", "孙积极 1003"}),
    ],
)
def test_state_filter(client, people, charter, query, expected):
    course, _ = charter
    login(client, people["secretary"])
    response = client.get(course_url(course, query))
    assert set(rows_by_first_cell(response)) == expected
    assert f"筛选结果：共 {len(expected)} 人" in response.content.decode()


def test_secretary_never_sees_people_outside_their_units(client, people, charter, units):
    course, _ = charter
    login(client, people["secretary"])
    outsiders = ["周党员", "冯党员", "吴转出", "郑停用", "李申请"]
    pages = [client.get(OVERVIEW), client.get(course_url(course)), client.get(course_url(course, "?state=completed"))]
    for response in pages:
        assert response.status_code == 200
        assert not [name for name in outsiders if name in response.content.decode()]
    # Asking for another branch by id is refused, not answered.
    response = client.get(course_url(course, f"?unit={units['第二党支部'].pk}"))
    assert "周党员" not in response.content.decode()
    assert table_rows(response) == [["没有符合筛选条件的人员。"]]
    assert any("选择一个有效的选项" in error for error in error_texts(response))
    # The unit filter only offers the secretary's own units.
    options = [o.get_text() for o in soup(client.get(course_url(course))).select("select[name=unit] option")]
    assert options == ["全部组织", "第一党支部"]
    export = client.get(course_url(course, "export/"))
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["孙积极", "赵书记", "钱学员"]


def test_general_branch_secretary_sees_the_branches_below(client, person, people, charter, units):
    course, _ = charter
    secretary = person("陈总支", "机关党总支", role=BranchRole.SECRETARY, username="9001")
    login(client, secretary)
    response = client.get(course_url(course))
    assert set(rows_by_first_cell(response)) == {"陈总支 9001", "冯党员 3001"}
    assert "统计范围：机关党总支及其下级组织" in response.content.decode()


def test_administrator_sees_every_unit_and_can_filter_by_unit(client, people, charter, units):
    course, _ = charter
    login(client, UserFactory(groups=[ADMINISTRATOR]))
    response = client.get(OVERVIEW)
    row = rows_by_first_cell(response)["学习贯彻党章 3 个课时"]
    assert (row["应学人数"], row["已学完"], row["完成率"]) == ("5", "1", "20%")
    assert "统计范围：全部组织" in response.content.decode()
    response = client.get(course_url(course, f"?unit={units['机关党总支'].pk}"))
    assert set(rows_by_first_cell(response)) == {"冯党员 3001"}  # the unit and everything below it
    response = client.get(course_url(course, f"?unit={units['committee'].pk}&state=in_progress"))
    assert set(rows_by_first_cell(response)) == {"孙积极 1003", "周党员 2001"}


def test_course_for_other_branches_is_invisible(client, people, units):
    other = CourseFactory(title="第二党支部：联建共建", audience_units=[units["第二党支部"]])
    LessonFactory(parent=other)
    login(client, people["secretary"])
    assert "联建共建" not in client.get(OVERVIEW).content.decode()
    assert client.get(course_url(other)).status_code == 404
    assert client.get(course_url(other, "export/")).status_code == 404
    client.logout()
    login(client, people["second"])  # a plain member of that branch has no admin report at all
    assert_sent_to_admin_log_in(client.get(course_url(other)), course_url(other))


def test_course_with_no_one_in_scope(client, people, units):
    CourseFactory(title="面向第一党支部的选学课", audience_units=[units["第一党支部"]], audience_statuses=[S.CANDIDATE])
    login(client, people["secretary"])
    row = rows_by_first_cell(client.get(OVERVIEW))["面向第一党支部的选学课 0 个课时"]
    assert (row["应学人数"], row["完成率"], row["学习要求"]) == ("0", "—", "选学")


def test_unpublished_lessons_do_not_count(client, people, charter):
    course, lessons = charter
    lessons[2].unpublish()
    login(client, people["secretary"])
    rows = rows_by_first_cell(client.get(course_url(course)))
    assert rows["钱学员 1002"]["已学课时"] == "2/2"


def test_export_is_the_filtered_table_as_xlsx(client, people, charter):
    course, _ = charter
    login(client, people["secretary"])
    link = next(
        a
        for a in soup(client.get(course_url(course, "?state=overdue"))).select(".dj-actions a")
        if "导出 Excel" in a.get_text()
    )
    assert link["href"] == course_url(course, "export/?state=overdue")
    response = client.get(link["href"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="study-progress-{course.pk}.xlsx"; ')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == f"学习进度-学习贯彻党章-{timezone.localdate():%Y%m%d}.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "学习贯彻党章"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "姓名",
        "工号",
        "所在组织",
        "身份",
        "已学课时",
        "课时总数",
        "学习时长（分钟）",
        "最近学习",
        "学习状态",
        "是否逾期",
    )
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"赵书记", "孙积极"}
    assert by_name["赵书记"] == ("赵书记", "1001", "第一党支部", "正式党员", 0, 3, 0, None, "未开始", "已逾期")
    started = by_name["孙积极"]
    assert started[:7] == ("孙积极", "1003", "第一党支部", "入党积极分子", 0, 3, 1.5)
    # 最近学习 is the local (Beijing) time of the last report, as a spreadsheet date-time.
    last_report = last_report_of(people)
    expected = timezone.localtime(last_report).replace(tzinfo=None)
    assert isinstance(started[7], datetime.datetime) and abs(started[7] - expected) < datetime.timedelta(seconds=1)
    assert started[8:] == ("学习中", "已逾期")


def test_export_of_everyone_reads_back_numbers(client, people, charter):
    course, _ = charter
    login(client, people["secretary"])
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(course_url(course, "export/")).content)).active
    done = next(row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == "钱学员")
    assert done[4:7] == (3, 3, 7.5) and done[8:] == ("已学完", None)


def test_export_writes_names_that_look_like_formulas_as_text(client, people, charter, person):
    """Anyone can set their own name on their account page: "=HYPERLINK(…)" must not become a
    live link in the secretary's spreadsheet."""
    course, _ = charter
    person('=HYPERLINK("http://evil.example/","赵")', "第一党支部", username="1009")
    login(client, people["secretary"])
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(course_url(course, "export/")).content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=2)]
    hostile = next(cell for cell in names if "HYPERLINK" in str(cell.value))
    assert hostile.data_type == "s" and hostile.value.startswith("'=")
    assert not [cell for cell in sheet["A"] if cell.data_type == "f"]


def test_plain_editor_is_refused_and_has_no_menu_item(client, people, charter):
    course, _ = charter
    login(client, UserFactory(groups=[EDITOR]))
    assert f'"url": "{OVERVIEW}"' not in client.get(reverse("wagtailadmin_home")).content.decode()
    for url in (OVERVIEW, course_url(course), course_url(course, "export/")):
        response = client.get(url)
        assert_refused_in_admin(response)
        assert "钱学员" not in response.content.decode()


def test_menu_item_for_secretaries(client, people):
    login(client, people["secretary"])
    assert f'"url": "{OVERVIEW}"' in client.get(reverse("wagtailadmin_home")).content.decode()


def test_group_without_the_role_gives_no_one(client, person, people, charter):
    """Put in the 支部书记 group by hand, without being a secretary on record: nothing to see."""
    course, _ = charter
    intruder = person("黄冒名", "第一党支部", username="7001")
    intruder.groups.add(people["secretary"].groups.get(name=SECRETARY))
    login(client, intruder)
    assert_refused_in_admin(client.get(OVERVIEW))
    assert_refused_in_admin(client.get(course_url(course, "export/")))


def test_transferred_out_secretary_loses_the_report(client, people):
    from cms.accounts.services import change_status

    secretary = people["secretary"]
    change_status(secretary.membership, S.TRANSFERRED_OUT, on=timezone.localdate(), by=None)
    login(client, secretary)
    assert_sent_to_admin_log_in(client.get(OVERVIEW), OVERVIEW)  # no admin access left at all


def test_batched_audience_matches_is_in_audience(people, person, units):
    """The report decides audiences in memory; it must agree with the member API's rule."""
    courses = [
        CourseFactory(title="全体", audience_statuses=[]),
        CourseFactory(title="党总支", audience_units=[units["机关党总支"]]),
        CourseFactory(title="积极分子·第一", audience_units=[units["第一党支部"]], audience_statuses=[S.ACTIVIST]),
        CourseFactory(title="党委", audience_units=[units["committee"]], audience_statuses=[S.FULL]),
    ]
    person("无组织", None, username="8001")
    admin = UserFactory(groups=[ADMINISTRATOR])
    reports = {report.course.title: report for report in selectors.progress_reports(scope_of(admin))}
    from cms.accounts.models import User

    everyone = list(User.objects.filter(is_active=True, membership__isnull=False))
    for course in courses:
        course = type(course).objects.get(pk=course.pk)
        expected = {user.username for user in everyone if selectors.is_in_audience(user, course)}
        assert {row.user.username for row in reports[course.title].rows} == expected, course.title


def _course_with_many_people(units, person, count):
    course = CourseFactory(title=f"{count}人课程", required=True)
    lessons = [LessonFactory(parent=course) for _ in range(3)]
    for n in range(count):
        user = person(f"学员{n:03d}", "第一党支部", username=f"m{count}-{n:03d}")
        for lesson in lessons[: n % 4]:
            study(user, lesson, seconds=60, complete=n % 2 == 0)
    return course


def test_query_count_does_not_grow_with_people(client, units, person, django_assert_num_queries):
    secretary = person("赵书记", "第一党支部", role=BranchRole.SECRETARY, username="s-1")
    course = _course_with_many_people(units, person, 30)

    def queries(fn):
        with CaptureQueriesContext(connection) as captured:
            fn()
        return len(captured)

    scope = scope_of(secretary)
    few = queries(lambda: selectors.course_report(scope, course.pk))
    _course_with_many_people(units, person, 10)  # 40 people now, two courses
    more = queries(lambda: selectors.progress_reports(scope))
    assert more == few  # the same fixed set of queries for one course or all, 31 or 41 people

    login(client, secretary)
    # Per-process caches (content types, which the 表单 menu item looks up) are warm in a
    # running server; a first admin page warms them here too, so the counts below are exact
    # whatever ran before in this process.
    client.get("/admin/")
    # An exact, fixed count per admin page, whatever the number of people. The report is 7
    # queries, one of them added by cms/assessment: the quizzes that the completion rule links
    # to the courses (``courses_waiting_for_a_quiz``). The rest is the request (session, user,
    # OTP device, permissions, profile), the secretary's scope (group, member record, units:
    # computed once per request, ``scope_of`` remembers it for the menu items) and, on the
    # HTML pages, the menu and the page: locale, page/collection/site permissions for
    # wagtail's search areas and settings, the consultation menu's (answering member record,
    # group 答复), the unit filter's choices. The assessment menus add none (permission checks only).
    with django_assert_num_queries(23):
        response = client.get(course_url(course))
    assert summary(response)["应学人数"] == "41"
    with django_assert_num_queries(21):  # no menu; the audit entry of the export instead
        client.get(course_url(course, "export/"))
    with django_assert_num_queries(22):  # no unit filter on the overview
        client.get(OVERVIEW)
