"""The question bank, quizzes and attempts never reach content/, its history or the built
site: markers in stems, options, explanations, answers, knowledge points and quiz texts; nor
do the names in a contest's ranking the editor did not choose to publish."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cms.accounts.models import MemberStatus
from cms.assessment import services
from cms.assessment.answers import QuestionType
from cms.assessment.models import Attempt, QuizKind
from cms.publishing.models import ContentChange
from cms.publishing.tasks import record_change
from tests.assessment.conftest import hand_in, key, member
from tests.assessment.factories import (
    ContestResultPageFactory,
    KnowledgePointFactory,
    QuestionFactory,
    QuizFactory,
)
from tests.factories import NewsPageFactory, OrganisationUnitFactory, SectionPageFactory, rich_body
from tests.publishing.test_leaks import _content_text, _git_history

MARKERS = {
    "stem": "LEAKSTEM031",
    "option": "LEAKOPTION032",
    "explanation": "LEAKEXPLAIN033",
    "blank_answer": "LEAKBLANK034",
    "point": "LEAKPOINT035",
    "quiz_title": "LEAKQUIZTITLE036",
    "quiz_intro": "LEAKQUIZINTRO037",
    "quiz_slug": "leakquizslug038",
    "draft_stem": "LEAKDRAFTSTEM039",
}


@pytest.fixture
def bank(home, org):
    point = KnowledgePointFactory(name=MARKERS["point"])
    choice = QuestionFactory(
        stem=f"题干 {MARKERS['stem']}",
        option_b=f"选项 {MARKERS['option']}",
        explanation=MARKERS["explanation"],
        knowledge_points=[point],
    )
    blank = QuestionFactory(
        type=QuestionType.FILL_BLANK, stem="填空____", answer=MARKERS["blank_answer"], knowledge_points=[point]
    )
    QuestionFactory(stem=MARKERS["draft_stem"], publish=False)
    quiz = QuizFactory(
        title=MARKERS["quiz_title"],
        intro=MARKERS["quiz_intro"],
        slug=MARKERS["quiz_slug"],
        questions=[choice, blank],
        audience_units=[org.first],
    )
    person = member(org.first, MemberStatus.FULL)
    attempt, _ = services.start_attempt(person, quiz)
    services.save_answer(person, attempt.pk, blank.pk, [MARKERS["blank_answer"]])
    hand_in(person, attempt.pk, key())
    # A public page links to the quiz: the link must not carry the quiz's title or path out.
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    NewsPageFactory(
        parent=news,
        title="公开的新闻",
        slug="public-news",
        body=rich_body(f'欢迎参加<a linktype="page" id="{quiz.pk}">学习测验</a>。'),
    )
    return quiz


def test_the_bank_and_quizzes_never_reach_content_history_or_site(bank, publish, site_paths, public_site):
    publish()

    content = _content_text(site_paths["CONTENT_DIR"])
    history = _git_history(site_paths)
    site = public_site.all_text()
    assert "公开的新闻" in content and "公开的新闻" in site
    for case, marker in MARKERS.items():
        assert marker not in content, f"{case} leaked into content/"
        assert marker not in history, f"{case} leaked into content/'s git history"
        assert marker not in site, f"{case} leaked into the built site"


def test_publishing_a_quiz_or_a_question_queues_no_site_build(home):
    before = ContentChange.objects.count()
    question = QuestionFactory()
    quiz = QuizFactory(questions=[question])
    quiz.save_revision().publish()
    question.save_revision().publish()
    quiz.unpublish()
    quiz.delete()

    assert ContentChange.objects.count() == before, "assessment is outside the public site"


RANKING_MARKERS = {"name": "LEAKRANKNAME040", "unit": "LEAKRANKUNIT041"}


def test_a_contest_without_a_public_ranking_never_puts_names_in_content(home, org, publish, site_paths, public_site):
    """Even a live 竞赛成绩公布 page (its publish is refused; say it was forced live) shows only a
    notice while the contest's ranking is not to be public."""
    starts = timezone.now() - datetime.timedelta(hours=2)
    question = QuestionFactory()
    contest = QuizFactory(
        kind=QuizKind.CONTEST,
        questions=[question],
        audience_units=[org.committee],
        starts_at=starts,
        time_limit_minutes=30,
        ranking_members=True,
        ranking_public=False,
        ranking_hide_names=False,
    )
    unit = OrganisationUnitFactory(name=RANKING_MARKERS["unit"], parent=org.committee)
    person = member(unit, MemberStatus.FULL, username="ranked", last_name=RANKING_MARKERS["name"], first_name="")
    Attempt.objects.create(
        user=person,
        quiz=contest,
        unit=unit,
        items=[{"q": question.pk, "t": "single", "o": ["A", "B"], "b": 0}],
        started_at=starts,
        deadline=starts + datetime.timedelta(minutes=30),
        submitted_at=starts + datetime.timedelta(minutes=10),
        graded_at=starts + datetime.timedelta(minutes=10),
        score=100,
        seconds_used=600,
    )
    results = SectionPageFactory(parent=home, title="竞赛成绩", slug="results")
    page = ContestResultPageFactory(parent=results, slug="contest", contest=contest, publish=False)
    with pytest.raises(ValidationError):
        page.save_revision().publish()

    page.live = True
    page.save(clean=False)
    record_change(ContentChange.Action.PUBLISH, page=page)
    publish()

    content = _content_text(site_paths["CONTENT_DIR"])
    history = _git_history(site_paths)
    site = public_site.all_text()
    assert "排名未公开" in content and "排名未公开" in public_site.text("results/contest/index.html")
    for case, marker in RANKING_MARKERS.items():
        assert marker not in content, f"{case} leaked into content/"
        assert marker not in history, f"{case} leaked into content/'s git history"
        assert marker not in site, f"{case} leaked into the built site"
