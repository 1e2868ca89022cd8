"""The count on the 我的测试 tab (session ``user.badges["quizzes"]``): required quizzes in my
audience that I can answer now (open, or my attempt in progress) and have not passed yet."""

import datetime

from django.utils import timezone

from cms.assessment import services

from .conftest import API, client_for, hand_in, key, member, shown_key
from .factories import QuestionFactory, QuizFactory


def badges(user) -> dict:
    return client_for(user).get(API + "session/").json()["user"]["badges"]


def test_required_open_quizzes_are_counted_until_passed(root, org):
    person = member(org.first)
    question = QuestionFactory()
    now = timezone.now()
    quiz = QuizFactory(required=True, audience_units=[org.first], questions=[question], pass_mark=60)
    QuizFactory(required=False, audience_units=[org.first], questions=[question])  # optional
    QuizFactory(required=True, audience_units=[org.second], questions=[question])  # someone else's
    QuizFactory(
        required=True,
        audience_units=[org.first],
        questions=[question],  # closed
        opens_at=now - datetime.timedelta(days=2),
        closes_at=now - datetime.timedelta(hours=1),
    )
    QuizFactory(
        required=True,
        audience_units=[org.first],
        questions=[question],  # not open yet
        opens_at=now + datetime.timedelta(days=1),
    )
    QuizFactory(required=True, audience_units=[org.first], questions=[question], publish=False)
    assert badges(person) == {"quizzes": 1}

    # Started: still waiting. Failed with attempts left: still waiting. Passed: gone.
    attempt, _ = services.start_attempt(person, quiz)
    assert badges(person) == {"quizzes": 1}
    services.save_answer(person, attempt.pk, question.pk, [shown_key(attempt, question, "A")])
    hand_in(person, attempt.pk, key())
    assert badges(person) == {"quizzes": 1}
    attempt, _ = services.start_attempt(person, quiz)
    services.save_answer(person, attempt.pk, question.pk, [shown_key(attempt, question, "B")])
    hand_in(person, attempt.pk, key())
    assert badges(person) == {}
