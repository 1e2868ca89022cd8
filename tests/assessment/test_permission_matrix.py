"""Every assessment endpoint and admin view × every kind of person, in one table; plus CSRF.

The quiz and the contest are for 第一党支部 (under 机关党总支 under 机关党委)."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from cms.accounts.models import BranchRole, MemberStatus
from cms.accounts.roles import EDITOR
from cms.assessment import services
from cms.assessment.models import Attempt, AttemptAnswer, QuizKind
from tests.assessment.conftest import API, administrator, client_for, key, member
from tests.assessment.factories import KnowledgePointFactory, QuestionFactory, QuizFactory
from tests.factories import UserFactory

PERSONAS = ["anonymous", "outsider", "in_audience", "other_secretary", "editor", "admin"]

MATRIX = {
    "GET quizzes/": (401, 200, 200, 200, 200, 200),
    "GET quizzes/{quiz}/": (401, 404, 200, 404, 404, 404),
    "POST quizzes/{quiz}/attempts/": (401, 404, 200, 404, 404, 404),
    "GET attempts/": (401, 200, 200, 200, 200, 200),
    "GET attempts/{attempt}/": (401, 404, 200, 404, 404, 404),
    "PUT attempts/{attempt}/answers/{question}/": (401, 404, 200, 404, 404, 404),
    "POST attempts/{attempt}/submit/": (401, 404, 202, 404, 404, 404),
    "GET attempts/{done}/result/": (401, 404, 200, 404, 404, 404),
    "GET mastery/": (401, 200, 200, 200, 200, 200),
    "GET notebook/": (401, 200, 200, 200, 200, 200),
    "POST practice/": (401, 201, 201, 201, 201, 201),
    "GET contests/{contest}/ranking/": (401, 404, 200, 404, 404, 404),
    # Admin: Wagtail sends people without the right away (302); a quiz outside a secretary's
    # units is a 404.
    "GET /admin/assessment/import/": (302, 302, 302, 302, 200, 200),
    "GET /admin/assessment/export/": (302, 302, 302, 302, 200, 200),
    "GET /admin/snippets/assessment/question/": (302, 302, 302, 302, 200, 200),
    "GET /admin/snippets/assessment/knowledgepoint/": (302, 302, 302, 302, 200, 200),
    "GET /admin/assessment/reports/": (302, 302, 302, 200, 302, 200),
    "GET /admin/assessment/reports/{quiz}/": (302, 302, 302, 404, 302, 200),
    "GET /admin/assessment/reports/{quiz}/export/": (302, 302, 302, 404, 302, 200),
}
CASES = [
    (endpoint, persona, expected[index])
    for endpoint, expected in MATRIX.items()
    for index, persona in enumerate(PERSONAS)
]
UNSAFE = [endpoint for endpoint in MATRIX if not endpoint.startswith("GET ")]


@pytest.fixture
def world(root, org):
    people = {
        "anonymous": None,
        "outsider": member(org.second, MemberStatus.FULL, username="outsider"),
        "in_audience": member(org.first, MemberStatus.FULL, username="inside"),
        "other_secretary": member(org.second, MemberStatus.FULL, BranchRole.SECRETARY, username="secretary2"),
        "editor": UserFactory(username="editor", groups=[EDITOR]),
        "admin": administrator(username="admin"),
    }
    point = KnowledgePointFactory(name="矩阵")
    question = QuestionFactory(knowledge_points=[point])
    quiz = QuizFactory(title="一支部测验", questions=[question], audience_units=[org.first])
    starts = timezone.now() - datetime.timedelta(hours=3)
    contest = QuizFactory(
        title="一支部竞赛",
        kind=QuizKind.CONTEST,
        questions=[question],
        audience_units=[org.first],
        starts_at=starts,
        time_limit_minutes=30,
        ranking_members=True,
    )
    person = people["in_audience"]
    done, _ = services.start_attempt(person, quiz)
    services.submit(person, done.pk, key())
    services.grade_submitted()
    attempt, _ = services.start_attempt(person, quiz)
    urls = {"quiz": quiz.pk, "contest": contest.pk, "attempt": attempt.pk, "done": done.pk, "question": question.pk}
    return SimpleNamespace(people=people, quiz=quiz, attempt=attempt, question=question, urls=urls)


def url_of(endpoint, world) -> str:
    url = endpoint.split(" ")[1].format(**world.urls)
    return url if url.startswith("/") else API + url


def request(client, endpoint, world):
    method = endpoint.split(" ")[0]
    body = None
    if "answers" in endpoint:
        body = {"answer": ["A"]}
    elif endpoint.endswith("submit/"):
        body = {"key": key()}
    elif endpoint == "POST practice/":
        body = {"source": "daily"}
    return getattr(client, method.lower())(url_of(endpoint, world), body, format="json")


@pytest.mark.parametrize(("endpoint", "persona", "expected"), CASES, ids=[f"{e} · {p}" for e, p, _ in CASES])
def test_permission_matrix(world, endpoint, persona, expected):
    person = world.people[persona]

    response = request(client_for(person), endpoint, world)

    assert response.status_code == expected, response.content[:500]
    if expected == 401:
        assert response.json() == {"detail": "登录已过期或尚未登录，请重新登录。", "code": "not_authenticated"}
    if expected == 404 and url_of(endpoint, world).startswith("/api/"):
        assert response.json() == {"detail": "未找到该测验或作答记录，或您不在测验范围内。", "code": "not_found"}
    if expected == 302:
        assert response["Location"].startswith("/admin/") and not response.content
    if expected in (401, 404) and endpoint.startswith(("PUT", "POST attempts")):
        world.attempt.refresh_from_db()
        assert not world.attempt.submitted and not AttemptAnswer.objects.filter(attempt=world.attempt).exists()
    if expected in (401, 404) and endpoint == "POST quizzes/{quiz}/attempts/" and person is not None:
        assert not Attempt.objects.filter(user=person).exists()


@pytest.mark.parametrize("endpoint", UNSAFE)
def test_unsafe_requests_without_the_csrf_token_are_refused(world, endpoint):
    client = client_for(world.people["in_audience"], enforce_csrf=True)

    response = request(client, endpoint, world)

    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    world.attempt.refresh_from_db()
    assert not world.attempt.submitted and not AttemptAnswer.objects.filter(attempt=world.attempt).exists()


@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_an_initial_password_opens_nothing(world, endpoint):
    person = world.people["in_audience"]
    person.must_change_password = True
    person.save(update_fields=["must_change_password"])

    response = request(client_for(person), endpoint, world)

    if url_of(endpoint, world).startswith("/api/"):
        assert response.status_code == 403 and response.json()["code"] == "password_change_required"
    else:
        assert response.status_code == 302
