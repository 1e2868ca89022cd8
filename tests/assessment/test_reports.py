"""测评统计 in the admin: a 支部书记 sees their own units only — score distribution, who has not
taken a required quiz, the knowledge points missed most, contest rankings — and the export."""

import datetime
import io

import openpyxl
import pytest
from django.utils import timezone

from cms.accounts.models import BranchRole, MemberStatus
from cms.accounts.selectors import scope_of
from cms.assessment import reports, services
from cms.assessment.models import QuizKind
from cms.audit.models import AuditEntry
from tests.assessment.conftest import hand_in, key, member, shown_key
from tests.assessment.factories import KnowledgePointFactory, QuestionFactory, QuizFactory
from tests.factories import PASSWORD


@pytest.fixture
def world(root, org):
    weak = KnowledgePointFactory(name="党的纪律")
    strong = KnowledgePointFactory(name="党的历史")
    hard = QuestionFactory(knowledge_points=[weak])
    easy = QuestionFactory(knowledge_points=[strong])
    quiz = QuizFactory(title="必答测验", required=True, questions=[hard, easy], audience_units=[org.committee])
    people = {
        "secretary": member(
            org.first, MemberStatus.FULL, BranchRole.SECRETARY, username="s1", last_name="赵", first_name="书记"
        ),
        "good": member(org.first, MemberStatus.FULL, username="m1", last_name="钱", first_name="满分"),
        "half": member(org.first, MemberStatus.FULL, username="m2", last_name="孙", first_name="一半"),
        "absent": member(org.first, MemberStatus.FULL, username="m3", last_name="李", first_name="未答"),
        "elsewhere": member(org.second, MemberStatus.FULL, username="m4", last_name="周", first_name="二支"),
    }
    for name, right in (("good", (hard, easy)), ("half", (easy,)), ("elsewhere", (hard, easy))):
        attempt, _ = services.start_attempt(people[name], quiz)
        for question in right:
            services.save_answer(people[name], attempt.pk, question.pk, [shown_key(attempt, question, "B")])
        hand_in(people[name], attempt.pk, key())
    return type("World", (), {"quiz": quiz, "people": people, "weak": weak, "strong": strong})


def test_a_secretary_sees_their_branch_only(world):
    scope = scope_of(world.people["secretary"])
    report = reports.quiz_report(scope, world.quiz.pk)

    names = {row.user.username for row in report.rows}
    assert names == {"s1", "m1", "m2", "m3"}
    assert {row.user.username for row in report.not_taken} == {"s1", "m3"}
    assert report.passed == 1 and report.mean == 75.0
    assert dict(report.distribution) == {"90–100": 1, "80–89": 0, "70–79": 0, "60–69": 0, "0–59": 1}
    missed = reports.missed_points(scope)
    assert [(m.point.name, m.answered, m.wrong) for m in missed] == [("党的纪律", 2, 1), ("党的历史", 2, 0)]


def test_the_admin_pages_and_the_audited_export(client, world):
    assert client.login(username="s1", password=PASSWORD)
    overview = client.get("/admin/assessment/reports/")
    assert overview.status_code == 200
    text = overview.content.decode()
    assert "必答测验" in text and "党的纪律" in text and "统计范围：第一党支部" in text
    detail = client.get(f"/admin/assessment/reports/{world.quiz.pk}/").content.decode()
    assert "李未答" in detail and "周二支" not in detail

    export = client.get(f"/admin/assessment/reports/{world.quiz.pk}/export/")

    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["成绩", "未参加", "成绩分布"]
    results = [list(r) for r in book["成绩"].iter_rows(values_only=True)]
    assert {r[0] for r in results[1:]} == {"赵书记", "钱满分", "孙一半", "李未答"}
    assert {r[0] for r in list(book["未参加"].iter_rows(values_only=True))[1:]} == {"赵书记", "李未答"}
    assert AuditEntry.objects.filter(action="data.assessment_exported").count() == 1


def test_contest_ranking_in_the_report_is_scoped(client, world, org):
    starts = timezone.now() - datetime.timedelta(minutes=5)
    contest = QuizFactory(
        title="竞赛",
        kind=QuizKind.CONTEST,
        questions=[QuestionFactory()],
        audience_units=[org.committee],
        starts_at=starts,
        time_limit_minutes=30,
    )
    for name in ("good", "elsewhere"):
        attempt, _ = services.start_attempt(world.people[name], contest)
        hand_in(world.people[name], attempt.pk, key())
    ranking = reports.scoped_ranking(contest, scope_of(world.people["secretary"]))
    assert [e.attempt.user.username for e in ranking] == ["m1"]
    assert client.login(username="s1", password=PASSWORD)
    export = client.get(f"/admin/assessment/reports/{contest.pk}/export/")
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    assert [r[1] for r in list(book["排名"].iter_rows(values_only=True))[1:]] == ["钱满分"]


def test_hostile_names_are_not_formulas_in_the_export(client, world, org):
    world.people["absent"].last_name = '=HYPERLINK("http://evil.example/","'
    world.people["absent"].first_name = '点")'
    world.people["absent"].save()
    assert client.login(username="s1", password=PASSWORD)
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/admin/assessment/reports/{world.quiz.pk}/export/").content))
    names = [r[0] for r in list(book["未参加"].iter_rows(values_only=True))[1:]]
    assert '\'=HYPERLINK("http://evil.example/","点")' in names
