"""The answer sheets a member's session keeps so that answer saves need not read the attempt:
only the person's own open attempts, the newest few, and never trusted beyond what the save's
own statement confirms."""

import pytest
from django.contrib.sessions.backends.db import SessionStore

from cms.accounts.models import MemberStatus
from cms.assessment import services, session_sheets
from cms.assessment.models import Attempt, AttemptAnswer
from tests.assessment.conftest import API, client_for, key, member
from tests.assessment.factories import QuestionFactory, QuizFactory


@pytest.fixture
def person(org):
    return member(org.first, MemberStatus.FULL, username="keeper")


def started(person, org):
    quiz = QuizFactory(
        questions=[QuestionFactory() for _ in range(3)], audience_units=[org.first], time_limit_minutes=30
    )
    attempt, _ = services.start_attempt(person, quiz)
    return attempt


def test_a_kept_sheet_is_the_attempts_questions_and_deadline_for_its_owner_only(person, org, root):
    attempt = started(person, org)
    session = SessionStore()
    session_sheets.keep(session, attempt)

    kept = session_sheets.kept(session, person, attempt.pk)
    assert (kept.pk, kept.user_id, kept.items, kept.deadline) == (
        attempt.pk,
        person.pk,
        attempt.items,
        attempt.deadline,
    )
    assert not kept.submitted
    other = member(org.first, MemberStatus.FULL, username="other")
    assert session_sheets.kept(session, other, attempt.pk) is None
    assert session_sheets.kept(session, person, attempt.pk + 1000) is None


def test_keeping_the_same_sheet_again_writes_nothing_and_handed_in_attempts_are_not_kept(person, org, root):
    attempt = started(person, org)
    session = SessionStore()
    session_sheets.keep(session, attempt)
    session.modified = False

    session_sheets.keep(session, attempt)
    assert not session.modified

    services.submit(person, attempt.pk, key())
    attempt.refresh_from_db()
    fresh = SessionStore()
    session_sheets.keep(fresh, attempt)
    assert session_sheets.kept(fresh, person, attempt.pk) is None and not fresh.modified


def test_only_the_newest_sheets_are_kept(person, org, root):
    session = SessionStore()
    attempts = [started(person, org) for _ in range(session_sheets.KEPT + 2)]
    for attempt in attempts:
        session_sheets.keep(session, attempt)

    still = [a.pk for a in attempts if session_sheets.kept(session, person, a.pk) is not None]
    assert still == [a.pk for a in attempts[-session_sheets.KEPT :]]


def test_a_save_on_a_kept_sheet_whose_attempt_is_gone_is_a_404_and_stores_nothing(person, org, root):
    quiz = QuizFactory(questions=[QuestionFactory()], audience_units=[org.first])
    client = client_for(person)
    sheet = client.post(API + f"quizzes/{quiz.pk}/attempts/").json()
    question = sheet["questions"][0]
    Attempt.objects.filter(pk=sheet["id"]).delete()  # e.g. an administrator removed the quiz's attempts

    response = client.put(
        API + f"attempts/{sheet['id']}/answers/{question['id']}/",
        {"answer": [question["options"][0]["key"]]},
        format="json",
    )

    assert response.status_code == 404
    assert not AttemptAnswer.objects.exists()


def test_a_kept_sheet_is_used_by_the_save_and_the_answer_is_stored(person, org, root):
    quiz = QuizFactory(questions=[QuestionFactory()], audience_units=[org.first])
    client = client_for(person)
    sheet = client.post(API + f"quizzes/{quiz.pk}/attempts/").json()
    question = sheet["questions"][0]
    assert session_sheets.kept(client.session, person, sheet["id"]) is not None

    response = client.put(
        API + f"attempts/{sheet['id']}/answers/{question['id']}/",
        {"answer": [question["options"][0]["key"]]},
        format="json",
    )

    assert response.status_code == 200 and response.json()["answer"] == [question["options"][0]["key"]]
    assert AttemptAnswer.objects.filter(attempt_id=sheet["id"]).count() == 1
