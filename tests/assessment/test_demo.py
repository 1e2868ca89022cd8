"""The demo loads a live question bank and four quizzes, idempotently, and a demo member can
take the quiz linked to the 学习贯彻党章 course and practise; an ended contest has a ranking
to look at (the 使用指南's screenshot of it)."""

from django.core.management import call_command

from cms.accounts.models import MemberStatus, Membership
from cms.assessment import selectors, services
from cms.assessment.models import Question, QuizPage
from tests.assessment.conftest import hand_in, key


def test_demo_assessment_is_idempotent_and_usable(home):
    call_command("load_demo", verbosity=0)
    counts = (Question.objects.filter(live=True).count(), QuizPage.objects.live().count())
    call_command("load_demo", verbosity=0)

    assert (Question.objects.filter(live=True).count(), QuizPage.objects.live().count()) == counts == (12, 4)
    quiz = QuizPage.objects.get(slug="party-constitution-quiz")
    assert quiz.course is not None and quiz.course.slug == "party-constitution"
    person = Membership.objects.filter(status=MemberStatus.FULL).select_related("user").first().user
    assert quiz in selectors.quizzes_for(person)
    attempt, created = services.start_attempt(person, quiz)
    assert created and len(attempt.items) == 6
    assert hand_in(person, attempt.pk, key()).score == 0
    practice, _ = services.start_practice(person, "daily")
    assert len(practice.items) == 5


def test_demo_ended_contest_has_its_ranking_once(home):
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)
    contest = QuizPage.objects.get(slug="party-founding-contest")
    assert selectors.ranking_published(contest) and not selectors.public_ranking_refusal(contest)
    ranking = [(e.rank, e.attempt.user.username, e.unit, float(e.score)) for e in selectors.contest_ranking(contest)]
    assert [row[:2] for row in ranking] == [(1, "branch1"), (2, "member3"), (3, "member2")]
    assert ranking[0][3] == ranking[1][3] == 100 > ranking[2][3]
    assert ranking[2][2] == "第二党支部"
