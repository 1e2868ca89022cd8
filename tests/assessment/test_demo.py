"""The demo loads a live question bank and three quizzes, idempotently, and a demo member can
take the quiz linked to the 学习贯彻党章 course and practise."""

from django.core.management import call_command

from cms.accounts.models import MemberStatus, Membership
from cms.assessment import selectors, services
from cms.assessment.models import Question, QuizPage
from tests.assessment.conftest import key


def test_demo_assessment_is_idempotent_and_usable(db, site_paths):
    call_command("load_demo", verbosity=0)
    counts = (Question.objects.filter(live=True).count(), QuizPage.objects.live().count())
    call_command("load_demo", verbosity=0)

    assert (Question.objects.filter(live=True).count(), QuizPage.objects.live().count()) == counts == (12, 3)
    quiz = QuizPage.objects.get(slug="party-constitution-quiz")
    assert quiz.course is not None and quiz.course.slug == "party-constitution"
    person = Membership.objects.filter(status=MemberStatus.FULL).select_related("user").first().user
    assert quiz in selectors.quizzes_for(person)
    attempt, created = services.start_attempt(person, quiz)
    assert created and len(attempt.items) == 6
    assert services.submit(person, attempt.pk, key()).score == 0
    practice, _ = services.start_practice(person, "daily")
    assert len(practice.items) == 5
