"""Double submissions (two tabs, a retry racing the first request) count once and return the
same result; two tabs starting the same quiz get one attempt; a save racing the submit is
either graded or refused, never lost silently; workers and the member's own request grading
at the same moment grade each hand-in once. Real threads on real connections (SQLite here;
the same file runs on PostgreSQL with DATABASE_URL)."""

import threading

import pytest
from django.db import connection

from cms.accounts.models import MemberStatus
from cms.assessment import services
from cms.assessment.models import Attempt, AttemptAnswer, Mastery
from tests.assessment.conftest import key, member, shown_key
from tests.assessment.factories import KnowledgePointFactory, QuestionFactory, QuizFactory

pytestmark = pytest.mark.django_db(transaction=True)


def race(calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.fixture
def setting(home, org):
    point = KnowledgePointFactory(name="并发")
    question = QuestionFactory(knowledge_points=[point])
    quiz = QuizFactory(questions=[question], audience_units=[org.first], attempt_limit=1)
    person = member(org.first, MemberStatus.FULL, username="racer")
    return person, quiz, question, point


def test_two_tabs_submitting_at_once_grade_once_and_see_the_same_result(setting):
    person, quiz, question, point = setting
    attempt, _ = services.start_attempt(person, quiz)
    services.save_answer(person, attempt.pk, question.pk, [shown_key(attempt, question, "B")])

    outcomes = race([lambda: services.submit(person, attempt.pk, key()) for _ in range(4)])

    assert all(isinstance(o, services.HandIn) for o in outcomes), outcomes
    stored = Attempt.objects.get(pk=attempt.pk)
    assert {o.submitted_at for o in outcomes} == {stored.submitted_at}
    assert sum(o.earlier is None for o in outcomes) == 1  # one hand-in; the others saw it
    # Two workers and the member's own result request reach for it at the same moment.
    later = stored.submitted_at + services.GRADING_WAIT * 2
    graded = race(
        [services.grade_submitted, services.grade_submitted, lambda: services.finalise_expired(person, later)]
    )
    assert sum(graded) == 1, graded
    stored.refresh_from_db()
    assert stored.graded and stored.score == 100
    assert Mastery.objects.get(user=person, knowledge_point=point).answered == 1
    assert AttemptAnswer.objects.filter(attempt=attempt).count() == 1


def test_a_retry_racing_the_first_request_with_the_same_key(setting):
    person, quiz, question, point = setting
    attempt, _ = services.start_attempt(person, quiz)
    submission = key()

    outcomes = race([lambda: services.submit(person, attempt.pk, submission) for _ in range(3)])

    assert all(isinstance(o, services.HandIn) for o in outcomes), outcomes
    assert len({o.submitted_at for o in outcomes}) == 1
    assert str(Attempt.objects.get(pk=attempt.pk).key) == submission
    assert services.grade_submitted() == 1 and services.grade_submitted() == 0
    assert Mastery.objects.get(user=person, knowledge_point=point).answered == 1


def test_workers_grading_at_once_grade_every_hand_in_exactly_once(home, org):
    point = KnowledgePointFactory(name="批量")
    questions = [QuestionFactory(knowledge_points=[point]) for _ in range(3)]
    quiz = QuizFactory(questions=questions, audience_units=[org.first], attempt_limit=None)
    people = [member(org.first, MemberStatus.FULL, username=f"p{n}") for n in range(12)]
    for person in people:
        for _ in range(2):  # two attempts each: a person's mastery counts both, once
            attempt, _ = services.start_attempt(person, quiz)
            services.save_answer(person, attempt.pk, questions[0].pk, [shown_key(attempt, questions[0], "B")])
            services.submit(person, attempt.pk, key())

    graded = race([lambda: services.grade_submitted(batch=5) for _ in range(3)])

    assert sum(graded) == 24, graded
    assert not Attempt.objects.filter(graded_at__isnull=True).exists()
    assert {float(a.score) for a in Attempt.objects.all()} == {33.3}
    assert [m.answered for m in Mastery.objects.filter(knowledge_point=point)] == [6] * 12


def test_two_tabs_starting_at_once_share_one_attempt(setting):
    person, quiz, question, point = setting

    outcomes = race([lambda: services.start_attempt(person, quiz) for _ in range(3)])

    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert len({attempt.pk for attempt, _ in outcomes}) == 1
    assert sum(created for _, created in outcomes) == 1
    assert Attempt.objects.filter(quiz=quiz).count() == 1


def test_a_save_racing_the_submit_is_graded_or_refused(setting, org):
    _person, quiz, question, _point = setting
    for round_ in range(8):  # the two orders and the moments in between, not one lucky timing
        person = member(org.first, MemberStatus.FULL, username=f"racer{round_}")
        attempt, _ = services.start_attempt(person, quiz)
        right = [shown_key(attempt, question, "B")]

        outcomes = race(
            [
                lambda: services.submit(person, attempt.pk, key()),
                lambda: services.save_answer(person, attempt.pk, question.pk, right),
            ]
        )
        services.grade_submitted()

        attempt.refresh_from_db()
        saved = outcomes[1]
        stored = AttemptAnswer.objects.filter(attempt=attempt, answer__isnull=False).count()
        if isinstance(saved, services.Refused):  # the hand-in came first: graded without it
            assert saved.code == "already_submitted" and attempt.score == 0 and stored == 0
        else:  # the save came first: graded with it
            assert isinstance(saved, tuple), outcomes
            assert attempt.score == 100 and stored == 1


def test_an_answer_read_as_open_but_arriving_after_the_hand_in_is_not_stored(setting):
    """The save reads the attempt without a lock, or takes it as the session kept it: between
    that and its upsert the hand-in can land. The upsert itself must then refuse, or the answer
    would sit beside a grade that never saw it."""
    person, quiz, question, _point = setting
    attempt, _ = services.start_attempt(person, quiz)
    services.submit(person, attempt.pk, key())  # ``attempt`` still says open, as read before

    with pytest.raises(services.Refused) as refused:
        services.save_answer(person, attempt.pk, question.pk, ["B"], kept=attempt)

    assert refused.value.code == "already_submitted"
    assert not AttemptAnswer.objects.filter(attempt=attempt).exists()
