"""The query budget of the member area's hot requests (issue 13: a whole company taking a
quiz at once, bench/quiz_load.py). Exact counts, so that a query creeping back in fails
here before it shows in the benchmark; none of them may grow with the quiz's size, the
answers given or the depth of the organisation tree.

Counted as production runs them: the SAVEPOINT/RELEASE pairs are the test's own outer
transaction turning each ``transaction.atomic`` into a savepoint (BEGIN/COMMIT in
production, not reported by Django), so they are counted separately as transactions."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.accounts.models import MemberStatus, OrganisationUnit
from cms.assessment import services
from cms.study import services as study_services
from cms.study.models import LessonProgress
from tests.assessment.conftest import API, client_for, key, member
from tests.assessment.factories import KnowledgePointFactory, QuestionFactory, QuizFactory
from tests.factories import CourseFactory, LessonFactory, OrganisationUnitFactory

#: Session row, user row: every authenticated request (SessionMiddleware, AuthenticationMiddleware).
AUTH = 2
#: The benchmark's floor, GET /api/bench/ping/ (bench/urls_quiz_load.py): the member API's
#: authentication and permission and nothing else.
TRIVIAL_QUERIES = AUTH
SESSION_QUERIES = AUTH + 10  # membership, unit name, unit path, consultations badge, quiz badge (4), notices badge
# One UPDATE that works the credit out from the row and applies only to a live lesson of a live
# course whose audience the person is in (their Party status, their unit or one above it).
HEARTBEAT_QUERIES = AUTH + 1
# The answer upsert (only while the attempt is open), no transaction: the attempt's questions
# come from the session, which kept the answer sheet when it was started or resumed.
SAVE_QUERIES = AUTH + 1
# A session that did not keep the sheet (another device's): the attempt's questions are read.
SAVE_UNKEPT_QUERIES = AUTH + 2
# Starting (a whole contest starts within seconds): the quiz (its start columns only), its
# audience unit ids, its rules, the person's Party record and unit path, the settling of expired
# attempts, the person's row (locked: one start at a time), their attempts of this quiz, the
# fixed list's ids, those questions, the insert, then the new answer sheet's questions; and the
# session's row, which now keeps the sheet.
START_QUERIES = AUTH + 13
# Resuming: the same reads up to the person's attempts, then the sheet's questions and answers.
RESUME_QUERIES = AUTH + 10
# The hand-in: one conditional UPDATE of the attempt that also counts the hand-ins waiting
# before it (the result page's wait), no transaction; the score follows from the worker.
SUBMIT_QUERIES = AUTH + 1
# The result page asking for a score the worker is still to give: one narrow read, and the
# queue ahead of it again.
RESULT_WAITING_QUERIES = AUTH + 2
# The worker's grading of a batch of hand-ins, whatever its size: the attempts (locked), their
# people (locked), questions, their knowledge points, saved answers, the answers' upsert, the
# attempts' update, mastery read and upsert, notebook read and upsert.
GRADING_QUERIES = 11


def run(call, status: int = 200) -> SimpleNamespace:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == status, response.content
    sql = [q["sql"] for q in captured.captured_queries]
    savepoints = [s for s in sql if s.startswith("SAVEPOINT")]
    statements = [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]
    return SimpleNamespace(queries=len(statements), transactions=len(savepoints), sql=statements, response=response)


def deep_unit(org, levels: int) -> OrganisationUnit:
    """A branch ``levels`` general branches below org.general (a deeper tree than usual)."""
    parent = org.general
    for level in range(levels):
        parent = OrganisationUnitFactory(
            name=f"第{level}级党总支", kind=OrganisationUnit.Kind.GENERAL_BRANCH, parent=parent
        )
    return OrganisationUnitFactory(name=f"深{levels}层党支部", parent=parent)


@pytest.fixture
def contest(root, org):
    """A person, a quiz of ``size`` questions they are taking, and a lesson they have open."""

    def make(size: int, unit=None):
        unit = unit or org.first
        person = member(unit, MemberStatus.FULL, username=f"budget-{size}-{unit.pk}")
        point = KnowledgePointFactory()
        questions = [QuestionFactory(knowledge_points=[point]) for _ in range(size)]
        quiz = QuizFactory(questions=questions, audience_units=[org.committee], time_limit_minutes=30)
        lesson = LessonFactory(parent=CourseFactory(audience_units=[org.committee]))
        client = client_for(person)
        assert client.get(API + "session/").status_code == 200  # the session's expiry is fresh
        assert client.post(API + f"lessons/{lesson.pk}/open/").status_code == 200
        attempt = client.post(API + f"quizzes/{quiz.pk}/attempts/").json()
        return SimpleNamespace(person=person, client=client, lesson=lesson, attempt=attempt)

    return make


def heartbeat(taking):
    return run(
        lambda: taking.client.post(API + f"lessons/{taking.lesson.pk}/heartbeat/", {"seconds": 30}, format="json")
    )


def save(taking, index=0):
    question = taking.attempt["questions"][index]
    return run(
        lambda: taking.client.put(
            API + f"attempts/{taking.attempt['id']}/answers/{question['id']}/",
            {"answer": [question["options"][0]["key"]]},
            format="json",
        )
    )


def submit(taking):
    return run(
        lambda: taking.client.post(API + f"attempts/{taking.attempt['id']}/submit/", {"key": key()}, format="json"),
        status=202,
    )


def grade():
    with CaptureQueriesContext(connection) as captured:
        graded = services.grade_submitted()
    sql = [q["sql"] for q in captured.captured_queries]
    statements = [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]
    return SimpleNamespace(graded=graded, queries=len(statements), sql=statements)


@pytest.mark.urls("bench.urls_quiz_load")
def test_the_benchmarks_trivial_view_reads_the_session_and_the_user_only(contest):
    """What the hot requests' costs in bench/quiz_load.py are measured against."""
    taking = contest(2)
    got = run(lambda: taking.client.get("/api/bench/ping/"))
    assert (got.queries, got.transactions) == (TRIVIAL_QUERIES, 0), got.sql
    assert got.response.json() == {"ok": True}
    taking.client.logout()
    assert taking.client.get("/api/bench/ping/").status_code == 401  # the member API's permission


def test_the_member_session_costs(contest):
    taking = contest(2)
    got = run(lambda: taking.client.get(API + "session/"))
    assert (got.queries, got.transactions) == (SESSION_QUERIES, 0), got.sql


@pytest.mark.parametrize("size", [2, 12])
def test_saving_an_answer_costs_the_same_whatever_the_quiz_size(contest, size):
    taking = contest(size)
    first, again = save(taking), save(taking)  # a new answer, then a changed one
    for got in (first, again):
        assert (got.queries, got.transactions) == (SAVE_QUERIES, 0), got.sql
    assert sum(s.startswith("INSERT") for s in first.sql) == 1


def test_a_session_that_did_not_keep_the_sheet_reads_the_attempt_once_more(contest):
    taking = contest(3)
    elsewhere = client_for(taking.person)  # a second device: its own session
    question = taking.attempt["questions"][1]
    answer = {"answer": [question["options"][0]["key"]]}

    got = run(
        lambda: elsewhere.put(API + f"attempts/{taking.attempt['id']}/answers/{question['id']}/", answer, format="json")
    )

    assert (got.queries, got.transactions) == (SAVE_UNKEPT_QUERIES, 0), got.sql
    assert got.response.json()["answer"] == answer["answer"]


@pytest.mark.parametrize("size", [2, 12])
def test_starting_and_resuming_cost_the_same_whatever_the_quiz_size(root, org, size):
    person = member(org.first, MemberStatus.FULL, username=f"starter-{size}")
    questions = [QuestionFactory(knowledge_points=[KnowledgePointFactory()]) for _ in range(size)]
    quiz = QuizFactory(questions=questions, audience_units=[org.committee], time_limit_minutes=30)
    client = client_for(person)
    assert client.get(API + "session/").status_code == 200
    start = run(lambda: client.post(API + f"quizzes/{quiz.pk}/attempts/"), status=201)
    # One transaction for the start, one for the session's row (Django's session store).
    assert (start.queries, start.transactions) == (START_QUERIES, 2), start.sql
    sheet = start.response.json()
    assert len(sheet["questions"]) == size and sheet["answers"] == {} and sheet["answered_count"] == 0
    first = sheet["questions"][0]
    client.put(
        API + f"attempts/{sheet['id']}/answers/{first['id']}/", {"answer": [first["options"][0]["key"]]}, format="json"
    )
    resume = run(lambda: client.post(API + f"quizzes/{quiz.pk}/attempts/"), status=200)
    assert (resume.queries, resume.transactions) == (RESUME_QUERIES, 1), resume.sql
    again = resume.response.json()
    assert again["id"] == sheet["id"] and again["questions"] == sheet["questions"]
    assert again["answers"] == {str(first["id"]): [first["options"][0]["key"]]} and again["answered_count"] == 1


@pytest.mark.parametrize("size", [2, 12])
def test_handing_in_costs_the_same_whatever_the_quiz_size(contest, size):
    taking = contest(size)
    for index in range(0, size, 2):  # half answered: the other half get rows of their own
        save(taking, index)
    got = submit(taking)
    assert (got.queries, got.transactions) == (SUBMIT_QUERIES, 0), got.sql
    assert got.response.json()["graded"] is False
    waiting = run(lambda: taking.client.get(API + f"attempts/{taking.attempt['id']}/result/"), status=202)
    assert (waiting.queries, waiting.transactions) == (RESULT_WAITING_QUERIES, 0), waiting.sql
    assert waiting.response.json()["submitted_at"] == got.response.json()["submitted_at"]
    graded = grade()
    assert (graded.graded, graded.queries) == (1, GRADING_QUERIES), graded.sql
    result = taking.client.get(API + f"attempts/{taking.attempt['id']}/result/").json()
    assert len(result["questions"]) == size and result["attempt"]["answered_count"] == (size + 1) // 2


@pytest.mark.parametrize("people", [1, 6])
def test_grading_a_batch_costs_the_same_whatever_its_size(contest, people):
    """The worker's pass: a contest's hand-ins graded together, not a transaction each."""
    takers = [contest(4 + n) for n in range(people)]
    for taking in takers:
        save(taking)
        submit(taking)
    got = grade()
    assert (got.graded, got.queries) == (people, GRADING_QUERIES), got.sql
    assert grade().graded == 0


def test_a_second_grading_costs_the_same_once_mastery_and_notebook_rows_exist(contest, org):
    """The person's mastery and notebook rows now exist (updates instead of inserts)."""
    taking = contest(4)
    submit(taking)
    grade()
    quiz_id = taking.attempt["quiz"]["id"]
    taking.attempt = taking.client.post(API + f"quizzes/{quiz_id}/attempts/").json()
    assert taking.attempt["state"] == "in_progress"
    save(taking)
    got = submit(taking)
    assert (got.queries, got.transactions) == (SUBMIT_QUERIES, 0), got.sql
    assert grade().queries == GRADING_QUERIES


@pytest.mark.parametrize("levels", [0, 4])
def test_the_heartbeat_costs_the_same_whatever_the_tree_depth_and_takes_no_lock(contest, org, levels):
    taking = contest(2, unit=deep_unit(org, levels) if levels else None)
    got = heartbeat(taking)
    assert (got.queries, got.transactions) == (HEARTBEAT_QUERIES, 0), got.sql
    assert not [s for s in got.sql if "FOR UPDATE" in s]
    assert got.response.json()["seconds_spent"] > 0


def test_the_hot_requests_cost_no_more_queries_than_the_session(contest):
    taking = contest(12)
    session = run(lambda: taking.client.get(API + "session/"))
    for got in (heartbeat(taking), save(taking), submit(taking)):
        assert got.queries <= session.queries, got.sql


def test_a_report_landing_between_the_read_and_the_write_is_not_credited_twice(org):
    """The heartbeat's UPDATE works its credit out from the row it changes: a second report
    that got in first is credited first, and this one only with what is left."""
    person = member(org.first)
    lesson = LessonFactory(parent=CourseFactory(audience_units=[org.first]), min_study_minutes=1)
    opened = study_services.open_lesson(person, lesson)
    start = opened.credited_until
    moment = start + datetime.timedelta(seconds=60)
    interleaved = []

    def other_report_first(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "study_lessonprogress" in sql and not interleaved:
            interleaved.append(True)
            study_services.record_study_time(person, lesson.pk, 60, now=moment)  # the other tab
        return execute(sql, params, many, context)

    with connection.execute_wrapper(other_report_first):
        mine = study_services.record_study_time(person, lesson.pk, 60, now=moment)

    stored = LessonProgress.objects.get(user=person, lesson=lesson)
    # 60 s of wall clock (plus the slack) were available once; both tabs together get them once.
    assert interleaved and stored.seconds_spent == 60 + study_services.REPORT_SLACK_SECONDS
    assert mine.seconds_spent == stored.seconds_spent
